"""ProofOptions: validation on construction and JSON in the vectors' member order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from microcred.errors import ProofError
from microcred.proof.options import ProofOptions

VM = "did:key:z6Mk#z6Mk"


def test_to_json_member_order_and_omitted_nones() -> None:
    options = ProofOptions(
        cryptosuite="eddsa-rdfc-2022",
        verification_method=VM,
        created=datetime(2023, 2, 26, 22, 6, 38, tzinfo=UTC),
        previous_proof=["urn:a", "urn:b"],
        id="urn:uuid:1",
    )
    out = options.to_json()
    assert list(out) == [
        "type",
        "id",
        "cryptosuite",
        "created",
        "verificationMethod",
        "proofPurpose",
        "previousProof",
    ]
    assert out["created"] == "2023-02-26T22:06:38Z"
    assert out["previousProof"] == ["urn:a", "urn:b"]
    assert options.previous_proof_ids == ("urn:a", "urn:b")


def test_previous_proof_keeps_string_form() -> None:
    options = ProofOptions("eddsa-rdfc-2022", VM, previous_proof="urn:a")
    assert options.to_json()["previousProof"] == "urn:a"
    assert options.previous_proof_ids == ("urn:a",)
    assert ProofOptions("eddsa-rdfc-2022", VM).previous_proof_ids == ()


def test_from_json_round_trip_ignores_context() -> None:
    config = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "expires": "2033-02-24T23:36:38Z",
        "verificationMethod": VM,
        "proofPurpose": "authentication",
        "challenge": "abc",
        "domain": ["a.example", "b.example"],
        "nonce": "n",
        "@context": ["https://www.w3.org/ns/credentials/v2"],
    }
    options = ProofOptions.from_json(config)
    assert options.proof_purpose == "authentication"
    assert options.domain == ("a.example", "b.example")
    assert options.to_json() == {k: v for k, v in config.items() if k != "@context"}
    assert hash(options)  # frozen and hashable


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"verificationMethod": VM, "type": "DataIntegrityProof"}, "cryptosuite"),
        ({"cryptosuite": "eddsa-jcs-2022", "type": "DataIntegrityProof"}, "verificationMethod"),
        ({"cryptosuite": "x", "verificationMethod": VM, "proofValue": "z1"}, "proofValue"),
        ({"cryptosuite": "x", "verificationMethod": VM, "created": "yesterday"}, "created"),
        ({"cryptosuite": "x", "verificationMethod": VM, "created": 5}, "created"),
        ({"cryptosuite": "x", "verificationMethod": VM, "domain": []}, "domain"),
        ({"cryptosuite": "x", "verificationMethod": VM, "previousProof": [1]}, "previous_proof"),
        ({"cryptosuite": "x", "verificationMethod": ""}, "verification_method"),
        ({"cryptosuite": "x", "verificationMethod": VM, "challenge": ""}, "challenge"),
    ],
)
def test_invalid_options_are_refused(config: dict, message: str) -> None:
    with pytest.raises(ProofError, match=message):
        ProofOptions.from_json(config)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ProofError, match="timezone-aware"):
        ProofOptions("eddsa-jcs-2022", VM, created=datetime(2024, 1, 1))
    with pytest.raises(ProofError, match="timezone-aware"):
        ProofOptions("eddsa-jcs-2022", VM, expires=datetime(2024, 1, 1))


def test_legacy_type_needs_no_cryptosuite() -> None:
    options = ProofOptions(None, VM, type="Ed25519Signature2020")
    assert "cryptosuite" not in options.to_json()
