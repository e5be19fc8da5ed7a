"""`--annotation` on the engine: the same OCI layout as buildx's, byte for byte, for manifest,
descriptor, platform-selected and (on a multi-platform build) index annotations."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.integration.cli import run_cli
from tests.integration.reference import EngineInfo

_EPOCH = "1700000000"


def _cli(engine: EngineInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(engine.env, *args)


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("platforms", "annotations"),
    [
        (
            "linux/amd64",
            [
                "org.example.plain=one",
                "manifest,manifest-descriptor:org.example.both=two",
                "manifest[linux/amd64]:org.example.only-amd64=three",
                "manifest[linux/arm64]:org.example.not-here=four",
            ],
        ),
        (
            "linux/amd64,linux/arm64",
            ["index:org.example.index=five", "index-descriptor:org.example.desc=six", "manifest[linux/arm64]:x.y=z"],
        ),
    ],
    ids=["single", "multi"],
)
def test_annotations_match_buildx(engine: EngineInfo, tmp_path: Path, platforms: str, annotations: list[str]) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM busybox:latest\nCOPY hello.txt /\n")
    (context / "hello.txt").write_text("annotated\n")
    flags = ["--platform", platforms, "--build-arg", f"SOURCE_DATE_EPOCH={_EPOCH}"]
    for item in annotations:
        flags += ["--annotation", item]
    ours, theirs = tmp_path / "bw.tar", tmp_path / "bx.tar"
    built = _cli(engine, "build", "-q", *flags, "-o", f"type=oci,dest={ours}", str(context))
    assert built.returncode == 0, built.stderr
    engine.docker("buildx", "build", "-q", "--provenance=false", *flags, "-o", f"type=oci,dest={theirs}", str(context))
    mine, reference = _members(ours), _members(theirs)
    assert mine == reference
    assert b"org.example" in b"".join(mine.values())


def test_index_annotations_need_an_index(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\n")
    done = _cli(
        engine, "build", "--annotation", "index:a=b", "-o", f"type=oci,dest={tmp_path / 'o.tar'}", str(tmp_path)
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].endswith("index annotations not supported for single platform export")
    assert not (tmp_path / "o.tar").exists()
    bad = _cli(engine, "build", "--annotation", "nokey", str(tmp_path))
    assert bad.returncode in (1, 2)
    assert 'invalid annotation "nokey", expected key=value' in bad.stderr
    unknown = _cli(engine, "build", "--annotation", "layer:a=b", str(tmp_path))
    assert 'unknown annotation type "layer"' in unknown.stderr
