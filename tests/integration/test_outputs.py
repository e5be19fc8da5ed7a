"""Build outputs on the engine, each compared with what `docker buildx build` writes for the same build:
`-o` local/tar/stdout/oci/docker/image/cacheonly, `--load`, `--iidfile`, `--metadata-file`, and
that a failed build leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import buildwright
from tests.integration.reference import EngineInfo

# Files of every kind a local export carries: setuid file, hardlink, symlink, read-only dir, nested file.
_FILES_DOCKERFILE = """\
FROM busybox:latest AS build
RUN mkdir -p /out/sub /out/ro && echo hello > /out/hello.txt && ln -s hello.txt /out/link \\
 && ln /out/hello.txt /out/hard && chmod 4755 /out/hello.txt && echo x > /out/sub/x \\
 && head -c 300000 /dev/zero | tr '\\0' a > /out/big && chmod 555 /out/ro
FROM scratch
COPY --from=build /out /
"""

_IMAGE_DOCKERFILE = """\
FROM busybox:latest
RUN echo outputs-ok > /greeting
CMD ["cat", "/greeting"]
"""


def _engine(engine: EngineInfo) -> buildwright.EngineOptions:
    return buildwright.EngineOptions(env=engine.env)


def _context(tmp_path: Path, dockerfile: str) -> Path:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(dockerfile)
    return context


def _buildx(engine: EngineInfo, context: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(
        [engine.docker_cli, "buildx", "build", "--progress=plain", "--provenance=false", *args, str(context)],
        env=dict(engine.env),
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    return result


def _cli(engine: EngineInfo, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", "build", "--progress=plain", *args],
        env=dict(engine.env),
        capture_output=True,
        timeout=600,
        check=False,
    )


def _tree(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under root: kind, mode, size, content digest, link target, link count, mtime."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            st = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else ""
            link = os.readlink(path) if path.is_symlink() else ""
            nlink = st.st_nlink if not path.is_dir() else 0
            out[str(path.relative_to(root))] = (
                st.st_mode,
                st.st_size if digest else 0,
                digest,
                link,
                nlink,
                st.st_mtime_ns,
            )
    return out


def _tar_members(data: bytes) -> dict[str, tuple[Any, ...]]:
    import io

    out: dict[str, tuple[Any, ...]] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        for member in archive.getmembers():
            content = b""
            if member.isfile():
                handle = archive.extractfile(member)
                assert handle is not None
                content = handle.read()
            out[member.name] = (
                member.type,
                member.mode,
                member.size,
                member.linkname,
                member.mtime,
                member.uid,
                member.gid,
                hashlib.sha256(content).hexdigest(),
            )
    return out


def _tar_json(path: Path, name: str) -> Any:
    with tarfile.open(path, "r:") as archive:
        handle = archive.extractfile(name)
        assert handle is not None
        return json.loads(handle.read())


def _leftovers(directory: Path) -> list[str]:
    return sorted(os.listdir(directory)) if directory.exists() else []


def test_local_output_matches_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _FILES_DOCKERFILE)
    _buildx(engine, context, "-o", f"type=local,dest={tmp_path / 'buildx'}")
    buildwright.build(context, outputs=[f"type=local,dest={tmp_path / 'ours'}"], engine=_engine(engine))
    ours, theirs = _tree(tmp_path / "ours"), _tree(tmp_path / "buildx")
    assert {"hello.txt", "hard", "link", "ro", "sub/x", "big"} <= set(ours)
    assert ours == theirs
    # The new destination directory itself is private, as buildx creates it.
    assert (tmp_path / "ours").stat().st_mode & 0o777 == (tmp_path / "buildx").stat().st_mode & 0o777 == 0o700


def test_local_output_merges_into_existing_directory_like_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _FILES_DOCKERFILE)
    for name in ("buildx", "ours"):
        dest = tmp_path / name
        (dest / "sub").mkdir(parents=True)
        (dest / "keep.txt").write_text("kept")
        (dest / "sub" / "x").write_text("replaced")
        (dest / "hello.txt").write_text("old")
        os.utime(dest / "keep.txt", ns=(10**18, 10**18))
    _buildx(engine, context, "-o", str(tmp_path / "buildx"))
    # The CLI with a bare PATH, which means type=local.
    result = _cli(engine, "-o", str(tmp_path / "ours"), str(context))
    assert result.returncode == 0, result.stderr.decode()
    ours, theirs = _tree(tmp_path / "ours"), _tree(tmp_path / "buildx")
    assert ours["keep.txt"] == theirs["keep.txt"]
    assert (tmp_path / "ours" / "sub" / "x").read_text() == "x\n"
    assert {k: v for k, v in ours.items() if k != "sub"} == {k: v for k, v in theirs.items() if k != "sub"}


def test_tar_output_and_stdout_match_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _FILES_DOCKERFILE)
    _buildx(engine, context, "-o", f"type=tar,dest={tmp_path / 'buildx.tar'}")
    result = _cli(engine, "-o", f"type=tar,dest={tmp_path / 'ours.tar'}", str(context))
    assert result.returncode == 0, result.stderr.decode()
    theirs = _tar_members((tmp_path / "buildx.tar").read_bytes())
    assert "hard" in theirs and "link" in theirs
    assert _tar_members((tmp_path / "ours.tar").read_bytes()) == theirs
    # `-o -` writes the same tar on stdout (stdout is a pipe here, so it is allowed).
    streamed = _cli(engine, "-o", "-", str(context))
    assert streamed.returncode == 0, streamed.stderr.decode()
    assert _tar_members(streamed.stdout) == theirs


def _without_times(value: Any) -> Any:
    # Creation times are the one thing two builds of the same image may differ in.
    if isinstance(value, dict):
        return {
            k: _without_times(v) for k, v in value.items() if k not in ("created", "org.opencontainers.image.created")
        }
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _oci_image(path: Path) -> tuple[list[str], dict[str, Any], Any]:
    """An OCI tarball's member list without config/manifest blobs, its manifest, its config (no times)."""
    index = _tar_json(path, "index.json")
    (entry,) = index["manifests"]
    manifest = _tar_json(path, "blobs/" + entry["digest"].replace(":", "/"))
    config = _tar_json(path, "blobs/" + manifest["config"]["digest"].replace(":", "/"))
    with tarfile.open(path) as archive:
        skip = {"blobs/" + d.replace(":", "/") for d in (entry["digest"], manifest["config"]["digest"])}
        names = sorted(n for n in archive.getnames() if n not in skip)
    manifest = {**manifest, "config": {k: v for k, v in manifest["config"].items() if k not in ("digest", "size")}}
    return (
        names,
        {"index": _without_times({**entry, "digest": "", "size": 0}), "manifest": manifest},
        _without_times(config),
    )


