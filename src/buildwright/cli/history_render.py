"""Build records as `docker buildx history ls` and `history inspect` print them (text and JSON)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import grpc

from buildwright._golang import go_json
from buildwright.cli.cache_table import TABBED, TABLE, human_duration, tabwrite
from buildwright.client.history import HistoryRecord
from buildwright.client.history_view import Inspection
from buildwright.history import NamedRecord

_NAME_WIDTH = 36
# Go's names of the gRPC codes (codes.Code.String()).
_CODE_NAMES = {code.value[0]: "".join(p.capitalize() for p in code.name.split("_")) for code in grpc.StatusCode}
_CODE_NAMES[grpc.StatusCode.CANCELLED.value[0]] = "Canceled"
_CODE_NAMES[grpc.StatusCode.OK.value[0]] = "OK"


def format_duration(nanos: int) -> str:
    """buildx's short duration: `4.2s` under a minute, else `3m 5s`."""
    seconds = nanos / 1e9
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m {int(seconds) % 60:2d}s"


def _trim_beginning(text: str, width: int) -> str:
    return text if len(text) <= width else ".." + text[len(text) - width + 2 :]


def _ls_status(record: HistoryRecord) -> str:
    if record.completed_ns is None:
        return "Running"
    return "Completed" if record.status == "completed" else "Error"


def _ls_duration(record: HistoryRecord) -> str:
    if record.completed_ns is None and record.engine_now is None:
        return ""
    spent = format_duration(record.duration_ns() or 0)
    return spent if record.completed_ns is not None else spent + "+"


def ls_table(records: Sequence[NamedRecord], *, truncate: bool = True, now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    rows = [["BUILD ID", "NAME", "STATUS", "CREATED AT", "DURATION", ""]]
    for named in records:
        record = named.record
        created = record.created_at
        age = human_duration((moment - created).total_seconds()) + " ago" if created else ""
        name = _trim_beginning(named.name, _NAME_WIDTH) if truncate else named.name
        rows.append([record.ref, name, _ls_status(record), age, _ls_duration(record), ""])
    return tabwrite(rows, TABLE)


def rfc3339_nano(nanos: int, *, local: bool = False) -> str:
    """Go's RFC 3339 with nanoseconds (trailing zeros dropped), in UTC or the local zone."""
    seconds, rest = divmod(nanos, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC)
    if local:
        moment = moment.astimezone()
    fraction = f".{rest:09d}".rstrip("0").rstrip(".")
    offset = moment.utcoffset()
    if offset is None or not offset:
        zone = "Z"
    else:
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        zone = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}{zone}"


def ls_json(records: Sequence[NamedRecord], prefix: str) -> str:
    """One JSON object per record, keys sorted (Go's encoding of a map)."""
    lines = []
    for named in records:
        record = named.record
        item: dict[str, Any] = {
            "cached_steps": record.cached_steps,
            "completed_steps": record.completed_steps,
            "created_at": rfc3339_nano(record.created_ns or 0),
            "name": named.name,
            "ref": f"{prefix}/{record.ref}",
            "status": _ls_status(record),
            "total_steps": record.total_steps,
        }
        if record.completed_ns is not None:
            item["completed_at"] = rfc3339_nano(record.completed_ns)
        lines.append(go_json(dict(sorted(item.items()))) + "\n")
    return "".join(lines)


def _key_values(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in (("Name", name), ("Value", value)) if v} for name, value in pairs]


