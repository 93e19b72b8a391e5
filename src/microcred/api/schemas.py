"""Response bodies of the admin API (and the few request bodies that are API-only).

Request bodies of use cases are the services' own strict input models (``IssuerCreate``,
``DefinitionInput``, ``IssueRequest``, …: unknown keys refused, no type coercion). The models
here describe what the API answers, in camelCase JSON; each ``*_out`` function turns a service
result (a frozen dataclass) into one. They never carry a secret except :class:`NewTokenOut`'s,
shown once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from microcred.model import ComplianceReport
from microcred.services.access import Principal
from microcred.services.definitions import DefinitionInfo, DefinitionVersionInfo
from microcred.services.issuance import (
    CredentialPage,
    CredentialSummary,
    IssuedCredential,
    LearnerInfo,
)
from microcred.services.mail import OutboxMessageInfo
from microcred.services.schemas_identity import (
    AuditEntryInfo,
    IssuerInfo,
    IssuerKeyInfo,
    MemberInfo,
    TokenInfo,
    UserInfo,
)

__all__ = [
    "AuditEntryOut",
    "ComplianceFindingOut",
    "ComplianceOut",
    "CredentialOut",
    "CredentialPageOut",
    "CredentialSummaryOut",
    "DefinitionOut",
    "DefinitionVersionOut",
    "IssuerOut",
    "KeyOut",
    "LearnerOut",
    "LoginRequest",
    "MemberAdd",
    "MemberOut",
    "MemberRoleChange",
    "MembershipOut",
    "NewTokenOut",
    "OutboxMessageOut",
    "ReviewComment",
    "SessionOut",
    "TokenCreate",
    "UserOut",
    "VersionChoice",
    "WhoAmIOut",
    "audit_out",
    "compliance_out",
    "credential_out",
    "credential_page_out",
    "definition_out",
    "issuer_out",
    "key_out",
    "learner_out",
    "member_out",
    "outbox_out",
    "token_out",
    "user_out",
    "version_out",
    "whoami_out",
]

RoleName = Literal["admin", "designer", "registrar", "viewer", "recognition_officer"]
DefinitionStateName = Literal["draft", "in_review", "published", "retired"]
CredentialStateName = Literal["issued", "claimed", "revoked", "suspended"]


def _datetime_text(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time text, e.g. '2027-06-30T00:00:00Z'")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("must be an RFC 3339 date-time, e.g. '2027-06-30T00:00:00Z'") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("the date-time needs a timezone (e.g. a trailing 'Z' for UTC)")
    return parsed


def _uuid_text(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("must be a UUID (as text)")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError("must be a UUID (as text)") from None


#: A timezone-aware date-time given as RFC 3339 text (JSON has no date type).
JsonDateTime = Annotated[datetime, BeforeValidator(_datetime_text), Field(strict=False)]
#: A UUID given as text.
JsonUUID = Annotated[uuid.UUID, BeforeValidator(_uuid_text), Field(strict=False)]


class Out(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
    )


class In(BaseModel):
    """Strict request bodies: unknown keys refused, no coercion, camelCase JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        strict=True,
        frozen=True,
    )


# --------------------------------------------------------------------------- requests


class LoginRequest(In):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=4096)


class TokenCreate(In):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1, max_length=32, description="Permission names")
    expires_at: JsonDateTime | None = Field(
        default=None, description="RFC 3339 date-time with a timezone; none: never expires"
    )


class MemberAdd(In):
    email: str = Field(min_length=3, max_length=320)
    role: RoleName


class MemberRoleChange(In):
    role: RoleName


class VersionChoice(In):
    version: int | None = Field(default=None, ge=1, description="Default: the newest version")


class ReviewComment(In):
    version: int | None = Field(default=None, ge=1)
    comment: str | None = Field(default=None, max_length=2000)


# --------------------------------------------------------------------------- identity


class UserOut(Out):
    id: uuid.UUID
    email: str
    display_name: str | None
    is_operator: bool
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


class MembershipOut(Out):
    issuer_id: uuid.UUID
    role: RoleName


class WhoAmIOut(Out):
    user_id: uuid.UUID | None
    label: str
    is_operator: bool
    memberships: list[MembershipOut]
    token_id: uuid.UUID | None
    scopes: list[str] | None = Field(description="Token scopes; null for a session")


class SessionOut(Out):
    expires_at: datetime
    principal: WhoAmIOut


class MemberOut(Out):
    user_id: uuid.UUID
    issuer_id: uuid.UUID
    email: str
    display_name: str | None
    role: RoleName


class TokenOut(Out):
    id: uuid.UUID
    issuer_id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(Out):
    secret: str = Field(description="The token; shown once, never again")
    token: TokenOut


def user_out(info: UserInfo) -> UserOut:
    return UserOut(
        id=info.id,
        email=info.email,
        display_name=info.display_name,
        is_operator=info.is_operator,
        disabled=info.disabled,
        created_at=info.created_at,
        last_login_at=info.last_login_at,
    )


