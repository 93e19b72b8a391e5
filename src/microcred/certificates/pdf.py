"""The PDF certificate: A4 landscape, for people, with a QR code to the public page.

:func:`certificate_data` gathers what the page shows from a credential's JSON
(:func:`~microcred.certificates.description.describe_credential`) plus what the JSON does not
carry — the learner's name (the signed credential names the learner only by a hashed e-mail
or a DID), the public page's address and the issuer's logo. :func:`render_certificate_pdf`
draws it with reportlab: issuer logo and name, the learner, the title, ECTS / EQF level /
workload, the date of issue, the credential id, and a QR code (segno, error correction level
M) with the same short address written under it, so the QR code is never the only way to
reach the page.

The certificate is a convenience copy: what counts is the signed credential, which the QR
code's page verifies live. Output is deterministic for the same input (reportlab's
*invariant* mode: no creation time, no random document id).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import segno
from PIL import Image
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from microcred.certificates.bidi import visual_order
from microcred.certificates.description import describe_credential, format_date
from microcred.certificates.fonts import font_files
from microcred.errors import InvalidInput

__all__ = [
    "CertificateData",
    "certificate_data",
    "decode_logo",
    "qr_matrix",
    "render_certificate_pdf",
]

_DATA_URI = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/=\s]+)$")
_NAVY: Final = (0.122, 0.227, 0.373)
_GOLD: Final = (0.886, 0.702, 0.235)
_INK: Final = (0.133, 0.133, 0.133)
_MUTED: Final = (0.33, 0.33, 0.36)
_REGULAR: Final = "MicrocredSans"
_BOLD: Final = "MicrocredSans-Bold"


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on the certificate (plain text; nothing is interpreted as markup)."""

    learner_name: str
    title: str
    issuer_name: str
    public_url: str
    issued_on: datetime | None = None
    ects: str | None = None
    eqf_level: int | None = None
    workload: str | None = None
    credential_id: str | None = None
    achievement_type: str | None = None
    issuer_logo: bytes | None = None


