"""Seed inputs for each fuzz target, read from the test corpus and the examples."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_DOCKERFILE_DIRS = ("tests/integration/corpus/cases", "tests/integration/check_cases", "examples")

# Values of the kinds each option accepts, from README's flag reference and the unit tests.
OPTION_SEEDS: dict[str, tuple[str, ...]] = {
    "opt-output": (
        "type=local,dest=out",
        "type=tar,dest=-",
        "type=image,name=r/a:b,push=true,compression=zstd,oci-mediatypes=true",
        "type=oci,dest=a.tar,tar=false",
        "type=docker,name=x",
        "out",
        "-",
        '"type=local","dest=a,b"',
    ),
    "opt-cache": (
        "type=registry,ref=host/app:cache,mode=max",
        "type=local,src=dir",
        "type=local,dest=dir,mode=max,compression=zstd",
        "type=inline",
        "host/app:cache",
        "type=gha,scope=x",
    ),
    "opt-secret": ("id=a,src=/etc/hostname", "type=env,id=TOKEN", "id=b,env=HOME", "type=file,id=c,source=x"),
    "opt-ssh": ("default", "id=/tmp/agent.sock", "key=/a,/b", "default=$SSH_AUTH_SOCK"),
    "opt-platform": ("linux/amd64", "linux/arm64/v8,linux/arm/v7", "windows/amd64", "local", "linux/riscv64"),
    "opt-build-context": (
        "foo=docker-image://busybox:latest",
        "src=.",
        "x=https://example.com/a.tar",
        "g=git@github.com:a/b.git#main:sub",
        "UPPER=target:base",
    ),
    "opt-add-host": ("h:1.2.3.4", "h=::1", "a.b:host-gateway", "x:[::1]"),
    "opt-ulimit": ("nofile=1024:2048", "nproc=10", "core=-1", "memlock=1:2"),
    "opt-build-arg": ("A=1", "FROM_ENV", "A=", "B=a=b", "=x"),
    "opt-shm-size": ("64m", "1g", "100", "1.5k", "0"),
    "opt-network": ("default", "host", "none", "bridge"),
}

_IGNORE_EXTRA = (
    b"*.log\n!keep.log\n**/node_modules\n",
    b"# comment\n  spaced  \n./a/../b\n/abs\n!\n",
    b"[a-c]x\n[^a]x\nx[!]]\n\\d\na\\*b\n",
    b"**\n!src/**/*.go\n**/*.tmp\n",
    b"caf\xe9*\n",
    b"\xef\xbb\xbfdocs\r\n!docs/README.md\r\n",
)

_EXPAND_EXTRA = (
    "${a:-${b:-c}}",
    "$a ${b} '$a' \"$b\" \\$a",
    "${a#x} ${a%%y*} ${a/x/y} ${a:+set} ${a:?err}",
    "${unset:-default} ${empty:=v}",
    'a\\ b \'c d\' "e\\"f"',
)


def dockerfiles() -> list[bytes]:
    found: list[bytes] = []
    for folder in _DOCKERFILE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.name.startswith("Dockerfile"):
                found.append(path.read_bytes())
    return found


def ignore_files() -> list[bytes]:
    found = [p.read_bytes() for folder in _DOCKERFILE_DIRS for p in sorted((ROOT / folder).rglob(".dockerignore"))]
    return found + list(_IGNORE_EXTRA)


_WORD = re.compile(rb"^\s*(?:RUN|ENV|ARG|LABEL|COPY|ADD|WORKDIR|USER|FROM|CMD|EXPOSE|VOLUME)\s+(.+)$", re.MULTILINE)


def words(sources: list[bytes]) -> list[bytes]:
    found = {m.group(1) for source in sources for m in _WORD.finditer(source)}
    return [b"\x00" + w for w in sorted(found)] + [b"\x00" + e.encode() for e in _EXPAND_EXTRA]


def seeds() -> dict[str, list[bytes]]:
    """Seeds by target name."""
    sources = dockerfiles()
    out: dict[str, list[bytes]] = {
        "parse": sources,
        "compile": sources,
        "ignore": ignore_files(),
        "expand": words(sources),
    }
    for name, values in OPTION_SEEDS.items():
        out[name] = [v.encode() for v in values]
    return out
