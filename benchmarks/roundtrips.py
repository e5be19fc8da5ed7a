"""Counts the gRPC calls one buildwright build makes, in order: `python -m benchmarks.roundtrips BUILD-ARGS...`.

Every channel the client opens is wrapped in an interceptor that records each call's method and
how long it took to answer, so the no-op path can be compared with buildx's call by call.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import grpc


class _Recorder(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []
        self._started = time.perf_counter()

    def _note(self, details: Any) -> None:
        self.calls.append((time.perf_counter() - self._started, details.method))

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        self._note(details)
        return continuation(details, request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        self._note(details)
        return continuation(details, request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        self._note(details)
        return continuation(details, requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        self._note(details)
        return continuation(details, requests)


def main() -> int:
    from buildwright.cli.app import main as cli
    from buildwright.client import transport

    recorder = _Recorder()
    for kind in (transport.DirectTransport, transport.DockerRelayTransport):
        original = kind.channel

        def channel(self: Any, _original: Any = original) -> grpc.Channel:
            return grpc.intercept_channel(_original(self), recorder)

        kind.channel = channel  # type: ignore[method-assign]
    sys.argv = ["buildwright", *sys.argv[1:]]
    code = 0
    try:
        cli()
    except SystemExit as exit:
        code = int(exit.code or 0)
    print(f"{len(recorder.calls)} gRPC calls:", file=sys.stderr)
    for at, method in recorder.calls:
        print(f"  {at:7.3f} s  {method}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
