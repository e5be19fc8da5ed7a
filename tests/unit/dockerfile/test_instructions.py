"""Typed instructions: fields, flag validation and the reference's error messages."""

from __future__ import annotations

import pytest

from buildwright.dockerfile import (
    AddInstruction,
    ArgInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvExpander,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    KeyValueOptional,
    OnbuildInstruction,
    RunInstruction,
    ShellLex,
    parse_dockerfile,
    split_stages,
)
from buildwright.errors import DockerfileError


def one(line: str) -> object:
    return parse_dockerfile("FROM scratch\n" + line + "\n").instructions[1]


def test_from_fields() -> None:
    instruction = parse_dockerfile("FROM --platform=$P Alpine:3 As Build\n").instructions[0]
    assert isinstance(instruction, FromInstruction)
    assert (instruction.image, instruction.stage_name, instruction.platform) == ("Alpine:3", "build", "$P")


def test_copy_and_add_fields() -> None:
    copy = one("COPY --from=b --chown=1:2 --chmod=755 --link --exclude=*.md --exclude=x a b /d/")
    assert isinstance(copy, CopyInstruction)
    assert (copy.from_stage, copy.chown, copy.chmod, copy.link) == ("b", "1:2", "755", True)
    assert copy.excludes == ("*.md", "x") and copy.sources == ("a", "b") and copy.dest == "/d/"
    add = one("ADD --checksum=sha256:00 --keep-git-dir --unpack=false http://x/y /z")
    assert isinstance(add, AddInstruction)
    assert (add.checksum, add.keep_git_dir, add.unpack) == ("sha256:00", True, False)
    assert one("ADD a b").unpack is None  # type: ignore[attr-defined]


def test_run_fields() -> None:
    run = one('RUN --network=none --mount=type=cache,target=/c ["a","b"]')
    assert isinstance(run, RunInstruction)
    assert run.command == ("a", "b") and not run.prepend_shell
    assert (run.network, run.mount_values) == ("none", ("type=cache,target=/c",))


def test_arg_env_expose_healthcheck_entrypoint() -> None:
    arg = one("ARG a b=2 c=")
    assert isinstance(arg, ArgInstruction)
    assert arg.args == (KeyValueOptional("a"), KeyValueOptional("b", "2"), KeyValueOptional("c", ""))
    expose = one("EXPOSE 80/udp 443 1000")
    assert isinstance(expose, ExposeInstruction) and expose.ports == ("1000", "443", "80/udp")
    health = one("HEALTHCHECK --interval=1m30s --retries=3 --start-interval=100ms CMD curl -f x")
    assert isinstance(health, HealthcheckInstruction)
    assert health.test == ("CMD-SHELL", "curl -f x")
    assert (health.interval, health.retries, health.start_interval) == (90 * 10**9, 3, 10**8)
    entrypoint = one("ENTRYPOINT []")
    assert isinstance(entrypoint, EntrypointInstruction) and entrypoint.command is None


def test_onbuild_expression_keeps_heredoc() -> None:
    onbuild = parse_dockerfile("FROM x\nonbuild COPY <<E /f\nhi\nE\n").instructions[1]
    assert isinstance(onbuild, OnbuildInstruction)
    assert onbuild.expression == "COPY <<E /f\nhi\nE"


