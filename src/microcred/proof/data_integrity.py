"""Adding and verifying Data Integrity proofs, including proof sets and chains.

Verifiable Credential Data Integrity 1.0 (W3C Recommendation 2025-05-15):

* §4.2 Add Proof and §4.3 Add Proof Set/Chain — :func:`add_proof`. A document
  that has no proof gets a single proof object; adding to a document that already
  has one turns ``proof`` into a list (a *proof set*, §2.1.1). With
  ``previous_proof`` the new proof is *chained* (§2.1.2): the proofs it names are
  put back into the document that is signed (``proof`` = the matching proofs), so
  the new signature also covers them.
* §4.4 Verify Proof and §4.5 Verify Proof Sets and Chains — :func:`verify_proofs`,
  which returns one :class:`~microcred.proof.results.ProofResult` per proof, with
  a stable code and a plain-language message, and never raises for a bad proof.
  A chained proof only counts as verified when the proofs it references verified.

Proofs of a type no registered cryptosuite handles (e.g. an anchor proof added by
the anchoring layer) are reported as ``proof.unsupported_type`` with
``skipped=True`` instead of failing the document.

Hot paths: :func:`add_proof` snapshots the document with a JSON-tree copy (plain
``dict``/``list`` rebuilt, immutable scalars shared, anything else through
``copy.deepcopy``) instead of ``copy.deepcopy`` of everything; :func:`verify_proofs`
parses each proof once and hands the parsed proof to suites that offer
``verify_parsed_proof`` (see :class:`ParsedProofVerifier`).
"""

from __future__ import annotations

import copy
import marshal
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol, cast

from microcred.errors import (
    InvalidInput,
    JsonLdError,
    MicrocredError,
    ProofError,
    UndefinedTermError,
    UnknownContextError,
)
from microcred.keys.protocols import Signer
from microcred.proof._datetime import format_xml_datetime, parse_xml_datetime
from microcred.proof._validation import ParsedProof, _parse_plain, parse_proof
from microcred.proof.cryptosuites.base import Cryptosuite
from microcred.proof.options import DATA_INTEGRITY_PROOF, ProofOptions
from microcred.proof.purposes import ProofPurpose, VerificationMethodLookup, purpose_for
from microcred.proof.registry import CryptosuiteRegistry
from microcred.proof.results import ProofCheckError, ProofCode, ProofResult

__all__ = ["ParsedProofVerifier", "add_proof", "verify_proofs"]


class ParsedProofVerifier(Protocol):
    """Optional extra of a :class:`Cryptosuite`: verify a proof already parsed.

    :func:`verify_proofs` validates every proof with :func:`parse_proof` (expected
    type = the suite's ``proof_type``, expected cryptosuite = its ``name`` for
    ``DataIntegrityProof``) before calling the suite; a suite with this method is given
    that :class:`ParsedProof` instead of re-validating the raw proof. Same contract as
    ``Cryptosuite.verify_proof`` otherwise.
    """

    def verify_parsed_proof(
        self, unsecured: Mapping[str, Any], parsed: ParsedProof, public_key: bytes
    ) -> bool: ...


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _copy_json(value: Any) -> Any:
    """A deep copy of a JSON tree: what ``copy.deepcopy`` returns for plain dicts,
    lists and scalars (without its memo bookkeeping), ``copy.deepcopy`` for the rest."""
    kind = type(value)
    if kind is dict:
        return {
            key: item if type(item) in _SCALARS else _copy_json(item) for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _SCALARS else _copy_json(item) for item in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)


def _snapshot(value: Any) -> Any:
    """An independent deep copy of ``value`` (what ``copy.deepcopy`` would return).

    marshal round-trips exactly the built-in types (exact ``dict``, ``list``, ``str``,
    ``int``, ``float``, ``bool``, ``None``, ...) in C, shared references included, and
    refuses anything else (subclasses, other objects, very deep nesting), which then
    goes through :func:`_copy_json`. Nothing is persisted: the bytes live only here.
    """
    try:
        return marshal.loads(marshal.dumps(value))
    except (ValueError, TypeError):
        pass
    try:
        return _copy_json(value)
    except RecursionError:
        raise InvalidInput(
            "The document is nested too deeply or contains itself, so it is not JSON."
        ) from None


