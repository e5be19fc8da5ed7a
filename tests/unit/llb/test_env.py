"""EnvList: BuildKit's order (a re-set key moves to the end), lookups that stay cheap as it grows."""

from __future__ import annotations

from buildwright.llb.env import EnvList


def test_reassigned_key_moves_to_the_end() -> None:
    env = EnvList().add_or_replace("A", "1").add_or_replace("B", "2").add_or_replace("A", "3")
    assert env.to_list() == ["B=2", "A=3"]
    assert env.as_dict() == {"B": "2", "A": "3"}
    assert list(env.as_dict()) == ["B", "A"]
    assert env["A"] == "3" and env.get("C") is None and "B" in env and "C" not in env


def test_set_default_and_delete() -> None:
    env = EnvList((("PATH", "/bin"),))
    assert env.set_default("PATH", "/usr/bin") is env
    assert env.set_default("HOME", "/root").to_list() == ["PATH=/bin", "HOME=/root"]
    assert env.delete("NOPE") is env
    assert env.delete("PATH").to_list() == []


def test_first_pair_of_a_duplicated_key_wins_as_a_scan_would() -> None:
    env = EnvList((("A", "1"), ("B", "2"), ("A", "3")))
    assert env["A"] == "1"
    assert env.as_dict() == {"A": "1", "B": "2"}


def test_thousands_of_variables_are_looked_up_by_index() -> None:
    env = EnvList()
    for i in range(5000):
        env = env.add_or_replace(f"K{i}", str(i))
    # Lookups go through the index; this many scans of the pairs would take minutes.
    assert all(env[f"K{i}"] == str(i) for i in range(0, 5000, 7)) and len(env.as_dict()) == 5000
    assert EnvList(env.pairs) == env
