"""A real image registry for the tests: Debian's `docker-registry` (distribution) on 127.0.0.1.

`start_registry` runs one instance with its own config file and storage folder, optionally behind
basic auth (an htpasswd file with a bcrypt hash, the only kind the registry accepts), and stops it
afterwards. `docker_config_env` makes a private docker config folder holding given credentials,
so buildwright and buildx (its CLI plugin folder is linked in) read the same `config.json`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGISTRY_BINARY = "docker-registry"
TEST_USER = "bw-user"
TEST_PASSWORD = "bw-registry-pass"
# bcrypt of TEST_PASSWORD at cost 4 (cheap: the registry checks it on every request), made with
# `crypt.crypt(TEST_PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))`.
TEST_PASSWORD_BCRYPT = "$2b$04$TkbxpaqGVJ81ZKEQlg8xqO04TjgmvYIqj0rOB3NiKhUargEMBjBLe"
HELPER_DIR = Path(__file__).resolve().parent / "credential_helper"
_MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


@dataclass(frozen=True, slots=True)
class Registry:
    """A running registry: `host` is `127.0.0.1:PORT`; `auth` is (user, password) when it wants one."""

    host: str
    storage: Path
    auth: tuple[str, str] | None

    def request(self, path: str, *, accept: str = "application/json") -> tuple[int, bytes, Mapping[str, str]]:
        """GET `/v2/...` with the registry's credentials; returns status, body and headers."""
        request = urllib.request.Request(f"http://{self.host}{path}", headers={"Accept": accept})
        if self.auth is not None:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)

    def manifest(self, repository: str, reference: str) -> tuple[str, dict[str, Any]]:
        """The manifest (or index) `repository:reference` and its digest; AssertionError when missing."""
        status, body, headers = self.request(f"/v2/{repository}/manifests/{reference}", accept=_MANIFEST_TYPES)
        assert status == 200, f"manifest {repository}:{reference}: HTTP {status}: {body[:200]!r}"
        return headers.get("Docker-Content-Digest", ""), json.loads(body)

    def blob(self, repository: str, digest: str) -> bytes:
        status, body, _ = self.request(f"/v2/{repository}/blobs/{digest}")
        assert status == 200, f"blob {repository}@{digest}: HTTP {status}"
        return body

    def tags(self, repository: str) -> list[str]:
        status, body, _ = self.request(f"/v2/{repository}/tags/list")
        if status == 404:
            return []
        assert status == 200, f"tags of {repository}: HTTP {status}"
        return list(json.loads(body).get("tags") or [])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def start_registry(folder: Path, *, auth: tuple[str, str] | None = None) -> Iterator[Registry]:
    """Run a registry storing under `folder` until the block ends; with `auth`, basic auth on."""
    binary = shutil.which(REGISTRY_BINARY)
    if binary is None:
        raise RuntimeError(f"{REGISTRY_BINARY} is not installed (scripts/lib/engine-packages.sh installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    storage = folder / "storage"
    storage.mkdir(exist_ok=True)
    lines = [
        "version: 0.1",
        "log:",
        "  level: warn",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {storage}",
        "  delete:",
        "    enabled: true",
    ]
    if auth is not None:
        if auth != (TEST_USER, TEST_PASSWORD):
            raise ValueError("only the test user's bcrypt hash is known")
        htpasswd = folder / "htpasswd"
        htpasswd.write_text(f"{TEST_USER}:{TEST_PASSWORD_BCRYPT}\n")
        lines += ["auth:", "  htpasswd:", "    realm: buildwright-test", f"    path: {htpasswd}"]
    for _attempt in range(5):
        port = _free_port()
        config = folder / "config.yml"
        config.write_text("\n".join([*lines, "http:", f"  addr: 127.0.0.1:{port}", f"  secret: bw-{port}", ""]))
        log = (folder / "registry.log").open("ab")
        process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        registry = Registry(f"127.0.0.1:{port}", storage, auth)
        if _wait_ready(registry, process):
            try:
                yield registry
            finally:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
            return
        process.kill()
        process.wait(10)
    raise RuntimeError(f"the registry did not start; see {folder / 'registry.log'}")


def _wait_ready(registry: Registry, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # e.g. the port was taken between choosing and binding it
        try:
            status, _, _ = registry.request("/v2/")
        except OSError:
            time.sleep(0.1)
            continue
        return status == 200
    return False


def basic_auth(user: str, password: str) -> str:
    """The `auth` value of a config.json `auths` entry."""
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def docker_config_env(
    base_env: Mapping[str, str], engine_config: Path, folder: Path, config: Mapping[str, Any]
) -> dict[str, str]:
    """An environment whose DOCKER_CONFIG is `folder`, holding `config` as config.json.

    The engine's CLI plugins (buildx) are linked in, and the test credential helper's folder
    is put first on PATH.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    plugins = folder / "cli-plugins"
    if not plugins.exists():
        plugins.symlink_to(engine_config / "cli-plugins")
    env = dict(base_env)
    env["DOCKER_CONFIG"] = str(folder)
    env["PATH"] = os.pathsep.join([str(HELPER_DIR), env.get("PATH", os.defpath)])
    return env
