"""Mail on SQLite and PostgreSQL: the claim e-mail in the outbox (contents, escaping, no
secrets but the link), who may read the outbox, and delivery through SMTP to a local sink
(plain, STARTTLS with certificate checks, AUTH, refusals recorded and retried)."""

from __future__ import annotations

import email
import email.policy
import re
import ssl

import pytest
from issuance_testkit import (  # noqa: F401 - kit_fixture provides the fixture 'kit'
    BASE_URL,
    Kit,
    kit_factory_fixture,
    kit_fixture,
)
from smtp_sink import SinkOptions, SmtpSink, make_certificate

from microcred.errors import NotFound, PermissionDenied
from microcred.services.access import Principal
from microcred.services.issuance import claim_token_hash
from microcred.services.mail import SmtpSender, build_email, deliver_pending

MAIL_FROM = "Alpha Credentials <credentials@alpha.example.edu>"


def _issue(kit: Kit, name: str = "Ana López"):
    return kit.issuance.issue(
        kit.registrar,
        kit.issuer.id,
        kit.request(
            kit.published(),
            learner={"name": name, "email": "ana.lopez@student.example.org", "externalId": "s-1"},
        ),
    )


def _outbox(kit: Kit):
    with kit.uow(read_only=True) as tx:
        return tx.outbox.list_recent()


# --------------------------------------------------------------------------- the claim e-mail


def test_issuing_queues_one_claim_mail_with_nothing_secret_but_the_link(kit: Kit) -> None:
    issued = _issue(kit)

    [message] = _outbox(kit)
    assert message.to_address == "ana.lopez@student.example.org"
    assert message.issuer_id == kit.issuer.id and message.sent_at is None
    assert message.subject == (
        "Your micro-credential from Alpha University: "
        "Digital Content Creation for Research Communication"
    )
    assert issued.claim_url in message.body_text
    assert "Hello Ana López," in message.body_text
    token = issued.claim_url.rsplit("/", 1)[1]
    # the only link is the claim link; no hash, identity, proof or credential data
    assert re.findall(r"https?://\S+", message.body_text) == [issued.claim_url]
    hrefs = re.findall(r'href="([^"]+)"', message.body_html)
    assert hrefs == [issued.claim_url]
    subject = issued.document["credentialSubject"]
    forbidden = [
        claim_token_hash(token),
        subject["identifier"][0]["identityHash"],
        subject["identifier"][0]["salt"],
        issued.document["proof"]["proofValue"],
        issued.credential_uri,
        kit.issuer.did,
    ]
    for body in (message.subject, message.body_text, message.body_html):
        for secret in forbidden:
            assert secret not in body


def test_build_email_makes_a_multipart_message_with_a_stable_id(kit: Kit) -> None:
    _issue(kit)
    [row] = _outbox(kit)

    mail = build_email(row, mail_from=MAIL_FROM, now=kit.clock.now())

    assert mail["From"] == MAIL_FROM and mail["To"] == "ana.lopez@student.example.org"
    assert mail["Message-ID"] == f"<{row.id}@alpha.example.edu>"
    assert mail["Date"] == "Sun, 01 Mar 2026 09:00:00 +0000"
    assert mail.get_content_type() == "multipart/alternative"
    parsed = email.message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Ana López" in text and "Ana López" in html
    assert parsed["Subject"].startswith("Your micro-credential from Alpha University")


def test_who_may_read_the_outbox(kit: Kit) -> None:
    _issue(kit)
    operator = Principal(user_id=None, label="operator", is_operator=True)

    assert len(kit.issuance.outbox(operator)) == 1
    assert len(kit.issuance.outbox(operator, issuer_id=kit.issuer.id)) == 1
    [info] = kit.issuance.outbox(kit.admin, issuer_id=kit.issuer.id)
    assert info.subject.startswith("Your micro-credential")
    assert kit.issuance.outbox(kit.other_admin, issuer_id=kit.other_issuer.id) == []
    with pytest.raises(PermissionDenied):
        kit.issuance.outbox(kit.admin)  # the whole outbox is the operator's
    with pytest.raises(PermissionDenied):
        kit.issuance.outbox(kit.registrar, issuer_id=kit.issuer.id)
    with pytest.raises(NotFound):
        kit.issuance.outbox(kit.other_admin, issuer_id=kit.issuer.id)


