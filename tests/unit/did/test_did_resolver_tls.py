"""did:web over real TLS on 127.0.0.1: the request goes to the checked IP address while SNI and
certificate verification use the DID's host name (the DNS-rebinding defence)."""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from microcred.did.resolver import HttpsDidWebResolver
from microcred.errors import DIDNotFoundError


def _self_signed(tmp: Path, host: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(days=1))
        .not_valid_after(datetime.now(UTC) + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp / f"{host}.pem"
    key_path = tmp / f"{host}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Handler(BaseHTTPRequestHandler):
    server: _TlsServer

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Host")))
        body = json.dumps({"id": self.server.did, "verificationMethod": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/did+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.seen: list[tuple[str, str | None]] = []
        self.did = f"did:web:issuer.test%3A{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # failed handshakes are expected in the negative test


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[tuple[_TlsServer, Path, Path]]:
    cert, key = _self_signed(tmp_path, "issuer.test")
    other_cert, _ = _self_signed(tmp_path, "other.test")
    server = _TlsServer(cert, key)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server, cert, other_cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _resolver(ca: Path) -> HttpsDidWebResolver:
    context = ssl.create_default_context(cafile=str(ca))
    return HttpsDidWebResolver(
        allow_private=True,
        ssl_context=context,
        resolve_host=lambda host, port: ["127.0.0.1"] if host == "issuer.test" else [],
        connect_timeout=2.0,
        read_timeout=2.0,
    )


def test_https_to_pinned_address_with_sni_and_host_header(
    tls: tuple[_TlsServer, Path, Path],
) -> None:
    server, cert, _ = tls
    document = _resolver(cert).resolve(server.did)
    assert document["id"] == server.did
    port = server.server_address[1]
    assert server.seen == [("/.well-known/did.json", f"issuer.test:{port}")]
    assert ipaddress.ip_address(str(server.server_address[0])).is_loopback


def test_certificate_must_match_the_did_host(tls: tuple[_TlsServer, Path, Path]) -> None:
    server, _, other_cert = tls
    with pytest.raises(DIDNotFoundError, match="CERTIFICATE_VERIFY_FAILED") as info:
        _resolver(other_cert).resolve(server.did)
    assert info.value.extra["code"] == "networkError"
    assert server.seen == []
