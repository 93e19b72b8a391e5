"""JSON-LD context URLs used in DID documents (kept here so ``did/`` does not depend on
``jsonld/``; the values are the canonical URLs and must equal those in ``jsonld/urls.py``)."""

from __future__ import annotations

__all__ = [
    "DID_V1",
    "ED25519_2018_V1",
    "ED25519_2020_V1",
    "JWS_2020_V1",
    "MULTIKEY_V1",
    "SECP256K1_RECOVERY_2020_V2",
    "X25519_2019_V1",
    "X25519_2020_V1",
]

DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
ED25519_2018_V1 = "https://w3id.org/security/suites/ed25519-2018/v1"
ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"
X25519_2019_V1 = "https://w3id.org/security/suites/x25519-2019/v1"
X25519_2020_V1 = "https://w3id.org/security/suites/x25519-2020/v1"
JWS_2020_V1 = "https://w3id.org/security/suites/jws-2020/v1"
SECP256K1_RECOVERY_2020_V2 = "https://w3id.org/security/suites/secp256k1recovery-2020/v2"
