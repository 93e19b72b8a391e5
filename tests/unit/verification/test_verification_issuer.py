"""issuer.key outcomes with a stand-in key resolver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from verification_testkit import CONTEXT, badge

from microcred.errors import DIDError, DIDNotFoundError
from microcred.verification.checks.issuer import IssuerKeyCheck, signature_methods
from microcred.verification.report import Outcome
from microcred.wiring import build_loader, build_registry

REGISTRY = build_registry(build_loader())
DID = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VM = f"{DID}#{DID[8:]}"


@dataclass(frozen=True)
class Method:
    id: str
    controller: str
    public_key: bytes = b"\0" * 32
    revoked: datetime | None = None


class Keys:
    def __init__(self, method: Method | Exception) -> None:
        self.method = method

    def resolve(self, vm_url: str, purpose: str = "assertionMethod") -> Method:
        if isinstance(self.method, Exception):
            raise self.method
        return self.method


def run(doc: dict, method: Method | Exception):  # type: ignore[no-untyped-def]
    return IssuerKeyCheck(REGISTRY, Keys(method)).run(doc, CONTEXT)


def test_controller_is_issuer() -> None:
    [result] = run(badge(), Method(VM, DID))
    assert result.outcome is Outcome.PASSED
    assert result.details == {"verificationMethod": VM, "controller": DID, "issuer": DID}


def test_retired_key_is_mentioned() -> None:
    [result] = run(badge(), Method(VM, DID, revoked=datetime(2026, 2, 1, tzinfo=UTC)))
    assert result.outcome is Outcome.PASSED
    assert "retired this key on 1 February 2026" in result.message
    assert result.details["revoked"] == "2026-02-01T00:00:00+00:00"


def test_did_issuer_with_someone_elses_key_fails() -> None:
    doc = badge()
    doc["issuer"]["id"] = "did:web:university.example"
    [result] = run(doc, Method(VM, DID))
    assert result.outcome is Outcome.FAILED
    assert result.message == (
        "The credential says it was issued by did:web:university.example, but it was signed "
        f"with a key that belongs to {DID}."
    )


def test_https_issuer_with_a_key_not_published_under_it_fails() -> None:
    """Anyone can name a university's web address; only a key it publishes binds it."""
    doc = badge(issuer="https://university.example/issuer")
    [unbound] = run(doc, Method(VM, DID))
    assert unbound.outcome is Outcome.FAILED
    assert unbound.message == (
        "The credential says it was issued by https://university.example/issuer, but it was "
        f"signed with a key that belongs to {DID}, and nothing links the two. Anyone can name "
        "an issuer's web address; only the issuer's own key proves it."
    )
    assert unbound.details == {
        "verificationMethod": VM,
        "controller": DID,
        "issuer": "https://university.example/issuer",
    }
    lookalike = badge(issuer="https://university.example/issuer")
    lookalike["proof"]["verificationMethod"] = "https://university.example/issuer-evil#key-1"
    [prefix] = run(lookalike, Method("https://university.example/issuer-evil#key-1", "https://x"))
    assert prefix.outcome is Outcome.FAILED


def test_https_issuer_publishing_the_key_passes() -> None:
    doc = badge(issuer="https://university.example/issuer")
    doc["proof"]["verificationMethod"] = "https://university.example/issuer#key-1"
    [published] = run(doc, Method("https://university.example/issuer#key-1", "https://other"))
    assert published.outcome is Outcome.PASSED
    assert "published by the issuer" in published.message


@pytest.mark.parametrize("error", [DIDNotFoundError("gone"), DIDError("malformed")])
def test_unresolvable_key_fails(error: Exception) -> None:
    [result] = run(badge(), error)
    assert result.outcome is Outcome.FAILED
    assert str(error) in result.message


def test_no_issuer_or_no_supported_proof_is_skipped() -> None:
    [no_issuer] = run(badge(issuer=None), Method(VM, DID))
    assert no_issuer.outcome is Outcome.SKIPPED
    unsupported = badge()
    unsupported["proof"]["cryptosuite"] = "bbs-2023"
    [skipped] = run(unsupported, Method(VM, DID))
    assert skipped.outcome is Outcome.SKIPPED


def test_signature_methods_are_distinct_and_supported_only() -> None:
    doc = badge()
    doc["proof"] = [doc["proof"], dict(doc["proof"]), {"type": "X", "verificationMethod": "a:b"}]
    assert signature_methods(doc, REGISTRY) == [VM]
