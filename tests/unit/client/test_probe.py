"""The endpoint probe against small local servers: plain and TLS HTTP/2 servers, an HTTP/1 server,
a refused port, a missing socket. Certificates come from the openssl CLI, made per test session."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from buildwright.client.endpoint import TLSConfig, parse_endpoint
from buildwright.client.probe import probe
from buildwright.client.transport import tls_material
from buildwright.errors import BuildConfigError, EngineUnavailableError
from tests.tlscerts import Certificates, CertPair, make_ca, make_certificates, make_expired_client

_SETTINGS_FRAME = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    return make_ca(tmp_path_factory.mktemp("other"), "other-ca")


@contextlib.contextmanager
def _server(handle: Callable[[socket.socket], None], listener: socket.socket) -> Iterator[None]:
    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                handle(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        # shutdown wakes the blocked accept(); close alone does not on Linux.
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


def _tcp_listener() -> tuple[socket.socket, str]:
    listener = socket.create_server(("127.0.0.1", 0))
    return listener, f"tcp://127.0.0.1:{listener.getsockname()[1]}"


def _h2(conn: socket.socket) -> None:
    conn.sendall(_SETTINGS_FRAME)
    conn.recv(1024)


def _tls_h2(certs: Certificates, *, alpn: bool = True) -> Callable[[socket.socket], None]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certs.server.cert), str(certs.server.key))
    context.load_verify_locations(str(certs.ca.cert))
    context.verify_mode = ssl.CERT_REQUIRED
    if alpn:
        context.set_alpn_protocols(["h2"])

    def handle(conn: socket.socket) -> None:
        conn.settimeout(5)
        with context.wrap_socket(conn, server_side=True) as tls:
            _h2(tls)

    return handle


def _reason(excinfo: pytest.ExceptionInfo[EngineUnavailableError]) -> str:
    ((_, reason),) = excinfo.value.tried
    return reason


def test_plain_h2_server_passes() -> None:
    listener, address = _tcp_listener()
    with _server(_h2, listener):
        probe(parse_endpoint(address), None, timeout=5)


def test_unix_socket_h2_server_passes(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "bk.sock"))
    listener.listen(4)
    with _server(_h2, listener):
        probe(parse_endpoint(f"unix://{tmp_path}/bk.sock"), None, timeout=5)


def test_missing_socket_and_refused_port(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailableError) as missing:
        probe(parse_endpoint(f"unix://{tmp_path}/none.sock"), None, timeout=5)
    assert _reason(missing) == "cannot connect: No such file or directory"
    listener, address = _tcp_listener()
    listener.close()  # nobody listens on the port any more
    with pytest.raises(EngineUnavailableError) as refused:
        probe(parse_endpoint(address), None, timeout=5)
    assert _reason(refused) == "cannot connect: Connection refused"
    assert address in str(refused.value)


def test_http1_server_is_named_as_such() -> None:
    def http1(conn: socket.socket) -> None:
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    listener, address = _tcp_listener()
    with _server(http1, listener), pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address), None, timeout=5)
    assert "answered HTTP/1.x" in _reason(info)


def test_plaintext_to_a_tls_server_suggests_tls(certs: Certificates) -> None:
    listener, address = _tcp_listener()
    with _server(_tls_h2(certs), listener), pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address), None, timeout=5)
    assert "--tlscacert" in _reason(info)


def test_mutual_tls_passes(certs: Certificates) -> None:
    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=certs.ca.cert, cert=certs.client.cert, key=certs.client.key)
    with _server(_tls_h2(certs), listener):
        endpoint = parse_endpoint(address, tls=tls)
        probe(endpoint, tls_material(tls), timeout=5)


def test_server_from_another_ca_is_not_trusted(certs: Certificates, other_ca: CertPair) -> None:
    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=other_ca.cert, cert=certs.client.cert, key=certs.client.key)
    with _server(_tls_h2(certs), listener), pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)
    assert _reason(info) == (
        f"TLS: the server certificate is not trusted by the CA in {other_ca.cert}: "
        "self-signed certificate in certificate chain"
    )


def test_server_name_must_match(certs: Certificates) -> None:
    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=certs.ca.cert, cert=certs.client.cert, key=certs.client.key, server_name="elsewhere")
    with _server(_tls_h2(certs), listener), pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)
    assert _reason(info) == (
        "TLS: the server certificate is not valid for the name 'elsewhere'; --tlsservername a name it holds"
    )


def test_server_name_override_is_checked_instead_of_the_host(certs: Certificates) -> None:
    # 127.0.0.1 is dialled; the certificate also holds localhost, the name given to check.
    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=certs.ca.cert, cert=certs.client.cert, key=certs.client.key, server_name="localhost")
    with _server(_tls_h2(certs), listener):
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)


def test_expired_client_certificate_is_refused_as_expired(certs: Certificates, tmp_path: Path) -> None:
    expired = make_expired_client(tmp_path, certs.ca)
    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=certs.ca.cert, cert=expired.cert, key=expired.key)
    with _server(_tls_h2(certs), listener), pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)
    assert _reason(info) == (
        "TLS: the server refused the client certificate as expired (sslv3 alert certificate expired);"
        f" renew {expired.cert}"
    )


def test_missing_client_certificate_is_refused(certs: Certificates) -> None:
    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=certs.ca.cert)
    with _server(_tls_h2(certs), listener), pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)
    assert _reason(info).startswith("TLS: the server refused the client certificate (")
    assert _reason(info).endswith("give --tlscert/--tlskey")


def test_client_certificate_from_another_ca_is_refused(certs: Certificates, other_ca: CertPair) -> None:
    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=certs.ca.cert, cert=other_ca.cert, key=other_ca.key)
    with _server(_tls_h2(certs), listener), pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)
    assert "refused the client certificate" in _reason(info)
    assert _reason(info).endswith("check --tlscert/--tlskey")


def test_tls_server_without_h2_alpn(certs: Certificates) -> None:
    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=certs.ca.cert, cert=certs.client.cert, key=certs.client.key)
    with _server(_tls_h2(certs, alpn=False), listener), pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)
    assert "ALPN h2" in _reason(info)


def test_mismatched_key_is_a_config_error(certs: Certificates, other_ca: CertPair) -> None:
    tls = TLSConfig(ca_cert=certs.ca.cert, cert=certs.client.cert, key=other_ca.key)
    listener, address = _tcp_listener()
    with _server(_h2, listener), pytest.raises(BuildConfigError, match="key values mismatch"):
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)


def test_silent_server_times_out() -> None:
    listener, address = _tcp_listener()

    def silent_server(conn: socket.socket) -> None:
        conn.recv(1024)  # the preface, then nothing back
        conn.recv(1024)

    silent = _server(silent_server, listener)
    with silent, pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address), None, timeout=0.5)
    assert "no HTTP/2 answer in time" in _reason(info)


def test_tls_server_that_waits_for_the_client_preface(certs: Certificates) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certs.server.cert), str(certs.server.key))
    context.set_alpn_protocols(["h2"])

    def lazy(conn: socket.socket) -> None:
        conn.settimeout(5)
        with context.wrap_socket(conn, server_side=True) as tls:
            assert tls.recv(24).startswith(b"PRI * HTTP/2.0")
            tls.sendall(_SETTINGS_FRAME)
            tls.recv(1024)

    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=certs.ca.cert)
    with _server(lazy, listener):
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)


def test_expiry_is_named_even_when_the_alert_does_not_say_so(
    certs: Certificates, other_ca: CertPair, tmp_path: Path
) -> None:
    # Signed by a CA the server does not know: its alert is "unknown ca", yet the certificate
    # has expired too, which the client reads from the certificate itself.
    expired = make_expired_client(tmp_path, other_ca)
    listener, address = _tcp_listener()
    tls = TLSConfig(ca_cert=certs.ca.cert, cert=expired.cert, key=expired.key)
    with _server(_tls_h2(certs), listener), pytest.raises(EngineUnavailableError) as info:
        probe(parse_endpoint(address, tls=tls), tls_material(tls), timeout=5)
    assert _reason(info).startswith("TLS: the server refused the client certificate as expired (")
    assert _reason(info).endswith(f"; renew {expired.cert}")
