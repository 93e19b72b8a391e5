"""Chain-account keys (secp256k1) encrypted at rest under the KEK, and the signer."""

from __future__ import annotations

import json
import pickle
import stat
from pathlib import Path

import pytest
from chain_testkit import importorskip

from microcred.errors import Conflict, InvalidInput, KeyStoreError

importorskip("eth_account", reason="chain accounts need the 'evm' extra")

from eth_account import Account  # noqa: E402

from microcred.anchoring.backends.evm_account import (  # noqa: E402
    ChainAccount,
    ChainKeyStore,
    LocalChainAccount,
)

pytestmark = pytest.mark.chain

KEK = bytes.fromhex("a1" * 32)
OTHER_KEK = bytes.fromhex("b2" * 32)
# Hardhat's publicly known development account #0 (never use it anywhere real).
DEV_SECRET = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEV_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def test_create_open_and_file_format(tmp_path: Path) -> None:
    store = ChainKeyStore(tmp_path / "chain", KEK)
    address = store.create("acme-anchor")
    account = store.open("acme-anchor")
    assert isinstance(account, ChainAccount)
    assert account.address == address == store.address("acme-anchor")
    assert store.list_accounts() == ["acme-anchor"]
    path = tmp_path / "chain" / "acme-anchor.chain-key.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "chain").stat().st_mode) == 0o700
    record = json.loads(path.read_text())
    assert record["format"] == "microcred-chain-key/1"
    assert record["algorithm"] == "secp256k1" and record["cipher"] == "AES-256-GCM"
    assert record["address"] == address
    assert account._secret().hex() not in path.read_text()


def test_import_known_key_and_sign(tmp_path: Path) -> None:
    store = ChainKeyStore(tmp_path, KEK)
    assert store.import_secret("dev", "0x" + DEV_SECRET) == DEV_ADDRESS
    account = store.open("dev")
    tx = {
        "to": DEV_ADDRESS,
        "value": 1,
        "gas": 21000,
        "maxFeePerGas": 10**9,
        "maxPriorityFeePerGas": 10**9,
        "nonce": 0,
        "chainId": 31337,
        "type": 2,
    }
    signed = account.sign_transaction(tx)
    assert Account.recover_transaction(signed.raw) == DEV_ADDRESS
    assert signed.tx_hash.startswith("0x") and len(signed.tx_hash) == 66


def test_secret_never_shown(tmp_path: Path) -> None:
    account = LocalChainAccount.from_hex(DEV_SECRET)
    store = ChainKeyStore(tmp_path, KEK)
    for text in (repr(account), str(account), repr(store)):
        assert DEV_SECRET not in text and KEK.hex() not in text
    assert "redacted" in repr(account)
    with pytest.raises(TypeError):
        pickle.dumps(account)
    with pytest.raises(TypeError):
        pickle.dumps(store)


def test_wrong_kek_and_tampering(tmp_path: Path) -> None:
    ChainKeyStore(tmp_path, KEK).import_secret("dev", DEV_SECRET)
    with pytest.raises(KeyStoreError, match="wrong key-encryption key"):
        ChainKeyStore(tmp_path, OTHER_KEK).open("dev")
    path = tmp_path / "dev.chain-key.json"
    record = json.loads(path.read_text())
    record["address"] = "0x" + "11" * 20
    path.write_text(json.dumps(record))
    with pytest.raises(KeyStoreError):
        ChainKeyStore(tmp_path, KEK).open("dev")
    path.write_text("not json")
    with pytest.raises(KeyStoreError, match="corrupt"):
        ChainKeyStore(tmp_path, KEK).open("dev")
    with pytest.raises(KeyStoreError, match="no chain account"):
        ChainKeyStore(tmp_path, KEK).open("missing")


def test_names_and_conflicts(tmp_path: Path) -> None:
    store = ChainKeyStore(tmp_path, KEK)
    store.create("a")
    with pytest.raises(Conflict):
        store.create("a")
    for bad in ("../x", "", ".hidden", "a/b"):
        with pytest.raises(InvalidInput):
            store.create(bad)
    for bad in ("00" * 32, "zz" * 32, "ab"):  # zero key, not hex, too short
        with pytest.raises(InvalidInput):
            store.import_secret("b", bad)


def test_rotate_kek_is_resumable(tmp_path: Path) -> None:
    store = ChainKeyStore(tmp_path, KEK)
    first = store.create("one")
    second = store.create("two")
    assert store.rotate_kek(OTHER_KEK) == ["one", "two"]
    assert ChainKeyStore(tmp_path, OTHER_KEK).address("one") == first
    assert ChainKeyStore(tmp_path, OTHER_KEK).rotate_kek(OTHER_KEK) == []
    assert ChainKeyStore(tmp_path, OTHER_KEK).address("two") == second
