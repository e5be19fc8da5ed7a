"""`--secret` specs as buildx reads them, and loading their values before a build."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildwright.client.session.secrets import SecretSource, load_secrets, parse_secret_spec
from buildwright.errors import BuildConfigError


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("id=a", SecretSource("a")),
        ("id=a,src=/p", SecretSource("a", src="/p")),
        ("id=a,source=/p", SecretSource("a", src="/p")),
        ("ID=a,env=VAR", SecretSource("a", env="VAR")),
        ("type=env,id=a,src=VAR", SecretSource("a", env="VAR")),
        ("type=file,id=a,src=/p", SecretSource("a", src="/p")),
        ('"id=a,b",src=/p', SecretSource("a,b", src="/p")),
    ],
)
def test_parse_secret_spec(spec: str, expected: SecretSource) -> None:
    assert parse_secret_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("id", "invalid field 'id' must be a key=value pair"),
        ("id=a,x=1", "unexpected key 'x' in 'x=1'"),
        ("type=vault,id=a", 'unsupported secret type "vault"'),
    ],
)
def test_bad_secret_specs(spec: str, message: str) -> None:
    with pytest.raises(BuildConfigError) as failure:
        parse_secret_spec(spec)
    assert failure.value.message == message


def test_load_secrets_from_files_env_and_values(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"from-file")
    bare = tmp_path / "bare"
    bare.write_bytes(b"bare-file")
    loaded = load_secrets(
        [
            SecretSource("file", src=str(tmp_path / "f")),
            SecretSource("env", env="VAR"),
            SecretSource("VAR"),  # an env var with the id's name wins over a file
            SecretSource(str(bare)),  # else the file named by the id
            SecretSource("given", value=b"direct"),
            SecretSource("unset-env", env="NOPE"),
        ],
        {"VAR": "from-env"},
    )
    assert {k: v.data for k, v in loaded.items()} == {
        "file": b"from-file",
        "env": b"from-env",
        "VAR": b"from-env",
        str(bare): b"bare-file",
        "given": b"direct",
        "unset-env": b"",
    }
    assert "from-file" not in repr(loaded)


def test_load_secrets_errors(tmp_path: Path) -> None:
    with pytest.raises(BuildConfigError, match="secret missing ID"):
        load_secrets([SecretSource("")], {})
    with pytest.raises(BuildConfigError, match="can't set both source and env"):
        load_secrets([SecretSource("a", src="/x", env="Y")], {})
    with pytest.raises(BuildConfigError, match="failed to read secret a"):
        load_secrets([SecretSource("a", src=str(tmp_path / "missing"))], {})
    big = tmp_path / "big"
    big.write_bytes(b"x" * (500 * 1024 + 1))
    with pytest.raises(BuildConfigError, match="too big"):
        load_secrets([SecretSource("big", src=str(big))], {})
