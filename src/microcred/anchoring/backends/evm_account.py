"""Chain accounts for the EVM ledger: secp256k1 keys encrypted at rest, and a signer.

An issuer anchors from an Ethereum-style account (an secp256k1 key; the address is the last
20 bytes of the Keccak-256 of the public key, EIP-55 checksummed). Its 32-byte secret is kept
the way :class:`microcred.keys.file_store.FileKeyStore` keeps Ed25519 seeds: one JSON file per
key, mode 0600, in a directory of mode 0700, AES-256-GCM (NIST SP 800-38D) under the same
key-encryption key (``MICROCRED_KEK`` / ``MICROCRED_KEK_FILE``), with a fresh 96-bit nonce and
associated data binding the ciphertext to the format, the key name and the address (the
sealing and the crash-safe file writes are shared: :mod:`microcred.keys.sealed_files`)::

    {
      "format": "microcred-chain-key/1",
      "name": "acme-anchor",
      "algorithm": "secp256k1",
      "address": "0xAbC...",                  # EIP-55
      "kekId": "3f1c0a9e5b7d2c44",
      "cipher": "AES-256-GCM",
      "nonce": "<base64url, 12 bytes>",
      "ciphertext": "<base64url: AES-256-GCM(secret) + 16-byte tag>"
    }

Files are named ``<name>.chain-key.json`` (by default in ``<key store dir>/chain``, so the
Ed25519 store never sees them). The secret is never logged, returned or put in an error
message; :class:`LocalChainAccount` keeps it inside an ``eth_account`` object and has a
redacted ``repr`` and refuses to be pickled.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag

from microcred.errors import ConfigError, Conflict, InvalidInput, KeyStoreError
from microcred.keys.file_store import kek_fingerprint, validate_key_id
from microcred.keys.sealed_files import (
    CIPHER,
    check_fields,
    read_record,
    seal,
    unseal,
    write_record,
)

# Importing eth_account imports py_ecc, which raises the interpreter's recursion limit to
# 100000 for the whole process. A deeply nested JSON document would then overflow the C stack
# (a segfault) instead of raising RecursionError, which the JSON readers rely on. Restore the
# limit the process had.
_RECURSION_LIMIT = sys.getrecursionlimit()
try:
    from eth_account import Account
    from eth_account.signers.local import LocalAccount
    from eth_utils.exceptions import ValidationError as EthKeysValidationError
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ConfigError(
        "EVM chain accounts need web3: install microcred with the 'evm' extra "
        "(pip install 'microcred[evm]')"
    ) from exc
finally:
    sys.setrecursionlimit(_RECURSION_LIMIT)

__all__ = [
    "ChainAccount",
    "ChainKeyStore",
    "LocalChainAccount",
    "SignedTransaction",
]

_FORMAT = "microcred-chain-key/1"
_ALGORITHM = "secp256k1"
_SUFFIX = ".chain-key.json"
_SECRET_LEN = 32
_KEK_LEN = 32
_MAX_FILE = 16 * 1024


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    """A signed transaction ready for ``eth_sendRawTransaction``."""

    raw: bytes
    tx_hash: str  # 0x-prefixed lower-case hex


@runtime_checkable
class ChainAccount(Protocol):
    """Signs transactions for one chain account (role protocol; keys stay inside)."""

    @property
    def address(self) -> str:
        """The EIP-55 checksummed address."""
        ...

    def sign_transaction(self, transaction: Mapping[str, Any]) -> SignedTransaction:
        """Sign ``transaction`` (a dict with ``chainId``, ``nonce``, ``to``, fees, ...)."""
        ...


class LocalChainAccount:
    """A :class:`ChainAccount` holding its secp256k1 secret in memory."""

    __slots__ = ("_account", "__weakref__")

    _account: LocalAccount

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes | bytearray) or len(secret) != _SECRET_LEN:
            raise InvalidInput("an secp256k1 secret key is exactly 32 bytes")
        try:
            self._account = Account.from_key(bytes(secret))
        except (EthKeysValidationError, ValueError):
            raise InvalidInput("not a valid secp256k1 secret key (out of range)") from None
        finally:
            del secret

    @classmethod
    def generate(cls) -> LocalChainAccount:
        """A new random account."""
        while True:
            try:
                return cls(secrets.token_bytes(_SECRET_LEN))
            except InvalidInput:  # pragma: no cover - probability ~2**-128
                continue

    @classmethod
    def from_hex(cls, secret_hex: str) -> LocalChainAccount:
        """An account from its secret as 64 hex characters (optionally ``0x``-prefixed)."""
        text = secret_hex.strip()
        if text[:2] in ("0x", "0X"):
            text = text[2:]
        if len(text) != 2 * _SECRET_LEN:
            raise InvalidInput("an secp256k1 secret key is 64 hex characters")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise InvalidInput("an secp256k1 secret key is 64 hex characters") from None
        return cls(raw)

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_transaction(self, transaction: Mapping[str, Any]) -> SignedTransaction:
        signed = self._account.sign_transaction(dict(transaction))
        return SignedTransaction(
            raw=bytes(signed.raw_transaction), tx_hash="0x" + signed.hash.hex()
        )

    def _secret(self) -> bytes:
        # Only ChainKeyStore calls this, to encrypt the secret.
        return bytes(self._account.key)

    def __repr__(self) -> str:
        return f"LocalChainAccount(address={self.address!r}, key=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("LocalChainAccount holds a private key and cannot be pickled")


def _aad(name: str, address: str) -> bytes:
    return f"{_FORMAT}\x00{name}\x00{address}".encode()


class ChainKeyStore:
    """secp256k1 chain-account keys in ``path``, encrypted under ``kek`` (32 bytes).

    ::

        store = ChainKeyStore(Path("var/keys/chain"), load_kek(os.environ))
        address = store.create("acme-anchor")
        account = store.open("acme-anchor")       # a LocalChainAccount for EvmLedger
    """

    __slots__ = ("_path", "_kek", "__weakref__")

    _path: Path
    _kek: bytes

    def __init__(self, path: str | os.PathLike[str], kek: bytes) -> None:
        if not isinstance(kek, bytes | bytearray) or len(kek) != _KEK_LEN:
            raise ConfigError("the key-encryption key must be exactly 32 bytes (see load_kek)")
        self._kek = bytes(kek)
        self._path = Path(path)
        try:
            self._path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the chain key directory {str(path)!r}: {exc}"
            ) from exc
        if not self._path.is_dir():
            raise ConfigError(f"chain key store path {str(path)!r} is not a directory")

    def __repr__(self) -> str:
        return f"ChainKeyStore(path={str(self._path)!r}, kek=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("ChainKeyStore holds a key-encryption key and cannot be pickled")

    @property
    def path(self) -> Path:
        return self._path

    @property
    def kek_id(self) -> str:
        """Fingerprint of the current KEK (safe to log)."""
        return kek_fingerprint(self._kek)

    # ----------------------------------------------------------------- public operations

    def create(self, name: str) -> str:
        """Generate and store a new account; returns its address."""
        return self._store_new(name, LocalChainAccount.generate())

    def import_secret(self, name: str, secret_hex: str) -> str:
        """Store an existing account given as 64 hex characters; returns its address."""
        return self._store_new(name, LocalChainAccount.from_hex(secret_hex))

    def exists(self, name: str) -> bool:
        return self._file(name).exists()

    def list_accounts(self) -> list[str]:
        """Names of all stored chain accounts, sorted."""
        names = []
        for entry in self._path.iterdir():
            if entry.name.endswith(_SUFFIX) and entry.is_file():
                stem = entry.name[: -len(_SUFFIX)]
                try:
                    names.append(validate_key_id(stem))
                except InvalidInput:
                    continue
        return sorted(names)

    def address(self, name: str) -> str:
        """The address of ``name`` (authenticated: the file is decrypted)."""
        return self.open(name).address

    def open(self, name: str) -> LocalChainAccount:
        """The account ``name``, ready to sign (keep it only as long as needed)."""
        record = self._read(name)
        return self._open(name, record, self._kek)

    def rotate_kek(self, new_kek: bytes, *, check_only: bool = False) -> list[str]:
        """Re-encrypt every chain key under ``new_kek`` (resumable); returns the names done.

        As :meth:`microcred.keys.file_store.FileKeyStore.rotate_kek`: everything is decrypted
        first, then each file is replaced atomically; ``check_only`` writes nothing."""
        if not isinstance(new_kek, bytes | bytearray) or len(new_kek) != _KEK_LEN:
            raise ConfigError("the key-encryption key must be exactly 32 bytes (see load_kek)")
        new_kek = bytes(new_kek)
        new_id = kek_fingerprint(new_kek)
        pending: list[tuple[str, LocalChainAccount]] = []
        for name in self.list_accounts():
            record = self._read(name)
            if record.get("kekId") == new_id:
                self._open(name, record, new_kek)
                continue
            pending.append((name, self._open(name, record, self._kek)))
        if check_only:
            return [name for name, _ in pending]
        for name, account in pending:
            self._write(name, self._seal(name, account, new_kek), replace=True)
        self._kek = new_kek
        return [name for name, _ in pending]

    # ----------------------------------------------------------------- internals

    def _file(self, name: str) -> Path:
        return self._path / (validate_key_id(name) + _SUFFIX)

    def _store_new(self, name: str, account: LocalChainAccount) -> str:
        if self._file(name).exists():
            raise Conflict(f"a chain account named {name!r} already exists")
        self._write(name, self._seal(name, account, self._kek), replace=False)
        return account.address

    def _seal(self, name: str, account: LocalChainAccount, kek: bytes) -> dict[str, str]:
        secret = account._secret()
        try:
            sealed = seal(kek, secret, _aad(name, account.address))
        finally:
            del secret
        return {
            "format": _FORMAT,
            "name": name,
            "algorithm": _ALGORITHM,
            "address": account.address,
            "kekId": kek_fingerprint(kek),
            "cipher": CIPHER,
            **sealed,
        }

    def _write(self, name: str, record: dict[str, str], *, replace: bool) -> None:
        write_record(
            self._path,
            self._file(name),
            record,
            replace=replace,
            taken=f"a chain account named {name!r} already exists",
        )

    def _read(self, name: str) -> dict[str, Any]:
        label = f"chain key file {name!r}"
        record = read_record(
            self._file(name),
            max_size=_MAX_FILE,
            label=label,
            missing=f"no chain account named {name!r} in {str(self._path)!r}",
        )
        expected = {"format": _FORMAT, "name": name, "algorithm": _ALGORITHM, "cipher": CIPHER}
        check_fields(record, expected, label)
        if not isinstance(record.get("address"), str):
            raise KeyStoreError(f"{label} is corrupt: no address")
        return record

    def _open(self, name: str, record: Mapping[str, Any], kek: bytes) -> LocalChainAccount:
        address = str(record["address"])
        try:
            secret = unseal(kek, record, _aad(name, address), f"chain key file {name!r}")
        except InvalidTag as exc:
            file_kek = record.get("kekId")
            hint = (
                f" (the file was encrypted under KEK {file_kek}, the configured KEK is "
                f"{kek_fingerprint(kek)})"
                if isinstance(file_kek, str) and file_kek != kek_fingerprint(kek)
                else " (or the key file was altered)"
            )
            raise KeyStoreError(
                f"cannot decrypt chain account {name!r}: wrong key-encryption key?{hint}"
            ) from exc
        try:
            account = LocalChainAccount(secret)
        except InvalidInput as exc:
            raise KeyStoreError(f"chain key file {name!r} is corrupt: bad secret") from exc
        finally:
            del secret
        if account.address != address:
            raise KeyStoreError(
                f"chain key file {name!r} is corrupt: the address does not match the key"
            )
        return account
