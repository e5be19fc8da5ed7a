"""Fuzz targets: each takes the raw input bytes and drives one part of buildwright with them.

A target may raise any `BuildwrightError` (bad input, reported cleanly); anything else escaping
is a finding. Nothing here needs an engine: base images come from a fake resolver.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from buildwright.api import parse_build_args, parse_key_values
from buildwright.client.cache import parse_cache_specs
from buildwright.client.outputs import parse_output
from buildwright.client.session.secrets import parse_secret_spec
from buildwright.client.session.ssh import parse_ssh_spec
from buildwright.dockerfile import parse_dockerfile, read_ignore_patterns
from buildwright.dockerfile.ignore import MatchInfo, PatternMatcher
from buildwright.dockerfile.lexer import ShellLex
from buildwright.frontend.contexts import context_name
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.graph import build_graph
from buildwright.frontend.lint import LintOptions, StageRules, run_lint
from buildwright.frontend.options import FrontendOptions
from buildwright.frontend.platforms import parse_platforms
from buildwright.frontend.resolver import ImageRequest, ResolvedImage
from buildwright.frontend.run_options import run_defaults_from_flags

Target = Callable[[bytes], None]

_CONFIG = json.dumps(
    {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
    }
).encode()


class FakeResolver:
    """Answers every base image with one small config, as an engine would for `busybox`."""

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        return [ResolvedImage(request.ref, "sha256:" + "b" * 64, _CONFIG) for request in requests]


_ENV = {"a": "x", "b": "y z", "HOME": "/root", "empty": "", "PATH": "/bin"}
_PATHS = ("a", "a/b", "a/b/c.txt", "node_modules/x/y.js", "src/main.go", "caf\udce9.txt", "d/" * 20 + "f", "x" * 300)


_PATH_MAX = 4096


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def parse_target(data: bytes) -> None:
    parse_dockerfile(data)


def expand_target(data: bytes) -> None:
    # The first byte picks the lexer's options, the rest is one word.
    flags = data[0] if data else 0
    escape = "`" if flags & 1 else "\\"
    lex = ShellLex(escape).with_options(
        raw_quotes=bool(flags & 2), raw_escapes=bool(flags & 4), skip_unset_env=bool(flags & 8)
    )
    # One pass gives both the text and the split words (process_word and process_words each
    # make that pass and keep one): a deep word costs seconds, so not twice.
    lex.process(_text(data[1:]), _ENV)


def ignore_target(data: bytes) -> None:
    patterns = read_ignore_patterns(data)
    matcher = PatternMatcher(patterns)
    # Paths built from the patterns themselves reach the interesting branches; a walk never sees a
    # path longer than Linux's PATH_MAX (the reference's walk fails on one), so neither do these.
    derived = [p.lstrip("!").replace("*", "ab").replace("?", "q")[:_PATH_MAX] for p in patterns[:8]]
    paths = list(_PATHS) + derived
    for path in paths:
        matcher.matches_or_parent_matches(path)
        info = MatchInfo()
        parts = path.split("/")
        for depth in range(1, min(len(parts), 12) + 1):
            _, info = matcher.matches_using_parent_results("/".join(parts[:depth]), info)


def compile_target(data: bytes) -> None:
    # What `check` does (every stage), then what a build does before it sends anything: parse,
    # compile with the checks firing, the checks' report, marshal, graph.
    resolver = FakeResolver()
    run_lint(data, "Dockerfile", LintOptions(build_args={"a": "1"}), resolver)
    dockerfile = parse_dockerfile(data)
    options = FrontendOptions(session_id="fuzz", build_args={"a": "1"})
    rules = StageRules()
    compiled = compile_dockerfile(dockerfile, options, resolver, rules=rules)
    run_lint(
        data, "Dockerfile", LintOptions(build_args={"a": "1"}, all_stages=False), resolver, dockerfile, dispatched=rules
    )
    compiled.definition.to_bytes()
    build_graph(dockerfile, options)


def _option(parse: Callable[[str], object]) -> Target:
    def target(data: bytes) -> None:
        parse(_text(data))

    return target


def _build_context(value: str) -> None:
    for name in parse_key_values([value], what="context"):
        context_name(name)


OPTION_TARGETS: dict[str, Target] = {
    "opt-output": _option(parse_output),
    "opt-cache": _option(lambda v: parse_cache_specs([v])),
    "opt-secret": _option(parse_secret_spec),
    "opt-ssh": _option(parse_ssh_spec),
    "opt-platform": _option(lambda v: parse_platforms([v])),
    "opt-build-context": _option(_build_context),
    "opt-add-host": _option(lambda v: run_defaults_from_flags(add_hosts=(v,))),
    "opt-ulimit": _option(lambda v: run_defaults_from_flags(ulimits=(v,))),
    "opt-build-arg": _option(lambda v: parse_build_args([v], env={"FROM_ENV": "1"})),
    "opt-shm-size": _option(lambda v: run_defaults_from_flags(shm_size=v)),
    "opt-network": _option(lambda v: run_defaults_from_flags(network=v)),
}

TARGETS: dict[str, Target] = {
    "parse": parse_target,
    "expand": expand_target,
    "ignore": ignore_target,
    "compile": compile_target,
    **OPTION_TARGETS,
}
