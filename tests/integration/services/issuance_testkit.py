"""Helpers for the definition, issuance and mail service tests (a uniquely named module).

``Kit`` is the real platform (``build_platform``) on the database under test (SQLite or
PostgreSQL, from the shared fixtures) with a hand-moved clock and a temporary key store: the
real IssuerService creates the issuers (did:web DIDs hosted by the platform, Ed25519 keys in the
encrypted FileKeyStore), the real credential engine signs and verifies (bundled contexts,
eddsa-rdfc-2022 / eddsa-jcs-2022, the Verifier resolving hosted DIDs from the database). Staff
accounts and memberships are written through the repositories (no password hashing needed).

Test modules import ``kit_fixture`` (the fixture ``kit``) and ``kit_factory_fixture`` (the
fixture ``kit_factory``: ``kit_factory(settings={...}, on_replaced=...)``).
"""

from __future__ import annotations

import copy
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import StepClock

from microcred.definition.samples import sample_achievement
from microcred.services.access import Principal, Role
from microcred.services.definitions import (
    DefinitionInfo,
    DefinitionInput,
    DefinitionService,
)
from microcred.services.issuance import IssuanceService, IssueRequest, LearnerInput
from microcred.services.issuers import IssuerService
from microcred.services.platform import Platform, build_platform
from microcred.services.schemas_identity import IssuerCreate, IssuerInfo
from microcred.settings import load_settings
from microcred.storage import UnitOfWorkFactory, User
from microcred.wiring import Engine

BASE_URL = "https://credentials.example.edu"
GRADE = "https://uni.example/achievements/digital-content-creation#grade"
OPERATOR = Principal(user_id=None, label="operator", is_operator=True)


def definition_json(
    issuer_did: str, *, title: str = "Digital Content Creation for Research Communication"
) -> dict[str, Any]:
    """A complete definition as a designer would send it (no id; every EU element)."""
    achievement = sample_achievement().to_json()
    del achievement["id"]
    achievement["name"] = title
    achievement["euStandardElements"]["awardingBody"] = [{"id": issuer_did, "name": "Alpha"}]
    return achievement


def incomplete_definition_json() -> dict[str, Any]:
    """A draft with only a title, a description, criteria and 60 hours of workload."""
    return {
        "name": "Spreadsheet Modelling",
        "description": "Build and check spreadsheet models for small businesses.",
        "criteria": {"narrative": "Submit a working model."},
        "euStandardElements": {"volumeOfLearning": "PT60H"},
    }


@dataclass
class Kit:
    platform: Platform
    clock: StepClock
    issuer: IssuerInfo
    other_issuer: IssuerInfo
    members: dict[Role, Principal]
    other_admin: Principal

    @property
    def uow(self) -> UnitOfWorkFactory:
        return self.platform.uow

    @property
    def issuers(self) -> IssuerService:
        return self.platform.issuers

    @property
    def engine(self) -> Engine:
        return self.platform.engine

    @property
    def definitions(self) -> DefinitionService:
        return self.platform.definitions

    @property
    def issuance(self) -> IssuanceService:
        return self.platform.issuance

    def new_issuer(self, slug: str, name: str, *, country: str | None = "IE") -> IssuerInfo:
        return _create_issuer(self.platform, slug, name, country)

    def principal(self, role: Role) -> Principal:
        return self.members[role]

    @property
    def admin(self) -> Principal:
        return self.members[Role.ADMIN]

    @property
    def designer(self) -> Principal:
        return self.members[Role.DESIGNER]

    @property
    def registrar(self) -> Principal:
        return self.members[Role.REGISTRAR]

    @property
    def viewer(self) -> Principal:
        return self.members[Role.VIEWER]

    def published(
        self, slug: str = "digital-content", *, other: bool = False, **kwargs: Any
    ) -> DefinitionInfo:
        """A definition with version 1 published (complete EU elements); ``other``: at the
        other issuer (whose admin designs and reviews)."""
        issuer = self.other_issuer if other else self.issuer
        designer = self.other_admin if other else self.designer
        reviewer = self.other_admin if other else self.admin
        data = DefinitionInput.from_json(
            {"slug": slug, "achievement": definition_json(issuer.did, **kwargs)}
        )
        info = self.definitions.create(designer, issuer.id, data)
        self.definitions.submit_for_review(designer, issuer.id, info.id)
        self.definitions.approve_and_publish(reviewer, issuer.id, info.id)
        return self.definitions.get(reviewer, issuer.id, info.id)

    def request(self, definition: DefinitionInfo, **fields: Any) -> IssueRequest:
        data: dict[str, Any] = {
            "definitionId": str(definition.id),
            "learner": {
                "name": "Ana López",
                "email": "ana.lopez@student.example.org",
                "externalId": "s-1001",
            },
        }
        data.update(fields)
        return IssueRequest.from_json(copy.deepcopy(data))

    def learner(self, **fields: Any) -> LearnerInput:
        data = {"name": "Ana López", "email": "ana.lopez@student.example.org"}
        data.update(fields)
        return LearnerInput.from_json(data)

    def verify(self, document: Mapping[str, Any]) -> Any:
        return self.engine.verifier.verify_credential(dict(document))