ERRORS = [
    ("FOOBAR x", "unknown instruction: FOOBAR"),
    ("FOO bar", "unknown instruction: FOO (did you mean FROM?)"),
    ("RUNN x", "unknown instruction: RUNN (did you mean RUN?)"),
    ("copyy a b", "unknown instruction: copyy (did you mean copy?)"),
    ("FROM a b", "FROM requires either one or three arguments"),
    ("FROM a AS 1x", 'invalid name for build stage: "1x", name can\'t start with a number or contain symbols'),
    ("ENV", "ENV requires at least one argument"),
    ("LABEL", "LABEL requires at least one argument"),
    ("ARG", "ARG requires at least one argument"),
    ("ARG =x", "ARG names can not be blank"),
    ("ENV =x", "ENV names can not be blank"),
    ("EXPOSE", "EXPOSE requires at least one argument"),
    ("VOLUME", "VOLUME requires at least one argument"),
    ('VOLUME [""]', "VOLUME specified can not be an empty string"),
    ("ONBUILD", "ONBUILD requires at least one argument"),
    ("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
    ("ONBUILD from x", "FROM isn't allowed as an ONBUILD trigger"),
    ("ONBUILD MAINTAINER x", "MAINTAINER isn't allowed as an ONBUILD trigger"),
    ("MAINTAINER", "MAINTAINER requires exactly one argument"),
    ("WORKDIR", "WORKDIR requires exactly one argument"),
    ("USER", "USER requires exactly one argument"),
    ("STOPSIGNAL", "STOPSIGNAL requires exactly one argument"),
    ("COPY a", "COPY requires at least two arguments, but only one was provided. Destination could not be determined"),
    ("ADD a", "ADD requires at least two arguments, but only one was provided. Destination could not be determined"),
    ("COPY a <<EOF\nEOF", "COPY cannot accept a heredoc as a destination"),
    ("SHELL", "SHELL requires at least one argument"),
    ("SHELL []", "SHELL requires at least one argument"),
    ("SHELL bash -c", "SHELL requires the arguments to be in JSON form"),
    ("HEALTHCHECK", "HEALTHCHECK requires at least one argument"),
    ("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"),
    ("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
    ("HEALTHCHECK foo x", 'Unknown type "FOO" in HEALTHCHECK (try CMD)'),
    ("HEALTHCHECK --interval=1us CMD x", 'Interval "interval" cannot be less than 1ms'),
    ("HEALTHCHECK --timeout=5 CMD x", 'time: missing unit in duration "5"'),
    ("HEALTHCHECK --retries=-1 CMD x", "--retries cannot be negative (-1)"),
    ("HEALTHCHECK --retries=x CMD x", 'strconv.ParseInt: parsing "x": invalid syntax'),
    ("COPY --form=x a b", "unknown flag: --form (did you mean from?)"),
    ("COPY --nope a b", "unknown flag: --nope"),
    ("COPY --from=a --from=b a b", "duplicate flag specified: --from"),
    ("COPY --from a b", "missing a value on flag: --from"),
    ("COPY --link= a b", "missing a value on flag: --link"),
    ("COPY --link=yes a b", "expecting boolean value for flag --link, not: yes"),
    ("RUN --network=bridge x", 'invalid network mode "bridge"'),
    # The engine's frontend (1.19) is built without RUN --security.
    ("RUN --security=insecure y", "unknown flag: --security"),
    # ... and without COPY --parents (labs only).
    ("COPY --parents a /b/", "unknown flag: --parents"),
    ("RUN --mount=from=$x,target=/t y", "'from' doesn't support variable expansion, define alias stage instead"),
    ("RUN --mount='a\"b' y", 'failed to parse csv mounts: parse error on line 1, column 2: bare " in non-quoted field'),
    ("RUN --device=a,b y", "invalid field 'b' must be a key=value pair"),
    ("ENV --x=1 a=b", "unknown flag: --x"),
]


@pytest.mark.parametrize(("line", "message"), ERRORS)
def test_instruction_errors(line: str, message: str) -> None:
    with pytest.raises(DockerfileError) as info:
        parse_dockerfile("FROM scratch\n" + line + "\n")
    assert info.value.message == f"dockerfile parse error on line 2: {message}"
    assert info.value.location is not None and info.value.location.start_line == 2


def test_stopsignal_arg_and_healthcheck_none_ignore_flags() -> None:
    assert one("STOPSIGNAL --whatever SIGKILL").signal == "SIGKILL"  # type: ignore[attr-defined]
    assert one("HEALTHCHECK --bogus NONE").test == ("NONE",)  # type: ignore[attr-defined]
    assert one("ARG --bogus x").args[0].key == "x"  # type: ignore[attr-defined]


def test_stages() -> None:
    df = parse_dockerfile("ARG V=1\nFROM a AS one\nRUN x\nFROM one\nCOPY --from=one a b\n")
    meta, stages = split_stages(df.instructions)
    assert [a.args[0].key for a in meta] == ["V"]
    assert [(s.index, s.name, len(s.commands)) for s in stages] == [(0, "one", 1), (1, "", 1)]
    assert stages[1].display_name == "stage-1"


def test_stage_errors() -> None:
    with pytest.raises(DockerfileError) as info:
        parse_dockerfile("RUN x\nFOO\n")
    assert info.value.message == "no build stage in current context"
    with pytest.raises(DockerfileError, match="dockerfile contains no stages to build"):
        split_stages(parse_dockerfile("ARG x\n").instructions)


def test_expansion_of_fields() -> None:
    df = parse_dockerfile(
        "FROM scratch\n"
        "COPY --chown=$U --exclude=$X $S <<A <<'B' $D\n$U\nA\n$U\nB\n"
        "ENV $K=$U OLD=$U\n"
        "EXPOSE $PORTS\n"
        "RUN --mount=type=$T,target=/c cmd $U\n"
        "ARG $K=$U\n"
    )
    env = {"U": "1000", "X": "x", "S": "src", "D": "/dst", "K": "key", "PORTS": "80 443", "T": "cache"}
    expander = EnvExpander(env)
    copy, envi, expose, run, arg = (i.expand(expander) for i in df.instructions[1:])
    assert (copy.chown, copy.excludes, copy.sources, copy.dest) == ("1000", ("$X",), ("src",), "/dst")  # type: ignore[attr-defined]
    assert [h.data for h in copy.heredocs] == ["1000\n", "$U\n"]  # type: ignore[attr-defined]
    assert [(p.key, p.value) for p in envi.pairs] == [("key", "1000"), ("OLD", "1000")]  # type: ignore[attr-defined]
    assert expose.ports == ("80", "443")  # type: ignore[attr-defined]
    assert run.mounts[0].type == "cache" and run.command == ("cmd $U",)  # type: ignore[attr-defined]
    assert arg.args[0].key == "$K" and arg.args[0].value == "1000"  # type: ignore[attr-defined]
    assert "UNSET" not in expander.unmatched and "U" in expander.matched


def test_copy_from_with_variable_fails_at_expand() -> None:
    copy = one("COPY --from=$STAGE a b")
    with pytest.raises(DockerfileError, match="variable expansion is not supported for --from") as info:
        copy.expand(EnvExpander({"STAGE": "x"}))  # type: ignore[attr-defined]
    assert info.value.location is not None and info.value.location.start_line == 2


def test_expand_error_gets_location() -> None:
    workdir = one("WORKDIR ${x")
    with pytest.raises(DockerfileError) as info:
        workdir.expand(EnvExpander({}, ShellLex()))  # type: ignore[attr-defined]
    assert info.value.location is not None and info.value.location.start_line == 2


def test_empty_source() -> None:
    with pytest.raises(DockerfileError) as info:
        parse_dockerfile(b"")
    assert info.value.message == "the Dockerfile cannot be empty"


def test_onbuild_trigger_parsing() -> None:
    from buildwright.dockerfile import parse_onbuild_trigger
    from buildwright.location import SourceRange

    where = SourceRange("Dockerfile", 7, 7)
    trigger = parse_onbuild_trigger("RUN --mount=from=x echo", where)
    assert isinstance(trigger, RunInstruction) and trigger.location == where
    for text, message in [
        ("RUN a\nRUN b", "onbuild trigger should be a single expression"),
        ("FROM x", "*instructions.Stage is not a command type"),
        ("RUN --bad x", "unknown flag: --bad"),
    ]:
        with pytest.raises(DockerfileError) as info:
            parse_onbuild_trigger(text, where)
        assert info.value.message == message
        assert info.value.location == where
