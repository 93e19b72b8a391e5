"""Comprehensive Learner Record 2.0 data model (1EdTech), VC Data Model 2.0 form.

CLR Standard 2.0, section "Data Model": a ``ClrCredential`` is a verifiable credential whose
``credentialSubject`` is a ``ClrSubject`` (the learner) carrying ``verifiableCredential`` (the
Open Badges 3.0 credentials the record bundles, each signed on its own), ``achievement`` (the
achievements those credentials are about) and ``association`` (how two achievements relate:
``isParentOf``, ``precedes``, ...). ``partial`` says the record leaves some achievements out.

The embedded credentials are kept as the JSON they were signed as (``dict``): re-serialising
them through a model could change what their own proofs cover. Their validity is the
verifier's business (``clr.credential`` checks), not the model's.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from microcred.model.base import StrictModel
from microcred.model.identity import IdentityObject
from microcred.model.openbadges import (
    VC_V2_CONTEXT,
    Achievement,
    CredentialSchema,
    CredentialStatus,
    Evidence,
    Image,
    Profile,
    RefreshService,
    TermsOfUse,
)
from microcred.model.types import URI, DateTimeZ, check_datetime, type_list_validator

__all__ = [
    "ASSOCIATION_TYPES",
    "CLR_CONTEXT_PATTERN",
    "Association",
    "ClrCredential",
    "ClrSubject",
]

#: CLR 2.0 AssociationType enumeration.
ASSOCIATION_TYPES = (
    "exactMatchOf",
    "isChildOf",
    "isParentOf",
    "isPartOf",
    "isPeerOf",
    "isRelatedTo",
    "precedes",
    "replacedBy",
)
CLR_CONTEXT_PATTERN = re.compile(
    r"^https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d\.\d)*\.json$"
)

_AssociationType = Annotated[
    str | list[str], AfterValidator(type_list_validator("Association", what="Association"))
]
_ClrSubjectType = Annotated[
    str | list[str], AfterValidator(type_list_validator("ClrSubject", what="ClrSubject"))
]
_VCType = Annotated[
    str | list[str],
    AfterValidator(type_list_validator("VerifiableCredential", what="a credential")),
]


class Association(StrictModel):
    """How the achievement ``source_id`` relates to the achievement ``target_id``."""

    type: _AssociationType = ["Association"]
    association_type: Literal[
        "exactMatchOf",
        "isChildOf",
        "isParentOf",
        "isPartOf",
        "isPeerOf",
        "isRelatedTo",
        "precedes",
        "replacedBy",
    ]
    source_id: URI
    target_id: URI


class ClrSubject(StrictModel):
    """The learner of a CLR and what the record holds."""

    id: URI | None = None
    type: _ClrSubjectType = ["ClrSubject"]
    identifier: list[IdentityObject] | None = None
    achievement: list[Achievement] | None = None
    verifiable_credential: list[dict[str, Any]] = Field(min_length=1)
    association: list[Association] | None = None

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if self.id is None and not self.identifier:
            raise ValueError("the learner needs an 'id' (e.g. a DID) or at least one 'identifier'")
        known = {a.id for a in self.achievement or []}
        for association in self.association or []:
            for end in (association.source_id, association.target_id):
                if end not in known:
                    raise ValueError(
                        f"an association refers to achievement {end!r}, which the record "
                        "does not list in 'achievement'"
                    )
        return self


class ClrCredential(StrictModel):
    """A CLR 2.0 ``ClrCredential``: a signed bundle of a learner's credentials."""

    context: list[str | dict[str, Any]] = Field(
        validation_alias="@context", serialization_alias="@context"
    )
    id: URI
    type: _VCType = ["VerifiableCredential", "ClrCredential"]
    name: Annotated[str, Field(min_length=1)]
    description: str | None = None
    image: Image | None = None
    partial: bool | None = None
    issuer: URI | Profile
    valid_from: DateTimeZ
    valid_until: DateTimeZ | None = None
    awarded_date: DateTimeZ | None = None
    credential_subject: ClrSubject
    evidence: list[Evidence] | None = None
    credential_schema: CredentialSchema | list[CredentialSchema] | None = None
    credential_status: CredentialStatus | list[CredentialStatus] | None = None
    refresh_service: RefreshService | None = None
    terms_of_use: TermsOfUse | list[TermsOfUse] | None = None
    proof: dict[str, Any] | list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if not self.context or self.context[0] != VC_V2_CONTEXT:
            raise ValueError(f"@context of a ClrCredential must start with {VC_V2_CONTEXT!r}")
        if not any(isinstance(c, str) and CLR_CONTEXT_PATTERN.match(c) for c in self.context):
            raise ValueError(
                "@context of a ClrCredential must include a CLR 2.0 context such as "
                "'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json'"
            )
        types = [self.type] if isinstance(self.type, str) else self.type
        if "ClrCredential" not in types:
            raise ValueError("type of a ClrCredential must include 'ClrCredential'")
        if self.valid_until is not None:
            start = datetime.fromisoformat(check_datetime(self.valid_from))
            end = datetime.fromisoformat(check_datetime(self.valid_until))
            if end < start:
                raise ValueError("validUntil is earlier than validFrom")
        return self

    @property
    def issuer_id(self) -> str:
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id
