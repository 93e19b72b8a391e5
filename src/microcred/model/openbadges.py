"""Open Badges 3.0 data model (1EdTech), VC Data Model 2.0 form.

Classes and properties follow the OB 3.0 specification, section "Data Model" (Achievement,
AchievementCredential / OpenBadgeCredential, AchievementSubject, Address, Alignment,
Criteria, EndorsementCredential, EndorsementSubject, Evidence, GeoCoordinates,
IdentifierEntry, IdentityObject, Image, Profile, Related, Result, ResultDescription,
RubricCriterionLevel) and the official JSON Schema
``ob_v3p0_achievementcredential_schema.json`` (required properties, enumerations, the
``ext:`` extension form of extensible enumerations, the inLanguage pattern).

Deliberate strictness beyond the JSON Schema (each documented in docs/open-badges.md):
unknown properties are rejected (our own EU extension ``euStandardElements`` is modelled);
URIs must be absolute; date-times must carry a timezone; ``AchievementSubject`` needs an
``id`` or at least one ``identifier`` (a MUST of the spec that the schema cannot express);
``Criteria`` needs an ``id`` or a ``narrative``; ``validUntil`` may not precede ``validFrom``.

VC-level extension points defined by other specifications (``proof``, ``credentialStatus``,
``refreshService``, ``termsOfUse``) are carried through unchanged.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from microcred.model.base import StrictModel
from microcred.model.eu import EUStandardElements
from microcred.model.identity import IdentifierType, IdentityObject
from microcred.model.types import (
    URI,
    CountryCode,
    DateString,
    DateTimeZ,
    EmailAddress,
    LanguageCode,
    NonEmptyStr,
    check_datetime,
    enum_ext,
    type_list_validator,
)

__all__ = [
    "ACHIEVEMENT_TYPES",
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Address",
    "Alignment",
    "CredentialSchema",
    "CredentialStatus",
    "Criteria",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "GeoCoordinates",
    "IdentifierEntry",
    "Image",
    "OpenBadgeCredential",
    "Profile",
    "RefreshService",
    "Related",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "TermsOfUse",
    "VC_V2_CONTEXT",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_OB_CONTEXT = re.compile(r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$")

#: OB 3.0 AchievementType enumeration (extensible with ``ext:...``).
ACHIEVEMENT_TYPES = (
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "AssociateDegree",
    "Award",
    "Badge",
    "BachelorDegree",
    "Certificate",
    "CertificateOfCompletion",
    "Certification",
    "CommunityService",
    "Competency",
    "Course",
    "CoCurricular",
    "Degree",
    "Diploma",
    "DoctoralDegree",
    "Fieldwork",
    "GeneralEducationDevelopment",
    "JourneymanCertificate",
    "LearningProgram",
    "License",
    "Membership",
    "ProfessionalDoctorate",
    "QualityAssuranceCredential",
    "MasterCertificate",
    "MasterDegree",
    "MicroCredential",
    "ResearchDoctorate",
    "SecondarySchoolDiploma",
)
_ALIGNMENT_TARGET_TYPES = (
    "ceasn:Competency",
    "ceterms:Credential",
    "CFItem",
    "CFRubric",
    "CFRubricCriterion",
    "CFRubricCriterionLevel",
    "CTDL",
)
_RESULT_TYPES = (
    "GradePointAverage",
    "LetterGrade",
    "Percent",
    "PerformanceLevel",
    "PredictedScore",
    "RawScore",
    "Result",
    "RubricCriterion",
    "RubricCriterionLevel",
    "RubricScore",
    "ScaledScore",
    "Status",
)

AchievementType = Annotated[str, AfterValidator(enum_ext(ACHIEVEMENT_TYPES, "achievement type"))]
AlignmentTargetType = Annotated[
    str, AfterValidator(enum_ext(_ALIGNMENT_TARGET_TYPES, "alignment target type"))
]
ResultType = Annotated[str, AfterValidator(enum_ext(_RESULT_TYPES, "result type"))]
ResultStatus = Literal[
    "Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"
]
Number = int | float
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$")


def _check_jws(value: str) -> str:
    if not _JWS.match(value):
        raise ValueError("is not a compact JWS (header.payload.signature)")
    return value


JwsCompact = Annotated[str, AfterValidator(_check_jws)]


_AlignmentType = Annotated[
    str | list[str], AfterValidator(type_list_validator("Alignment", what="Alignment"))
]
_RelatedType = Annotated[
    str | list[str], AfterValidator(type_list_validator("Related", what="Related"))
]
_RubricCriterionLevelType = Annotated[
    str | list[str],
    AfterValidator(type_list_validator("RubricCriterionLevel", what="RubricCriterionLevel")),
]
_ResultDescriptionType = Annotated[
    str | list[str],
    AfterValidator(type_list_validator("ResultDescription", what="ResultDescription")),
]
_ResultType = Annotated[
    str | list[str], AfterValidator(type_list_validator("Result", what="Result"))
]
_EvidenceType = Annotated[
    str | list[str], AfterValidator(type_list_validator("Evidence", what="Evidence"))
]
_AddressType = Annotated[
    str | list[str], AfterValidator(type_list_validator("Address", what="Address"))
]
_ProfileType = Annotated[
    str | list[str], AfterValidator(type_list_validator("Profile", what="Profile"))
]
_AchievementType = Annotated[
    str | list[str], AfterValidator(type_list_validator("Achievement", what="Achievement"))
]
_AchievementSubjectType = Annotated[
    str | list[str],
    AfterValidator(type_list_validator("AchievementSubject", what="AchievementSubject")),
]
_EndorsementSubjectType = Annotated[
    str | list[str],
    AfterValidator(type_list_validator("EndorsementSubject", what="EndorsementSubject")),
]
_VCType = Annotated[
    str | list[str],
    AfterValidator(type_list_validator("VerifiableCredential", what="a credential")),
]


def _check_contexts(value: list[str | dict[str, Any]], what: str) -> list[str | dict[str, Any]]:
    if len(value) < 2 or value[0] != VC_V2_CONTEXT:
        raise ValueError(
            f"@context of {what} must start with {VC_V2_CONTEXT!r} followed by an Open Badges "
            "3.0 context"
        )
    second = value[1]
    if not isinstance(second, str) or not _OB_CONTEXT.match(second):
        raise ValueError(
            f"the second @context of {what} must be an Open Badges 3.0 context such as "
            "'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'"
        )
    return value


# --------------------------------------------------------------------------------------
# Small building blocks
# --------------------------------------------------------------------------------------


class Image(StrictModel):
    """An image (URL or ``data:`` URI) with an optional caption."""

    id: URI
    type: Literal["Image"] = "Image"
    caption: str | None = None


class Criteria(StrictModel):
    """How the achievement is earned: a web page (``id``) and/or a Markdown ``narrative``."""

    id: URI | None = None
    narrative: str | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.id is None and not (self.narrative and self.narrative.strip()):
            raise ValueError("criteria needs an 'id' (a URL) or a 'narrative'")
        return self


class Alignment(StrictModel):
    """Alignment of an achievement or result to a node in a framework (CASE, CTDL, ESCO...)."""

    type: _AlignmentType = ["Alignment"]
    target_code: str | None = None
    target_description: str | None = None
    target_name: NonEmptyStr
    target_framework: str | None = None
    target_type: AlignmentTargetType | None = None
    target_url: URI


class IdentifierEntry(StrictModel):
    type: Literal["IdentifierEntry"] = "IdentifierEntry"
    identifier: NonEmptyStr
    identifier_type: IdentifierType


class Related(StrictModel):
    """Another language or version of the same achievement."""

    id: URI
    type: _RelatedType = ["Related"]
    in_language: LanguageCode | None = None
    version: str | None = None


class RubricCriterionLevel(StrictModel):
    id: URI
    type: _RubricCriterionLevelType = ["RubricCriterionLevel"]
    alignment: list[Alignment] | None = None
    description: str | None = None
    level: str | None = None
    name: NonEmptyStr
    points: str | None = None


class ResultDescription(StrictModel):
    """Describes a possible result of an achievement (a grade, a rubric level, a status...)."""

    id: URI
    type: _ResultDescriptionType = ["ResultDescription"]
    alignment: list[Alignment] | None = None
    allowed_value: list[str] | None = None
    name: NonEmptyStr
    required_level: URI | None = None
    required_value: str | None = None
    result_type: ResultType
    rubric_criterion_level: list[RubricCriterionLevel] | None = None
    value_max: str | None = None
    value_min: str | None = None


class Result(StrictModel):
    """A result the learner obtained, pointing at a ``ResultDescription`` of the achievement."""

    type: _ResultType = ["Result"]
    achieved_level: URI | None = None
    alignment: list[Alignment] | None = None
    result_description: URI | None = None
    status: ResultStatus | None = None
    value: str | None = None


class Evidence(StrictModel):
    """Evidence of the learner's work: a URL and/or a narrative."""

    id: URI | None = None
    type: _EvidenceType = ["Evidence"]
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


