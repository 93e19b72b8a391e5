"""The anchor proof: format, binding to the signed credential, coexistence with signatures."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime

import pytest
from anchoring_testkit import SIGNED_AT, engine, signed_credential

from microcred.anchoring.batch import anchor_credential, anchor_proof_for, batch_tree
from microcred.anchoring.ledger import LedgerEntry
from microcred.anchoring.proof import (
    ANCHOR_CRYPTOSUITE,
    AnchorProof,
    anchor_proofs,
    attach_anchor_proof,
    credential_digest,
    credential_leaf,
    is_anchor_proof,
    signature_proofs,
    strip_anchor_proofs,
)
from microcred.errors import InvalidInput
from microcred.jsonld.processing import find_undefined_terms
from microcred.proof.data_integrity import verify_proofs
from microcred.proof.results import ProofCode

ANCHORED_AT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
LEDGER = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


def anchored_batch(credentials: list[dict], ledger: str = LEDGER) -> list[dict]:
    tree = batch_tree([credential_digest(c) for c in credentials])
    entry = LedgerEntry(ledger, tree.root, "7", "did:key:issuer", ANCHORED_AT)
    return [anchor_credential(c, tree, i, entry) for i, c in enumerate(credentials)]


@pytest.fixture(scope="module")
def the_engine():
    return engine(SIGNED_AT)


@pytest.fixture(scope="module")
def credentials(the_engine) -> list[dict]:
    return [
        signed_credential(the_engine, 1),
        signed_credential(the_engine, 2, suite="eddsa-jcs-2022"),
        signed_credential(the_engine, 3),
    ]


def test_anchor_proof_json_uses_only_data_integrity_terms(credentials) -> None:
    anchored = anchored_batch(credentials)[1]
    signature, anchor = anchored["proof"]
    assert signature == credentials[1]["proof"]
    assert set(anchor) == {
        "type",
        "cryptosuite",
        "created",
        "verificationMethod",
        "proofPurpose",
        "proofValue",
    }
    assert anchor["type"] == "DataIntegrityProof"
    assert anchor["cryptosuite"] == ANCHOR_CRYPTOSUITE == "microcred-merkle-2026"
    assert anchor["created"] == "2026-03-03T10:00:00Z"
    assert anchor["verificationMethod"] == LEDGER
    assert anchor["proofPurpose"] == "assertionMethod"
    assert anchor["proofValue"].startswith("u")
    decoded = AnchorProof.from_json(anchor)
    assert (decoded.leaf_index, decoded.tree_size, decoded.locator) == (1, 3, "7")
    assert len(decoded.path) == 2
    assert decoded.proves(anchored)
    assert AnchorProof.from_json(decoded.to_json()) == decoded


def test_proof_value_binary_layout(credentials) -> None:
    anchor = anchored_batch(credentials)[2]["proof"][-1]
    text = anchor["proofValue"][1:]
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    decoded = AnchorProof.from_json(anchor)
    expected = (
        bytes([1, 2, 3, 1])  # version, leaf index, tree size, path length
        + b"".join(decoded.path)
        + decoded.root
        + bytes([1])
        + b"7"
    )
    assert raw == expected


def test_signatures_still_verify_alone_and_the_anchor_is_skipped(the_engine, credentials) -> None:
    for anchored in anchored_batch(credentials):
        results = verify_proofs(anchored, the_engine.registry, the_engine.vm_resolver)
        assert [r.code for r in results] == [ProofCode.VERIFIED, ProofCode.UNKNOWN_CRYPTOSUITE]
        assert results[0].verified
        assert not results[1].verified
    # Removing the anchor gives back exactly the signed credential.
    anchored = anchored_batch(credentials)[0]
    stripped = strip_anchor_proofs(anchored)
    assert stripped == {**credentials[0], "proof": [credentials[0]["proof"]]}


def test_safe_mode_accepts_anchored_credentials(the_engine, credentials) -> None:
    for anchored in anchored_batch(credentials):
        assert find_undefined_terms(anchored, the_engine.loader) == []


def test_the_leaf_binds_claims_and_signature_not_the_anchor(credentials) -> None:
    credential = credentials[0]
    digest = credential_digest(credential)
    anchored = anchored_batch(credentials)[0]
    assert credential_digest(anchored) == digest  # anchor proofs are left out
    as_list = {**credential, "proof": [credential["proof"]]}
    assert credential_digest(as_list) == digest  # a lone proof and a one-element set agree
    changed = copy.deepcopy(credential)
    changed["name"] = "Something else"
    assert credential_digest(changed) != digest
    resigned = copy.deepcopy(credential)
    resigned["proof"]["created"] = "2026-03-03T09:31:00Z"
    assert credential_digest(resigned) != digest
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    assert credential_digest(unsigned) != digest
    assert credential_leaf(credential) != digest


def test_tampered_credentials_no_longer_match_their_anchor(credentials) -> None:
    anchored = anchored_batch(credentials)
    proof = AnchorProof.from_json(anchored[0]["proof"][-1])
    changed = copy.deepcopy(anchored[0])
    changed["credentialSubject"]["achievement"]["name"] = "Forged"
    assert not proof.proves(changed)
    assert not proof.proves(anchored[1])  # an anchor copied onto another credential
    with pytest.raises(InvalidInput, match="does not lead"):
        attach_anchor_proof(anchored[1], proof)


def test_attaching_is_idempotent_and_keeps_other_anchors(credentials) -> None:
    first = anchored_batch(credentials)[0]
    again = attach_anchor_proof(first, AnchorProof.from_json(first["proof"][-1]))
    assert again == first
    both = anchored_batch([first, credentials[1]], ledger="eip155:31337:0x" + "ab" * 20)[0]
    assert len(anchor_proofs(both)) == 2
    assert signature_proofs(both) == [credentials[0]["proof"]]
    assert [is_anchor_proof(p) for p in both["proof"]] == [False, True, True]


def test_attach_refuses_what_cannot_carry_an_anchor(credentials) -> None:
    tree = batch_tree([credential_digest(credentials[0])])
    entry = LedgerEntry(LEDGER, tree.root, "0", "did:key:issuer", ANCHORED_AT)
    proof = anchor_proof_for(tree, 0, entry)
    old_context = {**credentials[0], "@context": ["https://www.w3.org/2018/credentials/v1"]}
    with pytest.raises(InvalidInput, match="does not define DataIntegrityProof"):
        attach_anchor_proof(old_context, proof)
    unsigned = {k: v for k, v in credentials[0].items() if k != "proof"}
    with pytest.raises(InvalidInput, match="signed"):
        attach_anchor_proof(unsigned, proof)
    with pytest.raises(InvalidInput, match="changed after it was batched"):
        anchor_credential(credentials[1], tree, 0, entry)
    other = LedgerEntry(LEDGER, bytes(32), "0", "did:key:issuer", ANCHORED_AT)
    with pytest.raises(InvalidInput, match="another root"):
        anchor_proof_for(tree, 0, other)


def _value(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("z3abc", "base64url"),
        ("u" + "A" * 9000, "too long"),
        ("uAB=C", "without padding"),
        (_value(b"\x02\x00\x01\x00" + bytes(32) + b"\x00"), "version 2"),
        (_value(b"\x01\x00\x01\x00" + bytes(31)), "cut short"),
        (_value(b"\x01\x00\x01\x00" + bytes(32) + b"\x00!"), "trailing"),
        (_value(b"\x01\x05\x01\x00" + bytes(32) + b"\x00"), "smaller than the tree size"),
        (_value(b"\x01\x00\x01\x41" + bytes(32 * 65) + b"\x00"), "too long"),
        (_value(b"\x01\x80\x00\x01\x00" + bytes(32) + b"\x00"), "non-minimal"),
        (_value(b"\x01\x00\x01\x00" + bytes(32) + b"\x02\xff\xfe"), "UTF-8"),
    ],
)
def test_malformed_proof_values_are_refused(value: str, problem: str) -> None:
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": ANCHOR_CRYPTOSUITE,
        "created": "2026-03-03T10:00:00Z",
        "verificationMethod": LEDGER,
        "proofPurpose": "assertionMethod",
        "proofValue": value,
    }
    with pytest.raises(InvalidInput, match=problem):
        AnchorProof.from_json(proof)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"proofPurpose": "authentication"}, "proofPurpose"),
        ({"verificationMethod": 7}, "name its ledger"),
        ({"verificationMethod": "not a uri"}, "absolute URI"),
        ({"created": "2026-03-03T10:00:00"}, "timezone"),
        ({"created": "2026-02-30T10:00:00Z"}, "real date"),
        ({"cryptosuite": "eddsa-rdfc-2022"}, "not an anchor proof"),
    ],
)
def test_malformed_anchor_proofs_are_refused(credentials, change, problem) -> None:
    proof = {**anchored_batch(credentials)[0]["proof"][-1], **change}
    with pytest.raises(InvalidInput, match=problem):
        AnchorProof.from_json(proof)
