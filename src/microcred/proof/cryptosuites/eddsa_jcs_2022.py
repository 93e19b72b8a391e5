"""The ``eddsa-jcs-2022`` cryptosuite (Ed25519 over JSON Canonicalization Scheme).

Data Integrity EdDSA Cryptosuites v1.0 (W3C Recommendation 2025-05-15), §3.3:

* §3.3.1 Create Proof: the proof is a clone of the options; when the document has
  an ``@context`` the proof gets the same ``@context`` (step 2: needed so proofs
  can later join proof sets/chains whose documents gained contexts);
* §3.3.3 Transformation: RFC 8785 (JCS) of the unsecured document;
* §3.3.5 Proof Configuration: JCS of the proof options (with that ``@context``);
* §3.3.4 Hashing: ``SHA-256(proof config) || SHA-256(document)``;
* §3.3.2 Verify Proof step 4: if the proof has ``@context``, the secured document's
  ``@context`` must start with the same values in the same order (otherwise this
  raises ``ProofError`` ``proof.context_mismatch``) and the proof's ``@context``
  replaces the document's before hashing.

JCS signs the JSON bytes themselves, so nothing can silently drop out: no JSON-LD
processing happens here and no document loader is needed. Canonical JSON comes from
:mod:`microcred.proof.jcs` (byte-identical to the ``rfc8785`` package, several times
faster). :meth:`EddsaJcs2022.verify_parsed_proof` is the entry point
:func:`~microcred.proof.data_integrity.verify_proofs` uses, so a proof it has already
validated is not parsed a second time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from microcred.errors import ProofError
from microcred.keys.protocols import Signer
from microcred.proof._datetime import parse_xml_datetime
from microcred.proof._encoding import encode_proof_value
from microcred.proof._validation import ParsedProof, parse_proof
from microcred.proof.cryptosuites.base import (
    SigningInput,
    apply_proof_context,
    sign_ed25519,
    verify_ed25519_signature,
)
from microcred.proof.jcs import JcsError, _plain_bytes, canonicalize
from microcred.proof.options import DATA_INTEGRITY_PROOF, ProofOptions

__all__ = ["EddsaJcs2022", "jcs"]

_sha256 = hashlib.sha256


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON bytes; values JCS cannot represent raise ProofError."""
    try:
        return canonicalize(value)
    except JcsError as exc:
        raise ProofError(
            f"The document cannot be canonicalised as JSON (RFC 8785): {exc}"
        ) from None


_MAX_CONFIGS = 1024


