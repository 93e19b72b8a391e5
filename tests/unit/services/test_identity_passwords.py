"""Password policy, Argon2id hashing and the in-memory login throttle (no database)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import argon2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.errors import InvalidInput
from microcred.services.identity import (
    PASSWORD_MAX_LENGTH,
    TOKEN_PATTERN,
    Argon2Parameters,
    InMemoryLoginThrottle,
    PasswordHashing,
    check_password,
    hash_secret,
)

FAST = Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1)
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- policy


def test_policy_accepts_and_normalises() -> None:
    assert check_password("twelve chars") == "twelve chars"
    # NFKC: a full-width and a compatibility form become the plain characters
    assert check_password("ｐａｓｓｗｏｒｄ ｆｕｌｌ") == "password full"
    assert check_password("x" * 1023 + "y") == "x" * 1023 + "y"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "at least 12"),
        ("eleven char", "at least 12"),
        ("é" * 3 + "abcdefgh", "at least 12"),
        ("z" * 40, "one character repeated"),
        ("ab" * 513, "at most 1024"),
    ],
)
def test_policy_refuses(password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        check_password(password)
    if password:
        assert password not in str(caught.value)


def test_policy_refuses_the_email_address() -> None:
    with pytest.raises(InvalidInput, match="e-mail address"):
        check_password("Ada.Lovelace@Example.org", email="ada.lovelace@example.org")


def test_policy_refuses_non_strings() -> None:
    with pytest.raises(InvalidInput):
        check_password(b"bytes are not text" * 2)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_policy_outcome_is_decided_by_length_and_variety(password: str) -> None:
    import unicodedata

    normalised = unicodedata.normalize("NFKC", password)
    good = 12 <= len(normalised) <= PASSWORD_MAX_LENGTH and len(set(normalised)) > 1
    if good:
        assert check_password(password) == normalised
    else:
        with pytest.raises(InvalidInput):
            check_password(password)


# --------------------------------------------------------------------------- hashing


def test_argon2id_hash_verify_and_rehash() -> None:
    hashing = PasswordHashing(FAST)
    stored = hashing.hash("a long enough passphrase")
    assert stored.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert hashing.verify(stored, "a long enough passphrase")
    assert not hashing.verify(stored, "a long enough passphrasE")
    assert not hashing.verify("not a hash", "x")
    assert not hashing.needs_rehash(stored)
    stronger = PasswordHashing(Argon2Parameters(time_cost=2, memory_cost=64, parallelism=1))
    assert stronger.verify(stored, "a long enough passphrase")
    assert stronger.needs_rehash(stored)
    assert stronger.needs_rehash("garbage")
    # another Argon2 variant needs a rehash too
    argon2i = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=argon2.Type.I)
    legacy = argon2i.hash("a long enough passphrase")
    assert hashing.verify(legacy, "a long enough passphrase")
    assert hashing.needs_rehash(legacy)


def test_default_parameters_are_rfc_9106_second_option() -> None:
    p = Argon2Parameters()
    assert (p.time_cost, p.memory_cost, p.parallelism) == (3, 65536, 4)
    assert repr(PasswordHashing()) == f"PasswordHashing({p!r})"


def test_dummy_verification_is_made_once_with_the_same_parameters() -> None:
    hashing = PasswordHashing(FAST)
    hashing.verify_dummy("whatever")
    first = hashing._dummy
    hashing.verify_dummy("again")
    assert first is not None and first == hashing._dummy
    assert first.startswith("$argon2id$v=19$m=64,t=1,p=1$")


# --------------------------------------------------------------------------- secrets


def test_hash_secret_and_token_pattern() -> None:
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert TOKEN_PATTERN.fullmatch("mc_0a1b2c3d_" + "z" * 44)
    for bad in ["mc_0A1B2C3D_" + "z" * 44, "mc_0a1b2c3d_" + "0" * 44, "mc_0a1b2c3_" + "z" * 44]:
        assert not TOKEN_PATTERN.fullmatch(bad)


# --------------------------------------------------------------------------- throttle


def test_throttle_blocks_after_the_limit_and_reports_the_wait() -> None:
    throttle = InMemoryLoginThrottle()
    keys = ["email:x", "ip:203.0.113.1"]
    for minute in range(5):
        assert throttle.acquire(keys, T0 + timedelta(minutes=minute)) == 0
    now = T0 + timedelta(minutes=5, seconds=30)
    assert throttle.acquire(keys, now) == 570  # until T0 + 15 min
    assert throttle.acquire(["ip:203.0.113.1"], now) == 570
    assert throttle.acquire(["email:y", "ip:203.0.113.2"], now) == 0
    assert throttle.acquire(keys, T0 + timedelta(minutes=15)) == 0  # the first one left


def test_throttle_release_forgives_one_attempt_and_clear_forgets_all() -> None:
    throttle = InMemoryLoginThrottle(limit=2)
    keys = ["email:x", "ip:1"]
    assert throttle.acquire(keys, T0) == 0
    later = T0 + timedelta(seconds=1)
    assert throttle.acquire(keys, later) == 0
    assert throttle.acquire(keys, later) > 0
    throttle.release(["ip:1"], later)
    assert throttle.acquire(["ip:1"], later) == 0
    throttle.clear("email:x")
    assert throttle.acquire(["email:x"], later) == 0
    throttle.release(["unknown"], later)  # harmless


def test_throttle_counts_concurrent_attempts_strictly() -> None:
    throttle = InMemoryLoginThrottle(limit=5)
    results: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        outcome = throttle.acquire(["email:x"], T0)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(0) == 5


def test_throttle_memory_is_bounded() -> None:
    throttle = InMemoryLoginThrottle(max_keys=100)
    for n in range(1000):
        throttle.acquire([f"ip:{n}"], T0 + timedelta(seconds=n))
    assert len(throttle._failures) <= 100
    # old entries leave first; the newest are kept
    assert "ip:999" in throttle._failures


def test_throttle_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError):
        InMemoryLoginThrottle(limit=0)
    with pytest.raises(ValueError):
        InMemoryLoginThrottle(window=timedelta(0))
