"""First start and demo data: the first operator account, a demo issuer, definitions, a credential.

* :func:`ensure_operator` creates the first platform operator (the bootstrap: allowed only
  while no account exists) or finds the existing one.
* :func:`local_principal` is how a command run on the machine itself acts: as a staff account
  chosen by e-mail (default: the first operator), with that account's current roles. Whoever
  can run commands on the server already holds the database and the key-encryption key, so
  this grants nothing they could not take; it exists so that the audit log names a person.
* :func:`seed_demo` fills an empty platform with the demo used by ``make run`` — idempotently:
  running it again finds what is there and adds only what is missing.

The demo: issuer "University of Zed" (did:web on the configured base URL, Ireland/Dublin), the
operator as its admin, a published definition with every EU standard element
(:func:`microcred.definition.samples.sample_achievement`), a draft definition missing most of
them, a learner and a credential issued to them (idempotency key ``demo-seed-credential``).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from microcred.definition.samples import sample_achievement
from microcred.errors import ConfigError, NotFound
from microcred.services.access import Principal, Role
from microcred.services.definitions import (
    AchievementInput,
    DefinitionInfo,
    DefinitionInput,
)
from microcred.services.issuance import IssuedCredential, IssueRequest, LearnerInput
from microcred.services.platform import Platform
from microcred.services.schemas_identity import IssuerCreate, IssuerInfo, UserInfo
from microcred.storage import DefinitionState

__all__ = [
    "DEMO_ISSUER_SLUG",
    "DemoSeed",
    "OperatorAccount",
    "ensure_operator",
    "find_user",
    "generate_password",
    "local_principal",
    "seed_demo",
]

DEMO_ISSUER_SLUG = "university-of-zed"
DEMO_PUBLISHED_SLUG = "digital-content-creation"
DEMO_DRAFT_SLUG = "open-science-basics"
DEMO_CREDENTIAL_KEY = "demo-seed-credential"

_SYSTEM = Principal(user_id=None, label="local operator (setup)", is_operator=True)
_PAGE = 500


@dataclass(frozen=True)
class OperatorAccount:
    """The operator account; ``password`` is set only when it was created just now."""

    user: UserInfo
    password: str | None


@dataclass(frozen=True)
class DemoSeed:
    operator: OperatorAccount
    issuer: IssuerInfo
    published: DefinitionInfo
    draft: DefinitionInfo
    credential: IssuedCredential


def generate_password() -> str:
    """A random password that passes the policy (24 URL-safe characters, ~143 bits)."""
    return secrets.token_urlsafe(18)


def _all_users(platform: Platform) -> list[UserInfo]:
    users: list[UserInfo] = []
    offset = 0
    while True:
        batch = platform.identity.list_users(_SYSTEM, limit=_PAGE, offset=offset)
        users += batch
        if len(batch) < _PAGE:
            return users
        offset += len(batch)


def find_user(platform: Platform, email: str | None = None) -> UserInfo:
    """The account with ``email``, or (``None``) the first enabled operator."""
    users = _all_users(platform)
    if email is not None:
        wanted = email.strip().lower()
        for user in users:
            if user.email == wanted:
                return user
        raise NotFound(f"no staff account with the e-mail address {email[:320]!r}")
    for user in users:
        if user.is_operator and not user.disabled:
            return user
    raise ConfigError("no operator account exists yet: run 'microcred init' first")


def local_principal(platform: Platform, email: str | None = None) -> Principal:
    """Act on this machine as the staff account ``email`` (default: the first operator)."""
    user = find_user(platform, email)
    if user.disabled:
        raise ConfigError(f"the account {user.email} is disabled")
    roles: dict[uuid.UUID, Role] = {}
    offset = 0
    while True:
        issuers = platform.issuers.list_issuers(_SYSTEM, limit=_PAGE, offset=offset)
        for issuer in issuers:
            for member in platform.identity.list_members(_SYSTEM, issuer.id):
                if member.user_id == user.id:
                    roles[issuer.id] = member.role
        if len(issuers) < _PAGE:
            break
        offset += len(issuers)
    return Principal(
        user_id=user.id,
        label=f"{user.email} (command line)",
        roles=roles,
        is_operator=user.is_operator,
    )


def ensure_operator(
    platform: Platform,
    email: str,
    password: str | None = None,
    display_name: str = "Platform operator",
) -> OperatorAccount:
    """Create the first operator (``password`` or a generated one) unless accounts exist.

    When accounts exist, the operator with ``email`` is returned (``password`` is ``None``:
    the stored one is kept and never shown).
    """
    if _all_users(platform):
        return OperatorAccount(find_user(platform, email), None)
    chosen = password or generate_password()
    user = platform.identity.create_user(None, email, chosen, display_name, is_operator=True)
    return OperatorAccount(user, chosen)


def _issuer_by_slug(platform: Platform, slug: str) -> IssuerInfo | None:
    offset = 0
    while True:
        batch = platform.issuers.list_issuers(_SYSTEM, limit=_PAGE, offset=offset)
        for issuer in batch:
            if issuer.slug == slug:
                return issuer
        if len(batch) < _PAGE:
            return None
        offset += len(batch)


def _definition(
    platform: Platform,
    admin: Principal,
    issuer: IssuerInfo,
    slug: str,
    achievement: AchievementInput,
) -> DefinitionInfo:
    try:
        return platform.definitions.find_by_slug(admin, issuer.id, slug)
    except NotFound:
        return platform.definitions.create(
            admin, issuer.id, DefinitionInput(slug=slug, achievement=achievement)
        )


def seed_demo(
    platform: Platform, *, admin_email: str, admin_password: str | None = None
) -> DemoSeed:
    """Create (or find) the demo data; see the module docstring."""
    try:
        operator = ensure_operator(platform, admin_email, admin_password, "Demo administrator")
    except NotFound:
        # The platform was set up with another operator: the demo belongs to that one.
        operator = OperatorAccount(find_user(platform), None)
    acting = local_principal(platform, operator.user.email)
    issuer = _issuer_by_slug(platform, DEMO_ISSUER_SLUG)
    if issuer is None:
        issuer = platform.issuers.create_issuer(
            acting,
            IssuerCreate(
                slug=DEMO_ISSUER_SLUG,
                name="University of Zed",
                legal_name="University of Zed (demo)",
                homepage="https://uni.example",
                email="credentials@uni.example",
                country_code="IE",
                region_code="IE-D",
                did_method="web",
            ),
        )
    if not any(
        m.user_id == operator.user.id for m in platform.identity.list_members(acting, issuer.id)
    ):
        platform.identity.add_member(acting, issuer.id, operator.user.email, Role.ADMIN)
    admin = local_principal(platform, operator.user.email)

    complete = sample_achievement(awarding_body=issuer.did).to_json()
    complete.pop("id", None)
    published = _definition(
        platform, admin, issuer, DEMO_PUBLISHED_SLUG, AchievementInput.from_json(complete)
    )
    if published.published_version is None:
        if published.latest.state is DefinitionState.DRAFT:
            platform.definitions.submit_for_review(admin, issuer.id, published.id)
        platform.definitions.approve_and_publish(admin, issuer.id, published.id)
        published = platform.definitions.get(admin, issuer.id, published.id)

    incomplete = sample_achievement(awarding_body=issuer.did, with_eu_elements=False).to_json()
    incomplete.pop("id", None)
    incomplete.update(
        name="Open Science Basics",
        description="An introduction to open access, open data and reproducible research.",
    )
    incomplete["criteria"] = {"narrative": "Attend the four workshops."}
    for key in ("resultDescription", "alignment", "image", "creditsAvailable"):
        incomplete.pop(key, None)
    draft = _definition(
        platform, admin, issuer, DEMO_DRAFT_SLUG, AchievementInput.from_json(incomplete)
    )

    credential = platform.issuance.issue(
        admin,
        issuer.id,
        IssueRequest(
            definition_id=published.id,
            learner=LearnerInput(
                name="Ada Learner", email="ada.learner@example.org", external_id="demo-0001"
            ),
            idempotency_key=DEMO_CREDENTIAL_KEY,
        ),
    )
    return DemoSeed(operator, issuer, published, draft, credential)
