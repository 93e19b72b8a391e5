"""The ``anchor`` verification family with the real verifier, signatures and JSON-LD."""

from __future__ import annotations

import copy
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from anchoring_testkit import (
    ISSUER_DID,
    OLD_KEY,
    OLD_VM,
    SIGNED_AT,
    WEB_DID,
    MemoryLedgerStorage,
    engine,
    sign,
    signed_credential,
    unsigned_credential,
)

from microcred.anchoring.backends.embedded import EmbeddedLedger
from microcred.anchoring.backends.null import NullAnchor
from microcred.anchoring.batch import anchor_credential, batch_tree
from microcred.anchoring.ledger import LedgerEntry
from microcred.anchoring.proof import credential_digest
from microcred.clock import FixedClock
from microcred.did.key import did_key_verification_method
from microcred.errors import AnchorError, AnchorTemporaryError
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.verification.checks.anchor import (
    AnchorCheck,
    accounts_from_did_document,
    format_anchor_moment,
    same_account,
)
from microcred.verification.report import VerificationReport
from microcred.verification.verifier import Verifier

ANCHORED_AT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


def anchor_on(ledger: Any, credentials: list[dict[str, Any]], issuer: str) -> list[dict[str, Any]]:
    tree = batch_tree([credential_digest(c) for c in credentials])
    receipt = ledger.publish(tree.root, "batch", issuer=issuer)
    return [anchor_credential(c, tree, i, receipt.entry) for i, c in enumerate(credentials)]


def verify(credential: dict[str, Any], check: AnchorCheck, **engine_kw: Any) -> VerificationReport:
    the_engine = engine(NOW, **engine_kw)
    verifier = Verifier(
        the_engine.registry, the_engine.loader, the_engine.vm_resolver, FixedClock(NOW), [check]
    )
    return verifier.verify_credential(credential)


def outcomes(report: VerificationReport, prefix: str = "anchor") -> dict[str, str]:
    return {c.code: c.outcome.value for c in report.checks if c.code.startswith(prefix)}


def check_for(*ledgers: Any, **kw: Any) -> AnchorCheck:
    the_engine = engine(NOW, **{k: v for k, v in kw.items() if k == "web_revoked"})
    extra = {k: v for k, v in kw.items() if k != "web_revoked"}
    return AnchorCheck(
        ledgers, vm_resolver=the_engine.vm_resolver, registry=the_engine.registry, **extra
    )


@pytest.fixture(scope="module")
def credentials() -> list[dict[str, Any]]:
    the_engine = engine(SIGNED_AT)
    return [
        signed_credential(the_engine, 1),
        signed_credential(the_engine, 2, suite="eddsa-jcs-2022"),
        signed_credential(the_engine, 3),
    ]


@pytest.fixture
def null() -> NullAnchor:
    return NullAnchor(Clock(ANCHORED_AT))


def test_an_anchored_credential_verifies_with_its_anchor_time(credentials, null) -> None:
    anchored = anchor_on(null, credentials, ISSUER_DID)
    for credential in anchored:
        report = verify(credential, check_for(null))
        assert report.verified, [c for c in report.checks if c.outcome.value == "failed"]
        assert outcomes(report) == {
            "anchor.inclusion": "passed",
            "anchor.ledger": "passed",
            "anchor.account": "passed",
        }
        ledger = next(c for c in report.checks if c.code == "anchor.ledger")
        assert ledger.message.startswith(
            "Anchored on the public ledger on 3 March 2026 at 10:00 UTC"
        )
        assert ledger.details["anchoredAt"] == "2026-03-03T10:00:00Z"
        proofs = [c for c in report.checks if c.code.startswith("proof.")]
        assert [c.outcome.value for c in proofs] == ["passed", "skipped"]
        assert "blockchain anchor proof" in proofs[1].message
        assert outcomes(report, "jsonld") == {"jsonld.contexts": "passed", "jsonld.terms": "passed"}


def test_the_embedded_ledger_end_to_end(credentials) -> None:
    key = Ed25519KeyPair.from_seed(b"L" * 32)
    vm = did_key_verification_method(key.public_bytes)
    ledger = EmbeddedLedger(
        MemoryLedgerStorage(),
        Clock(ANCHORED_AT),
        public_key=key.public_bytes,
        signer=lambda: nullcontext(key.signer(vm)),
    )
    anchored = anchor_on(ledger, credentials, ISSUER_DID)
    assert anchored[0]["proof"][-1]["verificationMethod"] == ledger.ledger_id
    report = verify(anchored[0], check_for(ledger))
    assert report.verified
    assert outcomes(report)["anchor.ledger"] == "passed"
    assert ledger.verify_ledger().ok


def test_a_credential_changed_after_anchoring_fails(credentials, null) -> None:
    anchored = anchor_on(null, credentials, ISSUER_DID)[0]
    changed = copy.deepcopy(anchored)
    changed["credentialSubject"]["achievement"]["name"] = "Rocket Science"
    report = verify(changed, check_for(null))
    assert not report.verified
    assert outcomes(report) == {"anchor.inclusion": "failed"}
    assert outcomes(report, "proof.signature")["proof.signature_invalid"] == "failed"


def test_an_anchor_moved_to_another_credential_fails(credentials, null) -> None:
    anchored = anchor_on(null, credentials[:2], ISSUER_DID)
    stolen = {**credentials[2], "proof": [credentials[2]["proof"], anchored[0]["proof"][-1]]}
    report = verify(stolen, check_for(null))
    assert not report.verified
    assert outcomes(report) == {"anchor.inclusion": "failed"}


