"""One resolved bake target (the shape `docker buildx bake --print` prints) as a farm build.

The keys and what they become follow buildx's `toBuildOpt` (bake/bake.go): a missing context is
`.`, a missing Dockerfile is `Dockerfile` inside the context, `cwd://` marks a path of the
working folder, `args`/`labels`/`extra-hosts` entries whose value is null are dropped, and
`--print`'s object forms of `output`, `cache-from`/`cache-to`, `secret`, `ssh` and `attest` are
the same values as their flag forms. Local paths are taken relative to the folder bake runs in
(buildx's rule: the bake file's own folder plays no part). A key that has no build option here is
an error naming the target and the key, never dropped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from buildwright._values import valueclass
from buildwright.client.outputs import OutputSpec
from buildwright.client.remote_context import is_remote_url
from buildwright.client.session.secrets import SecretSource
from buildwright.client.session.ssh import SSHAgentSpec
from buildwright.errors import BuildConfigError

CWD_PREFIX = "cwd://"
TARGET_PREFIX = "target:"
# Keys of a printed target that describe it without changing the build.
_DESCRIPTIVE = frozenset({"description", "inherits"})
# `call` values that are a build (anything else evaluates the Dockerfile another way).
_BUILD_CALLS = frozenset({"build", ""})
# Output types whose `dest` is a local path.
_LOCAL_DEST_TYPES = frozenset({"local", "tar", "oci", "docker"})


@valueclass
class BakeTarget:
    """A target ready for the farm: its `buildwright.build()` keywords (`context` included) and
    the other targets whose results are its named contexts (`contexts = {name = "target:NAME"}`)."""

    name: str
    options: Mapping[str, Any]
    links: Mapping[str, str]  # context name -> target name


class _Reader:
    """Reads one target's keys; every error names the target."""

    def __init__(self, name: str, target: Mapping[str, Any], cwd: Path) -> None:
        self.name = name
        self.target = target
        self.cwd = cwd

    def fail(self, key: str, what: str) -> BuildConfigError:
        return BuildConfigError(f"bake target {self.name!r}: {key}: {what}")

    def text(self, key: str) -> str | None:
        value = self.target.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {_kind(value)}")
        return value

    def flag(self, key: str) -> bool:
        value = self.target.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_kind(value)}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.target.get(key)
        if value is None:
            return ()
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise self.fail(key, f"expected a list of strings, got {_kind(value)}")
        bad = [v for v in value if not isinstance(v, str)]
        if bad:
            raise self.fail(key, f"expected a list of strings, got an item of {_kind(bad[0])}")
        return tuple(value)

    def mapping(self, key: str) -> dict[str, str]:
        """A map of strings; entries whose value is null are left out (buildx's rule)."""
        value = self.target.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a map, got {_kind(value)}")
        out: dict[str, str] = {}
        for k, v in value.items():
            if v is None:
                continue
            if not isinstance(v, (str, int, float, bool)):
                raise self.fail(key, f"{k}: expected a string, got {_kind(v)}")
            out[str(k)] = _scalar(v)
        return out

    def entries(self, key: str) -> tuple[dict[str, str] | str, ...]:
        """A list whose items are `--print`'s objects or flag strings."""
        value = self.target.get(key)
        if value is None:
            return ()
        if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
            raise self.fail(key, f"expected a list, got {_kind(value)}")
        out: list[dict[str, str] | str] = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, Mapping):
                out.append({str(k): _scalar(v) for k, v in item.items() if v is not None})
            else:
                raise self.fail(key, f"expected an object or a string, got {_kind(item)}")
        return tuple(out)

    def local_path(self, value: str) -> str:
        """A local path of the target as the build opens it (relative to the working folder)."""
        value = value.removeprefix(CWD_PREFIX)
        path = Path(posixpath.normpath(value))
        return str(path if path.is_absolute() else self.cwd / path)


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", bool: "a boolean", str: "a string"}
    return names.get(type(value), type(value).__name__)


