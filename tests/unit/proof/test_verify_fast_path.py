"""verify_proofs' fast path gives exactly the full path's results, on good and bad proofs.

``_verify_fast`` handles the common case (a ``DataIntegrityProof`` of exact JSON types,
not chained, whose suite verifies parsed proofs) and declines everything else. Each test
runs a document through ``verify_proofs`` as it is and with the fast path switched off
(the full path alone) and requires equal ``ProofResult`` lists: codes, messages and every
other field. Documents come from signing a credential and then changing one thing in the
proof, the document, the keys, the expected purpose or the clock.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from proof_testkit import CREATED, Methods, credential, did_of, key_pair, vm_of

from microcred.proof import data_integrity
from microcred.proof._encoding import encode_proof_value
from microcred.proof.cryptosuites.eddsa_jcs_2022 import EddsaJcs2022
from microcred.proof.cryptosuites.eddsa_rdfc_2022 import EddsaRdfc2022
from microcred.proof.data_integrity import add_proof, verify_proofs
from microcred.proof.options import ProofOptions
from microcred.proof.purposes import AssertionMethodPurpose, AuthenticationPurpose
from microcred.proof.registry import CryptosuiteRegistry
from microcred.proof.results import ProofCode, ProofResult

SUITE = EddsaJcs2022()
REGISTRY = CryptosuiteRegistry([SUITE])
ISSUER_KEY = key_pair(11)
OTHER_KEY = key_pair(12)
UNKNOWN_KEY = key_pair(13)


def _signed(**extra: Any) -> dict[str, Any]:
    options = ProofOptions("eddsa-jcs-2022", vm_of(ISSUER_KEY), created=CREATED, **extra)
    document = credential(did_of(ISSUER_KEY), credentialSubject={"id": "did:ex:1", "n": 7})
    return add_proof(document, SUITE, options, ISSUER_KEY.signer(vm_of(ISSUER_KEY)))


SIGNED = _signed()
SIGNED_FOR_LOGIN = _signed(proof_purpose="authentication", challenge="c-1", domain="example.org")


@contextmanager
def _full_path_only() -> Iterator[None]:
    saved = data_integrity._verify_fast
    data_integrity._verify_fast = lambda *args: None  # type: ignore[assignment]
    try:
        yield
    finally:
        data_integrity._verify_fast = saved


def _both(document: Any, methods_of: Any = None, **kwargs: Any) -> list[ProofResult]:
    """verify_proofs with and without the fast path; they must agree (and key lookups too)."""
    fast_methods = (methods_of or _methods)()
    fast = verify_proofs(document, REGISTRY, fast_methods, **kwargs)
    full_methods = (methods_of or _methods)()
    with _full_path_only():
        full = verify_proofs(document, REGISTRY, full_methods, **kwargs)
    assert fast == full
    assert [vars(r) for r in fast] == [vars(r) for r in full]
    assert fast_methods.calls == full_methods.calls  # the key is looked up as often
    return fast


def _methods() -> Methods:
    return Methods().add(ISSUER_KEY).add(OTHER_KEY)


def test_the_common_case_takes_the_fast_path() -> None:
    unsecured = {k: v for k, v in SIGNED.items() if k != "proof"}
    purpose = AssertionMethodPurpose()
    fast = data_integrity._verify_fast(
        0, SIGNED["proof"], REGISTRY, _methods(), purpose, unsecured, None
    )
    assert fast is not None and fast.code == ProofCode.VERIFIED
    [result] = _both(SIGNED)
    assert result == fast


def test_verified_results_are_remembered_and_equal() -> None:
    first = verify_proofs(SIGNED, REGISTRY, _methods())
    second = verify_proofs(copy.deepcopy(SIGNED), REGISTRY, _methods())
    assert first == second and first[0].verified


def test_a_missing_key_is_looked_up_once() -> None:
    methods = Methods().add(OTHER_KEY)
    [result] = verify_proofs(SIGNED, REGISTRY, methods)
    assert result.code == ProofCode.KEY_NOT_FOUND
    assert len(methods.calls) == 1


# ---------------------------------------------------------------- changes to the proof

PROOF_VALUES: list[Any] = [
    "x",
    "",
    "   ",
    None,
    7,
    1.5,
    True,
    [],
    ["a"],
    ["a", ""],
    {"id": "x"},
    "DataIntegrityProof",
    "eddsa-rdfc-2022",
    "Ed25519Signature2020",
    "authentication",
    "2024-05-01T12:00:00Z",
    "2024-05-01T12:00:01Z",
    "2000-01-01T00:00:00Z",
    "2999-01-01T00:00:00+01:00",
    "2024-05-01 12:00:00",
    encode_proof_value(bytes(64)),
    encode_proof_value(bytes(63)),
    "z" + "0" * 10,
    vm_of(OTHER_KEY),
    vm_of(UNKNOWN_KEY),
    "https://www.w3.org/ns/credentials/v2",
    ["https://www.w3.org/ns/credentials/v2"],
    ["https://www.w3.org/ns/credentials/v2", "https://example.org/extra"],
    [{"@vocab": "https://example.org/"}],
    "urn:proof:1",
    "c-1",
    "example.org",
    ["example.org"],
    ["example.org", "other.example"],
]
PROOF_KEYS = [
    "@context",
    "type",
    "cryptosuite",
    "created",
    "expires",
    "verificationMethod",
    "proofPurpose",
    "proofValue",
    "id",
    "challenge",
    "domain",
    "nonce",
    "previousProof",
    "extra",
]
PROOF_CHANGES = st.dictionaries(
    st.sampled_from(PROOF_KEYS),
    st.one_of(st.just(...), st.sampled_from(PROOF_VALUES)),
    max_size=3,
)
DOCUMENT_CHANGES = st.dictionaries(
    st.sampled_from(["@context", "issuer", "holder", "credentialSubject", "validFrom"]),
    st.one_of(
        st.just(...),
        st.sampled_from(
            [
                "x",
                did_of(ISSUER_KEY),
                did_of(OTHER_KEY),
                {"id": did_of(ISSUER_KEY)},
                {"name": "no id"},
                ["https://www.w3.org/ns/credentials/v2"],
                ["https://www.w3.org/ns/credentials/v2", "https://example.org/extra"],
                {"id": "did:ex:1", "n": 7.5},
                {"id": "did:ex:1", "n": 7},
            ]
        ),
    ),
    max_size=2,
)
PURPOSES = st.sampled_from(
    [
        {},
        {"purpose": AssertionMethodPurpose(require_issuer_controller=False)},
        {"expected_purpose": "authentication"},
        {"expected_purpose": "authentication", "challenge": "c-1", "domain": "example.org"},
        {"challenge": "c-1"},
        {"domain": ["example.org", "other.example"]},
        {"now": CREATED + timedelta(days=1)},
        {"now": CREATED - timedelta(days=1)},
    ]
)
KEYS = st.sampled_from(["usual", "revoked_after", "revoked_before", "expired", "no_purpose"])


def _key_setup(name: str) -> Any:
    def methods() -> Methods:
        if name == "revoked_after":
            return Methods().add(ISSUER_KEY, revoked=CREATED + timedelta(hours=1))
        if name == "revoked_before":
            return Methods().add(ISSUER_KEY, revoked=CREATED)
        if name == "expired":
            return Methods().add(ISSUER_KEY, expires=CREATED - timedelta(seconds=1))
        if name == "no_purpose":
            return Methods().add(ISSUER_KEY, purposes=("authentication",))
        return _methods()

    return methods


def _changed(source: dict[str, Any], changes: dict[str, Any], *, in_proof: bool) -> dict[str, Any]:
    document = copy.deepcopy(source)
    target = document["proof"] if in_proof else document
    for key, value in changes.items():
        if value is ...:
            target.pop(key, None)
        else:
            target[key] = copy.deepcopy(value)
    return document


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([SIGNED, SIGNED_FOR_LOGIN]),
    PROOF_CHANGES,
    DOCUMENT_CHANGES,
    PURPOSES,
    KEYS,
)
@example(SIGNED, {}, {}, {}, "usual")
@example(SIGNED, {"proofValue": encode_proof_value(bytes(64))}, {}, {}, "usual")
@example(SIGNED, {}, {"credentialSubject": {"id": "did:ex:1", "n": 7.5}}, {}, "usual")
@example(SIGNED, {"@context": ...}, {}, {}, "usual")
@example(SIGNED, {"expires": "2000-01-01T00:00:00Z"}, {}, {"now": CREATED}, "usual")
@example(SIGNED, {}, {}, {}, "revoked_before")
@example(SIGNED, {}, {"issuer": did_of(OTHER_KEY)}, {}, "usual")
@example(
    SIGNED_FOR_LOGIN,
    {},
    {"holder": did_of(OTHER_KEY)},
    {"expected_purpose": "authentication"},
    "usual",
)
def test_fast_and_full_paths_agree(
    source: dict[str, Any],
    proof_changes: dict[str, Any],
    document_changes: dict[str, Any],
    purpose: dict[str, Any],
    keys: str,
) -> None:
    document = _changed(source, proof_changes, in_proof=True)
    document = _changed(document, document_changes, in_proof=False)
    _both(document, _key_setup(keys), **purpose)


@pytest.mark.parametrize(
    "proof",
    [
        "not an object",
        None,
        [],
        {"type": "MerkleAnchorProof2026"},
        {**SIGNED["proof"], "cryptosuite": "unknown-suite"},
        {**SIGNED["proof"], "type": "Ed25519Signature2020"},
    ],
)
def test_proofs_outside_the_fast_path_agree(proof: Any) -> None:
    _both({**SIGNED, "proof": proof})


def test_proof_sets_and_chains_agree() -> None:
    first = _signed(id="urn:proof:1")
    options = ProofOptions(
        "eddsa-jcs-2022",
        vm_of(OTHER_KEY),
        created=CREATED,
        previous_proof="urn:proof:1",
    )
    chained = add_proof(first, SUITE, options, OTHER_KEY.signer(vm_of(OTHER_KEY)))
    loose = AssertionMethodPurpose(require_issuer_controller=False)
    assert [r.code for r in _both(chained, purpose=loose)] == [ProofCode.VERIFIED] * 2
    broken = copy.deepcopy(chained)
    broken["proof"][0]["created"] = "2024-05-01T12:00:01Z"
    codes = [r.code for r in _both(broken, purpose=loose)]
    assert codes == [ProofCode.SIGNATURE_INVALID, ProofCode.SIGNATURE_INVALID]


@pytest.mark.parametrize(
    "proof",
    ["absent", None, [], "one", "a list of one", "a list of two"],
)
def test_a_dict_document_and_other_mappings_give_the_same_results(proof: Any) -> None:
    """verify_proofs splits an exact dict by a C copy and other mappings member by member;
    the proofs found and the document checked are the same either way."""
    from collections import OrderedDict
    from types import MappingProxyType

    document = {k: v for k, v in SIGNED.items() if k != "proof"}
    if proof == "one":
        document["proof"] = SIGNED["proof"]
    elif proof == "a list of one":
        document["proof"] = [SIGNED["proof"]]
    elif proof == "a list of two":
        document["proof"] = [
            SIGNED["proof"],
            {**SIGNED["proof"], "created": "2024-05-01T12:00:01Z"},
        ]
    elif proof != "absent":
        document["proof"] = proof
    before = copy.deepcopy(document)
    results = _both(document)
    for other in (OrderedDict(document), MappingProxyType(document)):
        assert _both(other) == results
    assert document == before  # the caller's document keeps its proof
    if proof == "a list of two":
        assert [r.code for r in results] == [ProofCode.VERIFIED, ProofCode.SIGNATURE_INVALID]


def test_a_presentation_purpose_agrees() -> None:
    login = AuthenticationPurpose(challenge="c-1", domain="example.org")
    [result] = _both(SIGNED_FOR_LOGIN, purpose=login)
    assert result.verified
    [wrong] = _both(SIGNED_FOR_LOGIN, purpose=AuthenticationPurpose(challenge="c-2"))
    assert wrong.code == ProofCode.CHALLENGE_MISMATCH


def test_a_suite_without_verify_parsed_proof_takes_the_full_path() -> None:
    class Plain:
        name = "eddsa-jcs-2022"
        proof_type = "DataIntegrityProof"
        legacy = False

        def create_proof(self, *args: Any) -> dict[str, Any]:
            raise NotImplementedError

        def verify_proof(self, unsecured: Any, proof: Any, public_key: bytes) -> bool:
            return SUITE.verify_proof(unsecured, proof, public_key)

    registry = CryptosuiteRegistry([Plain()])
    unsecured = {k: v for k, v in SIGNED.items() if k != "proof"}
    purpose = AssertionMethodPurpose()
    assert (
        data_integrity._verify_fast(
            0, SIGNED["proof"], registry, _methods(), purpose, unsecured, None
        )
        is None
    )
    [result] = verify_proofs(SIGNED, registry, _methods())
    assert result.verified


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"credentialSubject": {"id": "did:ex:1", "n": 8}},  # tampered
        {"credentialSubject": {"id": "did:ex:1", "undefinedTerm": 1}},  # not in any context
        {"@context": ["https://www.w3.org/ns/credentials/v2", "https://unknown.example/ctx"]},
    ],
)
def test_rdfc_proofs_agree(change: dict[str, Any]) -> None:
    # eddsa-rdfc-2022 also verifies parsed proofs, so its proofs take the fast path too;
    # its JSON-LD errors must map to the same results there
    from microcred.jsonld.static_loader import StaticDocumentLoader

    rdfc = EddsaRdfc2022(StaticDocumentLoader.bundled())
    registry = CryptosuiteRegistry([rdfc, SUITE])
    options = ProofOptions("eddsa-rdfc-2022", vm_of(ISSUER_KEY), created=CREATED)
    signed = add_proof(
        credential(did_of(ISSUER_KEY)), rdfc, options, ISSUER_KEY.signer(vm_of(ISSUER_KEY))
    )
    document = {**signed, **change}
    fast = verify_proofs(document, registry, _methods())
    with _full_path_only():
        full = verify_proofs(document, registry, _methods())
    assert fast == full
    assert fast[0].verified == (not change)
