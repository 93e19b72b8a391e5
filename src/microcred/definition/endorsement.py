"""Compose an unsigned Open Badges 3.0 ``EndorsementCredential``.

Open Badges 3.0, section "EndorsementCredential": a third party (the ``issuer``, here a
partner organisation) endorses the thing named by ``credentialSubject.id`` — an
``Achievement`` (a definition version), a ``Profile`` (an issuer) or a credential — with an
optional ``endorsementComment``. ``type`` is ``["VerifiableCredential",
"EndorsementCredential"]``, the subject's type ``EndorsementSubject``; ``name`` is required.
The endorsement is signed like any credential and may then be placed in the endorsed
object's ``endorsement`` array.

Pure: no clock, no randomness, no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from microcred.definition.compose import (
    OB_V3P0_3_0_3,
    OB_V3P0_EXTENSIONS,
    VC_V2,
    format_datetime,
)
from microcred.errors import InvalidInput
from microcred.model.openbadges import EndorsementCredential, Profile

__all__ = ["OB_ENDORSEMENTCREDENTIAL_SCHEMA", "compose_endorsement"]

OB_ENDORSEMENTCREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
)
#: The longest endorsement comment accepted (plain text).
MAX_COMMENT = 5000


def compose_endorsement(
    subject_id: str,
    endorser: Profile | str,
    *,
    credential_id: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    comment: str | None = None,
    name: str | None = None,
    with_schema: bool = True,
) -> dict[str, Any]:
    """The unsigned ``EndorsementCredential`` of ``endorser`` about ``subject_id``.

    ``name`` defaults to ``"Endorsement by <endorser name>"``. Invalid input (a relative
    ``subject_id``, a naive datetime, an over-long comment) raises
    :class:`~microcred.errors.InvalidInput`.
    """
    if not isinstance(endorser, Profile | str):
        raise InvalidInput("endorser must be a Profile or an issuer URI")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise InvalidInput(f"the endorsement comment is longer than {MAX_COMMENT} characters")
    if name is None:
        who = endorser.name if isinstance(endorser, Profile) else None
        name = f"Endorsement by {who}" if who else "Endorsement"
    contexts = [VC_V2, OB_V3P0_3_0_3]
    if with_schema:
        contexts.append(OB_V3P0_EXTENSIONS)
    subject: dict[str, Any] = {"id": subject_id, "type": ["EndorsementSubject"]}
    if comment:
        subject["endorsementComment"] = comment
    doc: dict[str, Any] = {
        "@context": contexts,
        "id": credential_id,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": name,
        "issuer": endorser if isinstance(endorser, str) else endorser.to_json(),
        "validFrom": format_datetime(valid_from),
        "credentialSubject": subject,
    }
    if valid_until is not None:
        doc["validUntil"] = format_datetime(valid_until)
    if with_schema:
        doc["credentialSchema"] = [
            {"id": OB_ENDORSEMENTCREDENTIAL_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}
        ]
    return EndorsementCredential.from_json(doc).to_json()
