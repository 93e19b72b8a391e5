"""Small JSON files holding one secret sealed under the key-encryption key (KEK).

What :class:`~microcred.keys.file_store.FileKeyStore` (Ed25519 seeds) and
``ChainKeyStore`` (secp256k1 chain-account secrets) share, kept in one place:

* sealing: AES-256-GCM (NIST SP 800-38D) with a fresh random 96-bit nonce and associated data
  that binds the ciphertext to its file (format, name, public part); nonce and ciphertext are
  written base64url without padding;
* writing: a temporary file of mode 0600 in the same directory, ``fsync``, then ``os.replace``
  (rotation) or ``os.link`` (creation: fails when the name is taken, so two creators cannot
  race), and an ``fsync`` of the directory — a crash at any instant leaves either the old file
  or the new one, never a torn one;
* reading: only a small regular file (a symlink is refused, not followed), parsed as one JSON
  object.

Error messages name the file (``label``), never the secret or the KEK.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from microcred.errors import Conflict, KeyStoreError

__all__ = [
    "CIPHER",
    "NONCE_LEN",
    "b64url",
    "check_fields",
    "read_record",
    "seal",
    "sync_directory",
    "unseal",
    "write_record",
]

CIPHER = "AES-256-GCM"
NONCE_LEN = 12


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(value: object, field: str, label: str) -> bytes:
    if not isinstance(value, str):
        raise KeyStoreError(f"{label} is corrupt: {field} is not a string")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyStoreError(f"{label} is corrupt: {field} is not base64url") from exc


def seal(kek: bytes, secret: bytes, aad: bytes) -> dict[str, str]:
    """``{"nonce": ..., "ciphertext": ...}``: ``secret`` sealed under ``kek`` with ``aad``."""
    nonce = secrets.token_bytes(NONCE_LEN)
    ciphertext = AESGCM(kek).encrypt(nonce, secret, aad)
    return {"nonce": b64url(nonce), "ciphertext": b64url(ciphertext)}


def unseal(kek: bytes, record: Mapping[str, Any], aad: bytes, label: str) -> bytes:
    """The secret of ``record``; raises :class:`InvalidTag` for a wrong KEK or an altered file
    (the caller words that error) and :class:`KeyStoreError` for a malformed record."""
    nonce = _unb64url(record.get("nonce"), "nonce", label)
    ciphertext = _unb64url(record.get("ciphertext"), "ciphertext", label)
    if len(nonce) != NONCE_LEN:
        raise KeyStoreError(f"{label} is corrupt: bad nonce length")
    try:
        return AESGCM(kek).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise
    except ValueError as exc:  # e.g. a ciphertext shorter than the tag
        raise KeyStoreError(f"{label} is corrupt: bad ciphertext") from exc


def write_record(
    directory: Path, final: Path, record: Mapping[str, str], *, replace: bool, taken: str
) -> None:
    """Write ``record`` to ``final`` atomically (see the module docstring).

    ``replace=False`` refuses an existing ``final`` with :class:`Conflict` (message ``taken``).
    """
    data = (json.dumps(dict(record), indent=2) + "\n").encode("utf-8")
    tmp = directory / f".{final.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        if replace:
            os.replace(tmp, final)
        else:
            try:
                os.link(tmp, final)  # fails if the name was taken meanwhile
            except FileExistsError as exc:
                raise Conflict(taken) from exc
            finally:
                os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    sync_directory(directory)


def sync_directory(directory: Path) -> None:
    """``fsync`` the directory so a rename or link in it survives a power loss."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_record(path: Path, *, max_size: int, label: str, missing: str) -> dict[str, Any]:
    """The JSON object in ``path``: a small regular file, not a symlink.

    Raises :class:`KeyStoreError` with ``missing`` when there is no such file, and a
    ``"<label> is corrupt: ..."`` message otherwise.
    """
    try:
        info = path.lstat()  # a symlink is refused below, not followed
    except FileNotFoundError as exc:
        raise KeyStoreError(missing) from exc
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_size:
        raise KeyStoreError(f"{label} is corrupt: not a small regular file")
    try:
        record = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise KeyStoreError(f"{label} is corrupt: not valid JSON") from exc
    if not isinstance(record, dict):
        raise KeyStoreError(f"{label} is corrupt: not a JSON object")
    return record


def check_fields(record: Mapping[str, Any], expected: Mapping[str, str], label: str) -> None:
    """Every ``expected`` field has its value in ``record`` (else ``KeyStoreError``)."""
    for field, value in expected.items():
        if record.get(field) != value:
            raise KeyStoreError(
                f"{label} is corrupt: {field} is {record.get(field)!r}, expected {value!r}"
            )
