"""Help screens in the layout typer's rich help uses (usage, text, then boxed panels of options and
commands, grouped by `rich_help_panel`), drawn with plain strings.

Typer's own rich help imports rich, markdown-it and pygments before it draws a line, several times
the cost of the rest of `buildwright --help`. The panels here are laid out by a simpler rule than
rich's tables (fixed columns as wide as their widest cell, the help column takes the rest), styled
with the same colours on a terminal. Help strings keep rich's markup: tags are dropped and `\\[`
is a literal bracket, as rich reads them. Usage errors still go through typer (and rich).
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence

# typer 0.28 carries its own click (typer._click): its Context and HelpFormatter are the types here.
from typer import _click as click
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

# Typer's panel titles, and the words it puts after an option's help.
_ARGUMENTS = "Arguments"
_OPTIONS = "Options"
_COMMANDS = "Commands"

# SGR codes of the styles typer's rich help uses.
_BOLD = "1"
_DIM = "2"
_USAGE = "33"
_OPTION = "1;36"
_SWITCH = "1;32"
_NEGATIVE_OPTION = "1;35"
_NEGATIVE_SWITCH = "1;31"
_TYPES = "1;33"
_REQUIRED = "31"
_REQUIRED_LONG = "2;31"
_ENVVAR = "2;33"
_DEPRECATED = "31"

# A rich markup tag (`[bold]`, `[/]`, `[link=...]`), with the backslashes in front of it: an odd
# count escapes the bracket.
_TAG = re.compile(r"(\\*)\[([a-z#/@][^\[\]]*)\]")
# Option names inside help text (`--file`, `-f`), highlighted as typer's highlighter does.
_LONG_NAME = re.compile(r"(?<![\w-])--[\w-]+(?![\w-])")
_SHORT_NAME = re.compile(r"(?<![\w-])-\w+(?![\w-])")
_TYPE_PUNCTUATION = re.compile(r"[<>|\[\]]")

_GAP = 2  # spaces between columns
_MIN_HELP = 20  # the help column's width before the fixed columns are wrapped instead


class PanelCommand(TyperCommand):
    """A typer command whose `--help` is drawn by this module."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(help_screen(self, ctx))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _help_for_no_arguments(self, ctx, args)
        return super().parse_args(ctx, args)


class PanelGroup(TyperGroup):
    """A typer group whose `--help` is drawn by this module."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(help_screen(self, ctx))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _help_for_no_arguments(self, ctx, args)
        return super().parse_args(ctx, args)


def _help_for_no_arguments(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    """`no_args_is_help`: the help on stdout, exit 2. Typer's rich help printed the screen while
    click built its NoArgsIsHelpError (whose message it then drops); a drawn screen is a string,
    so it is printed here."""
    if not args and command.no_args_is_help and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit(2)


def help_screen(command: click.Command, ctx: click.Context) -> str:
    """The whole help screen of `command`, ANSI-styled when the output is coloured."""
    width = screen_width(os.environ)
    painter = _Painter(_colour(ctx))
    out = ["", *_usage(command, ctx, width, painter), ""]
    if command.help:
        out += [" " + line if line else "" for line in _command_text(command, width - 2, painter)]
        out.append("")
    for title, params in _param_panels(command.get_params(ctx)):
        rows = [_param_row(param, ctx, painter) for param in params]
        out += _panel(title, rows, width, painter)
    if isinstance(command, TyperGroup):
        out += _command_panels(command, ctx, width, painter)
    if command.epilog:
        out += ["", *(" " + line if line else "" for line in _wrap(_plain(command.epilog), width - 2)), ""]
    return "\n".join(out) + "\n"


def _usage(command: click.Command, ctx: click.Context, width: int, painter: _Painter) -> list[str]:
    """`Usage: PATH [OPTIONS] ARGS`, wrapped at the screen's width (click wraps at its own)."""
    text = " ".join(["Usage:", ctx.command_path, *command.collect_usage_pieces(ctx)])
    lines = textwrap.wrap(text, max(width - 1, 20), subsequent_indent="  ", break_on_hyphens=False)
    return [" " + painter.usage(lines[0]), *(" " + painter.paint(line, _BOLD) for line in lines[1:])]


