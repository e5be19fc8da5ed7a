"""The line parser: Dockerfile text to a flat list of nodes with line ranges.

Follows the reference's `parser.Parse`: parser directives, comments, line continuations with
the escape character, builder flags (`--x=y` words before the arguments), per-instruction
argument parsing (JSON or shell form, key/value lists...) and heredoc bodies. Nodes are
untyped; `instruction_parser` turns them into typed instructions.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import field

from buildwright import _golang
from buildwright._values import valueclass
from buildwright.dockerfile import gojson, keywords
from buildwright.dockerfile.directives import Directive, DirectiveError, DirectiveScanner
from buildwright.dockerfile.heredocs import Heredoc, heredocs_from_line
from buildwright.errors import DockerfileError
from buildwright.location import SourceRange

DEFAULT_ESCAPE = "\\"
MAX_LINE_BYTES = 65535
_BOM = "\ufeff"
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
NO_EMPTY_CONTINUATION_URL = "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/"


@valueclass
class Node:
    """One parsed instruction line.

    Attributes:
        keyword: the instruction word as written (`run`, `Run`...).
        original: the joined instruction text (continuations resolved, heredoc bodies excluded).
        flags: builder flag words (`--mount=...`), quotes removed.
        args: the argument values in the reference's order (for ENV/LABEL: key, value,
            separator triples).
        json: the arguments were a JSON array (exec form).
        child: the wrapped instruction of an ONBUILD.
        heredocs: heredoc bodies read after the line, in order of appearance.
        start_line, end_line: 1-based inclusive line range (heredoc bodies included).
        comments: the comment block directly above the instruction.
    """

    keyword: str
    original: str
    flags: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    json: bool = False
    child: Node | None = None
    heredocs: tuple[Heredoc, ...] = ()
    start_line: int = 0
    end_line: int = 0
    comments: tuple[str, ...] = ()

    def all_args(self) -> tuple[str, ...]:
        """The arguments as the reference's instruction parser sees them (ONBUILD flattened)."""
        words: list[str] = []
        node = self
        while node.child is not None:  # a loop: chained ONBUILDs may be deep
            node = node.child
            words.append(node.keyword)
        return (*words, *node.args)


@valueclass
class ParseWarning:
    """A parser warning (the reference only emits NoEmptyContinuation here)."""

    rule: str
    message: str
    detail: str
    url: str
    location: SourceRange


@valueclass
class ParseResult:
    """The nodes, directives, effective escape character and warnings of one file."""

    nodes: tuple[Node, ...]
    directives: tuple[Directive, ...]
    escape: str
    warnings: tuple[ParseWarning, ...]
    lines: tuple[str, ...]


def decode_source(source: bytes | str) -> str:
    """Bytes are decoded as UTF-8, keeping undecodable bytes round-trippable."""
    if isinstance(source, bytes):
        return source.decode("utf-8", "surrogateescape")
    return source


def parse(source: bytes | str, filename: str = "Dockerfile") -> ParseResult:
    """Parse Dockerfile text into nodes; raises DockerfileError with the reference's messages."""
    return _Parser(decode_source(source), filename).run()


class _Lines:
    """Physical lines with their endings, stopping like Go's bufio.Scanner on an overlong line."""

    def __init__(self, text: str) -> None:
        parts = text.split("\n")
        self.items = [p + "\n" for p in parts[:-1]]
        if parts[-1]:
            self.items.append(parts[-1])
        self.pos = 0
        self.too_long = False

    def scan(self) -> str | None:
        if self.too_long or self.pos >= len(self.items):
            return None
        item = self.items[self.pos]
        if len(item.removesuffix("\n").encode("utf-8", "surrogateescape")) > MAX_LINE_BYTES:
            self.too_long = True
            return None
        self.pos += 1
        return item


@valueclass(frozen=False)
class _State:
    escape: str = DEFAULT_ESCAPE
    directives: DirectiveScanner = field(default_factory=DirectiveScanner)


