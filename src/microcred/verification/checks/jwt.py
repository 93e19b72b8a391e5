"""Checks for a credential secured as a VC-JWT (Open Badges 3.0 §8.2, docs/vc-jwt.md).

A VC-JWT gets the same report as a Data Integrity credential: the verifier checks the
credential inside the token with every family (structure, JSON-LD, Open Badges schema,
issuer key, dates, EU elements, status, anchor) and these replace the proof-specific ones:

* ``proof.jws`` — the JOSE header follows the rules (Ed25519 ``alg``, a ``kid``, no
  ``crit``...), ``kid`` resolves through the DID resolvers to a key authorised for
  ``assertionMethod`` that was not retired before the token's time (``iat``, else ``nbf``),
  and the signature verifies with it (OB 3.0 §8.2.6 steps 1-4);
* ``proof.jwt-claims`` — ``iss``/``jti``/``sub``/``nbf``/``exp`` match the credential
  (§8.2.6.1); every mismatch is named;
* any Data Integrity proof embedded in the payload is verified as usual, next to the JWS;
* ``issuer.key`` covers ``kid`` (the key must be controlled by the issuer, i.e. by ``iss``);
* ``structure.proof`` says the credential is secured by the JWS (it needs no ``proof``).

:func:`jwt_token` recognises the input: a compact JWS string (not a JAdES seal, which
:mod:`microcred.elm.sealing` handles) or a VC 2.0 ``EnvelopedVerifiableCredential`` whose
``id`` is a ``data:application/vc+jwt,`` URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from microcred.elm.sealing import JADES_HEADER_MARKERS
from microcred.errors import DIDNotFoundError, JwtError, MicrocredError
from microcred.proof.jose.compact import b64url_decode, parse_compact
from microcred.proof.jose.vc_jwt import (
    MEDIA_TYPE,
    VcJwt,
    claim_problems,
    header_problems,
    verify_signature,
)
from microcred.proof.purposes import VerificationMethodLookup
from microcred.proof.registry import CryptosuiteRegistry
from microcred.verification import codes
from microcred.verification.checks.base import (
    CheckContext,
    as_list,
    format_day,
    issuer_id,
    type_values,
)
from microcred.verification.checks.issuer import IssuerKeyCheck, signature_methods
from microcred.verification.checks.proofs import ProofCheck
from microcred.verification.report import CheckResult

__all__ = ["JwsCheck", "JwtIssuerKeyCheck", "jwt_structure_result", "jwt_token"]

_COMPACT = re.compile(r"[A-Za-z0-9_=-]*\.[A-Za-z0-9_=-]*\.[A-Za-z0-9_=-]*")
_DATA_PREFIXES = tuple(
    f"data:{media};" if sep else f"data:{media},"
    for media in (MEDIA_TYPE, "application/vc+ld+json+jwt")
    for sep in (False, True)
)
_CERTIFICATE_HEADERS = frozenset({"x5c", "x5t#S256", "x5t"})


def _sealed(token: str) -> bool:
    """True for a compact JWS whose header is a JAdES / certificate seal (not a VC-JWT)."""
    try:
        header = parse_compact(token).header
    except JwtError:
        head = token.split(".", 1)[0]
        try:
            text = b64url_decode(head, "header").decode("utf-8", "replace")
        except JwtError:
            return False
        return any(f'"{name}"' in text for name in JADES_HEADER_MARKERS | _CERTIFICATE_HEADERS)
    typ = header.get("typ")
    return bool(
        (JADES_HEADER_MARKERS | _CERTIFICATE_HEADERS) & set(header)
        or (isinstance(typ, str) and typ.lower().startswith("jades"))
    )


def jwt_token(value: object) -> str | None:
    """The VC-JWT in ``value`` (a compact JWS text or an enveloped credential), else ``None``.

    Only the shape is looked at; a text of that shape that turns out to be unreadable is
    still returned, so the verifier can report why.
    """
    if isinstance(value, Mapping):
        if "EnvelopedVerifiableCredential" not in type_values(value):
            return None
        ident = value.get("id")
        if not isinstance(ident, str):
            return None
        for prefix in _DATA_PREFIXES:
            if ident.startswith(prefix):
                body = ident[len(prefix) :]
                if prefix.endswith(";"):  # data:media;param,...
                    _, _, body = body.partition(",")
                return body
        return None
    if not isinstance(value, str):
        return None
    token = value.strip()
    if _COMPACT.fullmatch(token) is None or _sealed(token):
        return None
    return token


def jwt_structure_result(jwt: VcJwt) -> CheckResult:
    """``structure.proof`` for a credential inside a VC-JWT."""
    embedded = [p for p in as_list(jwt.credential.get("proof")) if isinstance(p, Mapping)]
    extra = f" It also carries {len(embedded)} embedded proof(s)." if embedded else ""
    return CheckResult.passed(
        codes.STRUCTURE_PROOF,
        f"The credential is secured as a VC-JWT (a JSON Web Signature).{extra}",
        format="vc+jwt",
        count=1 + len(embedded),
    )


def _signing_time(jwt: VcJwt) -> datetime | None:
    for claim in ("iat", "nbf"):
        value = jwt.payload.get(claim)
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None


class JwsCheck:
    """``proof.jws`` + ``proof.jwt-claims`` (+ any embedded Data Integrity proofs)."""

    family = codes.FAMILY_PROOF

    def __init__(
        self, jwt: VcJwt, registry: CryptosuiteRegistry, vm_resolver: VerificationMethodLookup
    ) -> None:
        self._jwt = jwt
        self._registry = registry
        self._vm_resolver = vm_resolver

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        results = [self._signature(), self._claims()]
        if as_list(credential.get("proof")):
            embedded = ProofCheck(self._registry, self._vm_resolver).run(credential, context)
            results += [r for r in embedded if r.code != codes.PROOF_NONE_VERIFIED]
        return results

    def _signature(self) -> CheckResult:
        jwt, code = self._jwt, codes.PROOF_JWS
        details: dict[str, Any] = {"alg": jwt.alg, "kid": jwt.kid, "typ": jwt.header.get("typ")}
        if jwt.legacy_vc_claim:
            details["payload"] = "vc-claim"
        problems = header_problems(jwt)
        if problems:
            return CheckResult.failed(
                code,
                "The token's signature cannot be accepted: " + "; ".join(problems) + ".",
                problems=problems,
                **details,
            )
        kid = jwt.kid
        assert kid is not None  # header_problems requires it
        try:
            method = self._vm_resolver.resolve(kid, "assertionMethod")
        except DIDNotFoundError as error:
            return CheckResult.failed(
                code,
                f"The key that signed this token could not be found: {error.detail}",
                **details,
            )
        except MicrocredError as error:
            return CheckResult.failed(
                code,
                f"The key that signed this token cannot be used: {error.detail}",
                type=error.type_uri,
                **details,
            )
        retired = self._retired(method.revoked, method.expires)
        if retired is not None:
            return CheckResult.failed(code, retired, **details)
        if not verify_signature(jwt, method.public_key):
            return CheckResult.failed(
                code,
                "The token's signature does not match its contents: it was changed after "
                "signing, or signed with another key than the one it names.",
                **details,
            )
        return CheckResult.passed(
            code, f"The JSON Web Signature ({jwt.alg}) verifies with the key {kid}.", **details
        )

    def _retired(self, revoked: datetime | None, expires: datetime | None) -> str | None:
        signed = _signing_time(self._jwt)
        for moment, verb in ((revoked, "retired"), (expires, "let expire")):
            if moment is None:
                continue
            if signed is None:
                return (
                    f"The issuer {verb} this key on {format_day(moment)} and the token does not "
                    "say when it was signed."
                )
            if moment <= signed:
                return (
                    f"The issuer {verb} this key on {format_day(moment)}, before the token's "
                    f"date ({format_day(signed)})."
                )
        return None

    def _claims(self) -> CheckResult:
        problems = claim_problems(self._jwt)
        if problems:
            return CheckResult.failed(
                codes.PROOF_JWT_CLAIMS,
                "The token's claims do not match the credential inside it: "
                + "; ".join(problems)
                + ".",
                problems=problems,
            )
        present = [c for c in ("iss", "jti", "sub", "nbf", "exp", "iat") if c in self._jwt.payload]
        return CheckResult.passed(
            codes.PROOF_JWT_CLAIMS,
            "The token's claims (" + ", ".join(present) + ") match the credential.",
            claims=present,
        )


class JwtIssuerKeyCheck(IssuerKeyCheck):
    """``issuer.key`` for the token's ``kid`` and any embedded proof's key."""

    def __init__(
        self, jwt: VcJwt, registry: CryptosuiteRegistry, vm_resolver: VerificationMethodLookup
    ) -> None:
        super().__init__(registry, vm_resolver)
        self._jwt = jwt

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        kid = self._jwt.kid
        methods = [kid] if kid else []
        methods += [m for m in signature_methods(credential, self._registry) if m not in methods]
        if not methods:
            return [CheckResult.skipped(codes.ISSUER_KEY, "There is no signing key to check.")]
        issuer = issuer_id(credential)
        return [self._one(vm, issuer) for vm in methods]
