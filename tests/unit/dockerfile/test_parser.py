"""Line parser: directives, comments, continuations, flags, JSON/shell form, heredocs."""

from __future__ import annotations

import pytest

from buildwright import _golang
from buildwright.dockerfile import parse_dockerfile
from buildwright.dockerfile.directives import detect_directive, detect_syntax
from buildwright.dockerfile.parser import Node, parse, parse_words, split_command
from buildwright.errors import DockerfileError


def nodes(text: str) -> tuple[Node, ...]:
    return parse(text).nodes


def test_continuation_joins_without_separator_and_keeps_ranges() -> None:
    (node,) = nodes("RUN echo a\\\n  b \\\n# comment\nc\n")
    assert node.original == "RUN echo a  b c"
    assert node.args == ("echo a  b c",)
    assert (node.start_line, node.end_line) == (1, 4)


def test_double_escape_is_not_continuation() -> None:
    first, second = nodes("RUN a\\\\\nRUN b\n")
    assert first.args == ("a\\\\",)
    assert second.start_line == 2


def test_empty_continuation_line_warns() -> None:
    result = parse("RUN a \\\n\n  b\n")
    assert result.nodes[0].original == "RUN a   b"
    (warning,) = result.warnings
    assert warning.rule == "NoEmptyContinuation"
    assert warning.message == "Empty continuation line found in: RUN a   b"
    assert warning.location.start_line == 3


def test_escape_directive_and_bom_and_crlf() -> None:
    result = parse("\ufeff# escape=`\r\nFROM x\r\nRUN a `\r\n b\r\n")
    assert result.escape == "`"
    assert result.nodes[1].original == "RUN a  b"
    assert [d.name for d in result.directives] == ["escape"]


def test_directive_after_instruction_is_a_comment() -> None:
    result = parse("FROM x\n# escape=`\n")
    assert result.escape == "\\"
    assert result.directives == ()


def test_directive_errors() -> None:
    with pytest.raises(DockerfileError, match="only one syntax parser directive can be used"):
        parse("# syntax=a\n# syntax=b\nFROM x\n")
    with pytest.raises(DockerfileError, match="invalid escape token 'x' does not match ` or"):
        parse("# escape=x\nFROM x\n")


def test_syntax_detection_forms() -> None:
    assert detect_syntax("#!/usr/bin/env x\n# syntax = img:1 --opt\nFROM x\n").image == "img:1"  # type: ignore[union-attr]
    assert detect_syntax("// syntax=img2\n").cmdline == "img2"  # type: ignore[union-attr]
    assert detect_syntax('{"syntax": "img3"}').image == "img3"  # type: ignore[union-attr]
    assert detect_syntax("FROM x\n# syntax=late\n") is None
    assert detect_directive("check", "# check=skip=all\nFROM x").cmdline == "skip=all"  # type: ignore[union-attr]


def test_keywords_are_case_insensitive_and_flags_are_split() -> None:
    (node,) = nodes('copy --from=build --chown="a b" --link src dst\n')
    assert node.keyword == "copy"
    assert node.flags == ("--from=build", "--chown=a b", "--link")
    assert node.args == ("src", "dst")
    (quoted,) = nodes('COPY "--from=x" a b\n')
    assert quoted.flags == () and quoted.args == ('"--from=x"', "a", "b")


def test_flags_stop_at_double_dash() -> None:
    assert split_command("RUN --a=1 -- --b=2 x", "\\") == ("RUN", ("--a=1",), "--b=2 x")


def test_json_and_shell_forms() -> None:
    exec_form, shell_form, bad_json = nodes('CMD ["a", "b"]\nCMD echo hi\nRUN ["c:\\x"]\n')
    assert exec_form.json and exec_form.args == ("a", "b")
    assert not shell_form.json and shell_form.args == ("echo hi",)
    assert not bad_json.json and bad_json.args == ('["c:\\x"]',)


def test_json_with_non_string_is_an_error() -> None:
    with pytest.raises(DockerfileError, match="arrays must be comprised of strings only") as info:
        parse('CMD ["a", 1]\n')
    assert info.value.location is not None and info.value.location.start_line == 1


def test_env_forms_and_errors() -> None:
    new, legacy = nodes('ENV a=1 b="x y"\nENV key some value\n')
    assert new.args == ("a", "1", "=", "b", '"x y"', "=")
    assert legacy.args == ("key", "some value", "")
    with pytest.raises(DockerfileError, match="ENV must have two arguments"):
        parse("ENV onlykey\n")
    with pytest.raises(DockerfileError, match=r'can.t find = in "b"\. Must be of the form: name=value'):
        parse("LABEL a=1 b\n")


def test_parse_words_keeps_quotes() -> None:
    assert parse_words('a=\'x y\' "q\\"" c\\ d', "\\") == ["a='x y'", '"q\\""', "c\\ d"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("  a\tb \u3000c  ", ["a", "b", "c"]),  # the plain split: Unicode spaces separate words
        ("a\x1cb c", ["a\x1cb", "c"]),  # a separator Python splits on and Go does not
        ("", []),
        ("a `b", ["a", "`b"]),  # backtick is no escape here
    ],
)
def test_parse_words_splits_on_go_spaces(text: str, words: list[str]) -> None:
    assert parse_words(text, "\\") == words


