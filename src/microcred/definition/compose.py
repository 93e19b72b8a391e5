"""Compose an unsigned Open Badges 3.0 credential from a definition and a learner.

Open Badges 3.0, section "AchievementCredential" (VC Data Model 2.0 form): ``@context``
starts with the VC 2.0 context then an OB 3.0 context; ``type`` is
``["VerifiableCredential", "OpenBadgeCredential"]``; ``credentialSubject`` is an
``AchievementSubject`` naming the learner by ``id`` (a DID) or by ``identifier``
(``IdentityObject``s such as a salted SHA-256 hash of the e-mail address) and carrying the
``achievement``; ``credentialSchema`` points at the official JSON Schema. Data Integrity
proofs need no extra context: the VC 2.0 context defines ``DataIntegrityProof``.

Contexts, in order: VC 2.0; OB 3.0.3; the OB extensions context when ``credentialSchema``
uses the 1EdTech validator type (it defines ``1EdTechJsonSchemaValidator2019``, which no
other context does: without it the type would silently drop out of the signed data); our
EU context ``https://microcred.dev/ns/eu/v1`` when the achievement carries EU standard
elements.

Pure: no clock, no randomness, no I/O. Datetimes are given and written as XML Schema
``dateTime`` in UTC with a ``Z``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from microcred.errors import InvalidInput
from microcred.lexical import format_date_time_stamp
from microcred.model.identity import IdentityObject
from microcred.model.openbadges import (
    Achievement,
    AchievementSubject,
    CredentialStatus,
    EndorsementCredential,
    Evidence,
    Image,
    OpenBadgeCredential,
    Profile,
    Result,
)
from microcred.model.types import check_uri

__all__ = [
    "MICROCRED_EU_V1",
    "OB_ACHIEVEMENTCREDENTIAL_SCHEMA",
    "OB_V3P0_3_0_3",
    "OB_V3P0_EXTENSIONS",
    "VC_V2",
    "compose_credential",
    "format_datetime",
]

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
MICROCRED_EU_V1 = "https://microcred.dev/ns/eu/v1"
OB_ACHIEVEMENTCREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)

SchemaType = Literal["1EdTechJsonSchemaValidator2019", "JsonSchema"]
Learner = str | IdentityObject | Sequence[IdentityObject]


def format_datetime(value: datetime) -> str:
    """``2024-05-01T09:30:00Z``: UTC, seconds, fractional seconds only when present."""
    if not isinstance(value, datetime):
        raise InvalidInput(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"datetime {value.isoformat()} has no timezone; pass an aware datetime")
    return format_date_time_stamp(value)


def _subject_identity(learner: Learner) -> dict[str, Any]:
    if isinstance(learner, str):
        try:
            check_uri(learner)
        except ValueError:
            hint = (
                " To name a learner by e-mail, pass hash_email(address) instead."
                if "@" in learner
                else ""
            )
            raise InvalidInput(
                f"learner {learner!r} is not a DID or URI (e.g. 'did:key:z6Mk...').{hint}"
            ) from None
        return {"id": learner}
    if isinstance(learner, IdentityObject):
        return {"identifier": [learner]}
    identities = list(learner)
    if not identities or not all(isinstance(i, IdentityObject) for i in identities):
        raise InvalidInput("learner must be a DID/URI, an IdentityObject or a list of them")
    return {"identifier": identities}


def compose_credential(
    achievement: Achievement,
    learner: Learner,
    issuer: Profile | str,
    *,
    credential_id: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    awarded_date: datetime | None = None,
    result: Sequence[Result] | None = None,
    evidence: Sequence[Evidence] | None = None,
    name: str | None = None,
    description: str | None = None,
    image: Image | None = None,
    activity_start_date: datetime | None = None,
    activity_end_date: datetime | None = None,
    credits_earned: int | float | None = None,
    narrative: str | None = None,
    credential_status: CredentialStatus
    | Mapping[str, Any]
    | Sequence[CredentialStatus | Mapping[str, Any]]
    | None = None,
    endorsement: Sequence[EndorsementCredential] | None = None,
    schema_type: SchemaType | None = "1EdTechJsonSchemaValidator2019",
) -> dict[str, Any]:
    """Build the unsigned OB 3.0 credential JSON for ``learner`` earning ``achievement``.

    ``learner`` is a DID/URI (``credentialSubject.id``) or one or more ``IdentityObject``
    (``credentialSubject.identifier``, e.g. ``hash_email(address)``). ``name`` defaults to the
    achievement's name and ``image`` to its image. ``schema_type=None`` leaves out
    ``credentialSchema``. The result is validated by :class:`OpenBadgeCredential`; invalid
    input raises :class:`~microcred.errors.InvalidInput`.
    """
    if not isinstance(achievement, Achievement):
        raise InvalidInput("achievement must be an Achievement")
    if not isinstance(issuer, Profile | str):
        raise InvalidInput("issuer must be a Profile or an issuer URI")

    contexts: list[str] = [VC_V2, OB_V3P0_3_0_3]
    if schema_type == "1EdTechJsonSchemaValidator2019":
        contexts.append(OB_V3P0_EXTENSIONS)
    if achievement.eu_standard_elements is not None:
        contexts.append(MICROCRED_EU_V1)

    subject: dict[str, Any] = {
        **_subject_identity(learner),
        "type": ["AchievementSubject"],
        "achievement": achievement,
    }
    if result:
        subject["result"] = list(result)
    if activity_start_date is not None:
        subject["activity_start_date"] = format_datetime(activity_start_date)
    if activity_end_date is not None:
        subject["activity_end_date"] = format_datetime(activity_end_date)
    if credits_earned is not None:
        subject["credits_earned"] = credits_earned
    if narrative is not None:
        subject["narrative"] = narrative

    doc: dict[str, Any] = {
        "context": contexts,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name if name is not None else achievement.name,
        "issuer": issuer,
        "valid_from": format_datetime(valid_from),
        "credential_subject": AchievementSubject(**subject),
    }
    if description is not None:
        doc["description"] = description
    chosen_image = image if image is not None else achievement.image
    if chosen_image is not None:
        doc["image"] = chosen_image
    if valid_until is not None:
        doc["valid_until"] = format_datetime(valid_until)
    if awarded_date is not None:
        doc["awarded_date"] = format_datetime(awarded_date)
    if evidence:
        doc["evidence"] = list(evidence)
    if endorsement:
        doc["endorsement"] = list(endorsement)
    if schema_type is not None:
        doc["credential_schema"] = [{"id": OB_ACHIEVEMENTCREDENTIAL_SCHEMA, "type": schema_type}]
    if credential_status is not None:
        doc["credential_status"] = _status(credential_status)
    return OpenBadgeCredential(**doc).to_json()


def _status(
    value: CredentialStatus | Mapping[str, Any] | Sequence[CredentialStatus | Mapping[str, Any]],
) -> CredentialStatus | list[CredentialStatus]:
    def one(v: CredentialStatus | Mapping[str, Any]) -> CredentialStatus:
        if isinstance(v, CredentialStatus):
            return v
        return CredentialStatus.from_json(dict(v))

    if isinstance(value, CredentialStatus | Mapping):
        return one(value)
    return [one(v) for v in value]
