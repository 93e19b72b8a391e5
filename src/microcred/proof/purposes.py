"""Proof purposes: why a proof was made, and who may make it.

Data Integrity 1.0 §2.2 (Proof Purposes) and §4.4 (Verify Proof, steps 4–6): the
verifier states the purpose it expects (``assertionMethod`` for credentials,
``authentication`` for presentations), optionally a ``challenge`` and ``domain``;
the proof must match them, must not have ``expires`` in the past, and its
verification method must be listed under that purpose by its controller
(Controlled Identifiers 1.0 §3.3, "Retrieve Verification Method") — the
:class:`VerificationMethodLookup` (``did.dereference.VerificationMethodResolver``)
raises :class:`~microcred.errors.ProofError` when it is not.

Beyond the spec, purposes here also check:

* a verification method that its controller marked ``revoked`` (or gave an
  ``expires``) only backs proofs whose ``created`` is *before* that time
  (``created`` is asserted by the signer; an anchor proof gives an independent time);
* :class:`AssertionMethodPurpose`: the method's controller is the credential's
  issuer (``issuer`` or ``issuer.id``) — otherwise anyone could sign "as" an issuer;
* :class:`AuthenticationPurpose`: the controller is the presentation's ``holder``
  when one is named.

Every failed check raises :class:`~microcred.proof.results.ProofCheckError` with a
stable code and a plain-language message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from microcred.errors import DIDError, NotFound, ProofError, UnsupportedError
from microcred.proof._datetime import format_xml_datetime
from microcred.proof._validation import ParsedProof
from microcred.proof.results import ProofCheckError, ProofCode

__all__ = [
    "AssertionMethodPurpose",
    "AuthenticationPurpose",
    "ProofPurpose",
    "VerificationMethodLike",
    "VerificationMethodLookup",
    "purpose_for",
]


class VerificationMethodLike(Protocol):
    """What the proof layer reads from ``did.dereference.VerificationMethod``."""

    @property
    def id(self) -> str: ...

    @property
    def controller(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    @property
    def revoked(self) -> datetime | None: ...

    @property
    def expires(self) -> datetime | None: ...


class VerificationMethodLookup(Protocol):
    """``did.dereference.VerificationMethodResolver``: dereference a key URL for a purpose.

    Raises :class:`~microcred.errors.DIDNotFoundError` when it cannot be found and
    :class:`~microcred.errors.ProofError` when it is not authorised for ``purpose``.
    """

    def resolve(self, vm_url: str, purpose: str = "assertionMethod") -> VerificationMethodLike: ...


class ProofPurpose(Protocol):
    """A proof purpose object (``term`` is the ``proofPurpose`` value it expects)."""

    @property
    def term(self) -> str: ...

    def check_proof(self, proof: ParsedProof, *, now: datetime | None) -> None:
        """Checks that need only the proof: purpose, challenge, domain, expiry."""
        ...

    def resolve_method(
        self, resolver: VerificationMethodLookup, proof: ParsedProof
    ) -> VerificationMethodLike:
        """Dereference the proof's key, requiring it to be authorised for ``term``."""
        ...

    def check_method(
        self,
        method: VerificationMethodLike,
        *,
        proof: ParsedProof,
        document: Mapping[str, Any],
    ) -> None:
        """Checks on the key once the signature is known to be good."""
        ...


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _entity_id(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if type(value) is dict or isinstance(value, Mapping):  # dict: no ABC check
        ident = value.get("id")
        return ident if isinstance(ident, str) else None
    return None


class _ControllerPurpose:
    """Checks shared by every purpose (Data Integrity 1.0 §4.4 steps 4–6, expiry, keys)."""

    term = ""

    def __init__(
        self, *, challenge: str | None = None, domain: str | Sequence[str] | None = None
    ) -> None:
        self.challenge = challenge
        self.domain = _as_tuple(domain)

    def check_proof(self, proof: ParsedProof, *, now: datetime | None) -> None:
        if proof.proof_purpose != self.term:
            raise ProofCheckError(
                ProofCode.PURPOSE_MISMATCH,
                f"This proof was made for {proof.proof_purpose!r}, but it is being checked "
                f"for {self.term!r}; a signature made for one purpose does not count for "
                "another.",
            )
        if self.challenge is not None and proof.challenge != self.challenge:
            found = "no challenge" if proof.challenge is None else "a different challenge"
            raise ProofCheckError(
                ProofCode.CHALLENGE_MISMATCH,
                f"The proof carries {found} than the one this verifier asked for, so it may "
                "be a replay of an older presentation.",
            )
        if self.domain is not None and (
            proof.domain is None or set(proof.domain) != set(self.domain)
        ):
            found = "no domain" if proof.domain is None else f"the domain {list(proof.domain)}"
            raise ProofCheckError(
                ProofCode.DOMAIN_MISMATCH,
                f"The proof was made for {found}, not for {list(self.domain)}; it was "
                "meant for another site or service.",
            )
        if now is not None and proof.expires is not None and now >= proof.expires:
            raise ProofCheckError(
                ProofCode.EXPIRED,
                f"The proof expired on {format_xml_datetime(proof.expires)}; its signer "
                "said it must not be relied on after that time.",
            )

    def resolve_method(
        self, resolver: VerificationMethodLookup, proof: ParsedProof
    ) -> VerificationMethodLike:
        url = proof.verification_method
        try:
            return resolver.resolve(url, purpose=self.term)
        except (NotFound, DIDError, UnsupportedError) as exc:
            raise ProofCheckError(
                ProofCode.KEY_NOT_FOUND,
                f"The signing key {url} could not be found, so the signature cannot be "
                f"checked ({exc.detail}).",
            ) from exc
        except ProofError as exc:
            raise ProofCheckError(
                ProofCode.KEY_NOT_AUTHORISED,
                f"The key {url} exists, but its owner has not authorised it for "
                f"{self.term!r} ({exc.detail}).",
            ) from exc

    def check_method(
        self,
        method: VerificationMethodLike,
        *,
        proof: ParsedProof,
        document: Mapping[str, Any],
    ) -> None:
        # A key's life ends when it is revoked or expires; only proofs made before count.
        if method.revoked is None and method.expires is None:
            self._check_controller(method, document)
            return
        for end, code, ended, which in (
            (method.revoked, ProofCode.KEY_REVOKED_BEFORE_SIGNING, "was revoked", "a revoked"),
            (method.expires, ProofCode.KEY_EXPIRED_BEFORE_SIGNING, "expired", "an expired"),
        ):
            if end is None or (proof.created is not None and proof.created < end):
                continue
            when = (
                "does not say when it was made"
                if proof.created is None
                else f"says it was made on {format_xml_datetime(proof.created)}"
            )
            raise ProofCheckError(
                code,
                f"The signing key {ended} on {format_xml_datetime(end)} and the proof "
                f"{when}; signatures made with {which} key are not trusted.",
            )
        self._check_controller(method, document)

    def _check_controller(
        self, method: VerificationMethodLike, document: Mapping[str, Any]
    ) -> None:
        return None


class AssertionMethodPurpose(_ControllerPurpose):
    """``assertionMethod``: the issuer asserts the claims of a credential.

    With ``require_issuer_controller`` (the default) the key's controller must be
    the credential's issuer. Pass ``False`` only to check documents whose key is
    deliberately unrelated to ``issuer`` (the W3C test vectors sign with a did:key
    while naming an https issuer).
    """

    term = "assertionMethod"

    def __init__(
        self,
        *,
        challenge: str | None = None,
        domain: str | Sequence[str] | None = None,
        require_issuer_controller: bool = True,
    ) -> None:
        super().__init__(challenge=challenge, domain=domain)
        self.require_issuer_controller = require_issuer_controller

    def _check_controller(
        self, method: VerificationMethodLike, document: Mapping[str, Any]
    ) -> None:
        if not self.require_issuer_controller or "issuer" not in document:
            return
        issuer = _entity_id(document["issuer"])
        if issuer is None:
            raise ProofCheckError(
                ProofCode.CONTROLLER_NOT_ISSUER,
                "The credential's issuer has no identifier, so it cannot be matched to the "
                "signing key's owner.",
            )
        if method.controller != issuer:
            raise ProofCheckError(
                ProofCode.CONTROLLER_NOT_ISSUER,
                f"The credential says it was issued by {issuer}, but it was signed with a "
                f"key that belongs to {method.controller}.",
            )


class AuthenticationPurpose(_ControllerPurpose):
    """``authentication``: a holder proves control, e.g. of a presentation.

    ``challenge`` and ``domain`` (when given) must match the proof's exactly; when
    the document names a ``holder``, the key's controller must be that holder.
    """

    term = "authentication"

    def __init__(
        self, challenge: str | None = None, domain: str | Sequence[str] | None = None
    ) -> None:
        super().__init__(challenge=challenge, domain=domain)

    def _check_controller(
        self, method: VerificationMethodLike, document: Mapping[str, Any]
    ) -> None:
        if "holder" not in document:
            return
        holder = _entity_id(document["holder"])
        if holder != method.controller:
            raise ProofCheckError(
                ProofCode.CONTROLLER_NOT_HOLDER,
                f"The presentation names {holder or 'a holder without identifier'} as its "
                f"holder, but it was signed with a key that belongs to {method.controller}.",
            )


def purpose_for(
    term: str, *, challenge: str | None = None, domain: str | Sequence[str] | None = None
) -> ProofPurpose:
    """The purpose object for a ``proofPurpose`` term (``assertionMethod`` or
    ``authentication``); other terms are not supported (ProofError)."""
    if term == AssertionMethodPurpose.term:
        return AssertionMethodPurpose(challenge=challenge, domain=domain)
    if term == AuthenticationPurpose.term:
        return AuthenticationPurpose(challenge, domain)
    raise ProofError(f"The proof purpose {term!r} is not supported.")
