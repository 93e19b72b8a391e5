"""Proof options: what the creator of a Data Integrity proof asks for.

Data Integrity 1.0 §2.1 (Proofs) lists the proof properties (``id``, ``type``,
``cryptosuite``, ``verificationMethod``, ``proofPurpose``, ``created``,
``expires``, ``domain``, ``challenge``, ``nonce``, ``previousProof``);
:meth:`ProofOptions.to_json` writes them in the order the W3C test vectors use,
so a signed document serialises exactly like the published one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microcred.errors import ProofError
from microcred.proof._datetime import format_xml_datetime, parse_xml_datetime

__all__ = ["DATA_INTEGRITY_PROOF", "ProofOptions"]

DATA_INTEGRITY_PROOF = "DataIntegrityProof"

_JSON_FIELDS = {
    "type": "type",
    "id": "id",
    "cryptosuite": "cryptosuite",
    "created": "created",
    "expires": "expires",
    "verificationMethod": "verification_method",
    "proofPurpose": "proof_purpose",
    "challenge": "challenge",
    "domain": "domain",
    "nonce": "nonce",
    "previousProof": "previous_proof",
}


def _strings(value: object, field: str) -> str | tuple[str, ...] | None:
    if value is None or isinstance(value, str):
        if value == "":
            raise ProofError(f"Proof option {field} must not be empty.")
        return value
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = tuple(value)
        if not items or not all(isinstance(i, str) and i for i in items):
            raise ProofError(f"Proof option {field} must be a string or a list of strings.")
        return items
    raise ProofError(f"Proof option {field} must be a string or a list of strings.")


@dataclass(frozen=True)
class ProofOptions:
    """Options for creating one proof (immutable).

    ``created``/``expires`` must be timezone-aware; they are written as UTC
    ``dateTimeStamp`` strings. ``domain`` and ``previous_proof`` keep their shape:
    a string stays a string, a list (stored as a tuple) is written as a JSON array.
    """

    cryptosuite: str | None
    verification_method: str
    proof_purpose: str = "assertionMethod"
    created: datetime | None = None
    expires: datetime | None = None
    challenge: str | None = None
    domain: str | Sequence[str] | None = None
    previous_proof: str | Sequence[str] | None = None
    id: str | None = None
    type: str = DATA_INTEGRITY_PROOF
    nonce: str | None = None

    def __post_init__(self) -> None:
        for name in ("verification_method", "proof_purpose", "type"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ProofError(f"Proof option {name} must be a non-empty string.")
        if self.type == DATA_INTEGRITY_PROOF and not self.cryptosuite:
            raise ProofError("A DataIntegrityProof needs a cryptosuite name.")
        for name in ("cryptosuite", "challenge", "id", "nonce"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ProofError(f"Proof option {name} must be a non-empty string.")
        for name in ("created", "expires"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                raise ProofError(f"Proof option {name} must be a timezone-aware datetime.")
        object.__setattr__(self, "domain", _strings(self.domain, "domain"))
        object.__setattr__(self, "previous_proof", _strings(self.previous_proof, "previous_proof"))

    @property
    def previous_proof_ids(self) -> tuple[str, ...]:
        """``previous_proof`` as a tuple (empty when not set)."""
        if self.previous_proof is None:
            return ()
        if isinstance(self.previous_proof, str):
            return (self.previous_proof,)
        return tuple(self.previous_proof)

    def to_json(self) -> dict[str, Any]:
        """The proof options as a JSON object (a proof without ``proofValue``).

        A new object on every call (the options are immutable, so the work of
        building it is done once and copied).
        """
        cached: dict[str, Any] | None = self.__dict__.get("_json")
        if cached is None:
            cached = {}
            for key, attr in _JSON_FIELDS.items():
                value = getattr(self, attr)
                if value is None:
                    continue
                if isinstance(value, datetime):
                    value = format_xml_datetime(value)
                cached[key] = value
            object.__setattr__(self, "_json", cached)
        return {
            key: list(value) if type(value) is tuple else value for key, value in cached.items()
        }

    @classmethod
    def from_json(cls, config: Mapping[str, Any]) -> ProofOptions:
        """Build options from a proof configuration object (e.g. a vector file).

        ``@context`` is ignored (the cryptosuite derives it from the document);
        ``proofValue`` or any other unknown member is an error.
        """
        kwargs: dict[str, Any] = {}
        for key, value in config.items():
            if key == "@context":
                continue
            attr = _JSON_FIELDS.get(key)
            if attr is None:
                raise ProofError(f"Unknown proof option {key!r}.")
            if attr in ("created", "expires"):
                if not isinstance(value, str):
                    raise ProofError(f"Proof option {key} must be a date-time string.")
                try:
                    value = parse_xml_datetime(value)
                except ValueError as exc:
                    raise ProofError(f"Proof option {key}: {exc}.") from None
            kwargs[attr] = value
        if "verification_method" not in kwargs:
            raise ProofError("Proof options need a verificationMethod.")
        kwargs.setdefault("cryptosuite", None)
        return cls(**kwargs)
