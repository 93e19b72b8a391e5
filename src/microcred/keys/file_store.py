"""A directory of Ed25519 keys, each encrypted at rest under a key-encryption key (KEK).

Layout: one JSON file per key, ``<key_id>.key.json``, mode 0600, in a directory of mode 0700::

    {
      "format": "microcred-key/1",
      "keyId": "acme-2026",
      "algorithm": "Ed25519",
      "publicKeyMultibase": "z6Mk...",
      "kekId": "3f1c0a9e5b7d2c44",          # fingerprint of the KEK (not the KEK)
      "cipher": "AES-256-GCM",
      "nonce": "<base64url, 12 bytes>",
      "ciphertext": "<base64url: AES-256-GCM(seed) + 16-byte tag>"
    }

The private key (the 32-byte Ed25519 seed) is encrypted with AES-256-GCM (NIST SP 800-38D) under
the KEK with a fresh random 96-bit nonce. The associated data binds the ciphertext to the file
format, the key id and the public key, so a ciphertext copied into another key's file, or a
public key edited on disk, fails to decrypt instead of silently signing with the wrong key.
The sealing and the crash-safe file writes are shared with the chain-account store
(:mod:`microcred.keys.sealed_files`); :func:`microcred.keys.rotation.rotate_kek` rotates both.

The KEK comes from the environment (:func:`load_kek`): ``MICROCRED_KEK`` (32 bytes as hex or
base64url) or ``MICROCRED_KEK_FILE`` (a file holding the same, or the 32 raw bytes).
:meth:`FileKeyStore.rotate_kek` re-encrypts every key under a new KEK, one file at a time with
write-to-temp + ``os.replace``; it is resumable (files already under the new KEK are skipped).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag

from microcred.errors import ConfigError, Conflict, InvalidInput, KeyStoreError
from microcred.keys.ed25519 import ED25519, Ed25519KeyPair, Ed25519Signer
from microcred.keys.multikey import decode_public_multikey, decode_secret_multikey
from microcred.keys.sealed_files import (
    CIPHER,
    check_fields,
    read_record,
    seal,
    unseal,
    write_record,
)

__all__ = [
    "KEK_ENV",
    "KEK_FILE_ENV",
    "FileKeyStore",
    "generate_kek",
    "kek_fingerprint",
    "load_kek",
    "validate_key_id",
]

KEK_ENV = "MICROCRED_KEK"
KEK_FILE_ENV = "MICROCRED_KEK_FILE"

_FORMAT = "microcred-key/1"
_SUFFIX = ".key.json"
_KEK_LEN = 32
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_B64URL = re.compile(r"[A-Za-z0-9_-]{43}=?")
_MAX_KEY_FILE = 16 * 1024


# --------------------------------------------------------------------------- KEK handling


def _parse_kek_text(text: str, source: str) -> bytes:
    value = text.strip()
    if _HEX.fullmatch(value):
        return bytes.fromhex(value)
    if _B64URL.fullmatch(value):
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=")
        if len(raw) == _KEK_LEN:
            return raw
    raise ConfigError(
        f"{source} is not a valid key-encryption key: it must be 32 bytes written as 64 hex "
        "characters or 43 base64url characters (generate one with "
        "`python -c 'import secrets; print(secrets.token_hex(32))'`)"
    )


def load_kek(environ: Mapping[str, str]) -> bytes:
    """The 32-byte key-encryption key named by ``environ`` (pass ``os.environ``).

    ``MICROCRED_KEK`` holds the key as hex or base64url; ``MICROCRED_KEK_FILE`` names a file
    holding it as hex, base64url or 32 raw bytes. Exactly one must be set. Error messages never
    contain the key.
    """
    inline = environ.get(KEK_ENV, "")
    path = environ.get(KEK_FILE_ENV, "")
    if inline and path:
        raise ConfigError(f"both {KEK_ENV} and {KEK_FILE_ENV} are set; set only one of them")
    if inline:
        return _parse_kek_text(inline, KEK_ENV)
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"cannot read the key-encryption key file {path!r} named by {KEK_FILE_ENV}: "
                f"{exc.strerror or exc}"
            ) from exc
        if len(data) == _KEK_LEN and not _looks_textual(data):
            return data
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        return _parse_kek_text(text, f"the file {path!r} named by {KEK_FILE_ENV}")
    raise ConfigError(
        "no key-encryption key configured: set MICROCRED_KEK (32 bytes as hex or base64url) "
        "or MICROCRED_KEK_FILE (path to a file holding it)"
    )


def _looks_textual(data: bytes) -> bool:
    return all(32 < b < 127 for b in data)


def generate_kek() -> str:
    """A new random KEK, as 64 hex characters (for ``MICROCRED_KEK``)."""
    return secrets.token_hex(_KEK_LEN)


def kek_fingerprint(kek: bytes) -> str:
    """A short, non-secret identifier of a KEK (16 hex chars of a domain-separated SHA-256)."""
    return hashlib.sha256(b"microcred-kek-id/1\x00" + kek).hexdigest()[:16]


def _check_kek(kek: bytes) -> bytes:
    if not isinstance(kek, bytes | bytearray) or len(kek) != _KEK_LEN:
        raise ConfigError("the key-encryption key must be exactly 32 bytes (see load_kek)")
    return bytes(kek)


# --------------------------------------------------------------------------- key ids


def validate_key_id(key_id: str) -> str:
    """Return ``key_id`` if it is a safe file-name stem, else raise ``InvalidInput``.

    Allowed: 1-128 characters from ``A-Z a-z 0-9 . _ -``, starting with a letter or digit, and
    no ``..`` (so no path separators, no NUL, no traversal, no hidden files).
    """
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id) or ".." in key_id:
        raise InvalidInput(
            f"invalid key id {key_id!r}: use 1-128 characters from A-Z a-z 0-9 . _ -, "
            "starting with a letter or digit, without '..'"
        )
    return key_id


def _aad(key_id: str, public_multibase: str) -> bytes:
    return f"{_FORMAT}\x00{key_id}\x00{public_multibase}".encode()


# --------------------------------------------------------------------------- the store


class FileKeyStore:
    """Ed25519 keys in ``path``, encrypted at rest under ``kek`` (32 bytes, see :func:`load_kek`).

    Use keys only through :meth:`signer_for`::

        store = FileKeyStore(Path("/var/lib/microcred/keys"), load_kek(os.environ))
        public = store.create("acme-2026")
        with store.signer_for("acme-2026", "did:web:example.edu#acme-2026") as signer:
            signature = signer.sign(data)
    """

    __slots__ = ("_path", "_kek", "__weakref__")

    _path: Path
    _kek: bytes

    def __init__(self, path: str | os.PathLike[str], kek: bytes) -> None:
        self._kek = _check_kek(kek)
        self._path = Path(path)
        try:
            self._path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the key directory {str(self._path)!r}: {exc}"
            ) from exc
        if not self._path.is_dir():
            raise ConfigError(f"key store path {str(self._path)!r} is not a directory")

    def __repr__(self) -> str:
        return f"FileKeyStore(path={str(self._path)!r}, kek=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("FileKeyStore holds a key-encryption key and cannot be pickled")

    @property
    def path(self) -> Path:
        return self._path

    @property
    def kek_id(self) -> str:
        """Fingerprint of the current KEK (safe to log)."""
        return kek_fingerprint(self._kek)

    # ----------------------------------------------------------------- public operations

    def create(self, key_id: str) -> str:
        """Generate and store a new key; returns its ``publicKeyMultibase``."""
        return self._store_new(key_id, Ed25519KeyPair.generate())

    def import_secret(self, key_id: str, secret_key_multibase: str) -> str:
        """Store an existing key given as ``secretKeyMultibase``; returns its public multibase."""
        return self._store_new(key_id, Ed25519KeyPair.from_secret_multibase(secret_key_multibase))

    def exists(self, key_id: str) -> bool:
        return self._file(key_id).exists()

    def list_keys(self) -> list[str]:
        """Ids of all stored keys, sorted."""
        ids = []
        for entry in self._path.iterdir():
            name = entry.name
            if name.endswith(_SUFFIX) and entry.is_file():
                stem = name[: -len(_SUFFIX)]
                if _KEY_ID.fullmatch(stem) and ".." not in stem:
                    ids.append(stem)
        return sorted(ids)

    def public_key_multibase(self, key_id: str) -> str:
        """The ``publicKeyMultibase`` of ``key_id`` (authenticated: the file is decrypted)."""
        record = self._read(key_id)
        self._open(key_id, record, self._kek)
        return str(record["publicKeyMultibase"])

    def public_key(self, key_id: str) -> bytes:
        """The raw 32-byte public key of ``key_id``."""
        return decode_public_multikey(self.public_key_multibase(key_id))

    @contextlib.contextmanager
    def signer_for(self, key_id: str, verification_method: str) -> Iterator[Ed25519Signer]:
        """A signer for ``key_id`` valid only inside the ``with`` block."""
        record = self._read(key_id)
        pair = self._open(key_id, record, self._kek)
        signer = pair.signer(verification_method)
        del pair
        try:
            yield signer
        finally:
            signer._close(f"the signer for key {key_id!r} was used outside its with-block")

    def rotate_kek(self, new_kek: bytes, *, check_only: bool = False) -> list[str]:
        """Re-encrypt every key under ``new_kek``; returns the ids re-encrypted.

        Every key is first decrypted with the current KEK (nothing is written if one fails),
        then each file is replaced atomically. If the process dies half-way, run the same call
        again: files already under ``new_kek`` are skipped. Afterwards this store uses
        ``new_kek``; set ``MICROCRED_KEK`` / ``MICROCRED_KEK_FILE`` to it before restarting.
        ``check_only`` decrypts everything and returns the ids that would be re-encrypted,
        writing nothing (see :func:`microcred.keys.rotation.rotate_kek`).
        """
        new_kek = _check_kek(new_kek)
        new_id = kek_fingerprint(new_kek)
        pending: list[tuple[str, Ed25519KeyPair]] = []
        for key_id in self.list_keys():
            record = self._read(key_id)
            if record.get("kekId") == new_id:
                self._open(key_id, record, new_kek)  # already rotated: just prove it
                continue
            pending.append((key_id, self._open(key_id, record, self._kek)))
        if check_only:
            return [key_id for key_id, _ in pending]
        for key_id, pair in pending:
            self._write(key_id, self._seal(key_id, pair, new_kek), replace=True)
        self._kek = new_kek
        return [key_id for key_id, _ in pending]

    # ----------------------------------------------------------------- internals

    def _file(self, key_id: str) -> Path:
        return self._path / (validate_key_id(key_id) + _SUFFIX)

    def _store_new(self, key_id: str, pair: Ed25519KeyPair) -> str:
        validate_key_id(key_id)
        if self._file(key_id).exists():
            raise Conflict(f"a key with id {key_id!r} already exists")
        self._write(key_id, self._seal(key_id, pair, self._kek), replace=False)
        return pair.public_key_multibase

    def _seal(self, key_id: str, pair: Ed25519KeyPair, kek: bytes) -> dict[str, str]:
        public = pair.public_key_multibase
        seed = _seed_of(pair)
        try:
            sealed = seal(kek, seed, _aad(key_id, public))
        finally:
            del seed
        return {
            "format": _FORMAT,
            "keyId": key_id,
            "algorithm": ED25519,
            "publicKeyMultibase": public,
            "kekId": kek_fingerprint(kek),
            "cipher": CIPHER,
            **sealed,
        }

    def _write(self, key_id: str, record: dict[str, str], *, replace: bool) -> None:
        write_record(
            self._path,
            self._file(key_id),
            record,
            replace=replace,
            taken=f"a key with id {key_id!r} already exists",
        )

    def _read(self, key_id: str) -> dict[str, Any]:
        label = f"key file for {key_id!r}"
        record = read_record(
            self._file(key_id),
            max_size=_MAX_KEY_FILE,
            label=label,
            missing=f"no key with id {key_id!r} in this key store",
        )
        expected = {"format": _FORMAT, "keyId": key_id, "algorithm": ED25519, "cipher": CIPHER}
        check_fields(record, expected, label)
        if not isinstance(record.get("publicKeyMultibase"), str):
            raise KeyStoreError(f"{label} is corrupt: no publicKeyMultibase")
        return record

    def _open(self, key_id: str, record: Mapping[str, Any], kek: bytes) -> Ed25519KeyPair:
        public = str(record["publicKeyMultibase"])
        try:
            seed = unseal(kek, record, _aad(key_id, public), f"key file for {key_id!r}")
        except InvalidTag as exc:
            file_kek = record.get("kekId")
            if isinstance(file_kek, str) and file_kek != kek_fingerprint(kek):
                raise KeyStoreError(
                    f"cannot decrypt key {key_id!r}: wrong key-encryption key? (the key file "
                    f"was encrypted under KEK {file_kek}, the configured KEK is "
                    f"{kek_fingerprint(kek)})"
                ) from exc
            raise KeyStoreError(
                f"cannot decrypt key {key_id!r}: wrong key-encryption key? "
                "(or the key file was altered)"
            ) from exc
        try:
            pair = Ed25519KeyPair.from_seed(seed)
        except InvalidInput as exc:
            raise KeyStoreError(f"key file for {key_id!r} is corrupt: bad key length") from exc
        finally:
            del seed
        if pair.public_key_multibase != public:
            raise KeyStoreError(
                f"key file for {key_id!r} is corrupt: the public key does not match the private key"
            )
        return pair


def _seed_of(pair: Ed25519KeyPair) -> bytes:
    # The one place the seed is materialised outside Ed25519KeyPair: to encrypt it.
    return decode_secret_multikey(pair.secret_key_multibase)
