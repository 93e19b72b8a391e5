"""Open Badges 3.0 credentials as VC-JWT: a compact JWS whose payload is the credential.

Open Badges 3.0 §8.2 "JSON Web Token Proof Format" (and W3C VC-JOSE-COSE §3.1.1 for the
``vc+jwt`` media type):

* JOSE header (§8.2.3): ``alg`` — microcred signs ``EdDSA`` (Ed25519, RFC 8037 §3.1) and also
  accepts the fully-specified ``Ed25519`` (RFC 9864); ``none`` and every other algorithm are
  refused with a reason. ``kid`` — the DID URL of the issuer's key (a verification method);
  required here, because microcred resolves keys only through DIDs, never from the token
  itself. ``typ`` — optional; ``JWT`` (OB 3.0) or ``vc+jwt`` (VC-JOSE-COSE), also the older
  ``vc+ld+json+jwt``. ``jwk`` is accepted only when it is the key ``kid`` names; ``crit``,
  ``jku``, ``x5u`` and any other parameter are refused (OB 3.0 §8.2.3: "Additional JOSE
  Headers are NOT allowed").
* JWT payload (§8.2.4.1): the credential JSON itself plus the registered claims ``iss``
  (``issuer.id``), ``jti`` (``id``), ``sub`` (``credentialSubject.id``), ``nbf``
  (``validFrom``) and ``exp`` (``validUntil``), NumericDates in whole seconds (RFC 7519 §2).
  A payload that carries the credential in a ``vc`` claim (the VC-JWT form of VC Data Model
  1.1 and of the first OB 3.0 drafts) is read too, never written.
* Verification (§8.2.6.1): every claim must match the credential; a mismatch is a named
  problem (:func:`claim_problems`), never silently accepted.

:func:`encode_vc_jwt` signs, :func:`decode_vc_jwt` reads strictly (header rules included),
:func:`read_vc_jwt` reads leniently for reporting (the verifier lists header problems as a
failed check instead of refusing the whole input), :func:`verify_signature` checks the
Ed25519 signature with a resolved public key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from microcred.errors import InvalidInput, JwtError, UnsupportedError
from microcred.keys.ed25519 import verify_ed25519
from microcred.keys.protocols import Signer
from microcred.proof._datetime import parse_xml_datetime
from microcred.proof.jose.compact import (
    CompactJws,
    b64url_decode,
    b64url_encode,
    json_bytes,
    parse_compact,
)

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "ACCEPTED_TYPES",
    "MEDIA_TYPE",
    "REGISTERED_CLAIMS",
    "SIGNING_ALGORITHM",
    "VcJwt",
    "claim_problems",
    "claims_for",
    "decode_vc_jwt",
    "encode_vc_jwt",
    "header_problems",
    "numeric_date",
    "read_vc_jwt",
    "verify_signature",
]

#: The algorithm microcred writes (RFC 8037: EdDSA over Ed25519).
SIGNING_ALGORITHM: Final = "EdDSA"
#: Algorithms microcred verifies: both names of Ed25519 signatures.
ACCEPTED_ALGORITHMS: Final = frozenset({"EdDSA", "Ed25519"})
#: ``typ`` values accepted (compared case-insensitively, RFC 7515 §4.1.9).
ACCEPTED_TYPES: Final = frozenset(
    {"jwt", "vc+jwt", "application/vc+jwt", "vc+ld+json+jwt", "application/vc+ld+json+jwt"}
)
#: The media type of a VC-JWT (VC-JOSE-COSE §6.1), used in ``data:`` URLs.
MEDIA_TYPE: Final = "application/vc+jwt"
#: RFC 7519 §4.1 registered claim names; they are not part of the credential.
REGISTERED_CLAIMS: Final = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
_HEADER_PARAMETERS: Final = frozenset({"alg", "kid", "typ", "cty", "jwk"})
_WRITTEN_TYPES: Final = ("JWT", "vc+jwt")
_MAX_KID = 2048
# 9999-12-31T23:59:59Z: later NumericDates are not dates a credential can carry
_MAX_NUMERIC_DATE = 253402300799


@dataclass(frozen=True, slots=True)
class VcJwt:
    """A VC-JWT read from a token; ``credential`` is the payload without the JWT claims.

    ``legacy_vc_claim`` is true when the credential came from a ``vc`` claim. Nothing is
    verified by reading: see :func:`header_problems`, :func:`claim_problems` and
    :func:`verify_signature`.
    """

    jws: CompactJws
    credential: dict[str, Any]
    legacy_vc_claim: bool = False

    @property
    def header(self) -> dict[str, Any]:
        return self.jws.header

    @property
    def payload(self) -> dict[str, Any]:
        return self.jws.payload

    @property
    def token(self) -> str:
        return self.jws.token

    @property
    def alg(self) -> str | None:
        value = self.header.get("alg")
        return value if isinstance(value, str) else None

    @property
    def kid(self) -> str | None:
        value = self.header.get("kid")
        return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- dates


def numeric_date(instant: datetime) -> int:
    """RFC 7519 §2 NumericDate of an aware datetime, in whole seconds (rounded down)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a NumericDate needs a timezone-aware datetime")
    return math.floor(instant.timestamp())


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_xml_datetime(value)
    except ValueError:
        return None