def decode_logo(logo_uri: str | None) -> bytes | None:
    """The image bytes of a ``data:image/...;base64,`` logo; ``None`` for anything else
    (remote logos are never fetched; SVG logos cannot be drawn into the PDF)."""
    if not logo_uri:
        return None
    match = _DATA_URI.match(logo_uri.strip())
    if match is None:
        return None
    try:
        return base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def certificate_data(
    document: Mapping[str, Any],
    *,
    learner_name: str,
    public_url: str,
    issuer_name: str | None = None,
    issuer_logo: bytes | None = None,
) -> CertificateData:
    """The certificate of ``document`` for ``learner_name`` pointing at ``public_url``."""
    if not public_url.startswith(("https://", "http://")):
        raise InvalidInput("the certificate's public URL must be an http(s) address")
    described = describe_credential(document)
    return CertificateData(
        learner_name=" ".join(learner_name.split()) or "—",
        title=described.title,
        issuer_name=issuer_name or described.issuer_name or described.issuer_id or "—",
        public_url=public_url,
        issued_on=described.valid_from,
        ects=described.ects,
        eqf_level=described.eqf_level,
        workload=described.workload,
        credential_id=described.credential_id,
        achievement_type=described.achievement_type,
        issuer_logo=issuer_logo,
    )


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code of ``url`` (error correction M) as rows of dark (True) modules."""
    code = segno.make_qr(url, error="m", boost_error=False)
    return [[bool(cell) for cell in row] for row in code.matrix]


def _register_fonts() -> None:
    if _REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    files = font_files()
    pdfmetrics.registerFont(TTFont(_REGULAR, str(files.regular)))
    pdfmetrics.registerFont(TTFont(_BOLD, str(files.bold)))


def _fit_size(text: str, font: str, size: float, width: float, minimum: float) -> float:
    while size > minimum and float(pdfmetrics.stringWidth(text, font, size)) > width:
        size -= 0.5
    return size


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while pdfmetrics.stringWidth(word, font, size) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


def _ellipsize(text: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _centred(canvas: Canvas, x: float, y: float, text: str) -> None:
    canvas.drawCentredString(x, y, visual_order(text))


def _left(canvas: Canvas, x: float, y: float, text: str) -> None:
    canvas.drawString(x, y, visual_order(text))


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    rows = qr_matrix(url)
    count = len(rows) + 8  # four light modules of quiet zone on each side
    module = size / count
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, fill=1, stroke=0)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        top = y + size - (r + 4 + 1) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(x + (start + 4) * module, top, (c - start) * module, module, 0, 1)


def _draw_logo(canvas: Canvas, logo: bytes, x: float, top: float) -> float:
    """Draw the logo with its top-left corner at (x, top); return its width (0 if unusable).

    Any image Pillow can read that is at most 4096 × 4096 pixels; anything else is left out
    (a logo never breaks the certificate).
    """
    try:
        with Image.open(io.BytesIO(logo)) as opened:
            width, height = opened.size
            if not (0 < width <= 4096 and 0 < height <= 4096):
                return 0.0
            picture = opened.convert("RGBA")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return 0.0
    scale = min(150 / width, 56 / height)
    w, h = width * scale, height * scale
    canvas.drawImage(ImageReader(picture), x, top - h, w, h, mask="auto")
    return w


def render_certificate_pdf(data: CertificateData) -> bytes:
    """The certificate as PDF bytes (one A4 landscape page)."""
    _register_fonts()
    page_width, page_height = landscape(A4)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(page_width, page_height), invariant=True, pageCompression=1)
    canvas.setTitle(f"{data.title} — {data.learner_name}")
    canvas.setAuthor(data.issuer_name)
    canvas.setSubject("Micro-credential certificate")
    canvas.setCreator("microcred")

    # frame
    canvas.setStrokeColorRGB(*_NAVY)
    canvas.setLineWidth(3)
    canvas.rect(24, 24, page_width - 48, page_height - 48, fill=0, stroke=1)
    canvas.setStrokeColorRGB(*_GOLD)
    canvas.setLineWidth(1)
    canvas.rect(32, 32, page_width - 64, page_height - 64, fill=0, stroke=1)

    left = 64.0
    right = page_width - 64
    center = page_width / 2
    top = page_height - 60

    # header: logo and issuer name
    offset = _draw_logo(canvas, data.issuer_logo, left, top) if data.issuer_logo else 0.0
    canvas.setFillColorRGB(*_NAVY)
    header_x = left + offset + (16 if offset else 0)
    header_size = _fit_size(data.issuer_name, _BOLD, 16, right - header_x - 180, 9)
    canvas.setFont(_BOLD, header_size)
    _left(
        canvas,
        header_x,
        top - 22,
        _ellipsize(data.issuer_name, _BOLD, header_size, right - header_x - 180),
    )
    kind = (
        "MICRO-CREDENTIAL"
        if (data.achievement_type or "").lower() in ("", "microcredential", "micro-credential")
        else "CERTIFICATE OF ACHIEVEMENT"
    )
    canvas.setFont(_REGULAR, 10)
    canvas.setFillColorRGB(*_MUTED)
    canvas.drawRightString(right, top - 22, kind)

    # body
    y = page_height - 170
    canvas.setFillColorRGB(*_MUTED)
    canvas.setFont(_REGULAR, 14)
    _centred(canvas, center, y, "This certifies that")
    y -= 46
    name_size = _fit_size(data.learner_name, _BOLD, 32, right - left, 14)
    canvas.setFillColorRGB(*_INK)
    canvas.setFont(_BOLD, name_size)
    _centred(canvas, center, y, _ellipsize(data.learner_name, _BOLD, name_size, right - left))
    canvas.setStrokeColorRGB(*_GOLD)
    canvas.setLineWidth(1)
    canvas.line(center - 160, y - 12, center + 160, y - 12)
    y -= 44
    canvas.setFillColorRGB(*_MUTED)
    canvas.setFont(_REGULAR, 14)
    _centred(canvas, center, y, "has been awarded")
    y -= 38
    title_size = 24.0
    lines = _wrap(data.title, _BOLD, title_size, right - left - 80)
    if len(lines) > 2:
        title_size = 19.0
        lines = _wrap(data.title, _BOLD, title_size, right - left - 80)
    if len(lines) > 3:
        lines = lines[:3]
        lines[-1] = _ellipsize(lines[-1] + "…", _BOLD, title_size, right - left - 80)
    canvas.setFillColorRGB(*_NAVY)
    canvas.setFont(_BOLD, title_size)
    for line in lines:
        _centred(canvas, center, y, line)
        y -= title_size * 1.25
    y -= 8
    parts = []
    if data.ects:
        parts.append(f"{data.ects} ECTS credits")
    if data.eqf_level:
        parts.append(f"EQF level {data.eqf_level}")
    if data.workload:
        parts.append(f"{data.workload} of learning")
    if parts:
        canvas.setFillColorRGB(*_INK)
        canvas.setFont(_REGULAR, 13)
        _centred(canvas, center, y, "  ·  ".join(parts))
        y -= 22
    if data.issued_on is not None:
        canvas.setFillColorRGB(*_MUTED)
        canvas.setFont(_REGULAR, 12)
        _centred(canvas, center, y, f"Issued on {format_date(data.issued_on)}")

    # footer: verification
    qr_size = 104.0
    qr_x = right - qr_size + 8
    qr_y = 48.0
    _draw_qr(canvas, data.public_url, qr_x, qr_y + 14, qr_size)
    canvas.setFillColorRGB(*_INK)
    short = data.public_url.split("://", 1)[-1]
    url_size = _fit_size(short, _REGULAR, 9, 230, 6)
    canvas.setFont(_REGULAR, url_size)
    canvas.drawRightString(right, qr_y + 2, short)
    canvas.setFont(_BOLD, 10)
    canvas.setFillColorRGB(*_NAVY)
    _left(canvas, left, 96, "Verify this certificate")
    canvas.setFont(_REGULAR, 9)
    canvas.setFillColorRGB(*_MUTED)
    text_width = qr_x - left - 24
    notes = [
        "Scan the QR code or open the address under it to see the digital credential and",
        "check it live. The signed digital credential (W3C Verifiable Credential, Open",
        "Badges 3.0) is the authoritative record; this page is a printable copy.",
    ]
    line_y = 82.0
    for note in notes:
        _left(canvas, left, line_y, _ellipsize(note, _REGULAR, 9, text_width))
        line_y -= 12
    if data.credential_id:
        canvas.setFont(_REGULAR, 7.5)
        _left(
            canvas,
            left,
            line_y - 6,
            _ellipsize(f"Credential ID: {data.credential_id}", _REGULAR, 7.5, text_width),
        )
    canvas.showPage()
    canvas.save()
    return out.getvalue()
