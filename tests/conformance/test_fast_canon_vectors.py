"""The compiled-shape canonicaliser on every document in ../shared/standards.

For each JSON-LD document (and, for signed ones, the document without its proof and each
proof configuration): the fast path must give exactly the full path's N-Quads (or fail
the same way) both when it compiles the shape and when it answers from the compiled
shape, also after every value of the document changed. Signing through the fast path
reproduces the official eddsa-rdfc-2022 vectors (W3C vc-di-eddsa, Open Badges 3.0, CLR
2.0) byte for byte, including proof sets and chains.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from di_testkit import OB_VECTORS, STANDARDS, VECTORS, did_key_methods, read_json

from microcred.did.dereference import VerificationMethod
from microcred.jsonld.fast import FastCanonizer
from microcred.jsonld.fast.terms import is_absolute_iri
from microcred.jsonld.processing import canonize
from microcred.jsonld.static_loader import StaticDocumentLoader
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
from microcred.proof.data_integrity import add_proof, verify_proofs
from microcred.proof.options import ProofOptions
from microcred.proof.purposes import AssertionMethodPurpose
from microcred.proof.registry import CryptosuiteRegistry
from microcred.proof.results import ProofCode

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
EDC_AP = "http://data.europa.eu/snb/model/context/edc-ap"
SKIP_DIRS = ("contexts", "schema", "clr-schema", "did-key", "vocabularies")


def _loader() -> StaticDocumentLoader:
    extra = {EXAMPLES_V2: read_json(STANDARDS / "contexts" / "credentials-examples-v2.jsonld")}
    edc = STANDARDS / "eu-elm" / "context" / "edc-ap-context.jsonld"
    if edc.is_file():
        extra[EDC_AP] = read_json(edc)
    return StaticDocumentLoader.bundled().with_documents(extra)


def _documents() -> list[tuple[str, dict[str, Any]]]:
    """(name, document) for every JSON-LD document, unsigned form and proof configs."""
    if not STANDARDS.is_dir():
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(STANDARDS.rglob("*.json*")):
        relative = path.relative_to(STANDARDS)
        if any(part in SKIP_DIRS for part in relative.parts):
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or "@context" not in document:
            continue
        name = str(relative)
        out.append((name, document))
        if "proof" in document:
            unsecured = {k: v for k, v in document.items() if k != "proof"}
            out.append((name + " (without proof)", unsecured))
            proofs = document["proof"]
            for i, proof in enumerate(proofs if isinstance(proofs, list) else [proofs]):
                config = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
                config["@context"] = document["@context"]
                out.append((f"{name} (proof configuration {i})", config))
    for folder in ("obv3p0", "clrv2p0"):
        options = OB_VECTORS / folder / "proofOptions.json"
        unsigned = OB_VECTORS / folder / "unsigned.json"
        if options.is_file():
            config = {**read_json(options), "@context": read_json(unsigned)["@context"]}
            out.append((f"openbadges/test-vectors/{folder}/proofOptions.json", config))
    for config_path in sorted((VECTORS / "proof-set-chain").glob("proof*Config*.json")):
        unsigned = read_json(VECTORS / "proof-set-chain" / "unsigned.json")
        config = {k: v for k, v in read_json(config_path).items() if k != "proofValue"}
        config["@context"] = unsigned["@context"]
        out.append((str(config_path.relative_to(STANDARDS)), config))
    out.extend(_composed())
    return out


def _composed() -> list[tuple[str, dict[str, Any]]]:
    """EU micro-credentials from our own composer (with and without options)."""
    from microcred.definition import compose_credential
    from microcred.definition.samples import sample_achievement, sample_issuer
    from microcred.model import Evidence, Result, hash_email

    grade = "https://uni.example/achievements/digital-content-creation#grade"
    when = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    plain = compose_credential(
        sample_achievement(),
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        sample_issuer(),
        credential_id="urn:uuid:7c1e1a2e-0000-4000-8000-000000000001",
        valid_from=when,
    )
    full = compose_credential(
        sample_achievement(),
        hash_email("ana.lopez@uni.example", salt="3f9c1a7be2d04c55"),
        sample_issuer(),
        credential_id="urn:uuid:8a6e2f2c-5d1b-4c39-9a55-0c4f3b7d2e11",
        valid_from=when,
        result=[Result(result_description=grade, value="Merit")],
        evidence=[Evidence(id="https://uni.example/evidence/8a", name="Campaign report")],
        credits_earned=5,
        narrative="Final project.",
        credential_status={
            "id": "https://uni.example/status/1#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://uni.example/status/1",
        },
    )
    bare = compose_credential(
        sample_achievement(with_eu_elements=False),
        "did:example:learner",
        "did:web:uni.example",
        credential_id="urn:uuid:7c1e1a2e-0000-4000-8000-000000000003",
        valid_from=when,
    )
    return [
        ("composer: EU sample", plain),
        ("composer: EU sample, all options", full),
        ("composer: without EU elements", bare),
    ]


DOCUMENTS = _documents()
NAMES = [name for name, _ in DOCUMENTS]
LOADER = _loader() if STANDARDS.is_dir() else None


def _outcome(fn: Any, document: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(copy.deepcopy(document), LOADER, safe=True)
    except Exception as exc:  # both paths must fail alike, whatever the error
        return "error", type(exc).__name__


def _changed_values(document: Any, key: str | None = None) -> Any:
    """Every string and number changed (kept absolute IRIs absolute); types, contexts and
    vocabulary values kept, so the shape is the same."""
    if isinstance(document, dict):
        return {
            k: (
                v
                if k in ("@context", "type", "@type", "proofPurpose", "@language")
                else _changed_values(v, k)
            )
            for k, v in document.items()
        }
    if isinstance(document, list):
        return [_changed_values(item, key) for item in document]
    if isinstance(document, bool) or document is None:
        return document
    if isinstance(document, int | float):
        return document * 3 + 1
    if is_absolute_iri(document):
        return document + "/changed"
    return document + ' "changed"\n\\ é'


@pytest.fixture(scope="module", autouse=True)
def standards() -> None:
    if not STANDARDS.is_dir():
        pytest.skip("../shared/standards is not available")


@pytest.mark.parametrize("name", NAMES)
def test_fast_path_equals_full_path(name: str) -> None:
    document = dict(DOCUMENTS)[name]
    fast = FastCanonizer(LOADER, compile_after=1)  # type: ignore[arg-type]
    expected = _outcome(canonize, document)
    assert _outcome(fast, document) == expected  # the compiling run
    assert _outcome(fast, document) == expected  # from the compiled shape (or fallback)
    changed = _changed_values(document)
    assert _outcome(fast, changed) == _outcome(canonize, changed)
    assert fast.stats.mismatches == 0
    if expected[0] == "ok" and not fast.stats.fallbacks.get("unsupported_shape"):
        assert fast.stats.fast >= 1, fast.stats.to_json()


#: Documents every later credential of their shape must take the fast path for.
MUST_BE_FAST = [
    "vc-di-eddsa/TestVectors/unsigned.json",
    "vc-di-eddsa/TestVectors/proof-set-chain/unsigned.json",
    "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json (without proof)",
    "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json (proof configuration 0)",
    "openbadges/test-vectors/obv3p0/unsigned.json",
    "openbadges/test-vectors/obv3p0/proofOptions.json",
    "openbadges/spec-examples/complete-openbadgecredential.json",
    "openbadges/spec-examples/basic-openbadgecredential.json",
    "bitstring-status-list/spec-examples/status-list-credential.json",
    "bitstring-status-list/composed/unsigned-status-list-credential-revocation.json",
    "composer: EU sample",
    "composer: EU sample, all options",
]


@pytest.mark.parametrize("name", MUST_BE_FAST)
def test_credential_shapes_take_the_fast_path(name: str) -> None:
    document = dict(DOCUMENTS)[name]
    fast = FastCanonizer(LOADER, compile_after=1)  # type: ignore[arg-type]
    fast(copy.deepcopy(document), LOADER)
    for _ in range(3):
        assert fast(_changed_values(document), LOADER) == canonize(
            _changed_values(document), LOADER
        )
    assert fast.stats.fast == 3, fast.stats.to_json()


def test_every_accepted_standard_document_compiles() -> None:
    """No shape among the standards is left to the full path: named graphs (proofs in
    signed documents and endorsements, credentials in a CLR), lists, language maps and
    nodes embedded several times (the ELM samples) all compile."""
    unsupported = []
    for name, document in DOCUMENTS:
        fast = FastCanonizer(LOADER, compile_after=1)  # type: ignore[arg-type]
        if _outcome(fast, document)[0] == "ok" and fast.stats.failed_compiles:
            unsupported.append((name, fast.stats.compile_problems))
    assert unsupported == []


# -- signing through the fast path reproduces the vectors --------------------------------


def _fast_suite() -> tuple[EddsaRdfc2022, FastCanonizer]:
    fast = FastCanonizer(LOADER, compile_after=1)  # type: ignore[arg-type]
    return EddsaRdfc2022(LOADER, canonizer=fast), fast  # type: ignore[arg-type]


def _vm(key: Ed25519KeyPair) -> str:
    return f"did:key:{key.public_key_multibase}#{key.public_key_multibase}"


def _same_json_text(document: dict[str, Any], path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert json.dumps(document, indent=2, ensure_ascii=False) == text.rstrip("\n")


def test_w3c_rdfc_vector_signed_twice_through_the_fast_path() -> None:
    suite, fast = _fast_suite()
    key = Ed25519KeyPair.from_secret_multibase(
        read_json(VECTORS / "keyPair.json")["privateKeyMultibase"]
    )
    options = ProofOptions(
        cryptosuite="eddsa-rdfc-2022",
        verification_method=_vm(key),
        created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
    )
    rdfc = VECTORS / "eddsa-rdfc-2022"
    for _ in range(3):
        signed = add_proof(
            read_json(VECTORS / "unsigned.json"), suite, options, key.signer(_vm(key))
        )
        _same_json_text(signed, rdfc / "signedDataInt.json")
    # the document the second and third time; the proof configuration's canonical form is
    # remembered by the suite after the first time
    assert fast.stats.fast == 2
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    assert suite.verify_proof(unsecured, signed["proof"], key.public_bytes)
    assert fast.stats.fast == 3


@pytest.mark.parametrize("folder", ["obv3p0", "clrv2p0"])
def test_open_badges_vectors_signed_and_verified_through_the_fast_path(folder: str) -> None:
    suite, fast = _fast_suite()
    pair = read_json(OB_VECTORS / folder / "keyPair.json")
    key = Ed25519KeyPair.from_seed(bytes.fromhex(pair["privateKeyHex"])[:32])
    options = ProofOptions.from_json(read_json(OB_VECTORS / folder / "proofOptions.json"))
    expected = read_json(OB_VECTORS / folder / "signed.json")
    for _ in range(3):
        signed = add_proof(
            read_json(OB_VECTORS / folder / "unsigned.json"),
            suite,
            options,
            key.signer(pair["verificationMethod"]),
        )
        if isinstance(expected["proof"], list):
            signed = {**signed, "proof": [signed["proof"]]}
        assert signed == expected
    method = VerificationMethod.from_multikey(
        pair["verificationMethod"], pair["publicKeyMultibase"], controller=pair["controller"]
    )
    from microcred.did.dereference import VerificationMethodResolver

    resolver = VerificationMethodResolver(None, static_methods={pair["verificationMethod"]: method})
    for _ in range(2):
        [result] = verify_proofs(expected, CryptosuiteRegistry([suite]), resolver)
        assert result.code == ProofCode.VERIFIED, result.message
    assert fast.stats.mismatches == 0
    assert fast.stats.fast >= 4 if folder == "obv3p0" else fast.stats.fast >= 2


def test_proof_set_and_chain_through_the_fast_path() -> None:
    suite, fast = _fast_suite()
    chain = VECTORS / "proof-set-chain"
    pairs = read_json(chain / "multiKeyPairs.json")
    keys = {
        n: Ed25519KeyPair.from_secret_multibase(p["privateKeyMultibase"]) for n, p in pairs.items()
    }

    def add(document: dict[str, Any], config: str, key: str) -> dict[str, Any]:
        options = ProofOptions.from_json(read_json(chain / config))
        return add_proof(document, suite, options, keys[key].signer(options.verification_method))

    for _ in range(2):
        set1 = add(read_json(chain / "unsigned.json"), "proofSetConfig1.json", "keyPair1")
        _same_json_text(set1, chain / "signedProofSet1.json")
        set2 = add(set1, "proofSetConfig2.json", "keyPair2")
        _same_json_text(set2, chain / "signedProofSet2.json")
        chain1 = add(set2, "proofChainConfig1.json", "keyPair3")
        _same_json_text(chain1, chain / "signedProofChain1.json")
        chain2 = add(chain1, "proofChainConfig2.json", "keyPair4")
        _same_json_text(chain2, chain / "signedProofChain2.json")
    registry = CryptosuiteRegistry([suite])
    results = verify_proofs(
        chain2,
        registry,
        did_key_methods(),
        purpose=AssertionMethodPurpose(require_issuer_controller=False),
    )
    assert [r.code for r in results] == [ProofCode.VERIFIED] * 4
    assert fast.stats.mismatches == 0
    assert fast.stats.fast > 0