def test_oci_output_matches_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _IMAGE_DOCKERFILE)
    _buildx(engine, context, "-o", f"type=oci,dest={tmp_path / 'buildx.tar'}")
    buildwright.build(context, outputs=[f"type=oci,dest={tmp_path / 'ours.tar'}"], engine=_engine(engine))
    ours, theirs = _oci_image(tmp_path / "ours.tar"), _oci_image(tmp_path / "buildx.tar")
    assert ours == theirs
    assert ours[1]["manifest"]["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert len(ours[1]["manifest"]["layers"]) == 2


def _layout_files(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_mode) for p in root.rglob("*"))


def test_oci_layout_directory_matches_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _IMAGE_DOCKERFILE)
    tag = f"bw-outputs/layout:{uuid.uuid4().hex[:8]}"
    _buildx(engine, context, "-t", tag, "-o", f"type=oci,dest={tmp_path / 'buildx'},tar=false")
    buildwright.build(
        context, tags=[tag], outputs=[f"type=oci,dest={tmp_path / 'ours'},tar=false"], engine=_engine(engine)
    )
    theirs, ours = tmp_path / "buildx", tmp_path / "ours"
    (their_entry,) = json.loads((theirs / "index.json").read_text())["manifests"]
    (our_entry,) = json.loads((ours / "index.json").read_text())["manifests"]
    assert _without_times(our_entry) | {"digest": "", "size": 0} == _without_times(their_entry) | {
        "digest": "",
        "size": 0,
    }
    assert our_entry["annotations"]["io.containerd.image.name"] == f"docker.io/{tag}"
    assert (ours / "oci-layout").read_bytes() == (theirs / "oci-layout").read_bytes()
    # Same blobs, except the manifest and config whose digests carry creation times.
    manifest = json.loads((ours / "blobs" / our_entry["digest"].replace(":", "/")).read_text())
    layers = {"blobs/" + layer["digest"].replace(":", "/") for layer in manifest["layers"]}
    assert len(layers) == 2
    shared = [f for f in _layout_files(ours) if not f[0].startswith("blobs/sha256/") or f[0] in layers]
    assert shared == [f for f in _layout_files(theirs) if not f[0].startswith("blobs/sha256/") or f[0] in layers]
    assert len(_layout_files(ours)) == len(_layout_files(theirs))
    assert sorted(os.listdir(tmp_path)) == ["buildx", "ctx", "ours"]


