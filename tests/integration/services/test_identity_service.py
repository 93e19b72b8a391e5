"""IdentityService on SQLite and PostgreSQL: accounts, passwords, throttling, sessions, tokens,
memberships, and that no secret leaks into the database, the audit log, errors or reprs."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import timedelta

import pytest
from identity_testkit import (
    FAST,
    PASSWORD,
    World,
    email_for,
    make_platform,
)
from sqlalchemy import select, text
from storage_helpers import StepClock

from microcred.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from microcred.services.access import Permission, Role
from microcred.services.identity import (
    TOKEN_PATTERN,
    Argon2Parameters,
    PasswordHashing,
)
from microcred.services.issuers import lock_issuer
from microcred.services.platform import Platform
from microcred.storage import ApiToken, StaffSession, User

# --------------------------------------------------------------------------- accounts


def test_bootstrap_only_while_no_account_exists(platform: Platform) -> None:
    first = platform.identity.create_user(
        None, "  Ada@Example.ORG ", PASSWORD, "Ada", is_operator=True
    )
    assert first.email == "ada@example.org" and first.is_operator
    with pytest.raises(PermissionDenied, match="accounts exist already"):
        platform.identity.create_user(None, "bob@example.org", PASSWORD)
    operator = platform.identity.authenticate_password("ADA@example.org", PASSWORD)
    entries = platform.issuers.platform_audit_log(operator)
    assert [(e.action, e.actor_user_id) for e in entries] == [
        ("user.login", first.id),
        ("user.create", None),
    ]
    assert entries[1].details == {"email": "ada@example.org", "is_operator": True}


@pytest.mark.parametrize(
    "email",
    [
        "plain",
        "a@b",
        "a@@b.org",
        "a b@c.org",
        "a@192.168.0.1",
        ".a@b.org",
        "a..b@c.org",
        "x" * 65 + "@b.org",
    ],
)
def test_bad_email_addresses_are_refused(platform: Platform, email: str) -> None:
    with pytest.raises(InvalidInput, match="e-mail"):
        platform.identity.create_user(None, email, PASSWORD)


def test_international_domain_is_stored_in_ascii(platform: Platform) -> None:
    user = platform.identity.create_user(None, "Juergen@Bücher.Example", PASSWORD)
    assert user.email == "juergen@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pw", "at least 12"),
        ("a" * 20, "one character repeated"),
        ("x" * 1025, "at most 1024"),
        ("owner@example.org", "e-mail address"),
    ],
)
def test_password_policy(platform: Platform, password: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason) as caught:
        platform.identity.create_user(None, "owner@example.org", password)
    assert password not in str(caught.value)
    assert password not in json.dumps(caught.value.to_problem())


def test_duplicate_email_is_a_conflict(world: World) -> None:
    with pytest.raises(Conflict):
        world.platform.identity.create_user(world.operator, "ADMIN@alpha.example", PASSWORD)


def test_password_stored_as_argon2id_and_rehashed_when_parameters_change(
    world: World, database_url: str, tmp_path, clock: StepClock
) -> None:
    email = email_for(Role.VIEWER, "alpha")
    with world.platform.uow(read_only=True) as tx:
        before = tx.users.find_by_email(email).password_hash
    assert before.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert PASSWORD not in before

    stronger = Argon2Parameters(time_cost=2, memory_cost=128, parallelism=1)
    other = make_platform(
        database_url, tmp_path / "other", clock, passwords=PasswordHashing(stronger)
    )
    try:
        other.identity.authenticate_password(email, PASSWORD)
        with other.uow(read_only=True) as tx:
            after = tx.users.find_by_email(email).password_hash
        assert after.startswith("$argon2id$v=19$m=128,t=2,p=1$")
        # a second login with the same parameters does not rehash again
        other.identity.authenticate_password(email, PASSWORD)
        with other.uow(read_only=True) as tx:
            assert tx.users.find_by_email(email).password_hash == after
    finally:
        other.close()
    # the old parameters still verify the new hash (parameters live in the hash)
    world.platform.identity.authenticate_password(email, PASSWORD)
    logins = world.platform.issuers.platform_audit_log(world.operator, limit=10)
    assert [e.details["rehashed"] for e in logins if e.action == "user.login"][:3] == [
        True,  # back to the original parameters
        False,
        True,
    ]


def test_unknown_email_costs_one_dummy_verification(
    database_url: str, tmp_path, clock: StepClock
) -> None:
    class Counting(PasswordHashing):
        def __init__(self) -> None:
            super().__init__(FAST)
            self.calls: list[str] = []

        def verify(self, stored_hash: str, password: str) -> bool:
            self.calls.append(stored_hash)
            return super().verify(stored_hash, password)

    hashing = Counting()
    built = make_platform(database_url, tmp_path / "h", clock, passwords=hashing)
    try:
        built.identity.create_user(None, "known@example.org", PASSWORD)
        for email in ("nobody@example.org", "not an address"):
            with pytest.raises(Unauthenticated, match="Wrong e-mail address or password"):
                built.identity.authenticate_password(email, PASSWORD)
        assert len(hashing.calls) == 2
        assert hashing.calls[0].startswith("$argon2id$")  # a real hash, same parameters
        with pytest.raises(Unauthenticated, match="Wrong e-mail address or password"):
            built.identity.authenticate_password("known@example.org", "wrong password!!")
        assert len(hashing.calls) == 3
    finally:
        built.close()


def test_failed_logins_look_the_same_and_are_audited_without_the_typed_text(
    world: World,
) -> None:
    identity = world.platform.identity
    email = email_for(Role.DESIGNER, "alpha")
    messages = set()
    for address, password in [
        (email, "not the password"),
        ("nobody@alpha.example", PASSWORD),
        ("my secret passphrase typed in the wrong field", PASSWORD),
    ]:
        with pytest.raises(Unauthenticated) as caught:
            identity.authenticate_password(address, password, "203.0.113.9")
        messages.add(str(caught.value))
    assert messages == {"Wrong e-mail address or password."}
    failed = [
        e
        for e in world.platform.issuers.platform_audit_log(world.operator)
        if e.action == "user.login_failed"
    ]
    assert len(failed) == 3
    assert {e.ip for e in failed} == {"203.0.113.9"}
    dumped = json.dumps([e.details for e in failed])
    assert "secret passphrase" not in dumped
    assert "nobody@" not in dumped


def test_disabled_account_cannot_sign_in_and_loses_its_sessions(world: World) -> None:
    identity = world.platform.identity
    viewer = world.members[Role.VIEWER]
    session = identity.start_session(viewer)
    identity.set_disabled(world.operator, viewer.user_id, True)
    with pytest.raises(Unauthenticated, match="Wrong e-mail address or password"):
        world.login(email_for(Role.VIEWER, "alpha"))
    with pytest.raises(Unauthenticated):
        identity.principal_for_session(session.secret)
    identity.set_disabled(world.operator, viewer.user_id, False)
    world.login(email_for(Role.VIEWER, "alpha"))


def test_operator_flag_and_last_operator(world: World) -> None:
    identity = world.platform.identity
    with pytest.raises(Conflict, match="last platform operator"):
        identity.set_operator(world.operator, world.operator.user_id, False)
    with pytest.raises(PermissionDenied):
        identity.set_operator(world.members[Role.ADMIN], world.operator.user_id, False)
    second = identity.set_operator(world.operator, world.admin_b.user_id, True)
    assert second.is_operator
    assert not identity.set_operator(world.operator, world.operator.user_id, False).is_operator


# --------------------------------------------------------------------------- throttling


def test_five_failures_per_email_then_rate_limited_even_with_the_right_password(
    world: World, clock: StepClock
) -> None:
    identity = world.platform.identity
    email = email_for(Role.REGISTRAR, "alpha")
    for n in range(5):
        with pytest.raises(Unauthenticated):
            identity.authenticate_password(email, f"wrong password #{n}", f"203.0.113.{n}")
        clock.advance(seconds=60)
    with pytest.raises(RateLimited) as caught:
        identity.authenticate_password(email, PASSWORD, "203.0.113.99")
    # the first failure leaves the 15-minute window 15 min after it: 15 - 5 = 10 minutes
    assert caught.value.retry_after == 600
    assert caught.value.to_problem()["retry_after"] == 600
    assert caught.value.status == 429
    clock.advance(seconds=599)
    with pytest.raises(RateLimited) as caught:
        identity.authenticate_password(email, PASSWORD)
    assert caught.value.retry_after == 1
    clock.advance(seconds=1)
    assert identity.authenticate_password(email, PASSWORD).user_id is not None


def test_five_failures_from_one_ip_block_that_ip_only(world: World) -> None:
    identity = world.platform.identity
    for n in range(5):
        with pytest.raises(Unauthenticated):
            identity.authenticate_password(f"guess{n}@alpha.example", PASSWORD, "203.0.113.50")
    with pytest.raises(RateLimited):
        identity.authenticate_password(email_for(Role.ADMIN, "alpha"), PASSWORD, "203.0.113.50")
    # another address is not affected
    identity.authenticate_password(email_for(Role.ADMIN, "alpha"), PASSWORD, "203.0.113.51")


def test_success_resets_the_email_counter(world: World) -> None:
    identity = world.platform.identity
    email = email_for(Role.VIEWER, "alpha")
    for round_ in range(2):
        for n in range(4):
            with pytest.raises(Unauthenticated):
                identity.authenticate_password(email, "wrong password!", f"198.18.{round_}.{n}")
        identity.authenticate_password(email, PASSWORD, f"198.18.{round_}.200")


# --------------------------------------------------------------------------- sessions


def test_session_secret_is_random_hashed_and_expires_at_a_fixed_time(
    world: World, clock: StepClock
) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    started = clock.now()
    session = identity.start_session(admin)
    secret, expires_at = session  # unpacks like the contract's pair
    assert len(secret) == 43 and expires_at == started + timedelta(hours=12)
    assert secret not in repr(session)
    with world.platform.uow(read_only=True) as tx:
        rows = list(tx.session.scalars(select(StaffSession)))
    assert [r.id_hash for r in rows] == [hashlib.sha256(secret.encode()).hexdigest()]

    clock.advance(hours=11)
    principal = identity.principal_for_session(secret, ip="192.0.2.44")
    assert principal.user_id == admin.user_id
    assert principal.roles == {world.issuer_a.id: Role.ADMIN}
    assert principal.ip == "192.0.2.44" and principal.scopes is None
    clock.advance(hours=1)  # fixed lifetime: using it did not extend it
    with pytest.raises(Unauthenticated, match="session has ended"):
        identity.principal_for_session(secret)


def test_end_session(world: World) -> None:
    identity = world.platform.identity
    secret, _ = identity.start_session(world.members[Role.VIEWER])
    assert identity.end_session(secret, ip="192.0.2.5") is True
    with pytest.raises(Unauthenticated):
        identity.principal_for_session(secret)
    assert identity.end_session(secret) is False
    for bogus in ["", "x" * 1000, "not-a-session"]:
        with pytest.raises(Unauthenticated):
            identity.principal_for_session(bogus)


def test_session_sees_role_changes_on_the_next_request(world: World) -> None:
    identity = world.platform.identity
    secret, _ = identity.start_session(world.members[Role.VIEWER])
    identity.change_role(
        world.members[Role.ADMIN],
        world.issuer_a.id,
        world.members[Role.VIEWER].user_id,
        Role.REGISTRAR,
    )
    assert identity.principal_for_session(secret).roles == {world.issuer_a.id: Role.REGISTRAR}


def test_change_password_needs_the_current_one_and_ends_sessions(world: World) -> None:
    identity = world.platform.identity
    designer = world.members[Role.DESIGNER]
    secret, _ = identity.start_session(designer)
    with pytest.raises(PermissionDenied, match="current password is wrong"):
        identity.change_password(designer, "not my password", "a brand new passphrase")
    identity.change_password(designer, PASSWORD, "a brand new passphrase")
    with pytest.raises(Unauthenticated):
        identity.principal_for_session(secret)
    with pytest.raises(Unauthenticated):
        world.login(email_for(Role.DESIGNER, "alpha"))
    identity.authenticate_password(email_for(Role.DESIGNER, "alpha"), "a brand new passphrase")


# --------------------------------------------------------------------------- tokens


def test_token_format_storage_and_principal(world: World, clock: StepClock) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    expires = clock.now() + timedelta(days=30)
    new = identity.create_token(
        admin,
        world.issuer_a.id,
        "SIS sync",
        [Permission.CREDENTIAL_ISSUE, "learner:write"],
        expires,
    )
    secret, info = new
    match = TOKEN_PATTERN.fullmatch(secret)
    assert match is not None and match.group(1) == info.prefix
    assert secret not in repr(new) and secret not in repr(info)
    assert info.scopes == {Permission.CREDENTIAL_ISSUE, Permission.LEARNER_WRITE}
    assert info.expires_at == expires and info.created_by == admin.user_id
    with world.platform.uow(read_only=True) as tx:
        row = tx.session.scalars(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.split("_")[2] not in json.dumps(
        [row.name, row.prefix, row.scopes, row.token_hash]
    )

    principal = identity.principal_for_token(secret, ip="192.0.2.80")
    assert principal.token_id == info.id and principal.user_id == admin.user_id
    assert principal.roles == {world.issuer_a.id: Role.ADMIN}
    assert principal.permissions_at(world.issuer_a.id) == info.scopes
    assert not principal.is_operator and principal.ip == "192.0.2.80"

    listed = identity.list_tokens(admin, world.issuer_a.id)
    assert [t.id for t in listed] == [info.id]
    assert listed[0].last_used_at == clock.now()
    clock.advance(seconds=30)
    identity.principal_for_token(secret)
    assert identity.list_tokens(admin, world.issuer_a.id)[
        0
    ].last_used_at == clock.now() - timedelta(seconds=30)  # written at most once a minute
    clock.advance(seconds=31)
    identity.principal_for_token(secret)
    assert identity.list_tokens(admin, world.issuer_a.id)[0].last_used_at == clock.now()


def test_expired_revoked_and_malformed_tokens_are_unauthenticated(
    world: World, clock: StepClock
) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    short, _ = identity.create_token(
        admin,
        world.issuer_a.id,
        "short",
        [Permission.ISSUER_READ],
        clock.now() + timedelta(hours=1),
    )
    revoked, revoked_info = identity.create_token(
        admin, world.issuer_a.id, "revoked", [Permission.ISSUER_READ]
    )
    identity.principal_for_token(short)
    identity.revoke_token(admin, world.issuer_a.id, revoked_info.id)
    again = identity.revoke_token(admin, world.issuer_a.id, revoked_info.id)
    assert again.revoked_at == clock.now()
    clock.advance(hours=1)
    tampered = revoked[:-1] + ("2" if revoked[-1] != "2" else "3")
    for secret in [short, revoked, tampered, "mc_00000000_" + "1" * 44, "Bearer x", ""]:
        with pytest.raises(Unauthenticated) as caught:
            identity.principal_for_token(secret)
        assert str(caught.value) == "This API token is unknown, expired or revoked."
    assert [t.name for t in identity.list_tokens(admin, world.issuer_a.id)] == ["short"]
    assert {
        t.name for t in identity.list_tokens(admin, world.issuer_a.id, include_revoked=True)
    } == {
        "short",
        "revoked",
    }


def test_token_can_never_exceed_its_creator(world: World) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    secret, _ = identity.create_token(
        admin, world.issuer_a.id, "token admin", [Permission.TOKENS_MANAGE, Permission.ISSUER_READ]
    )
    narrow = identity.principal_for_token(secret)
    with pytest.raises(PermissionDenied, match="credential:issue") as caught:
        identity.create_token(narrow, world.issuer_a.id, "wider", [Permission.CREDENTIAL_ISSUE])
    assert caught.value.extra["missing_permissions"] == ["credential:issue"]
    child, _ = identity.create_token(narrow, world.issuer_a.id, "child", [Permission.ISSUER_READ])
    assert identity.principal_for_token(child).permissions_at(world.issuer_a.id) == {
        Permission.ISSUER_READ
    }


@pytest.mark.parametrize(
    ("scopes", "expires", "message"),
    [
        ([], None, "at least one scope"),
        (["issuer:read", "root"], None, "unknown scope 'root'"),
        (["issuer:read"], "past", "in the future"),
        (["issuer:read"], "naive", "timezone-aware"),
    ],
)
def test_token_input_is_checked(world: World, clock: StepClock, scopes, expires, message) -> None:  # type: ignore[no-untyped-def]
    when = None
    if expires == "past":
        when = clock.now() - timedelta(seconds=1)
    elif expires == "naive":
        when = clock.now().replace(tzinfo=None)
    with pytest.raises(InvalidInput, match=message):
        world.platform.identity.create_token(
            world.members[Role.ADMIN], world.issuer_a.id, "t", scopes, when
        )


def test_token_follows_its_creators_current_role(world: World) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    a = world.issuer_a.id
    secret, _ = identity.create_token(admin, a, "all", list(Permission))
    assert identity.principal_for_token(secret).can(a, Permission.ISSUER_MANAGE)
    # a second admin demotes the creator to viewer: the token narrows with them
    second = identity.create_user(
        world.operator, "second-admin@alpha.example", PASSWORD, issuer_id=a, role=Role.ADMIN
    )
    second_admin = identity.authenticate_password(second.email, PASSWORD)
    identity.change_role(second_admin, a, admin.user_id, Role.VIEWER)
    demoted = identity.principal_for_token(secret)
    assert demoted.permissions_at(a) == {
        Permission.ISSUER_READ,
        Permission.DEFINITION_READ,
        Permission.LEARNER_READ,
        Permission.CREDENTIAL_READ,
    }
    # removed: the token is revoked with the membership
    identity.remove_member(second_admin, a, admin.user_id)
    with pytest.raises(Unauthenticated):
        identity.principal_for_token(secret)
    assert identity.list_tokens(second_admin, a) == []


def test_token_of_a_disabled_creator_stops_working(world: World) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    secret, _ = identity.create_token(admin, world.issuer_a.id, "t", [Permission.ISSUER_READ])
    identity.set_disabled(world.operator, admin.user_id, True)
    with pytest.raises(Unauthenticated, match="creator"):
        identity.principal_for_token(secret)


def test_tokens_cannot_start_sessions_or_change_passwords(world: World) -> None:
    identity = world.platform.identity
    secret, _ = identity.create_token(
        world.members[Role.ADMIN], world.issuer_a.id, "t", [Permission.ISSUER_READ]
    )
    token = identity.principal_for_token(secret)
    with pytest.raises(PermissionDenied):
        identity.start_session(token)
    with pytest.raises(PermissionDenied):
        identity.change_password(token, PASSWORD, "something else entirely")


# --------------------------------------------------------------------------- memberships


def test_members_and_roles(world: World) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    a = world.issuer_a.id
    members = identity.list_members(world.members[Role.VIEWER], a)
    assert {(m.email, m.role) for m in members} == {
        (email_for(role, "alpha"), role) for role in Role
    }
    # admin of B joins A as a viewer
    added = identity.add_member(admin, a, "ADMIN@beta.example", Role.VIEWER)
    assert added.role is Role.VIEWER and added.email == "admin@beta.example"
    with pytest.raises(Conflict, match="already a member"):
        identity.add_member(admin, a, "admin@beta.example", Role.DESIGNER)
    with pytest.raises(NotFound, match="no account"):
        identity.add_member(admin, a, "nobody@alpha.example", Role.VIEWER)
    changed = identity.change_role(admin, a, added.user_id, Role.DESIGNER)
    assert changed.role is Role.DESIGNER
    identity.remove_member(admin, a, added.user_id)
    assert added.user_id not in {m.user_id for m in identity.list_members(admin, a)}
    actions = [e.action for e in world.platform.issuers.audit_log(admin, a, limit=3)]
    assert actions == ["member.remove", "member.role_change", "member.add"]


def test_last_admin_can_be_neither_demoted_nor_removed(world: World) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    a = world.issuer_a.id
    with pytest.raises(Conflict, match="last admin") as caught:
        identity.change_role(admin, a, admin.user_id, Role.VIEWER)
    assert caught.value.extra["reason"] == "last_admin"
    with pytest.raises(Conflict, match="last admin"):
        identity.remove_member(admin, a, admin.user_id)
    with pytest.raises(Conflict, match="last admin"):
        identity.remove_member(world.operator, a, admin.user_id)
    identity.change_role(admin, a, world.members[Role.VIEWER].user_id, Role.ADMIN)
    identity.change_role(admin, a, admin.user_id, Role.VIEWER)  # now allowed
    with world.platform.uow(read_only=True) as tx:
        assert tx.memberships.count_with_role(a, Role.ADMIN) == 1


def test_a_narrow_token_cannot_hand_out_roles_it_does_not_hold(world: World) -> None:
    identity = world.platform.identity
    a = world.issuer_a.id
    secret, _ = identity.create_token(
        world.members[Role.ADMIN],
        a,
        "staff bot",
        [
            Permission.STAFF_MANAGE,
            Permission.ISSUER_READ,
            Permission.DEFINITION_READ,
            Permission.LEARNER_READ,
            Permission.CREDENTIAL_READ,
        ],
    )
    bot = identity.principal_for_token(secret)
    with pytest.raises(PermissionDenied, match="cannot grant the role 'admin'"):
        identity.add_member(bot, a, "admin@beta.example", Role.ADMIN)
    with pytest.raises(PermissionDenied, match="'admin'"):
        identity.change_role(bot, a, world.members[Role.ADMIN].user_id, Role.VIEWER)
    assert identity.add_member(bot, a, "admin@beta.example", Role.VIEWER).role is Role.VIEWER


def test_issuer_admin_creates_an_account_that_joins_the_issuer(world: World) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    user = identity.create_user(
        admin,
        "new.colleague@alpha.example",
        PASSWORD,
        "New Colleague",
        issuer_id=world.issuer_a.id,
        role=Role.REGISTRAR,
    )
    assert not user.is_operator
    assert world.login(user.email).roles == {world.issuer_a.id: Role.REGISTRAR}
    with pytest.raises(PermissionDenied):
        identity.create_user(admin, "free@alpha.example", PASSWORD)
    with pytest.raises(PermissionDenied, match="operators"):
        identity.create_user(
            admin,
            "op@alpha.example",
            PASSWORD,
            is_operator=True,
            issuer_id=world.issuer_a.id,
            role=Role.VIEWER,
        )
    with pytest.raises(NotFound):
        identity.create_user(
            admin, "spy@alpha.example", PASSWORD, issuer_id=world.issuer_b.id, role=Role.VIEWER
        )
    with pytest.raises(PermissionDenied):
        identity.create_user(
            world.members[Role.DESIGNER],
            "x@alpha.example",
            PASSWORD,
            issuer_id=world.issuer_a.id,
            role=Role.VIEWER,
        )


# --------------------------------------------------------------------------- no secrets anywhere


def test_secrets_never_reach_the_database_audit_log_errors_or_reprs(
    world: World, database_url: str
) -> None:
    identity = world.platform.identity
    admin = world.members[Role.ADMIN]
    token = identity.create_token(admin, world.issuer_a.id, "ci", [Permission.ISSUER_READ])
    session = identity.start_session(admin)
    identity.change_password(admin, PASSWORD, "another long passphrase")
    with pytest.raises(Unauthenticated) as bad_login:
        identity.authenticate_password(email_for(Role.ADMIN, "alpha"), "guessed passphrase!")
    with pytest.raises(Unauthenticated) as bad_token:
        identity.principal_for_token(token.secret + "x")
    with pytest.raises(Unauthenticated) as bad_session:
        identity.principal_for_session(session.secret)
    secrets_ = [
        PASSWORD,
        "another long passphrase",
        "guessed passphrase!",
        token.secret,
        token.secret.split("_")[2],
        session.secret,
        hashlib.sha256(token.secret.encode()).hexdigest(),
        hashlib.sha256(session.secret.encode()).hexdigest(),
    ]
    # every row of every table except the hash columns themselves
    with world.platform.uow(read_only=True) as tx:
        dump = []
        for table in (
            "users",
            "memberships",
            "issuers",
            "issuer_keys",
            "audit_log",
            "api_tokens",
            "sessions",
        ):
            for row in tx.session.execute(text(f"SELECT * FROM {table}")).mappings():
                dump.append(
                    {
                        k: str(v)
                        for k, v in row.items()
                        if k not in ("token_hash", "id_hash", "password_hash")
                    }
                )
        hashes = [u.password_hash for u in tx.session.scalars(select(User))]
    text_dump = json.dumps(dump)
    audit = json.dumps(
        [e.details for e in world.platform.issuers.platform_audit_log(world.operator, limit=1000)]
    )
    shown = " ".join(
        [
            text_dump,
            audit,
            repr(token),
            str(token),
            repr(session),
            repr(world.platform),
            repr(identity),
            repr(admin),
            str(bad_login.value),
            str(bad_token.value),
            str(bad_session.value),
            json.dumps(bad_token.value.to_problem()),
        ]
    )
    for secret in secrets_:
        assert secret not in shown
    for hashed in hashes:
        assert PASSWORD not in hashed


def test_two_admins_demoting_each_other_at_once_leave_one_admin(world: World) -> None:
    """The issuer row lock (PostgreSQL) / write lock (SQLite) serialises the last-admin check."""
    identity = world.platform.identity
    a = world.issuer_a.id
    first = world.members[Role.ADMIN]
    second_user = identity.create_user(
        world.operator, "second.admin@alpha.example", PASSWORD, issuer_id=a, role=Role.ADMIN
    )
    second = identity.authenticate_password(second_user.email, PASSWORD)
    outcome: dict[str, object] = {}
    started = threading.Event()

    def second_demotes_first() -> None:
        started.set()
        try:
            identity.change_role(second, a, first.user_id, Role.VIEWER)
            outcome["result"] = "demoted"
        except Conflict as exc:
            outcome["result"] = exc

    with world.platform.uow() as tx:  # "first demotes second", caught half-way
        lock_issuer(tx, a)
        tx.memberships.change_role(a, second_user.id, Role.VIEWER)
        thread = threading.Thread(target=second_demotes_first)
        thread.start()
        started.wait()
        time.sleep(0.3)
        assert "result" not in outcome  # waiting for our transaction
        tx.commit()
    thread.join(timeout=10)
    assert isinstance(outcome["result"], Conflict)
    with world.platform.uow(read_only=True) as tx:
        assert tx.memberships.count_with_role(a, Role.ADMIN) == 1
        assert tx.memberships.get(a, first.user_id).role is Role.ADMIN
