"""The key-encryption key (KEK): required at start, and rotated without ever losing a key.

* Without ``MICROCRED_KEK`` / ``MICROCRED_KEK_FILE`` every command that needs keys, and
  ``microcred serve``, stop with one clear line and a non-zero exit — never a traceback, never a
  server that starts and fails on the first signature.
* ``microcred keys rotate-kek`` re-encrypts every signing key and every chain-account key under
  the new KEK; afterwards the old KEK opens none of them and the keys are the same keys.
* ``kill -9`` in the middle of a rotation (``kek_rotation_worker.py`` kills itself right after
  a chosen key file was renamed into place) leaves every key file whole and readable under
  exactly one of the two KEKs; running the rotation again finishes it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from microcred.errors import KeyStoreError
from microcred.keys.file_store import FileKeyStore, kek_fingerprint

WORKER = Path(__file__).with_name("kek_rotation_worker.py")
SIGNING = ["issuer-a", "issuer-b", "issuer-c", "microcred-ledger", "issuer-d"]
CHAIN = ["anchor-1", "anchor-2", "anchor-3"]


def _environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    env.update(
        MICROCRED_HOME=str(tmp_path / "home"),
        MICROCRED_DATABASE_URL=f"sqlite:///{tmp_path / 'microcred.db'}",
        MICROCRED_BASE_URL="https://credentials.example.edu",
    )
    env.update(extra)
    return env


def _microcred(
    args: list[str], env: dict[str, str], *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "microcred", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _assert_one_line_kek_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "key-encryption key" in lines[0]
    assert "MICROCRED_KEK" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


# --------------------------------------------------------------------------- KEK required


@pytest.mark.parametrize(
    "args",
    [
        ["keys", "list"],
        ["keys", "new", "--id", "k"],
        ["issuer", "list"],
        ["anchor", "run"],
    ],
    ids=lambda args: " ".join(args),
)
def test_commands_refuse_to_run_without_a_kek(tmp_path: Path, args: list[str]) -> None:
    result = _microcred(args, _environ(tmp_path))
    _assert_one_line_kek_error(result)
    assert result.returncode == 2
    assert not (tmp_path / "home" / "keys").exists() or not list(
        (tmp_path / "home" / "keys").glob("*.key.json")
    )


def test_server_refuses_to_start_without_a_kek(tmp_path: Path) -> None:
    port = _free_port()
    result = _microcred(["serve", "--host", "127.0.0.1", "--port", str(port)], _environ(tmp_path))
    _assert_one_line_kek_error(result)
    # it never listened
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("value", ["too-short", "00" * 31, "zz" * 32])
def test_a_malformed_kek_is_refused_without_echoing_it(tmp_path: Path, value: str) -> None:
    result = _microcred(["keys", "list"], _environ(tmp_path, MICROCRED_KEK=value))
    _assert_one_line_kek_error(result)
    assert value not in result.stderr


def test_an_unreadable_kek_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "kek"
    result = _microcred(["keys", "list"], _environ(tmp_path, MICROCRED_KEK_FILE=str(missing)))
    assert result.returncode == 2
    assert "cannot read the key-encryption key file" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- rotation


def _stores(tmp_path: Path, kek: bytes) -> Path:
    pytest.importorskip("eth_account", reason="chain accounts need the 'evm' extra")
    from microcred.anchoring.backends.evm_account import ChainKeyStore

    directory = tmp_path / "keys"
    store = FileKeyStore(directory, kek)
    for key_id in SIGNING:
        store.create(key_id)
    chain = ChainKeyStore(directory / "chain", kek)
    for name in CHAIN:
        chain.create(name)
    return directory


def _publics(directory: Path, kek: bytes) -> dict[str, str]:
    from microcred.anchoring.backends.evm_account import ChainKeyStore

    store = FileKeyStore(directory, kek)
    chain = ChainKeyStore(directory / "chain", kek)
    found = {key_id: store.public_key_multibase(key_id) for key_id in store.list_keys()}
    found.update({name: chain.address(name) for name in chain.list_accounts()})
    return found


def _opens(directory: Path, name: str, kek: bytes) -> bool:
    from microcred.anchoring.backends.evm_account import ChainKeyStore

    try:
        if name in CHAIN:
            ChainKeyStore(directory / "chain", kek).address(name)
        else:
            FileKeyStore(directory, kek).public_key_multibase(name)
    except KeyStoreError:
        return False
    return True


def test_rotate_kek_reencrypts_every_key_and_the_old_kek_opens_none(tmp_path: Path) -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    directory = _stores(tmp_path, old)
    before = _publics(directory, old)
    new_file = tmp_path / "new.kek"
    new_file.write_text(new.hex() + "\n")
    env = _environ(tmp_path, MICROCRED_KEK=old.hex())

    result = _microcred(
        [
            "keys",
            "rotate-kek",
            "--store",
            str(directory),
            "--new-kek-file",
            str(new_file),
            "--json",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["newKekId"] == kek_fingerprint(new)
    assert report["oldKekId"] == kek_fingerprint(old)
    assert sorted(report["rotated"]["signing keys"]) == sorted(SIGNING)
    assert sorted(report["rotated"]["chain account keys"]) == sorted(CHAIN)
    assert new.hex() not in result.stdout + result.stderr

    assert _publics(directory, new) == before  # the same keys, now under the new KEK
    for name in SIGNING + CHAIN:
        assert not _opens(directory, name, old)
    assert not [p for p in directory.rglob("*.tmp")]
    for path in directory.rglob("*.json"):
        assert path.stat().st_mode & 0o777 == 0o600
        assert json.loads(path.read_text())["kekId"] == kek_fingerprint(new)

    # the platform's commands work with the new KEK and refuse the old one in one line
    listed = _microcred(
        ["keys", "list", "--store", str(directory)], env | {"MICROCRED_KEK": new.hex()}
    )
    assert listed.returncode == 0, listed.stderr
    refused = _microcred(["keys", "list", "--store", str(directory)], env)
    assert refused.returncode == 2
    assert "wrong key-encryption key" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_rotate_kek_refuses_the_same_kek_and_a_missing_new_kek(tmp_path: Path) -> None:
    old = secrets.token_bytes(32)
    directory = _stores(tmp_path, old)
    env = _environ(tmp_path, MICROCRED_KEK=old.hex())
    same = _microcred(
        ["keys", "rotate-kek", "--store", str(directory)], env | {"MICROCRED_NEW_KEK": old.hex()}
    )
    assert same.returncode == 2
    assert "is the current one" in same.stderr
    missing = _microcred(["keys", "rotate-kek", "--store", str(directory)], env)
    assert missing.returncode == 2
    assert "--new-kek-file" in missing.stderr
    assert _publics(directory, old)  # untouched


def test_rotate_kek_writes_nothing_when_one_key_opens_under_neither_kek(tmp_path: Path) -> None:
    old, new, stranger = (secrets.token_bytes(32) for _ in range(3))
    directory = _stores(tmp_path, old)
    FileKeyStore(directory, stranger).create("foreign")
    before = {p: p.read_bytes() for p in directory.rglob("*.json")}
    result = _microcred(
        ["keys", "rotate-kek", "--store", str(directory)],
        _environ(tmp_path, MICROCRED_KEK=old.hex(), MICROCRED_NEW_KEK=new.hex()),
    )
    assert result.returncode == 2
    assert "cannot decrypt key 'foreign'" in result.stderr
    assert {p: p.read_bytes() for p in directory.rglob("*.json")} == before


@pytest.mark.parametrize(
    "kill_after",
    [1, len(SIGNING) - 1, len(SIGNING) + 1],
    ids=["first-signing-key", "mid-signing-keys", "first-chain-key"],
)
def test_kill_9_mid_rotation_then_resume(tmp_path: Path, kill_after: int) -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    directory = _stores(tmp_path, old)
    before = _publics(directory, old)
    env = _environ(tmp_path, MICROCRED_KEK=old.hex(), MICROCRED_NEW_KEK=new.hex())
    args = ["keys", "rotate-kek", "--store", str(directory)]

    crashed = subprocess.run(
        [sys.executable, str(WORKER), str(kill_after), "--", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr

    # every key file is whole and opens under exactly one KEK, the one its kekId names
    moved = 0
    for name in SIGNING + CHAIN:
        under_old, under_new = _opens(directory, name, old), _opens(directory, name, new)
        assert under_old != under_new, name
        moved += under_new
        folder = directory / "chain" if name in CHAIN else directory
        suffix = ".chain-key.json" if name in CHAIN else ".key.json"
        record = json.loads((folder / f"{name}{suffix}").read_text())
        assert record["kekId"] == kek_fingerprint(new if under_new else old)
    assert moved == kill_after  # the kill landed mid-way: some moved, some not

    # a server started with the old KEK in between would refuse the moved keys in one line,
    # and the rotation run again finishes the job
    resumed = _microcred([*args, "--json"], env)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert sum(len(ids) for ids in report["rotated"].values()) == len(SIGNING + CHAIN) - moved
    assert _publics(directory, new) == before
    for name in SIGNING + CHAIN:
        assert not _opens(directory, name, old)
