"""The live view: a BuildSnapshot drawn as the lines of BuildKit's terminal display.

`render_frame` is a pure function of a snapshot and the terminal size, so it can be checked
against golden strings. The layout follows util/progress/progressui/display.go (`ttyDisplay.print`):

    [+] Building 3.2s (7/9)
     => [internal] load build context                                       0.1s
     => => transferring context: 2.30MB                                     0.1s
     => CACHED [2/4] COPY a.txt /a.txt                                      0.0s
     => [3/4] RUN make                                                      1.2s
     => => # compiling foo.c

Finished lines are blue, errors red, cancelled steps and warnings yellow, log lines faint. While
the build runs, lines that do not fit are dropped from the top, keeping unfinished steps in view.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

from buildwright._values import valueclass
from buildwright.progress.model import BuildSnapshot, StepState, StepView
from buildwright.progress.units import format_bytes

STYLE_DONE = Style(color="blue")
STYLE_CANCELED = Style(color="yellow")
STYLE_ERROR = Style(color="red")
STYLE_LOG = Style(dim=True)

_PREFIX = " => "
_LOG_PREFIX = " => => # "
# Log lines get this much less room than the terminal, as BuildKit's embedded terminal does.
_LOG_PAD = 10
# Fewer columns than this for a step's name and the line is left out (too narrow to be useful).
_MIN_NAME = 12
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]")


@valueclass
class _Job:
    name: str
    seconds: float
    status: str
    finished: bool
    style: Style | None
    step: StepView | None = None


def render_frame(
    snapshot: BuildSnapshot, *, width: int, height: int, final: bool = False, phase: str = "Building"
) -> Text:
    """The view of `snapshot` for a `width` x `height` terminal; `final` shows every line."""
    width = max(width, 20)
    status = " FINISHED" if final and snapshot.completed > 0 and snapshot.completed == snapshot.total else ""
    header = f"[+] {phase} {snapshot.elapsed:.1f}s ({snapshot.completed}/{snapshot.total}){status}"
    text = Text(header[:width], no_wrap=True, overflow="crop", end="")
    jobs = _jobs(snapshot.steps)
    log_steps, hidden = _log_steps(jobs, snapshot.steps, height)
    if not final:
        jobs = _fit(jobs, height - 2 - hidden)
    for job in jobs:
        line = _job_line(job, width)
        if line is None:
            continue
        text.append("\n")
        text.append(line, style=job.style if job.finished else None)
        if job.step is not None and job.step.digest in log_steps:
            for log in job.step.logs:
                text.append("\n")
                text.append(f"{_LOG_PREFIX}{_clean(log)}"[: max(width - 1, 0)], style=STYLE_LOG)
    return text


def _jobs(steps: tuple[StepView, ...]) -> list[_Job]:
    jobs: list[_Job] = []
    for step in steps:
        name = step.name.replace("\t", " ")
        style: Style | None = STYLE_DONE
        if step.state is StepState.ERROR:
            name, style = f"ERROR {name}", STYLE_ERROR
        elif step.state is StepState.CANCELED:
            name, style = f"CANCELED {name}", STYLE_CANCELED
        elif step.state is StepState.CACHED:
            name = f"CACHED {name}"
        if step.cause and step.state is not StepState.CACHED:
            name = f"{name} <- {step.cause}"  # `build --explain`: why it runs
        jobs.append(_Job(name, step.seconds, "", step.finished, style, step))
        for task in step.tasks:
            amount = ""
            if task.total:
                amount = f"{format_bytes(task.current)} / {format_bytes(task.total)}"
            elif task.current:
                amount = format_bytes(task.current)
            jobs.append(_Job(f"=> {task.id}", task.seconds, amount, task.done, STYLE_DONE))
        for warning in step.warnings:
            jobs.append(_Job(f"WARN: {warning}", step.seconds, "", True, STYLE_CANCELED))
    return jobs


def _log_steps(jobs: list[_Job], steps: tuple[StepView, ...], height: int) -> tuple[set[str], int]:
    """Which running steps show their last log lines, and how many lines those take.

    Logs only show while there is room for them below the unfinished lines; the chattiest steps first.
    """
    in_use = sum(1 for job in jobs if not job.finished)
    candidates = sorted(
        (s for s in steps if not s.finished and s.log_bytes > 0 and s.logs), key=lambda s: s.log_bytes, reverse=True
    )
    free = height - 2 - in_use
    shown: set[str] = set()
    hidden = 0
    for step in candidates:
        needed = len(step.logs) + 3
        if free <= needed:
            break
        shown.add(step.digest)
        hidden += len(step.logs)
        free -= needed
    return shown, hidden


def _fit(jobs: list[_Job], limit: int) -> list[_Job]:
    """The last `limit` lines, with unfinished lines that scrolled off brought back in place of finished ones."""
    if limit < 0:
        return []
    if len(jobs) <= limit:
        return jobs
    cut = len(jobs) - limit
    kept = jobs[cut:]
    invisible = [job for job in jobs[:cut] if not job.finished]
    if not invisible:
        return kept
    budget = len(invisible)
    rewrapped: list[_Job] = []
    for job in kept:
        if not job.finished or budget <= 0:
            rewrapped.append(job)
        budget -= 1
    free = len(kept) - len(rewrapped)
    return invisible[len(invisible) - free :] + rewrapped if free else rewrapped


def _job_line(job: _Job, width: int) -> str | None:
    seconds = 0.0 if job.seconds < 0.05 else job.seconds
    timer = f" {seconds:3.1f}s"
    # One column is kept free, so a full line never wraps on terminals that wrap at the last column.
    timer_room = len(timer) + 1
    left = width - len(_PREFIX) - timer_room - 1
    show_status = False
    if job.status and left + len(job.status) > 20:
        show_status = True
        left -= len(job.status) + 1
    if left < _MIN_NAME:
        return None
    body = _PREFIX + job.name[:left]
    if show_status:
        body += " " + job.status
    return body.ljust(width - timer_room - 1) + " " + timer


def _clean(line: str) -> str:
    return _ESCAPES.sub("", line.replace("\t", "    "))
