"""FileKeyStore: encryption at rest, KEK loading, wrong KEK, corruption, rotation, key ids."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from microcred.errors import ConfigError, Conflict, InvalidInput, KeyStoreError
from microcred.keys.ed25519 import Ed25519KeyPair, verify_ed25519
from microcred.keys.file_store import (
    FileKeyStore,
    generate_kek,
    kek_fingerprint,
    load_kek,
    validate_key_id,
)
from microcred.keys.multikey import decode_secret_multikey

KEK = bytes(range(32))
OTHER_KEK = bytes(range(1, 33))
SEED = bytes(range(100, 132))
VM = "did:web:example.edu#key-1"


@pytest.fixture
def store(tmp_path: Path) -> FileKeyStore:
    return FileKeyStore(tmp_path / "keys", KEK)


# ------------------------------------------------------------------ KEK loading


def test_load_kek_from_hex_and_base64url() -> None:
    assert load_kek({"MICROCRED_KEK": KEK.hex()}) == KEK
    b64 = base64.urlsafe_b64encode(KEK).decode()
    assert load_kek({"MICROCRED_KEK": b64}) == KEK
    assert load_kek({"MICROCRED_KEK": b64.rstrip("=")}) == KEK
    assert load_kek({"MICROCRED_KEK": "  " + KEK.hex() + "\n"}) == KEK


def test_load_kek_from_file(tmp_path: Path) -> None:
    text = tmp_path / "kek.txt"
    text.write_text(KEK.hex() + "\n")
    raw = tmp_path / "kek.bin"
    raw.write_bytes(OTHER_KEK)
    assert load_kek({"MICROCRED_KEK_FILE": str(text)}) == KEK
    assert load_kek({"MICROCRED_KEK_FILE": str(raw)}) == OTHER_KEK


def test_missing_kek_names_both_variables() -> None:
    with pytest.raises(ConfigError, match="set MICROCRED_KEK .*or MICROCRED_KEK_FILE"):
        load_kek({})


@pytest.mark.parametrize("value", ["abc", "00" * 31, "zz" * 32, "A" * 44 + "==", KEK.hex() + "00"])
def test_malformed_kek_is_a_config_error_without_echoing_it(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_kek({"MICROCRED_KEK": value})
    assert value not in str(info.value)
    assert "32 bytes" in str(info.value)


def test_both_kek_sources_is_ambiguous(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only one"):
        load_kek({"MICROCRED_KEK": KEK.hex(), "MICROCRED_KEK_FILE": str(tmp_path / "x")})


def test_unreadable_kek_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_kek({"MICROCRED_KEK_FILE": str(tmp_path / "missing")})


def test_generated_kek_loads() -> None:
    assert len(load_kek({"MICROCRED_KEK": generate_kek()})) == 32


def test_store_needs_a_32_byte_kek(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        FileKeyStore(tmp_path, b"short")


# ------------------------------------------------------------------ create / use


def test_create_sign_verify(store: FileKeyStore) -> None:
    public = store.create("issuer-1")
    assert public.startswith("z6Mk")
    assert store.public_key_multibase("issuer-1") == public
    with store.signer_for("issuer-1", VM) as signer:
        assert signer.verification_method == VM
        assert signer.public_key_multibase == public
        signature = signer.sign(b"hello")
    assert verify_ed25519(store.public_key("issuer-1"), b"hello", signature)
    assert store.list_keys() == ["issuer-1"]


def test_signer_is_dead_after_the_with_block(store: FileKeyStore) -> None:
    store.create("k")
    with store.signer_for("k", VM) as signer:
        signer.sign(b"ok")
    with pytest.raises(KeyStoreError, match="outside its with-block"):
        signer.sign(b"late")


def test_files_are_private_and_do_not_contain_the_seed(store: FileKeyStore) -> None:
    pair = Ed25519KeyPair.from_seed(SEED)
    store.import_secret("imported", pair.secret_key_multibase)
    path = store.path / "imported.key.json"
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o700
    data = path.read_bytes()
    for form in (
        SEED,
        SEED.hex().encode(),
        base64.b64encode(SEED),
        base64.urlsafe_b64encode(SEED).rstrip(b"="),
        pair.secret_key_multibase.encode(),
    ):
        assert form not in data
    assert pair.public_key_multibase.encode() in data
    assert KEK not in data and KEK.hex().encode() not in data
    with store.signer_for("imported", VM) as signer:
        assert signer.public_key_multibase == pair.public_key_multibase
    assert not [p for p in store.path.iterdir() if p.name.endswith(".tmp")]


def test_duplicate_key_id_is_a_conflict(store: FileKeyStore) -> None:
    store.create("k")
    with pytest.raises(Conflict):
        store.create("k")


def test_unknown_key(store: FileKeyStore) -> None:
    with pytest.raises(KeyStoreError, match="no key with id 'nope'"):
        store.public_key_multibase("nope")
    with pytest.raises(KeyStoreError), store.signer_for("nope", VM):
        pass


@pytest.mark.parametrize(
    "key_id",
    ["", "../etc", "a/b", "a\\b", "a\x00b", "..", ".hidden", "a..b", "-x", "x" * 129, "é"],
)
def test_key_ids_are_validated(store: FileKeyStore, key_id: str) -> None:
    with pytest.raises(InvalidInput, match="invalid key id"):
        store.create(key_id)
    with pytest.raises(InvalidInput):
        validate_key_id(key_id)
    assert not any(store.path.parent.glob("*.key.json"))


@pytest.mark.parametrize("key_id", ["a", "issuer-1", "ACME_2026.v2", "0" * 128])
def test_good_key_ids(key_id: str) -> None:
    assert validate_key_id(key_id) == key_id


def test_list_ignores_foreign_files(store: FileKeyStore) -> None:
    store.create("b")
    store.create("a")
    (store.path / "notes.txt").write_text("x")
    (store.path / ".tmp.key.json").write_text("{}")
    assert store.list_keys() == ["a", "b"]


# ------------------------------------------------------------------ wrong KEK, corruption


def test_wrong_kek_is_reported_clearly(store: FileKeyStore) -> None:
    store.create("k")
    other = FileKeyStore(store.path, OTHER_KEK)
    wrong = "cannot decrypt key 'k': wrong key-encryption key"
    with pytest.raises(KeyStoreError, match=wrong), other.signer_for("k", VM):
        pass
    with pytest.raises(KeyStoreError, match=kek_fingerprint(KEK)):
        other.public_key_multibase("k")


def _edit(path: Path, **changes: object) -> None:
    record = json.loads(path.read_text())
    record.update(changes)
    path.write_text(json.dumps(record))


def test_ciphertext_is_bound_to_the_key_id(store: FileKeyStore) -> None:
    store.create("a")
    store.create("b")
    a = json.loads((store.path / "a.key.json").read_text())
    _edit(
        store.path / "b.key.json",
        nonce=a["nonce"],
        ciphertext=a["ciphertext"],
        publicKeyMultibase=a["publicKeyMultibase"],
    )
    with pytest.raises(KeyStoreError, match="cannot decrypt key 'b'"):
        store.public_key_multibase("b")


def test_public_key_edited_on_disk_is_detected(store: FileKeyStore) -> None:
    store.create("a")
    _edit(
        store.path / "a.key.json", publicKeyMultibase=Ed25519KeyPair.generate().public_key_multibase
    )
    with pytest.raises(KeyStoreError, match="cannot decrypt key 'a'"):
        store.public_key_multibase("a")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"format": "other"}', "format"),
    ],
)
def test_corrupt_files(store: FileKeyStore, content: bytes, reason: str) -> None:
    (store.path / "bad.key.json").write_bytes(content)
    with pytest.raises(KeyStoreError, match=f"key file for 'bad' is corrupt: .*{reason}"):
        store.public_key_multibase("bad")


@pytest.mark.parametrize(
    ("field", "value"),
    [("nonce", "!!!"), ("nonce", "AAAA"), ("ciphertext", 5), ("ciphertext", "AAAA")],
)
def test_corrupt_fields(store: FileKeyStore, field: str, value: object) -> None:
    store.create("k")
    _edit(store.path / "k.key.json", **{field: value})
    with pytest.raises(KeyStoreError, match="'k'"):
        store.public_key_multibase("k")


def test_symlinked_key_file_is_refused(store: FileKeyStore, tmp_path: Path) -> None:
    store.create("real")
    (store.path / "link.key.json").symlink_to(store.path / "real.key.json")
    with pytest.raises(KeyStoreError, match="not a small regular file"):
        store.public_key_multibase("link")


def test_oversized_file_is_refused(store: FileKeyStore) -> None:
    (store.path / "big.key.json").write_bytes(b" " * 100_000)
    with pytest.raises(KeyStoreError, match="corrupt"):
        store.public_key_multibase("big")


# ------------------------------------------------------------------ KEK rotation


def test_rotate_kek_reencrypts_every_key(store: FileKeyStore) -> None:
    publics = {k: store.create(k) for k in ("a", "b", "c")}
    before = {k: (store.path / f"{k}.key.json").read_text() for k in publics}
    assert sorted(store.rotate_kek(OTHER_KEK)) == ["a", "b", "c"]
    assert store.kek_id == kek_fingerprint(OTHER_KEK)
    for key_id, public in publics.items():
        after = (store.path / f"{key_id}.key.json").read_text()
        assert after != before[key_id]
        assert json.loads(after)["kekId"] == kek_fingerprint(OTHER_KEK)
        assert store.public_key_multibase(key_id) == public
        assert stat.S_IMODE((store.path / f"{key_id}.key.json").stat().st_mode) == 0o600
    with pytest.raises(KeyStoreError, match="wrong key-encryption key"):
        FileKeyStore(store.path, KEK).public_key_multibase("a")
    fresh = FileKeyStore(store.path, OTHER_KEK)
    with fresh.signer_for("b", VM) as signer:
        assert verify_ed25519(fresh.public_key("b"), b"m", signer.sign(b"m"))
    assert not [p for p in store.path.iterdir() if p.name.endswith(".tmp")]


def test_rotate_kek_writes_nothing_if_one_key_cannot_be_decrypted(store: FileKeyStore) -> None:
    store.create("a")
    FileKeyStore(store.path, OTHER_KEK).create("z")  # under a different KEK
    before = (store.path / "a.key.json").read_bytes()
    with pytest.raises(KeyStoreError, match="cannot decrypt key 'z'"):
        store.rotate_kek(bytes(32))
    assert (store.path / "a.key.json").read_bytes() == before
    assert store.kek_id == kek_fingerprint(KEK)


def test_interrupted_rotation_can_be_resumed(
    store: FileKeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key_id in ("a", "b", "c"):
        store.create(key_id)
    real_replace = os.replace
    calls = {"n": 0}

    def crash_after_first(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("simulated crash")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_after_first)
    with pytest.raises(OSError, match="simulated crash"):
        store.rotate_kek(OTHER_KEK)
    monkeypatch.setattr(os, "replace", real_replace)
    restarted = FileKeyStore(store.path, KEK)
    assert restarted.rotate_kek(OTHER_KEK) == ["b", "c"]
    for key_id in ("a", "b", "c"):
        assert FileKeyStore(store.path, OTHER_KEK).public_key_multibase(key_id)
    assert not [p for p in store.path.iterdir() if p.name.endswith(".tmp")]


def test_store_repr_redacts_the_kek(store: FileKeyStore) -> None:
    store.create("k")
    text = repr(store) + str(store)
    assert "redacted" in text
    assert KEK.hex() not in text and repr(KEK) not in text
    with store.signer_for("k", VM) as signer:
        assert "redacted" in repr(signer)
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(store)


def test_seed_roundtrip_through_the_store(store: FileKeyStore) -> None:
    pair = Ed25519KeyPair.from_seed(SEED)
    public = store.import_secret("s", pair.secret_key_multibase)
    assert public == pair.public_key_multibase
    assert decode_secret_multikey(pair.secret_key_multibase) == SEED
