"""An issuer's uploaded logo, checked and turned into a ``data:`` URI.

:func:`logo_data_uri` accepts PNG, JPEG and SVG files of at most :data:`MAX_LOGO_BYTES`:

* PNG and JPEG must decode (Pillow reads the whole image) and be at most
  :data:`MAX_LOGO_PIXELS` on each side; the bytes are kept as they are.
* SVG is parsed with :mod:`defusedxml` (no DTDs, no entities) and **refused** — not silently
  cleaned — when it could run or load anything: ``<script>``, ``<foreignObject>``, ``<iframe>``,
  ``<embed>``, ``<object>``, ``<audio>``/``<video>``, event-handler attributes (``on…``),
  ``href``/``xlink:href`` other than ``#fragment`` or an embedded PNG/JPEG ``data:`` image,
  ``url(…)`` other than ``url(#…)`` and ``@import`` in styles, ``javascript:`` anywhere. The
  person uploading gets the reason and can export a plain SVG or a PNG instead.

The result is stored as the issuer's ``logo_uri`` (in the database): the pages show it
(``img-src 'self' data:``), credentials carry it as the issuer's ``image``, the PDF certificate
draws PNG and JPEG logos (reportlab cannot draw SVG; the certificate then shows the name only).
"""

from __future__ import annotations

import base64
import io
import re
from typing import Final
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as parse_xml
from PIL import Image, UnidentifiedImageError

from microcred.errors import InvalidInput

__all__ = ["MAX_LOGO_BYTES", "MAX_LOGO_PIXELS", "logo_data_uri", "svg_problem"]

MAX_LOGO_BYTES: Final = 256 * 1024
MAX_LOGO_PIXELS: Final = 2048
_PNG: Final = b"\x89PNG\r\n\x1a\n"
_JPEG: Final = b"\xff\xd8\xff"
_FORBIDDEN: Final = frozenset(
    {"script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler",
     "listener", "animate", "set"}
)  # fmt: skip
_SAFE_HREF: Final = re.compile(r"^(#[\w.-]*|data:image/(png|jpeg);base64,[A-Za-z0-9+/=\s]+)$")
_URL: Final = re.compile(r"url\(\s*(['\"]?)(?!#)", re.IGNORECASE)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def svg_problem(data: bytes) -> str | None:
    """Why this SVG is not acceptable as a logo, or ``None`` when it is."""
    try:
        root: Element = parse_xml(data)
    except (ParseError, DefusedXmlException, ValueError):
        return "The SVG file could not be read (or it declares entities or a DTD)."
    if _local(root.tag) != "svg":
        return "The file is not an SVG image."
    for element in root.iter():
        tag = _local(element.tag)
        if tag in _FORBIDDEN:
            return f"The SVG contains a <{tag}> element; logos may not run or load anything."
        for name, value in element.attrib.items():
            attr = _local(name)
            lowered = value.strip().lower()
            if attr.startswith("on"):
                return f"The SVG has an event-handler attribute ({attr}); remove it."
            if "javascript:" in lowered.replace(" ", ""):
                return "The SVG contains a javascript: address."
            if attr == "href" and not _SAFE_HREF.match(value.strip()):
                return "The SVG links to another file; embed everything in the logo."
            if attr == "style" and (_URL.search(value) or "@import" in lowered):
                return "The SVG's styles load another file; embed everything in the logo."
        if tag == "style":
            text = (element.text or "").lower()
            if "@import" in text or _URL.search(text) or "javascript:" in text:
                return "The SVG's styles load another file; embed everything in the logo."
    return None


def _raster(data: bytes, kind: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if (opened.format or "").upper() != kind:
                raise InvalidInput(f"The file is not a {kind} image.")
            width, height = opened.size
            if width > MAX_LOGO_PIXELS or height > MAX_LOGO_PIXELS:
                raise InvalidInput(
                    f"The logo is {width}×{height} pixels; at most {MAX_LOGO_PIXELS} on each side."
                )
            opened.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(f"The {kind} file could not be read.") from None


def logo_data_uri(data: bytes, filename: str = "") -> str:
    """The ``data:`` URI of an acceptable logo (InvalidInput with the reason otherwise)."""
    if not data:
        raise InvalidInput("Choose a logo file (PNG, JPEG or SVG).")
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput(f"The logo is larger than {MAX_LOGO_BYTES // 1024} KiB.")
    if data.startswith(_PNG):
        _raster(data, "PNG")
        media = "image/png"
    elif data.startswith(_JPEG):
        _raster(data, "JPEG")
        media = "image/jpeg"
    elif b"<svg" in data[:4096] or filename.lower().endswith(".svg"):
        problem = svg_problem(data)
        if problem is not None:
            raise InvalidInput(problem)
        media = "image/svg+xml"
    else:
        raise InvalidInput("The logo must be a PNG, JPEG or SVG file.")
    return f"data:{media};base64," + base64.b64encode(data).decode("ascii")
