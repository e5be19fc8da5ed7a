"""The one place where foreign errors (grpc.RpcError, OSError) become buildwright errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from buildwright.errors import BuildwrightError, EngineError, EngineUnavailableError


def rpc_code(exc: BaseException) -> grpc.StatusCode | None:
    """The status code of a grpc error, or None for anything else."""
    if isinstance(exc, grpc.RpcError):
        code = exc.code() if callable(getattr(exc, "code", None)) else None
        return code if isinstance(code, grpc.StatusCode) else None
    return None


def rpc_details(exc: BaseException) -> str:
    """The server's error text of a grpc error (or str(exc))."""
    if isinstance(exc, grpc.RpcError) and callable(getattr(exc, "details", None)):
        details = exc.details()
        if isinstance(details, str) and details:
            return details
    return str(exc)


@contextmanager
def engine_errors(what: str, endpoint: str = "") -> Iterator[None]:
    """Map grpc/OS failures inside the block to EngineError subclasses.

    Args:
        what: what was being done ("list workers"), for the message.
        endpoint: the engine address, for the message.
    """
    where = f" on {endpoint}" if endpoint else ""
    try:
        yield
    except BuildwrightError:
        raise
    except grpc.RpcError as exc:
        code = rpc_code(exc)
        message = f"{what}{where} failed: {rpc_details(exc)}"
        if code is grpc.StatusCode.UNAVAILABLE:
            raise EngineUnavailableError(message, [(endpoint, rpc_details(exc))]) from exc
        raise EngineError(message) from exc
    except OSError as exc:
        raise EngineError(f"{what}{where} failed: {exc}") from exc
