"""IssuancePipeline: compose -> validate -> sign -> self-verify.

Signs for real (Ed25519, eddsa-jcs-2022 which needs no JSON-LD) and self-verifies with a
small verifier built on ``proof.data_integrity.verify_proofs`` and did:key resolution. When
the JSON-LD layer and the full ``Verifier`` are installed, the last test also issues with
eddsa-rdfc-2022 and the real verifier.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.dereference import VerificationMethodResolver
from microcred.did.key import DidKeyResolver, did_key_from_public, did_key_verification_method
from microcred.errors import (
    InvalidInput,
    ProofError,
    UndefinedTermError,
    UnknownCryptosuiteError,
)
from microcred.issuance import IssuancePipeline
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model import OpenBadgeCredential, hash_email
from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
from microcred.proof.data_integrity import verify_proofs
from microcred.proof.registry import CryptosuiteRegistry

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
KEY = Ed25519KeyPair.from_seed(bytes(range(32)))
ISSUER_DID = did_key_from_public(KEY.public_bytes)
VM = did_key_verification_method(KEY.public_bytes)


@dataclass
class Report:
    """A report-like stand-in: ``verified`` plus check-like entries."""

    verified: bool
    checks: list[Any] = field(default_factory=list)


@dataclass
class Check:
    code: str
    outcome: str
    message: str


class ProofsOnlyVerifier:
    """Verifies the proofs (not dates, status...) and records what it was asked."""

    def __init__(self, registry: CryptosuiteRegistry) -> None:
        self.registry = registry
        self.vm_resolver = VerificationMethodResolver(DidKeyResolver())
        self.seen: list[dict[str, Any]] = []

    def __call__(self, secured: dict[str, Any]) -> Report:
        self.seen.append(copy.deepcopy(secured))
        results = verify_proofs(secured, self.registry, self.vm_resolver, now=NOW)
        checks = [Check(r.code, "passed" if r.verified else "failed", r.message) for r in results]
        return Report(bool(results) and all(r.verified for r in results), checks)


@pytest.fixture
def registry() -> CryptosuiteRegistry:
    return CryptosuiteRegistry([EddsaJcs2022()])


@pytest.fixture
def verifier(registry: CryptosuiteRegistry) -> ProofsOnlyVerifier:
    return ProofsOnlyVerifier(registry)


@pytest.fixture
def pipeline(registry: CryptosuiteRegistry, verifier: ProofsOnlyVerifier) -> IssuancePipeline:
    return IssuancePipeline(registry, None, verifier, find_undefined_terms=lambda d, ld: [])


def unsigned(**kw: Any) -> dict[str, Any]:
    return compose_credential(
        kw.pop("achievement", sample_achievement(awarding_body=ISSUER_DID)),
        kw.pop("learner", hash_email("ana@uni.example", salt="0a1b")),
        kw.pop("issuer", sample_issuer(ISSUER_DID)),
        credential_id="urn:uuid:5e0c2b8e-0000-4000-8000-000000000004",
        valid_from=kw.pop("valid_from", NOW),
        **kw,
    )


def test_issue_signs_and_self_verifies(
    pipeline: IssuancePipeline, verifier: ProofsOnlyVerifier, registry: CryptosuiteRegistry
) -> None:
    doc = unsigned()
    secured = pipeline.issue(doc, KEY.signer(VM), "eddsa-jcs-2022", now=NOW)
    proof = secured["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["verificationMethod"] == VM
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["created"] == "2024-05-01T09:30:00Z"
    assert proof["proofValue"].startswith("z")
    assert {k: v for k, v in secured.items() if k != "proof"} == doc
    assert doc == unsigned()  # the input is not modified
    assert verifier.seen == [secured]
    # Independent re-check, and the secured credential is still a valid model.
    results = verify_proofs(secured, registry, VerificationMethodResolver(DidKeyResolver()))
    assert [r.verified for r in results] == [True]
    assert OpenBadgeCredential.from_json(secured).proofs == [proof]


def test_compose_and_issue(pipeline: IssuancePipeline) -> None:
    secured = pipeline.compose_and_issue(
        sample_achievement(awarding_body=ISSUER_DID),
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        sample_issuer(ISSUER_DID),
        credential_id="urn:uuid:5e0c2b8e-0000-4000-8000-000000000005",
        valid_from=NOW,
        signer=KEY.signer(VM),
        suite_name="eddsa-jcs-2022",
        now=NOW,
    )
    assert secured["credentialSubject"]["id"].startswith("did:key:")
    assert secured["proof"]["cryptosuite"] == "eddsa-jcs-2022"


def test_a_bad_signature_is_caught_before_it_leaves(
    pipeline: IssuancePipeline,
) -> None:
    class BrokenSigner:
        algorithm = "Ed25519"
        verification_method = VM
        public_key_multibase = KEY.public_key_multibase

        def sign(self, data: bytes) -> bytes:
            return bytes(64)  # not a signature of anything

    with pytest.raises(ProofError) as exc:
        pipeline.issue(unsigned(), BrokenSigner(), "eddsa-jcs-2022", now=NOW)
    assert "did not verify right after signing" in exc.value.detail


def test_a_failing_report_explains_itself(registry: CryptosuiteRegistry) -> None:
    def refuse(secured: dict[str, Any]) -> Report:
        return Report(False, [Check("dates.not_yet_valid", "failed", "Not valid yet.")])

    pipeline = IssuancePipeline(registry, None, refuse, find_undefined_terms=lambda d, ld: [])
    with pytest.raises(ProofError, match=r"dates.not_yet_valid: Not valid yet\."):
        pipeline.issue(unsigned(), KEY.signer(VM), "eddsa-jcs-2022", now=NOW)


def test_verifier_object_with_verify_credential(
    registry: CryptosuiteRegistry, verifier: ProofsOnlyVerifier
) -> None:
    class Wrapper:
        def verify_credential(self, credential: object) -> Report:
            assert isinstance(credential, dict)
            return verifier(credential)

    pipeline = IssuancePipeline(registry, None, Wrapper(), find_undefined_terms=lambda d, ld: [])
    assert "proof" in pipeline.issue(unsigned(), KEY.signer(VM), "eddsa-jcs-2022", now=NOW)
    with pytest.raises(TypeError, match="verifier"):
        IssuancePipeline(registry, None, object())  # type: ignore[arg-type]


def test_validation_failures(pipeline: IssuancePipeline) -> None:
    signer = KEY.signer(VM)
    doc = unsigned()
    with pytest.raises(InvalidInput, match="already has a proof"):
        pipeline.issue(
            {**doc, "proof": {"type": "DataIntegrityProof"}}, signer, "eddsa-jcs-2022", now=NOW
        )
    with pytest.raises(InvalidInput, match="timezone-aware"):
        pipeline.issue(doc, signer, "eddsa-jcs-2022", now=datetime(2024, 5, 1))
    expired = unsigned(valid_from=NOW - timedelta(days=10), valid_until=NOW - timedelta(days=1))
    with pytest.raises(InvalidInput, match="expires"):
        pipeline.issue(expired, signer, "eddsa-jcs-2022", now=NOW)
    broken = copy.deepcopy(doc)
    broken["credentialSubject"]["achievement"]["colour"] = "blue"
    with pytest.raises(InvalidInput, match="credentialSubject.achievement.colour"):
        pipeline.issue(broken, signer, "eddsa-jcs-2022", now=NOW)
    with pytest.raises(InvalidInput, match="JSON object"):
        pipeline.issue([doc], signer, "eddsa-jcs-2022", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(UnknownCryptosuiteError):
        pipeline.issue(doc, signer, "eddsa-rdfc-2019", now=NOW)


def test_the_key_must_belong_to_the_issuer(pipeline: IssuancePipeline) -> None:
    other = Ed25519KeyPair.from_seed(bytes(32))
    other_vm = did_key_verification_method(other.public_bytes)
    with pytest.raises(ProofError, match="not to the credential's issuer"):
        pipeline.issue(unsigned(), other.signer(other_vm), "eddsa-jcs-2022", now=NOW)


def test_undefined_terms_are_refused(registry: CryptosuiteRegistry) -> None:
    calls: list[Any] = []

    def finder(document: Any, loader: Any) -> list[str]:
        calls.append((document, loader))
        return ["colour", "Shape"]

    loader = object()
    pipeline = IssuancePipeline(
        registry, loader, lambda s: Report(True), find_undefined_terms=finder
    )  # type: ignore[arg-type]
    with pytest.raises(UndefinedTermError) as exc:
        pipeline.issue(unsigned(), KEY.signer(VM), "eddsa-jcs-2022", now=NOW)
    assert "colour, Shape" in exc.value.detail
    assert exc.value.extra["terms"] == ["colour", "Shape"]
    assert calls and calls[0][1] is loader


def test_issue_with_rdfc_and_the_real_verifier() -> None:
    pytest.importorskip("microcred.jsonld.processing")
    static_loader = pytest.importorskip("microcred.jsonld.static_loader")
    verifier_module = pytest.importorskip("microcred.verification.verifier")
    from microcred.clock import FixedClock
    from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022

    contexts = resources.files("microcred.jsonld") / "contexts"
    files = {
        "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
        "https://microcred.dev/ns/eu/v1": "microcred-eu-v1.jsonld",
    }
    loader = static_loader.StaticDocumentLoader.empty().with_documents(
        {url: json.loads((contexts / name).read_text("utf-8")) for url, name in files.items()}
    )
    registry = CryptosuiteRegistry([EddsaRdfc2022(loader), EddsaJcs2022()])
    verifier = verifier_module.Verifier(
        registry, loader, VerificationMethodResolver(DidKeyResolver()), FixedClock(NOW)
    )
    pipeline = IssuancePipeline(registry, loader, verifier)
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        secured = pipeline.issue(unsigned(), KEY.signer(VM), suite, now=NOW)
        assert secured["proof"]["cryptosuite"] == suite
        assert verifier.verify_credential(secured).verified
    # Safe mode: without the EU context the EU elements would drop out: refused.
    doc = unsigned()
    doc["@context"] = [c for c in doc["@context"] if not c.startswith("https://microcred.dev")]
    with pytest.raises(UndefinedTermError, match="euStandardElements"):
        pipeline.issue(doc, KEY.signer(VM), "eddsa-rdfc-2022", now=NOW)
