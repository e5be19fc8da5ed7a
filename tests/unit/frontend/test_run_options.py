"""Build-wide RUN settings: parsing buildx's flag syntax, and how every RUN's exec carries them."""

from __future__ import annotations

from typing import Any

import pytest

from buildwright.errors import BuildConfigError
from buildwright.frontend.run_options import (
    HOST_GATEWAY,
    HOST_GATEWAY_LABEL,
    RunDefaults,
    parse_extra_hosts,
    parse_mem_bytes,
    parse_network,
    parse_ulimits,
    resolve_host_gateway,
    run_defaults_from_flags,
)
from buildwright.llb import caps
from buildwright.llb.exec import HostIP, NetMode, Ulimit
from tests.unit.frontend.test_convert import compile_text, ops
from tests.unit.frontend.test_run import exec_ops, last_exec, mounts_by_dest

ENGINE_CAPS = frozenset(
    {
        caps.EXEC_META_BASE,
        caps.EXEC_META_NETWORK,
        caps.EXEC_META_ULIMIT,
        caps.EXEC_META_CGROUP_PARENT,
        caps.EXEC_META_SETS_DEFAULT_PATH,
        caps.EXEC_MOUNT_TMPFS,
        caps.EXEC_MOUNT_TMPFS_SIZE,
        caps.EXEC_MOUNT_BIND,
        caps.EXEC_MOUNT_SELECTOR,
        caps.FILE_BASE,
        caps.SOURCE_IMAGE,
        caps.SOURCE_LOCAL,
    }
)
EVERYTHING = RunDefaults(
    network=NetMode.NONE,
    extra_hosts=(HostIP("a", "1.2.3.4"), HostIP("b", "::1")),
    shm_size=64 << 20,
    ulimits=(Ulimit("nofile", 1024, 2048), Ulimit("nproc", 100, 100)),
    cgroup_parent="bw-parent",
)


def test_network_modes_are_buildx_ones() -> None:
    assert parse_network("default") is NetMode.SANDBOX
    assert parse_network("") is NetMode.SANDBOX
    assert parse_network("none") is NetMode.NONE
    assert parse_network("host") is NetMode.HOST
    with pytest.raises(BuildConfigError, match='network mode "bridge" is not supported'):
        parse_network("bridge")


def test_add_host_takes_colon_equals_and_comma_separated_entries() -> None:
    assert parse_extra_hosts(["one:1.2.3.4", "two=5.6.7.8,three:9.9.9.9"]) == (
        HostIP("one", "1.2.3.4"),
        HostIP("two", "5.6.7.8"),
        HostIP("three", "9.9.9.9"),
    )


def test_add_host_names_are_lowercased_and_addresses_canonical() -> None:
    # The engine's frontend lower-cases each entry and prints addresses as Go does.
    assert parse_extra_hosts(["MyHost:[2001:DB8::1]", "v6:::1", "mapped=::ffff:10.0.0.1"]) == (
        HostIP("myhost", "2001:db8::1"),
        HostIP("v6", "::1"),
        HostIP("mapped", "10.0.0.1"),
    )


def test_a_quoted_field_can_list_several_addresses_for_one_host() -> None:
    assert parse_extra_hosts(['"multi=1.1.1.1,[::2]"']) == (HostIP("multi", "1.1.1.1"), HostIP("multi", "::2"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nohost", "expected host:ip or host=ip"),
        (":1.2.3.4", "expected host:ip or host=ip"),
        ("h=", "expected host:ip or host=ip"),
        ("h:notanip", '"notanip" is not an IP address'),
        ("h:fe80::1%eth0", "is not an IP address"),
        ("h:01.2.3.4", "is not an IP address"),
    ],
)
def test_bad_add_host_values_are_refused(spec: str, message: str) -> None:
    with pytest.raises(BuildConfigError, match=message):
        parse_extra_hosts([spec])


def test_host_gateway_becomes_the_gateway_ip_a_worker_reports() -> None:
    hosts = parse_extra_hosts(["gw:host-gateway", "x:1.2.3.4"])
    assert hosts[0] == HostIP("gw", HOST_GATEWAY)
    labels = ({"other": "x"}, {HOST_GATEWAY_LABEL: "10.213.0.1"})
    assert resolve_host_gateway(hosts, labels) == (HostIP("gw", "10.213.0.1"), HostIP("x", "1.2.3.4"))
    with pytest.raises(BuildConfigError, match="reports no host-gateway IP"):
        resolve_host_gateway(hosts, ({"other": "x"},))
    # Without host-gateway, the labels are not needed.
    assert resolve_host_gateway(hosts[1:], ()) == hosts[1:]
    with pytest.raises(BuildConfigError, match="was not resolved"):
        RunDefaults(extra_hosts=hosts).resolve({}, None)


def test_ulimits_are_sorted_by_name_and_the_last_value_wins() -> None:
    assert parse_ulimits(["nproc=10", "nofile=1024:2048", "nproc=20:30", "core=-1"]) == (
        Ulimit("core", -1, -1),
        Ulimit("nofile", 1024, 2048),
        Ulimit("nproc", 20, 30),
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nofile", "expected NAME=SOFT"),
        ("as=1", 'unknown type "as"'),
        ("nofile=1:2:3", "at most two limits"),
        ("nofile=x", '"x" is not a number'),
        ("nofile= 1", '" 1" is not a number'),
        ("nofile=5:4", "soft limit 5 is above the hard limit 4"),
        ("nofile=-1:4", "unlimited"),
        ("nofile=99999999999999999999", "out of range"),
    ],
)
def test_bad_ulimits_are_refused(spec: str, message: str) -> None:
    with pytest.raises(BuildConfigError, match=message):
        parse_ulimits([spec])


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 0),
        ("512", 512),
        ("64m", 64 << 20),
        ("64M", 64 << 20),
        ("64mb", 64 << 20),
        ("64MiB", 64 << 20),
        ("1.5g", 3 << 29),
        ("2 KB", 2048),
        ("10b", 10),
        ("1e3", 1000),
    ],
)
def test_sizes_use_binary_units(text: str, size: int) -> None:
    assert parse_mem_bytes(text) == size


