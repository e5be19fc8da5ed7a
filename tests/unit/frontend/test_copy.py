"""COPY/ADD lowering without an engine: copy options per source kind, --link merges, downloads, git
checkouts, inline documents, history, errors and the context paths a build reads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from buildwright.errors import DockerfileError
from buildwright.frontend.options import CompiledBuild
from buildwright.llb import caps
from tests.unit.frontend.test_convert import compile_text, custom_names, ops

ENGINE_CAPS = frozenset({caps.FILE_BASE, caps.MERGE_OP})
SHA = "sha256:" + "9" * 64


def file_ops(compiled: CompiledBuild) -> list[dict[str, Any]]:
    return [op for op in ops(compiled) if "file" in op["op"]]


def copies(compiled: CompiledBuild) -> list[dict[str, Any]]:
    """The copy actions of the last file op that copies (the instruction under test)."""
    for op in reversed(file_ops(compiled)):
        found = [action["copy"] for action in op["op"]["file"]["actions"] if "copy" in action]
        if found:
            return found
    raise AssertionError("no copy op")


def sources(compiled: CompiledBuild) -> dict[str, dict[str, Any]]:
    return {op["op"]["source"]["identifier"]: op for op in ops(compiled) if "source" in op["op"]}


def history(compiled: CompiledBuild) -> list[str]:
    return [entry["created_by"] for entry in json.loads(compiled.image_config)["history"]]


def follow_paths(compiled: CompiledBuild) -> list[str] | None:
    """The context's followpaths; None when the whole context is sent (or it is not used at all)."""
    context = sources(compiled).get("local://context")
    if context is None:
        return None
    attrs = context["op"]["source"].get("attrs", {})
    value = attrs.get("local.followpaths")
    return None if value is None else json.loads(value)


def test_context_copy_options() -> None:
    compiled, _ = compile_text("FROM busybox\nWORKDIR /w\nCOPY src/../a.txt dir/ rel/\n")
    first, second = copies(compiled)
    assert first == {
        "src": "/a.txt",
        "dest": "/w/rel/",
        "mode": -1,
        "followSymlink": True,
        "dirCopyContents": True,
        "createDestPath": True,
        "allowWildcard": True,
        "allowEmptyWildcard": True,
        "timestamp": "-1",
    }
    assert second["src"] == "/dir" and second["dest"] == "/w/rel/"
    assert history(compiled)[-1] == "COPY src/../a.txt dir/ rel/ # buildkit"
    assert "[3/3] COPY src/../a.txt dir/ rel/" in custom_names(compiled)


@pytest.mark.parametrize(
    ("dest", "expected"),
    [(".", "/w/"), ("", "/w/"), ("x", "/w/x"), ("x/.", "/w/x/."), ("/abs/", "/abs/"), ("/a/../b", "/b")],
)
def test_destination_against_the_working_directory(dest: str, expected: str) -> None:
    compiled, _ = compile_text(f"FROM busybox\nARG E\nWORKDIR /w\nCOPY a.txt {dest or '$E'}\n")
    assert copies(compiled)[0]["dest"] == expected


def test_chown_by_name_reads_the_destination_stage() -> None:
    compiled, _ = compile_text("FROM busybox\nCOPY --chown=bin:daemon a /a\n")
    owner = copies(compiled)[0]["owner"]
    # Input 0 is the stage being written: the engine reads its /etc/passwd and /etc/group.
    assert owner == {"user": {"byName": {"name": "bin"}}, "group": {"byName": {"name": "daemon"}}}
    assert (
        file_ops(compiled)[-1]["op"]["inputs"][0]["digest"]
        == sources(compiled)["docker-image://docker.io/library/busybox:latest@" + "sha256:" + "b" * 64]["digest"]
    )


def test_chown_by_id_and_user_only() -> None:
    compiled, _ = compile_text("FROM busybox\nARG U=1000\nCOPY --chown=$U:root a /a\nCOPY --chown=7 b /b\n")
    assert copies(compiled)[0]["owner"] == {"user": {"byID": 7}}
    assert history(compiled)[-2] == "COPY --chown=1000:root a /a # buildkit"


def test_symbolic_chmod_travels_as_a_mode_string() -> None:
    compiled, _ = compile_text("FROM busybox\nCOPY --chmod=u=rwx,go=rX a /a\n")
    copy = copies(compiled)[0]
    assert copy["modeStr"] == "u=rwx,go=rX" and "mode" not in copy
    assert history(compiled)[-1] == "COPY --chmod=u=rwx,go=rX a /a # buildkit"
    compiled, _ = compile_text("FROM busybox\nCOPY --chmod=0640 a /a\n")
    assert copies(compiled)[0]["mode"] == 0o640


