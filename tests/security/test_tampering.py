"""Every single-field change of a signed credential is detected, by the right check.

For four variants — signed with eddsa-rdfc-2022 or eddsa-jcs-2022, each with a Bitstring Status
List entry, each with and without a blockchain anchor proof — the mutation generator
(:func:`security_testkit.mutations`) alters every leaf, removes every property, adds an
undefined property to every object, reverses every array, swaps the issuer and shifts every
date. Each mutant is verified by the real verifier (status and anchor families included) and:

* must not verify, with the check that guards the changed field among the failures (the
  signature for content, the anchor for the anchor proof, the structure check for a document
  that is no longer a credential, ``jsonld.terms`` for an undefined property...);
* unless it is an *equivalent rewrite*: with eddsa-rdfc-2022 the signature covers the RDF
  graph, not the JSON text, so reversing an unordered array (``type``, ``tag``) or removing a
  statement the document makes twice leaves the canonical N-Quads byte for byte the same; such
  a mutant must still verify (no false alarm). Reordering the proof set is equivalent too
  (proofs without ``previousProof`` are a set).

An anchor proof whose ``cryptosuite`` or ``verificationMethod`` (ledger) is changed is no longer
an anchor this verifier can read: the credential verifies like an unanchored one, with the
anchor reported as skipped or unreadable — never as passed — and where the anchor matters (the
signing key was revoked after a compromise) such a credential fails ``anchor.key``.

The counts ("mutations tried N, detected N") are printed in the terminal summary.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from security_testkit import (
    COMPROMISED_KEY,
    SUITES,
    WEB_DID,
    Mutation,
    World,
    anchor,
    build_world,
    mutations,
    sign,
    unsigned_credential,
)

from microcred.anchoring.proof import is_anchor_proof
from microcred.errors import MicrocredError
from microcred.jsonld.processing import canonize
from microcred.verification.report import Outcome, VerificationReport

#: the code(s) a change of this field of the *signature* proof must fail with
_PROOF_FIELD_CODES = {
    "created": {"proof.signature_invalid"},
    "proofPurpose": {"proof.purpose_mismatch"},
    "cryptosuite": {"proof.none-verified", "proof.malformed"},
    "verificationMethod": {"proof.key_not_found", "proof.signature_invalid", "proof.malformed"},
    "proofValue": {"proof.signature_invalid", "proof.malformed"},
    "type": {"proof.none-verified", "proof.malformed"},
}
#: a document without these is not a credential at all: the structure check says so
_STRUCTURE_CODES = {
    "@context": {"structure.context", "jsonld.contexts", "proof.unknown_context"},
    "type": {"structure.type"},
    "proof": {"structure.proof"},
}


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


def _variant(world: World, suite: str, anchored: bool) -> dict[str, Any]:
    number = SUITES.index(suite) + 1
    credential = sign(world, unsigned_credential(number=number), suite=suite)
    return anchor(world, [credential])[0] if anchored else credential


def _failed(report: VerificationReport) -> set[str]:
    return {check.code for check in report.failures}


def _rdf_equivalent(world: World, original: dict[str, Any], mutant: dict[str, Any]) -> bool:
    """Same canonical N-Quads for the document and for each proof's configuration."""

    def parts(document: dict[str, Any]) -> tuple[str, ...] | None:
        proofs = document.get("proof")
        proofs = proofs if isinstance(proofs, list) else [proofs]
        body = {k: v for k, v in document.items() if k != "proof"}
        try:
            configs = sorted(
                canonize(
                    {
                        **{k: v for k, v in p.items() if k != "proofValue"},
                        "@context": body.get("@context"),
                    },
                    world.engine.loader,
                )
                + str(p.get("proofValue"))
                for p in proofs
                if isinstance(p, dict)
            )
            return (canonize(body, world.engine.loader), *configs)
        except MicrocredError:  # what does not canonicalise is not equivalent
            return None

    before = parts(original)
    return before is not None and before == parts(mutant)


def _proof_set_reordered(mutation: Mutation) -> bool:
    return mutation.kind == "reordered" and mutation.path == ("proof",)


