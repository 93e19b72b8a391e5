"""Signing an ELM v3 credential with our Data Integrity proof (eddsa-jcs-2022).

The EDC context (``http://data.europa.eu/snb/model/context/edc-ap``) is not published in
any package registry, so microcred does not bundle it and cannot expand ELM documents as
JSON-LD (ADR 0006). ``eddsa-jcs-2022`` (Data Integrity EdDSA Cryptosuites v1.0 §3.3) signs
the RFC 8785 canonical JSON bytes themselves: every field is covered without expansion, so
an ELM document is signed and verified with it, never with the RDF-based suites.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from microcred.errors import InvalidInput
from microcred.keys.protocols import Signer
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.proof.registry import CryptosuiteRegistry

__all__ = ["ELM_CRYPTOSUITE", "sign_elm"]

ELM_CRYPTOSUITE = "eddsa-jcs-2022"


def sign_elm(
    document: Mapping[str, Any],
    registry: CryptosuiteRegistry,
    signer: Signer,
    *,
    created: datetime,
) -> dict[str, Any]:
    """``document`` with an ``eddsa-jcs-2022`` assertion proof by ``signer``.

    The issuer named in the document must be the signer's DID (the verifier checks that the
    issuer controls the key). Raises :class:`InvalidInput` otherwise.
    """
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    did = signer.verification_method.split("#", 1)[0]
    if issuer_id != did:
        raise InvalidInput(
            f"the ELM credential's issuer is {issuer_id!r}, but the signing key belongs to {did}"
        )
    suite = registry.get(ELM_CRYPTOSUITE)
    options = ProofOptions(
        cryptosuite=ELM_CRYPTOSUITE,
        verification_method=signer.verification_method,
        created=created,
    )
    return add_proof(document, suite, options, signer)