def _scalar(value: object) -> str:
    # JSON numbers and booleans are written as Go prints them (`true`, `1`).
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_record(fields: Sequence[str]) -> str:
    """Fields joined as one CSV record that go-csvvalue splits back into the same fields."""
    out = []
    for field in fields:
        if any(c in field for c in ',"\r\n') or field[:1].isspace():
            field = '"' + field.replace('"', '""') + '"'
        out.append(field)
    return ",".join(out)


def _attribute_spec(entry: dict[str, str] | str, first: Sequence[str] = ("type",)) -> str:
    if isinstance(entry, str):
        return entry
    keys = [k for k in first if k in entry] + sorted(k for k in entry if k not in first)
    return csv_record([f"{k}={entry[k]}" for k in keys])


def target_options(name: str, target: Mapping[str, Any], cwd: Path) -> BakeTarget:
    """The farm build of one printed target (see the module docstring for the rules).

    Raises:
        BuildConfigError: a key no build option stands for, a value of the wrong type, a context
            or Dockerfile from stdin, a `call` other than a build.
    """
    reader = _Reader(name, target, cwd)
    options: dict[str, Any] = {}
    _inputs(reader, options)
    links = _contexts(reader, options)
    _values(reader, options)
    _outputs(reader, options)
    known = _KEYS | _DESCRIPTIVE
    unknown = sorted(k for k in target if k not in known)
    if unknown:
        raise reader.fail(unknown[0], "this key has no build option in buildwright bake")
    return BakeTarget(name, options, links)


def _inputs(reader: _Reader, options: dict[str, Any]) -> None:
    context = reader.text("context")
    if context == "-":
        raise reader.fail("context", "a context from stdin is not allowed in bake")
    context = context or "."
    remote = not context.startswith(CWD_PREFIX) and is_remote_url(context)
    options["context"] = context if remote else reader.local_path(context)
    inline = reader.text("dockerfile-inline")
    dockerfile = reader.text("dockerfile")
    if dockerfile == "-":
        raise reader.fail("dockerfile", "a Dockerfile from stdin is not allowed in bake")
    if inline is not None:
        options["dockerfile"] = inline.encode()
    elif dockerfile is not None and (dockerfile.startswith(CWD_PREFIX) or is_remote_url(dockerfile)):
        options["dockerfile"] = reader.local_path(dockerfile) if dockerfile.startswith(CWD_PREFIX) else dockerfile
    elif remote:
        # A path inside the remote context, as `build` takes it.
        if dockerfile is not None:
            options["dockerfile"] = posixpath.normpath(dockerfile)
    elif dockerfile is not None:
        given = Path(posixpath.normpath(dockerfile))
        options["dockerfile"] = str(given if given.is_absolute() else Path(options["context"]) / given)
    # With none named, `build`'s own rule: the context's Dockerfile (or dockerfile).


def _contexts(reader: _Reader, options: dict[str, Any]) -> dict[str, str]:
    links: dict[str, str] = {}
    named: dict[str, str] = {}
    for key, value in reader.mapping("contexts").items():
        if value.startswith(TARGET_PREFIX):
            linked = value[len(TARGET_PREFIX) :]
            if linked == reader.name:
                raise reader.fail("contexts", f"target {linked} cannot link to itself")
            links[key] = linked
        elif value.startswith(CWD_PREFIX) or not (is_remote_url(value) or "://" in value):
            named[key] = reader.local_path(value)
        else:
            named[key] = value  # docker-image://, oci-layout://, git and http(s) URLs
    if named:
        options["build_contexts"] = named
    return links


