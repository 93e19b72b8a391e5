"""The did:web method: DID <-> URL mapping and DID documents with key history.

Implements the *did:web Method Specification* (W3C CCG), §3.1 "Create (Register)" (where the
document is hosted) and §3.2 "Read (Resolve)" steps 1-5:

1. replace ``:`` with ``/`` in the method-specific identifier (domain, then optional path);
2. percent-decode the port colon (``%3A``) of the domain;
3. prepend ``https://``;
4. with no path, append ``/.well-known``;
5. append ``/did.json``.

``did:web:example.edu`` -> ``https://example.edu/.well-known/did.json``;
``did:web:example.edu%3A8443:issuers:acme`` -> ``https://example.edu:8443/issuers/acme/did.json``.

Rejected: IP addresses instead of a domain name (the spec forbids them, and numeric forms such
as ``127.1`` or ``0x7f.1`` would reach unexpected hosts), user info, any percent-escape in the
domain other than the port colon, empty path segments, ``.``/``..`` segments and escapes that
decode to ``/``, ``\\`` or NUL.

Key history (see ``docs/keys-and-dids.md``): *current* keys are listed under
``authentication`` and ``assertionMethod``; *past* keys stay in ``verificationMethod`` **and**
``assertionMethod`` so that credentials signed while they were current keep verifying. Each past
key carries an end time (Controlled Identifiers v1.0 §2.2 "Verification Methods"):

* ``expires`` — an ordinary, planned rotation: the method "SHOULD NOT be used" for proofs after
  that time, so a proof whose ``created`` is before it verifies normally and a later one fails;
* ``revoked`` — a compromise: the key may be in someone else's hands, so the proof's own
  ``created`` proves nothing and the verifier wants an independent time (a blockchain anchor)
  before that moment.

A key that was rotated out and later found compromised has both. Our issuance never signs with
a past key.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from microcred.did.contexts import DID_V1, MULTIKEY_V1
from microcred.did.protocols import DIDDocument
from microcred.did.syntax import parse_did
from microcred.errors import DIDError, InvalidInput
from microcred.keys.multikey import decode_public_multikey
from microcred.lexical import format_date_time_stamp

__all__ = [
    "DidWebKey",
    "blockchain_account_method",
    "build_did_web_document",
    "did_web_path",
    "did_web_to_url",
    "format_datetime",
    "url_to_did_web",
]

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*", re.IGNORECASE)
_SEGMENT = re.compile(r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+")
_PORT_ESCAPE = re.compile(r"%3a", re.IGNORECASE)
_FRAGMENT = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_CAIP10 = re.compile(r"[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}:[-.%a-zA-Z0-9]{1,128}")


@dataclass(frozen=True, slots=True)
class _WebTarget:
    host: str
    port: int | None
    segments: tuple[str, ...]


def _bad(did: object, why: str) -> DIDError:
    return DIDError(f"{did!r} is not a valid did:web: {why}", code="invalidDid")


def _check_host(host: str, did: str) -> None:
    if len(host) > 253:
        raise _bad(did, "the domain name is longer than 253 characters")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise _bad(did, "an IP address is not allowed; did:web needs a domain name")
    labels = host.split(".")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise _bad(did, f"{label!r} is not a valid domain name label")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise _bad(did, "a numeric top-level label looks like an IP address; use a domain name")


def _parse(did: str) -> _WebTarget:
    parsed = parse_did(did)
    if parsed.method != "web":
        raise DIDError(
            f"{did!r} is not a did:web (method {parsed.method!r})", code="methodNotSupported"
        )
    domain, *path = parsed.method_specific_id.split(":")
    escapes = _PORT_ESCAPE.findall(domain)
    if len(escapes) > 1:
        raise _bad(did, "the domain may contain at most one %3A (port separator)")
    host, _, port_text = _PORT_ESCAPE.sub(":", domain).partition(":")
    if "%" in host or "%" in port_text:
        raise _bad(did, "only the port colon (%3A) may be percent-encoded in the domain")
    port: int | None = None
    if escapes:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536 or port_text[0] == "0":
            raise _bad(did, f"port {port_text!r} is not a number from 1 to 65535")
        port = int(port_text)
    _check_host(host, did)
    for segment in path:
        if not segment:
            raise _bad(did, "empty path segment (two ':' in a row or a trailing ':')")
        if not _SEGMENT.fullmatch(segment):
            raise _bad(did, f"path segment {segment!r} has characters outside the DID syntax")
        decoded = unquote(segment)
        if decoded in (".", "..") or any(ch in decoded for ch in "/\\\x00?#"):
            raise _bad(did, f"path segment {segment!r} would change the URL path")
    return _WebTarget(host=host, port=port, segments=tuple(path))


def did_web_path(did: str) -> str:
    """The URL path at which the DID document of ``did`` is served (``/.../did.json``)."""
    target = _parse(did)
    if not target.segments:
        return "/.well-known/did.json"
    return "/" + "/".join(target.segments) + "/did.json"


def did_web_to_url(did: str, *, scheme: str = "https") -> str:
    """The URL of the DID document of a did:web DID (§3.2 steps 1-5).

    ``scheme`` exists for tests against a local plain-HTTP server; the spec requires https.
    """
    if scheme not in ("https", "http"):
        raise InvalidInput(f"unsupported scheme {scheme!r}")
    target = _parse(did)
    authority = target.host if target.port is None else f"{target.host}:{target.port}"
    return f"{scheme}://{authority}{did_web_path(did)}"


def url_to_did_web(url: str) -> str:
    """The did:web DID whose document lives at ``url`` (the inverse of :func:`did_web_to_url`).

    Accepts ``https://host[:port]/.well-known/did.json`` and ``https://host[:port]/p/.../did.json``.
    """
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise DIDError(f"{url!r}: a did:web document URL must use https", code="invalidDid")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise DIDError(f"{url!r}: no user info, query or fragment allowed", code="invalidDid")
    if not parts.path.endswith("/did.json"):
        raise DIDError(f"{url!r}: a did:web document URL ends with /did.json", code="invalidDid")
    host, colon, port_text = parts.netloc.partition(":")
    port: int | None = None
    if colon:
        if not port_text.isdigit():
            raise DIDError(f"{url!r}: invalid port", code="invalidDid")
        port = int(port_text)
    domain = host if port is None else f"{host}%3A{port}"
    path = parts.path[: -len("/did.json")]
    if path == "/.well-known":
        did = f"did:web:{domain}"
    else:
        segments = path.split("/")[1:]
        did = "did:web:" + ":".join([domain, *segments])
    _parse(did)
    if did_web_to_url(did) != url:
        raise DIDError(f"{url!r} does not map to a did:web DID", code="invalidDid")
    return did


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True, slots=True)
class DidWebKey:
    """One Ed25519 key of a did:web document.

    ``fragment`` is the part after ``#`` (``"key-2026"``); ``expires`` is when the key stops
    being used for new proofs (the rotation time of a past key; optional for a current one);
    ``revoked`` is when the key was compromised (past keys only). A past key needs at least one
    of the two.
    """

    fragment: str
    public_key_multibase: str
    revoked: datetime | None = None
    expires: datetime | None = None


KeySpec = DidWebKey | tuple[str, str] | tuple[str, str, datetime | None]


def format_datetime(value: datetime) -> str:
    """XML Schema ``dateTimeStamp`` in UTC (``2026-01-31T12:00:00Z``); needs a tz-aware value."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("timestamps in DID documents must be timezone-aware")
    return format_date_time_stamp(value)


