"""Structure checks of a verifiable presentation.

VC Data Model 2.0 §4.13 (Verifiable Presentations): ``@context`` starts with the
VC context, ``type`` includes ``VerifiablePresentation``, ``holder`` (optional) is
a URL, ``verifiableCredential`` holds credentials (objects; enveloped
credentials are not read by this verifier). The holder's proof (purpose
``authentication``, Data Integrity 1.0 §2.2) is checked by the verifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microcred.verification import codes
from microcred.verification.checks.base import (
    VC_V2,
    as_list,
    credential_version,
    is_absolute_iri,
    type_values,
)
from microcred.verification.report import CheckFailed, CheckResult

__all__ = ["check_presentation_structure", "check_presentation_type", "embedded_credentials"]


def check_presentation_type(presentation: Mapping[str, Any]) -> CheckResult:
    """``presentation.type``: the type includes VerifiablePresentation."""
    types = type_values(presentation)
    if "VerifiablePresentation" not in types:
        return CheckResult.failed(
            codes.PRESENTATION_TYPE,
            "This is not a verifiable presentation: its type does not include "
            "VerifiablePresentation.",
            types=types,
        )
    return CheckResult.passed(
        codes.PRESENTATION_TYPE, "This is a verifiable presentation.", types=types
    )


def _structure(presentation: Mapping[str, Any]) -> CheckResult:
    code = codes.PRESENTATION_STRUCTURE
    version = credential_version(presentation)
    if version is None:
        raise CheckFailed(
            code,
            "The presentation does not start with the W3C Verifiable Credentials context "
            f"({VC_V2}).",
        )
    holder = presentation.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    if "holder" in presentation and not is_absolute_iri(holder):
        raise CheckFailed(code, "The presentation's holder is not a complete URL or DID.")
    if "id" in presentation and not is_absolute_iri(presentation["id"]):
        raise CheckFailed(code, "The presentation's id is not a complete URL.")
    for index, entry in enumerate(as_list(presentation.get("verifiableCredential"))):
        if not isinstance(entry, Mapping):
            raise CheckFailed(
                code, f"Entry {index + 1} of verifiableCredential is not a credential object."
            )
    for index, proof in enumerate(as_list(presentation.get("proof"))):
        if not isinstance(proof, Mapping) or not isinstance(proof.get("type"), str):
            raise CheckFailed(code, f"Proof {index + 1} of the presentation has no type.")
    who = f" by {holder}" if isinstance(holder, str) else ""
    count = len(as_list(presentation.get("verifiableCredential")))
    return CheckResult.passed(
        code,
        f"The presentation is well formed: {count} credential(s) presented{who}.",
        version=version,
        holder=holder if isinstance(holder, str) else None,
        credentials=count,
    )


def check_presentation_structure(presentation: Mapping[str, Any]) -> CheckResult:
    """``presentation.structure``: context, holder, embedded credentials, proofs."""
    try:
        return _structure(presentation)
    except CheckFailed as failure:
        return failure.to_result()


def embedded_credentials(presentation: Mapping[str, Any]) -> list[Any]:
    """The entries of ``verifiableCredential`` (a single value becomes a list)."""
    return as_list(presentation.get("verifiableCredential"))
