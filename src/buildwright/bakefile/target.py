"""A bake target while it is being assembled: merged from its blocks and inherited targets, overridden
with `--set`, normalized, and written as `--print` shows it.

`TargetSpec` is a working value (the reading steps fill and merge it, as buildx's Target struct is);
the definition handed out is the plain JSON object `to_json` makes. `None` is "not set", which differs
from an empty list: a target's `tags = []` replaces the inherited tags.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from buildwright._gopath import clean
from buildwright.bakefile.entries import (
    Attest,
    CacheEntry,
    EntryError,
    ExportEntry,
    Secret,
    SSHKey,
    dedupe_by_id,
    dedupe_by_type,
    dedupe_equal,
    parse_cache_entries,
    parse_go_bool,
)

_K = TypeVar("_K", Secret, SSHKey)  # entries deduplicated by id
_V = TypeVar("_V")
_E = TypeVar("_E")  # any entry kind, for the shared list merge

# The keys --set accepts whose value is a list entry (several --set of the key add entries).
LIST_OVERRIDE_KEYS = frozenset(
    {
        "output",
        "cache-to",
        "cache-from",
        "tags",
        "platform",
        "secrets",
        "ssh",
        "attest",
        "entitlements",
        "network",
        "annotations",
    }
)


@dataclass
class TargetSpec:
    """One target's fields, `None` where unset (buildx's nil)."""

    name: str
    description: str = ""
    inherits: list[str] = field(default_factory=list)
    annotations: list[str] | None = None
    attest: list[Attest] | None = None
    context: str | None = None
    contexts: dict[str, str] | None = None
    dockerfile: str | None = None
    dockerfile_inline: str | None = None
    args: dict[str, str | None] | None = None
    labels: dict[str, str | None] | None = None
    tags: list[str] | None = None
    cache_from: list[CacheEntry] | None = None
    cache_to: list[CacheEntry] | None = None
    target: str | None = None
    secret: list[Secret] | None = None
    ssh: list[SSHKey] | None = None
    platforms: list[str] | None = None
    output: list[ExportEntry] | None = None
    pull: bool | None = None
    no_cache: bool | None = None
    network: str | None = None
    no_cache_filter: list[str] | None = None
    shm_size: str | None = None
    ulimits: list[str] | None = None
    call: str | None = None
    entitlements: list[str] | None = None
    extra_hosts: dict[str, str | None] | None = None
    linked: bool = False

    def copy(self) -> TargetSpec:
        dup = TargetSpec(self.name)
        for name in _FIELD_NAMES:
            value = getattr(self, name)
            if isinstance(value, list):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            setattr(dup, name, value)
        return dup

    def merge(self, other: TargetSpec) -> None:
        """Take `other`'s set fields: scalars and replaced lists win, merged lists and maps combine."""
        for name in ("context", "dockerfile", "dockerfile_inline", "target", "call"):
            if getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))
        for name in ("args", "labels", "extra_hosts"):
            values: dict[str, str | None] | None = getattr(other, name)
            for key, value in (values or {}).items():
                if value is None:
                    continue
                mine = getattr(self, name)
                if mine is None:
                    mine = {}
                    setattr(self, name, mine)
                mine[key] = value
        if other.contexts is not None:
            for key, ctx in other.contexts.items():
                self.contexts = self.contexts if self.contexts is not None else {}
                self.contexts[key] = ctx
        for name in ("tags", "platforms", "cache_to", "output", "shm_size", "pull", "no_cache", "network"):
            if getattr(other, name) is not None:
                value = getattr(other, name)
                setattr(self, name, list(value) if isinstance(value, list) else value)
        for name in ("annotations", "no_cache_filter", "ulimits", "entitlements"):
            if getattr(other, name) is not None:
                setattr(self, name, [*(getattr(self, name) or []), *getattr(other, name)])
        if other.attest is not None:
            self.attest = merge_attests(self.attest, other.attest)
        if other.secret is not None:
            self.secret = merge_by_id(self.secret, other.secret)
        if other.ssh is not None:
            self.ssh = merge_by_id(self.ssh, other.ssh)
        if other.cache_from is not None:
            self.cache_from = merge_equal(self.cache_from, other.cache_from)
        if other.description:
            self.description = other.description
        self.inherits = [*self.inherits, *other.inherits]

    def normalize(self) -> None:
        """Drop duplicates and empty strings from the lists, empty contexts; a host network entitles."""
        self.annotations = _unique(self.annotations)
        self.attest = dedupe_by_type(self.attest) or None if self.attest is not None else None
        self.tags = _unique(self.tags)
        self.secret = dedupe_by_id(self.secret) or None if self.secret is not None else None
        self.ssh = dedupe_by_id(self.ssh) or None if self.ssh is not None else None
        self.platforms = _unique(self.platforms)
        self.cache_from = dedupe_equal(self.cache_from) or None if self.cache_from is not None else None
        self.cache_to = dedupe_equal(self.cache_to) or None if self.cache_to is not None else None
        self.output = dedupe_equal(self.output) or None if self.output is not None else None
        self.no_cache_filter = _unique(self.no_cache_filter)
        self.ulimits = _unique(self.ulimits)
        if self.network == "host":
            self.entitlements = [*(self.entitlements or []), "network.host"]
        self.entitlements = _unique(self.entitlements)
        if self.contexts is not None:
            kept = {k: v for k, v in self.contexts.items() if v != ""}
            self.contexts = kept or None

    def add_overrides(self, overrides: Mapping[str, Override]) -> None:
        """Apply this target's `--set` values (keys without the target pattern)."""
        for key, override in overrides.items():
            head, _, sub = key.partition(".")
            handler = _OVERRIDES.get(head)
            if handler is None:
                raise EntryError(f"unknown key: {head}")
            handler(self, override, sub, "." in key)

    def to_json(self, *, escape: bool = True) -> dict[str, Any]:
        """The object `buildx bake --print` writes for this target, keys in its order; `escape`
        doubles interpolation markers in the values a bake file would interpolate."""
        _escape = _escape_markers if escape else _keep
        _escaped_map = _escaped_map_of(_escape)
        out: dict[str, Any] = {}
        if self.description:
            out["description"] = self.description
        if self.inherits:
            out["inherits"] = list(self.inherits)
        if self.annotations:
            out["annotations"] = [_escape(v) for v in self.annotations]
        if self.attest:
            out["attest"] = [a.to_json() for a in self.attest]
        if self.context is not None:
            out["context"] = self.context
        if self.contexts:
            out["contexts"] = _sorted_map(self.contexts)
        if self.dockerfile is not None:
            out["dockerfile"] = self.dockerfile
        if self.dockerfile_inline is not None:
            out["dockerfile-inline"] = _escape(self.dockerfile_inline)
        if self.args:
            out["args"] = _escaped_map(self.args)
        if self.labels:
            out["labels"] = _escaped_map(self.labels)
        if self.tags:
            out["tags"] = list(self.tags)
        if self.cache_from:
            out["cache-from"] = [c.to_json() for c in self.cache_from]
        if self.cache_to:
            out["cache-to"] = [c.to_json() for c in self.cache_to]
        if self.target is not None:
            out["target"] = self.target
        if self.secret:
            out["secret"] = [s.to_json() for s in self.secret]
        if self.ssh:
            out["ssh"] = [s.to_json() for s in self.ssh]
        if self.platforms:
            out["platforms"] = list(self.platforms)
        if self.output:
            out["output"] = [o.to_json() for o in self.output]
        for key, value in (("pull", self.pull), ("no-cache", self.no_cache), ("network", self.network)):
            if value is not None:
                out[key] = value
        if self.no_cache_filter:
            out["no-cache-filter"] = list(self.no_cache_filter)
        if self.shm_size is not None:
            out["shm-size"] = self.shm_size
        if self.ulimits:
            out["ulimits"] = list(self.ulimits)
        if self.call is not None:
            out["call"] = self.call
        if self.entitlements:
            out["entitlements"] = list(self.entitlements)
        if self.extra_hosts:
            out["extra-hosts"] = _escaped_map(self.extra_hosts)
        return out

    def finish_for_print(self) -> None:
        """What buildx does to a target before printing it: the context path is cleaned (a `cwd://`
        prefix dropped) as the build options take it."""
        context = self.context if self.context is not None else "."
        if context.startswith("cwd://"):
            context = clean(context.removeprefix("cwd://"))
        elif not _is_remote(context):
            context = clean(context)
        self.context = context


