"""The access matrix of the identity and issuer services, on SQLite and PostgreSQL.

For every kind of caller (each role through a real web session, API tokens with different
scopes, the platform operator, a signed-in stranger) and every operation, the test calls the
operation on the caller's own issuer A and on issuer B, and checks the outcome against the
policy written out below (not derived from ``ROLE_PERMISSIONS``):

* allowed at A -> it works;
* not allowed at A -> ``PermissionDenied`` (members) or ``NotFound`` (non-members);
* anything at B (where the caller is no member) -> ``NotFound``, never a hint that B exists —
  except for the operator, who manages every issuer's profile, keys, staff and audit log.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from identity_testkit import PASSWORD, World, build_world
from storage_helpers import StepClock

from microcred.errors import NotFound, PermissionDenied, Unauthenticated
from microcred.services.access import Permission, Principal, Role
from microcred.services.platform import Platform
from microcred.services.schemas_identity import IssuerProfileUpdate

_counter = itertools.count()


def _fresh_email(issuer_slug: str) -> str:
    return f"person{next(_counter)}-{uuid.uuid4().hex[:6]}@{issuer_slug}.example"


@dataclass(frozen=True)
class Target:
    """The issuer an operation is aimed at, and who may prepare things there."""

    issuer_id: uuid.UUID
    slug: str
    admin: Principal


Operation = Callable[[World, Principal, Target, Any], object]
Prepare = Callable[[World, Target], Any]


def _nothing(world: World, target: Target) -> None:
    return None


def _fresh_account(world: World, target: Target) -> str:
    email = _fresh_email(target.slug)
    world.platform.identity.create_user(world.operator, email, PASSWORD)
    return email


def _fresh_member(world: World, target: Target) -> uuid.UUID:
    user = world.platform.identity.create_user(
        world.operator,
        _fresh_email(target.slug),
        PASSWORD,
        issuer_id=target.issuer_id,
        role=Role.VIEWER,
    )
    return user.id


def _fresh_token(world: World, target: Target) -> uuid.UUID:
    _, info = world.platform.identity.create_token(
        target.admin, target.issuer_id, "victim", [Permission.ISSUER_READ]
    )
    return info.id


OPERATIONS: dict[str, tuple[Prepare, Operation]] = {
    "get_issuer": (_nothing, lambda w, p, t, _: w.platform.issuers.get_issuer(p, t.issuer_id)),
    "list_members": (
        _nothing,
        lambda w, p, t, _: w.platform.identity.list_members(p, t.issuer_id),
    ),
    "list_keys": (_nothing, lambda w, p, t, _: w.platform.issuers.list_keys(p, t.issuer_id)),
    "update_profile": (
        _nothing,
        lambda w, p, t, _: w.platform.issuers.update_profile(
            p, t.issuer_id, IssuerProfileUpdate(legal_name=f"Legal {next(_counter)}")
        ),
    ),
    "rotate_key": (_nothing, lambda w, p, t, _: w.platform.issuers.rotate_key(p, t.issuer_id)),
    "audit_log": (_nothing, lambda w, p, t, _: w.platform.issuers.audit_log(p, t.issuer_id)),
    "add_member": (
        _fresh_account,
        lambda w, p, t, email: w.platform.identity.add_member(p, t.issuer_id, email, Role.VIEWER),
    ),
    "change_role": (
        _fresh_member,
        lambda w, p, t, uid: w.platform.identity.change_role(p, t.issuer_id, uid, Role.DESIGNER),
    ),
    "remove_member": (
        _fresh_member,
        lambda w, p, t, uid: w.platform.identity.remove_member(p, t.issuer_id, uid),
    ),
    "create_member_account": (
        _nothing,
        lambda w, p, t, _: w.platform.identity.create_user(
            p, _fresh_email(t.slug), PASSWORD, issuer_id=t.issuer_id, role=Role.VIEWER
        ),
    ),
    "create_token": (
        _nothing,
        lambda w, p, t, _: w.platform.identity.create_token(
            p, t.issuer_id, "new", [Permission.ISSUER_READ]
        ),
    ),
    "list_tokens": (_nothing, lambda w, p, t, _: w.platform.identity.list_tokens(p, t.issuer_id)),
    "revoke_token": (
        _fresh_token,
        lambda w, p, t, tid: w.platform.identity.revoke_token(p, t.issuer_id, tid),
    ),
}

READ = {"get_issuer", "list_members", "list_keys"}
STAFF = {"add_member", "change_role", "remove_member", "create_member_account"}
TOKENS = {"create_token", "list_tokens", "revoke_token"}
ISSUER_ADMIN = READ | {"update_profile", "rotate_key", "audit_log"} | STAFF
EVERYTHING = ISSUER_ADMIN | TOKENS
assert set(OPERATIONS) == EVERYTHING

# The policy, written out: what each kind of caller may do at its own issuer A.
ALLOWED_AT_A: dict[str, set[str]] = {
    "admin": EVERYTHING,
    "designer": READ,
    "registrar": READ,
    "viewer": READ,
    "token-all-scopes": EVERYTHING,
    "token-read-only": READ,
    "token-keys-and-audit": {"rotate_key", "audit_log"},
    "operator": ISSUER_ADMIN,
    "stranger": set(),
}
# What it may do at issuer B, where it is not a member.
ALLOWED_AT_B: dict[str, set[str]] = {kind: set() for kind in ALLOWED_AT_A} | {
    "operator": ISSUER_ADMIN
}
MEMBERS_OF_A = {kind for kind in ALLOWED_AT_A if kind not in ("operator", "stranger")}


def _caller(world: World, kind: str) -> Principal:
    identity = world.platform.identity
    a = world.issuer_a.id
    admin = world.members[Role.ADMIN]

    def via_session(principal: Principal) -> Principal:
        secret, _ = identity.start_session(principal)
        return identity.principal_for_session(secret, ip="198.51.100.20")

    def via_token(scopes: list[Permission]) -> Principal:
        secret, _ = identity.create_token(admin, a, kind, scopes)
        return identity.principal_for_token(secret, ip="198.51.100.21")

    if kind in {role.value for role in Role}:
        return via_session(world.members[Role(kind)])
    if kind == "token-all-scopes":
        return via_token(list(Permission))
    if kind == "token-read-only":
        return via_token([Permission.ISSUER_READ])
    if kind == "token-keys-and-audit":
        return via_token([Permission.KEYS_MANAGE, Permission.AUDIT_READ])
    if kind == "operator":
        return via_session(world.operator)
    if kind == "stranger":
        identity.create_user(world.operator, "stranger@nowhere.example", PASSWORD)
        return via_session(identity.authenticate_password("stranger@nowhere.example", PASSWORD))
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", sorted(ALLOWED_AT_A))
def test_access_matrix(platform: Platform, kind: str) -> None:
    world = build_world(platform)
    caller = _caller(world, kind)
    targets = {
        "A": Target(world.issuer_a.id, "alpha", world.members[Role.ADMIN]),
        "B": Target(world.issuer_b.id, "beta", world.admin_b),
    }
    outcomes: dict[tuple[str, str], str] = {}
    for (where, target), (name, (prepare, operation)) in itertools.product(
        targets.items(), OPERATIONS.items()
    ):
        context = prepare(world, target)
        try:
            operation(world, caller, target, context)
        except NotFound:
            outcomes[where, name] = "not found"
        except PermissionDenied:
            outcomes[where, name] = "denied"
        else:
            outcomes[where, name] = "ok"

    expected: dict[tuple[str, str], str] = {}
    for name in OPERATIONS:
        if name in ALLOWED_AT_A[kind]:
            expected["A", name] = "ok"
        else:
            expected["A", name] = "denied" if kind in MEMBERS_OF_A else "not found"
        expected["B", name] = "ok" if name in ALLOWED_AT_B[kind] else "not found"
    # the operator is no member: token operations are "not found" for it, like for anyone
    assert outcomes == expected


def test_references_to_another_issuers_things_are_not_found(world: World) -> None:
    """An admin of A names B's token or B's staff under A's issuer id: not found."""
    identity = world.platform.identity
    admin_a = world.members[Role.ADMIN]
    a, b = world.issuer_a.id, world.issuer_b.id
    _, token_b = identity.create_token(world.admin_b, b, "b's token", [Permission.ISSUER_READ])
    staff_b = identity.create_user(
        world.admin_b, "only-b@beta.example", PASSWORD, issuer_id=b, role=Role.VIEWER
    )
    with pytest.raises(NotFound):
        identity.revoke_token(admin_a, a, token_b.id)
    with pytest.raises(NotFound):
        identity.change_role(admin_a, a, staff_b.id, Role.ADMIN)
    with pytest.raises(NotFound):
        identity.remove_member(admin_a, a, staff_b.id)
    with pytest.raises(NotFound):
        identity.get_user(admin_a, staff_b.id)
    # and B's things are untouched
    assert [t.revoked_at for t in identity.list_tokens(world.admin_b, b)] == [None]
    assert (staff_b.id, Role.VIEWER) in {
        (m.user_id, m.role) for m in identity.list_members(world.admin_b, b)
    }


