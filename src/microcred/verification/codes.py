"""Stable check codes of verification reports.

Codes are part of the public contract: scripts, translations and the docs
(``docs/verification.md``) key on them. Add codes; never rename one.
A family name alone (``"proof"``, ``"dates"``...) is the code used when the whole
family was not run (for example because the input is not a credential).
"""

from __future__ import annotations

# structure: the JSON shape required by VC Data Model 2.0 (and 1.1)
STRUCTURE_OBJECT = "structure.object"
STRUCTURE_CONTEXT = "structure.context"
STRUCTURE_TYPE = "structure.type"
STRUCTURE_ISSUER = "structure.issuer"
STRUCTURE_SUBJECT = "structure.subject"
STRUCTURE_IDS = "structure.ids"
STRUCTURE_DATES = "structure.dates"
STRUCTURE_RESERVED = "structure.reserved"
STRUCTURE_PROOF = "structure.proof"

# jsonld: contexts and JSON-LD safe mode
JSONLD_CONTEXTS = "jsonld.contexts"
JSONLD_TERMS = "jsonld.terms"

# schema: Open Badges 3.0 required fields
SCHEMA_OPENBADGES = "schema.openbadges"

# proof: per-proof codes come from proof.data_integrity (ProofResult.code); these are ours
PROOF_ERROR = "proof.error"
PROOF_NONE_VERIFIED = "proof.none-verified"
# a VC-JWT (verification/checks/jwt.py): the JSON Web Signature and its registered claims
PROOF_JWS = "proof.jws"
PROOF_JWT_CLAIMS = "proof.jwt-claims"

# issuer: the signing key and who controls it
ISSUER_KEY = "issuer.key"

# dates: validity period against the clock
DATES_VALID_FROM = "dates.valid-from"
DATES_VALID_UNTIL = "dates.valid-until"

# eu: EU micro-credential standard elements (Annex I) completeness
EU_ELEMENTS = "eu.elements"

# elm: European Digital Credentials (ELM v3) and JAdES-sealed envelopes (checks/elm.py)
ELM_ELEMENTS = "elm.elements"
ELM_SEAL = "elm.seal"

# hooks filled by later packages (bitstring status list, blockchain anchor)
STATUS = "status"
ANCHOR = "anchor"

# anchor: the blockchain anchor proof (verification/checks/anchor.py)
ANCHOR_INCLUSION = "anchor.inclusion"
ANCHOR_LEDGER = "anchor.ledger"
ANCHOR_ACCOUNT = "anchor.account"
ANCHOR_KEY = "anchor.key"

# embedded credentials: Open Badges endorsements and the credentials of a CLR 2.0 record
ENDORSEMENT = "endorsement"
CLR_CREDENTIAL = "clr.credential"
CLR_CREDENTIALS = "clr.credentials"
EMBEDDED_NESTING = "embedded.nesting"

# presentations
PRESENTATION_TYPE = "presentation.type"
PRESENTATION_STRUCTURE = "presentation.structure"
PRESENTATION_PROOF = "presentation.proof"
PRESENTATION_CREDENTIAL = "presentation.credential"

# family names (codes of a family reported as not run)
FAMILY_STRUCTURE = "structure"
FAMILY_JSONLD = "jsonld"
FAMILY_SCHEMA = "schema"
FAMILY_PROOF = "proof"
FAMILY_ISSUER = "issuer"
FAMILY_DATES = "dates"
FAMILY_EU = "eu"
FAMILY_ELM = "elm"

#: Failing one of these means the input could not be evaluated at all (not an
#: object, not a credential or presentation, or written with an unknown context).
UNREADABLE_INPUT_CODES = frozenset(
    {STRUCTURE_OBJECT, STRUCTURE_TYPE, PRESENTATION_TYPE, JSONLD_CONTEXTS}
)
