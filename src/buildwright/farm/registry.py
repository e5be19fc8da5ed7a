"""A small registry client: what merging per-node results needs (read a manifest, put one).

The distribution API over stdlib HTTP: `GET`/`PUT /v2/<repo>/manifests/<ref>`, with the docker
config's credentials as basic auth or exchanged for a bearer token when the registry asks
(`WWW-Authenticate: Bearer realm=...,service=...,scope=...`). Plain HTTP is used for loopback
registries and for outputs marked `registry.insecure=true`, as BuildKit's resolver does.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from buildwright._values import valueclass
from buildwright.client.dockerconfig import DockerConfig, RegistryCredentials
from buildwright.errors import OutputError

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_DOCKER_HUB = "docker.io"
_DOCKER_HUB_API = "registry-1.docker.io"
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
_CHALLENGE_FIELD = re.compile(r'(\w+)="([^"]*)"')
_TIMEOUT = 60.0


@valueclass
class Reference:
    """`host/repository[:tag]`, Docker Hub names expanded (`app` is docker.io/library/app)."""

    host: str
    repository: str
    tag: str = "latest"

    @classmethod
    def parse(cls, name: str) -> Reference:
        text = name.strip()
        if "@" in text:
            raise OutputError(f"cannot push the merged index to {name!r}: give a tag, not a digest")
        first, sep, rest = text.partition("/")
        if sep and ("." in first or ":" in first or first == "localhost"):
            host, path = first, rest
        else:
            host, path = _DOCKER_HUB, text
        if host == _DOCKER_HUB and "/" not in path:
            path = "library/" + path
        repository, tag = path, "latest"
        if ":" in path.rsplit("/", 1)[-1]:
            repository, _, tag = path.rpartition(":")
        if not repository:
            raise OutputError(f"invalid image name {name!r}")
        return cls(host, repository, tag)

    @property
    def api_host(self) -> str:
        return _DOCKER_HUB_API if self.host == _DOCKER_HUB else self.host


class RegistryClient:
    """Manifests of one registry host; credentials from the docker config, a token kept per scope."""

    def __init__(self, host: str, config: DockerConfig | None, *, insecure: bool = False) -> None:
        self._host = host
        self._config = config
        plain = insecure or any(host == h or host.startswith(h + ":") for h in _LOOPBACK)
        self._scheme = "http" if plain else "https"
        self._tokens: dict[str, str] = {}

    def get_manifest(self, repository: str, reference: str) -> tuple[bytes, str]:
        """The manifest bytes and media type of `repository@reference`."""
        body, headers = self._call("GET", repository, reference, accept=", ".join(MANIFEST_TYPES))
        return body, headers.get("Content-Type", "").split(";")[0].strip()

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> None:
        self._call("PUT", repository, reference, body=body, content_type=media_type, push=True)

    def _credentials(self) -> RegistryCredentials | None:
        return self._config.credentials(self._host) if self._config is not None else None

    def _call(
        self,
        method: str,
        repository: str,
        reference: str,
        *,
        accept: str = "",
        body: bytes | None = None,
        content_type: str = "",
        push: bool = False,
    ) -> tuple[bytes, dict[str, str]]:
        url = f"{self._scheme}://{self._host}/v2/{repository}/manifests/{reference}"
        scope = f"repository:{repository}:{'pull,push' if push else 'pull'}"
        for attempt in range(2):
            request = urllib.request.Request(url, data=body, method=method)
            if accept:
                request.add_header("Accept", accept)
            if content_type:
                request.add_header("Content-Type", content_type)
            if scope in self._tokens:
                request.add_header("Authorization", self._tokens[scope])
            try:
                with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:
                    return answer.read(), {k: v for k, v in answer.headers.items()}
            except urllib.error.HTTPError as exc:
                challenge = exc.headers.get("WWW-Authenticate", "")
                if exc.code == 401 and attempt == 0 and challenge:
                    self._tokens[scope] = self._authorize(challenge, scope)
                    continue
                detail = exc.read()[:300].decode("utf-8", "replace").strip()
                raise OutputError(f"{method} {url}: HTTP {exc.code} {detail}") from None
            except OSError as exc:
                raise OutputError(f"{method} {url}: {exc}") from None
        raise OutputError(f"{method} {url}: the registry refused the credentials")

    def _authorize(self, challenge: str, scope: str) -> str:
        """The Authorization header answering a 401 challenge (basic, or a bearer token fetched)."""
        creds = self._credentials()
        basic = ""
        if creds is not None and creds.password:
            basic = "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
        kind, _, params = challenge.partition(" ")
        if kind.lower() == "basic":
            if not basic:
                raise OutputError(f"registry {self._host} wants credentials; none in the docker config")
            return basic
        fields = dict(_CHALLENGE_FIELD.findall(params))
        realm = fields.get("realm")
        if not realm:
            raise OutputError(f"registry {self._host}: unsupported authentication challenge {challenge!r}")
        query = {"service": fields.get("service", ""), "scope": scope}
        request = urllib.request.Request(f"{realm}?{urllib.parse.urlencode(query)}")
        if basic:
            request.add_header("Authorization", basic)
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:
                data = json.loads(answer.read())
        except (OSError, ValueError) as exc:
            raise OutputError(f"registry {self._host}: token request to {realm} failed: {exc}") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise OutputError(f"registry {self._host}: the token service {realm} gave no token")
        return "Bearer " + token
