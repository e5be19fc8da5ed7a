"""The image config a stage builds up: a frozen value, read from and written to the JSON the engine takes.

The engine's exporter re-encodes the top level of the config it is given but keeps the nested
`config` object byte for byte, so `to_json` writes fields in the order (and with the escaping) of
the reference implementation's Go structs; that is what makes equal builds give equal image digests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from buildwright._frozen import replace
from buildwright._values import valueclass
from buildwright.llb.platform import Platform

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HISTORY_COMMENT = "buildkit.dockerfile.v0"


@valueclass
class Healthcheck:
    """HEALTHCHECK settings; durations in nanoseconds, 0 meaning "inherit the engine default"."""

    test: tuple[str, ...] = ()
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


@valueclass
class HistoryEntry:
    """One entry of the image history."""

    created_by: str
    comment: str = HISTORY_COMMENT
    empty_layer: bool = False
    created: str | None = None
    author: str = ""


@valueclass
class ContainerConfig:
    """The `config` object of an image: how a container of it runs."""

    user: str = ""
    exposed_ports: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    volumes: tuple[str, ...] = ()
    working_dir: str = ""
    labels: tuple[tuple[str, str], ...] | None = None
    stop_signal: str = ""
    args_escaped: bool = False
    healthcheck: Healthcheck | None = None
    on_build: tuple[str, ...] = ()
    shell: tuple[str, ...] = ()

    def env_value(self, key: str) -> str | None:
        """The value of `key` in Env, or None when unset."""
        for item in self.env:
            name, _, value = item.partition("=")
            if name == key:
                return value
        return None

    def with_env(self, key: str, value: str) -> ContainerConfig:
        """Set `key` in Env: replaced in place when present, appended otherwise."""
        entry = f"{key}={value}"
        for index, item in enumerate(self.env):
            if item.partition("=")[0] == key:
                return replace(self, env=(*self.env[:index], entry, *self.env[index + 1 :]))
        return replace(self, env=(*self.env, entry))

    def with_labels(self, pairs: Sequence[tuple[str, str]]) -> ContainerConfig:
        """Set labels, later values winning."""
        merged = dict(self.labels or ())
        for key, value in pairs:
            merged[key] = value
        return replace(self, labels=tuple(merged.items()))


@valueclass
class ImageConfig:
    """An OCI image config with Docker's extensions, as the Dockerfile frontend manipulates it."""

    architecture: str = ""
    os: str = ""
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = ()
    author: str = ""
    config: ContainerConfig = field(default_factory=ContainerConfig)
    diff_ids: tuple[str, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    # Only a base image's config keeps its creation time; a stage's config drops it, as the reference does.
    created: str | None = None

    @property
    def platform(self) -> Platform:
        return Platform(self.os, self.architecture, self.variant, self.os_version)

    @classmethod
    def empty(cls, platform: Platform) -> ImageConfig:
        """The config of `FROM scratch`: the platform, `/` as working dir and the default PATH."""
        env = () if platform.os == "windows" else (f"PATH={DEFAULT_PATH}",)
        return cls(
            architecture=platform.architecture,
            os=platform.os,
            variant=platform.variant,
            os_version=platform.os_version,
            config=ContainerConfig(env=env, working_dir="/"),
        )

    @classmethod
    def from_json(cls, data: bytes) -> ImageConfig:
        """Decode a base image's config; fields the reference does not model are dropped, as it does."""
        raw = json.loads(data or b"{}")
        if not isinstance(raw, dict):
            raise ValueError("image config is not a JSON object")
        cfg = raw.get("config") or {}
        health = cfg.get("Healthcheck")
        rootfs = raw.get("rootfs") or {}
        return cls(
            architecture=raw.get("architecture", ""),
            os=raw.get("os", ""),
            variant=raw.get("variant", ""),
            os_version=raw.get("os.version", ""),
            os_features=tuple(raw.get("os.features") or ()),
            created=raw.get("created"),
            author=raw.get("author", ""),
            config=ContainerConfig(
                user=cfg.get("User", ""),
                exposed_ports=tuple(sorted(cfg.get("ExposedPorts") or {})),
                env=tuple(cfg.get("Env") or ()),
                entrypoint=_optional_tuple(cfg.get("Entrypoint")),
                cmd=_optional_tuple(cfg.get("Cmd")),
                volumes=tuple(sorted(cfg.get("Volumes") or {})),
                working_dir=cfg.get("WorkingDir", ""),
                labels=None if cfg.get("Labels") is None else tuple(cfg["Labels"].items()),
                stop_signal=cfg.get("StopSignal", ""),
                args_escaped=bool(cfg.get("ArgsEscaped", False)),
                healthcheck=None
                if health is None
                else Healthcheck(
                    test=tuple(health.get("Test") or ()),
                    interval=int(health.get("Interval", 0)),
                    timeout=int(health.get("Timeout", 0)),
                    start_period=int(health.get("StartPeriod", 0)),
                    start_interval=int(health.get("StartInterval", 0)),
                    retries=int(health.get("Retries", 0)),
                ),
                on_build=tuple(cfg.get("OnBuild") or ()),
                shell=tuple(cfg.get("Shell") or ()),
            ),
            diff_ids=tuple(rootfs.get("diff_ids") or ()),
            history=tuple(
                HistoryEntry(
                    created_by=h.get("created_by", ""),
                    comment=h.get("comment", ""),
                    empty_layer=bool(h.get("empty_layer", False)),
                    created=h.get("created"),
                    author=h.get("author", ""),
                )
                for h in raw.get("history") or ()
            ),
        )

    def with_history(
        self, created_by: str, *, empty_layer: bool, created: str | None = None, config: ContainerConfig | None = None
    ) -> ImageConfig:
        """Append one history entry, as each Dockerfile instruction does, and set the container
        config the instruction made, if any, in the same copy."""
        entry = HistoryEntry(created_by=created_by, empty_layer=empty_layer, created=created)
        if config is None:
            return replace(self, history=(*self.history, entry))
        return replace(self, history=(*self.history, entry), config=config)

    def to_dict(self) -> dict[str, Any]:
        """The config as ordered JSON-ready data, in the reference's field order with its omissions."""
        out: dict[str, Any] = {}
        _put(out, "created", self.created)
        _put(out, "author", self.author)
        out["architecture"] = self.architecture
        out["os"] = self.os
        _put(out, "os.version", self.os_version)
        _put(out, "os.features", list(self.os_features))
        _put(out, "variant", self.variant)
        out["config"] = _container_config_dict(self.config)
        out["rootfs"] = {"type": "layers", "diff_ids": list(self.diff_ids)}
        history = [_history_dict(h) for h in self.history]
        if history:
            out["history"] = history
        return out

    def to_json(self) -> bytes:
        return go_json(self.to_dict())


def _container_config_dict(cfg: ContainerConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "User", cfg.user)
    if cfg.exposed_ports:
        out["ExposedPorts"] = {port: {} for port in sorted(cfg.exposed_ports)}
    _put(out, "Env", list(cfg.env))
    if cfg.entrypoint:
        out["Entrypoint"] = list(cfg.entrypoint)
    if cfg.cmd:
        out["Cmd"] = list(cfg.cmd)
    if cfg.volumes:
        out["Volumes"] = {volume: {} for volume in sorted(cfg.volumes)}
    _put(out, "WorkingDir", cfg.working_dir)
    if cfg.labels:
        out["Labels"] = dict(sorted(cfg.labels))
    _put(out, "StopSignal", cfg.stop_signal)
    if cfg.args_escaped:
        out["ArgsEscaped"] = True
    if cfg.healthcheck is not None:
        health: dict[str, Any] = {}
        _put(health, "Test", list(cfg.healthcheck.test))
        _put(health, "Interval", cfg.healthcheck.interval)
        _put(health, "Timeout", cfg.healthcheck.timeout)
        _put(health, "StartPeriod", cfg.healthcheck.start_period)
        _put(health, "StartInterval", cfg.healthcheck.start_interval)
        _put(health, "Retries", cfg.healthcheck.retries)
        out["Healthcheck"] = health
    _put(out, "OnBuild", list(cfg.on_build))
    _put(out, "Shell", list(cfg.shell))
    return out


def _history_dict(entry: HistoryEntry) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "created", entry.created)
    _put(out, "created_by", entry.created_by)
    _put(out, "author", entry.author)
    _put(out, "comment", entry.comment)
    if entry.empty_layer:
        out["empty_layer"] = True
    return out


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    # Go's `omitempty`: zero values are left out.
    if value:
        out[key] = value


def _optional_tuple(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def go_json(value: Mapping[str, Any] | Sequence[Any]) -> bytes:
    """Encode like Go's encoding/json: compact, UTF-8, with <, > and & escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Go coerces strings to valid UTF-8: each byte that is not (a surrogate escape here) -> U+FFFD.
    text = _SURROGATE.sub("\ufffd", text)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode()
