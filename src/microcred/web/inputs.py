"""What the public verifier is given — a file, pasted JSON or a web address — as a document.

* **Files** (at most :data:`MAX_UPLOAD` bytes, read in memory and never stored): JSON (a
  credential or a presentation), or a baked PNG/SVG badge, unbaked with
  :func:`microcred.certificates.unbake` (Open Badges 3.0 §5.3).
* **Pasted text**: the same, as text.
* **Web addresses**: the platform's own public credential pages (``<base_url>/c/<id>`` and
  ``.../credential.json``) are read in-process, never over the network. Other addresses are
  fetched only when the platform may use the network (``MICROCRED_ALLOW_NETWORK``), with the
  hardened HTTPS client of the status-list fetcher
  (:class:`~microcred.status.fetchers.HttpsStatusListFetcher`): https only, no private,
  loopback or link-local addresses (SSRF), the connection pinned to the checked address, at
  most 3 redirects each re-checked, timeouts and the same size cap; the body may be JSON or a
  baked image.

Everything unusable raises :class:`~microcred.errors.InvalidInput` with a sentence meant for
the person at the verifier page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from microcred.certificates.baking import BakedCredential, looks_like_jws, unbake
from microcred.errors import InvalidInput, NotFound, StatusError
from microcred.status.fetchers import HttpsStatusListFetcher
from microcred.verification.checks.jwt import jwt_token

__all__ = [
    "MAX_UPLOAD",
    "CredentialFetcher",
    "ParsedInput",
    "document_from_bytes",
    "document_from_text",
    "document_from_url",
]

#: the largest file, pasted text or fetched body the verifier reads (1 MiB)
MAX_UPLOAD: Final = 1024 * 1024
_PNG: Final = b"\x89PNG\r\n\x1a\n"
_OWN_PAGE = re.compile(r"^/c/([A-Za-z0-9_-]{22})(?:/credential\.json)?/?$")


@dataclass(frozen=True)
class ParsedInput:
    """A document to verify and where it came from (for the page)."""

    document: Any
    source: Literal["file", "paste", "url"]
    detail: str  # e.g. "baked PNG badge", "JSON file", "this platform's public page"

    @property
    def is_presentation(self) -> bool:
        types = self.document.get("type") if isinstance(self.document, Mapping) else None
        names = types if isinstance(types, list) else [types]
        return "VerifiablePresentation" in names


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _parse_json(text: str, what: str) -> Any:
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise InvalidInput(f"The {what} is empty.")
    if looks_like_jws(stripped):
        raise InvalidInput(
            "This is a JSON Web Signature, but not a VC-JWT this verifier reads (it needs an "
            "Open Badges VC-JWT: header.payload.signature with a credential inside); ask the "
            "issuer for the credential's JSON form."
        )
    try:
        return json.loads(
            stripped, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except RecursionError:
        raise InvalidInput(f"The {what} is nested too deeply to be a credential.") from None
    except ValueError as exc:
        raise InvalidInput(
            f"The {what} is not valid JSON ({str(exc)[:200]}). A credential is a JSON file, or a "
            "PNG or SVG badge image with the credential baked in."
        ) from None


def document_from_text(text: str, *, source: Literal["paste", "file"] = "paste") -> ParsedInput:
    """Pasted JSON (or the text of a JSON file)."""
    if len(text.encode("utf-8")) > MAX_UPLOAD:
        raise InvalidInput("The text is larger than 1 MiB; no credential is that large.")
    what = "pasted text" if source == "paste" else "file"
    token = jwt_token(text)
    if token is not None:
        return ParsedInput(token, source, "pasted VC-JWT" if source == "paste" else "VC-JWT file")
    return ParsedInput(
        _parse_json(text, what), source, "pasted JSON" if source == "paste" else "JSON file"
    )


def document_from_bytes(data: bytes, *, source: Literal["file", "url"] = "file") -> ParsedInput:
    """A file's bytes: a baked PNG or SVG badge, or JSON."""
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("The file is larger than 1 MiB; no credential is that large.")
    if not data.strip():
        raise InvalidInput("The file is empty.")
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data.startswith(_PNG) or head.startswith((b"<?xml", b"<svg", b"<!--")):
        baked = _unbake(data)
        token = jwt_token(baked.text) if baked.is_jws else None
        if token is not None:
            return ParsedInput(
                token, source, f"baked {baked.image_format.upper()} badge image (VC-JWT)"
            )
        return ParsedInput(
            baked.credential(), source, f"baked {baked.image_format.upper()} badge image"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "This file is neither JSON nor a PNG or SVG badge image. A credential is a JSON "
            "file, or a badge image with the credential baked in."
        ) from None
    token = jwt_token(text)
    if token is not None:
        return ParsedInput(token, source, "VC-JWT file" if source == "file" else "VC-JWT")
    parsed = _parse_json(text, "file")
    return ParsedInput(parsed, source, "JSON file" if source == "file" else "JSON")