def _existing_proofs(document: Mapping[str, Any]) -> list[Any]:
    if "proof" not in document:
        return []
    proof = document["proof"]
    return list(proof) if isinstance(proof, list) else [proof]


def _signing_document(
    unsecured: Mapping[str, Any], all_proofs: Sequence[Any], previous: Sequence[str]
) -> dict[str, Any]:
    """The document a (possibly chained) proof signs (§4.3 steps 3–6, §4.5 step 3).

    Without ``previous`` it is the document without any proof. With it, ``proof`` is
    the list of proofs whose ``id`` is in ``previous`` (in document order); an id
    that matches no proof raises ProofCheckError ``proof.previous_proof_missing``.
    """
    document = {k: v for k, v in unsecured.items() if k != "proof"}
    if not previous:
        return document
    wanted = set(previous)
    matching = [p for p in all_proofs if isinstance(p, Mapping) and p.get("id") in wanted]
    found = {p.get("id") for p in matching}
    missing = [pid for pid in previous if pid not in found]
    if missing:
        raise ProofCheckError(
            ProofCode.PREVIOUS_PROOF_MISSING,
            f"This proof builds on the proof(s) {missing}, but the document contains no "
            "proof with that id; a proof it depends on was removed or changed.",
        )
    document["proof"] = [_snapshot(p) for p in matching]
    return document


def add_proof(
    document: Mapping[str, Any],
    suite: Cryptosuite,
    options: ProofOptions,
    signer: Signer,
) -> dict[str, Any]:
    """Return a new secured document with one more proof made by ``suite``.

    ``document`` is not modified. An existing proof (object or list) is kept and the
    new one is appended (proof set); ``options.previous_proof`` chains the new proof
    to existing proofs by id. Raises :class:`ProofError` when the proof cannot be
    created (a referenced previous proof is missing, the key does not match, ...)
    and JSON-LD errors such as :class:`~microcred.errors.UndefinedTermError` when
    the document would not be fully covered by the signature.
    """
    if not isinstance(document, Mapping):
        raise InvalidInput("add_proof needs a JSON object (a dict) as the document.")
    existing = _existing_proofs(document)
    unsecured: dict[str, Any] = _snapshot({k: v for k, v in document.items() if k != "proof"})
    try:
        signing_document = _signing_document(unsecured, existing, options.previous_proof_ids)
    except ProofCheckError as exc:
        raise ProofError(exc.detail) from None
    proof = suite.create_proof(signing_document, options, signer)
    for key in ("type", "verificationMethod", "proofPurpose"):
        if not proof.get(key):
            raise ProofError(f"The cryptosuite {suite.name} produced a proof without {key}.")
    expected = options.to_json()
    for key in ("domain", "challenge"):
        if key in expected and proof.get(key) != expected[key]:
            raise ProofError(f"The cryptosuite {suite.name} did not keep the proof's {key}.")
    secured = dict(unsecured)
    secured["proof"] = [*_snapshot(existing), proof] if "proof" in document else proof
    return secured


def _text(proof: object, key: str) -> str | None:
    if type(proof) is dict or isinstance(proof, Mapping):
        value = proof.get(key)
        if isinstance(value, str):
            return value
    return None


def _lenient_created(proof: object) -> datetime | None:
    text = _text(proof, "created")
    if text is None:
        return None
    try:
        return parse_xml_datetime(text)
    except ValueError:
        return None


def _parsed_result(
    index: int,
    parsed: ParsedProof,
    legacy: bool,
    code: str,
    message: str,
    *,
    skipped: bool = False,
) -> ProofResult:
    return ProofResult(
        index=index,
        proof_id=parsed.id,
        type=parsed.type,
        cryptosuite=parsed.cryptosuite,
        verification_method=parsed.verification_method,
        proof_purpose=parsed.proof_purpose,
        created=parsed.created,
        verified=code == ProofCode.VERIFIED,
        code=code,
        message=message,
        legacy=legacy,
        skipped=skipped,
    )


_SIGNATURE_INVALID_MESSAGE = (
    "The signature does not match the document: something in it was changed "
    "after it was signed, or it was not signed with this key."
)


