"""Hostile and random input never crashes the verifier: it always yields a report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from verification_testkit import NOW

from microcred.clock import FixedClock
from microcred.verification.report import Outcome, VerificationReport
from microcred.wiring import build_engine

VC = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "did:key:z6Mk", "https://x.example/a", "urn:uuid:1", "@id", "#frag"])
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "type", "@context", "name", "proof", "@id", "x"])
            | st.text(max_size=5),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)

credential_like = st.fixed_dictionaries(
    {},
    optional={
        "@context": st.one_of(
            st.just([VC, OB]), st.just(VC), st.lists(st.sampled_from([VC, OB, {"x": "@id"}, 3]))
        ),
        "id": json_values,
        "type": st.one_of(st.just(["VerifiableCredential", "OpenBadgeCredential"]), json_values),
        "issuer": json_values,
        "validFrom": st.one_of(st.just("2026-01-01T00:00:00Z"), json_values),
        "validUntil": json_values,
        "credentialSubject": json_values,
        "credentialStatus": json_values,
        "proof": st.one_of(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["DataIntegrityProof", "Ed25519Signature2020", "X"]),
                    "cryptosuite": st.sampled_from(["eddsa-rdfc-2022", "eddsa-jcs-2022", "x"]),
                    "verificationMethod": st.sampled_from(
                        [
                            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
                            "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
                            "did:web:example.com#k",
                            "https://x.example/k",
                            "did:key:zBAD#zBAD",
                        ]
                    ),
                    "proofPurpose": st.sampled_from(["assertionMethod", "authentication"]),
                    "proofValue": st.sampled_from(["z3", "zzz", "", "u123"]),
                    "created": st.sampled_from(["2026-01-01T00:00:00Z", "nope"]),
                }
            ),
            json_values,
        ),
    },
)


@pytest.fixture(scope="module")
def verifier():  # type: ignore[no-untyped-def]
    return build_engine(allow_network=False, clock=FixedClock(NOW)).verifier


def _assert_sound(report: VerificationReport) -> None:
    json.dumps(report.to_json())
    assert report.verified is False  # nothing random carries a valid signature
    assert report.checks
    for check in report.checks:
        assert isinstance(check.message, str) and check.message
        assert check.outcome in Outcome


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=credential_like)
def test_random_credential_like_objects_yield_reports(verifier, document: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    _assert_sound(verifier.verify_credential(document))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=json_values.filter(lambda v: not isinstance(v, str)))  # text is misuse
def test_random_json_values_yield_reports(verifier, value: Any) -> None:  # type: ignore[no-untyped-def]
    _assert_sound(verifier.verify_credential(value))
    _assert_sound(verifier.verify_presentation(value))
