"""Proof checks: every Data Integrity proof, one result each.

Data Integrity 1.0 §4.4 / §4.5 (Verify Proof, Verify Proof Sets and Chains), via
:func:`microcred.proof.data_integrity.verify_proofs`; each ``ProofResult`` keeps
its code. Outcomes: verified -> passed (a legacy ``Ed25519Signature2020`` proof
-> warning); a proof type or cryptosuite this verifier does not implement ->
skipped; anything else -> failed. At least one signature must verify
(``proof.none-verified`` otherwise). An anchor proof (cryptosuite ``microcred-merkle-2026``)
is reported skipped with a message pointing to the ``anchor`` family, which checks it.

Whether the key belongs to the issuer is reported separately by the
``issuer.key`` check, so the proofs are verified here without that rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microcred.anchoring.proof import ANCHOR_CRYPTOSUITE
from microcred.errors import MicrocredError
from microcred.proof.data_integrity import verify_proofs
from microcred.proof.purposes import (
    AssertionMethodPurpose,
    ProofPurpose,
    VerificationMethodLookup,
)
from microcred.proof.registry import CryptosuiteRegistry
from microcred.proof.results import ProofCode, ProofResult
from microcred.verification import codes
from microcred.verification.checks.base import CheckContext
from microcred.verification.report import CheckResult, Outcome

__all__ = ["ProofCheck", "proof_check_results"]

_NOT_IMPLEMENTED = frozenset({ProofCode.UNSUPPORTED_TYPE, ProofCode.UNKNOWN_CRYPTOSUITE})


def _outcome(result: ProofResult) -> Outcome:
    if result.skipped or result.code in _NOT_IMPLEMENTED:
        return Outcome.SKIPPED
    if result.verified:
        return Outcome.WARNING if result.legacy else Outcome.PASSED
    return Outcome.FAILED


def proof_check_results(
    results: Sequence[ProofResult], *, what: str = "credential"
) -> list[CheckResult]:
    """Turn ``ProofResult``s into check results, adding ``proof.none-verified`` if needed."""
    checks: list[CheckResult] = []
    for result in results:
        details: dict[str, Any] = result.to_json()
        details.pop("message", None)
        details.pop("code", None)
        message = result.message
        if (
            result.code == ProofCode.UNKNOWN_CRYPTOSUITE
            and result.cryptosuite == ANCHOR_CRYPTOSUITE
        ):
            message = (
                "This is a blockchain anchor proof, not a signature: the anchor check reports "
                "on it."
            )
        checks.append(CheckResult(result.code, _outcome(result), message, details))
    if not results:
        return [CheckResult.skipped(codes.FAMILY_PROOF, f"The {what} has no proof to check.")]
    if not any(c.outcome in (Outcome.PASSED, Outcome.WARNING) for c in checks) and not any(
        c.outcome is Outcome.FAILED for c in checks
    ):
        checks.append(
            CheckResult.failed(
                codes.PROOF_NONE_VERIFIED,
                f"None of the {what}'s proofs is a signature this verifier can check, so "
                "nothing confirms who issued it or that it is unchanged.",
                types=[r.type for r in results],
            )
        )
    return checks


class ProofCheck:
    """Per-proof results from ``verify_proofs`` (purpose ``assertionMethod``)."""

    family = codes.FAMILY_PROOF

    def __init__(
        self,
        registry: CryptosuiteRegistry,
        vm_resolver: VerificationMethodLookup,
        *,
        purpose: ProofPurpose | None = None,
    ) -> None:
        self._registry = registry
        self._vm_resolver = vm_resolver
        self._purpose = purpose or AssertionMethodPurpose(require_issuer_controller=False)

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        try:
            results = verify_proofs(
                credential,
                self._registry,
                self._vm_resolver,
                now=context.now,
                purpose=self._purpose,
            )
        except MicrocredError as error:
            return [
                CheckResult.failed(
                    codes.PROOF_ERROR,
                    f"The signatures could not be checked: {error.detail}",
                    type=error.type_uri,
                )
            ]
        return proof_check_results(results)