def _failure(exc: MicrocredError) -> tuple[str, str]:
    """The result code and message for an error raised while checking a proof."""
    if isinstance(exc, ProofCheckError):
        return exc.code, exc.detail
    if isinstance(exc, UndefinedTermError):
        return (
            ProofCode.UNDEFINED_TERM,
            "The document uses terms that none of its JSON-LD contexts define, so they "
            f"would not be covered by the signature ({exc.detail}).",
        )
    if isinstance(exc, UnknownContextError):
        return (
            ProofCode.UNKNOWN_CONTEXT,
            "The document refers to a JSON-LD context this verifier does not have and "
            f"will not download, so the signature cannot be checked ({exc.detail}).",
        )
    if isinstance(exc, JsonLdError):
        return ProofCode.DOCUMENT_INVALID, f"The document could not be processed: {exc.detail}"
    if isinstance(exc, ProofError):
        return ProofCode.MALFORMED, exc.detail
    return ProofCode.DOCUMENT_INVALID, f"The proof could not be checked: {exc.detail}"


def _verified_message(suite: Cryptosuite, controller: str, created: datetime | None) -> str:
    when = f" on {format_xml_datetime(created)}" if created else ""
    message = (
        "The signature is valid: nothing in the document has changed since "
        f"{controller} signed it{when}."
    )
    if suite.legacy:
        message += f" (It uses the older {suite.name} format, which is still accepted.)"
    return message


_MAX_REMEMBERED = 4096
# verified results by everything they are made of (ProofResult is immutable): every
# credential of one issuer key, purpose and ``created`` second shares one
_verified: dict[tuple[Any, ...], ProofResult] = {}


def _verified_result(
    index: int, parsed: ParsedProof, suite: Cryptosuite, controller: str
) -> ProofResult:
    if type(controller) is not str:
        return _parsed_result(
            index,
            parsed,
            suite.legacy,
            ProofCode.VERIFIED,
            _verified_message(suite, controller, parsed.created),
        )
    key = (
        index,
        parsed.id,
        parsed.type,
        parsed.cryptosuite,
        parsed.verification_method,
        parsed.proof_purpose,
        parsed.created,
        controller,
        suite.name,
        suite.legacy,
    )
    result = _verified.get(key)
    if result is None:
        result = _parsed_result(
            index,
            parsed,
            suite.legacy,
            ProofCode.VERIFIED,
            _verified_message(suite, controller, parsed.created),
        )
        if len(_verified) >= _MAX_REMEMBERED:
            _verified.clear()
        _verified[key] = result
    return result


class _Outcome:
    """Builds the ProofResult of one proof as the checks progress."""

    def __init__(self, index: int, proof: object) -> None:
        self.index = index
        self.proof = proof
        self.legacy = False
        self.parsed: ParsedProof | None = None  # set once parse_proof accepted the proof

    def result(self, code: str, message: str, *, skipped: bool = False) -> ProofResult:
        parsed = self.parsed
        if parsed is not None:  # validated strings already: no second lookup
            return _parsed_result(self.index, parsed, self.legacy, code, message, skipped=skipped)
        return ProofResult(
            index=self.index,
            proof_id=_text(self.proof, "id"),
            type=_text(self.proof, "type"),
            cryptosuite=_text(self.proof, "cryptosuite"),
            verification_method=_text(self.proof, "verificationMethod"),
            proof_purpose=_text(self.proof, "proofPurpose"),
            created=_lenient_created(self.proof),
            verified=code == ProofCode.VERIFIED,
            code=code,
            message=message,
            legacy=self.legacy,
            skipped=skipped,
        )


def _select_suite(outcome: _Outcome, registry: CryptosuiteRegistry) -> Cryptosuite | ProofResult:
    proof = outcome.proof
    if not isinstance(proof, Mapping):
        return outcome.result(ProofCode.MALFORMED, "The proof is not a JSON object.")
    proof_type = proof.get("type")
    if not isinstance(proof_type, str) or not proof_type:
        return outcome.result(ProofCode.MALFORMED, "The proof does not say what type it is.")
    if proof_type == DATA_INTEGRITY_PROOF:
        name = proof.get("cryptosuite")
        if not isinstance(name, str) or not name:
            return outcome.result(
                ProofCode.MALFORMED, "The DataIntegrityProof does not name its cryptosuite."
            )
        if name not in registry or registry.get(name).proof_type != DATA_INTEGRITY_PROOF:
            supported = ", ".join(s.name for s in registry if s.proof_type == DATA_INTEGRITY_PROOF)
            return outcome.result(
                ProofCode.UNKNOWN_CRYPTOSUITE,
                f"The proof uses the cryptosuite {name!r}, which this verifier does not "
                f"support (supported: {supported or 'none'}), so it cannot be checked.",
            )
        return registry.get(name)
    if registry.handles_type(proof_type):
        return registry.for_proof(proof)
    return outcome.result(
        ProofCode.UNSUPPORTED_TYPE,
        f"This is a {proof_type} proof, which is not a signature this verifier checks; "
        "it was skipped and does not count for or against the document.",
        skipped=True,
    )


