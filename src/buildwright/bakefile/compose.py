"""The `build:` sections of compose files as bake targets, mapped as buildx's compose.go maps them.

Each service with a `build` becomes a target named after the service (dots become underscores), all
of them in the `default` group. Values are interpolated from the environment (and a `.env` file in
the working directory) first, as compose does: `${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`,
`${VAR:?error}`, `${VAR:+alt}`, `$$`. The `x-bake` extension adds the fields compose lacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from buildwright._gopath import clean
from buildwright._units import ram_in_bytes
from buildwright.bakefile.decode import GroupSpec
from buildwright.bakefile.entries import (
    Attest,
    EntryError,
    ExportEntry,
    Secret,
    SSHKey,
    dedupe_by_id,
    parse_cache_entries,
    parse_go_bool,
)
from buildwright.bakefile.resolve import Config
from buildwright.bakefile.target import TargetSpec, merge_equal, merge_exports

_LABEL = re.compile(r"^[a-zA-Z0-9_-]+$")
_VAR = re.compile(r"\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class ComposeError(ValueError):
    """A compose file buildx refuses; the message says why."""


class _Loader(yaml.SafeLoader):
    """YAML 1.2-ish scalars: compose reads `on`/`off`/`yes`/`no` as strings, not booleans."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ComposeError(str(exc).replace("\n", " ")) from None


def is_compose(text: str, env: Mapping[str, str]) -> bool:
    """Whether a file of no known extension reads as a compose file (buildx tries compose first)."""
    try:
        data = _load(text)
    except ComposeError:
        return False
    return isinstance(data, dict) and ("services" in data or "secrets" in data)


def compose_env(env: Mapping[str, str], cwd: Path | None) -> dict[str, str]:
    """The environment compose interpolates with: the process's, then a `.env` file's new names."""
    out = dict(env)
    if cwd is None:
        return out
    dotenv = cwd / ".env"
    if not dotenv.is_file():
        return out
    for raw in dotenv.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out.setdefault(key, value)
    return out


def _interpolate(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: _substitute(m, env), value)
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    return value


def _substitute(match: re.Match[str], env: Mapping[str, str]) -> str:
    if match.group(1):
        return "$"
    if match.group(3):
        return env.get(match.group(3), "")
    inner = match.group(2)
    name_match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", inner)
    if name_match is None:
        raise ComposeError(f"invalid interpolation format for {inner!r}")
    name, rest = name_match.group(0), inner[name_match.end() :]
    value = env.get(name)
    if rest == "":
        return value or ""
    for op in (":-", "-", ":?", "?", ":+", "+"):
        if rest.startswith(op):
            arg = _interpolate(rest[len(op) :], env)
            empty = value is None or (op.startswith(":") and value == "")
            if op in (":-", "-"):
                return arg if empty else (value or "")
            if op in (":?", "?"):
                if empty:
                    raise ComposeError(f"required variable {name} is missing a value: {arg}")
                return value or ""
            return "" if empty else arg
    raise ComposeError(f"invalid interpolation format for {inner!r}")


def _merge(base: Any, over: Any) -> Any:
    # compose's merge of a later file: mappings key by key, sequences appended, scalars replaced.
    if over is None:
        return base
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(out[key], value) if key in out else value
        return out
    if isinstance(base, list) and isinstance(over, list):
        return [*base, *over]
    return over


def _normalize_services(model: dict[str, Any]) -> dict[str, Any]:
    # `build: DIR` is `build: {context: DIR}`, so a later file's mapping merges into it.
    services = model.get("services")
    if isinstance(services, dict):
        for service in services.values():
            if isinstance(service, dict) and isinstance(service.get("build"), str):
                service["build"] = {"context": service["build"]}
    return model


def read_compose(files: Sequence[tuple[str, str]], env: Mapping[str, str], config: Config, *, cwd: Path | None) -> None:
    """Add the targets of the compose files (merged in order) and their `default` group to `config`."""
    environment = compose_env(env, cwd)
    model: dict[str, Any] = {}
    for name, text in files:
        data = _load(text)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ComposeError(f"Top-level object must be a mapping in {name}")
        model = _merge(model, _normalize_services(_interpolate(data, environment)))
    services = model.get("services")
    if not isinstance(services, dict) and "secrets" not in model:
        raise ComposeError("empty compose file")
    if not isinstance(services, dict) or not services:
        return
    top_secrets = model.get("secrets") or {}
    group: list[str] = []
    for service_name, service in services.items():
        service = service or {}
        if not isinstance(service, dict) or service.get("build") is None:
            continue
        target = _service_target(str(service_name), service, top_secrets, environment)
        group.append(target.name)
        config.targets.append(target)
    config.groups.append(GroupSpec("default", "", tuple(group)))


