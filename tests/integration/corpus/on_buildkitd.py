"""The corpus on a standalone buildkitd: buildx's remote driver builds each case once on the daemon
(the reference), then buildwright builds it over the daemon's unix socket and over its mutual-TLS
port; both of buildwright's images are compared with the reference, all three read from docker
tarballs. The second of buildwright's builds finds every step in the daemon's cache, so the second
transport costs little; cases run a few at a time (tests/integration/buildkitd.py's Prefetch).
"""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import buildwright
from buildwright.client.events import BuildEvent
from tests.integration.buildkitd import Buildkitd, buildx_remote_build, engine_options
from tests.integration.corpus.cases import Case
from tests.integration.corpus.runner import CaseRun, OurBuild, ReferenceBuild, _context_value, _substituted
from tests.integration.reference import EngineInfo, ImageSnapshot, snapshot_archive


@dataclass(frozen=True, slots=True)
class BuildkitdCaseRuns:
    """One case on the daemon: a CaseRun per transport, sharing the reference build."""

    unix: CaseRun
    tcp: CaseRun

    def of(self, transport: str) -> CaseRun:
        return self.unix if transport == "unix" else self.tcp


class BuildkitdCorpusRunner:
    def __init__(self, engine: EngineInfo, daemon: Buildkitd, builder: str, server_args: Mapping[str, str]) -> None:
        self._engine = engine
        self._daemon = daemon
        self._builder = builder
        self._server_args = dict(server_args)

    def run(self, case: Case) -> BuildkitdCaseRuns:
        server_args = {k: v for k, v in self._server_args.items() if _wanted(k, case)}
        build_args = {**server_args, **_substituted(case.build_args, server_args)}
        contexts = {name: _context_value(case, value, server_args) for name, value in case.build_contexts.items()}
        with tempfile.TemporaryDirectory(prefix="bw-corpus-bkd-") as tmp:
            folder = Path(tmp)
            reference, reference_image, error = self._buildx(case, folder / "buildx.tar", build_args, contexts)
            runs = []
            for tcp in (False, True):
                dest = folder / f"ours-{'tcp' if tcp else 'unix'}.tar"
                ours = self._buildwright(case, dest, build_args, contexts, tcp=tcp)
                our_image, snapshot_error = None, error
                if reference.ok and ours.ok and not case.expect.fails and snapshot_error is None:
                    try:
                        our_image = snapshot_archive(dest, case.name)
                    except Exception as exc:
                        snapshot_error = "".join(traceback.format_exception(exc))
                runs.append(
                    CaseRun(case, reference, ours, reference_image, our_image, None, snapshot_error=snapshot_error)
                )
        return BuildkitdCaseRuns(runs[0], runs[1])

    def _buildx(
        self, case: Case, dest: Path, build_args: Mapping[str, str], contexts: Mapping[str, str]
    ) -> tuple[ReferenceBuild, ImageSnapshot | None, str | None]:
        extra: list[str] = []
        for name, value in sorted(contexts.items()):
            extra += ["--build-context", f"{name}={value}"]
        for key, value in sorted(case.labels.items()):
            extra += ["--label", f"{key}={value}"]
        if case.platform:
            extra += ["--platform", case.platform]
        started = time.monotonic()
        done = buildx_remote_build(
            self._engine,
            self._builder,
            case.folder,
            dest,
            dockerfile=case.dockerfile_path if case.dockerfile else None,
            target=case.target,
            build_args=build_args,
            extra_args=extra,
            check=False,
        )
        reference = ReferenceBuild(ok=done.returncode == 0, output=done.stderr, seconds=time.monotonic() - started)
        if not reference.ok or case.expect.fails:
            return reference, None, None
        try:
            return reference, snapshot_archive(dest, case.name), None
        except Exception as exc:
            return reference, None, "".join(traceback.format_exception(exc))

    def _buildwright(
        self, case: Case, dest: Path, build_args: Mapping[str, str], contexts: Mapping[str, str], *, tcp: bool
    ) -> OurBuild:
        events: list[BuildEvent] = []
        options: dict[str, Any] = {}
        if contexts:
            options["build_contexts"] = contexts
        if case.labels:
            options["labels"] = case.labels
        if case.platform:
            options["platform"] = case.platform
        started = time.monotonic()
        error: BaseException | None = None
        error_traceback = ""
        try:
            buildwright.build(
                case.folder,
                dockerfile=case.dockerfile_path if case.dockerfile else None,
                outputs=[f"type=docker,dest={dest}"],
                target=case.target,
                build_args=build_args,
                engine=engine_options(self._engine, self._daemon, tcp=tcp),
                on_event=events.append,
                **options,
            )
        except Exception as exc:
            error = exc
            error_traceback = "".join(traceback.format_exception(exc))
        return OurBuild(error, error_traceback, tuple(events), time.monotonic() - started)


def _wanted(arg: str, case: Case) -> bool:
    # HTTP_BASE for cases that ask for the http server; GIT_* for the git one.
    return ("http" in case.servers and arg == "HTTP_BASE") or ("git" in case.servers and arg.startswith("GIT_"))
