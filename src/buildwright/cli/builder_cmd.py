"""`buildwright builder create|ls|inspect|use|rm`: named builders.

The builder store (`client.builders`) is imported by the commands that read it, not for `--help`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from buildwright.cli.engine_opts import (
    DebugOpt,
    TlsServerNameOpt,
)
from buildwright.cli.errors import run_guarded
from buildwright.cli.help_panels import PanelCommand, PanelGroup
from buildwright.errors import BuildConfigError, UsageError

if TYPE_CHECKING:
    from buildwright.client.builders import Builder
    from buildwright.client.nodeinfo import NodeStatus

builder_app = typer.Typer(
    cls=PanelGroup,
    name="builder",
    help="Manage named builders: lists of BuildKit engines, like buildx's builder instances.",
    no_args_is_help=True,
    add_completion=False,
)


@builder_app.command("create", cls=PanelCommand)
def create(
    name: Annotated[str, typer.Argument(help="Builder name.", show_default=False)],
    node: Annotated[
        list[str], typer.Option("--node", help="Engine address of a node (unix://, tcp://, docker://); repeatable.")
    ],
    node_name: Annotated[
        str | None, typer.Option("--node-name", help="Name of the node (one --node only); default NAME0, NAME1...")
    ] = None,
    platform: Annotated[
        list[str] | None,
        typer.Option("--platform", help="Platforms the node(s) build for (comma-separated or repeated)."),
    ] = None,
    append: Annotated[bool, typer.Option("--append", help="Add the node(s) to an existing builder.")] = False,
    use: Annotated[bool, typer.Option("--use", help="Make it the current builder.")] = False,
    tlscacert: Annotated[Path | None, typer.Option("--tlscacert", help="CA certificate of the node(s).")] = None,
    tlscert: Annotated[Path | None, typer.Option("--tlscert", help="Client certificate for the node(s).")] = None,
    tlskey: Annotated[Path | None, typer.Option("--tlskey", help="Client key for the node(s).")] = None,
    tlsservername: TlsServerNameOpt = None,
    parallelism: Annotated[
        int | None,
        typer.Option("--parallelism", min=1, help="Farm legs each node runs at once (default 1)."),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Create a builder (or with --append add nodes to one); the TLS options apply to the nodes given."""

    def work() -> None:
        from buildwright.client.builders import Builder, Node, add_nodes, load_store, save_store, use_builder

        if node_name and len(node) > 1:
            raise UsageError("--node-name names one node; give one --node with it")
        platforms = tuple(p.strip() for item in platform or () for p in item.split(",") if p.strip())
        nodes = [
            Node(
                node_name or "",
                addr,
                platforms,
                _absolute(tlscacert),
                _absolute(tlscert),
                _absolute(tlskey),
                tlsservername,
                parallelism,
            )
            for addr in node
        ]
        store = add_nodes(load_store(), name, nodes, append=append)
        if use:
            store = use_builder(store, store.get(name) or Builder(name, ()))
        save_store(store)
        typer.echo(name)

    raise typer.Exit(run_guarded(work, debug=debug))


def _absolute(path: Path | None) -> Path | None:
    # The store outlives the working directory the files were named from.
    return path.expanduser().resolve() if path is not None else None


def _all_builders() -> tuple[tuple[Builder, ...], str | None]:
    from buildwright.client.builders import load_buildx_builder, load_store

    store = load_store()
    builders = list(store.builders)
    for name in _buildx_names():
        if store.get(name) is None:
            try:
                found = load_buildx_builder(name)
            except BuildConfigError:
                continue  # buildx drivers we cannot use are not listed
            if found is not None:
                builders.append(found)
    return tuple(builders), store.current


def _buildx_names() -> list[str]:
    from buildwright.client.builders import buildx_dir

    try:
        return sorted(p.name for p in (buildx_dir() / "instances").iterdir() if p.is_file())
    except OSError:
        return []


