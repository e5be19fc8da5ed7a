"""The comparison harness can pass and can fail: equal builds compare equal, and a single differing
file mode or ENV value is reported. Also the snapshot reader's whiteout handling, on synthetic layers."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.integration.reference import (
    EngineInfo,
    assert_same_image,
    buildx_build,
    run_image,
    snapshot_archive,
    snapshot_image,
)

_DOCKERFILE = """\
FROM busybox:latest
ENV GREETING={greeting}
COPY tool.sh /opt/tool/tool.sh
RUN chmod {mode} /opt/tool/tool.sh \\
 && ln -s tool.sh /opt/tool/link \\
 && ln /opt/tool/tool.sh /opt/tool/hard \\
 && mkdir -p /data && chown 1000:1000 /data \\
 && rm /etc/group
WORKDIR /data
CMD ["/opt/tool/tool.sh"]
"""


def _context(root: Path, *, greeting: str = "hello", mode: str = "0755") -> Path:
    root.mkdir(parents=True)
    (root / "Dockerfile").write_text(_DOCKERFILE.format(greeting=greeting, mode=mode))
    (root / "tool.sh").write_text('#!/bin/sh\necho "$GREETING from tool"\n')
    return root


def test_same_dockerfile_built_twice_compares_equal(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path / "ctx")
    buildx_build(engine, context, tag="bw-harness/same:first")
    buildx_build(engine, context, tag="bw-harness/same:second", no_cache=True)

    first = snapshot_image(engine, "bw-harness/same:first")
    second = snapshot_image(engine, "bw-harness/same:second")

    assert_same_image(first, second)
    tool, hard = first.files["opt/tool/tool.sh"], first.files["opt/tool/hard"]
    assert tool.mode == hard.mode == 0o755
    assert {tool.kind, hard.kind} == {"file", "hardlink"}  # which one is the link follows the tar's order
    assert tool.digest == hard.digest != ""
    assert first.files["opt/tool/link"].kind == "symlink"
    assert first.files["data"].uid == 1000
    assert "etc/group" not in first.files  # removed by a whiteout in the RUN layer
    assert first.config["Env"][-1] == "GREETING=hello"
    # base, COPY, RUN, and WORKDIR's (empty) layer: BuildKit's WORKDIR always makes its directory.
    assert first.layer_count == second.layer_count == 4
    assert run_image(engine, "bw-harness/same:first") == "hello from tool\n"


def test_one_file_mode_difference_is_reported(engine: EngineInfo, tmp_path: Path) -> None:
    buildx_build(engine, _context(tmp_path / "a", mode="0755"), tag="bw-harness/mode:a")
    buildx_build(engine, _context(tmp_path / "b", mode="0700"), tag="bw-harness/mode:b")

    with pytest.raises(AssertionError) as failure:
        assert_same_image(snapshot_image(engine, "bw-harness/mode:a"), snapshot_image(engine, "bw-harness/mode:b"))

    message = str(failure.value)
    assert "files: 2 differ" in message  # the script and its hard link
    assert "~ opt/tool/tool.sh: expected " in message
    assert " 0755 0:0" in message and " 0700 0:0" in message
    assert "config" not in message


def test_one_env_difference_is_reported(engine: EngineInfo, tmp_path: Path) -> None:
    buildx_build(engine, _context(tmp_path / "a", greeting="hello"), tag="bw-harness/env:a")
    buildx_build(engine, _context(tmp_path / "b", greeting="bonjour"), tag="bw-harness/env:b")

    with pytest.raises(AssertionError) as failure:
        assert_same_image(snapshot_image(engine, "bw-harness/env:a"), snapshot_image(engine, "bw-harness/env:b"))

    message = str(failure.value)
    assert "config Env:" in message
    assert "GREETING=hello" in message and "GREETING=bonjour" in message
    assert "files:" not in message


def test_failed_reference_build_raises_with_log(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nRUN echo about to fail && exit 3\n")

    with pytest.raises(AssertionError, match="about to fail"):
        buildx_build(engine, tmp_path, tag="bw-harness/fails:latest")


# Synthetic `docker save` archives: no engine needed.


def _layer(members: list[tuple[str, bytes | None, int]]) -> bytes:
    """A layer tar from (path, content or None for a directory, mode)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as layer:
        for name, content, mode in members:
            info = tarfile.TarInfo(name)
            info.mode = mode
            if content is None:
                info.type = tarfile.DIRTYPE
                layer.addfile(info)
            else:
                info.size = len(content)
                layer.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _saved_image(path: Path, layers: list[bytes], env: list[str]) -> Path:
    config = json.dumps(
        {
            "os": "linux",
            "architecture": "amd64",
            "config": {"Env": env},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{index:064x}" for index in range(len(layers))]},
            "history": [{"created_by": f"step {index}"} for index in range(len(layers))],
        }
    ).encode()
    blobs = {f"blobs/sha256/layer{index}": data for index, data in enumerate(layers)}
    manifest = json.dumps([{"Config": "blobs/sha256/config", "Layers": list(blobs)}]).encode()
    with tarfile.open(path, mode="w") as archive:
        for name, data in {"manifest.json": manifest, "blobs/sha256/config": config, **blobs}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_snapshot_applies_whiteouts_and_opaque_dirs(tmp_path: Path) -> None:
    lower = _layer(
        [
            ("etc/", None, 0o755),
            ("etc/keep", b"k", 0o644),
            ("etc/gone", b"g", 0o644),
            ("var/", None, 0o755),
            ("var/old", b"o", 0o644),
        ]
    )
    upper = _layer([("etc/.wh.gone", b"", 0o644), ("var/.wh..wh..opq", b"", 0o644), ("var/new", b"n", 0o600)])

    snapshot = snapshot_archive(_saved_image(tmp_path / "img.tar", [lower, upper], ["A=1"]), "synthetic")

    assert sorted(snapshot.files) == ["etc", "etc/keep", "var", "var/new"]
    assert snapshot.files["var/new"].mode == 0o600
    assert [entry.kind for entry in snapshot.layers[1]] == ["whiteout", "opaque", "file"]
    assert snapshot.layer_count == 2
    assert snapshot.config["Env"] == ["A=1"]
    assert snapshot.config["Cmd"] is None


def test_synthetic_difference_in_content_is_reported(tmp_path: Path) -> None:
    one = snapshot_archive(_saved_image(tmp_path / "1.tar", [_layer([("f", b"one", 0o644)])], []), "one")
    two = snapshot_archive(_saved_image(tmp_path / "2.tar", [_layer([("f", b"two", 0o644)])], []), "two")

    with pytest.raises(AssertionError, match=r"~ f: expected file 0644 0:0 3B sha256:"):
        assert_same_image(one, two)
    assert_same_image(one, snapshot_archive(tmp_path / "1.tar", "again"))