def whoami_out(principal: Principal) -> WhoAmIOut:
    return WhoAmIOut(
        user_id=principal.user_id,
        label=principal.label,
        is_operator=principal.is_operator,
        memberships=[
            MembershipOut(issuer_id=issuer_id, role=role.value)
            for issuer_id, role in sorted(principal.roles.items(), key=lambda kv: str(kv[0]))
        ],
        token_id=principal.token_id,
        scopes=None if principal.scopes is None else sorted(p.value for p in principal.scopes),
    )


def member_out(info: MemberInfo) -> MemberOut:
    return MemberOut(
        user_id=info.user_id,
        issuer_id=info.issuer_id,
        email=info.email,
        display_name=info.display_name,
        role=info.role.value,
    )


def token_out(info: TokenInfo) -> TokenOut:
    return TokenOut(
        id=info.id,
        issuer_id=info.issuer_id,
        name=info.name,
        prefix=info.prefix,
        scopes=sorted(p.value for p in info.scopes),
        created_by=info.created_by,
        created_at=info.created_at,
        expires_at=info.expires_at,
        revoked_at=info.revoked_at,
        last_used_at=info.last_used_at,
    )


# --------------------------------------------------------------------------- issuers


class KeyOut(Out):
    id: uuid.UUID
    issuer_id: uuid.UUID
    verification_method: str
    public_key_multibase: str
    status: Literal["active", "rotated"]
    created_at: datetime
    rotated_at: datetime | None


class IssuerOut(Out):
    id: uuid.UUID
    slug: str
    name: str
    did_method: Literal["web", "key"]
    did: str
    legal_name: str | None
    homepage: str | None
    email: str | None
    country_code: str | None
    region_code: str | None
    logo_uri: str | None
    registration_identifiers: list[dict[str, str]]
    created_at: datetime
    updated_at: datetime | None
    did_document_url: str | None
    active_key: KeyOut | None


class AuditEntryOut(Out):
    id: int
    at: datetime
    action: str
    issuer_id: uuid.UUID | None
    actor_user_id: uuid.UUID | None
    actor_token_id: uuid.UUID | None
    target_type: str | None
    target_id: str | None
    ip: str | None
    details: dict[str, Any]


def key_out(info: IssuerKeyInfo) -> KeyOut:
    return KeyOut(
        id=info.id,
        issuer_id=info.issuer_id,
        verification_method=info.verification_method,
        public_key_multibase=info.public_key_multibase,
        status="active" if info.status == "active" else "rotated",
        created_at=info.created_at,
        rotated_at=info.rotated_at,
    )


def issuer_out(info: IssuerInfo) -> IssuerOut:
    return IssuerOut(
        id=info.id,
        slug=info.slug,
        name=info.name,
        did_method="web" if info.did_method == "web" else "key",
        did=info.did,
        legal_name=info.legal_name,
        homepage=info.homepage,
        email=info.email,
        country_code=info.country_code,
        region_code=info.region_code,
        logo_uri=info.logo_uri,
        registration_identifiers=[dict(entry) for entry in info.registration_identifiers],
        created_at=info.created_at,
        updated_at=info.updated_at,
        did_document_url=info.did_document_url,
        active_key=None if info.active_key is None else key_out(info.active_key),
    )


def audit_out(info: AuditEntryInfo) -> AuditEntryOut:
    return AuditEntryOut(
        id=info.id,
        at=info.at,
        action=info.action,
        issuer_id=info.issuer_id,
        actor_user_id=info.actor_user_id,
        actor_token_id=info.actor_token_id,
        target_type=info.target_type,
        target_id=info.target_id,
        ip=info.ip,
        details=dict(info.details),
    )


# --------------------------------------------------------------------------- definitions


class DefinitionVersionOut(Out):
    id: uuid.UUID
    definition_id: uuid.UUID
    issuer_id: uuid.UUID
    slug: str
    version: int
    state: DefinitionStateName
    achievement: dict[str, Any] = Field(description="The Open Badges 3.0 Achievement")
    editable: bool
    issuable: bool
    created_by: uuid.UUID | None
    created_at: datetime
    submitted_at: datetime | None
    published_by: uuid.UUID | None
    published_at: datetime | None
    retired_at: datetime | None


class DefinitionOut(Out):
    id: uuid.UUID
    issuer_id: uuid.UUID
    slug: str
    name: str
    state: DefinitionStateName
    latest_version: int
    published_version: int | None
    created_at: datetime
    updated_at: datetime | None
    latest: DefinitionVersionOut


class ComplianceFindingOut(Out):
    element_id: str
    element: str
    mandatory: bool
    status: Literal["present", "weak", "missing", "not_stated", "from_credential"]
    message: str
    advice: str | None


class ComplianceOut(Out):
    compliant: bool
    findings: list[ComplianceFindingOut]