def screen_width(environ: Mapping[str, str]) -> int:
    """The width help is drawn at, found as typer's rich console finds it."""
    for name in ("TERMINAL_WIDTH", "COLUMNS"):
        value = environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    if environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return 80
    for fd in (0, 1, 2):
        try:
            columns = os.get_terminal_size(fd).columns
        except (OSError, ValueError):
            continue
        if columns > 0:
            return columns
    return 80


def _colour(ctx: click.Context) -> bool:
    """Whether to style the screen: rich's rule (a terminal, or forced; never with NO_COLOR or a
    dumb terminal). Forcing sets `ctx.color`, so click keeps the codes on a pipe."""
    if ctx.color is not None:
        return ctx.color
    env = os.environ
    if env.get("NO_COLOR") or env.get("_TYPER_FORCE_DISABLE_TERMINAL"):
        return False
    if env.get("TERM", "").lower() in ("dumb", "unknown"):
        return False
    if env.get("FORCE_COLOR") or env.get("PY_COLORS") or env.get("GITHUB_ACTIONS") or env.get("TTY_COMPATIBLE") == "1":
        ctx.color = True
        return True
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


class _Painter:
    """ANSI styles, or none."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def paint(self, text: str, style: str) -> str:
        return f"\x1b[{style}m{text}\x1b[0m" if self.colour and text and style else text

    def names(self, text: str, long: str = _OPTION, short: str = _SWITCH) -> str:
        """`--long` and `-s` option names in `text`, styled."""
        if not self.colour:
            return text
        text = _LONG_NAME.sub(lambda m: self.paint(m.group(0), long), text)
        return _SHORT_NAME.sub(lambda m: self.paint(m.group(0), short), text)

    def usage(self, line: str) -> str:
        label, _, rest = line.partition(" ")
        return self.paint(label, f"{_BOLD};{_USAGE}") + " " + self.paint(rest, _BOLD) if rest else line

    def types(self, text: str) -> str:
        if not self.colour:
            return text
        parts = _TYPE_PUNCTUATION.split(text)
        marks = _TYPE_PUNCTUATION.findall(text)
        out = [self.paint(parts[0], _TYPES)]
        for mark, part in zip(marks, parts[1:], strict=True):
            out += [self.paint(mark, _DIM), self.paint(part, _TYPES)]
        return "".join(out)


def _plain(text: str) -> str:
    """Rich markup as the text it shows: tags dropped, `\\[` a bracket."""

    def replace(match: re.Match[str]) -> str:
        slashes, tag = match.group(1), match.group(2)
        kept = "\\" * (len(slashes) // 2)
        return kept + f"[{tag}]" if len(slashes) % 2 else kept

    return _TAG.sub(replace, text)


def _wrap(text: str, width: int) -> list[str]:
    """Lines of `text` at most `width` wide; its own line breaks are kept and words never split
    at hyphens (rich's wrapping)."""
    lines: list[str] = []
    for line in text.split("\n"):
        lines += textwrap.wrap(line, max(width, 1), break_on_hyphens=False) or [""]
    return lines


def _command_text(command: click.Command, width: int, painter: _Painter) -> list[str]:
    """The help text under the usage line: the first paragraph as one, the rest dim."""
    text = inspect.cleandoc(command.help or "").partition("\f")[0]
    first, *rest = text.split("\n\n")
    if not first.startswith("\b"):
        first = first.replace("\n", " ")
    lines = [painter.names(line) for line in _wrap(_plain(first.strip()), width)]
    if command.deprecated:
        lines[0] = painter.paint("(deprecated) ", _DEPRECATED) + lines[0]
    if rest:
        lines.append("")
        lines += [painter.paint(line, _DIM) for line in _wrap(_plain("\n\n".join(rest)), width)]
    return lines


def _param_panels(params: Sequence[click.Parameter]) -> list[tuple[str, list[click.Parameter]]]:
    """Panels in typer's order: the default arguments panel, other argument panels, the default
    options panel, then other option panels, each in the order first named."""
    arguments: dict[str, list[click.Parameter]] = {_ARGUMENTS: []}
    options: dict[str, list[click.Parameter]] = {_OPTIONS: []}
    for param in params:
        if getattr(param, "hidden", False):
            continue
        if isinstance(param, TyperArgument):
            arguments.setdefault(getattr(param, "rich_help_panel", None) or _ARGUMENTS, []).append(param)
        else:
            options.setdefault(getattr(param, "rich_help_panel", None) or _OPTIONS, []).append(param)
    return [(title, group) for title, group in (*arguments.items(), *options.items()) if group]


class _Row:
    """One parameter in a panel: the fixed cells (required mark, names, secondary names, type),
    the same cells styled, the help text and the notes after it."""

    __slots__ = ("cells", "notes", "styled", "text")

    def __init__(self, cells: tuple[str, ...], styled: tuple[str, ...], text: str, notes: tuple[str, ...]) -> None:
        self.cells, self.styled, self.text, self.notes = cells, styled, text, notes


def _param_row(param: click.Parameter, ctx: click.Context, painter: _Painter) -> _Row:
    """One parameter's cells as typer's rich help splits them."""
    argument = isinstance(param, TyperArgument)
    shown_name = (param.metavar or param.name or "") if argument else ""
    long = [o for o in param.opts if "--" in o]
    short = [shown_name or o for o in param.opts if "--" not in o]
    negative_long = [o for o in param.secondary_opts if "--" in o]
    negative_short = [shown_name or o for o in param.secondary_opts if "--" not in o]
    cells = (
        "*" if param.required else "",
        ",".join(long),
        ",".join(short),
        ",".join(negative_long),
        ",".join(negative_short),
        _type_text(param, ctx),
    )
    styled = (
        painter.paint(cells[0], _REQUIRED),
        painter.paint(cells[1], _OPTION),
        painter.paint(cells[2], _SWITCH),
        painter.paint(cells[3], _NEGATIVE_OPTION),
        painter.paint(cells[4], _NEGATIVE_SWITCH),
        painter.types(cells[5]),
    )
    return _Row(cells, styled, _param_help(param), tuple(_notes(param, ctx)))


def _type_text(param: click.Parameter, ctx: click.Context) -> str:
    if isinstance(param, TyperArgument):
        text = param.type.get_metavar(param=param, ctx=ctx) or f"<{param.type.name}>"
    else:
        text = param.make_metavar(ctx=ctx)
    text = "" if "bool" in text.lower() else text
    describe = getattr(param.type, "_describe_range", None)
    if callable(describe) and isinstance(param, TyperOption) and not param.count:
        text += f" [{describe()}]"
    return text


def _param_help(param: click.Parameter) -> str:
    """A parameter's help as typer's rich mode shows it: paragraphs on lines of their own, a
    paragraph's single line breaks joined (unless it starts with \\b)."""
    text = getattr(param, "help", None) or ""
    paragraphs = [
        p.replace("\n", " ").strip() if not p.startswith("\b") else p.strip("\b\n") + "\n" for p in text.split("\n\n")
    ]
    return _plain("\n".join(paragraphs).strip())


def _notes(param: click.Parameter, ctx: click.Context) -> Iterable[str]:
    """`[env var: ...]`, `[default: ...]` and `[required]`, where typer adds them."""
    envvar = param.envvar
    if envvar and getattr(param, "show_envvar", False):
        yield "[env var: {}]".format(envvar if isinstance(envvar, str) else ", ".join(map(str, envvar)))
    if isinstance(param, TyperOption | TyperArgument):
        # typer's own default text (enum values, list defaults, show_default strings).
        default = param._extract_default_help_str(ctx=ctx)
        given = isinstance(param.show_default, str)
        if given or (default is not None and (param.show_default or ctx.show_default)):
            shown = param._get_default_string(ctx=ctx, show_default_is_str=given, default_value=default)
            if shown:
                yield f"[default: {shown}]"
    if param.required:
        yield "[required]"


def _help_lines(row: _Row, width: int, painter: _Painter) -> list[str]:
    """The help column: the text wrapped; each note after it on the same line when the text is
    one line and the note fits, else on a line of its own."""
    plain = _wrap(row.text, width) if row.text else []
    lines = [painter.names(line) for line in plain]
    for note in row.notes:
        style = _ENVVAR if note.startswith("[env var") else _REQUIRED_LONG if note == "[required]" else _DIM
        if len(plain) == 1 and len(plain[0]) + 1 + len(note) <= width:
            plain[0] += " " + note
            lines[0] += " " + painter.paint(note, style)
        else:
            for part in _wrap(note, width):  # a note wider than the column, too
                plain.append(part)
                lines.append(painter.paint(part, style))
    return [_pad(styled, len(raw), width) for styled, raw in zip(lines, plain, strict=True)] or [" " * width]


def _pad(styled: str, length: int, width: int) -> str:
    return styled + " " * max(width - length, 0)


def _panel(title: str, rows: Sequence[_Row], width: int, painter: _Painter) -> list[str]:
    """A boxed panel of parameter rows: columns empty on every row are left out."""
    used = [i for i in range(len(rows[0].cells)) if any(row.cells[i] for row in rows)]
    widths = [max(len(row.cells[i]) for row in rows) for i in used]
    inner = width - 4
    natural = max((len(line) for row in rows for line in [*row.text.split("\n"), *row.notes]), default=0)
    widths = _fit(widths, inner - _GAP * len(widths), min(natural, _MIN_HELP, max(inner // 3, 10)))
    help_width = max(inner - sum(widths) - _GAP * len(widths), 1)
    lines: list[str] = []
    for row in rows:
        columns = [_cell_lines(row.cells[i], row.styled[i], w, painter) for i, w in zip(used, widths, strict=True)]
        columns.append(_help_lines(row, help_width, painter))
        for n in range(max(len(c) for c in columns)):
            parts = [c[n] if n < len(c) else " " * w for c, w in zip(columns, [*widths, help_width], strict=True)]
            lines.append((" " * _GAP).join(parts))
    return _box(title, lines, width, painter)


def _fit(widths: list[int], room: int, help_minimum: int) -> list[int]:
    """Column widths narrowed, widest first, until the help column gets `help_minimum`."""
    widths = list(widths)
    while widths and sum(widths) > room - help_minimum and max(widths) > 6:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    return widths


def _cell_lines(text: str, styled: str, width: int, painter: _Painter) -> list[str]:
    if len(text) <= width:
        return [_pad(styled, len(text), width)]
    # Too narrow (a narrow screen): break after the commas between aliases, else anywhere.
    lines = [""]
    for name in re.split(r"(?<=,)", text):
        if lines[-1] and len(lines[-1]) + len(name) > width:
            lines.append("")
        lines[-1] += name
        while len(lines[-1]) > width:
            lines[-1:] = [lines[-1][:width], lines[-1][width:]]
    return [_pad(painter.paint(line, _OPTION), len(line), width) for line in lines]


def _command_panels(group: TyperGroup, ctx: click.Context, width: int, painter: _Painter) -> list[str]:
    """The group's commands, by panel; every panel's name column as wide as the longest name."""
    panels: dict[str, list[click.Command]] = {_COMMANDS: []}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is not None and not command.hidden:
            panels.setdefault(getattr(command, "rich_help_panel", None) or _COMMANDS, []).append(command)
    name_width = max((len(c.name or "") for cs in panels.values() for c in cs), default=0)
    help_width = max(width - 4 - name_width - _GAP, 1)
    out: list[str] = []
    for title, commands in panels.items():
        lines: list[str] = []
        for command in commands:
            name = command.name or ""
            texts = _command_summary(command, help_width)
            for n, text in enumerate(texts):
                left = _pad(painter.paint(name, _OPTION), len(name), name_width) if n == 0 else " " * name_width
                lines.append(left + " " * _GAP + _pad(painter.names(text), len(text), help_width))
        if lines:
            out += _box(title, lines, width, painter)
    return out


def _command_summary(command: click.Command, width: int) -> list[str]:
    """A command's line in its group's panel: the first paragraph of its help (line breaks kept,
    as typer's rich mode keeps them)."""
    text = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
    if command.deprecated:
        text = "(deprecated) " + text
    return _wrap(_plain(text.replace("\b\n", "").strip()), width)


def _box(title: str, lines: Sequence[str], width: int, painter: _Painter) -> list[str]:
    """`lines` (each `width - 4` wide) in a box with `title` in its top edge."""
    rule = "─" * max(width - len(title) - 5, 0)
    side = painter.paint("│", _DIM)
    return [
        painter.paint("╭─ ", _DIM) + title + painter.paint(" " + rule + "╮", _DIM),
        *(f"{side} {line} {side}" for line in lines),
        painter.paint("╰" + "─" * max(width - 2, 0) + "╯", _DIM),
    ]