def test_a_root_the_ledger_does_not_have_fails(credentials, null) -> None:
    anchored = anchor_on(null, credentials, ISSUER_DID)[0]
    empty = NullAnchor(Clock(ANCHORED_AT))  # same ledger id, never saw the root
    report = verify(anchored, check_for(empty))
    assert not report.verified
    assert outcomes(report) == {"anchor.inclusion": "passed", "anchor.ledger": "failed"}


def test_a_backdated_anchor_proof_fails(credentials, null) -> None:
    anchored = anchor_on(null, credentials, ISSUER_DID)[0]
    anchored["proof"][-1]["created"] = "2026-01-01T00:00:00Z"
    report = verify(anchored, check_for(null))
    assert not report.verified
    ledger = next(c for c in report.checks if c.code == "anchor.ledger")
    assert ledger.outcome.value == "failed"
    assert "2026-03-03T10:00:00Z" in ledger.message


def test_an_unreadable_or_unknown_ledger_is_a_warning(credentials, null) -> None:
    anchored = anchor_on(null, credentials, ISSUER_DID)[0]
    report = verify(anchored, check_for())
    assert report.verified
    assert outcomes(report) == {"anchor.inclusion": "passed", "anchor.ledger": "warning"}

    class Down:
        ledger_id = null.ledger_id

        def lookup(self, root: bytes) -> LedgerEntry | None:
            raise AnchorTemporaryError("connection refused")

    report = verify(anchored, check_for(Down()))
    assert report.verified
    assert outcomes(report)["anchor.ledger"] == "warning"

    class Broken(Down):
        def lookup(self, root: bytes) -> LedgerEntry | None:
            raise AnchorError("contract missing")

    report = verify(anchored, check_for(Broken()))
    assert outcomes(report)["anchor.ledger"] == "failed"


def test_an_anchor_published_by_someone_else_fails(credentials, null) -> None:
    anchored = anchor_on(null, credentials, "did:key:z6MkSomeoneElse")[0]
    report = verify(anchored, check_for(null))
    assert not report.verified
    account = next(c for c in report.checks if c.code == "anchor.account")
    assert account.outcome.value == "failed"
    assert "not an account of the issuer" in account.message


def test_issuer_accounts_hook_for_chain_accounts(credentials, null) -> None:
    chain = "eip155:31337:0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B"
    anchored = anchor_on(null, credentials, chain)[0]
    document = {
        "id": ISSUER_DID,
        "verificationMethod": [
            {"id": f"{ISSUER_DID}#chain", "blockchainAccountId": chain.lower()},
            {"id": f"{ISSUER_DID}#key"},
        ],
    }
    hook = lambda issuer: accounts_from_did_document(document)  # noqa: E731
    report = verify(anchored, check_for(null, issuer_accounts=hook))
    assert report.verified
    assert outcomes(report)["anchor.account"] == "passed"
    assert same_account(chain, chain.lower())
    assert not same_account("eip155:1:0xab", "eip155:5:0xab")
    assert not same_account("did:web:A", "did:web:a")


def test_no_anchor_is_skipped(credentials, null) -> None:
    report = verify(credentials[0], check_for(null))
    assert report.verified
    assert outcomes(report) == {"anchor": "skipped"}


def test_format_anchor_moment() -> None:
    assert format_anchor_moment(datetime(2026, 3, 3, 10, 0, 59, tzinfo=UTC)) == (
        "3 March 2026 at 10:00 UTC"
    )


# --------------------------------------------------------------------------- key compromise

REVOKED = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)


def web_credential(created: datetime = SIGNED_AT) -> dict[str, Any]:
    the_engine = engine(SIGNED_AT, web_revoked=REVOKED)
    return sign(unsigned_credential(WEB_DID), the_engine, key=OLD_KEY, vm=OLD_VM, created=created)


def test_revoked_key_anchored_before_still_verifies_with_a_warning() -> None:
    null = NullAnchor(Clock(ANCHORED_AT))  # anchored on 3 March, revoked on 5 March
    anchored = anchor_on(null, [web_credential()], WEB_DID)[0]
    report = verify(anchored, check_for(null, web_revoked=REVOKED), web_revoked=REVOKED)
    assert report.verified, [c for c in report.checks if c.outcome.value == "failed"]
    key = next(c for c in report.checks if c.code == "anchor.key")
    assert key.outcome.value == "warning"
    assert "5 March 2026 at 00:00 UTC" in key.message
    assert "before the key was revoked" in key.message
    assert key.details["anchoredAt"] == "2026-03-03T10:00:00Z"


def test_revoked_key_anchored_after_fails() -> None:
    null = NullAnchor(Clock(REVOKED + timedelta(hours=1)))
    anchored = anchor_on(null, [web_credential()], WEB_DID)[0]
    report = verify(anchored, check_for(null, web_revoked=REVOKED), web_revoked=REVOKED)
    assert not report.verified
    assert outcomes(report)["anchor.key"] == "failed"
    assert outcomes(report)["anchor.ledger"] == "passed"


def test_revoked_key_without_anchor_fails() -> None:
    report = verify(
        web_credential(),
        check_for(NullAnchor(Clock(NOW)), web_revoked=REVOKED),
        web_revoked=REVOKED,
    )
    assert not report.verified
    key = next(c for c in report.checks if c.code == "anchor.key")
    assert key.outcome.value == "failed"
    assert "carries no blockchain anchor" in key.message
    # The signature itself is valid: it claims a time before the revocation.
    assert outcomes(report, "proof.")["proof.verified"] == "passed"


def test_signature_dated_after_revocation_fails_in_the_proof_family() -> None:
    credential = web_credential(created=REVOKED + timedelta(days=1))
    report = verify(
        credential, check_for(NullAnchor(Clock(NOW)), web_revoked=REVOKED), web_revoked=REVOKED
    )
    assert not report.verified
    assert outcomes(report, "proof.")["proof.key_revoked_before_signing"] == "failed"
