"""Platforms (os/architecture/variant) as BuildKit and the OCI image spec name them."""

from __future__ import annotations

from dataclasses import dataclass

from buildwright.errors import BuildConfigError

# Aliases normalised the way containerd's platforms package does, so `linux/x86_64` and
# `linux/amd64` are the same platform (and give the same LLB).
_ARCH_ALIASES = {
    "x86_64": ("amd64", ""),
    "x86-64": ("amd64", ""),
    "aarch64": ("arm64", ""),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
    "i386": ("386", ""),
}


@dataclass(frozen=True, slots=True, order=True)
class Platform:
    """A target platform such as linux/amd64 or linux/arm/v7."""

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse `os/arch[/variant]`, normalising aliases (`x86_64` -> `amd64`, `arm64/v8` -> `arm64`)."""
        parts = [p.strip().lower() for p in text.strip().split("/")]
        if len(parts) < 2 or len(parts) > 3 or not all(parts):
            raise BuildConfigError(f"invalid platform {text!r}: expected os/arch[/variant]")
        os_name, arch = parts[0], parts[1]
        variant = parts[2] if len(parts) == 3 else ""
        if arch in _ARCH_ALIASES:
            arch, alias_variant = _ARCH_ALIASES[arch]
            variant = variant or alias_variant
        if arch == "arm64" and variant == "v8":
            variant = ""
        if arch == "arm" and not variant:
            variant = "v7"
        if arch == "amd64" and variant == "v1":
            variant = ""
        return cls(os_name, arch, variant)

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text

    def normalized(self) -> Platform:
        """The same platform with aliases normalised (containerd's `platforms.Normalize`)."""
        if not self.os or not self.architecture:
            return self
        parsed = Platform.parse(str(self))
        return Platform(parsed.os, parsed.architecture, parsed.variant, self.os_version)


# Go's GOARCH names for what Python's `platform.machine()` reports on common hosts.
_MACHINE_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm/v7",
    "armv6l": "arm/v6",
    "i386": "386",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def default_platform() -> Platform:
    """The platform of this machine, used when a marshal call names none (Go `platforms.DefaultSpec`)."""
    import platform as _host

    machine = _host.machine().lower()
    return Platform.parse(f"linux/{_MACHINE_ARCH.get(machine, machine or 'amd64')}")