class GeoCoordinates(StrictModel):
    type: Literal["GeoCoordinates"] = "GeoCoordinates"
    latitude: Number
    longitude: Number

    @model_validator(mode="after")
    def _range(self) -> Self:
        if not -90 <= self.latitude <= 90:
            raise ValueError("latitude must be between -90 and 90")
        if not -180 <= self.longitude <= 180:
            raise ValueError("longitude must be between -180 and 180")
        return self


class Address(StrictModel):
    type: _AddressType = ["Address"]
    address_country: str | None = None
    address_country_code: CountryCode | None = None
    address_region: str | None = None
    address_locality: str | None = None
    street_address: str | None = None
    post_office_box_number: str | None = None
    postal_code: str | None = None
    geo: GeoCoordinates | None = None


class CredentialSchema(StrictModel):
    id: URI
    type: NonEmptyStr


class _Passthrough(StrictModel):
    """A VC-level object defined by another specification: known keys checked, rest kept."""

    model_config = ConfigDict(extra="allow")


class CredentialStatus(_Passthrough):
    """``credentialStatus`` (e.g. a ``BitstringStatusListEntry``): extra properties kept."""

    id: URI | None = None
    type: str | list[str]


class RefreshService(_Passthrough):
    id: URI
    type: str | list[str]


