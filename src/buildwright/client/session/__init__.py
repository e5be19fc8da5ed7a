"""Session services the daemon calls back into: context upload, health, auth, secrets, SSH agents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildwright._lazy import lazy_exports

if TYPE_CHECKING:
    from buildwright.client.session.attachable import Attachable
    from buildwright.client.session.auth import AnonymousAuthAttachable, AuthAttachable, CredentialSource
    from buildwright.client.session.filesync import FileSyncAttachable
    from buildwright.client.session.fswalk import FilterSpec, PathMatcher, walk
    from buildwright.client.session.health import HealthAttachable
    from buildwright.client.session.secrets import SecretsAttachable, SecretSource, SecretValue
    from buildwright.client.session.session import Session
    from buildwright.client.session.ssh import SSHAgentAttachable, SSHAgentSpec

# Imported on first use (see buildwright/_lazy.py): a build loads the services it attaches, and
# the secrets and SSH agent services only when it has secrets or agents to serve.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "buildwright.client.session.attachable": ("Attachable",),
        "buildwright.client.session.auth": ("AnonymousAuthAttachable", "AuthAttachable", "CredentialSource"),
        "buildwright.client.session.filesync": ("FileSyncAttachable",),
        "buildwright.client.session.fswalk": ("FilterSpec", "PathMatcher", "walk"),
        "buildwright.client.session.health": ("HealthAttachable",),
        "buildwright.client.session.secrets": ("SecretSource", "SecretValue", "SecretsAttachable"),
        "buildwright.client.session.session": ("Session",),
        "buildwright.client.session.ssh": ("SSHAgentAttachable", "SSHAgentSpec"),
    },
)

__all__ = [
    "AnonymousAuthAttachable",
    "Attachable",
    "AuthAttachable",
    "CredentialSource",
    "FileSyncAttachable",
    "FilterSpec",
    "HealthAttachable",
    "PathMatcher",
    "SSHAgentAttachable",
    "SSHAgentSpec",
    "SecretSource",
    "SecretValue",
    "SecretsAttachable",
    "Session",
    "walk",
]