def _service_target(
    service_name: str, service: dict[str, Any], top_secrets: Mapping[str, Any], env: Mapping[str, str]
) -> TargetSpec:
    name = service_name.replace(".", "_")
    if not _LABEL.match(name):
        raise ComposeError(f'invalid service name "{name}": only "[a-zA-Z0-9_-]+" are allowed')
    build = service["build"]
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict):
        raise ComposeError(f"services.{service_name}.build must be a string or mapping")
    t = TargetSpec(name)
    t.context = _opt_str(build.get("context"))
    t.dockerfile = _opt_str(build.get("dockerfile"))
    t.dockerfile_inline = _opt_str(build.get("dockerfile_inline"))
    if build.get("additional_contexts") is not None:
        t.contexts = _named_contexts(_kv(build["additional_contexts"], "additional_contexts"))
    shm = build.get("shm_size")
    if shm not in (None, "", 0):
        size = shm if isinstance(shm, int) else ram_in_bytes(str(shm))
        if size is None:
            raise ComposeError(f"invalid shm_size {shm!r}")
        if size > 0:
            t.shm_size = _mem_bytes(size)
    t.network = _opt_str(build.get("network"))
    if build.get("ulimits") is not None:
        t.ulimits = _ulimits(build["ulimits"])
    t.extra_hosts = _extra_hosts(build.get("extra_hosts"))
    ssh = [_ssh(item) for item in _ssh_items(build.get("ssh"))]
    t.ssh = sorted(ssh, key=lambda s: (s.id, s.paths or ())) or None
    secrets = [_secret(item, top_secrets) for item in build.get("secrets") or []]
    t.secret = secrets or None
    labels = _kv(build.get("labels") or {}, "labels")
    t.labels = {k: v or "" for k, v in labels.items()}
    # compose keeps each tag once (merged files append theirs).
    t.tags = list(dict.fromkeys(str(x) for x in build["tags"])) if build.get("tags") is not None else None
    try:
        t.cache_from = parse_cache_entries([str(x) for x in build.get("cache_from") or []]) or None
        t.cache_to = parse_cache_entries([str(x) for x in build.get("cache_to") or []]) or None
        attests = []
        for key in ("sbom", "provenance"):
            if build.get(key) not in (None, ""):
                attests.append(Attest.parse(_canonical_attest(key, build[key])))
        t.attest = attests or None
    except EntryError as exc:
        raise ComposeError(str(exc)) from None
    args = _kv(build.get("args") or {}, "args")
    environment = _kv(service.get("environment") or {}, "environment")
    resolved: dict[str, str | None] = {}
    for key, value in args.items():
        if value is None:
            if environment.get(key) is not None:
                value = environment[key]
            elif key in env:
                value = env[key]
            else:
                continue
        resolved[key] = value
    t.args = resolved or None
    t.platforms = [str(p) for p in build["platforms"]] if build.get("platforms") is not None else None
    t.no_cache = True if build.get("no_cache") is True else None
    t.pull = True if build.get("pull") is True else None
    _x_bake(t, build.get("x-bake"))
    if build.get("target"):
        t.target = str(build["target"])
    if not t.tags and service.get("image"):
        t.tags = [str(service["image"])]
    return t


def _opt_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kv(value: Any, what: str) -> dict[str, str | None]:
    """A compose mapping or `KEY=VALUE` list; a list item without `=` has no value (None)."""
    if isinstance(value, dict):
        return {str(k): (None if v is None else _scalar(v)) for k, v in value.items()}
    if isinstance(value, list):
        out: dict[str, str | None] = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            out[key] = val if sep else None
        return out
    raise ComposeError(f"{what} must be a mapping or a list")


def _named_contexts(values: Mapping[str, str | None]) -> dict[str, str]:
    out = {}
    for key, value in values.items():
        text = value or ""
        if text.startswith(("service:", "target:")):
            text = "target:" + text.split(":", 1)[1].replace(".", "_")
        out[key] = text
    return out