def test_exclude_patterns_stay_literal() -> None:
    compiled, _ = compile_text("FROM busybox\nARG X=y\nCOPY --exclude=*.md --exclude=$X . /d/\n")
    assert copies(compiled)[0]["exclude_patterns"] == ["*.md", "$X"]
    assert history(compiled)[-1] == "COPY . /d/ # buildkit"


def test_link_copies_onto_scratch_and_merges() -> None:
    compiled, _ = compile_text("FROM busybox\nCOPY --link a /a\n", llb_caps=ENGINE_CAPS)
    merge = next(op for op in ops(compiled) if "merge" in op["op"])
    layer = file_ops(compiled)[-1]
    # The copy's only input is the context: it runs on scratch (action input -1).
    assert layer["op"]["file"]["actions"][0]["input"] == "-1"
    assert [i["digest"] for i in merge["op"]["inputs"]][1] == layer["digest"]
    assert merge["metadata"]["description"]["llb.customname"] == "[2/2] LINK COPY --link a /a"
    assert layer["metadata"]["description"]["llb.customname"] == "[2/2] COPY --link a /a"
    weak, strong = layer["metadata"]["progress_group"], merge["metadata"]["progress_group"]
    assert weak["weak"] is True and "weak" not in strong
    assert weak["id"] == strong["id"] and weak["name"] == strong["name"] == "[2/2] COPY --link a /a"
    assert history(compiled)[-1] == "COPY a /a # buildkit"
    again, _ = compile_text("FROM busybox\nCOPY --link a /a\n", llb_caps=ENGINE_CAPS)
    assert again.definition.to_json() == compiled.definition.to_json()


@pytest.mark.parametrize(
    ("text", "engine_caps"),
    [
        ("FROM busybox\nCOPY --link --chmod=600 a /a\n", ENGINE_CAPS),  # --chmod: no merge
        ("FROM busybox\nCOPY --link a /a\n", frozenset({caps.FILE_BASE})),  # no mergeop cap
        ("FROM busybox\nCOPY --link a /a\n", None),  # caps unknown
    ],
)
def test_link_falls_back_to_a_plain_copy(text: str, engine_caps: frozenset[str] | None) -> None:
    compiled, _ = compile_text(text, llb_caps=engine_caps)
    assert not any("merge" in op["op"] for op in ops(compiled))
    assert file_ops(compiled)[-1]["op"]["file"]["actions"][0].get("input", "0") == "0"  # 0 is left out


def test_link_onto_scratch_is_the_copy_alone() -> None:
    compiled, _ = compile_text("FROM scratch\nENV A=b\nCOPY --link a /a\n", llb_caps=ENGINE_CAPS)
    assert not any("merge" in op["op"] for op in ops(compiled))
    assert file_ops(compiled)[-1]["metadata"]["progress_group"]["weak"] is True


def test_add_download() -> None:
    url = "http://127.0.0.1:8000/files/hello.txt"
    compiled, _ = compile_text(f"FROM busybox\nADD --checksum={SHA} {url} /web/\n")
    source = sources(compiled)[url]
    assert source["op"]["source"]["attrs"] == {"http.checksum": SHA, "http.filename": "hello.txt"}
    assert source["metadata"]["description"] == {
        "llb.customname": f"[2/2] ADD --checksum={SHA} {url} /web/",
        "com.docker.dockerfile.v1.command": "",
    }
    assert source["metadata"]["caps"] == {"source.http": True, "source.http.checksum": True}
    assert copies(compiled)[0] == {
        "src": "/hello.txt",
        "dest": "/web/",
        "mode": -1,
        "createDestPath": True,
        "timestamp": "-1",
    }
    # A download is not read from the context.
    assert "local://context" not in sources(compiled)


def test_add_download_unpacks_only_when_asked() -> None:
    compiled, _ = compile_text("FROM busybox\nADD --unpack=true http://h/a.tar.gz /x/\n")
    assert copies(compiled)[0]["attemptUnpackDockerCompatibility"] is True
    assert sources(compiled)["http://h/a.tar.gz"]["op"]["source"]["attrs"] == {"http.filename": "a.tar.gz"}


def test_add_local_archives_unpack_unless_told_not_to() -> None:
    compiled, _ = compile_text("FROM busybox\nADD a.tar /x/\n")
    assert copies(compiled)[0]["attemptUnpackDockerCompatibility"] is True
    compiled, _ = compile_text("FROM busybox\nADD --unpack=false a.tar /x/\n")
    assert "attemptUnpackDockerCompatibility" not in copies(compiled)[0]
    compiled, _ = compile_text("FROM busybox\nCOPY a.tar /x/\n")
    assert "attemptUnpackDockerCompatibility" not in copies(compiled)[0]