def _as_key(spec: KeySpec) -> DidWebKey:
    if isinstance(spec, DidWebKey):
        return spec
    if isinstance(spec, tuple) and len(spec) in (2, 3):
        return DidWebKey(*spec)
    raise InvalidInput(
        f"a key must be a DidWebKey or (fragment, publicKeyMultibase[, revoked]): {spec!r}"
    )


def _absolute(did: str, value: str, what: str) -> str:
    if value.startswith("#"):
        value = did + value
    if not value.startswith(did + "#") or not _FRAGMENT.fullmatch(value[len(did) + 1 :]):
        raise InvalidInput(f"{what} id {value!r} must be '#fragment' or '{did}#fragment'")
    return value


def _key_method(did: str, key: DidWebKey) -> dict[str, Any]:
    if not _FRAGMENT.fullmatch(key.fragment or ""):
        raise InvalidInput(
            f"key fragment {key.fragment!r} must be 1-128 characters from A-Z a-z 0-9 . _ ~ -"
        )
    decode_public_multikey(key.public_key_multibase)  # raises InvalidInput if not Ed25519
    method: dict[str, Any] = {
        "id": f"{did}#{key.fragment}",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": key.public_key_multibase,
    }
    if key.expires is not None:
        method["expires"] = format_datetime(key.expires)
    if key.revoked is not None:
        method["revoked"] = format_datetime(key.revoked)
    return method