def _create_issuer(platform: Platform, slug: str, name: str, country: str | None) -> IssuerInfo:
    return platform.issuers.create_issuer(
        OPERATOR,
        IssuerCreate.from_json(
            {
                "slug": slug,
                "name": name,
                "homepage": f"https://{slug}.example.edu",
                "email": f"credentials@{slug}.example.edu",
                "countryCode": country,
            }
        ),
    )


def _user(uow: UnitOfWorkFactory, email: str) -> uuid.UUID:
    with uow() as tx:
        user = tx.users.add(User(email=email, password_hash="not-used-here"))
        tx.commit()
    return user.id


def _member(kit_uow: UnitOfWorkFactory, issuer: IssuerInfo, email: str, role: Role) -> Principal:
    user_id = _user(kit_uow, email)
    with kit_uow() as tx:
        tx.memberships.grant(issuer.id, user_id, role)
        tx.commit()
    return Principal(user_id=user_id, label=email, roles={issuer.id: role}, ip="192.0.2.10")


def make_kit(
    database_url: str,
    clock: StepClock,
    home: Path,
    *,
    settings: Mapping[str, Any] | None = None,
    **platform_options: Any,
) -> Kit:
    """The platform with issuers alpha and beta and one member of alpha per role."""
    options: dict[str, Any] = {
        "home": home,
        "database_url": database_url,
        "base_url": BASE_URL,
        "kek": secrets.token_hex(32),
        "database_pool_size": 2,
        "database_max_overflow": 2,
    }
    options.update(settings or {})
    platform = build_platform(
        load_settings(**options),
        clock=clock,
        allow_network=False,
        migrate_database=False,
        **platform_options,
    )
    try:
        issuer = _create_issuer(platform, "alpha", "Alpha University", "IE")
        other = _create_issuer(platform, "beta", "Beta College", "IE")
        members = {
            role: _member(platform.uow, issuer, f"{role.value}@alpha.example.edu", role)
            for role in Role
        }
        other_admin = _member(platform.uow, other, "admin@beta.example.edu", Role.ADMIN)
    except BaseException:
        platform.close()
        raise
    kit = Kit(
        platform=platform,
        clock=clock,
        issuer=issuer,
        other_issuer=other,
        members=members,
        other_admin=other_admin,
    )
    return kit


@pytest.fixture(name="kit_factory")
def kit_factory_fixture(
    database_url: str, clock: StepClock, tmp_path: Path
) -> Iterator[Callable[..., Kit]]:
    """``kit_factory(settings={...}, **build_platform options)``; closed after the test."""
    built: list[Kit] = []

    def factory(**options: Any) -> Kit:
        kit = make_kit(database_url, clock, tmp_path / f"home-{len(built)}", **options)
        built.append(kit)
        return kit

    try:
        yield factory
    finally:
        for kit in built:
            kit.platform.close()


@pytest.fixture(name="kit")
def kit_fixture(kit_factory: Callable[..., Kit]) -> Kit:
    """The fixture ``kit``; test modules import ``kit_fixture`` (and ``kit_factory_fixture``)."""
    return kit_factory()
