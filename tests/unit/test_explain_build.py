"""A prediction reads the recorded graph only when a compile now would read what the recorded one did."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from buildwright import explain_build
from buildwright.cachemiss.record import CompileInputs
from buildwright.dockerfile import parse_dockerfile
from buildwright.explain_build import compile_inputs, same_compile
from buildwright.frontend import FrontendOptions, ImageRequest, ResolvedImage, compile_dockerfile
from buildwright.frontend.lint.resolver_cache import CachingResolver
from buildwright.llb.platform import Platform
from tests.unit.cachemiss.helpers import DIGEST_A, DIGEST_B, Resolver

DOCKERFILE = parse_dockerfile("FROM busybox AS build\nRUN echo hi\nFROM alpine\nCOPY --from=build /x /x\n")
OPTIONS = FrontendOptions(session_id="s1", target_platform=Platform("linux", "arm64"), build_args={"A": "1"})


class _Counting:
    """A resolver that counts the requests it is asked."""

    def __init__(self, inner: Resolver) -> None:
        self.inner = inner
        self.asked: list[ImageRequest] = []

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        self.asked.extend(requests)
        return self.inner.resolve_image_configs(requests)


def _recorded(options: FrontendOptions = OPTIONS, digest: str = DIGEST_A) -> CompileInputs:
    resolver = CachingResolver(Resolver(digest))
    compile_dockerfile(DOCKERFILE, options, resolver)
    recorded = compile_inputs(DOCKERFILE, options, resolver.answers())
    assert recorded is not None
    return recorded


def test_the_same_inputs_and_answers_are_the_same_compile() -> None:
    recorded = _recorded()
    assert [base.ref for base in recorded.bases] == [
        "docker.io/library/busybox:latest",
        "docker.io/library/alpine:latest",
    ]
    assert recorded.bases[0].platform == {"os": "linux", "architecture": "arm64", "variant": "", "os_version": ""}
    now = _Counting(Resolver())
    # Another session (every build has its own) compiles to the same steps.
    assert same_compile(recorded, DOCKERFILE, dataclasses.replace(OPTIONS, session_id="s2"), now)
    assert [request.ref for request in now.asked] == [base.ref for base in recorded.bases]  # asked again
    assert now.asked[0].platform == Platform("linux", "arm64")


def test_a_base_image_that_moved_is_another_compile() -> None:
    assert not same_compile(_recorded(), DOCKERFILE, OPTIONS, Resolver(DIGEST_B))


def test_other_options_or_another_dockerfile_are_another_compile() -> None:
    recorded = _recorded()
    for options in (
        dataclasses.replace(OPTIONS, build_args={"A": "2"}),
        dataclasses.replace(OPTIONS, target="build"),
        dataclasses.replace(OPTIONS, no_cache=True),
        dataclasses.replace(OPTIONS, llb_caps=frozenset({"exec.mount.bind"})),
        dataclasses.replace(OPTIONS, ignore_patterns=("*.tmp",)),
    ):
        now = _Counting(Resolver())
        assert not same_compile(recorded, DOCKERFILE, options, now)
        assert now.asked == []  # nothing is asked of the engine when the inputs already differ
    edited = parse_dockerfile("FROM busybox AS build\nRUN echo hi!\nFROM alpine\nCOPY --from=build /x /x\n")
    assert not same_compile(recorded, edited, OPTIONS, Resolver())
    assert not same_compile(None, DOCKERFILE, OPTIONS, Resolver())


def test_equal_options_give_one_digest_whatever_the_order_of_their_maps_and_sets() -> None:
    one = dataclasses.replace(OPTIONS, build_args={"A": "1", "B": "2"}, llb_caps=frozenset({"a", "b", "c"}))
    two = dataclasses.replace(OPTIONS, build_args={"B": "2", "A": "1"}, llb_caps=frozenset({"c", "b", "a"}))
    assert same_compile(_recorded(one), DOCKERFILE, two, Resolver())


def test_another_version_of_the_compiler_is_another_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = _recorded()
    edited = [(path, size, mtime + 1) for path, size, mtime in explain_build._code_identity()]
    monkeypatch.setattr(explain_build, "_code_identity", lambda: edited)
    assert not same_compile(recorded, DOCKERFILE, OPTIONS, Resolver())