class TermsOfUse(_Passthrough):
    id: URI | None = None
    type: str | list[str]


Proof = dict[str, Any]


# --------------------------------------------------------------------------------------
# Profile, Achievement, subjects and credentials
# --------------------------------------------------------------------------------------


class Profile(StrictModel):
    """A person or organisation: the issuer, an achievement's creator, an endorser."""

    id: URI
    type: _ProfileType = ["Profile"]
    name: str | None = None
    url: URI | None = None
    phone: str | None = None
    description: str | None = None
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[JwsCompact] | None = None
    image: Image | None = None
    email: EmailAddress | None = None
    address: Address | None = None
    other_identifier: list[IdentifierEntry] | None = None
    official: str | None = None
    parent_org: Profile | None = None
    family_name: str | None = None
    given_name: str | None = None
    additional_name: str | None = None
    patronymic_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None
    family_name_prefix: str | None = None
    date_of_birth: DateString | None = None


class Achievement(StrictModel):
    """What is recognised: name, description, criteria, alignments, and our EU elements."""

    id: URI
    type: _AchievementType = ["Achievement"]
    achievement_type: AchievementType | None = None
    name: NonEmptyStr
    description: NonEmptyStr
    criteria: Criteria
    image: Image | None = None
    alignment: list[Alignment] | None = None
    creator: Profile | None = None
    credits_available: Number | None = None
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[JwsCompact] | None = None
    field_of_study: str | None = None
    human_code: str | None = None
    in_language: LanguageCode | None = None
    other_identifier: list[IdentifierEntry] | None = None
    related: list[Related] | None = None
    result_description: list[ResultDescription] | None = None
    specialization: str | None = None
    tag: list[str] | None = None
    version: str | None = None
    eu_standard_elements: EUStandardElements | None = None

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if self.credits_available is not None and self.credits_available < 0:
            raise ValueError("creditsAvailable must not be negative")
        ids = [rd.id for rd in self.result_description or []]
        if len(set(ids)) != len(ids):
            raise ValueError("resultDescription ids must be unique")
        return self


class AchievementSubject(StrictModel):
    """The learner (``id``, usually a DID, and/or hashed ``identifier``s) and what they achieved."""

    id: URI | None = None
    type: _AchievementSubjectType = ["AchievementSubject"]
    activity_end_date: DateTimeZ | None = None
    activity_start_date: DateTimeZ | None = None
    credits_earned: Number | None = None
    achievement: Achievement
    identifier: list[IdentityObject] | None = None
    image: Image | None = None
    license_number: str | None = None
    narrative: str | None = None
    result: list[Result] | None = None
    role: str | None = None
    source: Profile | None = None
    term: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if self.id is None and not self.identifier:
            raise ValueError(
                "the learner needs an 'id' (e.g. a DID) or at least one 'identifier' "
                "(e.g. a hashed e-mail address)"
            )
        if self.credits_earned is not None and self.credits_earned < 0:
            raise ValueError("creditsEarned must not be negative")
        known = {rd.id for rd in self.achievement.result_description or []}
        for r in self.result or []:
            if r.result_description is not None and known and r.result_description not in known:
                raise ValueError(
                    f"result refers to resultDescription {r.result_description!r}, which the "
                    "achievement does not define"
                )
        return self


