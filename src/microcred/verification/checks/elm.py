"""Checks for ELM v3 European Digital Credentials (EDC) and JAdES-sealed envelopes.

* ``jsonld.*`` for an ELM credential: the EDC context is recognised but not bundled
  (ADR 0006), so the document is not expanded as JSON-LD; every other context must still be
  known. An ``eddsa-jcs-2022`` proof covers the JSON as written, so nothing can drop out of
  the signature; the RDF-based suites cannot verify an ELM document here (the proof check
  then fails with the unknown context).
* ``elm.elements``: which Annex I elements (Council Recommendation 2022/C 243/02) the
  credential states; missing ones are a warning, never a failure.
* ``elm.seal``: a credential inside a JAdES / JWS envelope is reported as "sealed with an
  eIDAS certificate — seal not checked here" (a warning): the seal needs the certificate
  chain and the EU trusted lists, which this verifier does not check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microcred.elm.reading import is_elm, read_elm
from microcred.elm.sealing import SealedCredential
from microcred.elm.vocabulary import ELM_CONTEXT
from microcred.errors import UnknownContextError
from microcred.jsonld.protocols import DocumentLoader
from microcred.verification import codes
from microcred.verification.checks.base import CheckContext, as_list
from microcred.verification.checks.jsonld import JsonLdCheck, context_urls
from microcred.verification.report import CheckResult, Outcome

__all__ = ["ElmAwareJsonLdCheck", "ElmCheck", "apply_seal", "seal_result"]

SEALED_MESSAGE = "Sealed with an eIDAS certificate — seal not checked here."


def _jcs_only(document: Mapping[str, Any]) -> bool:
    proofs = [p for p in as_list(document.get("proof")) if isinstance(p, Mapping)]
    return bool(proofs) and all(p.get("cryptosuite") == "eddsa-jcs-2022" for p in proofs)


class ElmAwareJsonLdCheck:
    """``jsonld.contexts`` / ``jsonld.terms``, reading ELM credentials as JSON."""

    family = codes.FAMILY_JSONLD

    def __init__(self, loader: DocumentLoader) -> None:
        self._loader = loader
        self._inner = JsonLdCheck(loader)

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        urls = context_urls(credential)
        if ELM_CONTEXT not in urls:
            return self._inner.run(credential, context)
        unknown = []
        for url in urls:
            if url == ELM_CONTEXT:
                continue
            try:
                self._loader(url)
            except UnknownContextError:
                unknown.append(url)
        if unknown:
            return self._inner.run(credential, context)
        results = [
            CheckResult.passed(
                codes.JSONLD_CONTEXTS,
                "The document is a European Digital Credential (European Learning Model); "
                f"its other vocabularies are known ({len(urls) - 1} JSON-LD contexts).",
                contexts=urls,
            )
        ]
        if _jcs_only(credential):
            results.append(
                CheckResult.passed(
                    codes.JSONLD_TERMS,
                    "The European Learning Model vocabulary is read as JSON: the signature "
                    "(eddsa-jcs-2022) covers every field exactly as written.",
                )
            )
        else:
            results.append(
                CheckResult.skipped(
                    codes.JSONLD_TERMS,
                    "Not checked: the European Learning Model vocabulary is not bundled with "
                    "this verifier, so its fields are read as JSON.",
                )
            )
        return results


class ElmCheck:
    """``elm.elements``: the Annex I elements of a European Digital Credential."""

    family = codes.FAMILY_ELM

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        if not is_elm(credential):
            return [
                CheckResult.skipped(
                    codes.ELM_ELEMENTS, "Not a European Digital Credential (ELM v3)."
                )
            ]
        view = read_elm(credential)
        present = [e.element_id for e in view.elements if e.present]
        missing = [e.label for e in view.missing]
        if missing:
            return [
                CheckResult.warning(
                    codes.ELM_ELEMENTS,
                    "This European Digital Credential does not state some mandatory EU "
                    f"standard elements: {', '.join(missing)}.",
                    present=present,
                    missing=[e.element_id for e in view.missing],
                )
            ]
        return [
            CheckResult.passed(
                codes.ELM_ELEMENTS,
                "This European Digital Credential states every mandatory EU standard element.",
                present=present,
            )
        ]


def seal_result(sealed: SealedCredential) -> CheckResult:
    """``elm.seal``: the envelope was recognised; its seal is not checked."""
    what = "a JAdES seal" if sealed.jades else "a JSON Web Signature"
    return CheckResult.warning(
        codes.ELM_SEAL,
        f"{SEALED_MESSAGE} The credential is wrapped in {what} "
        f"({sealed.serialization} serialisation); checking it needs the issuer's qualified "
        "certificate and the EU trusted lists, for example in the Europass digital "
        "credentials viewer. The content below was read from inside the seal.",
        jades=sealed.jades,
        serialization=sealed.serialization,
        algorithms=sealed.algorithms,
        certificate=sealed.has_certificate,
    )


def apply_seal(checks: list[CheckResult], sealed: SealedCredential) -> list[CheckResult]:
    """The payload's checks with the seal in place of the missing embedded proof.

    A sealed payload normally carries no Data Integrity proof: the "no proof" failure is
    replaced by :func:`seal_result`. Any other result is kept as it is.
    """
    kept: list[CheckResult] = []
    for check in checks:
        if check.code == codes.STRUCTURE_PROOF and check.outcome is Outcome.FAILED:
            continue
        kept.append(check)
    kept.append(seal_result(sealed))
    return kept