def _mem_bytes(size: int) -> str:
    # docker's MemBytes.String: binary units with up to 4 significant digits (units.BytesSize).
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    value = float(size)
    i = 0
    while value >= 1024 and i < len(units) - 1:
        value /= 1024
        i += 1
    text = f"{value:.4g}"
    if "e" in text:
        text = f"{value:.0f}"
    return f"{text}{units[i]}"


def _ulimits(values: Any) -> list[str]:
    if not isinstance(values, dict):
        raise ComposeError("ulimits must be a mapping")
    out = []
    for name, spec in values.items():
        # A single number sets compose's `Single` field; buildx formats only soft and hard, so it
        # becomes 0:0.
        soft, hard = (int(spec.get("soft", 0)), int(spec.get("hard", 0))) if isinstance(spec, dict) else (0, 0)
        out.append(f"{name}={soft}:{hard}")
    return out


def _extra_hosts(value: Any) -> dict[str, str | None]:
    hosts: dict[str, list[str]] = {}
    if value is None:
        return {}
    if isinstance(value, dict):
        for host, ips in value.items():
            items = ips if isinstance(ips, list) else [ips]
            hosts.setdefault(str(host), []).extend(str(i) for i in items)
    else:
        for item in value:
            text = str(item)
            sep = "=" if "=" in text else ":"
            host, _, ip = text.partition(sep)
            hosts.setdefault(host, []).append(ip)
    return {k: ",".join(v) for k, v in hosts.items()}


def _ssh_items(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [f"{k}={v}" if v else str(k) for k, v in value.items()]
    return [str(v) for v in value]


def _ssh(text: str) -> SSHKey:
    ident, sep, path = text.partition("=")
    return SSHKey(ident, (path,) if sep and path else None)


def _secret(item: Any, top: Mapping[str, Any]) -> Secret:
    source = item.get("source", "") if isinstance(item, dict) else str(item)
    spec = top.get(source) or {}
    if spec.get("external"):
        raise ComposeError(f"unsupported external secret {spec.get('name') or source}")
    path = str(spec.get("file") or "")
    # compose resolves the file against the project folder; buildx prints it cleaned.
    return Secret(source, clean(path) if path else "", str(spec.get("environment") or ""))


def _canonical_attest(kind: str, value: Any) -> str:
    text = _scalar(value)
    try:
        enabled = parse_go_bool(text, "")
    except EntryError:
        return f"type={kind},{text}"
    return f"type={kind},disabled={'false' if enabled else 'true'}"


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    return _scalar(value).split()


def _x_bake(t: TargetSpec, ext: Any) -> None:
    if not isinstance(ext, dict):
        return
    try:
        if tags := _strings(ext.get("tags")):
            t.tags = list(dict.fromkeys([*(t.tags or []), *tags]))
        if cache := _strings(ext.get("cache-from")):
            t.cache_from = merge_equal(t.cache_from, parse_cache_entries(cache))
        if cache := _strings(ext.get("cache-to")):
            t.cache_to = merge_equal(t.cache_to, parse_cache_entries(cache))
        if secrets := _strings(ext.get("secret")):
            parsed = [Secret.parse(s) for s in secrets if s]
            t.secret = dedupe_by_id([*(t.secret or []), *parsed]) if t.secret else parsed
        if ssh := _strings(ext.get("ssh")):
            keys = [SSHKey.parse(s) for s in ssh if s]
            merged = dedupe_by_id([*(t.ssh or []), *keys]) if t.ssh else keys
            t.ssh = sorted(merged, key=lambda s: (s.id, s.paths or ()))
        if platforms := _strings(ext.get("platforms")):
            t.platforms = list(dict.fromkeys([*(t.platforms or []), *platforms]))
        if outputs := _strings(ext.get("output")):
            t.output = merge_exports(t.output, [ExportEntry.parse(o) for o in outputs if o])
    except EntryError as exc:
        raise ComposeError(str(exc)) from None
    if isinstance(ext.get("pull"), bool):
        t.pull = ext["pull"]
    if isinstance(ext.get("no-cache"), bool):
        t.no_cache = ext["no-cache"]
    if filters := _strings(ext.get("no-cache-filter")):
        t.no_cache_filter = list(dict.fromkeys([*(t.no_cache_filter or []), *filters]))
    if isinstance(ext.get("contexts"), dict):
        extra = _named_contexts({str(k): _scalar(v) for k, v in ext["contexts"].items()})
        contexts = dict(t.contexts or {})
        for key, value in extra.items():
            contexts.setdefault(key, value)
        t.contexts = contexts
