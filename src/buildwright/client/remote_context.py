"""Build contexts the engine fetches: a git repository, an HTTP(S) download (a tarball or a lone
Dockerfile), or a tar archive sent from stdin through the session.

The client only names the source; the engine fetches it (an LLB git or http source op). As the
reference frontend (`frontend/dockerui`, `initContext`): the source is solved once through the
gateway, the Dockerfile is read out of its result, and the source state itself is the build
context, with no .dockerignore and nothing narrowed. A download whose first bytes are an archive
(tar, gzip, bzip2, xz) is unpacked into an empty filesystem; anything else is the Dockerfile.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Callable
from enum import Enum

from buildwright import llb
from buildwright._values import valueclass
from buildwright.client.events import BuildEvent, VertexCached, VertexCompleted, VertexQueued, VertexStarted
from buildwright.client.gateway import GatewayError
from buildwright.client.solve import GatewayContext, SolvedFiles
from buildwright.errors import BuildConfigError
from buildwright.frontend.gitref import parse_git_ref
from buildwright.frontend.http_source import has_http_scheme
from buildwright.llb.platform import Platform

# The name the reference gives a downloaded context, and how much of it decides tar or Dockerfile.
_DOWNLOAD_NAME = "context"
_HEADER_BYTES = 1024
_COMPRESSED_MAGIC = (b"BZh", b"\x1f\x8b\x08", b"\xfd7zXZ\x00")
# The engine's BuildKit fetches session uploads under this host (session/upload/uploadprovider).
UPLOAD_URL_PREFIX = "http://buildkit-session/"
DEFAULT_DOCKERFILE = "Dockerfile"


class RemoteKind(Enum):
    GIT = "git"
    HTTP = "http"


@valueclass
class RemoteContext:
    """A context the engine fetches: `url` as given, and the source op's state.

    `label` names it in messages (a stdin upload's URL means nothing to the user).
    """

    url: str
    kind: RemoteKind
    state: llb.State
    label: str = ""


@valueclass
class LoadedContext:
    """A fetched context: the state the build reads as its context, and the Dockerfile in it."""

    state: llb.State
    dockerfile: bytes
    filename: str


def is_remote_url(context: str) -> bool:
    """buildx's test for a context that is no local directory: an http(s) URL or a git reference."""
    return has_http_scheme(context) or parse_git_ref(context).is_git


def remote_context(url: str, *, keep_git_dir: bool = False) -> RemoteContext:
    """The source op the reference frontend makes for `url`; raises BuildConfigError when it is neither."""
    parsed = parse_git_ref(url)
    if parsed.is_git:
        if parsed.error is not None or parsed.ref is None:
            raise BuildConfigError(f"invalid git context {url}: {parsed.error}")
        ref = parsed.ref
        state = llb.git(
            ref.remote,
            "",
            ref=ref.ref,
            subdir=ref.subdir or None,
            keep_git_dir=bool(ref.keep_git_dir) or keep_git_dir,
            checksum=ref.checksum or None,
            skip_submodules=ref.submodules is False,
            custom_name=f"[internal] load git source {url}",
        )
        return RemoteContext(url, RemoteKind.GIT, state)
    if has_http_scheme(url):
        return _download(url, f"remote build context {url}")
    raise BuildConfigError(f'unable to prepare context: path "{url}" not found')


def upload_context(upload_id: str) -> RemoteContext:
    """A tar archive the client sends through the session (`-` as the context): buildx names it
    by a session URL the engine's http source pulls from the client's Upload service."""
    return _download(UPLOAD_URL_PREFIX + upload_id, "the build context from stdin")


def _download(url: str, label: str) -> RemoteContext:
    state = llb.http(url, filename=_DOWNLOAD_NAME, custom_name="[internal] load remote build context")
    return RemoteContext(url, RemoteKind.HTTP, state, label)


def is_archive(header: bytes) -> bool:
    """Whether `header` (the first bytes of a stream) starts an archive, by buildx's and the
    reference's rule: a compression magic number, or a tar header that reads."""
    if any(header.startswith(magic) for magic in _COMPRESSED_MAGIC):
        return True
    try:
        with tarfile.open(fileobj=io.BytesIO(header), mode="r:") as archive:
            return archive.next() is not None or bool(archive.getmembers())
    except (tarfile.TarError, EOFError, ValueError):
        return False


def load_context(
    remote: RemoteContext,
    gateway: GatewayContext,
    *,
    filename: str | None,
    platform: Platform,
) -> LoadedContext:
    """Fetch `remote` on the engine and read its Dockerfile (`filename` inside it, default
    `Dockerfile`, or `dockerfile`); with `filename` None the Dockerfile comes from elsewhere and
    is not read (`dockerfile` is then empty)."""
    if gateway.solve_source is None:
        raise BuildConfigError("this engine connection cannot fetch remote build contexts")
    what = remote.label or f"git source {remote.url}"
    caps = gateway.llb_caps or None
    try:
        files = gateway.solve_source(remote.state.marshal(platform=platform, caps=caps).to_pb())
        state = remote.state
        if remote.kind is RemoteKind.HTTP:
            if is_archive(files.read(_DOWNLOAD_NAME, _HEADER_BYTES)):
                unpack = llb.copy(remote.state, f"/{_DOWNLOAD_NAME}", "/", llb.CopyOptions(attempt_unpack=True))
                state = llb.scratch().file(unpack)
                if filename is not None:
                    files = gateway.solve_source(state.marshal(platform=platform, caps=caps).to_pb())
            elif filename is not None:
                # Not an archive: the download is the Dockerfile (the reference names it `context`).
                filename = _DOWNLOAD_NAME
    except GatewayError as exc:
        raise BuildConfigError(f"failed to load {what}: {_one_line(exc.details or exc.message)}") from exc
    if filename is None:
        return LoadedContext(state, b"", DEFAULT_DOCKERFILE)
    return LoadedContext(state, _read_dockerfile(files, filename), filename)


def _read_dockerfile(files: SolvedFiles, filename: str) -> bytes:
    candidates = [filename]
    if posixpath.basename(filename) == DEFAULT_DOCKERFILE:
        # The reference also accepts the lower-case name (moby/moby#10858).
        candidates.append(posixpath.join(posixpath.dirname(filename), DEFAULT_DOCKERFILE.lower()))
    first_error = ""
    for candidate in candidates:
        try:
            return files.read(candidate)
        except GatewayError as exc:
            first_error = first_error or _one_line(exc.details or exc.message)
            continue
    raise BuildConfigError(f"failed to read dockerfile: {first_error}")


def _one_line(text: str) -> str:
    # The engine's git errors quote git's stderr, several lines long.
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


# The names of the steps that fetch a remote context.
_LOAD_NAMES = ("[internal] load git source ", "[internal] load remote build context")


def report_fetch_once(on_event: Callable[[BuildEvent], None]) -> Callable[[BuildEvent], None]:
    """`on_event` without the second report of a remote context's fetch.

    The context is solved once to read its Dockerfile and is then the build's input, where the
    engine reports the same step again as cached; buildx's frontend does both in one solve, so
    its progress shows the step once. The repeat is dropped, nothing else.
    """
    completed: set[str] = set()

    def forward(event: BuildEvent) -> None:
        if isinstance(event, (VertexCompleted, VertexCached)) and event.name.startswith(_LOAD_NAMES):
            if event.digest in completed:
                return
            completed.add(event.digest)
        elif isinstance(event, (VertexQueued, VertexStarted)) and event.digest in completed:
            return
        on_event(event)

    return forward
