"""`COPY/ADD --chmod` values: an octal mode, or a symbolic one (`u=rwx,go=rX`) the engine applies.

The reference accepts any octal number up to 07777 and, failing that, anything its chmod(1)-style
parser (`tonistiigi/dchapes-mode`) accepts; symbolic modes travel as the copy's `modeStr`. Values
that start with a digit but are not such a number keep the old "octal string" message.
"""

from __future__ import annotations

import re

from buildwright.errors import DockerfileError

_MAX_MODE = 0o7777
_OCTAL = re.compile(r"[0-7]+")
# One clause: optional who letters, then one or more operators each followed by permission letters.
_CLAUSE = r"[augo]*(?:[-+=][rstwXxugo]*)+"
_SYMBOLIC = re.compile(rf"{_CLAUSE}(?:,{_CLAUSE})*")


def parse_chmod(text: str) -> int | str:
    """The mode to send: an int for octal values, the text itself for symbolic ones.

    Raises:
        DockerfileError: the value is neither (without location; the caller adds it).
    """
    if _OCTAL.fullmatch(text) is not None:
        value = int(text, 8)
        if value <= _MAX_MODE:
            return value
        raise _non_octal(text)
    if text[:1].isdigit() and text[:1].isascii():
        raise _non_octal(text)
    if _SYMBOLIC.fullmatch(text) is None:
        raise DockerfileError("invalid syntax")
    return text


def _non_octal(text: str) -> DockerfileError:
    return DockerfileError(f"invalid chmod parameter: '{text}'. it should be octal string and between 0 and 07777")
