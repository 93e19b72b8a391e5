"""Mail: messages go to the outbox table first, then (optionally) out through SMTP.

The outbox (``outbox_messages``) is the default transport: a use case that wants to tell
someone something adds a row in its own transaction, so the message exists exactly when the
change it announces was committed. Without SMTP (``MICROCRED_SMTP_URL`` unset) messages stay
there for the operator to read. With SMTP, :func:`deliver_pending` sends them: each message in
its own short transaction, locked while it is sent (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so several workers never send the same one), marked sent or its failure recorded (after five
failed attempts a message is no longer offered). Delivery is *at least once*: a crash between
the SMTP hand-off and the commit sends that message again on the next run; its ``Message-ID``
stays the same, so receiving systems can recognise the duplicate.

Messages are built with :class:`email.message.EmailMessage` (RFC 5322, MIME
``multipart/alternative`` with a plain-text and an HTML part). Anything that came from users
(names, titles) is HTML-escaped in HTML bodies, and line breaks are removed from headers.

SMTP URLs (RFC 5321 submission; STARTTLS is RFC 3207)::

    smtp://[user[:password]@]host[:port][?starttls=auto|require|off&timeout=SECONDS]
    smtps://[user[:password]@]host[:port][?timeout=SECONDS]     (TLS from the first byte)

``starttls=auto`` (the default) upgrades when the server offers STARTTLS; ``require`` refuses
to send otherwise; ``off`` never upgrades. Certificates are verified. A password is only sent
over TLS, or to a server on the loopback interface.
"""

from __future__ import annotations

import html
import ipaddress
import re
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from microcred.errors import ConfigError, MicrocredError
from microcred.settings import Settings
from microcred.storage import OutboxMessage, UnitOfWorkFactory

