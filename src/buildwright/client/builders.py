"""Named builders: buildwright's own store (one TOML file) and buildx's store, read-only.

A builder is a list of nodes, each one engine address with its own TLS files and an optional
platform list. Our store is `$XDG_CONFIG_HOME/buildwright/builders.toml` (default ~/.config).
A name not found there is looked up in buildx's store (`$DOCKER_CONFIG/buildx/instances/NAME`,
JSON), so a builder of buildx's remote or docker driver works unchanged.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from buildwright._values import valueclass
from buildwright.client.endpoint import Endpoint, TLSConfig, parse_endpoint, resolve_endpoints
from buildwright.errors import BuildConfigError, UsageError

BUILDER_ENV = "BUILDWRIGHT_BUILDER"
# The same rule buildx applies to instance and node names.
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


@valueclass
class Node:
    """One engine of a builder."""

    name: str
    endpoint: str
    platforms: tuple[str, ...] = ()
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_server_name: str | None = None
    # How many legs of a farm build run on this node at once (None: one).
    parallelism: int | None = None

    def tls(self) -> TLSConfig | None:
        if not (self.tls_ca or self.tls_cert or self.tls_key or self.tls_server_name):
            return None
        return TLSConfig(self.tls_ca, self.tls_cert, self.tls_key, self.tls_server_name)

    def to_endpoint(self, origin: str) -> Endpoint:
        return parse_endpoint(self.endpoint, tls=self.tls(), origin=origin)


@valueclass
class Builder:
    """A named list of nodes; `source` is "buildwright" or "buildx" (buildx's are read-only)."""

    name: str
    nodes: tuple[Node, ...]
    driver: str = "remote"
    source: str = "buildwright"


@valueclass
class Store:
    """The builders of our store and which one `builder use` chose."""

    builders: tuple[Builder, ...] = ()
    current: str | None = None

    def get(self, name: str) -> Builder | None:
        return next((b for b in self.builders if b.name == name), None)


def validate_name(name: str, what: str = "builder") -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"invalid {what} name {name!r}: use letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def store_path(env: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if env is None else env
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "buildwright" / "builders.toml"


def buildx_dir(env: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if env is None else env
    config = environ.get("DOCKER_CONFIG") or str(Path(environ.get("HOME", str(Path.home()))) / ".docker")
    return Path(config) / "buildx"


def _opt_path(value: object) -> Path | None:
    return Path(value) if isinstance(value, str) and value else None


def _node_from_toml(path: Path, builder: str, raw: object) -> Node:
    if not isinstance(raw, dict) or not isinstance(raw.get("endpoint"), str):
        raise BuildConfigError(f"{path}: builder {builder!r}: every node needs an endpoint string")
    platforms = raw.get("platforms", [])
    if not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms):
        raise BuildConfigError(f"{path}: builder {builder!r}: platforms must be a list of strings")
    server_name = raw.get("tlsservername")
    parallelism = raw.get("parallelism")
    valid = isinstance(parallelism, int) and not isinstance(parallelism, bool) and parallelism >= 1
    if parallelism is not None and not valid:
        raise BuildConfigError(f"{path}: builder {builder!r}: parallelism must be a positive integer")
    return Node(
        name=str(raw.get("name", "")),
        endpoint=raw["endpoint"],
        platforms=tuple(platforms),
        tls_ca=_opt_path(raw.get("tlscacert")),
        tls_cert=_opt_path(raw.get("tlscert")),
        tls_key=_opt_path(raw.get("tlskey")),
        tls_server_name=server_name if isinstance(server_name, str) and server_name else None,
        parallelism=parallelism,
    )


def parse_store(text: str, path: Path) -> Store:
    """Parse the TOML store; errors name the file and what is wrong."""
    # Imported here: most builds have no store to read, and the TOML parser compiles its regexes.
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BuildConfigError(f"{path}: {exc}") from exc
    raw_builders = data.get("builders", {})
    if not isinstance(raw_builders, dict):
        raise BuildConfigError(f"{path}: 'builders' must be a table")
    builders = []
    for name, raw in raw_builders.items():
        nodes = raw.get("nodes", []) if isinstance(raw, dict) else None
        if not isinstance(nodes, list):
            raise BuildConfigError(f"{path}: builder {name!r}: 'nodes' must be an array of tables")
        builders.append(Builder(name, tuple(_node_from_toml(path, name, n) for n in nodes)))
    current = data.get("current")
    return Store(tuple(builders), current if isinstance(current, str) and current else None)


def load_store(env: Mapping[str, str] | None = None) -> Store:
    path = store_path(env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Store()
    except OSError as exc:
        raise BuildConfigError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_store(text, path)


def _toml_str(value: str) -> str:
    # JSON's ASCII string escapes are all valid TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=True)


def render_store(store: Store) -> str:
    """The TOML text of a store (the schema is fixed, so a small writer suffices)."""
    lines = ["# Written by `buildwright builder`; edits are kept as long as the schema is."]
    if store.current:
        lines.append(f"current = {_toml_str(store.current)}")
    for builder in store.builders:
        lines.append("")
        lines.append(f"[builders.{_toml_str(builder.name)}]")
        for node in builder.nodes:
            lines.append(f"[[builders.{_toml_str(builder.name)}.nodes]]")
            lines.append(f"name = {_toml_str(node.name)}")
            lines.append(f"endpoint = {_toml_str(node.endpoint)}")
            lines.append("platforms = [" + ", ".join(_toml_str(p) for p in node.platforms) + "]")
            for key, value in (
                ("tlscacert", node.tls_ca),
                ("tlscert", node.tls_cert),
                ("tlskey", node.tls_key),
                ("tlsservername", node.tls_server_name),
            ):
                if value is not None:
                    lines.append(f"{key} = {_toml_str(str(value))}")
            if node.parallelism is not None:
                lines.append(f"parallelism = {node.parallelism}")
    return "\n".join(lines) + "\n"


def save_store(store: Store, env: Mapping[str, str] | None = None) -> Path:
    """Write the store atomically (a crash never leaves half a file)."""
    path = store_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_store(store), encoding="utf-8")
    os.replace(tmp, path)
    return path


def add_nodes(
    store: Store,
    name: str,
    nodes: Sequence[Node],
    *,
    append: bool,
) -> Store:
    """`builder create`: a new builder, or with `append` more nodes on an existing one.

    As buildx: an existing name without `append` is an error, nodes are named NAME0, NAME1, ...
    unless named, an endpoint appears once, and a platform given to a new node is taken off the
    nodes listed before it.
    """
    validate_name(name)
    existing = store.get(name)
    if existing is not None and not append:
        raise UsageError(f"builder {name!r} exists; give --append to add nodes to it")
    current_nodes = list(existing.nodes if existing else ())
    for node in nodes:
        node_name = node.name or _next_node_name(name, current_nodes)
        validate_name(node_name, "node")
        if any(n.name == node_name for n in current_nodes):
            raise UsageError(f"builder {name!r} already has a node named {node_name!r}")
        if any(n.endpoint == node.endpoint for n in current_nodes):
            raise UsageError(f"builder {name!r} already has a node at {node.endpoint}")
        node.to_endpoint(origin=f"--node {node.endpoint}")  # the address must parse
        taken = set(node.platforms)
        current_nodes = [replace(n, platforms=tuple(p for p in n.platforms if p not in taken)) for n in current_nodes]
        current_nodes.append(replace(node, name=node_name))
    builder = Builder(name, tuple(current_nodes))
    others = tuple(b for b in store.builders if b.name != name)
    return replace(store, builders=(*others, builder) if existing is None else _replace_builder(store, builder))


def _replace_builder(store: Store, builder: Builder) -> tuple[Builder, ...]:
    return tuple(builder if b.name == builder.name else b for b in store.builders)


def _next_node_name(builder: str, nodes: Sequence[Node]) -> str:
    index = 0
    while any(n.name == f"{builder}{index}" for n in nodes):
        index += 1
    return f"{builder}{index}"


def remove_builder(store: Store, name: str) -> Store:
    if store.get(name) is None:
        raise BuildConfigError(f"no builder {name!r} in buildwright's store")
    return Store(tuple(b for b in store.builders if b.name != name), None if store.current == name else store.current)


def use_builder(store: Store, builder: Builder) -> Store:
    return replace(store, current=builder.name)


def _buildx_platform(raw: object) -> str | None:
    if not isinstance(raw, dict) or not raw.get("os") or not raw.get("architecture"):
        return None
    text = f"{raw['os']}/{raw['architecture']}"
    return f"{text}/{raw['variant']}" if raw.get("variant") else text


def _buildx_endpoint(driver: str, endpoint: str, env: Mapping[str, str]) -> str:
    if driver == "remote":
        return endpoint
    # The docker driver's endpoint is a docker context name or a docker host address.
    scheme, sep, rest = endpoint.partition("://")
    if sep and scheme in ("unix", "tcp"):
        return f"docker{'+tcp' if scheme == 'tcp' else ''}://{rest}"
    docker_host = env.get("DOCKER_HOST", "").strip()
    if endpoint in ("default", "") and docker_host:
        return _buildx_endpoint(driver, docker_host, env) if "://" in docker_host else "docker://"
    if endpoint in ("default", ""):
        return "docker://"
    raise BuildConfigError(
        f"buildx builder node endpoint {endpoint!r} names a docker context; only 'default' is supported"
    )


def load_buildx_builder(name: str, env: Mapping[str, str] | None = None) -> Builder | None:
    """A builder from buildx's store, or None when buildx has none of that name.

    Raises:
        BuildConfigError: it exists but its driver cannot be used (only remote and docker can).
    """
    environ = os.environ if env is None else env
    path = buildx_dir(environ) / "instances" / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise BuildConfigError(f"cannot read buildx builder {path}: {exc}") from exc
    driver = str(data.get("Driver", ""))
    if driver not in ("remote", "docker"):
        raise BuildConfigError(
            f"buildx builder {name!r} uses the {driver or 'unknown'} driver; only remote and docker ones can be used"
        )
    nodes = []
    for raw in data.get("Nodes") or ():
        opts = raw.get("DriverOpts") or {}
        nodes.append(
            Node(
                name=str(raw.get("Name", "")),
                endpoint=_buildx_endpoint(driver, str(raw.get("Endpoint", "")), environ),
                platforms=tuple(p for p in map(_buildx_platform, raw.get("Platforms") or ()) if p),
                tls_ca=_opt_path(opts.get("cacert")),
                tls_cert=_opt_path(opts.get("cert")),
                tls_key=_opt_path(opts.get("key")),
                tls_server_name=opts.get("servername") or None,
            )
        )
    return Builder(name, tuple(nodes), driver=driver, source="buildx")


def buildx_current(env: Mapping[str, str] | None = None) -> str | None:
    """The builder `docker buildx use` chose, when buildx's store has one (its `current` file)."""
    try:
        data = json.loads((buildx_dir(env) / "current").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("Name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def find_builder(name: str, env: Mapping[str, str] | None = None) -> Builder:
    """A builder by name: ours first, then buildx's.

    Raises:
        BuildConfigError: no store has it.
    """
    builder = load_store(env).get(name) or load_buildx_builder(name, env)
    if builder is None:
        raise BuildConfigError(f"no builder named {name!r} (see `buildwright builder ls`)")
    if not builder.nodes:
        raise BuildConfigError(f"builder {name!r} has no nodes")
    return builder


def select_nodes(builder: Builder, platforms: Sequence[str] = ()) -> tuple[Node, ...]:
    """The nodes to try for a build, in order: those declaring every wanted platform first.

    Nodes without a declared platform list may still support it (the engine decides), so they
    follow; nodes declaring other platforms only come last. The first reachable one is used.
    """
    if not platforms:
        return builder.nodes
    wanted = set(platforms)
    matching = tuple(n for n in builder.nodes if n.platforms and wanted <= set(n.platforms))
    undeclared = tuple(n for n in builder.nodes if not n.platforms)
    rest = tuple(n for n in builder.nodes if n not in matching and n not in undeclared)
    return matching + undeclared + rest


def builder_endpoints(
    name: str | None, env: Mapping[str, str] | None = None, platforms: Sequence[str] = ()
) -> tuple[Endpoint, ...] | None:
    """The endpoints of the builder named by `--builder` (`name`), else BUILDWRIGHT_BUILDER, else
    the one `builder use` chose when BUILDKIT_HOST is unset; None when no builder applies."""
    found = chosen_builder(name, env)
    if found is None:
        return None
    builder, origin = found
    return tuple(
        n.to_endpoint(f"builder {builder.name} ({origin}) node {n.name}") for n in select_nodes(builder, platforms)
    )


def chosen_builder(name: str | None, env: Mapping[str, str] | None = None) -> tuple[Builder, str] | None:
    """The builder `--builder` (`name`) names, else BUILDWRIGHT_BUILDER, else the one `builder use`
    chose when BUILDKIT_HOST is unset, with where its name came from; None when no builder applies.

    Raises:
        BuildConfigError: the name is in no store.
    """
    environ = os.environ if env is None else env
    origin = "--builder"
    if not name:
        name, origin = environ.get(BUILDER_ENV, "").strip() or None, BUILDER_ENV
    if not name and not environ.get("BUILDKIT_HOST", "").strip():
        name, origin = load_store(environ).current, "builder use"
    if not name:
        return None
    return find_builder(name, environ), origin


def engine_endpoints(
    addr: str | None,
    tls: TLSConfig | None,
    builder: str | None,
    env: Mapping[str, str] | None = None,
    platforms: Sequence[str] = (),
) -> tuple[Endpoint, ...]:
    """Where to connect: `--addr` wins, then a named builder, then BUILDKIT_HOST / DOCKER_HOST.

    Raises:
        BuildConfigError: both `--addr` and `--builder`, TLS flags with a builder (its nodes carry
            their own TLS files), or an unknown builder.
    """
    if addr and builder:
        raise UsageError("give --addr or --builder, not both")
    if addr:
        return resolve_endpoints(addr, tls=tls, env=env)
    found = builder_endpoints(builder, env, platforms)
    if found is not None:
        if tls is not None:
            raise UsageError("TLS options go with --addr or BUILDKIT_HOST; a builder's nodes carry their own")
        return found
    return resolve_endpoints(None, tls=tls, env=env)
