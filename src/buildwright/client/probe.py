"""Dial a buildkitd once, before grpcio does, to learn precisely why it cannot be used.

grpcio hides connection failures behind reconnect back-off: a refused port, a missing socket, a
server certificate from another CA or a rejected client certificate all look like a channel that
never becomes ready. The probe makes one plain connection (with TLS when configured, verified
the same way), speaks the HTTP/2 client preface and waits for the server's first frame - every
gRPC server sends SETTINGS first - so each failure gets its own message, fast.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from pathlib import Path

from buildwright._values import valueclass
from buildwright.client.certdates import expired
from buildwright.client.endpoint import Endpoint, EndpointKind
from buildwright.errors import BuildConfigError, EngineUnavailableError

# The client connection preface and an empty SETTINGS frame (RFC 9113, section 3.4).
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
_FRAME_HEADER = 9
_SETTINGS = 0x04
_TLS_RECORD_TYPES = (0x15, 0x16)  # alert, handshake: a TLS server answering plaintext
# How long a TLS probe listens for the server's first frame before speaking first itself.
_TLS_LISTEN = 1.0
# OpenSSL's verify code for a certificate that does not hold the checked host name or IP.
_X509_V_ERR_HOSTNAME_MISMATCH = 62
_X509_V_ERR_IP_ADDRESS_MISMATCH = 64


@valueclass
class TLSMaterial:
    """The TLS files of an endpoint, read once and shared by the probe and grpcio."""

    root_certificates: bytes | None
    private_key: bytes | None
    certificate_chain: bytes | None
    ca_path: Path | None
    cert_path: Path | None
    key_path: Path | None
    server_name: str | None

    def ssl_context(self) -> ssl.SSLContext:
        """A client context verifying the server as grpcio will, offering h2 by ALPN.

        Raises:
            BuildConfigError: a certificate or key file is not usable.
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            if self.root_certificates is not None:
                context.load_verify_locations(cadata=self.root_certificates.decode("ascii", "replace"))
            else:
                context.load_default_certs()
        except (ssl.SSLError, ValueError) as exc:
            raise BuildConfigError(f"cannot use the CA certificate {self.ca_path}: {_ssl_reason(exc)}") from exc
        if self.cert_path is not None and self.key_path is not None:
            try:
                context.load_cert_chain(str(self.cert_path), str(self.key_path))
            except (ssl.SSLError, OSError) as exc:
                raise BuildConfigError(
                    f"cannot use the client certificate {self.cert_path} with key {self.key_path}: {_ssl_reason(exc)}"
                ) from exc
        context.set_alpn_protocols(["h2"])
        return context


def _ssl_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return str(exc.verify_message)
    if isinstance(exc, ssl.SSLError) and exc.reason:
        # "TLSV13_ALERT_CERTIFICATE_REQUIRED" reads better as the library's lower-case text.
        text = str(exc.args[1]) if len(exc.args) > 1 else str(exc.reason)
        return text.split("] ", 1)[-1].split(" (_ssl.c", 1)[0]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def dial(endpoint: Endpoint, timeout: float) -> socket.socket:
    """A socket connected to a buildkitd endpoint (unix or tcp, before any TLS); a failure is
    `unavailable`, naming the endpoint."""
    try:
        if endpoint.kind is EndpointKind.BUILDKITD_UNIX:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(endpoint.address)
            except BaseException:
                sock.close()
                raise
            return sock
        return socket.create_connection(_host_port(endpoint.address), timeout=timeout)
    except TimeoutError as exc:
        raise unavailable(endpoint, f"connect timed out after {timeout:g}s") from exc
    except OSError as exc:
        raise unavailable(endpoint, f"cannot connect: {_ssl_reason(exc)}") from exc


def unavailable(endpoint: Endpoint, reason: str) -> EngineUnavailableError:
    """The error for one endpoint that cannot be used; `reason` does not repeat the address."""
    return EngineUnavailableError(f"{endpoint}: {reason}", [(str(endpoint), reason)])


def _handshake(sock: socket.socket, endpoint: Endpoint, tls: TLSMaterial) -> ssl.SSLSocket:
    host, _ = _host_port(endpoint.address)
    context = tls.ssl_context()
    try:
        wrapped = context.wrap_socket(sock, server_hostname=tls.server_name or host)
    except ssl.SSLCertVerificationError as exc:
        if exc.verify_code in (_X509_V_ERR_HOSTNAME_MISMATCH, _X509_V_ERR_IP_ADDRESS_MISMATCH):
            # Trusted, but issued for another name: --tlsservername picks the name to check.
            name = tls.server_name or host
            flag = "--tlsservername" if tls.server_name else "give --tlsservername with"
            raise unavailable(
                endpoint,
                f"TLS: the server certificate is not valid for the name {name!r}; {flag} a name it holds",
            ) from exc
        ca = f"the CA in {tls.ca_path}" if tls.ca_path else "the system's CAs"
        raise unavailable(endpoint, f"TLS: the server certificate is not trusted by {ca}: {_ssl_reason(exc)}") from exc
    except (ssl.SSLError, OSError) as exc:
        raise unavailable(endpoint, f"TLS handshake failed: {_ssl_reason(exc)}") from exc
    if wrapped.selected_alpn_protocol() != "h2":
        wrapped.close()
        raise unavailable(endpoint, "TLS: the server did not select HTTP/2 (ALPN h2); it is not a gRPC server")
    return wrapped