def test_docker_output_matches_buildx_and_loads(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _IMAGE_DOCKERFILE)
    tag = f"bw-outputs/docker:{uuid.uuid4().hex[:8]}"
    _buildx(engine, context, "-t", tag, "-o", f"type=docker,dest={tmp_path / 'b.tar'}")
    buildwright.build(
        context, tags=[tag], outputs=[f"type=docker,dest={tmp_path / 'ours.tar'}"], engine=_engine(engine)
    )
    (theirs,), (ours,) = (
        _tar_json(tmp_path / "b.tar", "manifest.json"),
        _tar_json(tmp_path / "ours.tar", "manifest.json"),
    )
    assert ours["RepoTags"] == theirs["RepoTags"] == [tag]
    assert ours["Layers"] == theirs["Layers"] and len(ours["Layers"]) == 2
    assert _without_times(_tar_json(tmp_path / "ours.tar", ours["Config"])) == _without_times(
        _tar_json(tmp_path / "b.tar", theirs["Config"])
    )
    with tarfile.open(tmp_path / "b.tar") as their_tar, tarfile.open(tmp_path / "ours.tar") as our_tar:
        # Config and manifest blobs are named by digests that carry creation times; the rest match.
        def same_named(names: list[str]) -> list[str]:
            return sorted(n for n in names if not n.startswith("blobs/sha256/") or n in ours["Layers"])

        assert len(our_tar.getnames()) == len(their_tar.getnames())
        assert same_named(our_tar.getnames()) == same_named(their_tar.getnames())
    try:
        engine.docker("image", "rm", "-f", tag, check=False)
        loaded = engine.docker("load", "-i", str(tmp_path / "ours.tar")).stdout.decode()
        assert tag in loaded
        assert engine.docker("run", "--rm", tag).stdout.decode() == "outputs-ok\n"
    finally:
        engine.docker("image", "rm", "-f", tag, check=False)


def _metadata_keys(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    document.pop("buildx.build.provenance", None)  # from buildx's history query, not the exporter
    return document


def test_load_iidfile_and_metadata_file_match_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _IMAGE_DOCKERFILE)
    theirs_tag = f"bw-outputs/load-buildx:{uuid.uuid4().hex[:8]}"
    ours_tag = f"bw-outputs/load-ours:{uuid.uuid4().hex[:8]}"
    _buildx(
        engine,
        context,
        "--load",
        "-t",
        theirs_tag,
        "--iidfile",
        str(tmp_path / "b.iid"),
        "--metadata-file",
        str(tmp_path / "b.json"),
    )
    result = _cli(
        engine,
        "--load",
        "-t",
        ours_tag,
        "--iidfile",
        str(tmp_path / "o.iid"),
        "--metadata-file",
        str(tmp_path / "o.json"),
        str(context),
    )
    try:
        assert result.returncode == 0, result.stderr.decode()
        ours_id = (tmp_path / "o.iid").read_text()
        assert ours_id == (tmp_path / "b.iid").read_text()
        assert ours_id.startswith("sha256:") and not ours_id.endswith("\n")
        assert engine.docker("image", "inspect", "--format", "{{.Id}}", ours_tag).stdout.decode().strip()
        assert engine.docker("run", "--rm", ours_tag).stdout.decode() == "outputs-ok\n"
        theirs_md, ours_md = _metadata_keys(tmp_path / "b.json"), _metadata_keys(tmp_path / "o.json")
        assert set(ours_md) == set(theirs_md)
        assert ours_md["containerimage.config.digest"] == theirs_md["containerimage.config.digest"] == ours_id
        # Base64-encoded JSON values are embedded as objects, as buildx writes them.
        assert isinstance(ours_md["containerimage.descriptor"], dict)
        assert ours_md["containerimage.descriptor"]["digest"] == ours_md["containerimage.digest"]
        assert ours_md["image.name"] == f"docker.io/{ours_tag}"
        assert ours_md["buildx.build.ref"].rsplit("/", 1)[-1]
    finally:
        engine.docker("image", "rm", "-f", theirs_tag, ours_tag, check=False)