_FIELD_NAMES = tuple(n for n in TargetSpec.__dataclass_fields__ if n != "name")


def _is_remote(path: str) -> bool:
    # buildx's IsRemoteURL: a URL with a scheme it fetches, or a git reference.
    if path.startswith(("http://", "https://", "git://", "github.com/", "git@")):
        return True
    return "://" in path and not path.startswith("cwd://") and path.split("://", 1)[0] in ("ssh", "git+ssh")


def _unique(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        if value == "" or value in seen:
            continue
        seen.add(value)
        out.append(value)
    return out


def merge_equal(mine: list[CacheEntry] | None, other: list[CacheEntry] | None) -> list[CacheEntry] | None:
    if other is None:
        return dedupe_equal(mine) or None if mine else None
    if mine is None:
        return dedupe_equal(other) or None if other else None
    return dedupe_equal([*mine, *other]) or None


def _merge_lists(
    mine: list[_E] | None, other: list[_E] | None, dedupe: Callable[[list[_E]], list[_E]]
) -> list[_E] | None:
    # A list given on one side only is kept as it is; both sides are joined, then deduplicated.
    if other is None:
        return mine
    if mine is None:
        return other
    return dedupe([*mine, *other]) or None


def merge_exports(mine: list[ExportEntry] | None, other: list[ExportEntry] | None) -> list[ExportEntry] | None:
    return _merge_lists(mine, other, dedupe_equal)


def merge_by_id(mine: list[_K] | None, other: list[_K] | None) -> list[_K] | None:
    return _merge_lists(mine, other, dedupe_by_id)


def merge_attests(mine: list[Attest] | None, other: list[Attest] | None) -> list[Attest] | None:
    return _merge_lists(mine, other, dedupe_by_type)


def _escape_markers(text: str) -> str:
    # --print writes values a bake file can take back: interpolation markers are doubled.
    return text.replace("${", "$${").replace("%{", "%%{")


def _keep(text: str) -> str:
    return text


def _escaped_map_of(escape: Callable[[str], str]) -> Callable[[Mapping[str, str | None]], dict[str, str | None]]:
    def escaped(values: Mapping[str, str | None]) -> dict[str, str | None]:
        return {k: (None if (v := values[k]) is None else escape(v)) for k in sorted(values)}

    return escaped


def _sorted_map(values: Mapping[str, str]) -> dict[str, str]:
    return {k: values[k] for k in sorted(values)}


@dataclass
class Override:
    """The `--set` values for one key of one target: a single value or the list entries, and whether
    they append (`key+=value`)."""

    value: str = ""
    values: list[str] = field(default_factory=list)
    append: bool = False


def _set_scalar(attr: str) -> Callable[[TargetSpec, Override, str, bool], None]:
    def apply(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
        setattr(t, attr, o.value)

    return apply


def _set_map(attr: str, key: str) -> Callable[[TargetSpec, Override, str, bool], None]:
    def apply(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
        if not has_sub:
            raise EntryError(f"invalid format for {key}, expecting {key}.<name>=<value>")
        values = getattr(t, attr)
        if values is None:
            values = {}
            setattr(t, attr, values)
        values[sub] = o.value

    return apply


def _set_list(attr: str) -> Callable[[TargetSpec, Override, str, bool], None]:
    def apply(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
        setattr(t, attr, [*(getattr(t, attr) or []), *o.values] if o.append else list(o.values))

    return apply


def _set_bool(attr: str, key: str) -> Callable[[TargetSpec, Override, str, bool], None]:
    def apply(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
        setattr(t, attr, parse_go_bool(o.value, f"invalid value {o.value} for boolean key {key}"))

    return apply


def _set_cache(attr: str) -> Callable[[TargetSpec, Override, str, bool], None]:
    def apply(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
        entries = parse_cache_entries(o.values) or None
        setattr(t, attr, merge_equal(getattr(t, attr), entries) if o.append else entries)

    return apply


def _parse_all(values: Sequence[str], parse: Callable[[str], _V], what: str) -> list[_V]:
    out: list[_V] = []
    for text in values:
        if not text:
            continue
        try:
            out.append(parse(text))
        except EntryError as exc:
            raise EntryError(f"invalid value for {what}: {exc}") from None
    return out


def _set_secrets(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
    secrets = _parse_all(o.values, Secret.parse, "outputs")
    t.secret = merge_by_id(t.secret, secrets) if o.append else secrets


def _set_ssh(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
    keys = _parse_all(o.values, SSHKey.parse, "outputs")
    t.ssh = merge_by_id(t.ssh, keys) if o.append else keys


def _set_output(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
    outputs = _parse_all(o.values, ExportEntry.parse, "outputs")
    t.output = merge_exports(t.output, outputs) if o.append else outputs


def _set_entitlements(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
    t.entitlements = [*(t.entitlements or []), *o.values]


def _set_annotations(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
    t.annotations = [*(t.annotations or []), *o.values]


def _set_attest(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
    t.attest = merge_attests(t.attest, _parse_all(o.values, Attest.parse, "attest"))


def _set_push(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
    push = parse_go_bool(o.value, f"invalid value {o.value} for boolean key push")
    t.output = set_push(t.output, push)


def _set_load(t: TargetSpec, o: Override, sub: str, has_sub: bool) -> None:
    load = parse_go_bool(o.value, f"invalid value {o.value} for boolean key load")
    t.output = set_load(t.output, load)


def set_push(outputs: list[ExportEntry] | None, push: bool) -> list[ExportEntry] | None:
    """`*.push=BOOL` (`--push`): registry outputs dropped or an image output that pushes added."""
    items = list(outputs or [])
    if not push:
        i = 0
        while i < len(items):
            if items[i].type == "registry":
                items[i], items[-1] = items[-1], items[i]
                items.pop()
                continue
            if items[i].type == "image":
                items[i] = items[i].with_attr("push", "false")
            i += 1
        return items if outputs is not None else None
    add = True
    for i, entry in enumerate(items):
        if entry.type != "docker":
            add = False
        if entry.type == "image":
            items[i] = entry.with_attr("push", "true")
    if add:
        items.append(ExportEntry("image", _attrs({"push": "true"})))
    return items


def set_load(outputs: list[ExportEntry] | None, load: bool) -> list[ExportEntry] | None:
    """`*.load=BOOL` (`--load`): a docker output added unless an output already loads or is a file."""
    if not load:
        return outputs
    for entry in outputs or []:
        if entry.type == "docker":
            if not entry.dest:
                return outputs
        elif entry.type not in ("image", "registry", "oci"):
            return outputs
    return [*(outputs or []), ExportEntry("docker")]


def _attrs(values: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(values)


_OVERRIDES: dict[str, Callable[[TargetSpec, Override, str, bool], None]] = {
    "context": _set_scalar("context"),
    "dockerfile": _set_scalar("dockerfile"),
    "args": _set_map("args", "args"),
    "contexts": _set_map("contexts", "contexts"),
    "labels": _set_map("labels", "labels"),
    "tags": _set_list("tags"),
    "cache-from": _set_cache("cache_from"),
    "cache-to": _set_cache("cache_to"),
    "target": _set_scalar("target"),
    "call": _set_scalar("call"),
    "secrets": _set_secrets,
    "ssh": _set_ssh,
    "platform": _set_list("platforms"),
    "output": _set_output,
    "entitlements": _set_entitlements,
    "annotations": _set_annotations,
    "attest": _set_attest,
    "no-cache": _set_bool("no_cache", "no-cache"),
    "no-cache-filter": _set_list("no_cache_filter"),
    "shm-size": _set_scalar("shm_size"),
    "ulimits": _set_list("ulimits"),
    "network": _set_scalar("network"),
    "pull": _set_bool("pull", "pull"),
    "push": _set_push,
    "load": _set_load,
    "extra-hosts": _set_map("extra_hosts", "extra-hosts"),
}