def _first_frame(sock: socket.socket, endpoint: Endpoint, tls: TLSMaterial | None, timeout: float) -> None:
    # A gRPC server sends SETTINGS as soon as the connection (and TLS) is up. Over TLS the probe
    # first listens for a moment: a server refusing our certificate answers with an alert, and
    # unread bytes of ours could turn its close into a reset that destroys the alert. Only a
    # server still silent then gets the preface. In plaintext the preface goes first, so that
    # HTTP/1 servers (a dockerd) and TLS servers reveal themselves at once.
    try:
        data = b""
        if tls is None:
            sock.sendall(_H2_PREFACE)
        else:
            sock.settimeout(min(_TLS_LISTEN, timeout))
            try:
                data = sock.recv(_FRAME_HEADER)
            except TimeoutError:
                sock.sendall(_H2_PREFACE)
            sock.settimeout(timeout)
        while len(data) < _FRAME_HEADER:
            chunk = sock.recv(_FRAME_HEADER - len(data))
            if not chunk:
                break
            data += chunk
    except TimeoutError as exc:
        raise unavailable(endpoint, "no HTTP/2 answer in time; is it a buildkitd?") from exc
    except ssl.SSLError as exc:
        # With TLS 1.3 the server judges the client certificate after the client's side of the
        # handshake has finished, so its refusal arrives as an alert on the first read.
        raise unavailable(endpoint, _refusal(exc, tls)) from exc
    except OSError as exc:
        if tls is not None:
            raise unavailable(endpoint, _refusal(exc, tls)) from exc
        data = b""
    if len(data) == _FRAME_HEADER and data[3] == _SETTINGS:
        return
    if data.startswith(b"HTTP/"):
        raise unavailable(endpoint, "answered HTTP/1.x, not gRPC; a dockerd is reached with docker:// (or DOCKER_HOST)")
    if tls is None and (not data or data[0] in _TLS_RECORD_TYPES):
        raise unavailable(
            endpoint, "closed the connection without an HTTP/2 answer; if it expects TLS, give --tlscacert"
        )
    if not data:
        raise unavailable(endpoint, _refusal(None, tls))
    raise unavailable(endpoint, "the server did not answer with HTTP/2; is it a buildkitd?")


def _refusal(exc: BaseException | None, tls: TLSMaterial | None) -> str:
    """Why a TLS server dropped us after the handshake: almost always the client certificate."""
    hint = "check --tlscert/--tlskey" if tls is not None and tls.cert_path is not None else "give --tlscert/--tlskey"
    if tls is not None and tls.cert_path is not None and expired(tls.cert_path):
        # Said from the certificate itself: not every server's alert names the expiry.
        seen = f" ({_ssl_reason(exc)})" if exc is not None else ""
        return f"TLS: the server refused the client certificate as expired{seen}; renew {tls.cert_path}"
    if isinstance(exc, ssl.SSLError):
        reason = _ssl_reason(exc)
        if "expired" in reason.lower():
            return f"TLS: the server refused the client certificate as expired ({reason}); renew {_cert_name(tls)}"
        if "certificate" in reason.lower() or "unknown ca" in reason.lower():
            return f"TLS: the server refused the client certificate ({reason}); {hint}"
        return f"TLS: {reason}"
    detail = f" ({_ssl_reason(exc)})" if exc is not None else ""
    return f"TLS: the server closed the connection after the handshake{detail}; did it refuse the client? {hint}"


def _cert_name(tls: TLSMaterial | None) -> str:
    return str(tls.cert_path) if tls is not None and tls.cert_path is not None else "the client certificate"


def probe(endpoint: Endpoint, tls: TLSMaterial | None, timeout: float) -> None:
    """Connect to a buildkitd once and check it speaks gRPC (HTTP/2), over TLS when `tls` is given.

    Raises:
        EngineUnavailableError: the endpoint cannot be used; `tried` holds the reason.
        BuildConfigError: the TLS files are not usable.
    """
    sock = dial(endpoint, timeout)
    try:
        if tls is not None:
            sock = _handshake(sock, endpoint, tls)
        _first_frame(sock, endpoint, tls, timeout)
    finally:
        with contextlib.suppress(OSError):
            sock.close()
