"""Named builds and their legs: one per platform, checked before anything is compiled."""

from __future__ import annotations

import pytest

from buildwright.errors import BuildConfigError
from buildwright.farm.requests import Leg, NamedBuild, leg_options, legs_of


def test_each_platform_is_a_leg_normalised_and_a_build_without_one_is_one_leg() -> None:
    builds = [
        NamedBuild("app", {"context": ".", "platform": "linux/amd64,linux/arm64/v8"}),
        NamedBuild("web", {"context": "web"}),
    ]
    assert legs_of(builds) == (Leg("app", "linux/amd64"), Leg("app", "linux/arm64"), Leg("web", None))
    assert [leg.key for leg in legs_of(builds)] == ["app@linux/amd64", "app@linux/arm64", "web@default"]
    assert str(Leg("app", "linux/arm64")) == "app (linux/arm64)"


@pytest.mark.parametrize(
    ("builds", "message"),
    [
        ([NamedBuild("", {"context": "."})], "needs a name"),
        ([NamedBuild("a", {"context": "."}), NamedBuild("a", {"context": "."})], "two farm builds are named 'a'"),
        ([NamedBuild("a", {})], "farm build 'a' has no context"),
        ([NamedBuild("a", {"context": ".", "tag": "x", "engine": None})], r"unknown build option\(s\) engine, tag"),
    ],
)
def test_bad_builds_are_refused_with_their_name(builds: list[NamedBuild], message: str) -> None:
    with pytest.raises(BuildConfigError, match=message):
        legs_of(builds)


def test_a_jobs_options_name_its_own_platforms() -> None:
    build = NamedBuild("app", {"context": ".", "platform": "linux/amd64,linux/arm64", "target": "t"})
    assert leg_options(build, ["linux/arm64"]) == {"context": ".", "target": "t", "platform": ("linux/arm64",)}
    assert leg_options(NamedBuild("x", {"context": "."}), [None]) == {"context": "."}