def test_image_output_and_cacheonly(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _IMAGE_DOCKERFILE)
    tag = f"bw-outputs/image:{uuid.uuid4().hex[:8]}"
    try:
        built = buildwright.build(context, outputs=[f"type=image,name={tag}"], engine=_engine(engine))
        assert engine.docker("run", "--rm", tag).stdout.decode() == "outputs-ok\n"
        assert built.metadata["containerimage.config.digest"]
    finally:
        engine.docker("image", "rm", "-f", tag, check=False)
    # cacheonly: nothing exported, no image named; the image id file is empty, as buildx writes it.
    cache_tag = f"bw-outputs/cacheonly:{uuid.uuid4().hex[:8]}"
    _buildx(engine, context, "-o", "type=cacheonly", "--iidfile", str(tmp_path / "b.iid"))
    result = _cli(engine, "-o", "type=cacheonly", "-t", cache_tag, "--iidfile", str(tmp_path / "o.iid"), str(context))
    assert result.returncode == 0, result.stderr.decode()
    assert (tmp_path / "o.iid").read_text() == (tmp_path / "b.iid").read_text() == ""
    assert engine.docker("image", "inspect", cache_tag, check=False).returncode != 0


def test_several_outputs_in_one_build(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _FILES_DOCKERFILE)
    _buildx(engine, context, "-o", f"type=local,dest={tmp_path / 'buildx'}")
    buildwright.build(
        context,
        outputs=[f"type=local,dest={tmp_path / 'ours'}", f"type=tar,dest={tmp_path / 'ours.tar'}"],
        engine=_engine(engine),
    )
    assert _tree(tmp_path / "ours") == _tree(tmp_path / "buildx")
    assert "sub/x" in _tar_members((tmp_path / "ours.tar").read_bytes())


def _fails(outputs: Sequence[str], context: Path, engine: EngineInfo) -> str:
    with pytest.raises(buildwright.BuildwrightError) as info:
        buildwright.build(context, outputs=list(outputs), engine=_engine(engine))
    return info.value.message


def test_failed_build_leaves_nothing_behind(engine: EngineInfo, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # The step fails: no export happens at all.
    failing = tmp_path / "failing"
    failing.mkdir()
    (failing / "Dockerfile").write_text("FROM busybox:latest\nRUN echo partial > /p\nRUN exit 3\n")
    _fails([f"type=local,dest={out / 'dir'}", f"type=tar,dest={out / 'a.tar'}"], failing, engine)
    assert _leftovers(out) == []
    # The local, tar and layout exports arrive, then pushing the image fails (nothing listens on port 9):
    # what had arrived is removed, and an existing destination keeps its old content.
    (out / "dir").mkdir()
    (out / "dir" / "old").write_text("old")
    context = _context(tmp_path, _FILES_DOCKERFILE)
    message = _fails(
        [
            f"type=local,dest={out / 'dir'}",
            f"type=tar,dest={out / 'a.tar'}",
            f"type=oci,dest={out / 'layout'},tar=false",
            "type=image,name=127.0.0.1:9/bw-outputs/never:1,push=true",
        ],
        context,
        engine,
    )
    assert "127.0.0.1:9" in message
    assert _leftovers(out) == ["dir"]
    assert _leftovers(out / "dir") == ["old"]


def test_output_errors_are_plain(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, _IMAGE_DOCKERFILE)
    # Outputs that contradict each other are usage errors (exit 2).
    result = _cli(engine, "--iidfile", str(tmp_path / "iid"), "-o", f"type=local,dest={tmp_path}/d", str(context))
    assert result.returncode == 2
    assert b"ERROR: local and tar exporters are incompatible with image ID file" in result.stderr
    result = _cli(engine, "-o", "-", "-o", "type=tar", str(context))
    assert result.returncode == 2
    assert b"multiple outputs configured to write to stdout" in result.stderr
    result = _cli(
        engine,
        "-o",
        f"type=oci,dest={tmp_path}/a,tar=false",
        "-o",
        f"type=oci,dest={tmp_path}/b,tar=false",
        str(context),
    )
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert b"only one oci or docker output can be a layout directory" in result.stderr
    (tmp_path / "file").write_text("x")
    result = _cli(engine, "-o", f"type=local,dest={tmp_path / 'file'}", str(context))
    assert b"destination directory" in result.stderr and b"is a file" in result.stderr
