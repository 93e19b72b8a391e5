"""Ed25519 key pairs, signers and signature verification.

Signing and verification follow RFC 8032 §5.1 (pure Ed25519, no pre-hash) and are done by
libsodium through PyNaCl (about 1.5x faster than OpenSSL here for one-shot signatures). The
Ed25519 -> X25519 public key conversion used by did:key key agreement is the birational map of
RFC 7748 §4.1 (libsodium ``crypto_sign_ed25519_pk_to_curve25519``).

Private key material never leaves this package: :class:`Ed25519KeyPair` and
:class:`Ed25519Signer` keep it only inside a closure (no attribute holds the bytes), their
``repr`` shows the public key only, and they refuse to be pickled or copied. The one deliberate
export is :attr:`Ed25519KeyPair.secret_key_multibase`, used by the key store to encrypt a key.
Python cannot wipe memory; this guards against accidents (logging, serialising), not against
code running in the same process.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, NoReturn

import nacl.bindings as _sodium
import nacl.exceptions as _sodium_errors
from nacl._sodium import ffi as _sodium_ffi  # PyNaCl's cffi module (libsodium), pinned
from nacl._sodium import lib as _sodium_lib

from microcred.errors import InvalidInput, KeyStoreError
from microcred.keys.multikey import (
    encode_public_multikey,
    encode_secret_multikey,
    split_secret_multikey,
)

__all__ = [
    "ED25519",
    "Ed25519KeyPair",
    "Ed25519Signer",
    "ed25519_public_to_x25519",
    "verify_ed25519",
]

ED25519 = "Ed25519"
_SEED_LEN = 32
_PUBLIC_LEN = 32
_SIGNATURE_LEN = 64
_NULL = _sodium_ffi.NULL


def _no_copy(kind: str) -> NoReturn:
    raise TypeError(f"{kind} objects hold a private key and cannot be pickled or copied")


def _keypair_from_seed(seed: bytes) -> tuple[bytes, Callable[[bytes], bytes]]:
    """(public key, sign function) for ``seed``; the secret stays in the closure."""
    public, expanded = _sodium.crypto_sign_seed_keypair(bytes(seed))

    def sign(data: bytes) -> bytes:
        signed: bytes = _sodium.crypto_sign(bytes(data), expanded)
        return signed[:_SIGNATURE_LEN]

    return bytes(public), sign


class Ed25519Signer:
    """A :class:`~microcred.keys.protocols.Signer` for one Ed25519 key.

    Obtain one from :meth:`Ed25519KeyPair.signer` or
    :meth:`microcred.keys.file_store.FileKeyStore.signer_for`.
    """

    __slots__ = ("_verification_method", "_public_key_multibase", "_sign", "__weakref__")

    _verification_method: str
    _public_key_multibase: str
    _sign: Callable[[bytes], bytes]

    def __init__(
        self,
        verification_method: str,
        public_key_multibase: str,
        sign: Callable[[bytes], bytes],
    ) -> None:
        if not isinstance(verification_method, str) or not verification_method:
            raise InvalidInput("a signer needs a verification method URL")
        self._verification_method = verification_method
        self._public_key_multibase = public_key_multibase
        self._sign = sign

    @property
    def algorithm(self) -> str:
        return ED25519

    @property
    def verification_method(self) -> str:
        return self._verification_method

    @property
    def public_key_multibase(self) -> str:
        return self._public_key_multibase

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        return self._sign(data)

    def _close(self, reason: str) -> None:
        """Forget the private key; later :meth:`sign` calls raise ``KeyStoreError``."""

        def closed(data: bytes) -> bytes:
            raise KeyStoreError(reason)

        self._sign = closed

    def __repr__(self) -> str:
        return (
            f"Ed25519Signer(verification_method={self._verification_method!r}, "
            f"public_key_multibase={self._public_key_multibase!r}, private_key=<redacted>)"
        )

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        _no_copy("Ed25519Signer")

    def __copy__(self) -> NoReturn:
        _no_copy("Ed25519Signer")

    def __deepcopy__(self, memo: Any) -> NoReturn:
        _no_copy("Ed25519Signer")


class Ed25519KeyPair:
    """An Ed25519 key pair (RFC 8032) with Multikey encodings."""

    __slots__ = ("_public", "_sign", "_secret_multibase", "__weakref__")

    _public: bytes
    _sign: Callable[[bytes], bytes]
    _secret_multibase: Callable[[], str]

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("use Ed25519KeyPair.generate(), .from_seed() or .from_secret_multibase()")

    @classmethod
    def _build(cls, seed: bytes) -> Ed25519KeyPair:
        if not isinstance(seed, bytes | bytearray) or len(seed) != _SEED_LEN:
            raise InvalidInput("an Ed25519 seed must be exactly 32 bytes")
        seed = bytes(seed)
        public, sign = _keypair_from_seed(seed)

        def secret_multibase() -> str:
            return encode_secret_multikey(seed)

        pair = object.__new__(cls)
        pair._public = public
        pair._sign = sign
        pair._secret_multibase = secret_multibase
        return pair

    @classmethod
    def generate(cls) -> Ed25519KeyPair:
        """A new key pair from 32 bytes of the operating system's CSPRNG."""
        return cls._build(secrets.token_bytes(_SEED_LEN))

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519KeyPair:
        """The key pair whose RFC 8032 private key (seed) is ``seed`` (32 bytes)."""
        return cls._build(seed)

    @classmethod
    def from_secret_multibase(cls, value: str) -> Ed25519KeyPair:
        """The key pair of a ``secretKeyMultibase`` (``z3u2...``; 64-byte form accepted).

        For the 64-byte form (seed + public key) the public half must match the seed.
        """
        seed, public = split_secret_multikey(value)
        pair = cls._build(seed)
        if public is not None and public != pair._public:
            raise InvalidInput(
                "secret key multibase is inconsistent: its public half does not match its seed",
                code="invalidSecretKey",
            )
        return pair

    @property
    def public_bytes(self) -> bytes:
        """The raw 32-byte public key."""
        return self._public

    @property
    def public_key_multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
        return encode_public_multikey(self._public)

    @property
    def secret_key_multibase(self) -> str:
        """The Multikey ``secretKeyMultibase`` (``z3u2...``) — handle with care."""
        return self._secret_multibase()

    @property
    def x25519_public_bytes(self) -> bytes:
        """The X25519 public key derived from this key (did:key key agreement)."""
        return ed25519_public_to_x25519(self._public)

    def signer(self, verification_method: str) -> Ed25519Signer:
        """A :class:`Ed25519Signer` identifying itself as ``verification_method``."""
        return Ed25519Signer(verification_method, self.public_key_multibase, self._sign)

    def __repr__(self) -> str:
        return (
            f"Ed25519KeyPair(public_key_multibase={self.public_key_multibase!r}, "
            "private_key=<redacted>)"
        )

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ed25519KeyPair):
            return NotImplemented
        return self._public == other._public

    def __hash__(self) -> int:
        return hash(self._public)

    def __reduce__(self) -> NoReturn:
        _no_copy("Ed25519KeyPair")

    def __copy__(self) -> NoReturn:
        _no_copy("Ed25519KeyPair")

    def __deepcopy__(self, memo: Any) -> NoReturn:
        _no_copy("Ed25519KeyPair")