def _verify_one(
    outcome: _Outcome,
    registry: CryptosuiteRegistry,
    resolver: VerificationMethodLookup,
    purpose: ProofPurpose,
    unsecured: Mapping[str, Any],
    all_proofs: Sequence[Any],
    now: datetime | None,
) -> ProofResult:
    selected = _select_suite(outcome, registry)
    if isinstance(selected, ProofResult):
        return selected
    suite = selected
    outcome.legacy = suite.legacy
    raw = cast(Mapping[str, Any], outcome.proof)  # _select_suite checked it is a mapping
    try:
        parsed = parse_proof(
            raw,
            expected_type=suite.proof_type,
            expected_cryptosuite=suite.name if suite.proof_type == DATA_INTEGRITY_PROOF else None,
        )
        outcome.parsed = parsed
        purpose.check_proof(parsed, now=now)
        signing_document = _signing_document(unsecured, all_proofs, parsed.previous_proof)
        method = purpose.resolve_method(resolver, parsed)
        verify_parsed = getattr(suite, "verify_parsed_proof", None)
        if verify_parsed is not None:
            valid = cast(ParsedProofVerifier, suite).verify_parsed_proof(
                signing_document, parsed, method.public_key
            )
        else:
            valid = suite.verify_proof(signing_document, raw, method.public_key)
        if not valid:
            return outcome.result(ProofCode.SIGNATURE_INVALID, _SIGNATURE_INVALID_MESSAGE)
        purpose.check_method(method, proof=parsed, document=unsecured)
    except MicrocredError as exc:
        return outcome.result(*_failure(exc))
    return outcome.result(
        ProofCode.VERIFIED, _verified_message(suite, method.controller, parsed.created)
    )


def _verify_fast(
    index: int,
    proof: object,
    registry: CryptosuiteRegistry,
    resolver: VerificationMethodLookup,
    purpose: ProofPurpose,
    unsecured: Mapping[str, Any],
    now: datetime | None,
) -> ProofResult | None:
    """:func:`_verify_one` for the common case, or None when it does not apply.

    The common case: a ``DataIntegrityProof`` of exact JSON types, not chained, whose
    suite offers ``verify_parsed_proof`` and which passes the checks that need only the
    proof. Anything else before the key is resolved returns None, and the full path
    (which repeats only those cheap steps) gives the result with its code and message.
    From the key on, the steps, their order and their error handling are the full
    path's (shared helpers), so a proof gets the same result on either path; the full
    path builds a signing document copy, an outcome object and the parsed proof through
    every general check, which this one skips. Verified results are remembered
    (:func:`_verified_result`).
    """
    if type(proof) is not dict or "previousProof" in proof:
        return None
    if proof.get("type") != DATA_INTEGRITY_PROOF:
        return None
    name = proof.get("cryptosuite")
    suite = registry.find(name) if type(name) is str else None
    if suite is None or suite.proof_type != DATA_INTEGRITY_PROOF:
        return None
    verify_parsed = getattr(suite, "verify_parsed_proof", None)
    if verify_parsed is None:
        return None
    parsed = _parse_plain(proof, DATA_INTEGRITY_PROOF, name)
    if parsed is None:
        return None
    try:
        purpose.check_proof(parsed, now=now)
    except MicrocredError:
        return None
    try:
        method = purpose.resolve_method(resolver, parsed)
        if not verify_parsed(unsecured, parsed, method.public_key):
            return _parsed_result(
                index,
                parsed,
                suite.legacy,
                ProofCode.SIGNATURE_INVALID,
                _SIGNATURE_INVALID_MESSAGE,
            )
        purpose.check_method(method, proof=parsed, document=unsecured)
    except MicrocredError as exc:
        return _parsed_result(index, parsed, suite.legacy, *_failure(exc))
    return _verified_result(index, parsed, suite, method.controller)


