"""HCL native syntax: a `docker-bake.hcl` scanned and parsed into the syntax tree.

The scanner works on demand from a character position, so templates (quoted strings, heredocs)
switch between text and expressions without a separate pass: a `${` inside a string parses an
expression from there and returns to the string after its `}`. Newlines end attributes, except inside
parentheses, brackets and interpolations, where they are spaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from buildwright._values import valueclass
from buildwright.bakefile.errors import BakeFileError, Where, at
from buildwright.bakefile.syntax import (
    Attribute,
    Binary,
    Block,
    Body,
    Call,
    Conditional,
    Expr,
    ForExpr,
    ForPart,
    GetAttr,
    IfPart,
    Index,
    InterpPart,
    Literal,
    ObjectExpr,
    Paren,
    Splat,
    SplatItem,
    Template,
    TemplatePart,
    TextPart,
    TupleExpr,
    Unary,
    Variable,
)
from buildwright.bakefile.values import normalize_number

_PUNCT3 = ("...",)
_PUNCT2 = ("==", "!=", "<=", ">=", "&&", "||", "=>", "~}")
_PUNCT1 = "{}[]()=,.?:!<>+-*/%"
_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("==", "!="),
    ("<", ">", "<=", ">="),
    ("+", "-"),
    ("*", "/", "%"),
)


@valueclass
class _Token:
    kind: str  # ident, number, punct, quote, heredoc, newline, eof
    text: str
    start: int
    end: int
    line: int
    col: int


def _is_ident_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_"


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


class _Parser:
    def __init__(self, text: str, filename: str, line: int = 1, col: int = 1) -> None:
        self.text = text
        self.filename = filename
        self.pos = 0
        self.line = line
        self.col = col
        # True while newlines are plain spaces (inside parentheses, brackets, interpolations).
        self.newline_modes: list[bool] = [False]
        self._peeked: tuple[tuple[int, bool], _Token, tuple[int, int, int]] | None = None

    # --- positions and errors ----------------------------------------------------------------

    def where(self) -> Where:
        return at(self.filename, self.line, self.col)

    def token_where(self, tok: _Token) -> Where:
        return at(self.filename, tok.line, tok.col)

    def error(self, summary: str, detail: str, where: Where | None = None) -> BakeFileError:
        return BakeFileError(f"{summary}; {detail}", where or self.where())

    def _advance_to(self, pos: int) -> None:
        chunk = self.text[self.pos : pos]
        newlines = chunk.count("\n")
        if newlines:
            self.line += newlines
            self.col = len(chunk) - chunk.rfind("\n")
        else:
            self.col += len(chunk)
        self.pos = pos

    # --- scanning ----------------------------------------------------------------------------

    def _skip_space(self, newlines: bool) -> None:
        text = self.text
        pos = self.pos
        while pos < len(text):
            ch = text[pos]
            if ch in " \t\r" or (ch == "\n" and newlines):
                pos += 1
            elif ch == "#" or text.startswith("//", pos):
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else (end + 1 if newlines else end)
            elif text.startswith("/*", pos):
                end = text.find("*/", pos + 2)
                if end < 0:
                    self._advance_to(pos)
                    raise self.error("Unterminated template string", "A /* comment is not closed with */.")
                pos = end + 2
            else:
                break
        self._advance_to(pos)

    def peek(self) -> _Token:
        # The expression parser peeks at the same place once per precedence level: the token and
        # where it ends are kept for that place and newline mode.
        key = (self.pos, self.newline_modes[-1])
        if self._peeked is not None and self._peeked[0] == key:
            return self._peeked[1]
        saved = (self.pos, self.line, self.col)
        tok = self._scan()
        self._peeked = (key, tok, (self.pos, self.line, self.col))
        self.pos, self.line, self.col = saved
        return tok

    def next(self) -> _Token:
        if self._peeked is not None and self._peeked[0] == (self.pos, self.newline_modes[-1]):
            tok, (self.pos, self.line, self.col) = self._peeked[1], self._peeked[2]
            self._peeked = None
            return tok
        return self._scan()

    def _scan(self) -> _Token:
        self._skip_space(self.newline_modes[-1])
        text, pos, line, col = self.text, self.pos, self.line, self.col
        if pos >= len(text):
            return _Token("eof", "", pos, pos, line, col)
        ch = text[pos]
        if ch == "\n":
            self._advance_to(pos + 1)
            return _Token("newline", "\n", pos, pos + 1, line, col)
        if _is_ident_start(ch):
            end = pos + 1
            while end < len(text) and _is_ident_char(text[end]):
                end += 1
            self._advance_to(end)
            return _Token("ident", text[pos:end], pos, end, line, col)
        if ch.isdigit():
            end = pos
            while end < len(text) and text[end].isdigit():
                end += 1
            if end + 1 < len(text) and text[end] == "." and text[end + 1].isdigit():
                end += 1
                while end < len(text) and text[end].isdigit():
                    end += 1
            if end < len(text) and text[end] in "eE":
                probe = end + 1
                if probe < len(text) and text[probe] in "+-":
                    probe += 1
                if probe < len(text) and text[probe].isdigit():
                    end = probe
                    while end < len(text) and text[end].isdigit():
                        end += 1
            self._advance_to(end)
            return _Token("number", text[pos:end], pos, end, line, col)
        if ch == '"':
            self._advance_to(pos + 1)
            return _Token("quote", '"', pos, pos + 1, line, col)
        if text.startswith("<<", pos) and (_is_ident_start(text[pos + 2 : pos + 3]) or text.startswith("-", pos + 2)):
            self._advance_to(pos + 2)
            return _Token("heredoc", "<<", pos, pos + 2, line, col)
        for group in (_PUNCT3, _PUNCT2):
            for punct in group:
                if text.startswith(punct, pos):
                    self._advance_to(pos + len(punct))
                    return _Token("punct", punct, pos, pos + len(punct), line, col)
        if ch in _PUNCT1 or ch == "~":
            self._advance_to(pos + 1)
            return _Token("punct", ch, pos, pos + 1, line, col)
        raise self.error("Invalid character", f"This character is not used within the language: {ch!r}.")

    def expect(self, text: str, summary: str, detail: str) -> _Token:
        tok = self.next()
        if tok.text != text or tok.kind not in ("punct", "ident"):
            raise self.error(summary, detail, self.token_where(tok))
        return tok

    def at_punct(self, text: str) -> bool:
        tok = self.peek()
        return tok.kind == "punct" and tok.text == text

    # --- bodies ------------------------------------------------------------------------------

    def body(self, closing: str | None, opened: Where | None = None) -> Body:
        start = opened or self.where()
        attributes: list[Attribute] = []
        blocks: list[Block] = []
        while True:
            tok = self.next()
            if tok.kind == "newline":
                continue
            if tok.kind == "eof":
                if closing is not None:
                    raise self.error(
                        "Unclosed configuration block",
                        "There is no closing brace for this block before the end of the file.",
                        start,
                    )
                break
            if closing is not None and tok.kind == "punct" and tok.text == closing:
                break
            if tok.kind != "ident":
                raise self.error(
                    "Argument or block definition required",
                    "An argument or block definition is required here.",
                    self.token_where(tok),
                )
            after = self.peek()
            if after.kind == "punct" and after.text == "=":
                self.next()
                expr = self.expression()
                where = self.token_where(tok)
                for existing in attributes:
                    if existing.name == tok.text:
                        raise self.error(
                            "Duplicate argument",
                            f'The argument "{tok.text}" was already set at '
                            f"{existing.where.filename}:{existing.where.start_line},{existing.where.start_column}.",
                            where,
                        )
                attributes.append(Attribute(tok.text, expr, where))
                self._end_of_item(closing)
            else:
                blocks.append(self.block(tok))
        return Body(tuple(attributes), tuple(blocks), start)

    def _end_of_item(self, closing: str | None) -> None:
        tok = self.peek()
        if tok.kind in ("newline", "eof"):
            return
        if closing is not None and tok.kind == "punct" and tok.text == closing:
            return
        raise self.error(
            "Missing newline after argument",
            "An argument definition must end with a newline.",
            self.token_where(tok),
        )

    def block(self, type_tok: _Token) -> Block:
        labels: list[str] = []
        label_where: list[Where] = []
        while True:
            tok = self.next()
            if tok.kind == "punct" and tok.text == "{":
                opened = self.token_where(tok)
                break
            if tok.kind == "ident":
                labels.append(tok.text)
                label_where.append(self.token_where(tok))
                continue
            if tok.kind == "quote":
                where = self.token_where(tok)
                parts = self.template_parts(quoted=True)
                if any(not isinstance(p, TextPart) for p in parts):
                    raise self.error(
                        "Invalid string literal", "Template sequences are not allowed in this string.", where
                    )
                labels.append("".join(p.text for p in parts if isinstance(p, TextPart)))
                label_where.append(where)
                continue
            raise self.error(
                "Invalid block definition",
                'Either a quoted string block label or an opening brace ("{") is expected here.',
                self.token_where(tok),
            )
        where = self.token_where(type_tok)
        body = self.body("}", opened)
        tok = self.peek()
        if tok.kind not in ("newline", "eof") and not (tok.kind == "punct" and tok.text == "}"):
            raise self.error(
                "Missing newline after block definition",
                "A block definition must end with a newline.",
                self.token_where(tok),
            )
        return Block(type_tok.text, tuple(labels), body, where, tuple(label_where))

    # --- expressions -------------------------------------------------------------------------

    def expression(self) -> Expr:
        cond = self.binary(0)
        if self.at_punct("?"):
            self.next()
            then = self.expression()
            self.expect(
                ":",
                "Missing false expression in conditional",
                "The conditional operator (...?...:...) requires a false expression, delimited by a colon.",
            )
            otherwise = self.expression()
            return Conditional(cond.where, cond, then, otherwise)
        return cond

    def binary(self, level: int) -> Expr:
        if level == len(_BINARY_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        ops = _BINARY_LEVELS[level]
        while True:
            tok = self.peek()
            if tok.kind != "punct" or tok.text not in ops:
                return left
            self.next()
            right = self.binary(level + 1)
            left = Binary(left.where, tok.text, left, right)

    def unary(self) -> Expr:
        tok = self.peek()
        if tok.kind == "punct" and tok.text in ("!", "-"):
            self.next()
            operand = self.unary()
            return Unary(self.token_where(tok), tok.text, operand)
        return self.postfix(self.primary())

    def postfix(self, expr: Expr) -> Expr:
        while True:
            tok = self.peek()
            if tok.kind != "punct":
                return expr
            if tok.text == ".":
                self.next()
                after = self.next()
                where = self.token_where(after)
                if after.kind == "ident":
                    expr = GetAttr(where, expr, after.text)
                elif after.kind == "number" and after.text.isdigit():
                    expr = Index(where, expr, Literal(where, int(after.text)))
                elif after.kind == "punct" and after.text == "*":
                    expr = Splat(where, expr, self.splat_each(where))
                else:
                    raise self.error("Invalid attribute name", "An attribute name is required after a dot.", where)
            elif tok.text == "[":
                self.next()
                where = self.token_where(tok)
                if self.at_punct("*"):
                    self.next()
                    self.expect(
                        "]",
                        "Missing close bracket on splat index",
                        'The star for a full splat operator must be immediately followed by a closing bracket ("]").',
                    )
                    expr = Splat(where, expr, self.splat_each(where))
                    continue
                self.newline_modes.append(True)
                key = self.expression()
                self.expect(
                    "]", "Missing close bracket on index", 'The index operator must end with a closing bracket ("]").'
                )
                self.newline_modes.pop()
                expr = Index(where, expr, key)
            else:
                return expr

    def splat_each(self, where: Where) -> Expr:
        # The traversal after a splat applies to each element.
        each: Expr = SplatItem(where)
        while True:
            tok = self.peek()
            if tok.kind == "punct" and tok.text == "." and self._after_dot_is_name():
                self.next()
                name = self.next()
                each = (
                    GetAttr(self.token_where(name), each, name.text)
                    if name.kind == "ident"
                    else Index(self.token_where(name), each, Literal(self.token_where(name), int(name.text)))
                )
            elif tok.kind == "punct" and tok.text == "[":
                self.next()
                self.newline_modes.append(True)
                key = self.expression()
                self.expect(
                    "]", "Missing close bracket on index", 'The index operator must end with a closing bracket ("]").'
                )
                self.newline_modes.pop()
                each = Index(self.token_where(tok), each, key)
            else:
                return each

    def _after_dot_is_name(self) -> bool:
        saved = (self.pos, self.line, self.col)
        self.next()
        after = self.next()
        self.pos, self.line, self.col = saved
        return after.kind == "ident" or (after.kind == "number" and after.text.isdigit())

    def primary(self) -> Expr:
        tok = self.next()
        where = self.token_where(tok)
        if tok.kind == "number":
            return Literal(where, normalize_number(Fraction(tok.text)))
        if tok.kind == "quote":
            return Template(where, tuple(self.template_parts(quoted=True)))
        if tok.kind == "heredoc":
            return self.heredoc(where)
        if tok.kind == "ident":
            if tok.text in ("true", "false"):
                return Literal(where, tok.text == "true")
            if tok.text == "null":
                return Literal(where, None)
            if self.at_punct("("):
                return self.call(tok.text, where)
            return Variable(where, tok.text)
        if tok.kind == "punct":
            if tok.text == "(":
                self.newline_modes.append(True)
                inner = self.expression()
                self.expect(
                    ")", "Unbalanced parentheses", "Expected a closing parenthesis to terminate the expression."
                )
                self.newline_modes.pop()
                return Paren(where, inner)
            if tok.text == "[":
                return self.tuple_or_for(where)
            if tok.text == "{":
                return self.object_or_for(where)
        raise self.error(
            "Invalid expression", "Expected the start of an expression, but found an invalid expression token.", where
        )

    def call(self, name: str, where: Where) -> Expr:
        self.next()
        self.newline_modes.append(True)
        args: list[Expr] = []
        expand = False
        while not self.at_punct(")"):
            args.append(self.expression())
            if self.at_punct("..."):
                self.next()
                expand = True
                if not self.at_punct(")"):
                    raise self.error(
                        "Missing close parenthesis",
                        "An expanded function argument (with ...) must be immediately followed by closing parentheses.",
                    )
                break
            if self.at_punct(","):
                self.next()
                continue
            if not self.at_punct(")"):
                raise self.error(
                    "Missing argument separator",
                    "A comma is required to separate each function argument from the next.",
                    self.token_where(self.peek()),
                )
        self.next()
        self.newline_modes.pop()
        return Call(where, name, tuple(args), expand)

    def tuple_or_for(self, where: Where) -> Expr:
        self.newline_modes.append(True)
        tok = self.peek()
        if tok.kind == "ident" and tok.text == "for":
            expr = self.for_expr(where, "]")
            self.newline_modes.pop()
            return expr
        items: list[Expr] = []
        while not self.at_punct("]"):
            items.append(self.expression())
            if self.at_punct(","):
                self.next()
            elif not self.at_punct("]"):
                raise self.error(
                    "Missing item separator",
                    "Expected a comma to mark the beginning of the next item.",
                    self.token_where(self.peek()),
                )
        self.next()
        self.newline_modes.pop()
        return TupleExpr(where, tuple(items))

    def object_or_for(self, where: Where) -> Expr:
        self.newline_modes.append(True)
        tok = self.peek()
        if tok.kind == "ident" and tok.text == "for":
            expr = self.for_expr(where, "}")
            self.newline_modes.pop()
            return expr
        self.newline_modes[-1] = False
        items: list[tuple[Expr, Expr]] = []
        while True:
            tok = self.peek()
            if tok.kind == "newline":
                self.next()
                continue
            if tok.kind == "punct" and tok.text == "}":
                self.next()
                break
            if tok.kind == "eof":
                raise self.error(
                    "Missing closing brace", 'An object constructor must end with a closing brace ("}").', where
                )
            key = self.object_key()
            sep = self.next()
            if sep.kind != "punct" or sep.text not in ("=", ":"):
                raise self.error(
                    "Missing key/value separator",
                    'Expected an equals sign ("=") to mark the beginning of the attribute value.',
                    self.token_where(sep),
                )
            self.newline_modes.append(True)
            value = self.expression()
            self.newline_modes.pop()
            items.append((key, value))
            tok = self.peek()
            if tok.kind == "punct" and tok.text == ",":
                self.next()
            elif tok.kind not in ("newline",) and not (tok.kind == "punct" and tok.text == "}"):
                raise self.error(
                    "Missing attribute separator",
                    "Expected a newline or comma to mark the beginning of the next attribute.",
                    self.token_where(tok),
                )
        self.newline_modes.pop()
        return ObjectExpr(where, tuple(items))

    def object_key(self) -> Expr:
        tok = self.peek()
        if tok.kind == "ident":
            saved = (self.pos, self.line, self.col)
            self.next()
            after = self.peek()
            if after.kind == "punct" and after.text in ("=", ":"):
                # A bare name is the key itself, not a variable.
                return Literal(self.token_where(tok), tok.text)
            self.pos, self.line, self.col = saved
        self.newline_modes.append(True)
        key = self.binary(0)
        self.newline_modes.pop()
        return key

    def for_expr(self, where: Where, closing: str) -> Expr:
        self.next()
        first = self.next()
        if first.kind != "ident":
            raise self.error(
                "Invalid 'for' expression",
                "For expression requires variable name after 'for'.",
                self.token_where(first),
            )
        key_var: str | None = None
        value_var = first.text
        if self.at_punct(","):
            self.next()
            second = self.next()
            if second.kind != "ident":
                raise self.error(
                    "Invalid 'for' expression",
                    "For expression requires value variable name after comma.",
                    self.token_where(second),
                )
            key_var, value_var = first.text, second.text
        self.expect(
            "in", "Invalid 'for' expression", "For expression requires the 'in' keyword after its name declarations."
        )
        collection = self.expression()
        self.expect(":", "Invalid 'for' expression", "For expression requires a colon after the collection expression.")
        key: Expr | None = None
        value = self.expression()
        group = False
        if closing == "}":
            self.expect("=>", "Invalid 'for' expression", "For expression requires a '=>' after the key expression.")
            key, value = value, self.expression()
            if self.at_punct("..."):
                self.next()
                group = True
        cond: Expr | None = None
        tok = self.peek()
        if tok.kind == "ident" and tok.text == "if":
            self.next()
            cond = self.expression()
        self.expect(
            closing,
            "Invalid 'for' expression",
            f"Extra characters after the end of the 'for' expression (expected {closing!r}).",
        )
        return ForExpr(where, key_var, value_var, collection, key, value, cond, group)

    # --- templates ---------------------------------------------------------------------------

    def heredoc(self, where: Where) -> Expr:
        flush = False
        if self.text.startswith("-", self.pos):
            flush = True
            self._advance_to(self.pos + 1)
        start = self.pos
        end = start
        while end < len(self.text) and _is_ident_char(self.text[end]):
            end += 1
        marker = self.text[start:end]
        if not marker or (not self.text.startswith("\n", end) and not self.text.startswith("\r\n", end)):
            raise self.error("Invalid heredoc", "A heredoc marker must be followed by a newline.", where)
        body_start = self.text.index("\n", end) + 1
        pos = body_start
        while True:
            if pos >= len(self.text):
                raise self.error(
                    "Unterminated template string",
                    f"There is no closing marker for this heredoc ({marker}).",
                    where,
                )
            newline = self.text.find("\n", pos)
            line_end = len(self.text) if newline < 0 else newline
            if self.text[pos:line_end].strip() == marker:
                break
            pos = line_end + 1
        self._advance_to(body_start)
        body_end = pos
        tokens = self._template_tokens(quoted=False, stop=body_end, heredoc=True)
        self._advance_to(line_end)
        if flush:
            _flush_heredoc(tokens)
        return Template(where, tuple(self._template_tree(tokens)))

    def template_parts(self, *, quoted: bool) -> list[TemplatePart]:
        tokens = self._template_tokens(quoted=quoted, stop=len(self.text), heredoc=False)
        return self._template_tree(tokens)

    def _template_tokens(self, *, quoted: bool, stop: int, heredoc: bool) -> list[_TemplateToken]:
        """The template's tokens as HCL's scanner makes them: literal runs (a heredoc's cut after
        each newline), interpolations and directives, with `~` trimming applied to the neighbouring
        literal token only."""
        tokens: list[_TemplateToken] = []
        buf: list[str] = []
        trim_next = False

        def flush_literal() -> None:
            nonlocal trim_next
            if not buf:
                return
            text = "".join(buf)
            buf.clear()
            if trim_next:
                text = text.lstrip(_SPACES)
                trim_next = False
            tokens.append(_TemplateToken("text", text=text))

        def trim_previous() -> None:
            if tokens and tokens[-1].kind == "text":
                tokens[-1] = _TemplateToken("text", text=tokens[-1].text.rstrip(_SPACES))

        text = self.text
        while True:
            pos = self.pos
            if pos >= stop:
                if quoted:
                    raise self.error("Unterminated template string", "No closing marker was found for the string.")
                flush_literal()
                return tokens
            ch = text[pos]
            if quoted and ch == '"':
                self._advance_to(pos + 1)
                flush_literal()
                return tokens
            if quoted and ch == "\n":
                raise self.error("Unterminated template string", "No closing marker was found for the string.")
            if quoted and ch == "\\":
                buf.append(self._escape())
                continue
            if text.startswith("$${", pos) or text.startswith("%%{", pos):
                buf.append(text[pos + 1 : pos + 3])
                self._advance_to(pos + 3)
                continue
            if text.startswith("${", pos) or text.startswith("%{", pos):
                flush_literal()
                opener = text[pos]
                self._advance_to(pos + 2)
                if text.startswith("~", self.pos):
                    self._advance_to(self.pos + 1)
                    trim_previous()
                token = self._interpolation() if opener == "$" else self._directive()
                tokens.append(token)
                trim_next = token.trim_after
                continue
            buf.append(ch)
            self._advance_to(pos + 1)
            if heredoc and ch == "\n":
                flush_literal()

    def _interpolation(self) -> _TemplateToken:
        self.newline_modes.append(True)
        expr = self.expression()
        close = self.next()
        self.newline_modes.pop()
        if close.text not in ("}", "~}"):
            raise self.error(
                "Extra characters after interpolation expression",
                "Expected a closing brace to end the interpolation expression.",
                self.token_where(close),
            )
        return _TemplateToken("interp", expr=expr, trim_after=close.text == "~}")

    def _directive(self) -> _TemplateToken:
        where = self.where()
        self.newline_modes.append(True)
        keyword = self.next()
        if keyword.kind != "ident" or keyword.text not in ("if", "else", "endif", "for", "endfor"):
            raise self.error(
                "Invalid template directive",
                'A template directive keyword ("if", "for", etc) is expected at the beginning of a %{ sequence.',
                where,
            )
        token = _TemplateToken(keyword.text, where=where)
        if keyword.text == "if":
            token = _TemplateToken("if", where=where, expr=self.expression())
        elif keyword.text == "for":
            first = self.next()
            key_var: str | None = None
            value_var = first.text
            if self.at_punct(","):
                self.next()
                key_var, value_var = first.text, self.next().text
            self.expect("in", "Invalid 'for' directive", "For directive requires 'in' keyword after names.")
            token = _TemplateToken("for", where=where, expr=self.expression(), names=(key_var, value_var))
        close = self.next()
        self.newline_modes.pop()
        if close.text not in ("}", "~}"):
            raise self.error(
                "Extra characters in directive",
                "Expected a closing brace to end the directive.",
                self.token_where(close),
            )
        return _TemplateToken(
            token.kind, where=where, expr=token.expr, names=token.names, trim_after=close.text == "~}"
        )

    def _template_tree(self, tokens: list[_TemplateToken]) -> list[TemplatePart]:
        melded: list[_TemplateToken] = []
        for token in tokens:
            if token.kind == "text" and melded and melded[-1].kind == "text":
                melded[-1] = _TemplateToken("text", text=melded[-1].text + token.text)
            else:
                melded.append(token)
        parts, end = self._tree(iter(melded), ())
        if end is not None:
            raise self.error(
                "Unexpected template directive",
                f"The {end.kind} directive has no matching opening directive.",
                end.where,
            )
        return parts

    def _tree(
        self, tokens: Iterator[_TemplateToken], ends: tuple[str, ...]
    ) -> tuple[list[TemplatePart], _TemplateToken | None]:
        parts: list[TemplatePart] = []
        for token in tokens:
            if token.kind == "text":
                if token.text:
                    parts.append(TextPart(token.text))
            elif token.kind == "interp":
                assert token.expr is not None
                parts.append(InterpPart(token.expr))
            elif token.kind in ("else", "endif", "endfor"):
                if token.kind not in ends:
                    raise self.error(
                        "Unexpected template directive",
                        f"The {token.kind} directive has no matching opening directive.",
                        token.where,
                    )
                return parts, token
            elif token.kind == "if":
                assert token.expr is not None
                then, end = self._tree(tokens, ("else", "endif"))
                otherwise: list[TemplatePart] = []
                if end is not None and end.kind == "else":
                    otherwise, end = self._tree(tokens, ("endif",))
                if end is None or end.kind != "endif":
                    raise self.error(
                        "Unterminated template directive", "The if directive needs a matching endif.", token.where
                    )
                parts.append(IfPart(token.expr, tuple(then), tuple(otherwise)))
            else:
                assert token.expr is not None
                body, end = self._tree(tokens, ("endfor",))
                if end is None:
                    raise self.error(
                        "Unterminated template directive", "The for directive needs a matching endfor.", token.where
                    )
                key_var, value_var = token.names
                parts.append(ForPart(key_var, value_var or "", token.expr, tuple(body)))
        return parts, None

    def _escape(self) -> str:
        pos = self.pos
        code = self.text[pos + 1 : pos + 2]
        simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
        if code in simple:
            self._advance_to(pos + 2)
            return simple[code]
        for letter, width in (("u", 4), ("U", 8)):
            if code == letter:
                digits = self.text[pos + 2 : pos + 2 + width]
                if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                    self._advance_to(pos + 2 + width)
                    return chr(int(digits, 16))
        raise self.error("Invalid escape sequence", f"The symbol {code!r} is not a valid escape sequence selector.")


_SPACES = " \t\r\n\v\f"


@valueclass
class _TemplateToken:
    """A template token: `text`, `interp`, or a directive keyword (`if`, `else`, `endif`, `for`, `endfor`)."""

    kind: str
    text: str = ""
    expr: Expr | None = None
    names: tuple[str | None, str | None] = (None, None)
    trim_after: bool = False
    where: Where | None = None


def _flush_heredoc(tokens: list[_TemplateToken]) -> None:
    """A `<<-` heredoc: the common indent of its lines is removed from the literal token each line
    starts with. A line that starts with an interpolation or directive counts as unindented; a
    blank line does not count and keeps its spaces (HCL's rules, applied after `~` trimming)."""
    fewest: int | None = None
    adjust: list[int] = []
    at_line_start = True
    for i, token in enumerate(tokens):
        if at_line_start:
            at_line_start = False
            spaces: int | None = 0
            if token.kind == "text":
                stripped = token.text.lstrip(_SPACES)
                if not stripped and token.text.endswith("\n"):
                    spaces = None
                else:
                    spaces = len(token.text) - len(stripped)
                    adjust.append(i)
            if spaces is not None and (fewest is None or spaces < fewest):
                fewest = spaces
        if token.kind == "text" and token.text.endswith("\n"):
            at_line_start = True
    for i in adjust:
        tokens[i] = _TemplateToken("text", text=tokens[i].text[fewest or 0 :])


def parse_file(text: str, filename: str) -> Body:
    """Parse a native HCL bake file."""
    return _Parser(text, filename).body(None)


def parse_expression(text: str, where: Where) -> Expr:
    """Parse one expression (a JSON file's `type` string, for example), positions relative to `where`."""
    parser = _Parser(text, where.filename, where.start_line, where.start_column)
    parser.newline_modes.append(True)
    expr = parser.expression()
    tok = parser.next()
    if tok.kind != "eof":
        raise parser.error(
            "Extra characters after expression",
            "An expression was successfully parsed, but extra characters were found after it.",
            parser.token_where(tok),
        )
    return expr


def parse_template(text: str, where: Where) -> Expr:
    """Parse a JSON string as HCL does: a template, `${...}` interpolated."""
    if "${" not in text and "%{" not in text:
        return Template(where, (TextPart(text),) if text else ())
    parser = _Parser(text, where.filename, where.start_line, where.start_column + 1)
    return Template(where, tuple(parser.template_parts(quoted=False)))