def _unbake(data: bytes) -> BakedCredential:
    """:func:`unbake`, its refusals told as sentences for the person at the verifier.

    The baker's own wording (which chunk or element is missing) stays in the problem's
    ``imageDetail`` member, for the API's problem details.
    """
    try:
        return unbake(data)
    except InvalidInput as exc:
        detail = exc.detail
        if "carries no credential" in detail:
            kind = "PNG" if data.startswith(_PNG) else "SVG"
            message = (
                f"This {kind} image has no credential in it. A badge image from an issuer "
                "carries the credential inside the file; a plain picture or a screenshot of a "
                "badge does not. Upload the badge image the issuer gave you, or the "
                "credential's JSON file."
            )
        else:
            message = _sentence(detail)
        raise InvalidInput(message, imageDetail=detail) from None


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class CredentialFetcher(HttpsStatusListFetcher):
    """The status-list fetcher's hardened HTTPS client, for credentials and baked images.

    Only :meth:`fetch_bytes` is used: the body's media type is not restricted (a badge image
    is ``image/png``), the caller parses it.
    """

    def __init__(self, **options: Any) -> None:
        options.setdefault("max_bytes", MAX_UPLOAD)
        options.setdefault("user_agent", "microcred-verifier/1")
        super().__init__(**options)
        #: plain http is only for local tests (it needs ``allow_private`` too)
        self.allow_http = bool(options.get("allow_http", False))

    def fetch_bytes(self, url: str) -> bytes:
        try:
            return self._get(url).body
        except StatusError as exc:
            why = exc.detail.split("could not be fetched: ", 1)[-1]
            raise InvalidInput(f"The address could not be read: {why}.") from None


def document_from_url(
    url: str,
    *,
    base_url: str,
    own_document: Callable[[str], Mapping[str, Any]],
    fetcher: CredentialFetcher | None,
) -> ParsedInput:
    """The document at ``url``: in-process for this platform's public pages, otherwise over
    HTTPS with ``fetcher`` (``None``: the network is off)."""
    text = url.strip()
    if not text:
        raise InvalidInput("Enter the web address of a credential.")
    if len(text) > 2048:
        raise InvalidInput("The web address is too long.")
    try:
        parts = urlsplit(text)
        base = urlsplit(base_url)
    except ValueError:
        raise InvalidInput("This is not a valid web address.") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput("Enter a complete web address starting with https://.")
    if (parts.scheme, parts.netloc.lower()) == (base.scheme, base.netloc.lower()):
        base_path = base.path.rstrip("/")
        path = parts.path
        if base_path and path.startswith(base_path):
            path = path[len(base_path) :]
        match = _OWN_PAGE.match(path)
        if match is None:
            raise InvalidInput(
                "This address is on this platform but is not a shared credential's page."
            )
        try:
            document = own_document(match.group(1))
        except NotFound:
            raise InvalidInput(
                "There is no shared credential at this address (any more): the learner may "
                "have stopped sharing it."
            ) from None
        return ParsedInput(dict(document), "url", "a public credential page of this platform")
    if fetcher is None:
        raise InvalidInput(
            "This platform does not fetch addresses on other web sites (its network access is "
            "turned off). Download the credential there and upload the file here instead."
        )
    if parts.scheme != "https" and not fetcher.allow_http:
        raise InvalidInput("Only https:// addresses of other web sites are fetched.")
    return document_from_bytes(fetcher.fetch_bytes(text), source="url")
