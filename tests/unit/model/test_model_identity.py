"""Salted identity hashes and IdentityObject (OB 3.0 IdentityHash)."""

from __future__ import annotations

import hashlib

import pytest

from microcred.errors import InvalidInput
from microcred.model import IdentityObject, hash_email, hash_identity, identity_hash
from microcred.model import identity_matches as matches


def test_spec_example_hash() -> None:
    # OB 3.0 "IdentityHash": the SHA-256 of 'a@example.comKosher'.
    assert (
        identity_hash("a@example.com", "Kosher")
        == "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


def test_hash_email_with_given_salt_is_reproducible_and_normalised() -> None:
    one = hash_email("  Ana.Lopez@Uni.EXAMPLE ", salt="pepper")
    two = hash_email("ana.lopez@uni.example", salt="pepper")
    assert one == two
    expected = hashlib.sha256(b"ana.lopez@uni.examplepepper").hexdigest()
    assert one.to_json() == {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": f"sha256${expected}",
        "identityType": "emailAddress",
        "salt": "pepper",
    }


def test_random_salts_differ_and_still_match() -> None:
    a = hash_email("ana@uni.example")
    b = hash_email("ana@uni.example")
    assert a.salt != b.salt and a.identity_hash != b.identity_hash
    assert a.salt is not None and len(a.salt) == 32
    assert matches(a, "ana@uni.example") and matches(b, "ANA@uni.example")
    assert not matches(a, "bob@uni.example")


def test_hash_identity_other_types() -> None:
    obj = hash_identity("S-1234", "sisSourcedId", salt="x")
    assert obj.identity_type == "sisSourcedId"
    assert matches(obj, "S-1234") and not matches(obj, "s-1234")
    assert hash_identity("u1", "ext:MoodleUser", salt="y").identity_type == "ext:MoodleUser"
    with pytest.raises(InvalidInput, match="identifier type"):
        hash_identity("u1", "moodleUser", salt="y")


def test_unhashed_and_md5_identities_are_read_and_matched() -> None:
    plain = IdentityObject.from_json(
        {
            "type": "IdentityObject",
            "identityHash": "student@1edtech.edu",
            "identityType": "emailAddress",
            "hashed": False,
            "salt": "not-used",
        }
    )
    assert matches(plain, "student@1edtech.edu")
    md5 = IdentityObject(
        hashed=True,
        identity_hash="md5$" + hashlib.md5(b"a@example.comKosher").hexdigest(),
        identity_type="emailAddress",
        salt="Kosher",
    )
    assert matches(md5, "a@example.com")


@pytest.mark.parametrize(
    "bad_hash",
    ["b5809d8a92f8", "sha256$xyz", "sha512$" + "0" * 128, "sha256$" + "0" * 63, "md5$" + "0" * 64],
)
def test_malformed_hashes_are_rejected(bad_hash: str) -> None:
    with pytest.raises(InvalidInput, match="identityHash must look like"):
        IdentityObject(hashed=True, identity_hash=bad_hash, identity_type="emailAddress")


def test_bad_email_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="not an e-mail address"):
        hash_email("ana-at-uni")
    with pytest.raises(InvalidInput, match="must not be empty"):
        hash_identity("", "emailAddress")
