"""Rotating the key-encryption key (KEK): every stored private key re-encrypted under a new one.

The platform keeps two kinds of private keys sealed under the KEK (``keys/sealed_files.py``):
the Ed25519 signing keys of :class:`~microcred.keys.file_store.FileKeyStore` and the secp256k1
chain accounts of ``ChainKeyStore`` (``<key store>/chain``). :func:`rotate_kek` moves all of
them to a new KEK:

1. every key of every store is decrypted first (with the current KEK, or the new one for files
   a previous, interrupted rotation already moved); if one cannot be, nothing is written;
2. then each file is replaced atomically (temporary file, ``fsync``, ``rename``, directory
   ``fsync``).

A crash at any instant (``kill -9``, power loss) therefore leaves every key file whole and
readable under exactly one of the two KEKs — the file's ``kekId`` says which — and running the
same rotation again finishes the job (files already under the new KEK are only checked).
Afterwards the old KEK opens nothing. Stop the servers and workers first: a process still
holding the old KEK cannot open the keys once they moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from microcred.errors import ConfigError
from microcred.keys.file_store import kek_fingerprint

__all__ = ["KekRotatable", "KekRotation", "rotate_kek"]


class KekRotatable(Protocol):
    """A store of keys sealed under the KEK (``FileKeyStore``, ``ChainKeyStore``)."""

    @property
    def kek_id(self) -> str:
        """The fingerprint of the KEK the store uses now."""
        ...

    def rotate_kek(self, new_kek: bytes, *, check_only: bool = False) -> list[str]:
        """Re-encrypt every key under ``new_kek`` (``check_only``: only decrypt them)."""
        ...


@dataclass(frozen=True)
class KekRotation:
    """What :func:`rotate_kek` did: the new KEK's fingerprint and the keys moved per store."""

    old_kek_id: str
    new_kek_id: str
    rotated: dict[str, list[str]]

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.rotated.values())


def rotate_kek(stores: Mapping[str, KekRotatable], new_kek: bytes) -> KekRotation:
    """Re-encrypt the keys of every store (named by label) under ``new_kek``.

    Raises :class:`~microcred.errors.ConfigError` when the new KEK is the current one or is
    not 32 bytes, and :class:`~microcred.errors.KeyStoreError` (before anything is written)
    when a key opens under neither KEK.
    """
    if not isinstance(new_kek, bytes | bytearray) or len(new_kek) != 32:
        raise ConfigError("the new key-encryption key must be exactly 32 bytes")
    new_id = kek_fingerprint(bytes(new_kek))
    old_ids = {store.kek_id for store in stores.values()}
    if old_ids == {new_id}:
        raise ConfigError(
            f"the new key-encryption key is the current one (KEK {new_id}): generate a new one"
        )
    for store in stores.values():  # every key opens, or nothing is written
        store.rotate_kek(bytes(new_kek), check_only=True)
    rotated = {label: store.rotate_kek(bytes(new_kek)) for label, store in stores.items()}
    return KekRotation(
        old_kek_id=", ".join(sorted(old_ids - {new_id})) or new_id,
        new_kek_id=new_id,
        rotated=rotated,
    )
