"""eddsa-jcs-2022 remembers the canonical proof configuration: exact keys, same answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022, _config_key, jcs
from microcred.proof.data_integrity import add_proof, verify_proofs
from microcred.proof.options import ProofOptions
from microcred.proof.registry import CryptosuiteRegistry

PAIR = Ed25519KeyPair.from_seed(bytes(range(32)))
VM = f"did:key:{PAIR.public_key_multibase}#{PAIR.public_key_multibase}"


class _Keys:
    def resolve(self, vm_url: str, purpose: str = "assertionMethod") -> Any:
        from microcred.did.dereference import VerificationMethod

        return VerificationMethod(
            id=VM,
            type="Multikey",
            controller=VM.split("#")[0],
            public_key=PAIR.public_bytes,
            revoked=None,
        )


def _document(n: int) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:uuid:{n}",
        "type": ["VerifiableCredential"],
        "issuer": VM.split("#")[0],
        "credentialSubject": {"name": f"Learner {n}"},
    }


def _options(second: int = 0) -> ProofOptions:
    created = datetime(2026, 1, 1, 9, 0, second, tzinfo=UTC)
    return ProofOptions(cryptosuite="eddsa-jcs-2022", verification_method=VM, created=created)


def test_one_entry_serves_many_proofs_and_every_proof_still_verifies() -> None:
    suite = EddsaJcs2022()
    registry = CryptosuiteRegistry([suite])
    signed = [add_proof(_document(n), suite, _options(), PAIR.signer(VM)) for n in range(5)]
    assert len(suite._configs) == 1
    fresh = EddsaJcs2022()  # no memory: the same proofs, computed from scratch
    for document in signed:
        assert [r.verified for r in verify_proofs(document, registry, _Keys())] == [True]
        assert fresh.verify_proof(
            {k: v for k, v in document.items() if k != "proof"},
            document["proof"],
            PAIR.public_bytes,
        )


def test_a_changed_configuration_member_is_not_served_from_memory() -> None:
    suite = EddsaJcs2022()
    registry = CryptosuiteRegistry([suite])
    signed = add_proof(_document(1), suite, _options(), PAIR.signer(VM))
    assert verify_proofs(signed, registry, _Keys())[0].verified
    for member, value in (
        ("created", "2026-01-01T09:00:01Z"),
        ("proofPurpose", "authentication"),
        ("@context", ["https://www.w3.org/ns/credentials/v2", "https://example.org/x"]),
    ):
        tampered = {**signed, "proof": {**signed["proof"], member: value}}
        result = verify_proofs(tampered, registry, _Keys())[0]
        assert not result.verified, member


def test_keys_are_exact() -> None:
    base = {"type": "DataIntegrityProof", "proofPurpose": "assertionMethod"}
    assert _config_key({**base, "domain": ["a"]}) != _config_key({**base, "domain": "a"})
    assert _config_key({**base, "proofValue": "z1"}) == _config_key(base)
    assert _config_key({**base, "x": 1}) is None  # not a string: computed every time
    assert _config_key({**base, "x": ["a", 1]}) is None
    assert _config_key({**base, "proofValue": 5}) == _config_key(base)  # never part of it
    # the key is flat (name, value, name, value, ...): members never run together
    assert _config_key({"a": "b", "c": "d"}) != _config_key({"a": "c", "b": "d"})
    assert _config_key({"a": ["b", "c"]}) != _config_key({"a": "b", "c": "c"})
    assert _config_key({"a": []}) != _config_key({"a": ""})
    # the remembered bytes are the canonical form itself
    suite = EddsaJcs2022()
    options = {**base, "cryptosuite": "eddsa-jcs-2022", "created": "2026-01-01T00:00:00Z"}
    first = suite._signing_input({"a": 1}, options, validated=True)
    again = suite._signing_input({"a": 2}, dict(reversed(list(options.items()))), validated=True)
    assert first.canonical_proof_config == again.canonical_proof_config == jcs(options)
    assert first.document_hash != again.document_hash
