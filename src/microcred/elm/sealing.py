"""The eIDAS sealing hook and the recognition of JAdES-sealed EDC credentials.

European Digital Credentials are *sealed* by their issuer with a qualified electronic seal
in the JAdES format (ETSI TS 119 182-1, JSON Advanced Electronic Signatures), made with a
qualified certificate a Qualified Trust Service Provider (QTSP) issued to the organisation
(eIDAS Regulation (EU) No 910/2014, art. 35-40). Only such a seal makes the EDC viewer call a
credential "sealed". microcred signs ELM documents with its own Data Integrity proof
(eddsa-jcs-2022, the issuer's DID key); a deployment that holds a qualified seal plugs it in
through the :class:`Sealer` protocol (see docs/eu-formats.md).

A sealed credential is a JWS (RFC 7515) whose payload is the ELM credential: the JSON
serialisation (general ``{"payload", "signatures": [...]}`` or flattened ``{"payload",
"protected", "signature"}``, JAdES often with an unencoded payload, RFC 7797 ``b64: false``)
or the compact serialisation ``header.payload.signature``. :func:`open_sealed` recognises
these and returns the payload; checking the seal itself needs the certificate chain and the
EU trusted lists, which this verifier does not do: the report says so instead of calling the
credential invalid.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = ["JADES_HEADER_MARKERS", "SealedCredential", "Sealer", "open_sealed"]

#: Header parameters that only JAdES (ETSI TS 119 182-1 §5.1-§5.3) defines.
JADES_HEADER_MARKERS = frozenset(
    {"sigT", "x5t#o", "sigX5ts", "srCms", "srAts", "sigPl", "sigPId", "sigD", "adoTst", "etsiU"}
)
_MAX_SEALED_BYTES = 8 * 1024 * 1024


class Sealer(Protocol):
    """Applies a qualified electronic seal (JAdES) to an ELM credential.

    ``seal`` returns the sealed form, a JWS JSON serialisation whose payload is the
    credential. Implementations call a QTSP's remote signing service or a local qualified
    signature creation device; microcred ships none (tests use a double).
    """

    def seal(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Return the sealed JWS JSON object for ``document``."""
        ...


@dataclass(frozen=True, slots=True)
class SealedCredential:
    """A credential recognised inside a JWS / JAdES envelope (the seal is not checked)."""

    payload: dict[str, Any]
    serialization: Literal["compact", "flattened", "general"]
    headers: list[dict[str, Any]] = field(default_factory=list)
    jades: bool = False

    @property
    def algorithms(self) -> list[str]:
        return [str(h["alg"]) for h in self.headers if isinstance(h.get("alg"), str)]

    @property
    def has_certificate(self) -> bool:
        """Whether a header carries an X.509 certificate or its digest (``x5c``/``x5t…``)."""
        return any(
            key in h for h in self.headers for key in ("x5c", "x5t#S256", "x5t#o", "sigX5ts")
        )


def _b64url(text: str) -> bytes | None:
    if not text or any(c not in _B64URL for c in text):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _json_object(raw: bytes | str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _header(protected: Any) -> dict[str, Any] | None:
    return _json_object(_b64url(protected)) if isinstance(protected, str) else None


def _payload(raw: Any, headers: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not isinstance(raw, str):
        return None
    unencoded = any(h.get("b64") is False for h in headers)
    return _json_object(raw) if unencoded else _json_object(_b64url(raw))


def _is_credential(payload: Mapping[str, Any]) -> bool:
    types = payload.get("type")
    names = types if isinstance(types, list) else [types]
    return "VerifiableCredential" in names or "EuropeanDigitalCredential" in names


def _is_jades(headers: list[dict[str, Any]], unprotected: list[Mapping[str, Any]]) -> bool:
    for header in headers:
        crit = header.get("crit")
        crit_names = set(crit) if isinstance(crit, list) else set()
        if JADES_HEADER_MARKERS & (set(header) | crit_names):
            return True
        typ = header.get("typ")
        if isinstance(typ, str) and typ.lower().startswith("jades"):
            return True
    return any("etsiU" in h for h in unprotected)


def _from_json(value: Mapping[str, Any]) -> SealedCredential | None:
    signatures = value.get("signatures")
    if isinstance(signatures, list) and signatures:
        kind: Literal["flattened", "general"] = "general"
        entries = [s for s in signatures if isinstance(s, Mapping)]
        if len(entries) != len(signatures):
            return None
    elif "signature" in value and "protected" in value:
        kind, entries = "flattened", [value]
    else:
        return None
    headers = [_header(entry.get("protected")) for entry in entries]
    if any(
        h is None or not isinstance(e.get("signature"), str)
        for h, e in zip(headers, entries, strict=True)
    ):
        return None
    clean = [h for h in headers if h is not None]
    payload = _payload(value.get("payload"), clean)
    if payload is None or not _is_credential(payload):
        return None
    unprotected = [e["header"] for e in entries if isinstance(e.get("header"), Mapping)]
    return SealedCredential(payload, kind, clean, _is_jades(clean, unprotected))


def _from_compact(value: str) -> SealedCredential | None:
    parts = value.strip().split(".")
    if len(parts) != 3 or not parts[2]:
        return None
    header = _header(parts[0])
    if header is None or not isinstance(header.get("alg"), str):
        return None
    payload = _json_object(_b64url(parts[1]))
    if payload is None:
        return None
    # a VC-JWT carries the credential in "vc"; a sealed EDC is the credential itself
    if not _is_credential(payload):
        return None
    return SealedCredential(payload, "compact", [header], _is_jades([header], []))


def open_sealed(value: object) -> SealedCredential | None:
    """The credential inside a JWS / JAdES envelope, or ``None`` if ``value`` is not one.

    Accepts the parsed JSON of a JWS JSON serialisation, or a compact JWS string. Nothing is
    verified: the caller reports the seal as not checked.
    """
    if isinstance(value, str):
        if len(value) > _MAX_SEALED_BYTES:
            return None
        return _from_compact(value)
    if isinstance(value, Mapping) and "payload" in value and "@context" not in value:
        return _from_json(value)
    return None
