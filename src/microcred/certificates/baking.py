"""Badge baking: an Open Badges 3.0 credential carried inside its PNG or SVG image.

1EdTech *Open Badges Specification 3.0*, §5.3 "Badge Baking":

* **PNG** (§5.3.1): an ``iTXt`` chunk (PNG specification, 3rd edition, §11.3.3.5 / 2nd
  edition §11.3.4.5) with the keyword ``openbadgecredential``, compression flag ``0``, an empty
  language tag and translated keyword, and as text the credential's JSON (or its compact JWS
  when the credential is secured with VC-JOSE). A PNG carries at most one such chunk: baking
  replaces an existing one. Extracting reads the first ``iTXt`` chunk with that keyword.
* **SVG** (§5.3.2): the root ``<svg>`` element declares
  ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` and its first child is one
  ``<openbadges:credential>`` element: with a ``verify`` attribute holding a compact JWS, or
  with the credential's JSON as character data (``<![CDATA[...]]>``). Baking replaces an
  existing element; extracting parses the document with :mod:`defusedxml` (no entity
  expansion, no external entities).

Everything here is pure (bytes and text in, bytes and text out). Malformed images raise
:class:`~microcred.errors.InvalidInput` with a plain explanation; they never crash.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

from microcred.errors import InvalidInput

__all__ = [
    "OB3_NAMESPACE",
    "PNG_KEYWORD",
    "BakedCredential",
    "bake_png",
    "bake_svg",
    "credential_text",
    "looks_like_jws",
    "parse_svg",
    "unbake",
    "unbake_png",
    "unbake_svg",
]

PNG_KEYWORD: Final = "openbadgecredential"
#: the XML namespace of ``<openbadges:credential>`` (OB 3.0 §5.3.2)
OB3_NAMESPACE: Final = "https://purl.imsglobal.org/ob/v3p0"
_OB2_PNG_KEYWORD: Final = "openbadges"
_OB2_NAMESPACE: Final = "http://openbadges.org"

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_MAX_CHUNKS: Final = 100_000
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$")


@dataclass(frozen=True, slots=True)
class BakedCredential:
    """What an image carries: ``text`` is the credential's JSON or a compact JWS."""

    image_format: Literal["png", "svg"]
    text: str

    @property
    def is_jws(self) -> bool:
        return looks_like_jws(self.text)

    def credential(self) -> Any:
        """The credential parsed from JSON (:class:`InvalidInput` for a JWS or bad JSON)."""
        if self.is_jws:
            raise InvalidInput(
                "the image carries a credential secured as a JSON Web Token (VC-JOSE), which "
                "this verifier does not check; only Data Integrity proofs are supported"
            )
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):
            raise InvalidInput(
                f"the credential baked into this {self.image_format.upper()} image is not "
                "valid JSON"
            ) from None


def looks_like_jws(text: str) -> bool:
    """True for a compact JWS/JWT (three base64url parts separated by dots)."""
    return bool(_JWS.match(text.strip()))


