"""`--annotation` values -> image exporter attributes, as buildx turns them."""

from __future__ import annotations

import pytest

from buildwright.client.annotations import annotation_attrs
from buildwright.errors import BuildConfigError


def test_types_and_platforms_become_exporter_keys() -> None:
    assert annotation_attrs(
        [
            "a=1",
            "manifest,manifest-descriptor:b=2",
            "manifest[linux/arm64/v8]:c=3",
            "index:d=4",
            "index-descriptor[linux/amd64]:e=5",
            "f=x=y",
            "",
        ]
    ) == {
        "annotation.a": "1",
        "annotation-manifest.b": "2",
        "annotation-manifest-descriptor.b": "2",
        "annotation-manifest[linux/arm64].c": "3",
        "annotation-index.d": "4",
        "annotation-index-descriptor.e": "5",
        "annotation.f": "x=y",
    }


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("novalue", 'invalid annotation "novalue", expected key=value'),
        ("layer:a=b", 'unknown annotation type "layer"'),
        ("Manifest:a=b", 'invalid annotation type "Manifest"'),
        ("manifest[linux]:a=b", 'invalid platform "linux"'),
    ],
)
def test_bad_annotations_are_named(item: str, message: str) -> None:
    with pytest.raises(BuildConfigError, match=message.replace("[", r"\[")):
        annotation_attrs([item])