class EndorsementSubject(StrictModel):
    """What an endorsement is about (an achievement, a profile or a credential)."""

    id: URI
    type: _EndorsementSubjectType = ["EndorsementSubject"]
    endorsement_comment: str | None = None


def _validity_order(valid_from: str, valid_until: str | None) -> None:
    if valid_until is None:
        return
    start = datetime.fromisoformat(check_datetime(valid_from))
    end = datetime.fromisoformat(check_datetime(valid_until))
    if end < start:
        raise ValueError("validUntil is earlier than validFrom")


_KEY_ORDER = (
    "@context",
    "id",
    "type",
    "name",
    "description",
    "image",
    "issuer",
    "validFrom",
    "validUntil",
    "awardedDate",
    "credentialSubject",
)


class _VerifiableCredential(StrictModel):
    context: list[str | dict[str, Any]] = Field(
        validation_alias="@context", serialization_alias="@context"
    )
    id: URI
    name: str | None = None
    description: str | None = None
    issuer: URI | Profile
    valid_from: DateTimeZ
    valid_until: DateTimeZ | None = None
    awarded_date: DateTimeZ | None = None
    evidence: list[Evidence] | None = None
    credential_schema: CredentialSchema | list[CredentialSchema] | None = None
    credential_status: CredentialStatus | list[CredentialStatus] | None = None
    refresh_service: RefreshService | None = None
    terms_of_use: TermsOfUse | list[TermsOfUse] | None = None
    proof: Proof | list[Proof] | None = None

    def to_json(self) -> dict[str, Any]:
        """The credential JSON, with the conventional keys first (``@context``, ``id``, ...)."""
        data = super().to_json()
        ordered = {k: data[k] for k in _KEY_ORDER if k in data}
        ordered.update((k, v) for k, v in data.items() if k not in ordered)
        return ordered

    @property
    def issuer_id(self) -> str:
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id

    @property
    def proofs(self) -> list[Proof]:
        """The proof set as a list (empty when unsigned)."""
        if self.proof is None:
            return []
        return [self.proof] if isinstance(self.proof, dict) else list(self.proof)


class EndorsementCredential(_VerifiableCredential):
    """A third party's endorsement of an achievement, a profile or a credential."""

    type: _VCType = [
        "VerifiableCredential",
        "EndorsementCredential",
    ]
    name: NonEmptyStr
    credential_subject: EndorsementSubject

    @model_validator(mode="after")
    def _checks(self) -> Self:
        _check_contexts(self.context, "an EndorsementCredential")
        types = [self.type] if isinstance(self.type, str) else self.type
        if "EndorsementCredential" not in types:
            raise ValueError("type of EndorsementCredential must include 'EndorsementCredential'")
        _validity_order(self.valid_from, self.valid_until)
        return self


class OpenBadgeCredential(_VerifiableCredential):
    """An Open Badges 3.0 credential (``AchievementCredential`` is the same class)."""

    type: _VCType = [
        "VerifiableCredential",
        "OpenBadgeCredential",
    ]
    image: Image | None = None
    credential_subject: AchievementSubject
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[JwsCompact] | None = None
    jti: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> Self:
        _check_contexts(self.context, "an OpenBadgeCredential")
        types = [self.type] if isinstance(self.type, str) else self.type
        if "OpenBadgeCredential" not in types and "AchievementCredential" not in types:
            raise ValueError(
                "type must include 'OpenBadgeCredential' (or its alias 'AchievementCredential')"
            )
        _validity_order(self.valid_from, self.valid_until)
        return self

    @property
    def achievement(self) -> Achievement:
        return self.credential_subject.achievement


#: OB 3.0 uses both names for the same class.
AchievementCredential = OpenBadgeCredential

Profile.model_rebuild()
Achievement.model_rebuild()
