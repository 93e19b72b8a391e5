"""Compose an unsigned CLR 2.0 ``ClrCredential`` (a transcript) from signed credentials.

CLR Standard 2.0, section "ClrCredential" / "ClrSubject": the record's ``credentialSubject``
names the learner and carries the bundled credentials unchanged in ``verifiableCredential``
(each keeps its own proof, so each can be verified on its own), the ``achievement`` of each
(de-duplicated by id, in order) and optional ``association``s between achievements.
Contexts, in order: VC 2.0, CLR 2.0.1, OB 3.0.3, the OB extensions context (it defines the
``1EdTechJsonSchemaValidator2019`` schema type), and our EU context when an achievement of
the record carries EU standard elements (its terms must not drop out of the signed data).

Pure: no clock, no randomness, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from microcred.definition.compose import (
    MICROCRED_EU_V1,
    OB_V3P0_3_0_3,
    OB_V3P0_EXTENSIONS,
    VC_V2,
    format_datetime,
)
from microcred.errors import InvalidInput
from microcred.model.clr import Association, ClrCredential
from microcred.model.identity import IdentityObject
from microcred.model.openbadges import Achievement, Profile

__all__ = [
    "CLR_SCHEMA",
    "CLR_V2P0_2_0_1",
    "MAX_CLR_CREDENTIALS",
    "achievements_of",
    "compose_clr",
    "part_associations",
]

CLR_V2P0_2_0_1 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_SCHEMA = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
)
#: The most credentials one record bundles.
MAX_CLR_CREDENTIALS = 100


def achievements_of(credentials: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``credentialSubject.achievement`` of each credential, first occurrence of an id."""
    seen: set[str] = set()
    found: list[dict[str, Any]] = []
    for credential in credentials:
        subjects = credential.get("credentialSubject")
        for subject in subjects if isinstance(subjects, list) else [subjects]:
            if not isinstance(subject, Mapping):
                continue
            achievement = subject.get("achievement")
            ident = achievement.get("id") if isinstance(achievement, Mapping) else None
            if isinstance(achievement, Mapping) and isinstance(ident, str) and ident not in seen:
                seen.add(ident)
                found.append(dict(achievement))
    return found


def _achievement_id(credential: Mapping[str, Any]) -> str | None:
    subjects = credential.get("credentialSubject")
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
        ident = achievement.get("id") if isinstance(achievement, Mapping) else None
        if isinstance(ident, str):
            return ident
    return None


def part_associations(
    credentials: Sequence[Mapping[str, Any]], *, part_genre: str
) -> list[Association]:
    """The CLR associations between awards and their parts that the record holds both of.

    An award (e.g. of a pathway) names each part it rests on as an ``evidence`` entry of
    ``genre`` ``part_genre`` whose ``id`` is the part credential's id; the award's signature
    covers that list. For every such part that is itself in ``credentials``, two associations
    link the achievements: the award's ``isParentOf`` the part's, and the part's ``isPartOf``
    the award's (CLR 2.0 AssociationType; consumers look either way). In record order, each
    pair once; parts outside the record (recognised external credentials, credentials not
    chosen) and a part of the same achievement as its award are left out.
    """
    achievement_of: dict[str, str] = {}
    for credential in credentials:
        ident, achievement = credential.get("id"), _achievement_id(credential)
        if isinstance(ident, str) and achievement is not None:
            achievement_of.setdefault(ident, achievement)
    pairs: dict[tuple[str, str], None] = {}
    for credential in credentials:
        award = _achievement_id(credential)
        evidence = credential.get("evidence")
        if award is None or not isinstance(evidence, list):
            continue
        for entry in evidence:
            if not isinstance(entry, Mapping) or entry.get("genre") != part_genre:
                continue
            ident = entry.get("id")
            part = achievement_of.get(ident) if isinstance(ident, str) else None
            if part is not None and part != award:
                pairs.setdefault((award, part), None)
    associations: list[Association] = []
    for award, part in pairs:
        for kind, source, target in (("isParentOf", award, part), ("isPartOf", part, award)):
            associations.append(
                Association.from_json(
                    {
                        "type": "Association",
                        "associationType": kind,
                        "sourceId": source,
                        "targetId": target,
                    }
                )
            )
    return associations


def compose_clr(
    credentials: Sequence[Mapping[str, Any]],
    learner: str | IdentityObject | Sequence[IdentityObject],
    issuer: Profile | str,
    *,
    credential_id: str,
    valid_from: datetime,
    name: str,
    description: str | None = None,
    associations: Sequence[Association] = (),
    achievements: Sequence[Achievement] = (),
    partial: bool | None = None,
    with_schema: bool = True,
) -> dict[str, Any]:
    """The unsigned ``ClrCredential`` bundling ``credentials`` (signed OB 3.0 credentials).

    ``learner`` is the learner's DID/URI or identity object(s); ``achievements`` are listed
    after those of the credentials (e.g. the parts of a programme an association names).
    Invalid input (no credential, more than :data:`MAX_CLR_CREDENTIALS`, a credential that
    is not a JSON object, an association naming an achievement the record does not hold) raises
    :class:`~microcred.errors.InvalidInput`.
    """
    if not credentials:
        raise InvalidInput("a CLR needs at least one credential")
    if len(credentials) > MAX_CLR_CREDENTIALS:
        raise InvalidInput(f"a CLR holds at most {MAX_CLR_CREDENTIALS} credentials")
    if not all(isinstance(c, Mapping) for c in credentials):
        raise InvalidInput("every credential of a CLR must be a JSON object")
    if not isinstance(issuer, Profile | str):
        raise InvalidInput("issuer must be a Profile or an issuer URI")
    listed = achievements_of(credentials)
    known = {a["id"] for a in listed}
    listed += [a.to_json() for a in achievements if a.id not in known]
    contexts = [VC_V2, CLR_V2P0_2_0_1, OB_V3P0_3_0_3]
    if with_schema:
        contexts.append(OB_V3P0_EXTENSIONS)
    if any("euStandardElements" in a for a in listed):
        contexts.append(MICROCRED_EU_V1)
    subject: dict[str, Any] = {}
    if isinstance(learner, str):
        subject["id"] = learner
    else:
        identities = [learner] if isinstance(learner, IdentityObject) else list(learner)
        subject["identifier"] = [i.to_json() for i in identities]
    subject["type"] = "ClrSubject"
    subject["verifiableCredential"] = [dict(c) for c in credentials]
    if listed:
        subject["achievement"] = listed
    if associations:
        subject["association"] = [a.to_json() for a in associations]
    doc: dict[str, Any] = {
        "@context": contexts,
        "id": credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer if isinstance(issuer, str) else issuer.to_json(),
        "validFrom": format_datetime(valid_from),
        "name": name,
        "credentialSubject": subject,
    }
    if description is not None:
        doc["description"] = description
    if partial is not None:
        doc["partial"] = partial
    if with_schema:
        doc["credentialSchema"] = [{"id": CLR_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}]
    return ClrCredential.from_json(doc).to_json()
