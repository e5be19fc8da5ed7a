"""Credentials from the docker config: `auths`, `credHelpers`, `credsStore`, Docker Hub's key."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from buildwright.client.dockerconfig import (
    DOCKER_HUB_KEY,
    DockerConfig,
    RegistryCredentials,
    config_dir,
    hostname_of,
    registry_key,
)
from buildwright.errors import BuildConfigError

CANARY = "canary-secret-7f3a"


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _config(tmp_path: Path, data: object, **env: str) -> DockerConfig:
    folder = tmp_path / "docker"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps(data))
    path = os.pathsep.join([str(tmp_path / "bin"), "/usr/bin", "/bin"])
    return DockerConfig.load({"DOCKER_CONFIG": str(folder), "PATH": path, **env})


def _helper(tmp_path: Path, name: str, script: str) -> None:
    # A `docker-credential-<name>` running `script` (sh); it records its stdin in <name>.in.
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    path = folder / f"docker-credential-{name}"
    path.write_text(f'#!/bin/sh\ntest "$1" = get || exit 9\ncat > "{tmp_path}/{name}.in"\n{script}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_config_dir_from_env_or_home(tmp_path: Path) -> None:
    assert config_dir({"DOCKER_CONFIG": "/x/y"}) == Path("/x/y")
    assert config_dir({"HOME": str(tmp_path)}) == tmp_path / ".docker"


@pytest.mark.parametrize(
    ("key", "host"),
    [
        ("https://index.docker.io/v1/", "index.docker.io"),
        ("http://reg.example:5000/v2/", "reg.example:5000"),
        ("reg.example", "reg.example"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
    ],
)
def test_hostname_of(key: str, host: str) -> None:
    assert hostname_of(key) == host


def test_docker_hub_hosts_use_the_login_key() -> None:
    for host in ("registry-1.docker.io", "docker.io", "index.docker.io"):
        assert registry_key(host) == DOCKER_HUB_KEY
    assert registry_key("ghcr.io") == "ghcr.io"


def test_missing_file_means_no_credentials(tmp_path: Path) -> None:
    config = DockerConfig.load({"DOCKER_CONFIG": str(tmp_path / "none")})
    assert config.credentials("127.0.0.1:5000") is None


def test_auths_basic_and_matching_by_host(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        {
            "auths": {
                "https://127.0.0.1:5000/v1/": {"auth": _auth("alice", "pw:with:colons")},
                DOCKER_HUB_KEY: {"auth": _auth("hubuser", "hubpass")},
                "ghcr.io": {"username": "bob", "password": "pw2"},
                "token.example": {"identitytoken": "tok"},
                "empty.example": {},
            }
        },
    )
    assert config.credentials("127.0.0.1:5000") == RegistryCredentials("alice", "pw:with:colons")
    assert config.credentials("registry-1.docker.io") == RegistryCredentials("hubuser", "hubpass")
    assert config.credentials("ghcr.io") == RegistryCredentials("bob", "pw2")
    assert config.credentials("token.example") == RegistryCredentials(identity_token="tok")
    assert config.credentials("empty.example") is None
    assert config.credentials("other.example") is None


def test_credentials_repr_hides_secrets() -> None:
    text = repr(RegistryCredentials("alice", CANARY)) + repr(RegistryCredentials(identity_token=CANARY))
    assert CANARY not in text
    assert "alice" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "failed to read docker config"),
        ([], "not a JSON object"),
        ({"auths": {"x": "y"}}, "`auths` must map registries to objects"),
        ({"credHelpers": {"x": 1}}, "`credHelpers` must map registries to names"),
        ({"auths": {"x": {"auth": "!!!"}}}, "invalid `auth` for x"),
        ({"auths": {"x": {"auth": base64.b64encode(b"nocolon").decode()}}}, "invalid `auth` for x"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, data: object, message: str) -> None:
    folder = tmp_path / "docker"
    folder.mkdir()
    (folder / "config.json").write_text(data if isinstance(data, str) else json.dumps(data))
    with pytest.raises(BuildConfigError) as failure:
        DockerConfig.load({"DOCKER_CONFIG": str(folder)}).credentials("x")
    assert message in failure.value.message
    assert str(folder / "config.json") in failure.value.message


def test_cred_helper_for_one_registry(tmp_path: Path) -> None:
    _helper(tmp_path, "one", """printf '{"ServerURL":"r","Username":"carol","Secret":"pw3"}'""")
    config = _config(
        tmp_path,
        {"credHelpers": {"reg.example:5000": "one"}, "auths": {"other.example": {"auth": _auth("dan", "pw4")}}},
    )
    assert config.credentials("reg.example:5000") == RegistryCredentials("carol", "pw3")
    assert (tmp_path / "one.in").read_text() == "reg.example:5000"
    assert config.credentials("other.example") == RegistryCredentials("dan", "pw4")


def test_creds_store_token_and_not_found(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _helper(
        tmp_path,
        "store",
        "\n".join(
            [
                f'server=$(cat "{tmp_path}/store.in")',
                'case "$server" in',
                """  token.example) printf '{"Username":"<token>","Secret":"idtok"}' ;;""",
                '  *) echo "credentials not found in native keychain"; exit 1 ;;',
                "esac",
            ]
        ),
    )
    # With a store, `auths` entries hold no secrets (docker login writes empty ones).
    config = _config(tmp_path, {"credsStore": "store", "auths": {"nope.example": {"auth": _auth("x", "y")}}})
    assert config.credentials("token.example") == RegistryCredentials(identity_token="idtok")
    with caplog.at_level(logging.WARNING, logger="buildwright"):
        assert config.credentials("nope.example") is None
    assert caplog.records == []  # "not found" is an ordinary answer, not a warning


def test_failing_or_missing_helper_is_anonymous_and_logged_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _helper(tmp_path, "broken", f"echo '{CANARY}'; exit 3")
    config = _config(tmp_path, {"credHelpers": {"a.example": "broken", "b.example": "absent"}})
    with caplog.at_level(logging.WARNING, logger="buildwright"):
        assert config.credentials("a.example") is None
        assert config.credentials("b.example") is None
    assert len(caplog.records) == 2
    first, second = (str(record.getMessage()) for record in caplog.records)
    assert "credential_helper_failed" in first and "docker-credential-broken" in first
    assert "credential_helper_missing" in second and "docker-credential-absent" in second
    assert CANARY not in caplog.text


def test_helper_runs_with_the_given_environment(tmp_path: Path) -> None:
    _helper(tmp_path, "envy", """printf '{"Username":"u","Secret":"%s"}' "$BW_SECRET_FOR_TEST" """)
    config = _config(tmp_path, {"credsStore": "envy"}, BW_SECRET_FOR_TEST="from-env")
    assert "BW_SECRET_FOR_TEST" not in os.environ
    assert config.credentials("x.example") == RegistryCredentials("u", "from-env")
