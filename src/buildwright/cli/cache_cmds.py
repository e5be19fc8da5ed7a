"""`buildwright du` and `buildwright prune`: the engine's build cache, as `docker buildx du/prune` show it."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from buildwright.cli.engine_opts import (
    AddrOpt,
    BuilderOpt,
    DebugOpt,
    LogFormatOpt,
    TlsCaOpt,
    TlsCertOpt,
    TlsKeyOpt,
    TlsServerNameOpt,
    engine_options,
)
from buildwright.cli.errors import run_guarded
from buildwright.cli.logsetup import LogFormat, configure_logging

if TYPE_CHECKING:
    from buildwright.client.diskusage import UsageRecord

_NORMAL_WARNING = "WARNING! This will remove all dangling build cache. Are you sure you want to continue?"
_ALL_WARNING = "WARNING! This will remove all build cache. Are you sure you want to continue?"

FilterOpt = Annotated[
    list[str] | None,
    typer.Option("--filter", help="Provide filter values (KEY=VALUE, e.g. id=..., type=regular, until=24h)."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Show every field of each record.")]


def du(
    filter: FilterOpt = None,
    verbose: VerboseOpt = False,
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Show the engine's build cache usage (like `docker buildx du`)."""
    configure_logging(debug=debug, log_format=log_format)

    def work() -> None:
        # Imported here, so that other commands and --help do not load the engine client.
        from buildwright import api
        from buildwright.cli.cache_table import du_summary, du_table, du_verbose

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        records = api.disk_usage(filters=tuple(filter or ()), engine=engine)
        now = datetime.now(UTC)
        out = du_verbose(records, now) if verbose else du_table(records, now)
        # As buildx: the totals only for the whole, unfiltered cache.
        if not filter:
            out += du_summary(records)
        sys.stdout.write(out)
        sys.stdout.flush()

    raise typer.Exit(run_guarded(work, debug=debug))


def prune(
    all: Annotated[bool, typer.Option("--all", "-a", help="Include internal/frontend images.")] = False,
    filter: FilterOpt = None,
    reserved_space: Annotated[
        str | None,
        typer.Option(
            "--reserved-space", "--keep-storage", help="Amount of disk space always allowed to keep for cache."
        ),
    ] = None,
    max_used_space: Annotated[
        str | None, typer.Option("--max-used-space", help="Maximum amount of disk space allowed to keep for cache.")
    ] = None,
    min_free_space: Annotated[
        str | None, typer.Option("--min-free-space", help="Target amount of free disk space after pruning.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Do not prompt for confirmation.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Provide a more verbose output.")] = False,
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Remove build cache from the engine (like `docker buildx prune`); asks first unless --force."""
    configure_logging(debug=debug, log_format=log_format)

    def work() -> None:
        from buildwright import api
        from buildwright.cli.cache_table import TABBED, human_size, tabwrite
        from buildwright.client.diskusage import parse_byte_size, parse_filters

        sizes = {
            "reserved_space": parse_byte_size(reserved_space) if reserved_space else 0,
            "max_used_space": parse_byte_size(max_used_space) if max_used_space else 0,
            "min_free_space": parse_byte_size(min_free_space) if min_free_space else 0,
        }
        filters = tuple(filter or ())
        parse_filters(filters)  # bad filters fail before the question is asked
        if not force and not _confirm(_ALL_WARNING if all else _NORMAL_WARNING):
            return
        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        printer = _PrunePrinter(verbose)
        removed = api.prune(filters=filters, all=all, engine=engine, on_record=printer.add, **sizes)
        sys.stdout.write(tabwrite([["Total:", human_size(sum(r.size for r in removed))]], TABBED))
        sys.stdout.flush()

    raise typer.Exit(run_guarded(work, debug=debug))


class _PrunePrinter:
    """Writes each removed record as the engine reports it (a header before the first, as buildx)."""

    def __init__(self, verbose: bool) -> None:
        self._verbose = verbose
        self._first = True

    def add(self, record: UsageRecord) -> None:
        from buildwright.cli.cache_table import PRUNE_HEADER, TABBED, prune_row, prune_verbose, tabwrite

        now = datetime.now(UTC)
        if self._verbose:
            sys.stdout.write(prune_verbose(record, now))
        else:
            # buildx aligns the header with the first row only, then each row on its own.
            rows = [list(PRUNE_HEADER), prune_row(record, now)] if self._first else [prune_row(record, now)]
            sys.stdout.write(tabwrite(rows, TABBED))
        self._first = False
        sys.stdout.flush()


def _confirm(warning: str) -> bool:
    sys.stdout.write(f"{warning} [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")
