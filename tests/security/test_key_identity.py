"""Key and identity attacks: every one is rejected, with a reason a person can read.

The issuer ``did:web:uni.example`` (resolved in-process, see ``security_testkit``) lists
``#key-2`` (current), ``#key-1`` (rotated: it expired at ``ROTATED_AT``), ``#key-3`` (revoked
after a compromise at ``COMPROMISED_AT``) for ``assertionMethod``, and ``#auth-1`` for
``authentication`` only. The signatures below are all mathematically valid: what must fail is
who signed, and when.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from security_testkit import (
    AUTH_KEY,
    COMPROMISED_AT,
    COMPROMISED_KEY,
    CURRENT_KEY,
    OTHER_DID,
    OTHER_KEY,
    OTHER_VM,
    ROTATED_AT,
    ROTATED_KEY,
    SUITES,
    WEB_DID,
    World,
    build_world,
    sign,
    unsigned_credential,
)

from microcred.clock import FixedClock
from microcred.verification.report import CheckResult, Outcome, VerificationReport
from microcred.wiring import build_engine


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


def _web_credential(world: World, key: Any, fragment: str, suite: str, **kw: Any) -> dict[str, Any]:
    unsigned = unsigned_credential(WEB_DID, number=20, status=False)
    return sign(world, unsigned, suite=suite, key=key, vm=f"{WEB_DID}#{fragment}", **kw)


def _failed(report: VerificationReport) -> dict[str, CheckResult]:
    return {c.code: c for c in report.failures}


@pytest.mark.parametrize("suite", SUITES)
def test_the_current_key_verifies(world: World, suite: str) -> None:
    report = world.verify(_web_credential(world, CURRENT_KEY, "key-2", suite))
    assert report.verified, report.failures


@pytest.mark.parametrize("suite", SUITES)
def test_a_key_not_authorised_for_assertion_is_rejected(world: World, suite: str) -> None:
    report = world.verify(_web_credential(world, AUTH_KEY, "auth-1", suite))
    failed = _failed(report)
    assert not report.verified
    assert "proof.key_not_authorised" in failed, failed
    assert "assertionMethod" in failed["proof.key_not_authorised"].message


@pytest.mark.parametrize("suite", SUITES)
def test_a_rotated_key_is_rejected_after_its_end_and_accepted_before(
    world: World, suite: str
) -> None:
    late = _web_credential(
        world, ROTATED_KEY, "key-1", suite, created=ROTATED_AT + timedelta(days=30)
    )
    report = world.verify(late)
    failed = _failed(report)
    assert not report.verified
    assert "proof.key_expired_before_signing" in failed, failed
    assert failed["proof.key_expired_before_signing"].message
    early = _web_credential(
        world, ROTATED_KEY, "key-1", suite, created=ROTATED_AT - timedelta(days=30)
    )
    assert world.verify(early).verified  # signed while the key was current: still valid


@pytest.mark.parametrize("suite", SUITES)
def test_a_revoked_key_is_rejected_for_signatures_after_the_compromise(
    world: World, suite: str
) -> None:
    late = _web_credential(
        world, COMPROMISED_KEY, "key-3", suite, created=COMPROMISED_AT + timedelta(hours=1)
    )
    failed = _failed(world.verify(late))
    assert "proof.key_revoked_before_signing" in failed, failed
    # before the compromise but without an anchor: the signer's own date proves nothing
    early = _web_credential(
        world, COMPROMISED_KEY, "key-3", suite, created=COMPROMISED_AT - timedelta(days=3)
    )
    report = world.verify(early)
    assert not report.verified
    assert "anchor.key" in _failed(report)


@pytest.mark.parametrize("suite", SUITES)
def test_another_issuers_key_claiming_this_issuer_is_rejected(world: World, suite: str) -> None:
    """A valid signature by OTHER_KEY (its own did:key) on a credential naming
    did:web:uni.example as issuer: the proof verifies, the issuer binding does not."""
    forged = sign(
        world,
        unsigned_credential(WEB_DID, number=21, status=False),
        suite=suite,
        key=OTHER_KEY,
        vm=OTHER_VM,
    )
    report = world.verify(forged)
    failed = _failed(report)
    assert not report.verified
    assert set(failed) == {"issuer.key"}, failed
    assert failed["issuer.key"].details["controller"] == OTHER_DID
    assert failed["issuer.key"].details["issuer"] == WEB_DID


@pytest.mark.parametrize("suite", SUITES)
def test_a_key_claimed_under_the_issuers_did_but_not_in_its_document(
    world: World, suite: str
) -> None:
    """OTHER_KEY signs and names ``did:web:uni.example#key-9``: no such method."""
    forged = _web_credential(world, OTHER_KEY, "key-9", suite)
    failed = _failed(world.verify(forged))
    assert "proof.key_not_found" in failed, failed
    assert "key-9" in failed["proof.key_not_found"].message


@pytest.mark.parametrize("suite", SUITES)
def test_the_issuers_key_id_with_another_key_fails_the_signature(world: World, suite: str) -> None:
    """OTHER_KEY signs but names the issuer's current key: the signature does not verify."""
    forged = _web_credential(world, OTHER_KEY, "key-2", suite)
    failed = _failed(world.verify(forged))
    assert set(failed) == {"proof.signature_invalid"}, failed


@pytest.mark.parametrize("suite", SUITES)
def test_a_did_web_that_does_not_resolve_is_rejected_with_a_reason(
    world: World, suite: str
) -> None:
    nowhere = "did:web:nowhere.example"
    forged = sign(
        world,
        unsigned_credential(nowhere, number=22, status=False),
        suite=suite,
        key=OTHER_KEY,
        vm=f"{nowhere}#key-1",
    )
    failed = _failed(world.verify(forged))
    assert "proof.key_not_found" in failed, failed
    assert nowhere in failed["proof.key_not_found"].message
    # with the network turned off the reason says so
    offline = build_engine(allow_network=False, clock=FixedClock(world.engine.clock.now()))
    report = offline.verifier.verify_credential(forged)
    message = {c.code: c for c in report.failures}["proof.key_not_found"].message
    assert "network" in message
    assert {c.code: c.outcome for c in report.checks}["issuer.key"] is not Outcome.PASSED
