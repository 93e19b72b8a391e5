"""Staff identity: accounts and passwords, login throttling, web sessions, API tokens, memberships.

Passwords
---------
Hashed with Argon2id (RFC 9106) through ``argon2-cffi``; the default parameters are RFC 9106's
second recommended option (t=3, m=64 MiB, p=4). After a successful login a hash made with other
parameters (or another Argon2 variant) is re-hashed with the current ones. Passwords are
NFKC-normalised (NIST SP 800-63B §5.1.1.2) and must have 12 to 1024 characters, not all the same
character, and must not be the account's e-mail address.

Logins that fail look the same whatever the reason (unknown e-mail, wrong password, disabled
account: ``Unauthenticated("Wrong e-mail address or password.")``), and take the same time: an
unknown e-mail address is checked against a dummy hash made with the same parameters.

Throttling
----------
After 5 failed attempts for one e-mail address, or from one IP address, within 15 minutes,
further attempts are refused with ``RateLimited(retry_after=<seconds>)`` until the oldest of
those failures leaves the window — even with the right password. An attempt is counted *before*
the password is checked (and forgiven if it succeeds), so parallel requests cannot exceed the
limit. A success clears the e-mail address's counter, not the IP address's. The counters live
in a :class:`LoginThrottle`; the default :class:`InMemoryLoginThrottle` is per process (with
several app processes each counts on its own; plug a shared implementation into
:class:`IdentityService` for a strict global limit).

Sessions and tokens
-------------------
A web session secret is 32 random bytes (base64url); the database stores only its SHA-256. The
lifetime is fixed (``MICROCRED_SESSION_TTL_HOURS`` from the start, not sliding): a stolen cookie
stops working at a known time, and no request has to write to the database. Changing the
password or disabling the account ends every session.

An API token is ``mc_<prefix>_<secret>``: an 8-hex-character prefix (shown in listings to tell
tokens apart) and 32 random bytes in base58; only the SHA-256 of the whole string is stored. A
token acts for exactly one issuer, as the staff member who created it, with that member's
*current* role narrowed by the token's scopes (``Permission`` values): scopes beyond what the
creator holds are refused at creation, and a creator who is demoted, removed or disabled takes
the token's power down with them. ``last_used_at`` is updated at most once a minute.

Memberships
-----------
One role per (user, issuer): admin, designer, registrar or viewer (``services/access.py``). The
last admin of an issuer can be neither removed nor demoted. Granting a role needs every
permission of that role (a token scoped to ``staff:manage`` cannot hand out ``admin``).
Removing a member revokes the API tokens they created for that issuer.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import argon2
import base58
from argon2.exceptions import InvalidHashError, VerificationError

from microcred.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from microcred.services.access import ROLE_PERMISSIONS, Permission, Principal, Role, require
from microcred.services.audit import record_audit
from microcred.services.issuers import lock_issuer, require_issuer_permission
from microcred.services.schemas_identity import (
    MemberInfo,
    NewSession,
    NewToken,
    TokenInfo,
    UserInfo,
    check_display_name,
    normalise_email,
)
from microcred.storage import (
    ApiToken,
    StaffSession,
    UnitOfWork,
    UnitOfWorkFactory,
    User,
)

__all__ = [
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_FAILURE_WINDOW",
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "TOKEN_PATTERN",
    "Argon2Parameters",
    "IdentityService",
    "InMemoryLoginThrottle",
    "LoginThrottle",
    "PasswordHashing",
    "check_password",
    "hash_secret",
]

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
#: ``mc_<8 hex>_<base58 of 32 bytes>``
TOKEN_PATTERN = re.compile(r"mc_([0-9a-f]{8})_([1-9A-HJ-NP-Za-km-z]{40,50})")

_WRONG_LOGIN = "Wrong e-mail address or password."
_BAD_TOKEN = "This API token is unknown, expired or revoked."
_BAD_SESSION = "Your session has ended; please sign in again."
_LAST_USED_RESOLUTION = timedelta(minutes=1)
_MAX_SECRET_INPUT = 256


def hash_secret(secret: str) -> str:
    """The stored form of a session or token secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- passwords