def _values(reader: _Reader, options: dict[str, Any]) -> None:
    for key, option in (("args", "build_args"), ("labels", "labels")):
        if values := reader.mapping(key):
            options[option] = values
    for key, option in (
        ("tags", "tags"),
        ("no-cache-filter", "no_cache_filter"),
        ("ulimits", "ulimits"),
        ("entitlements", "allow"),
        ("annotations", "annotations"),
    ):
        if listed := reader.strings(key):
            options[option] = listed
    if platforms := reader.strings("platforms"):
        options["platform"] = platforms
    for key, option in (("target", "target"), ("network", "network"), ("shm-size", "shm_size")):
        if (value := reader.text(key)) is not None:
            options[option] = value
    for key, option in (("pull", "pull"), ("no-cache", "no_cache")):
        if reader.flag(key):
            options[option] = True
    if extra := reader.mapping("extra-hosts"):
        options["add_hosts"] = tuple(f"{host}={ip}" for host, ip in extra.items())
    call = reader.text("call")
    if call is not None and call.split(",")[0].strip() not in _BUILD_CALLS:
        raise reader.fail("call", f"{call!r} is not supported by buildwright bake (only builds are)")
    for key, option in (("cache-from", "cache_from"), ("cache-to", "cache_to")):
        if entries := reader.entries(key):
            options[option] = tuple(_attribute_spec(e) for e in entries)
    if attest := reader.entries("attest"):
        options["attest"] = tuple(_attribute_spec(e) for e in attest)
    if secrets := reader.entries("secret"):
        options["secrets"] = tuple(_secret(reader, e) for e in secrets)
    if ssh := _ssh_agents(reader):
        options["ssh"] = ssh


def _secret(reader: _Reader, entry: dict[str, str] | str) -> SecretSource | str:
    if isinstance(entry, str):
        return entry
    unknown = sorted(set(entry) - {"id", "src", "env", "type"})
    if unknown:
        raise reader.fail("secret", f"unknown field {unknown[0]!r}")
    src = entry.get("src")
    return SecretSource(entry.get("id", ""), reader.local_path(src) if src else None, entry.get("env") or None)


def _ssh_agents(reader: _Reader) -> tuple[SSHAgentSpec | str, ...]:
    value = reader.target.get("ssh")
    if value is None:
        return ()
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        raise reader.fail("ssh", f"expected a list, got {_kind(value)}")
    out: list[SSHAgentSpec | str] = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
            continue
        if not isinstance(item, Mapping):
            raise reader.fail("ssh", f"expected an object or a string, got {_kind(item)}")
        unknown = sorted(set(item) - {"id", "paths"})
        if unknown:
            raise reader.fail("ssh", f"unknown field {unknown[0]!r}")
        paths = item.get("paths") or ()
        if isinstance(paths, str) or not all(isinstance(p, str) for p in paths):
            raise reader.fail("ssh", "paths: expected a list of strings")
        out.append(SSHAgentSpec(str(item.get("id") or "default"), tuple(reader.local_path(p) for p in paths)))
    return tuple(out)


def _outputs(reader: _Reader, options: dict[str, Any]) -> None:
    outputs: list[OutputSpec | str] = []
    for entry in reader.entries("output"):
        if isinstance(entry, str):
            outputs.append(entry)
            continue
        kind = entry.get("type", "")
        if not kind:
            raise reader.fail("output", "type is required for output")
        dest = entry.get("dest")
        if dest is not None and kind in _LOCAL_DEST_TYPES and dest != "-":
            dest = reader.local_path(dest)
        attrs = {k: v for k, v in entry.items() if k not in ("type", "dest")}
        outputs.append(OutputSpec(kind, dest, attrs))
    if outputs:
        options["outputs"] = tuple(outputs)
    # A reader that keeps `--push`/`--load` as keys instead of folding them into `output`.
    if reader.flag("push"):
        options["push"] = True
    if reader.flag("load"):
        options["load"] = True


_KEYS = frozenset(
    {
        "context", "dockerfile", "dockerfile-inline", "contexts", "args", "labels", "tags", "no-cache-filter",
        "ulimits", "entitlements", "annotations", "platforms", "target", "network", "shm-size", "pull",
        "no-cache", "extra-hosts", "call", "cache-from", "cache-to", "attest", "secret", "ssh", "output",
        "push", "load",
    }
)  # fmt: skip
