"""Test certificates made with the `openssl` CLI when a test runs: a CA, a server certificate for
127.0.0.1 (IP SAN) and localhost, and a client certificate. Nothing is committed."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class CertPair:
    """A PEM certificate and its key."""

    cert: Path
    key: Path


@dataclass(frozen=True, slots=True)
class Certificates:
    """A CA, a server certificate for 127.0.0.1 (IP SAN) and a client certificate, all signed by it."""

    ca: CertPair
    server: CertPair
    client: CertPair


def _openssl(*args: str) -> None:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{done.stderr}")


def make_ca(directory: Path, name: str) -> CertPair:
    """A self-signed CA named `name` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    pair = CertPair(directory / f"{name}.pem", directory / f"{name}-key.pem")
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(pair.key), "-out", str(pair.cert), "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return pair


def _signed(directory: Path, name: str, ca: CertPair, extensions: str) -> CertPair:
    pair = CertPair(directory / f"{name}.pem", directory / f"{name}-key.pem")
    csr = directory / f"{name}.csr"
    ext = directory / f"{name}.ext"
    ext.write_text(extensions)
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(pair.key), "-out", str(csr), "-subj", f"/CN={name}",
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca.cert), "-CAkey", str(ca.key), "-CAcreateserial",
        "-out", str(pair.cert), "-days", "2", "-extfile", str(ext),
    )  # fmt: skip
    return pair


def make_certificates(directory: Path) -> Certificates:
    """The test CA and the server (127.0.0.1, localhost) and client certificates it signs."""
    ca = make_ca(directory, "test-ca")
    server = _signed(
        directory,
        "buildkitd",
        ca,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n",
    )
    client = _signed(directory, "client", ca, "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n")
    return Certificates(ca, server, client)


def make_expired_client(directory: Path, ca: CertPair, name: str = "expired-client") -> CertPair:
    """A client certificate signed by `ca` whose validity ended in 2020 (OpenSSL 3.0's x509 has no
    -not_after, so the `ca` command with explicit dates signs it)."""
    work = directory / f"{name}-ca"
    work.mkdir(parents=True, exist_ok=True)
    (work / "index.txt").write_text("")
    (work / "serial").write_text("1000\n")
    config = work / "ca.cnf"
    config.write_text(
        "[ca]\ndefault_ca = test\n[test]\n"
        f"dir = {work}\ndatabase = {work}/index.txt\nserial = {work}/serial\nnew_certs_dir = {work}\n"
        "default_md = sha256\npolicy = anything\nunique_subject = no\ncopy_extensions = none\n"
        "x509_extensions = client\n[anything]\ncommonName = supplied\n"
        "[client]\nextendedKeyUsage = clientAuth\nkeyUsage = digitalSignature\n"
    )
    pair = CertPair(directory / f"{name}.pem", directory / f"{name}-key.pem")
    csr = work / f"{name}.csr"
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(pair.key), "-out", str(csr), "-subj", f"/CN={name}",
    )  # fmt: skip
    _openssl(
        "ca", "-batch", "-config", str(config), "-cert", str(ca.cert), "-keyfile", str(ca.key), "-in", str(csr),
        "-out", str(pair.cert), "-notext", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z",
    )  # fmt: skip
    return pair