def _expected(mutation: Mutation, original: dict[str, Any]) -> set[str] | None:
    """Codes of which at least one must fail; ``None``: the anchor-downgrade case."""
    path = mutation.path
    if mutation.kind == "added":
        return {"jsonld.terms"}  # safe mode: an undefined property is an error, never dropped
    if path == ("proof",):
        return {"structure.proof"}
    if path[0] == "proof":
        proofs = original["proof"] if isinstance(original["proof"], list) else [original["proof"]]
        index, rest = (path[1], path[2:]) if isinstance(path[1], int) else (0, path[1:])
        if is_anchor_proof(proofs[int(index)]):
            if rest in (("cryptosuite",), ("verificationMethod",)) and mutation.kind != "removed":
                return None
            return {"anchor.inclusion", "anchor.ledger", "jsonld.terms", "proof.malformed"}
        field = str(rest[0])
        return _PROOF_FIELD_CODES.get(field, {"proof.signature_invalid"}) | {"proof.malformed"}
    expected = {"proof.signature_invalid", "proof.undefined_term"}  # the signature covers it
    return expected | _STRUCTURE_CODES.get(str(path[0]), set())


CASES = [(suite, anchored) for suite in SUITES for anchored in (False, True)]
IDS = [f"{suite}-{'anchored' if anchored else 'plain'}" for suite, anchored in CASES]


@pytest.mark.slow
@pytest.mark.parametrize(("suite", "anchored"), CASES, ids=IDS)
def test_every_single_field_change_is_detected_by_the_right_check(
    world: World, suite: str, anchored: bool, record_property: Any
) -> None:
    original = _variant(world, suite, anchored)
    baseline = world.verify(original)
    assert baseline.verified, baseline.failures
    variant = f"{suite}{' + anchor' if anchored else ''} + status"
    problems: list[str] = []
    tried = detected = equivalent = 0
    for mutation in mutations(original):
        tried += 1
        report = world.verify(mutation.document)
        failed = _failed(report)
        expected = _expected(mutation, original)
        where = f"{mutation.kind} {mutation.where}"
        if expected is None:  # anchor proof made unreadable: judged as an unanchored credential
            if _anchor_trusted(report):
                problems.append(f"{where}: the altered anchor is still trusted")
            else:
                detected += 1
        elif report.verified:
            if _proof_set_reordered(mutation) or (
                suite == "eddsa-rdfc-2022"
                and not anchored
                and _rdf_equivalent(world, original, mutation.document)
            ):
                equivalent += 1
            else:
                problems.append(f"{where}: NOT DETECTED")
        else:
            detected += 1
            if anchored and mutation.path[0] != "proof" and report.input_problem() is None:
                expected = expected | {"anchor.inclusion"}
                if "anchor.inclusion" not in failed:  # the anchor catches it independently
                    problems.append(f"{where}: anchor.inclusion did not fail")
            if not failed & expected:
                problems.append(f"{where}: failed {sorted(failed)}, expected {sorted(expected)}")
    record_property(
        "mutations",
        {"variant": variant, "tried": tried, "detected": detected, "equivalent": equivalent},
    )
    print(f"\n{variant}: mutations tried {tried}, detected {detected}, equivalent {equivalent}")
    if problems:
        pytest.fail("\n".join(problems))
    assert tried > 200 and detected + equivalent == tried
    assert {m.kind for m in mutations(original)} == {
        "altered",
        "removed",
        "added",
        "reordered",
        "issuer",
        "date",
    }


def _anchor_trusted(report: VerificationReport) -> bool:
    return any(
        c.code == "anchor.ledger" and c.outcome is Outcome.PASSED for c in report.checks
    ) or any(c.code == "anchor.key" and c.outcome is Outcome.WARNING for c in report.checks)


def test_a_made_unreadable_anchor_fails_when_the_key_was_revoked(world: World) -> None:
    """The downgrade above is harmless only while the key is trusted: once the issuer revoked
    the key (compromise), a credential without a readable anchor fails ``anchor.key``."""
    vm = f"{WEB_DID}#key-3"
    signed = sign(
        world, unsigned_credential(WEB_DID, number=9, status=False), key=COMPROMISED_KEY, vm=vm
    )
    original = anchor(world, [signed], issuer=WEB_DID)[0]
    report = world.verify(original)
    assert report.verified, report.failures  # anchored before the compromise: still trusted
    assert {c.code: c.outcome for c in report.checks}["anchor.key"] is Outcome.WARNING
    for field, value in (
        ("cryptosuite", "microcred-merkle-2099"),
        ("verificationMethod", "urn:microcred:ledger:other"),
    ):
        mutant = copy.deepcopy(original)
        mutant["proof"][1][field] = value
        report = world.verify(mutant)
        assert not report.verified, field
        assert "anchor.key" in _failed(report), (field, report.failures)