def _apply_chain_dependencies(
    results: list[ProofResult], all_proofs: Sequence[Any]
) -> list[ProofResult]:
    """§4.5: a chained proof counts only if the proofs it references verified."""
    by_id: dict[str, int] = {}
    for index, proof in enumerate(all_proofs):
        pid = _text(proof, "id")
        if pid is not None:
            by_id.setdefault(pid, index)
    changed = True
    while changed:
        changed = False
        for index, result in enumerate(results):
            if not result.verified:
                continue
            raw = all_proofs[index]
            previous = raw.get("previousProof") if isinstance(raw, Mapping) else None
            ids = [previous] if isinstance(previous, str) else list(previous or [])
            failed = [
                pid
                for pid in ids
                if pid in by_id
                and not results[by_id[pid]].verified
                and not results[by_id[pid]].skipped
            ]
            if failed:
                results[index] = replace(
                    result,
                    verified=False,
                    code=ProofCode.PREVIOUS_PROOF_INVALID,
                    message=(
                        "This proof's own signature is valid, but it builds on the "
                        f"proof(s) {failed}, which did not verify, so it cannot be "
                        "trusted either."
                    ),
                )
                changed = True
    return results


_NO_PROOF: Any = object()

# the built-in purposes hold only what they are built from and are never changed: one
# per (term, challenge, domain) serves every call (bounded)
_purposes: dict[tuple[Any, ...], ProofPurpose] = {}


def _purpose(term: str, challenge: str | None, domain: str | Sequence[str] | None) -> ProofPurpose:
    wanted = domain if domain is None or type(domain) is str else tuple(domain)
    key = (term, challenge, wanted)
    try:
        found = _purposes.get(key)
    except TypeError:  # something unhashable: build one for this call
        return purpose_for(term, challenge=challenge, domain=domain)
    if found is None:
        found = purpose_for(term, challenge=challenge, domain=domain)
        if len(_purposes) >= 256:
            _purposes.clear()
        _purposes[key] = found
    return found


def verify_proofs(
    document: Mapping[str, Any],
    registry: CryptosuiteRegistry,
    vm_resolver: VerificationMethodLookup,
    *,
    expected_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | Sequence[str] | None = None,
    now: datetime | None = None,
    purpose: ProofPurpose | None = None,
) -> list[ProofResult]:
    """Check every proof of ``document``; one :class:`ProofResult` per proof.

    ``purpose`` overrides the purpose built from ``expected_purpose``/``challenge``/
    ``domain`` (e.g. ``AssertionMethodPurpose(require_issuer_controller=False)``).
    ``now`` (injected, timezone-aware) enables the ``expires`` check. A document
    without ``proof`` yields an empty list. Bad proofs never raise; passing
    something that is not a JSON object does (:class:`InvalidInput`).
    """
    if type(document) is not dict and not isinstance(document, Mapping):
        raise InvalidInput("verify_proofs needs a JSON object (a dict) as the document.")
    if now is not None and now.tzinfo is None:
        raise InvalidInput("verify_proofs needs a timezone-aware 'now'.")
    chosen = purpose or _purpose(expected_purpose, challenge, domain)
    if type(document) is dict:  # what the general lines below give, by a C copy
        unsecured = document.copy()
        proof = unsecured.pop("proof", _NO_PROOF)
        all_proofs = (
            [] if proof is _NO_PROOF else list(proof) if isinstance(proof, list) else [proof]
        )
    else:
        all_proofs = _existing_proofs(document)
        unsecured = {k: v for k, v in document.items() if k != "proof"}
    results: list[ProofResult] = []
    for index, proof in enumerate(all_proofs):
        result = _verify_fast(index, proof, registry, vm_resolver, chosen, unsecured, now)
        if result is None:
            result = _verify_one(
                _Outcome(index, proof), registry, vm_resolver, chosen, unsecured, all_proofs, now
            )
        results.append(result)
    if len(results) < 2:  # a lone proof depends on no other proof's result
        return results
    return _apply_chain_dependencies(results, all_proofs)