class _Parser:
    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.source_lines = tuple(text.removeprefix(_BOM).split("\n"))
        self.state = _State()
        self.found_directives: list[Directive] = []

    def error(self, message: str, start: int, end: int = 0) -> DockerfileError:
        end = max(end, start)
        return DockerfileError(message, SourceRange(self.filename, start, end), self.source_lines)

    def process_line(self, token: str, strip_left: bool, current_line: int) -> tuple[str, bool]:
        token = token.rstrip("\r\n")
        if strip_left:
            token = _golang.trim_left_space(token)
        try:
            directive = self.state.directives.parse_line(token)
        except DirectiveError as exc:
            raise self.error(str(exc), current_line) from exc
        ok = directive is not None
        if directive is not None:
            if directive.name == "escape":
                if directive.value not in ("`", "\\"):
                    raise self.error(f"invalid escape token '{directive.value}' does not match ` or \\", current_line)
                self.state.escape = directive.value
            self.found_directives.append(directive)
        if _is_comment(token):
            return "", ok
        return token, ok

    def run(self) -> ParseResult:
        lines = _Lines(self.text)
        current = 0
        nodes: list[Node] = []
        warnings: list[ParseWarning] = []
        comments: list[str] = []
        while (raw := lines.scan()) is not None:
            if current == 0:
                raw = raw.removeprefix(_BOM)
            if _is_comment(raw):
                # The reference drops the first *byte* of the raw line, whatever it is.
                comment = _golang.trim_space(_decode(raw.encode("utf-8", "surrogateescape")[1:]))
                if comment == "":
                    comments = []
                else:
                    comments.append(comment)
            text, directive_ok = self.process_line(raw, True, current)
            if directive_ok:
                comments.pop()
            current += 1
            start = current
            text, end_of_line = _trim_continuation(text, self.state.escape)
            if end_of_line and text == "":
                continue
            buf = [text]
            empty_continuation = False
            while not end_of_line:
                nxt = lines.scan()
                if nxt is None:
                    break
                text, _ = self.process_line(nxt, False, current)
                current += 1
                if _is_comment(nxt):
                    continue
                if _golang.trim_left_space(text.rstrip("\r\n")) == "":
                    empty_continuation = True
                    continue
                text, end_of_line = _trim_continuation(text, self.state.escape)
                buf.append(text)
            line = "".join(buf)
            if empty_continuation:
                warnings.append(
                    ParseWarning(
                        rule="NoEmptyContinuation",
                        message="Empty continuation line found in: " + line,
                        detail="Empty continuation lines will become errors in a future release",
                        url=NO_EMPTY_CONTINUATION_URL,
                        location=SourceRange(self.filename, current, current),
                    )
                )
            try:
                node = _node_from_line(line, self.state.escape, tuple(comments))
                heredocs: list[Heredoc] = []
                if _can_contain_heredoc(node) and "<<" in line:
                    for heredoc in heredocs_from_line(line):
                        body, current, terminated = _read_heredoc(lines, heredoc, current)
                        if not terminated:
                            raise _NodeError("unterminated heredoc")
                        heredocs.append(heredoc.with_content(body))
            except _NodeError as exc:
                raise self.error(exc.message, start, current) from exc
            nodes.append(_replace_lines(node, start, current, tuple(heredocs)))
            comments = []
        if not nodes:
            raise self.error("file with no instructions", current)
        if lines.too_long:
            raise self.error(f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}", current)
        return ParseResult(
            nodes=tuple(nodes),
            directives=tuple(self.found_directives),
            escape=self.state.escape,
            warnings=tuple(warnings),
            lines=self.source_lines,
        )


def _replace_lines(node: Node, start: int, end: int, heredocs: tuple[Heredoc, ...]) -> Node:
    return Node(
        keyword=node.keyword,
        original=node.original,
        flags=node.flags,
        args=node.args,
        json=node.json,
        child=node.child,
        heredocs=heredocs,
        start_line=start,
        end_line=end,
        comments=node.comments,
    )


def _read_heredoc(lines: _Lines, heredoc: Heredoc, current: int) -> tuple[str, int, bool]:
    body: list[str] = []
    while (raw := lines.scan()) is not None:
        current += 1
        candidate = raw.rstrip("\r\n")
        if heredoc.chomp:
            candidate = candidate.lstrip("\t")
        if candidate == heredoc.name:
            return "".join(body), current, True
        body.append(raw)
    return "".join(body), current, False


class _NodeError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _is_comment(line: str) -> bool:
    return _golang.trim_left_space(line).startswith("#")


def _trim_continuation(line: str, escape: str) -> tuple[str, bool]:
    """Remove a trailing escape character (plus spaces/tabs); report whether the line ends here."""
    stripped = line.rstrip(" \t")
    if not stripped.endswith(escape):
        return line, True
    if len(stripped) == 1:
        return "", False
    if stripped[-2] == escape:
        return line, True
    return stripped[:-1], False


def _can_contain_heredoc(node: Node) -> bool:
    target = node
    if node.keyword.lower() == keywords.ONBUILD and node.child is not None:
        target = node.child
    return target.keyword.lower() in keywords.HEREDOC_CAPABLE and not target.json


