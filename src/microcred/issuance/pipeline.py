"""The issuance pipeline: compose -> validate -> sign -> self-verify.

Pure orchestration: everything with side effects (the key, the clock's ``now``, the
verifier) is passed in. Steps:

1. *compose* (optional, :meth:`IssuancePipeline.compose_and_issue`): build the unsigned
   Open Badges 3.0 credential with :func:`microcred.definition.compose_credential`.
2. *validate*: the credential must pass the :class:`~microcred.model.OpenBadgeCredential`
   model, carry no proof yet, not be expired at ``now``, name the signer's DID as its issuer
   and, JSON-LD "safe mode", use no term that its contexts leave undefined (such a term
   would silently fall out of the canonical form and so out of what the signature covers).
3. *sign*: add one Data Integrity proof (VC Data Integrity 1.0 §4.2 "Add Proof") with the
   named cryptosuite from the injected :class:`~microcred.proof.registry.CryptosuiteRegistry`,
   ``proofPurpose`` ``assertionMethod`` and ``created`` = ``now``.
4. *self-verify*: run the injected verifier on the result and refuse to hand out a
   credential that does not verify (:class:`~microcred.errors.ProofError`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from microcred.definition.compose import compose_credential
from microcred.errors import InvalidInput, ProofError, UndefinedTermError
from microcred.jsonld.protocols import DocumentLoader
from microcred.keys.protocols import Signer
from microcred.model.openbadges import OpenBadgeCredential
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.proof.registry import CryptosuiteRegistry

__all__ = ["IssuancePipeline", "SelfVerificationResult", "UndefinedTermsFinder"]


class SelfVerificationResult(Protocol):
    """What the pipeline reads from a verification report."""

    @property
    def verified(self) -> bool: ...


class _ReportVerifier(Protocol):
    """A :class:`microcred.verification.verifier.Verifier`-like object."""

    def verify_credential(self, credential: Any) -> SelfVerificationResult: ...


#: ``find_undefined_terms(document, loader) -> [term, ...]`` (``microcred.jsonld.processing``).
UndefinedTermsFinder = Callable[[Mapping[str, Any], DocumentLoader], list[str]]
SelfVerify = Callable[[dict[str, Any]], SelfVerificationResult]


def _default_finder() -> UndefinedTermsFinder | None:
    """``microcred.jsonld.processing.find_undefined_terms`` if that module is installed."""
    try:
        module = importlib.import_module("microcred.jsonld.processing")
    except ModuleNotFoundError:
        return None
    finder = getattr(module, "find_undefined_terms", None)
    return finder if callable(finder) else None


def _failure_summary(report: SelfVerificationResult) -> str:
    """The plain-language messages of the failed checks, if the report lists them."""
    messages: list[str] = []
    for check in getattr(report, "checks", None) or []:
        outcome = getattr(check, "outcome", None)
        if str(getattr(outcome, "value", outcome)) == "failed":
            code = getattr(check, "code", "")
            messages.append(f"{code}: {getattr(check, 'message', '')}".strip(": "))
    return "; ".join(messages)


def _did_of(verification_method: str) -> str:
    return verification_method.split("#", 1)[0]


class IssuancePipeline:
    """Issue Open Badges 3.0 credentials that are known to verify.

    ``registry`` holds the cryptosuites that may sign; ``loader`` serves the bundled
    JSON-LD contexts (used by the safe-mode check); ``verifier`` is either a callable
    ``verify(secured) -> report`` or an object with ``verify_credential(secured)``; the
    report needs a ``verified`` attribute. ``find_undefined_terms`` defaults to
    ``microcred.jsonld.processing.find_undefined_terms`` when available.
    """

    def __init__(
        self,
        registry: CryptosuiteRegistry,
        loader: DocumentLoader | None,
        verifier: SelfVerify | _ReportVerifier,
        *,
        find_undefined_terms: UndefinedTermsFinder | None = None,
    ) -> None:
        self._registry = registry
        self._loader = loader
        if callable(verifier):
            self._verify: SelfVerify = verifier
        elif callable(getattr(verifier, "verify_credential", None)):
            self._verify = verifier.verify_credential
        else:
            raise TypeError("verifier must be callable or have a verify_credential method")
        self._find_undefined = find_undefined_terms or _default_finder()

    @property
    def registry(self) -> CryptosuiteRegistry:
        """The cryptosuites this pipeline signs with."""
        return self._registry

    # -- steps ----------------------------------------------------------------------

    def validate(
        self, unsigned: Mapping[str, Any], *, now: datetime, signer: Signer | None = None
    ) -> OpenBadgeCredential:
        """Check ``unsigned`` before signing; returns the parsed model."""
        if not isinstance(unsigned, Mapping):
            raise InvalidInput("the credential to issue must be a JSON object")
        if "proof" in unsigned:
            raise InvalidInput("the credential already has a proof; issue an unsigned credential")
        _require_aware(now)
        credential = OpenBadgeCredential.from_json(dict(unsigned))
        if credential.valid_until is not None and _parse(credential.valid_until) <= now:
            raise InvalidInput(
                f"the credential expires ({credential.valid_until}) before it is issued ({now})"
            )
        issuer = credential.issuer_id
        if signer is not None and issuer.startswith("did:"):
            key_did = _did_of(signer.verification_method)
            if key_did != issuer:
                raise ProofError(
                    f"the signing key {signer.verification_method} belongs to {key_did}, not to "
                    f"the credential's issuer {issuer}"
                )
        if self._find_undefined is not None and self._loader is not None:
            undefined = self._find_undefined(unsigned, self._loader)
            if undefined:
                raise UndefinedTermError(
                    "these properties or types are not defined by any of the credential's "
                    f"contexts and would not be covered by the signature: {', '.join(undefined)}",
                    terms=list(undefined),
                )
        return credential

    def sign(
        self,
        unsigned: Mapping[str, Any],
        signer: Signer,
        suite_name: str,
        *,
        now: datetime,
        proof_id: str | None = None,
    ) -> dict[str, Any]:
        """Add one ``assertionMethod`` proof made with ``suite_name`` (no checks)."""
        suite = self._registry.get(suite_name)
        options = ProofOptions(
            cryptosuite=suite.name,
            verification_method=signer.verification_method,
            proof_purpose="assertionMethod",
            created=now,
            id=proof_id,
            type=suite.proof_type,
        )
        return add_proof(unsigned, suite, options, signer)

    def self_verify(self, secured: dict[str, Any]) -> None:
        """Raise :class:`ProofError` unless the injected verifier accepts ``secured``."""
        report = self._verify(secured)
        if not report.verified:
            why = _failure_summary(report)
            raise ProofError(
                "the credential did not verify right after signing, so it was not issued"
                + (f": {why}" if why else ""),
                report=_report_json(report),
            )

    # -- whole pipeline ---------------------------------------------------------------

    def issue(
        self,
        unsigned: Mapping[str, Any],
        signer: Signer,
        suite_name: str,
        *,
        now: datetime,
        proof_id: str | None = None,
    ) -> dict[str, Any]:
        """Validate, sign and self-verify ``unsigned``; return the secured credential."""
        self.validate(unsigned, now=now, signer=signer)
        secured = self.sign(unsigned, signer, suite_name, now=now, proof_id=proof_id)
        self.self_verify(secured)
        return secured

    def compose_and_issue(
        self,
        *args: Any,
        signer: Signer,
        suite_name: str,
        now: datetime,
        **compose_options: Any,
    ) -> dict[str, Any]:
        """:func:`~microcred.definition.compose_credential` then :meth:`issue`.

        Positional arguments and other keyword arguments go to ``compose_credential``
        (``achievement, learner, issuer, credential_id=..., valid_from=...``).
        """
        unsigned = compose_credential(*args, **compose_options)
        return self.issue(unsigned, signer, suite_name, now=now)


def _require_aware(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("'now' must be a timezone-aware datetime")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _report_json(report: SelfVerificationResult) -> Any:
    to_json = getattr(report, "to_json", None)
    return to_json() if callable(to_json) else None
