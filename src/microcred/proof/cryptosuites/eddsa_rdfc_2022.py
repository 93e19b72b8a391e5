"""The ``eddsa-rdfc-2022`` cryptosuite (Ed25519 over RDFC-1.0 canonical N-Quads).

Data Integrity EdDSA Cryptosuites v1.0 (W3C Recommendation 2025-05-15), §3.2:

* §3.2.3 Transformation: the unsecured document is turned into RDF and
  canonicalised with RDFC-1.0; here always in JSON-LD *safe mode*, so a term that
  no context defines (it would silently drop out of the signed data) is an error;
* §3.2.5 Proof Configuration: the proof options with the document's ``@context``,
  canonicalised the same way;
* §3.2.4 Hashing: ``SHA-256(canonical proof config) || SHA-256(canonical document)``;
* §3.2.6 / §3.2.7: Ed25519 sign / verify; ``proofValue`` is base58-btc Multibase.

Verification also applies the proof-``@context`` rule of §3.3.2 step 4: a proof
that carries ``@context`` only verifies a document whose ``@context`` starts with
it (otherwise ``ProofError`` ``proof.context_mismatch``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microcred.errors import ProofError
from microcred.jsonld.protocols import DocumentLoader
from microcred.keys.protocols import Signer
from microcred.proof._datetime import parse_xml_datetime
from microcred.proof._encoding import encode_proof_value
from microcred.proof._validation import ParsedProof, parse_proof
from microcred.proof.cryptosuites.base import (
    Canonizer,
    SigningInput,
    apply_proof_context,
    compute_signing_input,
    sign_ed25519,
    verify_ed25519_signature,
)
from microcred.proof.options import DATA_INTEGRITY_PROOF, ProofOptions

__all__ = ["EddsaRdfc2022"]

_MAX_CONFIGS = 1024


def _config_key(config: Mapping[str, Any]) -> frozenset[tuple[str, Any]] | None:
    """An exact key for a proof configuration of plain strings and lists of strings (the
    usual one: type, cryptosuite, created, verificationMethod, proofPurpose, @context), else
    None (not remembered)."""
    items: list[tuple[str, Any]] = []
    for name, value in config.items():
        kind = type(value)
        if kind is list:
            if not all(type(v) is str for v in value):
                return None
            value = (list, *value)  # (list, ...) never equals a string
        elif kind is not str or type(name) is not str:
            return None
        items.append((name, value))
    return frozenset(items)


def _check_created(config: Mapping[str, Any]) -> None:
    created = config.get("created")
    if created is None:
        return
    if not isinstance(created, str):
        raise ProofError("The proof's created value must be a date-time string.")
    try:
        parse_xml_datetime(created)
    except ValueError as exc:
        raise ProofError(f"The proof's created value is not a valid date-time: {exc}.") from None


def _require_context(unsecured: Mapping[str, Any]) -> None:
    if "@context" not in unsecured:
        raise ProofError("The document has no @context: eddsa-rdfc-2022 signs JSON-LD documents.")


class EddsaRdfc2022:
    """``eddsa-rdfc-2022``: the default suite (JSON-LD + RDFC-1.0 + Ed25519).

    ``loader`` serves the (bundled) contexts; ``canonizer`` defaults to
    :func:`microcred.jsonld.processing.canonize` and can be replaced by anything
    producing byte-identical RDFC-1.0 N-Quads: ``wiring.build_registry`` passes the
    compiled-shape :class:`~microcred.jsonld.fast.FastCanonizer` (``MICROCRED_CANON``).
    """

    name = "eddsa-rdfc-2022"
    proof_type = DATA_INTEGRITY_PROOF
    legacy = False

    def __init__(self, loader: DocumentLoader, *, canonizer: Canonizer | None = None) -> None:
        if canonizer is None:
            from microcred.jsonld.processing import canonize

            canonizer = canonize
        self._loader = loader
        self._canonize = canonizer
        self._configs: dict[frozenset[tuple[str, Any]], bytes] = {}

    @property
    def canonizer(self) -> Canonizer:
        """The canonicaliser in use (a ``FastCanonizer`` exposes ``stats``)."""
        return self._canonize

    # -- the spec's algorithm steps, small so tests can check each intermediate ----
    def _transform(self, unsecured: Mapping[str, Any]) -> bytes:
        """§3.2.3: RDFC-1.0 canonical N-Quads of the document (safe mode), UTF-8."""
        _require_context(unsecured)
        return self._canonize(unsecured, self._loader, safe=True).encode("utf-8")

    def _proof_configuration(
        self, unsecured: Mapping[str, Any], options: Mapping[str, Any]
    ) -> bytes:
        """§3.2.5: canonical N-Quads of the proof options with the document's @context."""
        if options.get("type") != DATA_INTEGRITY_PROOF or options.get("cryptosuite") != self.name:
            raise ProofError(
                f"eddsa-rdfc-2022 only handles DataIntegrityProof proofs with cryptosuite "
                f"{self.name!r}."
            )
        _check_created(options)
        _require_context(unsecured)
        config = {k: v for k, v in options.items() if k not in ("proofValue", "@context")}
        config["@context"] = unsecured["@context"]
        # every proof of one key, purpose and second of ``created`` shares its configuration
        # (a bulk chunk: hundreds): its canonical form is remembered, exactly keyed
        key = _config_key(config)
        found = None if key is None else self._configs.get(key)
        if found is None:
            found = self._canonize(config, self._loader, safe=True).encode("utf-8")
            if key is not None:
                if len(self._configs) >= _MAX_CONFIGS:
                    self._configs.clear()
                self._configs[key] = found
        return found

    def _signing_input(
        self, unsecured: Mapping[str, Any], options: Mapping[str, Any]
    ) -> SigningInput:
        """§3.2.4: both canonical forms and their hashes."""
        canonical_document = self._transform(unsecured)
        return compute_signing_input(
            canonical_document, self._proof_configuration(unsecured, options)
        )

    # -- the Cryptosuite interface ------------------------------------------------
    def create_proof(
        self, unsecured: Mapping[str, Any], options: ProofOptions, signer: Signer
    ) -> dict[str, Any]:
        """§3.2.1 Create Proof: returns the proof (options + ``proofValue``)."""
        proof = options.to_json()
        signing = self._signing_input(unsecured, proof)
        proof["proofValue"] = encode_proof_value(sign_ed25519(signing.hash_data, signer, options))
        return proof

    def verify_proof(
        self, unsecured: Mapping[str, Any], proof: Mapping[str, Any], public_key: bytes
    ) -> bool:
        """§3.2.2 Verify Proof over the document as signed (see the protocol)."""
        parsed = parse_proof(
            proof, expected_type=DATA_INTEGRITY_PROOF, expected_cryptosuite=self.name
        )
        return self.verify_parsed_proof(unsecured, parsed, public_key)

    def verify_parsed_proof(
        self, unsecured: Mapping[str, Any], parsed: ParsedProof, public_key: bytes
    ) -> bool:
        """:meth:`verify_proof` for a proof :func:`parse_proof` already accepted for this
        suite (``verify_proofs`` parses each proof once)."""
        if parsed.type != DATA_INTEGRITY_PROOF or parsed.cryptosuite != self.name:
            raise ProofError(f"This is not an {self.name} proof.")
        document = apply_proof_context(unsecured, parsed)
        signing = self._signing_input(document, parsed.raw)
        return verify_ed25519_signature(public_key, signing.hash_data, parsed.signature)