def _claim_date(payload: Mapping[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0 or value > _MAX_NUMERIC_DATE:
        return None
    return math.floor(value)


def _show_date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- claims


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _subject_ids(credential: Mapping[str, Any]) -> list[str]:
    subjects = credential.get("credentialSubject")
    listed = subjects if isinstance(subjects, list) else [subjects]
    return [str(s["id"]) for s in listed if isinstance(s, Mapping) and isinstance(s.get("id"), str)]


def claims_for(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The registered claims OB 3.0 §8.2.4.1 derives from ``credential``.

    ``iss`` is required (an issuer id); ``jti``/``sub``/``nbf``/``exp`` are set when the
    credential has ``id``/one ``credentialSubject.id``/``validFrom``/``validUntil``.
    Raises :class:`InvalidInput` for a credential a VC-JWT cannot carry faithfully.
    """
    issuer = _issuer_id(credential)
    if issuer is None:
        raise InvalidInput("a VC-JWT needs the credential's issuer id (the iss claim)")
    claims: dict[str, Any] = {"iss": issuer}
    ident = credential.get("id")
    if ident is not None:
        if not isinstance(ident, str):
            raise InvalidInput("the credential's id must be a URI (the jti claim)")
        claims["jti"] = ident
    subjects = _subject_ids(credential)
    if len(subjects) > 1:
        raise InvalidInput(
            "a VC-JWT names one subject (the sub claim); this credential has several "
            "credentialSubject ids"
        )
    if subjects:
        claims["sub"] = subjects[0]
    for prop, claim in (("validFrom", "nbf"), ("validUntil", "exp")):
        if prop in credential:
            instant = _parse_instant(credential[prop])
            if instant is None:
                raise InvalidInput(f"the credential's {prop} is not a date and time with a zone")
            claims[claim] = numeric_date(instant)
    return claims


def claim_problems(jwt: VcJwt) -> list[str]:
    """Every way the JWT claims disagree with the credential (OB 3.0 §8.2.6.1); ``[]`` if none."""
    payload, credential = jwt.payload, jwt.credential
    problems: list[str] = []

    def compare(claim: str, expected: str | None, label: str) -> None:
        value = payload.get(claim)
        if claim not in payload:
            if expected is not None:
                problems.append(f"the {claim} claim is missing (it must be {label}, {expected})")
            return
        if not isinstance(value, str):
            problems.append(f"the {claim} claim is not a text value")
        elif expected is None:
            problems.append(f"the {claim} claim is {value}, but the credential has no {label}")
        elif value != expected:
            problems.append(f"the {claim} claim is {value}, but {label} is {expected}")

    compare("iss", _issuer_id(credential), "the issuer's id")
    ident = credential.get("id")
    compare("jti", ident if isinstance(ident, str) else None, "the credential's id")
    subjects = _subject_ids(credential)
    compare("sub", subjects[0] if len(subjects) == 1 else None, "the credentialSubject id")
    for prop, claim in (("validFrom", "nbf"), ("validUntil", "exp")):
        expected = _parse_instant(credential.get(prop)) if prop in credential else None
        if claim not in payload:
            if expected is not None:
                problems.append(f"the {claim} claim is missing (it must be {prop})")
            continue
        seconds = _claim_date(payload, claim)
        if seconds is None:
            problems.append(f"the {claim} claim is not a NumericDate (seconds since 1970)")
        elif expected is None:
            problems.append(
                f"the {claim} claim is {_show_date(seconds)}, but the credential has no "
                f"valid {prop}"
            )
        elif seconds != numeric_date(expected):
            problems.append(
                f"the {claim} claim is {_show_date(seconds)}, but {prop} is "
                f"{_show_date(numeric_date(expected))}"
            )
    if "iat" in payload and _claim_date(payload, "iat") is None:
        problems.append("the iat claim is not a NumericDate (seconds since 1970)")
    return problems


# --------------------------------------------------------------------------- header


def header_problems(jwt: VcJwt) -> list[str]:
    """Every header rule the token breaks (OB 3.0 §8.2.3, RFC 7515 §4.1); ``[]`` if none."""
    header = jwt.header
    problems: list[str] = []
    alg = header.get("alg")
    if alg is None:
        problems.append("the JOSE header has no alg (signature algorithm)")
    elif not isinstance(alg, str):
        problems.append("the alg header is not a text value")
    elif alg.lower() == "none":
        problems.append('alg "none" means the token is not signed; it is never accepted')
    elif alg not in ACCEPTED_ALGORITHMS:
        problems.append(
            f'alg "{alg}" is not supported: microcred verifies Ed25519 signatures '
            '("EdDSA" or "Ed25519")'
        )
    kid = header.get("kid")
    if kid is None:
        problems.append(
            "the JOSE header has no kid: the key must be named by a DID URL of the issuer"
        )
    elif not isinstance(kid, str) or not kid or len(kid) > _MAX_KID:
        problems.append("the kid header is not a key identifier (a DID URL)")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in ACCEPTED_TYPES):
        problems.append(f"typ {typ!r} is not a VC-JWT type (JWT or vc+jwt)")
    cty = header.get("cty")
    if cty is not None and (not isinstance(cty, str) or cty.lower() not in {"vc", "vc+ld+json"}):
        problems.append(f"cty {cty!r} is not a credential content type")
    jwk = header.get("jwk")
    if jwk is not None and (not isinstance(jwk, Mapping) or "d" in jwk):
        problems.append(
            "the jwk header contains a private key"
            if isinstance(jwk, Mapping) and "d" in jwk
            else "the jwk header is not a JSON Web Key"
        )
    if "crit" in header:
        problems.append(
            "the token marks header extensions as critical (crit), which microcred does not "
            "implement"
        )
    extra = sorted(set(header) - _HEADER_PARAMETERS - {"crit"})
    if extra:
        problems.append(
            f"header parameter(s) {', '.join(extra)} are not allowed in an Open Badges VC-JWT"
        )
    return problems


def _jwk_public_key(jwk: Mapping[str, Any]) -> bytes | None:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        return None
    try:
        return b64url_decode(jwk["x"], "jwk x")
    except JwtError:
        return None


# --------------------------------------------------------------------------- read / write


def _credential_of(payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    if "@context" not in payload and isinstance(payload.get("vc"), dict):
        return dict(payload["vc"]), True
    if "@context" not in payload:
        raise JwtError(
            "the payload is not a credential: it has neither @context nor a vc claim",
            code="payload",
        )
    return {k: v for k, v in payload.items() if k not in REGISTERED_CLAIMS}, False


def read_vc_jwt(token: object) -> VcJwt:
    """Parse ``token`` as a VC-JWT without judging its header, claims or signature.

    Raises :class:`JwtError` only when it is not a compact JWS carrying a credential.
    """
    jws = parse_compact(token.strip() if isinstance(token, str) else token)
    credential, legacy = _credential_of(jws.payload)
    return VcJwt(jws, credential, legacy)


def decode_vc_jwt(token: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(header, payload)`` of a VC-JWT whose header follows the rules; strict.

    Raises :class:`JwtError` for a malformed token or any header problem (``alg`` ``none``
    or unsupported, no ``kid``, a wrong ``typ``, ``crit``...). Claims and the signature are
    not checked here: see :func:`claim_problems` and :func:`verify_signature`.
    """
    jwt = read_vc_jwt(token)
    problems = header_problems(jwt)
    if problems:
        raise JwtError(f"the VC-JWT is not acceptable: {'; '.join(problems)}", code="header")
    return dict(jwt.header), dict(jwt.payload)


def verify_signature(jwt: VcJwt, public_key: bytes) -> bool:
    """True when the JWS signature verifies with the raw Ed25519 ``public_key``.

    A header ``jwk`` that is not this key makes it false too (the token would name two keys).
    """
    if jwt.alg not in ACCEPTED_ALGORITHMS:
        return False
    jwk = jwt.header.get("jwk")
    if jwk is not None and (not isinstance(jwk, Mapping) or _jwk_public_key(jwk) != public_key):
        return False
    return verify_ed25519(public_key, jwt.jws.signing_input, jwt.jws.signature)


def encode_vc_jwt(
    credential: Mapping[str, Any],
    signer: Signer,
    *,
    kid: str | None = None,
    typ: str = "JWT",
    issued_at: datetime | None = None,
) -> str:
    """Sign ``credential`` as a VC-JWT (compact JWS) with an Ed25519 ``signer``.

    The payload is the credential's members followed by the claims of :func:`claims_for`
    (and ``iat`` when ``issued_at`` is given); ``kid`` defaults to the signer's verification
    method. Signing is deterministic: the same credential and key give the same token.
    An embedded ``proof`` stays in the payload (OB 3.0 §8.2.4: embedded proofs first).
    """
    if signer.algorithm != "Ed25519":
        raise UnsupportedError(f"VC-JWT signing needs an Ed25519 key, not {signer.algorithm}")
    if typ not in _WRITTEN_TYPES:
        raise InvalidInput(f"typ must be one of {', '.join(_WRITTEN_TYPES)}")
    if not isinstance(credential.get("@context"), list | str):
        raise InvalidInput("the credential has no @context, so it is not a credential")
    taken = [name for name in REGISTERED_CLAIMS if name in credential]
    if taken:
        raise InvalidInput(
            f"the credential already has top-level member(s) {', '.join(taken)}, which the "
            "JWT claims of the same name would overwrite"
        )
    key_id = kid if kid is not None else signer.verification_method
    if not key_id or len(key_id) > _MAX_KID:
        raise InvalidInput("kid must be the DID URL of the signing key")
    header = {"alg": SIGNING_ALGORITHM, "kid": key_id, "typ": typ}
    payload = {**dict(credential), **claims_for(credential)}
    if issued_at is not None:
        payload["iat"] = numeric_date(issued_at)
    signing_input = f"{b64url_encode(json_bytes(header))}.{b64url_encode(json_bytes(payload))}"
    signature = signer.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"
