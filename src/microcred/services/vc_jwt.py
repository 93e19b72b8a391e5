"""Stored credentials handed out as VC-JWT (Open Badges 3.0 §8.2; docs/vc-jwt.md).

microcred stores every credential with its Data Integrity proof (that form carries the status
entries and gets the anchor proof). A VC-JWT is a second envelope of that same stored
document: the payload is the document as stored (its embedded proofs included, as OB 3.0
§8.2.4 allows: "add the embedded proofs prior to creating the JWT Payload") plus the JWT
claims, signed with the issuer's *active* key, ``kid`` = that key's DID URL. Ed25519 is
deterministic and no ``iat`` is written, so the same stored document and key always give the
same token: making it on request changes nothing and needs no storage.

Callers check access first (the VC-API issuing caller, the learner's own wallet);
:meth:`VcJwtService.sign_stored` takes no principal, like ``IssuerService.signer_for_issuer``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from microcred.errors import ProofError
from microcred.keys.multikey import decode_public_multikey
from microcred.keys.protocols import Signer
from microcred.proof.jose.vc_jwt import MEDIA_TYPE, encode_vc_jwt, read_vc_jwt, verify_signature

__all__ = ["VcJwtService", "enveloped_credential"]

VC_V2 = "https://www.w3.org/ns/credentials/v2"


class _Signers(Protocol):
    def signer_for_issuer(self, issuer_id: uuid.UUID) -> AbstractContextManager[Signer]: ...


def enveloped_credential(token: str) -> dict[str, Any]:
    """The VC Data Model 2.0 §4.13 ``EnvelopedVerifiableCredential`` carrying ``token``."""
    return {
        "@context": VC_V2,
        "id": f"data:{MEDIA_TYPE},{token}",
        "type": "EnvelopedVerifiableCredential",
    }


class VcJwtService:
    """Signs a stored credential document as a VC-JWT with its issuer's active key."""

    def __init__(self, signers: _Signers) -> None:
        self._signers = signers

    def sign_stored(self, issuer_id: uuid.UUID, document: Mapping[str, Any]) -> str:
        """The VC-JWT of ``document`` (already access-checked by the caller).

        The signature is checked with the key's public half before the token is returned
        (:class:`ProofError` if it does not verify).
        """
        with self._signers.signer_for_issuer(issuer_id) as signer:
            token = encode_vc_jwt(document, signer)
            public_key = decode_public_multikey(signer.public_key_multibase)
        if not verify_signature(read_vc_jwt(token), public_key):
            raise ProofError("the VC-JWT did not verify right after signing, so it was not made")
        return token