def credential_text(credential: Mapping[str, Any] | str) -> str:
    """The text to bake: a JWS string as is, a credential as compact UTF-8 JSON.

    The JSON need not be byte-identical to what was signed: Data Integrity proofs are checked
    over the canonical form (RDFC-1.0 or JCS), never over these bytes.
    """
    if isinstance(credential, str):
        text = credential.strip()
        if not looks_like_jws(text):
            raise InvalidInput("a credential given as text must be a compact JWS")
        return text
    if not isinstance(credential, Mapping):
        raise InvalidInput("the credential to bake must be a JSON object or a compact JWS")
    return json.dumps(dict(credential), ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- PNG


@dataclass(frozen=True, slots=True)
class _Chunk:
    kind: bytes
    data: bytes
    start: int
    end: int


def _chunks(png: bytes) -> Iterator[_Chunk]:
    if not isinstance(png, bytes | bytearray) or not png.startswith(_PNG_SIGNATURE):
        raise InvalidInput("this is not a PNG image (the PNG signature is missing)")
    position = len(_PNG_SIGNATURE)
    for _ in range(_MAX_CHUNKS):
        if position + 8 > len(png):
            raise InvalidInput("the PNG image is truncated (no IEND chunk)")
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = bytes(png[position + 4 : position + 8])
        end = position + 12 + length
        if length > 0x7FFFFFFF or end > len(png):
            raise InvalidInput("the PNG image is truncated or has a malformed chunk")
        if not kind.isalpha():
            raise InvalidInput("the PNG image has a malformed chunk type")
        data = bytes(png[position + 8 : position + 8 + length])
        (crc,) = struct.unpack(">I", png[end - 4 : end])
        if zlib.crc32(kind + data) != crc:
            raise InvalidInput(f"the PNG image is damaged (bad checksum in a {kind!r} chunk)")
        yield _Chunk(kind, data, position, end)
        if kind == b"IEND":
            return
        position = end
    raise InvalidInput("the PNG image has too many chunks")


def _make_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _itxt_keyword(data: bytes) -> str:
    keyword, _, _ = data.partition(b"\x00")
    return keyword.decode("latin-1")


def _itxt_text(data: bytes) -> str:
    """Decode an iTXt payload (PNG §11.3.3.5): keyword, flags, language, translation, text."""
    try:
        _keyword, rest = data.split(b"\x00", 1)
        compressed, method = rest[0], rest[1]
        _language, rest = rest[2:].split(b"\x00", 1)
        _translated, text = rest.split(b"\x00", 1)
    except (ValueError, IndexError):
        raise InvalidInput("the PNG image has a malformed iTXt chunk") from None
    if compressed not in (0, 1) or method != 0:
        raise InvalidInput("the PNG image has an iTXt chunk with an unknown compression")
    if compressed:
        # Bakers MUST NOT compress (§5.3.1); read it anyway, within a bound.
        decompressor = zlib.decompressobj()
        try:
            text = decompressor.decompress(text, 16 * 1024 * 1024)
        except zlib.error:
            raise InvalidInput("the PNG image has a damaged compressed iTXt chunk") from None
        if decompressor.unconsumed_tail:
            raise InvalidInput("the baked credential is too large once decompressed")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the credential baked into the PNG image is not UTF-8 text") from None


def bake_png(png: bytes, credential: Mapping[str, Any] | str) -> bytes:
    """``png`` with ``credential`` baked in (an existing baked credential is replaced)."""
    text = credential_text(credential)
    payload = PNG_KEYWORD.encode("latin-1") + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00"
    chunk = _make_chunk(b"iTXt", payload + text.encode("utf-8"))
    parts: list[bytes] = [_PNG_SIGNATURE]
    seen_header = False
    for item in _chunks(png):
        if item.kind == b"iTXt" and _itxt_keyword(item.data) == PNG_KEYWORD:
            continue
        parts.append(bytes(png[item.start : item.end]))
        if item.kind == b"IHDR":
            if seen_header:
                raise InvalidInput("the PNG image has two IHDR chunks")
            seen_header = True
            parts.append(chunk)
    if not seen_header:
        raise InvalidInput("the PNG image has no IHDR chunk")
    return b"".join(parts)


def unbake_png(png: bytes) -> BakedCredential:
    """The credential baked into ``png`` (:class:`InvalidInput` when there is none)."""
    legacy = False
    for item in _chunks(png):
        if item.kind != b"iTXt" and item.kind != b"tEXt":
            continue
        keyword = _itxt_keyword(item.data)
        if item.kind == b"iTXt" and keyword == PNG_KEYWORD:
            return BakedCredential("png", _itxt_text(item.data).strip())
        if keyword == _OB2_PNG_KEYWORD:
            legacy = True
    if legacy:
        raise InvalidInput(
            "this PNG image carries an Open Badges 2.0 assertion, not an Open Badges 3.0 "
            "credential; ask the issuer for the Open Badges 3.0 version"
        )
    raise InvalidInput("this PNG image carries no credential (no 'openbadgecredential' chunk)")


# --------------------------------------------------------------------------- SVG

# The root element's start tag: attribute values may contain '>'.
_SVG_START = re.compile(r"<svg\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>", re.IGNORECASE)
_BAKED_ELEMENT = re.compile(
    r"<openbadges:credential\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?/>"
    r"|<openbadges:credential\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?>.*?</openbadges:credential\s*>",
    re.DOTALL,
)
_NS_DECLARATION = re.compile(r"\sxmlns:openbadges\s*=\s*(\"[^\"]*\"|'[^']*')")


def _cdata(text: str) -> str:
    # "]]>" cannot appear inside one CDATA section: split it across two.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attribute(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def bake_svg(svg: str, credential: Mapping[str, Any] | str) -> str:
    """``svg`` with ``credential`` baked in as the root's first child (OB 3.0 §5.3.2).

    A compact JWS goes into the ``verify`` attribute, a JSON credential into CDATA. An existing
    ``<openbadges:credential>`` element is removed first.
    """
    text = credential_text(credential)
    if isinstance(credential, str):
        element = f'<openbadges:credential verify="{_attribute(text)}"/>'
    else:
        element = f"<openbadges:credential>{_cdata(text)}</openbadges:credential>"
    parse_svg(svg)
    cleaned = _BAKED_ELEMENT.sub("", svg)
    match = _SVG_START.search(cleaned)
    if match is None:
        raise InvalidInput("this is not an SVG image (no <svg> element)")
    start_tag = match.group(0)
    self_closing = bool(match.group(1))
    declaration = _NS_DECLARATION.search(start_tag)
    if declaration is not None and declaration.group(1)[1:-1] != OB3_NAMESPACE:
        raise InvalidInput(
            "the SVG image binds the 'openbadges' prefix to another namespace "
            f"({declaration.group(1)[1:-1]}); it cannot carry an Open Badges 3.0 credential"
        )
    body = start_tag[:-2] if self_closing else start_tag[:-1]
    if declaration is None:
        body = body.rstrip() + f' xmlns:openbadges="{OB3_NAMESPACE}"'
    new_root = f"{body}>{element}</svg>" if self_closing else f"{body}>{element}"
    return cleaned[: match.start()] + new_root + cleaned[match.end() :]


def parse_svg(svg: str) -> Element:
    """The root of ``svg`` parsed safely (defusedxml); InvalidInput unless it is an SVG."""
    if not isinstance(svg, str):
        raise InvalidInput("an SVG image is text")
    try:
        root: Element = parse_xml(svg.encode("utf-8"))
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise InvalidInput(f"this is not a well-formed SVG image ({exc})") from None
    if root.tag not in ("svg", "{http://www.w3.org/2000/svg}svg"):
        raise InvalidInput("this is not an SVG image (the root element is not <svg>)")
    return root


def unbake_svg(svg: str | bytes) -> BakedCredential:
    """The credential baked into ``svg`` (:class:`InvalidInput` when there is none)."""
    if isinstance(svg, bytes | bytearray):
        try:
            svg = bytes(svg).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the SVG image is not UTF-8 text") from None
    root = parse_svg(svg)
    found = root.find(f".//{{{OB3_NAMESPACE}}}credential")
    if found is None:
        if root.find(f".//{{{_OB2_NAMESPACE}}}assertion") is not None:
            raise InvalidInput(
                "this SVG image carries an Open Badges 2.0 assertion, not an Open Badges 3.0 "
                "credential; ask the issuer for the Open Badges 3.0 version"
            )
        raise InvalidInput("this SVG image carries no credential (no <openbadges:credential>)")
    verify = found.get("verify")
    if verify is not None and verify.strip():
        return BakedCredential("svg", verify.strip())
    text = (found.text or "").strip()
    if not text:
        raise InvalidInput("the <openbadges:credential> element of this SVG image is empty")
    return BakedCredential("svg", text)


# --------------------------------------------------------------------------- either


def unbake(data: bytes) -> BakedCredential:
    """The credential baked into a PNG or SVG image, told apart by their first bytes."""
    if data.startswith(_PNG_SIGNATURE):
        return unbake_png(data)
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--"):
        return unbake_svg(data)
    raise InvalidInput("this is neither a PNG nor an SVG image")