def test_add_git_repository() -> None:
    compiled, _ = compile_text(
        "FROM busybox\nADD --keep-git-dir=true --chown=1:1 git://127.0.0.1:9/repo.git?branch=main&subdir=sub /r\n"
    )
    source = sources(compiled)["git://127.0.0.1:9/repo.git#refs/heads/main:sub"]
    assert source["op"]["source"]["attrs"] == {
        "git.authheadersecret": "GIT_AUTH_HEADER",
        "git.authtokensecret": "GIT_AUTH_TOKEN",
        "git.fullurl": "git://127.0.0.1:9/repo.git",
        "git.keepgitdir": "true",
    }
    assert copies(compiled)[0] == {
        "src": "/",
        "dest": "/r",
        "mode": -1,
        "createDestPath": True,
        "timestamp": "-1",
        "owner": {"user": {"byID": 1}, "group": {"byID": 1}},
    }
    # The reference counts git sources of ADD as context paths (seen once the context is used).
    compiled, _ = compile_text("FROM busybox\nADD git://127.0.0.1:9/repo.git?branch=main /r\nCOPY a /a\n")
    assert follow_paths(compiled) == ["a", "git:/127.0.0.1:9/repo.git?branch=main"]


def test_add_git_checksum_and_submodules() -> None:
    compiled, _ = compile_text("FROM busybox\nADD --checksum=abc git://h/r.git?submodules=false#v1 /r\n")
    attrs = sources(compiled)["git://h/r.git#v1"]["op"]["source"]["attrs"]
    assert attrs["git.checksum"] == "abc" and attrs["git.skipsubmodules"] == "true"


def test_inline_documents() -> None:
    compiled, _ = compile_text("FROM busybox\nENV W=x\nCOPY --chmod=600 <<A <<'B' /d/\n$W\nA\n$W\nB\n")
    documents = [op for op in file_ops(compiled) if "mkfile" in op["op"]["file"]["actions"][0]]
    made = sorted(
        (d["op"]["file"]["actions"][0]["mkfile"]["path"], d["op"]["file"]["actions"][0]["mkfile"]["data"])
        for d in documents
    )
    assert made == [("/A", "eAo="), ("/B", "JFcK")]  # base64 of "x\n" (expanded) and "$W\n" (quoted delimiter)
    assert all(
        d["metadata"]["description"]["llb.customname"] == "[internal] preparing inline document" for d in documents
    )
    assert [c["src"] for c in copies(compiled)] == ["/A", "/B"]
    assert all(c["mode"] == 0o600 for c in copies(compiled))
    assert history(compiled)[-1] == "COPY --chmod=600 <<A <<B /d/ # buildkit"


def test_context_paths() -> None:
    text = "FROM busybox AS s\nFROM busybox\nCOPY a b/c /x/\nCOPY --from=s /etc/passwd /p\nADD http://h/f d.tar /y/\n"
    compiled, _ = compile_text(text)
    assert follow_paths(compiled) == ["a", "b/c", "d.tar"]
    compiled, _ = compile_text("FROM busybox\nCOPY a /x\nCOPY . /all/\n")
    assert follow_paths(compiled) is None


@pytest.mark.parametrize(
    ("text", "line", "error"),
    [
        ("COPY http://h/f /x", 2, "source can't be a URL for COPY"),
        ("COPY a.txt git://h/r.git /x/", 2, "source can't be a git ref for COPY"),
        ("ADD --checksum=" + SHA + " a.txt /x", 2, "checksum requires HTTP(S) or Git sources"),
        ("ADD --checksum=" + SHA + " http://h/f a /x/", 2, "checksum can't be specified for multiple sources"),
        ("ADD --checksum=sha256:12 http://h/f /x", 2, "invalid checksum digest length"),
        ("ADD --keep-git-dir=false git://h/r.git?keep-git-dir /x", 2, "inconsistent keep-git-dir configuration"),
        ("ADD --checksum=a git://h/r.git?commit=b /x", 2, 'checksum mismatch "a" != "b"'),
        ("ADD git://h/r.git?x=1 /x", 2, 'unexpected query "x"'),
        ("COPY git://h/r.git?x=1 /x", 2, 'unexpected query "x"'),
        ("COPY --chmod=8 a /x", 2, "invalid chmod parameter: '8'. it should be octal string and between 0 and 07777"),
        ("COPY --chmod=a+q a /x", 2, "invalid syntax"),
    ],
)
def test_errors_name_the_instruction(text: str, line: int, error: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        compile_text(f"FROM busybox\n{text}\n")
    assert caught.value.message == error
    assert caught.value.location is not None and caught.value.location.start_line == line


def test_github_shorthand_is_a_context_path_for_add() -> None:
    compiled, _ = compile_text("FROM busybox\nADD github.com/moby/buildkit /x\n")
    assert copies(compiled)[0]["src"] == "/github.com/moby/buildkit"