def blockchain_account_method(
    did: str,
    fragment: str,
    account_id: str,
    *,
    method_type: str = "EcdsaSecp256k1RecoveryMethod2020",
) -> dict[str, Any]:
    """A verification method naming a blockchain account (CAIP-10 ``blockchainAccountId``).

    Pass it in ``extra_verification_methods`` together with
    ``extra_contexts=[SECP256K1_RECOVERY_2020_V2]`` so a verifier can check which account
    anchored the issuer's credentials, e.g.
    ``"eip155:1:0xab16a96D359eC26a11e2C2b3d8f8B8942d5Bfcdb"``.
    """
    if not _CAIP10.fullmatch(account_id):
        raise InvalidInput(
            f"{account_id!r} is not a CAIP-10 account id (namespace:reference:address)"
        )
    return {
        "id": _absolute(did, "#" + fragment, "verification method"),
        "type": method_type,
        "controller": did,
        "blockchainAccountId": account_id,
    }


def build_did_web_document(
    did: str,
    current_keys: Iterable[KeySpec],
    past_keys: Iterable[KeySpec] = (),
    *,
    also_known_as: Sequence[str] = (),
    services: Sequence[Mapping[str, Any]] = (),
    extra_verification_methods: Sequence[Mapping[str, Any]] = (),
    extra_contexts: Sequence[str] = (),
) -> DIDDocument:
    """The DID document a platform serves for a did:web issuer.

    ``current_keys`` sign new credentials (``authentication`` + ``assertionMethod``);
    ``past_keys`` were rotated out: they keep their ``assertionMethod`` entry and carry an end
    time — ``expires`` (ordinary rotation) and/or ``revoked`` (compromise) — so proofs created
    before it still verify. ``services``
    entries need ``id`` (``#frag`` allowed), ``type`` and ``serviceEndpoint``;
    ``extra_verification_methods`` (e.g. :func:`blockchain_account_method`) are listed in
    ``verificationMethod`` only.
    """
    _parse(did)
    current = [_as_key(k) for k in current_keys]
    past = [_as_key(k) for k in past_keys]
    for key in current:
        if key.revoked is not None:
            raise InvalidInput(f"current key #{key.fragment} cannot have a revoked time")
    for key in past:
        if key.revoked is None and key.expires is None:
            raise InvalidInput(
                f"past key #{key.fragment} needs an expires time (when it was rotated out) "
                "or a revoked time (when it was compromised)"
            )
    methods = [_key_method(did, k) for k in current + past]
    for extra in extra_verification_methods:
        entry = dict(extra)
        entry["id"] = _absolute(did, str(entry.get("id", "")), "verification method")
        if not isinstance(entry.get("type"), str):
            raise InvalidInput(f"verification method {entry['id']!r} needs a type")
        entry.setdefault("controller", did)
        methods.append(entry)
    seen_ids: set[str] = set()
    seen_keys: set[str] = set()
    for method in methods:
        if method["id"] in seen_ids:
            raise InvalidInput(f"verification method id {method['id']!r} is used twice")
        seen_ids.add(method["id"])
        multibase = method.get("publicKeyMultibase")
        if isinstance(multibase, str):
            if multibase in seen_keys:
                raise InvalidInput(f"public key {multibase} is listed twice")
            seen_keys.add(multibase)

    contexts = [DID_V1, MULTIKEY_V1]
    contexts += [c for c in extra_contexts if c not in contexts]
    document: DIDDocument = {"@context": contexts, "id": did}
    if also_known_as:
        document["alsoKnownAs"] = list(also_known_as)
    document["verificationMethod"] = methods
    current_ids = [f"{did}#{k.fragment}" for k in current]
    document["authentication"] = list(current_ids)
    document["assertionMethod"] = current_ids + [f"{did}#{k.fragment}" for k in past]
    if services:
        entries = []
        for service in services:
            entry = dict(service)
            entry["id"] = _absolute(did, str(entry.get("id", "")), "service")
            if not isinstance(entry.get("type"), str | list) or "serviceEndpoint" not in entry:
                raise InvalidInput(f"service {entry['id']!r} needs a type and a serviceEndpoint")
            if entry["id"] in seen_ids:
                raise InvalidInput(f"id {entry['id']!r} is used twice")
            seen_ids.add(entry["id"])
            entries.append(entry)
        document["service"] = entries
    return document