def _node_from_line(line: str, escape: str, comments: tuple[str, ...]) -> Node:
    # `ONBUILD x` holds the node of `x` as its child. A chain `ONBUILD ONBUILD ...` (refused later,
    # with its line, by the instruction parser) is built innermost first in a loop, not by recursion.
    chain: list[tuple[str, str, tuple[str, ...]]] = []
    cmd, flags, args = split_command(line, escape)
    while cmd.lower() == keywords.ONBUILD and args:
        chain.append((line, cmd, flags))
        line = args
        cmd, flags, args = split_command(line, escape)
    node = _leaf_node(line, escape, (cmd, flags, args), () if chain else comments)
    for index, (outer, outer_cmd, outer_flags) in enumerate(reversed(chain)):
        outer_comments = comments if index == len(chain) - 1 else ()
        node = Node(keyword=outer_cmd, original=outer, flags=outer_flags, args=(), child=node, comments=outer_comments)
    return node


def _leaf_node(line: str, escape: str, split: tuple[str, tuple[str, ...], str], comments: tuple[str, ...]) -> Node:
    cmd, flags, args = split
    keyword = cmd.lower()
    values: tuple[str, ...] = ()
    is_json = False
    if keyword == keywords.ONBUILD:
        pass  # an ONBUILD without arguments: the instruction parser says what is missing
    elif keyword in (keywords.ADD, keywords.COPY, keywords.VOLUME):
        values, is_json = _parse_maybe_json_to_list(args)
    elif keyword in (keywords.RUN, keywords.CMD, keywords.ENTRYPOINT, keywords.SHELL):
        values, is_json = _parse_maybe_json(args)
    elif keyword in (keywords.ENV, keywords.LABEL):
        values = _parse_name_val(args, "ENV" if keyword == keywords.ENV else "LABEL", escape)
    elif keyword == keywords.ARG:
        values = tuple(parse_words(args, escape))
    elif keyword in (keywords.FROM, keywords.EXPOSE):
        values = _split_whitespace(args)
    elif keyword == keywords.HEALTHCHECK:
        values, is_json = _parse_health_config(args)
    elif keyword in (keywords.MAINTAINER, keywords.USER, keywords.WORKDIR, keywords.STOPSIGNAL):
        values = (args,) if args else ()
    return Node(keyword=cmd, original=line, flags=flags, args=values, json=is_json, comments=comments)


def split_command(line: str, escape: str) -> tuple[str, tuple[str, ...], str]:
    """Split a joined line into instruction word, builder flags and the argument text."""
    parts = _WHITESPACE.split(_golang.trim_space(line), maxsplit=1)
    args = ""
    flags: tuple[str, ...] = ()
    if len(parts) == 2:
        args, flags = _extract_builder_flags(parts[1], escape)
    return parts[0], flags, _golang.trim_space(args)


def _extract_builder_flags(line: str, escape: str) -> tuple[str, tuple[str, ...]]:
    # The reference walks this part byte by byte and treats each byte as a rune, so non-ASCII
    # text in a flag comes out as Latin-1 characters and bytes 0x85/0xA0 count as spaces.
    data = line.encode("utf-8", "surrogateescape")
    esc = ord(escape)
    words: list[str] = []
    word: list[str] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    quote = 0
    blank_ok = False
    pos = 0
    n = len(data)
    while pos <= n:
        ch = data[pos] if pos < n else -1
        if phase == in_spaces:
            if pos == n:
                break
            if _golang.is_space_byte(ch):
                pos += 1
                continue
            if ch != ord("-") or pos + 1 == n or data[pos + 1] != ord("-"):
                return _decode(data[pos:]), tuple(words)
            phase = in_word
        if phase in (in_word, in_quote) and pos == n:
            text = "".join(word)
            if text != "--" and (blank_ok or text):
                words.append(text)
            break
        if phase == in_word:
            if _golang.is_space_byte(ch):
                text = "".join(word)
                phase = in_spaces
                if text == "--":
                    return _decode(data[pos:]), tuple(words)
                if blank_ok or text:
                    words.append(text)
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch in (ord("'"), ord('"')):
                quote = ch
                blank_ok = True
                phase = in_quote
                pos += 1
                continue
            if ch == esc:
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = data[pos]
            word.append(chr(ch))
            pos += 1
            continue
        if phase == in_quote:
            if ch == quote:
                phase = in_word
                pos += 1
                continue
            if ch == esc:
                if pos + 1 == n:
                    phase = in_word
                    pos += 1
                    continue
                pos += 1
                ch = data[pos]
            word.append(chr(ch))
            pos += 1
    return "", tuple(words)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def parse_words(rest: str, escape: str) -> list[str]:
    """Quote-aware word split that keeps quotes and escapes (they are removed at expansion)."""
    if escape not in rest and "'" not in rest and '"' not in rest and _golang.NOT_GO_SPACE.isdisjoint(rest):
        # Nothing quoted or escaped, and Go's spaces are Python's: a plain split is the same.
        return rest.split()
    words: list[str] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    quote = ""
    blank_ok = False
    buf: list[str] = []
    pos = 0
    n = len(rest)
    while pos <= n:
        ch = rest[pos] if pos < n else ""
        if phase == in_spaces:
            if pos == n:
                break
            if _golang.is_space(ch):
                pos += 1
                continue
            phase = in_word
        if phase in (in_word, in_quote) and pos == n:
            if blank_ok or buf:
                words.append("".join(buf))
            break
        if phase == in_word:
            if _golang.is_space(ch):
                phase = in_spaces
                if blank_ok or buf:
                    words.append("".join(buf))
                buf = []
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = in_quote
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                buf.append(ch)
                pos += 1
                ch = rest[pos]
            buf.append(ch)
            pos += 1
            continue
        if phase == in_quote:
            if ch == quote:
                phase = in_word
            if ch == escape and quote != "'":
                if pos + 1 == n:
                    phase = in_word
                    pos += 1
                    continue
                pos += 1
                buf.append(ch)
                ch = rest[pos]
            buf.append(ch)
            pos += 1
    return words


