"""Keys: Ed25519 key pairs, Multikey encoding, signers and the encrypted file key store.

Private key bytes never leave this package; other packages receive a
:class:`~microcred.keys.protocols.Signer`.
"""

from microcred.keys.ed25519 import Ed25519KeyPair, Ed25519Signer, verify_ed25519
from microcred.keys.file_store import FileKeyStore, load_kek
from microcred.keys.multikey import (
    decode_public_multikey,
    decode_secret_multikey,
    encode_public_multikey,
    encode_secret_multikey,
)
from microcred.keys.protocols import Signer

__all__ = [
    "Ed25519KeyPair",
    "Ed25519Signer",
    "FileKeyStore",
    "Signer",
    "decode_public_multikey",
    "decode_secret_multikey",
    "encode_public_multikey",
    "encode_secret_multikey",
    "load_kek",
    "verify_ed25519",
]
