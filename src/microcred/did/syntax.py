"""DID and DID URL syntax (W3C Decentralized Identifiers v1.0, §3.1 "DID Syntax" and §3.2
"DID URL Syntax").

::

    did                = "did:" method-name ":" method-specific-id
    method-name        = 1*method-char            ; method-char = %x61-7A / DIGIT
    method-specific-id = *( *idchar ":" ) 1*idchar
    idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
    did-url            = did path-abempty [ "?" query ] [ "#" fragment ]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from microcred.errors import DIDError

__all__ = ["DIDURL", "parse_did", "parse_did_url"]

_METHOD = r"[a-z0-9]+"
_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_MSI = rf"(?:{_IDCHAR}*:)*{_IDCHAR}+"
_DID = re.compile(rf"did:(?P<method>{_METHOD}):(?P<msi>{_MSI})")
# RFC 3986 pchar-ish characters for path / query / fragment (we do not interpret them).
_URL_TAIL = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*")
_MAX_LEN = 2048


@dataclass(frozen=True, slots=True)
class DIDURL:
    """A parsed DID URL: ``did`` plus optional ``path``, ``query`` and ``fragment``."""

    did: str
    method: str
    method_specific_id: str
    path: str = ""
    query: str | None = None
    fragment: str | None = None


def _fail(value: object, why: str, code: str = "invalidDid") -> DIDError:
    return DIDError(f"{value!r} is not a valid DID: {why}", code=code)


def parse_did(did: str) -> DIDURL:
    """Parse a bare DID (no path, query or fragment); raises ``DIDError`` with the reason."""
    if not isinstance(did, str):
        raise _fail(did, "a DID must be a string")
    if len(did) > _MAX_LEN:
        raise _fail(did[:40] + "...", f"longer than {_MAX_LEN} characters")
    if not did.startswith("did:"):
        raise _fail(did, "it must start with 'did:'")
    if any(ch in did for ch in "/?#"):
        raise _fail(did, "a DID has no path, query or fragment (this is a DID URL)")
    match = _DID.fullmatch(did)
    if match is None:
        parts = did.split(":", 2)
        if len(parts) < 3 or not parts[2]:
            raise _fail(did, "expected did:<method>:<method-specific-id>")
        if not re.fullmatch(_METHOD, parts[1]):
            raise _fail(did, f"method name {parts[1]!r} must be lowercase letters and digits")
        raise _fail(
            did,
            "the method-specific id may contain only letters, digits, '.', '-', '_', "
            "':' (not last) and %-escapes",
        )
    return DIDURL(did=did, method=match["method"], method_specific_id=match["msi"])


def parse_did_url(url: str) -> DIDURL:
    """Parse a DID URL (``did:...[/path][?query][#fragment]``)."""
    if not isinstance(url, str):
        raise _fail(url, "a DID URL must be a string", "invalidDidUrl")
    if len(url) > _MAX_LEN:
        raise _fail(url[:40] + "...", f"longer than {_MAX_LEN} characters", "invalidDidUrl")
    rest, hash_sign, fragment = url.partition("#")
    rest, question, query = rest.partition("?")
    slash = rest.find("/")
    did, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    parsed = parse_did(did)
    for label, part in (("path", path), ("query", query), ("fragment", fragment)):
        if not _URL_TAIL.fullmatch(part):
            raise DIDError(
                f"{url!r} is not a valid DID URL: invalid character in the {label}",
                code="invalidDidUrl",
            )
    if hash_sign and not fragment:
        raise DIDError(f"{url!r} is not a valid DID URL: empty fragment", code="invalidDidUrl")
    return DIDURL(
        did=parsed.did,
        method=parsed.method,
        method_specific_id=parsed.method_specific_id,
        path=path,
        query=query if question else None,
        fragment=fragment if hash_sign else None,
    )