def _parse_name_val(rest: str, key: str, escape: str) -> tuple[str, ...]:
    words = parse_words(rest, escape)
    if not words:
        return ()
    if "=" not in words[0]:
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise _NodeError(f"{key} must have two arguments")
        return (parts[0], parts[1], "")
    values: list[str] = []
    for word in words:
        if "=" not in word:
            raise _NodeError(f"Syntax error - can't find = in {_golang.quote(word)}. Must be of the form: name=value")
        name, _, value = word.partition("=")
        values.extend((name, value, "="))
    return tuple(values)


def _split_whitespace(rest: str) -> tuple[str, ...]:
    if rest == "":
        return ()
    return tuple(_WHITESPACE.split(rest))


class _NotStrings(Exception):
    pass


def _reject_constant(_name: str) -> object:
    raise ValueError("not JSON")


def _go_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of range")
    return value


def _fix_surrogates(text: str) -> str:
    # Go's decoder turns invalid UTF-8 and lone surrogate escapes into U+FFFD.
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text


def _parse_json(rest: str) -> tuple[str, ...] | None:
    """The JSON array of strings in `rest`, None if it is not a JSON array.

    Raises _NodeError when it is a JSON array holding something other than strings.
    """
    rest = _golang.trim_left_space(rest)
    if not rest.startswith("["):
        return None
    try:
        decoded = json.loads(rest, parse_constant=_reject_constant, parse_float=_go_float, parse_int=_go_float)
    except ValueError:
        return None
    except RecursionError:
        # Deeper than Python's json module goes, so an array inside the array: Go's decoder
        # accepts it (and the array is then not one of strings) unless it is invalid or too deep.
        if gojson.unmarshals(rest):
            raise _NodeError("when using JSON array syntax, arrays must be comprised of strings only") from None
        return None
    if not isinstance(decoded, list):
        return None
    if not all(isinstance(item, str) for item in decoded):
        raise _NodeError("when using JSON array syntax, arrays must be comprised of strings only")
    return tuple(_fix_surrogates(item) for item in decoded)


def _parse_maybe_json(rest: str) -> tuple[tuple[str, ...], bool]:
    if rest == "":
        return (), False
    values = _parse_json(rest)
    if values is not None:
        return values, True
    return (rest,), False


def _parse_maybe_json_to_list(rest: str) -> tuple[tuple[str, ...], bool]:
    values = _parse_json(rest)
    if values is not None:
        return values, True
    return _split_whitespace(rest), False


def _parse_health_config(rest: str) -> tuple[tuple[str, ...], bool]:
    # The reference finds the type word byte by byte (see _extract_builder_flags).
    data = rest.encode("utf-8", "surrogateescape")
    sep = 0
    while sep < len(data) and not _golang.is_space_byte(data[sep]):
        sep += 1
    nxt = sep
    while nxt < len(data) and _golang.is_space_byte(data[nxt]):
        nxt += 1
    if sep == 0:
        return (), False
    cmd, is_json = _parse_maybe_json(_decode(data[nxt:]))
    return (_decode(data[:sep]), *cmd), is_json