@pytest.mark.parametrize("text", ["", "m", "12q", "1kib2", "-1m", "1mbb", "abc"])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(BuildConfigError, match="invalid size"):
        parse_mem_bytes(text)


def test_flags_make_one_value() -> None:
    defaults = run_defaults_from_flags(
        network="host", add_hosts="a:1.1.1.1", shm_size="1k", ulimits="nofile=1", cgroup_parent="p"
    )
    assert defaults == RunDefaults(
        network=NetMode.HOST,
        extra_hosts=(HostIP("a", "1.1.1.1"),),
        shm_size=1024,
        ulimits=(Ulimit("nofile", 1, 1),),
        cgroup_parent="p",
    )
    assert run_defaults_from_flags(shm_size=4096).shm_size == 4096
    with pytest.raises(BuildConfigError, match="negative"):
        run_defaults_from_flags(shm_size=-1)


def test_resolve_takes_the_hostname_build_arg_and_drops_what_the_engine_cannot_do() -> None:
    resolved = EVERYTHING.resolve({"BUILDKIT_SANDBOX_HOSTNAME": "box"}, ENGINE_CAPS)
    assert resolved.hostname == "box" and resolved.ulimits == EVERYTHING.ulimits
    assert EVERYTHING.resolve({"BUILDKIT_SANDBOX_HOSTNAME": ""}, ENGINE_CAPS).hostname == ""
    # Unknown caps, as in the reference: only the settings that need no cap stay.
    bare = EVERYTHING.resolve({}, None)
    assert (bare.ulimits, bare.shm_size, bare.cgroup_parent) == ((), 0, "")
    assert (bare.network, bare.extra_hosts) == (EVERYTHING.network, EVERYTHING.extra_hosts)
    older = EVERYTHING.resolve({}, ENGINE_CAPS - {caps.EXEC_META_ULIMIT})
    assert older.ulimits == () and older.shm_size == EVERYTHING.shm_size


def _meta(exec_op: dict[str, Any]) -> dict[str, Any]:
    return exec_op["meta"]  # type: ignore[no-any-return]


def test_every_run_carries_the_build_wide_settings() -> None:
    text = "FROM busybox AS a\nRUN one\nFROM a\nRUN two\n"
    compiled, _ = compile_text(
        text, run_defaults=EVERYTHING, llb_caps=ENGINE_CAPS, build_args={"BUILDKIT_SANDBOX_HOSTNAME": "box"}
    )
    execs = exec_ops(compiled)
    assert len(execs) == 2
    for exec_op in execs:
        meta = _meta(exec_op)
        assert exec_op["network"] == "NONE"
        assert meta["hostname"] == "box"
        assert meta["cgroupParent"] == "bw-parent"
        assert meta["extraHosts"] == [{"Host": "a", "IP": "1.2.3.4"}, {"Host": "b", "IP": "::1"}]
        assert meta["ulimit"] == [
            {"Name": "nofile", "Soft": "1024", "Hard": "2048"},
            {"Name": "nproc", "Soft": "100", "Hard": "100"},
        ]
        shm = mounts_by_dest(exec_op)["/dev/shm"]
        assert shm["mountType"] == "TMPFS" and shm["TmpfsOpt"]["size"] == str(64 << 20) and shm["input"] == "-1"
    exec_caps = [op["metadata"]["caps"] for op in ops(compiled) if "exec" in op["op"]]
    for found in exec_caps:
        assert {caps.EXEC_META_ULIMIT, caps.EXEC_MOUNT_TMPFS_SIZE, caps.EXEC_META_NETWORK} <= set(found)


def test_a_runs_own_network_wins_over_the_build_network() -> None:
    text = "FROM busybox\nRUN --network=host a\nRUN --network=default b\nRUN c\n"
    compiled, _ = compile_text(text, run_defaults=RunDefaults(network=NetMode.NONE), llb_caps=ENGINE_CAPS)
    assert [e.get("network", "UNSET_IS_SANDBOX") for e in exec_ops(compiled)] == ["HOST", "NONE", "NONE"]


def test_the_shm_mount_follows_the_runs_own_mounts() -> None:
    text = "FROM busybox\nRUN --mount=type=tmpfs,target=/dev/shm,size=1k true\n"
    exec_op = last_exec(text, run_defaults=RunDefaults(shm_size=4096), llb_caps=ENGINE_CAPS)
    shm = [m for m in exec_op["mounts"] if m["dest"] == "/dev/shm"]
    # Both reach the engine in the order the reference adds them (the RUN's mount first).
    assert [m["TmpfsOpt"]["size"] for m in shm] == ["1024", "4096"]


def test_without_settings_the_exec_is_unchanged() -> None:
    plain = last_exec("FROM busybox\nRUN x\n", llb_caps=ENGINE_CAPS)
    meta = _meta(plain)
    assert "network" not in plain
    assert not {"hostname", "cgroupParent", "extraHosts", "ulimit"} & set(meta)
    assert "/dev/shm" not in mounts_by_dest(plain)
