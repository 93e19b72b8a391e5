"""JOSE for credentials: Open Badges 3.0 / VC-JOSE-COSE VC-JWT (docs/vc-jwt.md)."""

from microcred.proof.jose.compact import CompactJws, b64url_decode, b64url_encode, parse_compact
from microcred.proof.jose.vc_jwt import (
    ACCEPTED_ALGORITHMS,
    MEDIA_TYPE,
    SIGNING_ALGORITHM,
    VcJwt,
    claim_problems,
    claims_for,
    decode_vc_jwt,
    encode_vc_jwt,
    header_problems,
    read_vc_jwt,
    verify_signature,
)

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "MEDIA_TYPE",
    "SIGNING_ALGORITHM",
    "CompactJws",
    "VcJwt",
    "b64url_decode",
    "b64url_encode",
    "claim_problems",
    "claims_for",
    "decode_vc_jwt",
    "encode_vc_jwt",
    "header_problems",
    "parse_compact",
    "read_vc_jwt",
    "verify_signature",
]
