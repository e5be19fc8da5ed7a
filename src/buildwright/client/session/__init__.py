"""Session services the daemon calls back into: context upload, health, auth, secrets, SSH agents."""

from buildwright.client.session.attachable import Attachable
from buildwright.client.session.auth import AnonymousAuthAttachable, AuthAttachable, CredentialSource
from buildwright.client.session.filesync import FileSyncAttachable
from buildwright.client.session.fswalk import FilterSpec, PathMatcher, walk
from buildwright.client.session.health import HealthAttachable
from buildwright.client.session.secrets import SecretsAttachable, SecretSource, SecretValue
from buildwright.client.session.session import Session
from buildwright.client.session.ssh import SSHAgentAttachable, SSHAgentSpec

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
