"""Deterministic mutations of seed inputs: bytes, lines, tokens, nesting and size."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

MAX_INPUT = 1 << 20

# Fragments that reach the parser's and lexer's special cases.
TOKENS: tuple[bytes, ...] = (
    b"\x00",
    b"\xff",
    b"\xe9",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\r\n",
    b"\t",
    b"\x0b",
    b"\x1c",
    b"\\\n",
    b"`\n",
    b"\\",
    b"`",
    b"'",
    b'"',
    b"=",
    b",",
    b":",
    b";",
    b"#",
    b"$",
    b"${",
    b"}",
    b"${a:-",
    b"${a:+",
    b"${a#",
    b"${a%%",
    b"${a/",
    b"${a:?",
    b"$(",
    b")",
    b"[",
    b"]",
    b'["a", "b"]',
    b"[]",
    b"<<EOF\n",
    b"<<-EOT\n",
    b'<<"EOF"\n',
    b"EOF\n",
    b"EOT\n",
    b"<<EOF cat\nx\nEOF\n",
    b"--mount=type=bind,target=/x,source=.",
    b"--mount=type=cache,id=c,target=/c",
    b"--mount=type=secret,id=s",
    b"--mount=type=ssh",
    b"--mount=type=tmpfs,target=/t,size=1m",
    b"--network=none",
    b"--security=insecure",
    b"--from=",
    b"--from=s",
    b"--chown=1:1",
    b"--chmod=755",
    b"--chmod=u+x",
    b"--link",
    b"--parents",
    b"--exclude=*.go",
    b"--keep-git-dir",
    b"--checksum=sha256:",
    b"--platform=$BUILDPLATFORM",
    b"--start-period=1s",
    b"--interval=0s",
    b"--retries=-1",
    b"*",
    b"**/",
    b"?",
    b"!",
    b" AS ",
    b" as b",
    b"FROM scratch\n",
    b"FROM busybox AS s\n",
    b"FROM s\n",
    b"FROM ${a}\n",
    b"ARG a\n",
    b"ARG a=${b:-c}\n",
    b"ENV a=b c=d\n",
    b"ONBUILD ",
    b"ONBUILD RUN x\n",
    b"HEALTHCHECK NONE\n",
    b"HEALTHCHECK CMD x\n",
    b'SHELL ["/bin/sh", "-c"]\n',
    b"# syntax=docker/dockerfile:1\n",
    b"# escape=`\n",
    b"# escape=\\\n",
    b"# check=error=true\n",
    b"# check=skip=all\n",
    b"COPY --from=s / /\n",
    b"COPY . .\n",
    b"ADD https://x/y /z\n",
    b"ADD git@h:r.git /r\n",
    b"RUN echo hi\n",
    b"WORKDIR /w\n",
    b"USER 1:1\n",
    b"EXPOSE 80/tcp 1-2\n",
    b"STOPSIGNAL SIGKILL\n",
    b'VOLUME ["/v"]\n',
    b"MAINTAINER m\n",
    b"LABEL a=b\n",
    b'CMD ["a"\n',
    b"ENTRYPOINT x\n",
)


def _flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def _set_byte(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :]


def _delete(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.randint(1, 16) :]


def _token(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + rng.choice(TOKENS) + data[i:]


def _lines(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    choice = rng.randrange(4)
    if choice == 0:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif choice == 1 and len(lines) > 1:
        del lines[i]
    elif choice == 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        lines[i:i] = [lines[i]] * rng.randint(2, 200)
    return b"\n".join(lines)


def _splice(rng: random.Random, data: bytes, others: Sequence[bytes]) -> bytes:
    other = rng.choice(others)
    if not other:
        return data
    i = rng.randrange(len(data) + 1)
    j = rng.randrange(len(other))
    return data[:i] + other[j : j + rng.randint(1, 400)] + data[i:]


def _nest(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice((50, 300, 600, 2000))
    opener = rng.choice((b"${a:-", b"${a:+", b"${a#", b"$(", b"[", b'"${b:-'))
    closer = b"}" if opener.startswith((b"${", b'"')) else (b")" if opener == b"$(" else b"]")
    i = rng.randrange(len(data) + 1)
    return data[:i] + opener * depth + b"x" + closer * depth + data[i:]


def _huge(rng: random.Random, data: bytes) -> bytes:
    chunk = rng.choice((b"a", b"*a", b"**/", b"${a}", b"\\", b" ", b"--x=y ", b"\xe9"))
    i = rng.randrange(len(data) + 1)
    return data[:i] + chunk * rng.choice((1000, 20000, 70000)) + data[i:]


def _directive(rng: random.Random, data: bytes) -> bytes:
    directive = rng.choice(
        (b"# escape=`\n", b"# syntax=x\n", b"# check=error=true;skip=JSONArgsRecommended\n", b"#escape=\xe9\n")
    )
    return directive + data


def _heredoc(rng: random.Random, data: bytes) -> bytes:
    name = rng.choice((b"EOF", b"E\xe9", b"'Q'", b"-T", b'"D"'))
    body = rng.choice((b"echo $a\n", b"\x00\n", b"${a:-b}\n", b"", b"\\\n"))
    end = name.strip(b"'\"-")
    return data + b"\nRUN <<" + name + b" cat\n" + body + (end + b"\n" if rng.random() < 0.8 else b"")


_MUTATORS: tuple[Callable[[random.Random, bytes], bytes], ...] = (
    _flip,
    _set_byte,
    _delete,
    _token,
    _token,
    _token,
    _lines,
    _nest,
    _huge,
    _directive,
    _heredoc,
)


def mutate(rng: random.Random, seed: bytes, others: Sequence[bytes]) -> bytes:
    """One mutant of `seed`: one to four stacked mutations (a splice from `others` among them)."""
    data = seed
    for _ in range(rng.choice((1, 1, 2, 3, 4))):
        data = _splice(rng, data, others) if rng.random() < 0.1 else rng.choice(_MUTATORS)(rng, data)
    return data[:MAX_INPUT]