def test_heredocs() -> None:
    (node,) = nodes('COPY <<A 3<<-"B" /d\nline $x\nA\n\tb\n\tB\n')
    first, second = node.heredocs
    assert (first.name, first.expand, first.chomp, first.content) == ("A", True, False, "line $x\n")
    assert (second.name, second.expand, second.chomp, second.file_descriptor) == ("B", False, True, 3)
    assert second.content == "\tb\n"
    assert node.end_line == 5


def test_heredoc_only_for_run_copy_add_shell_form() -> None:
    user, exec_run = nodes('USER <<X\nRUN ["<<Y"]\n')
    assert user.heredocs == () and exec_run.heredocs == ()


def test_onbuild_heredoc_and_child() -> None:
    (node,) = nodes("ONBUILD RUN --mount=x cat <<E\nhi\nE\n")
    assert node.child is not None and node.child.flags == ("--mount=x",)
    assert node.all_args() == ("RUN", "cat <<E")
    assert node.heredocs[0].content == "hi\n"


def test_unterminated_heredoc() -> None:
    with pytest.raises(DockerfileError, match="unterminated heredoc") as info:
        parse("RUN <<EOF\nbody\n")
    assert info.value.location is not None
    assert (info.value.location.start_line, info.value.location.end_line) == (1, 2)


def test_empty_file_and_overlong_line() -> None:
    with pytest.raises(DockerfileError, match="file with no instructions"):
        parse("# only a comment\n\n")
    with pytest.raises(DockerfileError, match="dockerfile line greater than max allowed size of 65535"):
        parse("FROM x\nRUN " + "a" * 70000 + "\n")


def test_comments_collected_above_instruction() -> None:
    (node,) = nodes("# stage doc\n#\n# base The base stage\nFROM x AS base\n")
    assert node.comments == ("base The base stage",)


def test_flag_words_are_read_byte_by_byte() -> None:
    # The reference reads flag words bytewise: U+00E0 is C3 A0, and byte A0 counts as a space.
    (node,) = nodes("COPY --from=\u00e0 a b\n")
    assert node.flags == ("--from=\u00c3",)
    assert node.args == ("a", "b")


def test_no_continuation_inside_comment_and_directive_lines() -> None:
    first, second = nodes("# escape=\\\nFROM a\n# note \\\nRUN b\n")
    assert (first.original, second.original) == ("FROM a", "RUN b")


def test_duplicate_directive_location_is_the_previous_line() -> None:
    # The reference reports the line count before the offending line.
    with pytest.raises(DockerfileError) as info:
        parse("# escape=\\\n# escape=`\nFROM x\n")
    assert info.value.location is not None and info.value.location.start_line == 1


def test_deep_json_array_is_an_error_up_to_go_depth_limit() -> None:
    # Go's decoder accepts 10,000 levels (then the array is not one of strings, an error) and
    # refuses deeper ones (then the line is shell form); Python's json stops near 1,000.
    with pytest.raises(DockerfileError, match="comprised of strings only"):
        parse("FROM a\nCMD " + "[" * 5000 + '"x"' + "]" * 5000 + "\n")
    too_deep = "[" * 10_001 + '"x"' + "]" * 10_001
    node = parse(f"FROM a\nCMD {too_deep}\n").nodes[1]
    assert node.args == (too_deep,) and not node.json
    unclosed = "[" * 5000
    assert parse(f"FROM a\nCMD {unclosed}\n").nodes[1].args == (unclosed,)


def test_deep_onbuild_chain_is_refused_at_its_line() -> None:
    with pytest.raises(DockerfileError, match="Chaining ONBUILD") as caught:
        parse_dockerfile("FROM a\n" + "ONBUILD " * 5000 + "RUN x\n")
    assert str(caught.value).startswith("Dockerfile:2:")
    node = parse("FROM a\nONBUILD ONBUILD RUN x\n").nodes[1]
    assert node.child is not None and node.child.child is not None and node.all_args() == ("ONBUILD", "RUN", "x")


def test_deeply_nested_json_file_has_no_syntax_directive() -> None:
    assert detect_syntax('{"syntax": "a", "b": ' + "[" * 5000 + "]" * 5000 + "}") is None


def test_huge_unknown_instruction_skips_hopeless_suggestions(monkeypatch: pytest.MonkeyPatch) -> None:
    # The "did you mean" search computed an edit distance against a 60 KB word for every keyword
    # (seconds); a length difference of 3 or more already rules a keyword out.
    calls: list[tuple[str, str]] = []
    real = _golang.levenshtein
    monkeypatch.setattr(_golang, "levenshtein", lambda a, b: calls.append((a, b)) or real(a, b))
    with pytest.raises(DockerfileError, match="unknown instruction"):
        parse_dockerfile("FROM a\n" + "*a" * 30_000 + "\n")
    assert calls == []
    with pytest.raises(DockerfileError, match="did you mean RUN"):
        parse_dockerfile("FROM a\nRUNN x\n")
