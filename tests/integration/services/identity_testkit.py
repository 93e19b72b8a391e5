"""Helpers for the identity and issuer service tests (a uniquely named module, not conftest).

``platform`` builds the real platform (``build_platform``) on the database under test (SQLite
or PostgreSQL, from the shared fixtures) with a hand-moved clock, a temporary key store and
cheap Argon2 parameters (the production ones cost 64 MiB per hash).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from storage_helpers import StepClock

from microcred.services.access import Principal, Role
from microcred.services.identity import Argon2Parameters, PasswordHashing
from microcred.services.platform import Platform, build_platform
from microcred.services.schemas_identity import IssuerCreate, IssuerInfo
from microcred.settings import load_settings

BASE_URL = "https://credentials.example.edu"
FAST = Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1)
PASSWORD = "correct horse battery staple"
OPERATOR_EMAIL = "operator@platform.example"


def make_platform(
    database_url: str,
    home: Path,
    clock: StepClock,
    *,
    kek: str | None = None,
    passwords: PasswordHashing | None = None,
    base_url: str = BASE_URL,
) -> Platform:
    settings = load_settings(
        home=home,
        database_url=database_url,
        base_url=base_url,
        kek=kek or secrets.token_hex(32),
        database_pool_size=2,
        database_max_overflow=2,
    )
    return build_platform(
        settings,
        clock=clock,
        passwords=passwords or PasswordHashing(FAST),
        allow_network=False,
        migrate_database=False,
    )


@pytest.fixture
def platform(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Platform]:
    built = make_platform(database_url, tmp_path / "home", clock)
    try:
        yield built
    finally:
        built.close()


@dataclass
class World:
    """An operator, two issuers (A and B) and one member of A per role (plus one of B)."""

    platform: Platform
    operator: Principal
    issuer_a: IssuerInfo
    issuer_b: IssuerInfo
    members: dict[Role, Principal]
    admin_b: Principal

    def login(self, email: str, ip: str | None = "198.51.100.7") -> Principal:
        return self.platform.identity.authenticate_password(email, PASSWORD, ip)


def email_for(role: Role, slug: str) -> str:
    return f"{role.value}@{slug}.example"


def build_world(platform: Platform) -> World:
    identity, issuers = platform.identity, platform.issuers
    identity.create_user(None, OPERATOR_EMAIL, PASSWORD, "Operator", is_operator=True)
    operator = identity.authenticate_password(OPERATOR_EMAIL, PASSWORD, "192.0.2.1")
    issuer_a = issuers.create_issuer(
        operator, IssuerCreate(slug="alpha", name="Alpha University", country_code="DE")
    )
    issuer_b = issuers.create_issuer(
        operator, IssuerCreate(slug="beta", name="Beta College", country_code="NL")
    )
    for role in Role:
        identity.create_user(
            operator, email_for(role, "alpha"), PASSWORD, issuer_id=issuer_a.id, role=role
        )
    identity.create_user(
        operator, email_for(Role.ADMIN, "beta"), PASSWORD, issuer_id=issuer_b.id, role=Role.ADMIN
    )
    members = {
        role: identity.authenticate_password(email_for(role, "alpha"), PASSWORD, "198.51.100.7")
        for role in Role
    }
    admin_b = identity.authenticate_password(email_for(Role.ADMIN, "beta"), PASSWORD, None)
    return World(platform, operator, issuer_a, issuer_b, members, admin_b)


@pytest.fixture
def world(platform: Platform) -> World:
    return build_world(platform)


def stranger() -> Principal:
    """A signed-in user with no memberships at all."""
    return Principal(user_id=uuid.uuid4(), label="stranger@example.org")