def _config_key(options: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """An exact key for options of plain strings and lists of strings, else None.

    Equal keys mean the same members with the same values (exact ``str`` only: ``1``,
    ``1.0`` and ``True`` compare equal in Python but are different JSON), so the same
    canonical configuration; the same members in another order only make another key.
    The key is flat: name, value, name, value, ... (a list value as ``(list, *items)``,
    which never equals a string), so no pair tuple is built per member.
    """
    items: list[Any] = []
    append = items.append
    for name, value in options.items():
        kind = type(value)
        if kind is str:
            if type(name) is not str:
                return None
            if name != "proofValue":
                append(name)
                append(value)
            continue
        if name == "proofValue":
            continue
        if kind is not list:
            return None
        for item in value:
            if type(item) is not str:
                return None
        append(name)
        append((list, *value))
    return tuple(items)


def _same_context(unsecured: Mapping[str, Any], context: Any) -> bool:
    """Whether the document's ``@context`` is already the proof's, as JSON text: both the
    same string, or equal lists of strings (then §3.3.2 step 4 changes nothing)."""
    current = unsecured.get("@context")
    if type(context) is str:
        return type(current) is str and current == context
    if type(context) is not list or type(current) is not list or current != context:
        return False
    for item in context:  # noqa: SIM110 - a loop, not all() over a generator: ~4x faster
        if type(item) is not str:
            return False
    return True


class EddsaJcs2022:
    """``eddsa-jcs-2022``: Ed25519 over RFC 8785 canonical JSON (fast, no JSON-LD)."""

    name = "eddsa-jcs-2022"
    proof_type = DATA_INTEGRITY_PROOF
    legacy = False

    def __init__(self) -> None:
        # canonical proof configuration and its SHA-256, by _config_key (bounded)
        self._configs: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}

    def _transform(self, unsecured: Mapping[str, Any]) -> bytes:
        """§3.3.3: JCS of the unsecured document."""
        return jcs(unsecured if type(unsecured) is dict else dict(unsecured))

    def _proof_configuration(self, options: Mapping[str, Any], *, validated: bool = False) -> bytes:
        """§3.3.5: JCS of the proof options (``proofValue`` excluded).

        ``validated``: the options come from a proof :func:`parse_proof` accepted for
        this suite, so type, cryptosuite and ``created`` are known to be right.
        """
        if not validated:
            if (
                options.get("type") != DATA_INTEGRITY_PROOF
                or options.get("cryptosuite") != self.name
            ):
                raise ProofError(
                    f"eddsa-jcs-2022 only handles DataIntegrityProof proofs with cryptosuite "
                    f"{self.name!r}."
                )
            created = options.get("created")
            if created is not None:
                try:
                    if not isinstance(created, str):
                        raise ValueError("it is not a string")
                    parse_xml_datetime(created)
                except ValueError as exc:
                    raise ProofError(
                        f"The proof's created value is not a valid date-time: {exc}."
                    ) from None
        return jcs({k: v for k, v in options.items() if k != "proofValue"})

    def _configuration(
        self, options: Mapping[str, Any], *, validated: bool = False
    ) -> tuple[bytes, bytes]:
        """The canonical proof configuration and its SHA-256, remembered for validated
        options made only of strings and lists of strings (bounded)."""
        key = _config_key(options) if validated else None
        config = None if key is None else self._configs.get(key)
        if config is None:
            canonical_config = self._proof_configuration(options, validated=validated)
            config = (canonical_config, hashlib.sha256(canonical_config).digest())
            if key is not None:
                if len(self._configs) >= _MAX_CONFIGS:
                    self._configs.clear()
                self._configs[key] = config
        return config

    def _signing_input(
        self, unsecured: Mapping[str, Any], options: Mapping[str, Any], *, validated: bool = False
    ) -> SigningInput:
        """§3.3.4: both canonical forms and their hashes.

        The proof configuration's canonical form and hash are remembered for options made
        only of strings and lists of strings (every proof of one issuer key, purpose and
        second of ``created`` shares them); anything else is computed each time.
        """
        config = self._configuration(options, validated=validated)
        canonical_document = self._transform(unsecured)
        return SigningInput(
            canonical_document=canonical_document,
            canonical_proof_config=config[0],
            document_hash=hashlib.sha256(canonical_document).digest(),
            proof_hash=config[1],
        )

    def create_proof(
        self, unsecured: Mapping[str, Any], options: ProofOptions, signer: Signer
    ) -> dict[str, Any]:
        """§3.3.1 Create Proof: options (+ the document's ``@context``) + ``proofValue``."""
        if options.type != DATA_INTEGRITY_PROOF or options.cryptosuite != self.name:
            raise ProofError(
                f"eddsa-jcs-2022 only handles DataIntegrityProof proofs with cryptosuite "
                f"{self.name!r}."
            )
        proof = options.to_json()
        if "@context" in unsecured:
            proof["@context"] = unsecured["@context"]
        # validated: type and cryptosuite checked above, created written by ProofOptions
        signing = self._signing_input(unsecured, proof, validated=True)
        proof["proofValue"] = encode_proof_value(sign_ed25519(signing.hash_data, signer, options))
        return proof

    def verify_proof(
        self, unsecured: Mapping[str, Any], proof: Mapping[str, Any], public_key: bytes
    ) -> bool:
        """§3.3.2 Verify Proof over the document as signed (see the protocol)."""
        parsed = parse_proof(
            proof, expected_type=DATA_INTEGRITY_PROOF, expected_cryptosuite=self.name
        )
        return self.verify_parsed_proof(unsecured, parsed, public_key)

    def verify_parsed_proof(
        self, unsecured: Mapping[str, Any], parsed: ParsedProof, public_key: bytes
    ) -> bool:
        """:meth:`verify_proof` for a proof that :func:`parse_proof` already accepted with
        ``expected_type="DataIntegrityProof"`` and ``expected_cryptosuite`` this suite."""
        if parsed.type != DATA_INTEGRITY_PROOF or parsed.cryptosuite != self.name:
            raise ProofError(f"This is not an {self.name} proof.")
        raw = parsed.raw
        if parsed.context is None or _same_context(unsecured, raw["@context"]):
            document = unsecured  # nothing to replace: no copy (JCS does not modify it)
        else:
            document = apply_proof_context(unsecured, parsed)
        proof_hash = self._configuration(raw, validated=True)[1]
        # a JSON-parsed document goes straight to the plain JCS path (what canonicalize
        # tries first); anything it declines takes the whole of canonicalize
        canonical = _plain_bytes(document)
        if canonical is None:
            canonical = self._transform(document)
        return verify_ed25519_signature(
            public_key, proof_hash + _sha256(canonical).digest(), parsed.signature
        )
