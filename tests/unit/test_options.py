"""The option values: keywords sorted into them by name, and every build flag reaching one."""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path

import pytest

from buildwright.cli.build_cmd import build as build_command
from buildwright.cli.build_flags import options_from_flags
from buildwright.options import BuildOptions, OutputOptions, split_keywords

# `build` parameters that are not build or output options: how to run, not what to build.
NOT_OPTIONS = {
    "context", "file", "call", "print_", "progress", "quiet", "debug", "log_format", "addr", "tlscacert",
    "tlscert", "tlskey", "tlsservername", "builder", "legacy_rm", "legacy_force_rm", "legacy_compress",
    "format",  # how --explain prints (text or json), like --progress
}  # fmt: skip


def test_keywords_and_values_make_the_same_options() -> None:
    by_keywords = split_keywords({"target": "app", "tags": ["app:1"], "no_cache": True})
    by_values = split_keywords({}, BuildOptions(target="app", no_cache=True), OutputOptions(tags=["app:1"]))
    assert by_keywords == by_values


def test_keywords_override_given_values() -> None:
    built, output = split_keywords({"target": "b", "push": True}, BuildOptions(target="a", pull=True))
    assert (built.target, built.pull, output.push) == ("b", True, True)


def test_a_single_tag_string_is_one_tag() -> None:
    assert split_keywords({"tags": "app:1"})[1].tags == ("app:1",)


def test_an_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'tag'"):
        split_keywords({"tag": "x"})


def test_every_build_flag_is_an_option_field_or_says_how_to_run() -> None:
    names = {f.name for f in fields(BuildOptions)} | {f.name for f in fields(OutputOptions)}
    parameters = set(inspect.signature(build_command).parameters)
    assert parameters - NOT_OPTIONS <= names, parameters - NOT_OPTIONS - names
    # Every option field but the Dockerfile (read from --file or stdin) has its flag.
    assert names - parameters == {"dockerfile", "output_stream"}


def test_flags_become_options() -> None:
    flags = {
        "tags": ["a:1", "b:2"],
        "build_args": ["X=1"],
        "labels": ["k=v"],
        "build_contexts": ["base=docker-image://busybox"],
        "platform": ["linux/arm64"],
        "secrets": None,
        "network": "none",
        "quiet": True,
    }
    built, output = options_from_flags(flags, Path("Dockerfile.x"))
    assert built.dockerfile == Path("Dockerfile.x")
    assert built.build_args == {"X": "1"} and built.labels == {"k": "v"}
    assert built.build_contexts == {"base": "docker-image://busybox"}
    assert built.platform == ("linux/arm64",) and built.network == "none" and built.secrets == ()
    assert output.tags == ("a:1", "b:2")


def test_every_explain_flag_is_an_option_field_or_says_how_to_run() -> None:
    from buildwright.cli.explain_cmd import explain

    names = {f.name for f in fields(BuildOptions)}
    parameters = set(inspect.signature(explain).parameters) - {"secrets", "ssh", "format"}
    assert parameters - NOT_OPTIONS <= names, parameters - NOT_OPTIONS - names
