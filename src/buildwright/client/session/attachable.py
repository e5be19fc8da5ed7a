"""The seam for session services: each attachable adds its gRPC methods to the session's router."""

from __future__ import annotations

from typing import Protocol

from buildwright.client.session.h2server import Router


class Attachable(Protocol):
    """A service the client offers the daemon over the session tunnel."""

    def register(self, router: Router) -> None:
        """Add its method handlers; every registered path is advertised in the session headers."""
        ...