def inspect_json(found: Inspection) -> str:
    """`history inspect --format json`: buildx's fields in its order, empty ones left out."""
    record = found.record
    out: dict[str, Any] = {}

    def put(key: str, value: Any) -> None:
        if value:
            out[key] = value

    put("Name", found.name)
    out["Ref"] = record.ref
    put("Context", found.context)
    put("Dockerfile", found.dockerfile)
    put("VCSRepository", found.vcs_repository)
    put("VCSRevision", found.vcs_revision)
    put("Target", found.target)
    put("Platform", list(found.platforms))
    put("KeepGitDir", found.keep_git_dir)
    put("NamedContexts", _key_values(found.named_contexts))
    if record.created_ns is not None:
        out["StartedAt"] = rfc3339_nano(record.created_ns, local=True)
    if record.completed_ns is not None:
        out["CompletedAt"] = rfc3339_nano(record.completed_ns, local=True)
    put("Duration", record.duration_ns() or 0)
    put("Status", record.status)
    if record.error_code is not None or record.external_error is not None:
        error: dict[str, Any] = {}
        if record.error_code:
            error["Code"] = record.error_code
        if record.error_message:
            error["Message"] = record.error_message
        if found.failed_step is not None:
            if found.failed_step.name:
                error["Name"] = found.failed_step.name
            if found.failed_step.logs:
                error["Logs"] = list(found.failed_step.logs)
        if found.error_sources:
            error["Sources"] = base64.b64encode("".join(s + "\n" for s in found.error_sources).encode()).decode()
        out["Error"] = error
    out["NumCompletedSteps"] = record.completed_steps
    out["NumTotalSteps"] = record.total_steps
    out["NumCachedSteps"] = record.cached_steps
    put("BuildArgs", _key_values(found.build_args))
    put("Labels", _key_values(found.labels))
    config: dict[str, Any] = {key: list(v) if isinstance(v, tuple) else v for key, _, v in found.config}
    if found.rest:
        config["RestRaw"] = _key_values(found.rest)
    out["Config"] = config
    put("Materials", [{"URI": m.uri, "Digests": list(m.digests)} for m in found.materials])
    attachments = [(("Digest", a.digest), ("Platform", a.platform), ("Type", a.type)) for a in found.attachments]
    put("Attachments", [{k: v for k, v in fields if v} for fields in attachments])
    put("Errors", list(found.errors))
    return go_json(out, indent=2) + "\n"


def _table(title: str, pairs: Sequence[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    return tabwrite([[title.upper(), "VALUE"], *[[k, v] for k, v in pairs]], TABBED) + "\n"


def inspect_text(found: Inspection, *, show_ref: bool, debug: bool = False) -> str:
    """`history inspect`'s pretty output: tab-aligned blocks, one blank line after each."""
    record = found.record
    head: list[list[str]] = []
    for label, value in (
        ("Name", found.name),
        ("Ref", record.ref if show_ref else ""),
        ("Context", found.context),
        ("Dockerfile", found.dockerfile),
        ("VCS Repository", found.vcs_repository),
        ("VCS Revision", found.vcs_revision),
        ("Target", found.target),
        ("Platforms", ", ".join(found.platforms)),
        ("Keep Git Dir", "true" if found.keep_git_dir else ""),
    ):
        if value:
            head.append([f"{label}:", value])
    parts = [tabwrite(head, TABBED) if head else "", "\n", _table("Named Context", found.named_contexts)]

    timing: list[list[str]] = []
    started = record.created_at.astimezone() if record.created_at else None
    timing.append(["Started:", f"{started:%Y-%m-%d %H:%M:%S}" if started else "0001-01-01 00:00:00"])
    running = " (running)" if record.status == "running" else ""
    timing.append(["Duration:", format_duration(record.duration_ns() or 0) + running])
    if record.status == "failed":
        code = _CODE_NAMES.get(record.error_code or 0, f"Code({record.error_code})")
        timing.append(["Error:", f"{code} {record.error_message}"])
    elif record.status == "canceled":
        timing.append(["Status:", "Canceled"])
    share = record.cached_steps / record.total_steps * 100 if record.total_steps else float("nan")
    share_text = "NaN" if share != share else f"{share:.0f}"
    timing.append(["Build Steps:", f"{record.completed_steps}/{record.total_steps} ({share_text}% cached)"])
    parts += [tabwrite(timing, TABBED), "\n"]

    config = [[f"{label}:", _config_value(value)] for _, label, value in found.config]
    config += [[f"{k}:", v] for k, v in found.rest]
    parts += [tabwrite(config, TABBED) if config else "", "\n"]
    parts += [_table("Build Arg", found.build_args), _table("Label", found.labels)]
    if found.materials:
        rows = [["URI", "DIGEST"], *[[m.uri, ", ".join(m.digests)] for m in found.materials]]
        parts += ["Materials:\n", tabwrite(rows, TABBED), "\n"]
    if found.attachments:
        rows = [["DIGEST", "PLATFORM", "TYPE"], *[[a.digest, a.platform, a.type] for a in found.attachments]]
        parts += ["Attachments:\n", tabwrite(rows, TABBED), "\n"]
    parts += [source + "\n" for source in found.error_sources]
    if found.failed_step is not None and found.failed_step.logs:
        parts.append("Logs:\n")
        parts.append(f"> => {found.failed_step.name}:\n")
        parts += [f"> {line}\n" for line in found.failed_step.logs]
        parts.append("\n")
    parts.append(f"Print build logs: buildwright history logs {record.ref}\n")
    return "".join(parts)


def _config_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)
