"""Generated badge images for definitions that have no image of their own.

A calm round medallion with the achievement's name (and the issuer's name) on it, as SVG text
(:func:`badge_svg`) or as a PNG raster drawn with Pillow (:func:`badge_png`). Both are plain
images, ready to be baked (:mod:`microcred.certificates.baking`). Names are data, never
markup: the SVG escapes them, the PNG draws them as text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from microcred.certificates.baking import parse_svg
from microcred.certificates.bidi import visual_order
from microcred.certificates.fonts import font_files
from microcred.errors import InvalidInput

__all__ = [
    "BADGE_PALETTES",
    "OwnImage",
    "badge_png",
    "badge_svg",
    "image_from_credential",
    "palette_for",
]

#: (outer, inner, accent) colour triples: muted, with white text readable on ``outer``
#: (contrast ratio >= 7:1 for every pair).
BADGE_PALETTES: Final[tuple[tuple[str, str, str], ...]] = (
    ("#1f3a5f", "#2d5282", "#e2b33c"),
    ("#22543d", "#2f6f4f", "#e2b33c"),
    ("#4a2c5e", "#5f3b78", "#e2b33c"),
    ("#1d4e5f", "#276379", "#e2b33c"),
    ("#5a2a27", "#733733", "#e2b33c"),
)
_MAX_TEXT: Final = 200


def palette_for(name: str) -> tuple[str, str, str]:
    """A palette chosen by a hash of ``name`` (the same name always looks the same)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return BADGE_PALETTES[digest[0] % len(BADGE_PALETTES)]


