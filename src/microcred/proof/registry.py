"""The set of cryptosuites a verifier or issuer accepts, keyed by name.

Data Integrity 1.0 §3 (Cryptographic Suites): a ``DataIntegrityProof`` names its
suite in ``cryptosuite``; older proof types (``Ed25519Signature2020``) are their
own suite. The registry is built once by the composition root and injected; there
is no module-level default registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from microcred.errors import ConfigError, UnknownCryptosuiteError
from microcred.proof.cryptosuites.base import Cryptosuite
from microcred.proof.options import DATA_INTEGRITY_PROOF

__all__ = ["CryptosuiteRegistry"]


class CryptosuiteRegistry:
    """An immutable mapping from suite name to :class:`Cryptosuite`."""

    def __init__(self, suites: Iterable[Cryptosuite]) -> None:
        by_name: dict[str, Cryptosuite] = {}
        for suite in suites:
            if suite.name in by_name:
                raise ConfigError(f"Two cryptosuites are registered as {suite.name!r}.")
            if suite.proof_type != DATA_INTEGRITY_PROOF and suite.name != suite.proof_type:
                raise ConfigError(
                    f"Suite {suite.name!r} has its own proof type {suite.proof_type!r}; "
                    "such suites must be named after it."
                )
            by_name[suite.name] = suite
        self._suites = by_name

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._suites)

    def __contains__(self, name: object) -> bool:
        return name in self._suites

    def __iter__(self) -> Iterator[Cryptosuite]:
        return iter(self._suites.values())

    def __len__(self) -> int:
        return len(self._suites)

    def find(self, name: str) -> Cryptosuite | None:
        """The suite called ``name``, or None."""
        return self._suites.get(name)

    def get(self, name: str) -> Cryptosuite:
        """The suite called ``name``; :class:`UnknownCryptosuiteError` if none."""
        suite = self._suites.get(name)
        if suite is None:
            known = ", ".join(sorted(self._suites)) or "none"
            raise UnknownCryptosuiteError(
                f"The cryptosuite {name!r} is not supported here (supported: {known})."
            )
        return suite

    def handles_type(self, proof_type: str) -> bool:
        """Whether some registered suite verifies proofs of ``proof_type``."""
        return any(s.proof_type == proof_type for s in self._suites.values())

    def for_proof(self, proof: Mapping[str, Any]) -> Cryptosuite:
        """The suite that verifies ``proof`` (by ``cryptosuite`` for a
        ``DataIntegrityProof``, by ``type`` otherwise); UnknownCryptosuiteError if none."""
        proof_type = proof.get("type")
        if proof_type == DATA_INTEGRITY_PROOF:
            name = proof.get("cryptosuite")
            if not isinstance(name, str):
                raise UnknownCryptosuiteError("The DataIntegrityProof names no cryptosuite.")
            suite = self.get(name)
            if suite.proof_type != DATA_INTEGRITY_PROOF:
                raise UnknownCryptosuiteError(f"{name!r} is not a Data Integrity cryptosuite.")
            return suite
        if isinstance(proof_type, str):
            own = self._suites.get(proof_type)
            if own is not None and own.proof_type == proof_type:
                return own
        raise UnknownCryptosuiteError(f"No cryptosuite verifies proofs of type {proof_type!r}.")
