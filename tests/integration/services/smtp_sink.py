"""A tiny SMTP server on 127.0.0.1 for the mail tests (RFC 5321 subset, STARTTLS, AUTH PLAIN).

It keeps every accepted message in memory. Options: offer STARTTLS with a self-signed
certificate (made here with ``cryptography``), require AUTH PLAIN, refuse recipients.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    data: bytes
    tls: bool
    user: str | None


@dataclass
class SinkOptions:
    certificate: Path | None = None
    key: Path | None = None
    refuse_recipients: bool = False
    require_auth: bool = False
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and its key), as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp sink")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "sink.crt"
    key_path = directory / "sink.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.tls = False
        self.user: str | None = None
        self.wrapped: ssl.SSLSocket | None = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self.wrapped is not None:
                self.wrapped.close()

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def _rebind(self, connection: ssl.SSLSocket) -> None:
        self.rfile.close()
        self.wfile.close()
        self.wrapped = connection
        self.connection = connection
        self.rfile = connection.makefile("rb")
        self.wfile = connection.makefile("wb")

    def handle(self) -> None:
        options = self.server.options
        self._reply("220 sink ESMTP ready")
        mail_from: str | None = None
        recipients: list[str] = []
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                extensions = ["8BITMIME", "SMTPUTF8"]
                if options.certificate and not self.tls:
                    extensions.append("STARTTLS")
                if options.require_auth:
                    extensions.append("AUTH PLAIN")
                self._reply("250-sink greets " + argument)
                for extension in extensions[:-1]:
                    self._reply("250-" + extension)
                self._reply("250 " + extensions[-1])
            elif verb == "STARTTLS" and options.certificate and not self.tls:
                self._reply("220 ready to start TLS")
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(options.certificate, options.key)
                try:
                    wrapped = context.wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                self._rebind(wrapped)
                self.tls = True
            elif verb == "AUTH" and options.require_auth:
                mechanism, _, payload = argument.partition(" ")
                if mechanism.upper() != "PLAIN" or not payload:
                    self._reply("504 only AUTH PLAIN with an initial response")
                    continue
                _, user, password = base64.b64decode(payload).decode().split("\0")
                options.logins.append((user, password))
                self.user = user
                self._reply("235 authenticated")
            elif verb == "MAIL":
                if options.require_auth and self.user is None:
                    self._reply("530 authentication required")
                    continue
                mail_from = argument.split(":", 1)[1].split()[0].strip("<>")
                recipients = []
                self._reply("250 sender ok")
            elif verb == "RCPT":
                if options.refuse_recipients:
                    self._reply("550 no such mailbox here")
                    continue
                recipients.append(argument.split(":", 1)[1].strip().strip("<>"))
                self._reply("250 recipient ok")
            elif verb == "DATA":
                self._reply("354 end with <CRLF>.<CRLF>")
                chunks: list[bytes] = []
                while True:
                    chunk = self.rfile.readline(65536)
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                    chunks.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                options.received.append(
                    Received(mail_from or "", recipients, b"".join(chunks), self.tls, self.user)
                )
                self._reply("250 queued")
            elif verb == "RSET":
                mail_from, recipients = None, []
                self._reply("250 reset")
            elif verb == "NOOP":
                self._reply("250 ok")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, options: SinkOptions) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.options = options


class SmtpSink:
    """``with SmtpSink(options) as sink: sink.port ...``; messages in ``options.received``."""

    def __init__(self, options: SinkOptions | None = None) -> None:
        self.options = options or SinkOptions()
        self._server = _Server(self.options)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def received(self) -> list[Received]:
        return self.options.received

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
