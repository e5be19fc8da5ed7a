"""The byte counts the engine reports for a DiffCopy, which the [internal] load steps show."""

from __future__ import annotations

import os
from pathlib import Path

from buildwright.client.internal_steps import local_load_steps
from buildwright.client.session.transfer import transfer_size


def _file(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.utime(path, ns=(1_796_308_724_791_189_250, 1_796_308_724_791_189_250))
    path.chmod(0o644)


def test_sizes_match_what_the_engine_reported_for_buildx(tmp_path: Path) -> None:
    # Figures buildx's progress showed for these files (142 and 19 bytes, 0644, a 2026 mtime).
    _file(tmp_path / "Dockerfile", b"x" * 142)
    _file(tmp_path / ".dockerignore", b"y" * 19)
    assert transfer_size(tmp_path, ["Dockerfile", "Dockerfile.dockerignore", "dockerfile"]) == 181
    assert transfer_size(tmp_path, [".dockerignore"]) == 59


def test_nothing_to_send_is_the_fin_packet(tmp_path: Path) -> None:
    assert transfer_size(tmp_path, [".dockerignore"]) == 2


def test_load_steps_skip_the_context_ignore_file_when_the_dockerfile_has_its_own(tmp_path: Path) -> None:
    _file(tmp_path / "app.Dockerfile", b"FROM scratch\n")
    names = {getattr(e, "name", "") for e in local_load_steps(tmp_path, tmp_path / "app.Dockerfile", "r1")}
    assert "[internal] load build definition from app.Dockerfile" in names
    assert "[internal] load .dockerignore" in names
    _file(tmp_path / "app.Dockerfile.dockerignore", b"*.tmp\n")
    names = {getattr(e, "name", "") for e in local_load_steps(tmp_path, tmp_path / "app.Dockerfile", "r1")}
    assert "[internal] load .dockerignore" not in names