# --------------------------------------------------------------------------- SMTP


def test_deliver_pending_sends_through_smtp_and_marks_sent(kit: Kit) -> None:
    issued = _issue(kit)
    with SmtpSink() as sink:
        sender = SmtpSender(f"smtp://127.0.0.1:{sink.port}?timeout=5")
        report = deliver_pending(kit.uow, sender, mail_from=MAIL_FROM)
        again = deliver_pending(kit.uow, sender, mail_from=MAIL_FROM)

    assert (report.sent, report.failed) == (1, 0) and (again.sent, again.failed) == (0, 0)
    [received] = sink.received
    assert received.mail_from == "credentials@alpha.example.edu"
    assert received.recipients == ["ana.lopez@student.example.org"]
    assert not received.tls  # the sink offers no STARTTLS; auto falls back to plain
    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
    assert issued.claim_url in parsed.get_body(("plain",)).get_content()
    [row] = _outbox(kit)
    assert row.sent_at == kit.clock.now() and row.attempts == 1 and row.last_error is None


def test_refusals_are_recorded_and_retried_on_the_next_run(kit: Kit) -> None:
    _issue(kit)
    options = SinkOptions(refuse_recipients=True)
    with SmtpSink(options) as sink:
        sender = SmtpSender(f"smtp://127.0.0.1:{sink.port}")
        report = deliver_pending(kit.uow, sender, mail_from=MAIL_FROM)
        [row] = _outbox(kit)
        assert (report.sent, report.failed) == (0, 1)
        assert row.sent_at is None and row.attempts == 1
        assert "550" in (row.last_error or "") and "refused" in (row.last_error or "")
        options.refuse_recipients = False
        kit.clock.advance(minutes=10)
        retry = deliver_pending(kit.uow, sender, mail_from=MAIL_FROM)
    assert retry.sent == 1
    [row] = _outbox(kit)
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None


def test_an_unreachable_server_is_a_recorded_failure(kit: Kit) -> None:
    _issue(kit)
    with SmtpSink() as sink:
        port = sink.port
    report = deliver_pending(
        kit.uow, SmtpSender(f"smtp://127.0.0.1:{port}?timeout=2"), mail_from=MAIL_FROM
    )
    assert report.failed == 1
    assert "could not talk to the mail server" in report.failures[0][1]


def test_starttls_require_refuses_a_server_without_it(kit: Kit) -> None:
    _issue(kit)
    with SmtpSink() as sink:
        sender = SmtpSender(f"smtp://127.0.0.1:{sink.port}?starttls=require")
        report = deliver_pending(kit.uow, sender, mail_from=MAIL_FROM)
    assert report.failed == 1 and sink.received == []
    assert "does not offer STARTTLS" in report.failures[0][1]


def test_starttls_with_a_verified_certificate_and_login(kit: Kit, tmp_path) -> None:
    _issue(kit)
    cert, key = make_certificate(tmp_path)
    options = SinkOptions(certificate=cert, key=key, require_auth=True)
    url = "smtp://mailer:s3cr%40t@127.0.0.1:{port}?starttls=require&timeout=5"
    with SmtpSink(options) as sink:
        # the sink's self-signed certificate is not trusted by default: refused
        untrusted = SmtpSender(url.format(port=sink.port))
        report = deliver_pending(kit.uow, untrusted, mail_from=MAIL_FROM)
        assert report.failed == 1 and "CERTIFICATE_VERIFY_FAILED" in report.failures[0][1]
        assert options.logins == []  # no password went out
        trusted = SmtpSender(
            url.format(port=sink.port), ssl_context=ssl.create_default_context(cafile=cert)
        )
        kit.clock.advance(minutes=1)
        assert deliver_pending(kit.uow, trusted, mail_from=MAIL_FROM).sent == 1
    [received] = sink.received
    assert received.tls and received.user == "mailer"
    assert options.logins == [("mailer", "s3cr@t")]
    assert "s3cr" not in repr(trusted)