__all__ = [
    "DeliveryReport",
    "MailDeliveryError",
    "MailSender",
    "OutboxMessageInfo",
    "SmtpSender",
    "build_email",
    "build_mail_sender",
    "claim_message",
    "deliver_pending",
    "outbox_message_info",
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SUBJECT_MAX = 500


class MailDeliveryError(MicrocredError):
    """A message could not be handed to the mail server (recorded on the outbox row)."""

    type_uri = "https://microcred.dev/problems/mail-delivery"
    title = "Mail delivery failed"
    status = 502


# --------------------------------------------------------------------------- outbox rows


@dataclass(frozen=True)
class OutboxMessageInfo:
    """An outbox message as the operator (or the issuer's admin) sees it."""

    id: uuid.UUID
    issuer_id: uuid.UUID | None
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


def outbox_message_info(row: OutboxMessage) -> OutboxMessageInfo:
    return OutboxMessageInfo(
        id=row.id,
        issuer_id=row.issuer_id,
        to_address=row.to_address,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        created_at=row.created_at,
        sent_at=row.sent_at,
        attempts=row.attempts,
        last_error=row.last_error,
    )


def _one_line(text: str, limit: int) -> str:
    """A header-safe single line: control characters (CR, LF, ...) become one space."""
    flat = _CONTROL.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def claim_message(
    *,
    issuer_id: uuid.UUID,
    to_address: str,
    learner_name: str,
    issuer_name: str,
    credential_name: str,
    claim_url: str,
    corrected: bool = False,
) -> OutboxMessage:
    """The e-mail that brings a learner their claim link (not yet stored).

    It holds the learner's and issuer's names, the credential's title and the claim link —
    nothing else (no credential data, no identifiers). ``corrected`` words it as the
    corrected replacement of an earlier credential.
    """
    learner = _one_line(learner_name, 200)
    issuer = _one_line(issuer_name, 200)
    title = _one_line(credential_name, 200)
    what = "a corrected copy of your micro-credential" if corrected else "the micro-credential"
    subject = _one_line(
        f"{'Corrected: your' if corrected else 'Your'} micro-credential from {issuer}: {title}",
        _SUBJECT_MAX,
    )
    text = (
        f"Hello {learner},\n\n"
        f'{issuer} has issued you {what} "{title}".\n\n'
        "Claim it with this personal link (do not forward it: whoever opens it can claim "
        "the credential):\n"
        f"{claim_url}\n\n"
        "Once claimed you can download the credential, keep it in your wallet and share it "
        "with employers or other institutions, who can check it is genuine.\n\n"
        f"-- \n{issuer}\n"
    )
    e = html.escape
    body_html = (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8"><title>'
        f"{e(subject)}</title></head><body>\n"
        f"<p>Hello {e(learner)},</p>\n"
        f"<p>{e(issuer)} has issued you {what} <strong>{e(title)}</strong>.</p>\n"
        f'<p><a href="{e(claim_url, quote=True)}">Claim your credential</a></p>\n'
        "<p>This link is personal: do not forward it, whoever opens it can claim the "
        "credential.</p>\n"
        "<p>Once claimed you can download the credential, keep it in your wallet and share "
        "it with employers or other institutions, who can check it is genuine.</p>\n"
        f"<p>&mdash; {e(issuer)}</p>\n"
        "</body></html>\n"
    )
    return OutboxMessage(
        to_address=to_address.strip(),
        subject=subject,
        body_text=text,
        body_html=body_html,
        issuer_id=issuer_id,
    )


# --------------------------------------------------------------------------- building e-mail


def _domain_of(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    domain = address.rpartition("@")[2]
    return domain if re.fullmatch(r"[A-Za-z0-9.-]+", domain or "") else "microcred.invalid"


def build_email(
    message: OutboxMessage | OutboxMessageInfo, *, mail_from: str, now: datetime
) -> EmailMessage:
    """The RFC 5322 message for an outbox row.

    ``Message-ID`` is derived from the row id, so a re-sent message keeps its id.
    """
    email = EmailMessage()
    email["From"] = _one_line(mail_from, 320)
    email["To"] = Address(addr_spec=_one_line(message.to_address, 320))
    email["Subject"] = _one_line(message.subject, _SUBJECT_MAX)
    email["Date"] = format_datetime(now)
    email["Message-ID"] = f"<{message.id}@{_domain_of(mail_from)}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


# --------------------------------------------------------------------------- sending


class MailSender(Protocol):
    """Hands one message to a mail system; raises :class:`MailDeliveryError` on failure."""

    def send(self, message: EmailMessage) -> None: ...


StartTls = Literal["auto", "require", "off"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpSender:
    """Sends through an SMTP server (``smtplib``), one connection per message.

    Build it from a URL (see the module docstring) or with :meth:`from_settings`.
    ``ssl_context`` defaults to :func:`ssl.create_default_context` (certificates verified).
    """

    def __init__(
        self,
        url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError("the SMTP URL must look like smtp://[user:password@]host[:port]")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError("the SMTP URL has an invalid port") from None
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(query) - {"starttls", "timeout"}
        if unknown:
            raise ConfigError(f"unknown SMTP URL option(s): {', '.join(sorted(unknown))}")
        starttls = (query.get("starttls") or ["auto"])[-1]
        if starttls not in ("auto", "require", "off"):
            raise ConfigError("starttls must be auto, require or off")
        if parts.scheme == "smtps" and "starttls" in query:
            raise ConfigError("starttls does not apply to smtps:// (TLS from the start)")
        try:
            timeout = float((query.get("timeout") or ["10"])[-1])
        except ValueError:
            raise ConfigError("the SMTP timeout must be a number of seconds") from None
        if not 0 < timeout <= 300:
            raise ConfigError("the SMTP timeout must be between 0 and 300 seconds")
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = port or (465 if self._implicit_tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._starttls: StartTls = starttls  # type: ignore[assignment]
        self._timeout = timeout
        self._ssl_context = ssl_context
        self._local_hostname = local_hostname

    def __repr__(self) -> str:
        scheme = "smtps" if self._implicit_tls else "smtp"
        return f"SmtpSender({scheme}://{self._host}:{self._port}, starttls={self._starttls})"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSender | None:
        """The sender for ``MICROCRED_SMTP_URL``, or ``None`` when mail stays in the outbox."""
        if settings.smtp_url is None:
            return None
        return cls(settings.smtp_url.get_secret_value())

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        try:
            self._send(message)
        except MailDeliveryError:
            raise
        except smtplib.SMTPException as exc:
            raise MailDeliveryError(f"the mail server refused the message: {exc}") from None
        except (OSError, ssl.SSLError) as exc:
            raise MailDeliveryError(
                f"could not talk to the mail server {self._host}:{self._port}: {exc}"
            ) from None

    def _send(self, message: EmailMessage) -> None:
        client: smtplib.SMTP
        if self._implicit_tls:
            client = smtplib.SMTP_SSL(
                self._host,
                self._port,
                local_hostname=self._local_hostname,
                timeout=self._timeout,
                context=self._context(),
            )
        else:
            client = smtplib.SMTP(
                self._host, self._port, local_hostname=self._local_hostname, timeout=self._timeout
            )
        with client:
            client.ehlo()
            encrypted = self._implicit_tls
            if not encrypted and self._starttls != "off":
                if client.has_extn("starttls"):
                    client.starttls(context=self._context())
                    client.ehlo()
                    encrypted = True
                elif self._starttls == "require":
                    raise MailDeliveryError(
                        f"the mail server {self._host}:{self._port} does not offer STARTTLS, "
                        "which the SMTP URL requires"
                    )
            if self._user is not None:
                if not encrypted and not _is_loopback(self._host):
                    raise MailDeliveryError(
                        "refusing to send the SMTP password over an unencrypted connection; "
                        "use smtps:// or a server that offers STARTTLS"
                    )
                client.login(self._user, self._password or "")
            client.send_message(message)


def build_mail_sender(settings: Settings) -> SmtpSender | None:
    """The configured sender, or ``None``: mail then stays in the outbox (the default)."""
    return SmtpSender.from_settings(settings)


@dataclass(frozen=True)
class DeliveryReport:
    """What one :func:`deliver_pending` run did."""

    sent: int
    failed: int
    failures: tuple[tuple[uuid.UUID, str], ...] = ()


def deliver_pending(
    uow: UnitOfWorkFactory, sender: MailSender, *, mail_from: str, limit: int = 100
) -> DeliveryReport:
    """Send up to ``limit`` unsent outbox messages, oldest first; never raises for one message.

    Each message is locked, sent and marked (sent, or its failure recorded) in its own
    transaction. A message that fails is not retried within the same run.
    """
    sent = 0
    failures: list[tuple[uuid.UUID, str]] = []
    tried: set[uuid.UUID] = set()
    while len(tried) < limit:
        with uow() as tx:
            candidates = tx.outbox.claim_unsent(limit=len(tried) + 1)
            row = next((m for m in candidates if m.id not in tried), None)
            if row is None:
                break
            tried.add(row.id)
            email = build_email(row, mail_from=mail_from, now=uow.clock.now())
            try:
                sender.send(email)
            except MailDeliveryError as exc:
                tx.outbox.record_failure(row.id, exc.detail)
                failures.append((row.id, exc.detail))
            else:
                tx.outbox.mark_sent(row.id)
                sent += 1
            tx.commit()
    return DeliveryReport(sent=sent, failed=len(failures), failures=tuple(failures))