def _clean(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_TEXT else flat[: _MAX_TEXT - 1] + "…"


def _lines(text: str, width: int, limit: int) -> list[str]:
    lines = textwrap.wrap(text, width=width, break_long_words=True) or [""]
    if len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return lines


def badge_svg(name: str, *, issuer_name: str | None = None) -> str:
    """An SVG badge (512 × 512) showing ``name`` and, smaller, ``issuer_name``."""
    title = _clean(name) or "Achievement"
    issuer = _clean(issuer_name)
    outer, inner, accent = palette_for(title)
    lines = _lines(title, 18, 4)
    size = 34 if len(lines) <= 2 else 30
    first_y = 262 - (len(lines) - 1) * size * 0.6
    text_rows = "".join(
        f'<tspan x="256" y="{first_y + i * size * 1.2:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    issuer_row = ""
    if issuer:
        issuer_line = _lines(issuer, 30, 1)[0]
        issuer_row = (
            f'<text x="256" y="392" font-size="20" fill="#ffffff" text-anchor="middle" '
            f'font-family="DejaVu Sans, Verdana, Arial, sans-serif">{escape(issuer_line)}</text>'
        )
    label = escape(title + (f" — {issuer}" if issuer else ""))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" '
        'viewBox="0 0 512 512" role="img" aria-labelledby="badge-title">'
        f'<title id="badge-title">{label}</title>'
        f'<circle cx="256" cy="256" r="248" fill="{outer}"/>'
        f'<circle cx="256" cy="256" r="222" fill="none" stroke="{accent}" stroke-width="6"/>'
        f'<circle cx="256" cy="256" r="206" fill="{inner}"/>'
        f'<path d="M256 88 l14 28 31 4 -23 21 6 31 -28 -15 -28 15 6 -31 -23 -21 31 -4 z" '
        f'fill="{accent}"/>'
        f'<text font-size="{size}" font-weight="bold" fill="#ffffff" text-anchor="middle" '
        'font-family="DejaVu Sans, Verdana, Arial, sans-serif">'
        f"{text_rows}</text>{issuer_row}"
        "</svg>"
    )


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    files = font_files()
    return ImageFont.truetype(str(files.bold if bold else files.regular), size)


def _fit(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while draw.textlength(word, font=font) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and draw.textlength(word[:cut], font=font) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


def badge_png(name: str, *, issuer_name: str | None = None, size: int = 512) -> bytes:
    """A PNG badge (``size`` × ``size``, RGBA with a transparent corner) like :func:`badge_svg`."""
    title = _clean(name) or "Achievement"
    issuer = _clean(issuer_name)
    outer, inner, accent = palette_for(title)
    scale = 4  # draw large, then shrink: smooth edges without anti-aliased primitives
    canvas = size * scale
    image = Image.new("RGBA", (canvas, canvas), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)

    def box(radius: float) -> tuple[float, float, float, float]:
        c = canvas / 2
        r = radius * canvas / 512
        return (c - r, c - r, c + r, c + r)

    draw.ellipse(box(248), fill=outer)
    draw.ellipse(box(222), outline=accent, width=max(1, round(6 * canvas / 512)))
    draw.ellipse(box(206), fill=inner)
    unit = canvas / 512
    star = [
        (256, 88),
        (270, 116),
        (301, 120),
        (278, 141),
        (284, 172),
        (256, 157),
        (228, 172),
        (234, 141),
        (211, 120),
        (242, 116),
    ]
    draw.polygon([(x * unit, y * unit) for x, y in star], fill=accent)

    font_size = round(34 * unit)
    font = _font(font_size, bold=True)
    lines = _fit(draw, title, font, round(330 * unit))
    if len(lines) > 3:
        font_size = round(28 * unit)
        font = _font(font_size, bold=True)
        lines = _fit(draw, title, font, round(340 * unit))
        if len(lines) > 4:
            lines = lines[:4]
            lines[-1] = lines[-1][:-1].rstrip() + "…"
    line_height = font_size * 1.2
    top = canvas / 2 + 10 * unit - (len(lines) * line_height) / 2
    for i, line in enumerate(lines):
        draw.text(
            (canvas / 2, top + i * line_height),
            visual_order(line),
            font=font,
            fill="#ffffff",
            anchor="mt",
        )
    if issuer:
        small = _font(round(20 * unit))
        issuer_line = _fit(draw, issuer, small, round(300 * unit))[0]
        draw.text(
            (canvas / 2, 392 * unit),
            visual_order(issuer_line),
            font=small,
            fill="#ffffff",
            anchor="ms",
        )
    final = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    final.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --------------------------------------------------------------------------- own images

_DATA_IMAGE = re.compile(r"^data:image/(png|svg\+xml);base64,([A-Za-z0-9+/=\s]+)$")
_MAX_IMAGE_BYTES: Final = 512 * 1024


@dataclass(frozen=True, slots=True)
class OwnImage:
    """A badge image the credential itself carries (``data:`` URI), checked to be one."""

    kind: Literal["png", "svg"]
    data: bytes


def image_from_credential(document: Any) -> OwnImage | None:
    """The achievement's (else the credential's) image when it is a ``data:`` PNG or SVG of
    at most 512 KiB that decodes (a PNG Pillow reads, at most 2048 × 2048; a well-formed SVG);
    ``None`` otherwise — images at web addresses are never fetched, so those credentials get a
    generated badge."""
    if not isinstance(document, Mapping):
        return None
    subject = document.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    for holder in (achievement, document):
        image = holder.get("image") if isinstance(holder, Mapping) else None
        uri = image.get("id") if isinstance(image, Mapping) else image
        if isinstance(uri, str) and len(uri) <= _MAX_IMAGE_BYTES * 2:
            found = _decode(uri)
            if found is not None:
                return found
    return None


def _decode(uri: str) -> OwnImage | None:
    match = _DATA_IMAGE.match(uri.strip())
    if match is None:
        return None
    try:
        data = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not data or len(data) > _MAX_IMAGE_BYTES:
        return None
    if match.group(1) == "png":
        try:
            with Image.open(io.BytesIO(data)) as opened:
                width, height = opened.size
                if opened.format != "PNG" or not (0 < width <= 2048 and 0 < height <= 2048):
                    return None
                opened.verify()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None
        return OwnImage("png", data)
    try:
        parse_svg(data.decode("utf-8"))
    except (InvalidInput, UnicodeDecodeError):
        return None
    return OwnImage("svg", data)