def test_a_token_acts_for_its_own_issuer_only(world: World) -> None:
    """Even a creator who is admin of both issuers gets a token for exactly one of them."""
    identity = world.platform.identity
    both = identity.create_user(
        world.operator, "both@alpha.example", PASSWORD, issuer_id=world.issuer_a.id, role=Role.ADMIN
    )
    identity.add_member(world.operator, world.issuer_b.id, both.email, Role.ADMIN)
    person = identity.authenticate_password(both.email, PASSWORD)
    assert set(person.roles) == {world.issuer_a.id, world.issuer_b.id}
    secret, _ = identity.create_token(person, world.issuer_a.id, "a only", list(Permission))
    token = identity.principal_for_token(secret)
    assert set(token.roles) == {world.issuer_a.id}
    world.platform.issuers.get_issuer(token, world.issuer_a.id)
    with pytest.raises(NotFound):
        world.platform.issuers.get_issuer(token, world.issuer_b.id)
    with pytest.raises(NotFound):
        identity.list_members(token, world.issuer_b.id)


TOKEN_STATES = ["valid", "expired", "revoked", "creator-removed", "creator-disabled", "garbled"]


@pytest.mark.parametrize("state", TOKEN_STATES)
def test_token_states(world: World, clock: StepClock, state: str) -> None:
    identity = world.platform.identity
    a = world.issuer_a.id
    creator = world.members[Role.REGISTRAR]
    # only admins manage tokens: promote the registrar, let them make one, keep a second admin
    identity.change_role(world.members[Role.ADMIN], a, creator.user_id, Role.ADMIN)
    creator = identity.principal_for_session(identity.start_session(creator).secret)
    secret, info = identity.create_token(
        creator, a, state, [Permission.ISSUER_READ], clock.now() + timedelta(days=1)
    )
    if state == "expired":
        clock.advance(days=1)
    elif state == "revoked":
        identity.revoke_token(world.members[Role.ADMIN], a, info.id)
    elif state == "creator-removed":
        identity.remove_member(world.members[Role.ADMIN], a, creator.user_id)
    elif state == "creator-disabled":
        identity.set_disabled(world.operator, creator.user_id, True)
    elif state == "garbled":
        secret = secret.upper()
    if state == "valid":
        principal = identity.principal_for_token(secret)
        assert world.platform.issuers.get_issuer(principal, a).id == a
        return
    with pytest.raises(Unauthenticated) as caught:
        identity.principal_for_token(secret)
    assert caught.value.status == 401
    assert secret not in str(caught.value) and secret not in repr(caught.value)
