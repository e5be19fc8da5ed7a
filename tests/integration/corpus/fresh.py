"""Fresh copies of cases, for measuring the shared cache on an engine that has built the corpus before.

Once buildwright has built a case, its own cache records answer later builds, and the shared-cache
figure would say nothing about buildx. A fresh copy puts `RUN echo <token>` right after every FROM of
an image or stage (a new cache key for every later step of that stage, the same for both builders),
so buildwright can only find its steps in the records buildx has just made. Stages FROM scratch stay
as they are: they have no shell to run.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path
from typing import Final

from tests.integration.corpus.cases import Case

# A FROM on one physical line; the base is the first word that is not a flag.
_FROM: Final = re.compile(r"^\s*from\s+(?:--\S+\s+)*(?P<base>\S+)", re.IGNORECASE)


def fresh_copy(case: Case, into: Path, token: str) -> Case:
    """A copy of `case` under `into` whose every non-scratch stage starts with a RUN unique to `token`."""
    folder = into / case.name
    shutil.copytree(case.folder, folder, symlinks=True)
    copied = dataclasses.replace(case, folder=folder)
    path = copied.dockerfile_path
    path.write_text(_with_nonce(path.read_text(), token))
    return copied


def _with_nonce(text: str, token: str) -> str:
    lines: list[str] = []
    for line in text.splitlines():
        lines.append(line)
        match = _FROM.match(line)
        if match and match.group("base").lower() != "scratch" and not line.rstrip().endswith(("\\", "`")):
            lines.append(f"RUN echo {token} > /dev/null")
    return "\n".join(lines) + "\n"
