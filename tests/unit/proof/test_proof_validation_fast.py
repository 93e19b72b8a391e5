"""parse_proof's plain branch agrees with its general checks on every proof.

``_parse_plain`` handles proofs of exact JSON types that pass every check and answers
None for anything else; the general code then accepts or refuses. The property: for any
proof (good members, bad members, missing members, odd Python types), the plain branch
either declines or returns exactly what the general code returns, and it never accepts a
proof the general code refuses.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from microcred.proof._encoding import encode_proof_value
from microcred.proof._validation import _parse_general, _parse_plain, parse_proof
from microcred.proof.results import ProofCheckError, ProofCode


class Text(str):
    pass


SIGNATURE = encode_proof_value(bytes(range(64)))
GOOD: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2024-05-01T12:00:00Z",
    "verificationMethod": "did:key:z6Mk#z6Mk",
    "proofPurpose": "assertionMethod",
    "proofValue": SIGNATURE,
}
KEYS = [
    *GOOD,
    "id",
    "expires",
    "challenge",
    "nonce",
    "domain",
    "previousProof",
    "other",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "x",
            "urn:uuid:1",
            "DataIntegrityProof",
            "eddsa-jcs-2022",
            "eddsa-rdfc-2022",
            "Ed25519Signature2020",
            "assertionMethod",
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.5+02:00",
            "2024-13-01T12:00:00Z",
            "2024-05-01 12:00:00Z",
            SIGNATURE,
            "z",
            "z0OIl",
            "u" + SIGNATURE[1:],
            encode_proof_value(bytes(65)),
            Text("x"),
            Text(SIGNATURE),
            None,
            0,
            1,
            True,
            1.5,
            [],
            [""],
            ["a"],
            ["a", "b"],
            ["a", 1],
            [Text("a")],
            ("a",),
            {},
            {"@vocab": "https://example.org/"},
        ]
    ),
    st.text(max_size=8),
)
CHANGES = st.dictionaries(st.sampled_from(KEYS), st.one_of(st.just(...), VALUES), max_size=4)
EXPECTED = st.sampled_from(
    [
        (None, None),
        ("DataIntegrityProof", "eddsa-jcs-2022"),
        ("DataIntegrityProof", "eddsa-rdfc-2022"),
        ("Ed25519Signature2020", None),
    ]
)


def _proof(changes: dict[str, Any]) -> dict[str, Any]:
    proof = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            proof.pop(key, None)
        else:
            proof[key] = value
    return proof


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHANGES, EXPECTED)
@example({}, ("DataIntegrityProof", "eddsa-jcs-2022"))
@example({"@context": "https://example.org/ctx", "domain": ["a", "b"]}, (None, None))
@example({"previousProof": "urn:p", "expires": "2030-01-01T00:00:00Z"}, (None, None))
@example({"cryptosuite": ...}, ("Ed25519Signature2020", None))
def test_plain_branch_agrees_with_the_general_checks(
    changes: dict[str, Any], expected: tuple[str | None, str | None]
) -> None:
    proof = _proof(changes)
    expected_type, expected_cryptosuite = expected
    plain = _parse_plain(proof, expected_type, expected_cryptosuite)
    try:
        general = _parse_general(proof, expected_type, expected_cryptosuite)
    except ProofCheckError as exc:
        assert exc.code == ProofCode.MALFORMED
        assert plain is None  # never accepts what the general checks refuse
        return
    if plain is not None:
        assert plain == general
        assert type(plain) is type(general)
        assert vars(plain) == vars(general)


def test_the_common_proof_takes_the_plain_branch() -> None:
    plain = _parse_plain(GOOD, "DataIntegrityProof", "eddsa-jcs-2022")
    assert plain is not None
    assert plain == parse_proof(
        GOOD, expected_type="DataIntegrityProof", expected_cryptosuite="eddsa-jcs-2022"
    )
    assert plain.context == ["https://www.w3.org/ns/credentials/v2"]
    assert plain.context is not GOOD["@context"]  # a copy, as context_values makes
    assert plain.signature == bytes(range(64))
