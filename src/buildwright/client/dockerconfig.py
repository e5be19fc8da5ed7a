"""Registry credentials from the docker CLI's config file, as `docker login` leaves them.

The file is `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`). A registry's
credentials come from its entry in `credHelpers` (a `docker-credential-<name>` program), else
the `credsStore` program, else its `auths` entry (`auth` is base64 `user:password`;
`identitytoken` replaces the password). Lookups follow the docker CLI: Docker Hub's hosts map to
the `https://index.docker.io/v1/` key, and `auths` keys match by host name whatever their
scheme or path. A failing helper counts as "no credentials" (the CLI ignores its errors too);
it is logged, without any secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from buildwright._log import get_logger
from buildwright._values import valueclass
from buildwright.errors import BuildConfigError

_log = get_logger(__name__)

# The key `docker login` writes for Docker Hub, and the hosts that mean Docker Hub.
DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_DOCKER_HUB_HOSTS = frozenset({"registry-1.docker.io", "docker.io", "index.docker.io"})
# A helper answering this user name holds an identity token, not a password (docker-credential-helpers).
_TOKEN_USERNAME = "<token>"
_HELPER_PREFIX = "docker-credential-"
_HELPER_TIMEOUT = 60.0


@valueclass
class RegistryCredentials:
    """A user name and password, or an identity token; the secret never shows in a repr."""

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)

    def __repr__(self) -> str:
        kind = "identity_token" if self.identity_token else "password"
        return f"RegistryCredentials(username={self.username!r}, {kind}=***)"

    @property
    def empty(self) -> bool:
        return not (self.identity_token or self.password)


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$DOCKER_CONFIG`, else `~/.docker` (HOME from `env` when it has one)."""
    source = os.environ if env is None else env
    if source.get("DOCKER_CONFIG"):
        return Path(source["DOCKER_CONFIG"])
    home = source.get("HOME")
    return (Path(home) if home else Path.home()) / ".docker"


def registry_key(host: str) -> str:
    """The config key for a registry host as the engine names it (`registry-1.docker.io` -> Hub's key)."""
    return DOCKER_HUB_KEY if host in _DOCKER_HUB_HOSTS else host


def hostname_of(key: str) -> str:
    """A config key's host: `https://reg.example:5000/v1/` -> `reg.example:5000` (the CLI's rule)."""
    stripped = key
    for scheme in ("http://", "https://"):
        if stripped.startswith(scheme):
            stripped = stripped[len(scheme) :]
            break
    return stripped.split("/", 1)[0]


@valueclass
class DockerConfig:
    """The credential parts of one docker config file, with the environment helpers run in."""

    path: Path | None = None
    auths: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    creds_store: str = ""
    cred_helpers: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> DockerConfig:
        """Read `config.json` from the config directory; a missing file means no credentials.

        Raises:
            BuildConfigError: the file exists but is not a JSON object of the expected shape.
        """
        path = config_dir(env) / "config.json"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path=None, env=env)
        except (OSError, UnicodeDecodeError) as exc:
            raise BuildConfigError(f"failed to read docker config {path}: {exc}") from exc
        return cls.parse(text, path=path, env=env)

    @classmethod
    def parse(cls, text: str, *, path: Path | None = None, env: Mapping[str, str] | None = None) -> DockerConfig:
        """The credential parts of a config file's text (an empty text is an empty config)."""
        where = str(path) if path is not None else "docker config"
        if not text.strip():
            return cls(path=path, env=env)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BuildConfigError(f"failed to read docker config {where}: {exc}") from exc
        if not isinstance(data, dict):
            raise BuildConfigError(f"failed to read docker config {where}: not a JSON object")
        auths = data.get("auths") or {}
        helpers = data.get("credHelpers") or {}
        store = data.get("credsStore") or ""
        if not isinstance(auths, dict) or not all(isinstance(v, dict) for v in auths.values()):
            raise BuildConfigError(f"failed to read docker config {where}: `auths` must map registries to objects")
        if not isinstance(helpers, dict) or not all(isinstance(v, str) for v in helpers.values()):
            raise BuildConfigError(f"failed to read docker config {where}: `credHelpers` must map registries to names")
        if not isinstance(store, str):
            raise BuildConfigError(f"failed to read docker config {where}: `credsStore` must be a name")
        return cls(path=path, auths=auths, creds_store=store, cred_helpers=helpers, env=env)

    def credentials(self, host: str) -> RegistryCredentials | None:
        """The credentials for registry `host` (as the engine names it), or None for anonymous access."""
        key = registry_key(host)
        helper = self.cred_helpers.get(key) or self.creds_store
        if helper:
            # As in the CLI, a configured helper is the only source (`auths` then holds no secrets).
            found = self._from_helper(helper, key)
            return None if found is None or found.empty else found
        return self._from_auths(key)

    def _from_auths(self, key: str) -> RegistryCredentials | None:
        entry = self.auths.get(key)
        if entry is None:
            wanted = hostname_of(key)
            entry = next((v for k, v in self.auths.items() if hostname_of(k) == wanted), None)
        if entry is None:
            return None
        username = str(entry.get("username") or "")
        password = str(entry.get("password") or "")
        encoded = entry.get("auth")
        if encoded:
            try:
                decoded = base64.b64decode(str(encoded), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise BuildConfigError(f"failed to read docker config {self.path}: invalid `auth` for {key}") from None
            user, sep, secret = decoded.partition(":")
            if not sep:
                raise BuildConfigError(f"failed to read docker config {self.path}: invalid `auth` for {key}")
            username, password = user, secret
        credentials = RegistryCredentials(username, password, str(entry.get("identitytoken") or ""))
        return None if credentials.empty else credentials

    def _from_helper(self, name: str, key: str) -> RegistryCredentials | None:
        program = _HELPER_PREFIX + name
        env = dict(os.environ if self.env is None else self.env)
        path = shutil.which(program, path=env.get("PATH"))
        if path is None:
            _log.warning("credential_helper_missing", helper=program, registry=key)
            return None
        try:
            done = subprocess.run(
                [path, "get"],
                input=key.encode(),
                capture_output=True,
                env=env,
                timeout=_HELPER_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            _log.warning("credential_helper_failed", helper=program, registry=key, error=type(exc).__name__)
            return None
        if done.returncode != 0:
            # "credentials not found" is the ordinary answer for a registry the helper does not hold;
            # other failures are reported by kind only: a helper's output could carry a secret.
            if b"credentials not found" not in done.stdout.lower():
                _log.warning("credential_helper_failed", helper=program, registry=key, exit_code=done.returncode)
            return None
        try:
            answer = json.loads(done.stdout)
        except (json.JSONDecodeError, UnicodeDecodeError):
            _log.warning("credential_helper_failed", helper=program, registry=key, error="output is not JSON")
            return None
        if not isinstance(answer, dict):
            _log.warning("credential_helper_failed", helper=program, registry=key, error="output is not an object")
            return None
        username = str(answer.get("Username") or "")
        secret = str(answer.get("Secret") or "")
        if username == _TOKEN_USERNAME:
            return RegistryCredentials(identity_token=secret)
        return RegistryCredentials(username, secret)
