"""URLs of the JSON-LD contexts microcred reads or writes.

Every constant below except those in :data:`NOT_BUNDLED` is served by
:meth:`microcred.jsonld.static_loader.StaticDocumentLoader.bundled` (see
``contexts/manifest.json`` for where each file came from). Contexts are matched by exact
URL: ``http://`` variants, trailing slashes or fragments are different URLs.
"""

from __future__ import annotations

__all__ = [
    "BITSTRING_STATUS_LIST_V1",
    "CLR_V2P0_2_0_1",
    "DATA_INTEGRITY_V1",
    "DATA_INTEGRITY_V2",
    "DID_V1",
    "ED25519_SIGNATURE_2020_V1",
    "JWK_V1",
    "MICROCRED_EU_V1",
    "MULTIKEY_V1",
    "NOT_BUNDLED",
    "OB_V3P0",
    "OB_V3P0_3_0_1",
    "OB_V3P0_3_0_2",
    "OB_V3P0_3_0_3",
    "OB_V3P0_EXTENSIONS",
    "OB_V3P0_LATEST",
    "STATUS_LIST_2021_V1",
    "VC_EXAMPLES_V1",
    "VC_EXAMPLES_V2",
    "VC_V1",
    "VC_V2",
]

# W3C Verifiable Credentials Data Model
VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_EXAMPLES_V1 = "https://www.w3.org/2018/credentials/examples/v1"
VC_EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"

# W3C Data Integrity, Controlled Identifiers, DIDs
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
JWK_V1 = "https://w3id.org/security/jwk/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
ED25519_SIGNATURE_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"

# Status lists
BITSTRING_STATUS_LIST_V1 = "https://www.w3.org/ns/credentials/status/v1"
STATUS_LIST_2021_V1 = "https://w3id.org/vc/status-list/2021/v1"

# 1EdTech Open Badges 3.0 and Comprehensive Learner Record 2.0
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
OB_V3P0_3_0_1 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
OB_V3P0_3_0_2 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"
OB_V3P0_3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_LATEST = OB_V3P0_3_0_3
OB_V3P0_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR_V2P0_2_0_1 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"

# This project's extension context for the EU micro-credential standard elements
MICROCRED_EU_V1 = "https://microcred.dev/ns/eu/v1"

#: Known contexts that no registry package ships, so they are not bundled. Tests that need
#: them add the reference copy with ``StaticDocumentLoader.with_documents``.
NOT_BUNDLED: frozenset[str] = frozenset({VC_EXAMPLES_V2, JWK_V1})