@builder_app.command("ls", cls=PanelCommand)
def ls(debug: DebugOpt = False) -> None:
    """List builders and their nodes: reachable or why not, BuildKit version, platforms."""

    def work() -> None:
        # Imported here, so that other commands and --help do not load the engine client.
        from buildwright.client.nodeinfo import builder_status

        builders, current = _all_builders()
        rows = [("NAME/NODE", "DRIVER/ENDPOINT", "STATUS", "BUILDKIT", "PLATFORMS")]
        for builder in builders:
            star = "*" if builder.name == current else ""
            rows.append((builder.name + star, f"{builder.driver} ({builder.source})", "", "", ""))
            for status in builder_status(builder):
                rows.append(
                    (
                        " \\_ " + status.node.name,
                        " \\_ " + status.endpoint,
                        "running" if status.reachable else f"unreachable: {status.error}",
                        status.version or "",
                        ", ".join(_platforms(status)),
                    )
                )
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for row in rows:
            typer.echo("   ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "   " + row[4])

    raise typer.Exit(run_guarded(work, debug=debug))


def _platforms(status: NodeStatus) -> list[str]:
    # As buildx: declared platforms come first, marked with *, then the rest the workers report.
    declared = [f"{p}*" for p in status.node.platforms]
    return declared + [p for p in status.platforms if p not in status.node.platforms]


@builder_app.command("inspect", cls=PanelCommand)
def inspect(
    name: Annotated[str | None, typer.Argument(help="Builder name; default: the current one.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="Output format: text or json.")] = "text",
    debug: DebugOpt = False,
) -> None:
    """Show a builder's nodes: status, BuildKit version, workers, platforms and cache usage."""

    def work() -> None:
        from buildwright.client.builders import buildx_current, find_builder, load_store

        if output_format not in ("text", "json"):
            raise UsageError(f"unknown --format {output_format!r}: use text or json")
        chosen = name or load_store().current or buildx_current()
        if not chosen:
            raise BuildConfigError("no builder named and none chosen with `buildwright builder use`")
        builder = find_builder(chosen)
        from buildwright.client.nodeinfo import builder_status

        statuses = builder_status(builder, detailed=True)
        if output_format == "json":
            typer.echo(json.dumps(_inspect_json(builder, statuses), indent=2))
        else:
            typer.echo(_inspect_text(builder, statuses), nl=False)

    raise typer.Exit(run_guarded(work, debug=debug))


def _inspect_json(builder: Builder, statuses: tuple[NodeStatus, ...]) -> dict[str, object]:
    return {
        "name": builder.name,
        "driver": builder.driver,
        "source": builder.source,
        "nodes": [
            {
                "name": s.node.name,
                "endpoint": s.endpoint,
                "status": "running" if s.reachable else "unreachable",
                "error": s.error,
                "buildkit": s.version,
                "revision": s.revision,
                "platforms": _platforms(s),
                "workers": [{"id": w.id, "platforms": list(w.platforms), "labels": dict(w.labels)} for w in s.workers],
                "cache": dict(s.usage),
            }
            for s in statuses
        ],
    }


def _inspect_text(builder: Builder, statuses: tuple[NodeStatus, ...]) -> str:
    lines = [f"Name:          {builder.name}", f"Driver:        {builder.driver} ({builder.source})", "", "Nodes:"]
    for s in statuses:
        lines += [f"Name:          {s.node.name}", f"Endpoint:      {s.endpoint}"]
        if not s.reachable:
            lines += [f"Status:        unreachable: {s.error}", ""]
            continue
        lines += [
            "Status:        running",
            f"BuildKit:      {s.version or 'unknown'}" + (f" {s.revision}" if s.revision else ""),
            f"Platforms:     {', '.join(_platforms(s))}",
        ]
        for worker in s.workers:
            lines += [f"Worker:        {worker.id}", f"  Platforms:   {', '.join(worker.platforms)}"]
            lines += [f"  {key}: {value}" for key, value in worker.labels]
        lines.append("Cache usage:   " + ", ".join(f"{k} {v} B" for k, v in s.usage))
        lines.append("")
    return "\n".join(lines) + "\n"


@builder_app.command("use", cls=PanelCommand)
def use(
    name: Annotated[str, typer.Argument(help="Builder name.", show_default=False)],
    debug: DebugOpt = False,
) -> None:
    """Make NAME the builder commands use when neither --addr, --builder nor the environment names one."""

    def work() -> None:
        from buildwright.client.builders import find_builder, load_store, save_store, use_builder

        builder = find_builder(name)
        save_store(use_builder(load_store(), builder))

    raise typer.Exit(run_guarded(work, debug=debug))


@builder_app.command("rm", cls=PanelCommand)
def rm(
    name: Annotated[str, typer.Argument(help="Builder name.", show_default=False)],
    debug: DebugOpt = False,
) -> None:
    """Remove a builder from buildwright's store (the engines keep running; buildx's store is never written)."""

    def work() -> None:
        from buildwright.client.builders import load_store, remove_builder, save_store

        save_store(remove_builder(load_store(), name))

    raise typer.Exit(run_guarded(work, debug=debug))