def version_out(info: DefinitionVersionInfo) -> DefinitionVersionOut:
    return DefinitionVersionOut(
        id=info.id,
        definition_id=info.definition_id,
        issuer_id=info.issuer_id,
        slug=info.slug,
        version=info.version,
        state=info.state.value,
        achievement=info.achievement.to_json(),
        editable=info.editable,
        issuable=info.issuable,
        created_by=info.created_by,
        created_at=info.created_at,
        submitted_at=info.submitted_at,
        published_by=info.published_by,
        published_at=info.published_at,
        retired_at=info.retired_at,
    )


def definition_out(info: DefinitionInfo) -> DefinitionOut:
    return DefinitionOut(
        id=info.id,
        issuer_id=info.issuer_id,
        slug=info.slug,
        name=info.name,
        state=info.state.value,
        latest_version=info.latest_version,
        published_version=info.published_version,
        created_at=info.created_at,
        updated_at=info.updated_at,
        latest=version_out(info.latest),
    )


def compliance_out(report: ComplianceReport) -> ComplianceOut:
    return ComplianceOut(
        compliant=report.compliant,
        findings=[
            ComplianceFindingOut(
                element_id=f.element_id,
                element=f.element,
                mandatory=f.mandatory,
                status=f.status,
                message=f.message,
                advice=f.advice,
            )
            for f in report.findings
        ],
    )


# --------------------------------------------------------------------------- learners, credentials


class LearnerOut(Out):
    id: uuid.UUID
    issuer_id: uuid.UUID
    name: str
    email: str | None
    did: str | None
    external_id: str | None
    created_at: datetime
    updated_at: datetime | None


class CredentialOut(Out):
    id: uuid.UUID = Field(description="The platform's id of this credential (admin API paths)")
    issuer_id: uuid.UUID
    credential_id: str = Field(description="The credential's own `id` (a URI)")
    state: CredentialStateName
    issued_at: datetime
    claimed_at: datetime | None
    definition_id: uuid.UUID | None
    definition_version_id: uuid.UUID | None
    version: int | None
    learner_id: uuid.UUID | None
    replaced_by_id: uuid.UUID | None
    state_reason: str | None
    claim_url: str | None = Field(
        description="The learner's claim link: only in the answer that created the credential"
    )
    replayed: bool = Field(description="True when an idempotent retry returned a stored one")
    verifiable_credential: dict[str, Any]


class CredentialSummaryOut(Out):
    id: uuid.UUID
    credential_id: str
    name: str | None
    state: CredentialStateName
    issued_at: datetime
    claimed_at: datetime | None
    learner_id: uuid.UUID | None
    learner_name: str | None
    learner_email: str | None
    definition_id: uuid.UUID | None
    definition_slug: str | None
    version: int | None
    replaced_by_id: uuid.UUID | None


class CredentialPageOut(Out):
    items: list[CredentialSummaryOut]
    total: int
    limit: int
    offset: int


class OutboxMessageOut(Out):
    id: uuid.UUID
    issuer_id: uuid.UUID | None
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


def learner_out(info: LearnerInfo) -> LearnerOut:
    return LearnerOut(
        id=info.id,
        issuer_id=info.issuer_id,
        name=info.name,
        email=info.email,
        did=info.did,
        external_id=info.external_id,
        created_at=info.created_at,
        updated_at=info.updated_at,
    )


def credential_out(info: IssuedCredential) -> CredentialOut:
    return CredentialOut(
        id=info.id,
        issuer_id=info.issuer_id,
        credential_id=info.credential_uri,
        state=info.state.value,
        issued_at=info.issued_at,
        claimed_at=info.claimed_at,
        definition_id=info.definition_id,
        definition_version_id=info.definition_version_id,
        version=info.version,
        learner_id=info.learner_id,
        replaced_by_id=info.replaced_by_id,
        state_reason=info.state_reason,
        claim_url=info.claim_url,
        replayed=info.replayed,
        verifiable_credential=dict(info.document),
    )


def _summary_out(item: CredentialSummary) -> CredentialSummaryOut:
    return CredentialSummaryOut(
        id=item.id,
        credential_id=item.credential_uri,
        name=item.name,
        state=item.state.value,
        issued_at=item.issued_at,
        claimed_at=item.claimed_at,
        learner_id=item.learner_id,
        learner_name=item.learner_name,
        learner_email=item.learner_email,
        definition_id=item.definition_id,
        definition_slug=item.definition_slug,
        version=item.version,
        replaced_by_id=item.replaced_by_id,
    )


def credential_page_out(page: CredentialPage) -> CredentialPageOut:
    return CredentialPageOut(
        items=[_summary_out(item) for item in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


def outbox_out(info: OutboxMessageInfo) -> OutboxMessageOut:
    return OutboxMessageOut(
        id=info.id,
        issuer_id=info.issuer_id,
        to_address=info.to_address,
        subject=info.subject,
        body_text=info.body_text,
        body_html=info.body_html,
        created_at=info.created_at,
        sent_at=info.sent_at,
        attempts=info.attempts,
        last_error=info.last_error,
    )