def check_password(password: str, *, email: str | None = None) -> str:
    """Apply the password policy; returns the NFKC-normalised password to hash.

    The message never contains the password.
    """
    if not isinstance(password, str):
        raise InvalidInput("a password must be a string")
    normalised = unicodedata.normalize("NFKC", password)
    if len(normalised) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {PASSWORD_MIN_LENGTH} characters")
    if len(normalised) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(f"a password has at most {PASSWORD_MAX_LENGTH} characters")
    if len(set(normalised)) == 1:
        raise InvalidInput("a password must not be one character repeated")
    if email is not None and normalised.strip().lower() == email.strip().lower():
        raise InvalidInput("a password must not be the e-mail address")
    return normalised


@dataclass(frozen=True)
class Argon2Parameters:
    """Argon2id cost parameters. Defaults: RFC 9106 §4, second recommended option."""

    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB
    parallelism: int = 4
    hash_len: int = 32
    salt_len: int = 16


class PasswordHashing:
    """Argon2id hashing with a fixed parameter set; hashes made otherwise need a rehash."""

    def __init__(self, parameters: Argon2Parameters | None = None) -> None:
        self.parameters = parameters or Argon2Parameters()
        p = self.parameters
        self._hasher = argon2.PasswordHasher(
            time_cost=p.time_cost,
            memory_cost=p.memory_cost,
            parallelism=p.parallelism,
            hash_len=p.hash_len,
            salt_len=p.salt_len,
            type=argon2.Type.ID,
        )
        self._dummy: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PasswordHashing({self.parameters!r})"

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """True if ``password`` matches; a malformed stored hash is a mismatch."""
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification (for accounts that do not exist)."""
        with self._lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(24))
            dummy = self._dummy
        self.verify(dummy, password)


# --------------------------------------------------------------------------- throttling


class LoginThrottle(Protocol):
    """Counts failed logins per key (``email:…``, ``ip:…``) in a sliding window."""

    def acquire(self, keys: Sequence[str], now: datetime) -> int:
        """0 to go ahead (the attempt is counted as a failure for every key until
        :meth:`release`), else the seconds to wait (nothing is counted)."""
        ...

    def release(self, keys: Sequence[str], attempted_at: datetime) -> None:
        """Forgive the attempt made at ``attempted_at`` (it succeeded)."""
        ...

    def clear(self, key: str) -> None:
        """Forget every failure of ``key``."""
        ...


class InMemoryLoginThrottle:
    """A per-process :class:`LoginThrottle` with bounded memory (thread-safe)."""

    def __init__(
        self,
        *,
        limit: int = LOGIN_FAILURE_LIMIT,
        window: timedelta = LOGIN_FAILURE_WINDOW,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1 or window <= timedelta(0) or max_keys < 1:
            raise ValueError("limit, window and max_keys must be positive")
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._failures: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: datetime) -> list[datetime]:
        times = self._failures.get(key)
        if not times:
            return []
        cutoff = now - self.window
        kept = [t for t in times if t > cutoff]
        if kept:
            self._failures[key] = kept
        else:
            del self._failures[key]
        return kept

    def acquire(self, keys: Sequence[str], now: datetime) -> int:
        with self._lock:
            wait = 0.0
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= self.limit:
                    # Allowed again when enough failures have left the window.
                    until = sorted(recent)[len(recent) - self.limit] + self.window
                    wait = max(wait, (until - now).total_seconds())
            if wait > 0:
                return max(1, math.ceil(wait))
            for key in keys:
                self._failures.setdefault(key, []).append(now)
            self._trim(now)
            return 0

    def release(self, keys: Sequence[str], attempted_at: datetime) -> None:
        with self._lock:
            for key in keys:
                times = self._failures.get(key)
                if times and attempted_at in times:
                    times.remove(attempted_at)
                    if not times:
                        del self._failures[key]

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _trim(self, now: datetime) -> None:
        if len(self._failures) <= self._max_keys:
            return
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) > self._max_keys:
            del self._failures[next(iter(self._failures))]


def _throttle_keys(email: str, ip: str | None) -> list[str]:
    # The e-mail key is hashed: memory stays bounded and typed-in text is not kept around.
    folded = email.strip().lower()[:_MAX_SECRET_INPUT]
    keys = ["email:" + hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]]
    if ip:
        keys.append("ip:" + ip.strip()[:64])
    return keys


# --------------------------------------------------------------------------- conversions


def _user_info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        is_operator=user.is_operator,
        disabled=user.disabled,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def _scopes_of(token: ApiToken) -> frozenset[Permission]:
    known = {p.value for p in Permission}
    return frozenset(Permission(s) for s in token.scopes if s in known)


def _token_info(token: ApiToken) -> TokenInfo:
    return TokenInfo(
        id=token.id,
        issuer_id=token.issuer_id,
        name=token.name,
        prefix=token.prefix,
        scopes=_scopes_of(token),
        created_by=token.created_by,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


def _parse_scopes(scopes: Iterable[Permission | str]) -> frozenset[Permission]:
    parsed: set[Permission] = set()
    for scope in scopes:
        try:
            parsed.add(Permission(scope))
        except ValueError:
            raise InvalidInput(
                f"unknown scope {str(scope)[:40]!r}; scopes are: "
                + ", ".join(p.value for p in Permission)
            ) from None
    if not parsed:
        raise InvalidInput("a token needs at least one scope")
    return frozenset(parsed)


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} must be a timezone-aware date and time")
    return value


# --------------------------------------------------------------------------- the service


class IdentityService:
    """Users, passwords, sessions, API tokens and memberships. See the module docstring."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        session_ttl: timedelta = timedelta(hours=12),
        passwords: PasswordHashing | None = None,
        throttle: LoginThrottle | None = None,
    ) -> None:
        if session_ttl <= timedelta(0):
            raise ValueError("session_ttl must be positive")
        self._uow = uow
        self._clock = uow.clock
        self._session_ttl = session_ttl
        self._passwords = passwords or PasswordHashing()
        self._throttle: LoginThrottle = throttle or InMemoryLoginThrottle()

    def __repr__(self) -> str:
        return f"IdentityService(session_ttl={self._session_ttl!r})"

    # ------------------------------------------------------------------ users

    def create_user(
        self,
        principal: Principal | None,
        email: str,
        password: str,
        display_name: str | None = None,
        is_operator: bool = False,
        *,
        issuer_id: uuid.UUID | None = None,
        role: Role | None = None,
    ) -> UserInfo:
        """Create a staff account.

        ``principal=None`` is the bootstrap (``microcred init``): allowed only while no account
        exists. A platform operator may create any account (operators too). An issuer admin
        (Permission.STAFF_MANAGE at ``issuer_id``) may create a non-operator account that
        joins ``issuer_id`` with ``role`` in the same transaction.
        """
        address = normalise_email(email)
        name = None if display_name is None else check_display_name(display_name, "name", 200)
        if (issuer_id is None) != (role is None):
            raise InvalidInput("give both issuer_id and role, or neither")
        if principal is not None and not (principal.is_operator and principal.token_id is None):
            if issuer_id is None:
                raise PermissionDenied("Only a platform operator may do this.")
            if is_operator:
                raise PermissionDenied("Only a platform operator may create operators.")
            require(principal, issuer_id, Permission.STAFF_MANAGE)
        if issuer_id is not None and role is not None and principal is not None:
            self._check_may_grant(principal, issuer_id, role)
        hashed = self._passwords.hash(check_password(password, email=address))
        with self._uow() as tx:
            if principal is None and tx.users.list_all(limit=1):
                raise PermissionDenied(
                    "accounts exist already: sign in as a platform operator to add one"
                )
            if tx.users.find_by_email(address) is not None:
                raise Conflict("an account with this e-mail address exists already")
            user = tx.users.add(
                User(
                    email=address,
                    password_hash=hashed,
                    display_name=name,
                    is_operator=is_operator,
                )
            )
            record_audit(
                tx,
                principal,
                "user.create",
                issuer_id=issuer_id,
                target_type="user",
                target_id=user.id,
                details={"email": address, "is_operator": is_operator},
            )
            if issuer_id is not None and role is not None:
                if principal is None:
                    tx.issuers.get(issuer_id)
                else:
                    lock_issuer(tx, issuer_id)
                tx.memberships.grant(issuer_id, user.id, role)
                record_audit(
                    tx,
                    principal,
                    "member.add",
                    issuer_id=issuer_id,
                    target_type="user",
                    target_id=user.id,
                    details={"email": address, "role": role.value},
                )
            tx.commit()
        return _user_info(user)

    def get_user(self, principal: Principal, user_id: uuid.UUID) -> UserInfo:
        """An account: your own, or any for a platform operator."""
        if principal.user_id != user_id and not (
            principal.is_operator and principal.token_id is None
        ):
            raise NotFound("no such user")
        with self._uow(read_only=True) as tx:
            return _user_info(tx.users.get(user_id))

    def list_users(
        self, principal: Principal, *, limit: int = 100, offset: int = 0
    ) -> list[UserInfo]:
        """Every account (platform operators only)."""
        self._require_operator_user(principal)
        with self._uow(read_only=True) as tx:
            return [_user_info(u) for u in tx.users.list_all(limit=limit, offset=offset)]

    def set_disabled(self, principal: Principal, user_id: uuid.UUID, disabled: bool) -> UserInfo:
        """Disable (or re-enable) an account; disabling ends its sessions and tokens' power."""
        self._require_operator_user(principal)
        if disabled and user_id == principal.user_id:
            raise Conflict("you cannot disable your own account")
        with self._uow() as tx:
            user = tx.users.get(user_id)
            if disabled and user.is_operator and not user.disabled:
                self._keep_an_operator(tx, user_id)
            user = tx.users.set_disabled(user_id, disabled)
            ended = tx.sessions.delete_for_user(user_id) if disabled else 0
            record_audit(
                tx,
                principal,
                "user.disable" if disabled else "user.enable",
                target_type="user",
                target_id=user_id,
                details={"sessions_ended": ended},
            )
            tx.commit()
        return _user_info(user)

    def set_operator(self, principal: Principal, user_id: uuid.UUID, is_operator: bool) -> UserInfo:
        """Grant or withdraw the platform operator flag; the last operator stays one."""
        self._require_operator_user(principal)
        with self._uow() as tx:
            user = tx.users.get(user_id)
            if user.is_operator and not is_operator:
                self._keep_an_operator(tx, user_id)
            user = tx.users.set_operator(user_id, is_operator)
            record_audit(
                tx,
                principal,
                "user.operator_set",
                target_type="user",
                target_id=user_id,
                details={"is_operator": is_operator},
            )
            tx.commit()
        return _user_info(user)

    def change_password(
        self, principal: Principal, current_password: str, new_password: str
    ) -> None:
        """Change your own password (needs the current one); ends all your sessions.

        Wrong current passwords count like failed sign-ins (per account): after
        ``LOGIN_FAILURE_LIMIT`` of them within the window, ``RateLimited`` until enough
        failures leave it, so a stolen session cannot be used to guess the password.
        """
        user_id = self._require_signed_in_user(principal)
        now = self._clock.now()
        keys = [f"password-change:{user_id}"]
        wait = self._throttle.acquire(keys, now)
        if wait:
            raise RateLimited(
                f"Too many wrong current passwords; try again in {wait} seconds.",
                retry_after=wait,
            )
        with self._uow(read_only=True) as tx:
            user = tx.users.get(user_id)
        if not self._passwords.verify(
            user.password_hash, unicodedata.normalize("NFKC", current_password)
        ):
            raise PermissionDenied("the current password is wrong")
        self._throttle.clear(keys[0])
        hashed = self._passwords.hash(check_password(new_password, email=user.email))
        with self._uow() as tx:
            tx.users.set_password_hash(user_id, hashed)
            ended = tx.sessions.delete_for_user(user_id)
            record_audit(
                tx,
                principal,
                "user.password_change",
                target_type="user",
                target_id=user_id,
                details={"sessions_ended": ended},
            )
            tx.commit()

    # ------------------------------------------------------------------ passwords and login

    def authenticate_password(self, email: str, password: str, ip: str | None = None) -> Principal:
        """Check a password login; the principal carries the user's roles at this moment.

        ``RateLimited`` while throttled (see the module docstring), ``Unauthenticated`` for any
        wrong combination, with one message and the same cost.
        """
        now = self._clock.now()
        keys = _throttle_keys(email if isinstance(email, str) else "", ip)
        wait = self._throttle.acquire(keys, now)
        if wait:
            raise RateLimited(
                f"Too many failed sign-in attempts; try again in {wait} seconds.",
                retry_after=wait,
            )
        user: User | None = None
        ok = False
        try:
            address = normalise_email(email)
        except InvalidInput:
            address = None
        candidate = password if isinstance(password, str) else ""
        candidate = unicodedata.normalize("NFKC", candidate[: PASSWORD_MAX_LENGTH * 4])
        if address is not None:
            with self._uow(read_only=True) as tx:
                user = tx.users.find_by_email(address)
        if user is None or len(candidate) > PASSWORD_MAX_LENGTH:
            self._passwords.verify_dummy(candidate[:PASSWORD_MAX_LENGTH])
        else:
            ok = self._passwords.verify(user.password_hash, candidate) and not user.disabled
        if not ok or user is None:
            self._record_failed_login(user, ip)
            raise Unauthenticated(_WRONG_LOGIN)
        self._throttle.release(keys[1:], now)
        self._throttle.clear(keys[0])
        rehash = self._passwords.needs_rehash(user.password_hash)
        new_hash = self._passwords.hash(candidate) if rehash else None
        with self._uow() as tx:
            if new_hash is not None:
                tx.users.set_password_hash(user.id, new_hash)
            user = tx.users.record_login(user.id)
            principal = self._user_principal(tx, user, ip)
            record_audit(
                tx,
                principal,
                "user.login",
                target_type="user",
                target_id=user.id,
                details={"rehashed": rehash},
            )
            tx.commit()
        return principal

    def _record_failed_login(self, user: User | None, ip: str | None) -> None:
        # The typed e-mail address of an unknown account is not stored: people type their
        # password into the e-mail field.
        with self._uow() as tx:
            record_audit(
                tx,
                None,
                "user.login_failed",
                target_type="user" if user is not None else None,
                target_id=user.id if user is not None else None,
                details={"reason": "unknown_account" if user is None else "rejected"},
                ip=ip,
            )
            tx.commit()

    # ------------------------------------------------------------------ sessions

    def start_session(self, principal: Principal) -> NewSession:
        """Open a web session for a signed-in user (fixed lifetime from the settings)."""
        user_id = self._require_signed_in_user(principal)
        secret = secrets.token_urlsafe(32)
        with self._uow() as tx:
            user = tx.users.get(user_id)
            if user.disabled:
                raise Unauthenticated(_BAD_SESSION)
            tx.sessions.delete_expired()
            expires_at = self._clock.now() + self._session_ttl
            tx.sessions.add(
                StaffSession(id_hash=hash_secret(secret), user_id=user_id, expires_at=expires_at)
            )
            record_audit(
                tx,
                principal,
                "session.start",
                target_type="user",
                target_id=user_id,
                details={"expires_at": expires_at},
            )
            tx.commit()
        return NewSession(secret=secret, expires_at=expires_at)

    def principal_for_session(self, secret: str, ip: str | None = None) -> Principal:
        """The signed-in user behind a session cookie, or ``Unauthenticated``."""
        if not isinstance(secret, str) or not secret or len(secret) > _MAX_SECRET_INPUT:
            raise Unauthenticated(_BAD_SESSION)
        with self._uow(read_only=True) as tx:
            staff_session = tx.sessions.find_valid(hash_secret(secret))
            if staff_session is None:
                raise Unauthenticated(_BAD_SESSION)
            user = tx.users.get(staff_session.user_id)
            if user.disabled:
                raise Unauthenticated(_BAD_SESSION)
            return self._user_principal(tx, user, ip)

    def end_session(self, secret: str, ip: str | None = None) -> bool:
        """Sign out: delete the session. False if there was none (nothing to do)."""
        if not isinstance(secret, str) or not secret or len(secret) > _MAX_SECRET_INPUT:
            return False
        id_hash = hash_secret(secret)
        with self._uow() as tx:
            staff_session = tx.sessions.find_valid(id_hash)
            if staff_session is None:
                return False
            tx.sessions.delete(id_hash)
            record_audit(
                tx,
                Principal(user_id=staff_session.user_id, label="session", ip=ip),
                "session.end",
                target_type="user",
                target_id=staff_session.user_id,
            )
            tx.commit()
        return True

    # ------------------------------------------------------------------ API tokens

    def create_token(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        name: str,
        scopes: Iterable[Permission | str],
        expires_at: datetime | None = None,
    ) -> NewToken:
        """Create a token for ``issuer_id`` (Permission.TOKENS_MANAGE).

        ``scopes`` must be a subset of what the principal holds there. Returns the secret
        (shown once) and the token's :class:`TokenInfo`.
        """
        label = check_display_name(name, "token name", 200)
        wanted = _parse_scopes(scopes)
        if expires_at is not None:
            _aware(expires_at, "expires_at")
        with self._uow() as tx:
            require(principal, issuer_id, Permission.TOKENS_MANAGE)
            if principal.user_id is None:
                raise PermissionDenied("a token must be created on behalf of a staff member")
            beyond = wanted - principal.permissions_at(issuer_id)
            if beyond:
                raise PermissionDenied(
                    "a token cannot have more than its creator: you do not hold "
                    + ", ".join(sorted(p.value for p in beyond)),
                    missing_permissions=sorted(p.value for p in beyond),
                )
            if expires_at is not None and expires_at <= self._clock.now():
                raise InvalidInput("expires_at must be in the future")
            prefix = secrets.token_hex(4)
            secret = f"mc_{prefix}_{base58.b58encode(secrets.token_bytes(32)).decode('ascii')}"
            token = tx.api_tokens.add(
                ApiToken(
                    issuer_id=issuer_id,
                    name=label,
                    token_hash=hash_secret(secret),
                    prefix=prefix,
                    scopes=sorted(p.value for p in wanted),
                    created_by=principal.user_id,
                    expires_at=expires_at,
                )
            )
            record_audit(
                tx,
                principal,
                "token.create",
                issuer_id=issuer_id,
                target_type="api_token",
                target_id=token.id,
                details={
                    "token_name": label,
                    "token_prefix": prefix,
                    "scopes": sorted(p.value for p in wanted),
                    "expires_at": expires_at,
                },
            )
            tx.commit()
        return NewToken(secret=secret, info=_token_info(token))

    def list_tokens(
        self, principal: Principal, issuer_id: uuid.UUID, *, include_revoked: bool = False
    ) -> list[TokenInfo]:
        with self._uow(read_only=True) as tx:
            require(principal, issuer_id, Permission.TOKENS_MANAGE)
            tokens = tx.api_tokens.list_for_issuer(issuer_id, include_revoked=include_revoked)
            return [_token_info(t) for t in tokens]

    def revoke_token(
        self, principal: Principal, issuer_id: uuid.UUID, token_id: uuid.UUID
    ) -> TokenInfo:
        """Revoke a token of ``issuer_id`` (idempotent: the first revocation time is kept)."""
        with self._uow() as tx:
            require(principal, issuer_id, Permission.TOKENS_MANAGE)
            before = tx.api_tokens.get(issuer_id, token_id)
            already = before.revoked_at is not None
            token = tx.api_tokens.revoke(issuer_id, token_id)
            if not already:
                record_audit(
                    tx,
                    principal,
                    "token.revoke",
                    issuer_id=issuer_id,
                    target_type="api_token",
                    target_id=token_id,
                    details={"token_name": token.name, "token_prefix": token.prefix},
                )
            tx.commit()
        return _token_info(token)

    def principal_for_token(self, secret: str, ip: str | None = None) -> Principal:
        """The principal an API token acts as, or ``Unauthenticated``.

        Its role is the creator's current role at the token's issuer, narrowed by the scopes.
        """
        if not isinstance(secret, str) or not TOKEN_PATTERN.fullmatch(secret):
            raise Unauthenticated(_BAD_TOKEN)
        with self._uow(read_only=True) as tx:
            token = tx.api_tokens.find_usable_by_hash(hash_secret(secret))
            if token is None or token.created_by is None:
                raise Unauthenticated(_BAD_TOKEN)
            creator = tx.users.get(token.created_by)
            membership = tx.memberships.find(token.issuer_id, creator.id)
            if creator.disabled or membership is None:
                raise Unauthenticated("This API token's creator can no longer act for its issuer.")
            principal = Principal(
                user_id=creator.id,
                label=f"token {token.prefix} ({token.name})",
                roles={token.issuer_id: membership.role},
                token_id=token.id,
                scopes=_scopes_of(token),
                is_operator=False,
                ip=ip,
            )
            stale = token.last_used_at is None or (
                token.last_used_at < self._clock.now() - _LAST_USED_RESOLUTION
            )
        if stale:
            with self._uow() as tx:
                tx.api_tokens.record_use(token.id)
                tx.commit()
        return principal

    # ------------------------------------------------------------------ memberships

    def add_member(
        self, principal: Principal, issuer_id: uuid.UUID, email: str, role: Role
    ) -> MemberInfo:
        """Give an existing account ``role`` at ``issuer_id`` (Permission.STAFF_MANAGE)."""
        address = normalise_email(email)
        with self._uow() as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.STAFF_MANAGE)
            self._check_may_grant(principal, issuer_id, role)
            lock_issuer(tx, issuer_id)
            user = tx.users.find_by_email(address)
            if user is None:
                raise NotFound("no account with this e-mail address; create it first (create_user)")
            if tx.memberships.find(issuer_id, user.id) is not None:
                raise Conflict("this person is already a member; change their role instead")
            tx.memberships.grant(issuer_id, user.id, role)
            record_audit(
                tx,
                principal,
                "member.add",
                issuer_id=issuer_id,
                target_type="user",
                target_id=user.id,
                details={"email": address, "role": role.value},
            )
            tx.commit()
        return MemberInfo(user.id, issuer_id, user.email, user.display_name, role)

    def change_role(
        self, principal: Principal, issuer_id: uuid.UUID, user_id: uuid.UUID, role: Role
    ) -> MemberInfo:
        """Change a member's role; the last admin cannot be demoted."""
        with self._uow() as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.STAFF_MANAGE)
            self._check_may_grant(principal, issuer_id, role)
            lock_issuer(tx, issuer_id)
            membership = tx.memberships.get(issuer_id, user_id)
            old = membership.role
            self._check_may_grant(principal, issuer_id, old)
            if old is Role.ADMIN and role is not Role.ADMIN:
                self._keep_an_admin(tx, issuer_id)
            if old is not role:
                tx.memberships.change_role(issuer_id, user_id, role)
                record_audit(
                    tx,
                    principal,
                    "member.role_change",
                    issuer_id=issuer_id,
                    target_type="user",
                    target_id=user_id,
                    details={"from": old.value, "to": role.value},
                )
            user = tx.users.get(user_id)
            tx.commit()
        return MemberInfo(user.id, issuer_id, user.email, user.display_name, role)

    def remove_member(self, principal: Principal, issuer_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Remove a member (and revoke the tokens they made here); never the last admin."""
        with self._uow() as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.STAFF_MANAGE)
            lock_issuer(tx, issuer_id)
            membership = tx.memberships.get(issuer_id, user_id)
            self._check_may_grant(principal, issuer_id, membership.role)
            if membership.role is Role.ADMIN:
                self._keep_an_admin(tx, issuer_id)
            old = membership.role
            tx.memberships.remove(issuer_id, user_id)
            revoked = 0
            for token in tx.api_tokens.list_for_issuer(issuer_id):
                if token.created_by == user_id:
                    tx.api_tokens.revoke(issuer_id, token.id)
                    revoked += 1
            record_audit(
                tx,
                principal,
                "member.remove",
                issuer_id=issuer_id,
                target_type="user",
                target_id=user_id,
                details={"role": old.value, "tokens_revoked": revoked},
            )
            tx.commit()

    def list_members(self, principal: Principal, issuer_id: uuid.UUID) -> list[MemberInfo]:
        """The issuer's staff and their roles (Permission.ISSUER_READ)."""
        with self._uow(read_only=True) as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.ISSUER_READ)
            return [
                MemberInfo(user.id, issuer_id, user.email, user.display_name, role)
                for user, role in tx.memberships.list_members(issuer_id)
            ]

    # ------------------------------------------------------------------ internals

    def _user_principal(self, tx: UnitOfWork, user: User, ip: str | None) -> Principal:
        roles = {issuer.id: role for issuer, role in tx.issuers.list_for_user(user.id)}
        return Principal(
            user_id=user.id, label=user.email, roles=roles, is_operator=user.is_operator, ip=ip
        )

    @staticmethod
    def _require_signed_in_user(principal: Principal) -> uuid.UUID:
        if principal.user_id is None:
            raise Unauthenticated("sign in first")
        if principal.token_id is not None:
            raise PermissionDenied("an API token cannot do this; sign in as a person")
        return principal.user_id

    @staticmethod
    def _require_operator_user(principal: Principal) -> None:
        if not principal.is_operator or principal.token_id is not None:
            raise PermissionDenied("Only a platform operator may do this.")

    @staticmethod
    def _check_may_grant(principal: Principal, issuer_id: uuid.UUID, role: Role) -> None:
        """A member may hand out only a role whose permissions they hold themselves."""
        if principal.is_operator and principal.token_id is None:
            return  # an operator (not through a token) manages any issuer's staff
        beyond = ROLE_PERMISSIONS[role] - principal.permissions_at(issuer_id)
        if beyond:
            raise PermissionDenied(
                f"you cannot grant the role '{role.value}': it includes permissions you do not "
                "hold (" + ", ".join(sorted(p.value for p in beyond)) + ")"
            )

    @staticmethod
    def _keep_an_admin(tx: UnitOfWork, issuer_id: uuid.UUID) -> None:
        if tx.memberships.count_with_role(issuer_id, Role.ADMIN) <= 1:
            raise Conflict(
                "this is the issuer's last admin: make someone else admin first",
                reason="last_admin",
            )

    @staticmethod
    def _keep_an_operator(tx: UnitOfWork, user_id: uuid.UUID) -> None:
        offset = 0
        while True:
            batch = tx.users.list_all(limit=1000, offset=offset)
            if any(u.is_operator and not u.disabled and u.id != user_id for u in batch):
                return
            if len(batch) < 1000:
                break
            offset += len(batch)
        raise Conflict("this is the last platform operator: appoint another one first")
