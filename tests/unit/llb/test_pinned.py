"""Pinned op digests for a set of graphs.

Each digest was produced by this implementation and compared, op by op, with what BuildKit's
Go client (`client/llb`, v0.11.6 plus the v0.12 change that drops `platform` from file ops)
marshals for the same graph; all matched except `secrets_ssh`, where current BuildKit (v0.17+)
sets secret/SSH mount inputs to -1, as this implementation does. A change to any field value,
default or ordering shows up here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from buildwright import llb

from ._helpers import AMD64
from .test_marshal import sample_graph

PINNED = {
    "image": "sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e",
    "exec": "sha256:82cf0a1308e49b8901f877dd12b6a40605096d30a5689cdccf9c07e4762d3c7d",
    "exec_mounts": "sha256:15597576b6e18778db2ab76939881ac6db548a8465a3579169f991ee0616ac0f",
    "file": "sha256:75da38708c96e1dce4e783d5be164e45f28cad4f049579698c8b5e11ce86a39f",
    "local": "sha256:65f12afc7928a96dac8c420dbeb7861e43508b23d800c2d9280922a18d0c92b1",
    "merge_diff": "sha256:5c2d56da508e26ed45a8b0c8806b4841a6f76588810e215496e30c19f613b628",
    "graph": "sha256:9212fcc13a3c025190c41e0614e52acabd5337a8f5839a48635a3ba253640f50",
    "env_order": "sha256:f182b97f7bd71553131185c436f3fd33b9b967b2c658f314254d98575bb49fc3",
    "secrets_ssh": "sha256:17696b0f143e96993e4994eb0d3004980f7492226040efab85b9d8112b8b5248",
    "pipeline": "sha256:fa0363057994c707115cdcbdb8a7964df7c3d106bb565a32c3d7fd3832af736a",
    "copy_opts": "sha256:525e19b9294d7a987f79af0632b213c4916e089148a69f397ce060683b8a8235",
    "run_net": "sha256:bf5577f6f22b94cc84b77eac09e9688eb99b472eed3cc9c90e95fe1b32aa77a2",
    "readonly_root": "sha256:9313d8f9614d0ea396c8f6b7d22e8182ad4ed6cc2ae542b1864761c9d67ccb99",
    "git": "sha256:c8bbea6b25cb8b3724f1148fddac073ca9e08b3b8ad1b8214ea27f9104c7f4ff",
    "http": "sha256:a8bc9f5cea296500d72294dd17aff38de15a82044744e107b13fae1f1dba47d3",
    "image_arm": "sha256:313edab8475db868f3e9e691acd5002f9912e1028445c33a917a79fd70559a69",
    "local_unique": "sha256:f63fe8cdfc937a288fe65d69dd5e6b5b20505f7918a1e7d5053b5e76eba7b8ee",
    "mkdir_time": "sha256:32a1efcd12034192a0478245a04cd3d7bddc4334da8c1b6b92e239e469e74736",
    "ignore_cache_pg": "sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e",
    "rm_wildcard": "sha256:927e582b09f86bf1536f271337369963bf08417baa6a5398ee9b2aa94edb04a8",
}


def _file() -> llb.State:
    return llb.scratch().file(
        llb.mkdir("/a", 0o755, make_parents=True)
        .mkfile("/a/b", 0o644, b"hi", user="1:1")
        .rm("/x", allow_not_found=True)
    )


def _exec_mounts() -> llb.State:
    mounts: list[llb.Mount | llb.SecretMount | llb.SSHMount] = [
        llb.cache("/c", "id", sharing=llb.CacheSharing.LOCKED),
        llb.tmpfs("/t"),
        llb.bind("/m", llb.image("alpine")),
    ]
    return llb.image("busybox").run(["true"], mounts=mounts).get_mount("/m")


def _secrets_ssh() -> llb.State:
    mounts: list[llb.Mount | llb.SecretMount | llb.SSHMount] = [
        llb.secret("s1", target="/run/secrets/s1"),
        llb.secret("s2", env="TOKEN"),
        llb.ssh(),
        llb.bind("/src", llb.image("alpine"), selector="/x", readonly=True),
    ]
    return llb.image("busybox").run(["true"], mounts=mounts).root()


def _pipeline() -> llb.State:
    inner = llb.mkdir("foo", 0o700).mkfile("foo/bar", 0o600, b"dt").with_state(llb.image("bar").with_dir("/tmp"))
    return (
        llb.image("foo")
        .with_dir("/out")
        .file(llb.copy(inner, "foo/bar", "baz").rm("foo/bax"))
        .file(
            llb.mkdir("/bar", 0o701)
            .copy(llb.image("foo"), "in", "out")
            .copy(llb.image("baz").with_dir("/base"), "in2", "out2")
        )
    )


def _copy_opts() -> llb.State:
    opts = llb.CopyOptions(
        follow_symlinks=True,
        copy_dir_contents_only=True,
        attempt_unpack=True,
        create_dest_path=True,
        allow_wildcard=True,
        allow_empty_wildcard=True,
        include_patterns=("x",),
        exclude_patterns=("y",),
        mode=0o755,
        chown="app:staff",
    )
    return llb.scratch().file(llb.copy(llb.image("src"), "/a", "/b/", opts))


GRAPHS: dict[str, Callable[[], llb.State]] = {
    "image": lambda: llb.image("busybox"),
    "exec": lambda: (
        llb.image("busybox").with_env("PATH", "/bin").with_dir("/w").run(["sh", "-c", "echo hi > f"]).root()
    ),
    "exec_mounts": _exec_mounts,
    "file": _file,
    "local": lambda: llb.local("context", session_id="sess", shared_key_hint="context", exclude_patterns=["*.md"]),
    "merge_diff": lambda: llb.diff(llb.image("busybox"), llb.merge([llb.image("busybox"), llb.image("alpine")])),
    "graph": sample_graph,
    "env_order": lambda: (
        llb.image("busybox").with_env("A", "1").with_env("B", "2").with_env("A", "3").run(["env"]).root()
    ),
    "secrets_ssh": _secrets_ssh,
    "pipeline": _pipeline,
    "copy_opts": _copy_opts,
    "run_net": lambda: (
        llb.image("busybox")
        .run(["true"], network=llb.NetMode.HOST, security=llb.SecurityMode.INSECURE, dir="/x", user="app", hostname="h")
        .root()
    ),
    "readonly_root": lambda: (
        llb.image("busybox")
        .run(["true"], readonly_rootfs=True, mounts=[llb.bind("/out", llb.scratch())])
        .get_mount("/out")
    ),
    "git": lambda: llb.git("github.com/foo/bar.git", "ref:sub"),
    "http": lambda: llb.http("https://example.com/f.tgz", filename="f", perm=0o644),
    "image_arm": lambda: (
        llb.image("alpine@sha256:" + "a" * 64, platform=llb.Platform("linux", "arm", "v7")).run(["uname"]).root()
    ),
    "local_unique": lambda: llb.local(
        "ctx", local_unique_id="uid", include_patterns=["a<b"], follow_paths=["Dockerfile"]
    ),
    "mkdir_time": lambda: llb.scratch().file(
        llb.mkdir("/a", 0o755, created_time=datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=UTC))
    ),
    "ignore_cache_pg": lambda: llb.image(
        "busybox", ignore_cache=True, progress_group=llb.ProgressGroup("g", "n", True)
    ),
    "rm_wildcard": lambda: llb.image("busybox").with_dir("/w").file(llb.rm("a/*", allow_wildcard=True)),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_digests(name: str) -> None:
    first = GRAPHS[name]().marshal(platform=AMD64, caps=frozenset())
    second = GRAPHS[name]().marshal(platform=AMD64, caps=frozenset())
    assert first.head == PINNED[name]
    assert first.ops == second.ops