def verify_ed25519(public_key_bytes: bytes, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``data`` under the key.

    A public key or signature of the wrong length, a non-canonical signature or a small-order
    key (libsodium's strict checks) yields ``False``; only non-bytes arguments raise.
    """
    if not (type(public_key_bytes) is bytes and type(data) is bytes and type(signature) is bytes):
        for name, value in (
            ("public key", public_key_bytes),
            ("data", data),
            ("signature", signature),
        ):
            if not isinstance(value, bytes | bytearray | memoryview):
                raise TypeError(f"verify_ed25519: {name} must be bytes")
        public_key_bytes, data, signature = bytes(public_key_bytes), bytes(data), bytes(signature)
    if len(public_key_bytes) != _PUBLIC_LEN or len(signature) != _SIGNATURE_LEN:
        return False
    # libsodium's crypto_sign_open through PyNaCl's cffi module directly: the check
    # nacl.bindings.crypto_sign_open makes, without its wrapper's extra checks and copies.
    # The message and length outputs are NULL (libsodium then writes neither): nothing
    # reads the copy of the message it would make, so no buffers are allocated for it.
    signed = signature + data
    status: int = _sodium_lib.crypto_sign_open(_NULL, _NULL, signed, len(signed), public_key_bytes)
    return status == 0


def ed25519_public_to_x25519(public_key_bytes: bytes) -> bytes:
    """Convert an Ed25519 public key to the X25519 public key of the same secret.

    Raises :class:`~microcred.errors.InvalidInput` when the bytes are not a valid Ed25519 point.
    """
    if not isinstance(public_key_bytes, bytes | bytearray) or len(public_key_bytes) != _PUBLIC_LEN:
        raise InvalidInput("an Ed25519 public key must be 32 bytes", code="invalidPublicKeyLength")
    try:
        converted: bytes = _sodium.crypto_sign_ed25519_pk_to_curve25519(bytes(public_key_bytes))
    except _sodium_errors.CryptoError as exc:
        raise InvalidInput(
            "the Ed25519 public key is not a valid curve point; cannot derive an X25519 key",
            code="invalidPublicKey",
        ) from exc
    return converted
