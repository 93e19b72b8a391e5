"""Proof purposes: purpose, challenge, domain, expiry, key authorisation, revocation, owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from proof_testkit import CREATED, Method, Methods, did_of, key_pair, vm_of

from microcred.errors import ProofError
from microcred.proof._encoding import encode_proof_value
from microcred.proof._validation import ParsedProof, parse_proof
from microcred.proof.purposes import AssertionMethodPurpose, AuthenticationPurpose, purpose_for
from microcred.proof.results import ProofCheckError, ProofCode

KEY = key_pair(3)


def _proof(**extra: Any) -> ParsedProof:
    raw = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2024-05-01T12:00:00Z",
        "verificationMethod": vm_of(KEY),
        "proofPurpose": "assertionMethod",
        "proofValue": encode_proof_value(bytes(64)),
    }
    raw.update(extra)
    return parse_proof(raw)


def _code(call) -> str:
    with pytest.raises(ProofCheckError) as info:
        call()
    return info.value.code


def test_purpose_must_match() -> None:
    purpose = AuthenticationPurpose()
    code = _code(lambda: purpose.check_proof(_proof(), now=None))
    assert code == ProofCode.PURPOSE_MISMATCH
    AssertionMethodPurpose().check_proof(_proof(), now=None)


def test_challenge_and_domain() -> None:
    purpose = AuthenticationPurpose(challenge="c-1", domain="verifier.example")
    auth = {"proofPurpose": "authentication"}
    purpose.check_proof(_proof(**auth, challenge="c-1", domain="verifier.example"), now=None)
    assert (
        _code(lambda: purpose.check_proof(_proof(**auth, domain="verifier.example"), now=None))
        == ProofCode.CHALLENGE_MISMATCH
    )
    assert (
        _code(
            lambda: purpose.check_proof(
                _proof(**auth, challenge="c-2", domain="verifier.example"), now=None
            )
        )
        == ProofCode.CHALLENGE_MISMATCH
    )
    assert (
        _code(lambda: purpose.check_proof(_proof(**auth, challenge="c-1"), now=None))
        == ProofCode.DOMAIN_MISMATCH
    )
    assert (
        _code(
            lambda: purpose.check_proof(
                _proof(**auth, challenge="c-1", domain="evil.example"), now=None
            )
        )
        == ProofCode.DOMAIN_MISMATCH
    )
    # a list of domains compares as a set
    many = AuthenticationPurpose(domain=["a.example", "b.example"])
    many.check_proof(_proof(**auth, domain=["b.example", "a.example"]), now=None)
    assert (
        _code(lambda: many.check_proof(_proof(**auth, domain="a.example"), now=None))
        == ProofCode.DOMAIN_MISMATCH
    )
    # no challenge asked for: any (or none) is fine
    AuthenticationPurpose().check_proof(_proof(**auth, challenge="whatever"), now=None)


def test_expiry_uses_the_injected_clock() -> None:
    proof = _proof(expires="2025-01-01T00:00:00Z")
    purpose = AssertionMethodPurpose()
    purpose.check_proof(proof, now=None)
    purpose.check_proof(proof, now=datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC))
    with pytest.raises(ProofCheckError, match="expired on 2025-01-01T00:00:00Z") as info:
        purpose.check_proof(proof, now=datetime(2025, 1, 1, tzinfo=UTC))
    assert info.value.code == ProofCode.EXPIRED


def test_key_resolution_errors_are_named() -> None:
    methods = Methods().add(KEY, purposes=("authentication",))
    purpose = AssertionMethodPurpose()
    assert _code(lambda: purpose.resolve_method(methods, _proof())) == ProofCode.KEY_NOT_AUTHORISED
    assert methods.calls == [(vm_of(KEY), "assertionMethod")]
    other = key_pair(4)
    assert (
        _code(lambda: purpose.resolve_method(methods, _proof(verificationMethod=vm_of(other))))
        == ProofCode.KEY_NOT_FOUND
    )
    method = AuthenticationPurpose().resolve_method(methods, _proof())
    assert method.public_key == KEY.public_bytes


def _method(**changes: Any) -> Method:
    base = Method(vm_of(KEY), "Multikey", did_of(KEY), KEY.public_bytes)
    return Method(**{**base.__dict__, **changes})


def test_revoked_key_only_backs_older_proofs() -> None:
    purpose = AssertionMethodPurpose()
    later = _method(revoked=CREATED + timedelta(days=1))
    purpose.check_method(later, proof=_proof(), document={})
    for revoked in (CREATED, CREATED - timedelta(seconds=1)):
        with pytest.raises(ProofCheckError, match="revoked on") as info:
            purpose.check_method(_method(revoked=revoked), proof=_proof(), document={})
        assert info.value.code == ProofCode.KEY_REVOKED_BEFORE_SIGNING
    undated = parse_proof({k: v for k, v in _proof().raw.items() if k != "created"})
    with pytest.raises(ProofCheckError, match="does not say when"):
        purpose.check_method(later, proof=undated, document={})


def test_expired_key_only_backs_older_proofs() -> None:
    purpose = AssertionMethodPurpose()
    purpose.check_method(_method(expires=CREATED + timedelta(days=1)), proof=_proof(), document={})
    with pytest.raises(ProofCheckError, match="expired on") as info:
        purpose.check_method(_method(expires=CREATED), proof=_proof(), document={})
    assert info.value.code == ProofCode.KEY_EXPIRED_BEFORE_SIGNING


@pytest.mark.parametrize(
    "issuer", [did_of(KEY), {"id": did_of(KEY), "type": ["Profile"], "name": "Uni"}]
)
def test_assertion_key_must_belong_to_the_issuer(issuer: Any) -> None:
    AssertionMethodPurpose().check_method(_method(), proof=_proof(), document={"issuer": issuer})


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("https://uni.example", "issued by https://uni.example"),
        ({"name": "no id"}, "no identifier"),
        (42, "no identifier"),
    ],
)
def test_assertion_key_of_someone_else(issuer: Any, message: str) -> None:
    with pytest.raises(ProofCheckError, match=message) as info:
        AssertionMethodPurpose().check_method(
            _method(), proof=_proof(), document={"issuer": issuer}
        )
    assert info.value.code == ProofCode.CONTROLLER_NOT_ISSUER
    AssertionMethodPurpose(require_issuer_controller=False).check_method(
        _method(), proof=_proof(), document={"issuer": issuer}
    )


def test_authentication_key_must_belong_to_the_holder() -> None:
    purpose = AuthenticationPurpose()
    purpose.check_method(_method(), proof=_proof(), document={"holder": did_of(KEY)})
    purpose.check_method(_method(), proof=_proof(), document={})
    with pytest.raises(ProofCheckError, match="did:example:other") as info:
        purpose.check_method(_method(), proof=_proof(), document={"holder": "did:example:other"})
    assert info.value.code == ProofCode.CONTROLLER_NOT_HOLDER


def test_purpose_for_terms() -> None:
    assert purpose_for("assertionMethod").term == "assertionMethod"
    auth = purpose_for("authentication", challenge="c", domain="d")
    assert isinstance(auth, AuthenticationPurpose)
    assert (auth.challenge, auth.domain) == ("c", ("d",))
    with pytest.raises(ProofError, match="capabilityInvocation"):
        purpose_for("capabilityInvocation")
