"""Certificates and badge images: the PDF certificate, baked PNG/SVG badges, generated badges.

Pure functions (no web framework, no database): :mod:`.baking` (Open Badges 3.0 §5.3),
:mod:`.badge` (a generated badge when a definition has no image), :mod:`.pdf` (the A4
certificate with a QR code), :mod:`.description` (what a credential says, for people).
See ``docs/certificates.md``.
"""

from __future__ import annotations

from microcred.certificates.badge import badge_png, badge_svg
from microcred.certificates.baking import (
    OB3_NAMESPACE,
    PNG_KEYWORD,
    BakedCredential,
    bake_png,
    bake_svg,
    looks_like_jws,
    unbake,
    unbake_png,
    unbake_svg,
)
from microcred.certificates.description import (
    CredentialDescription,
    Fact,
    LinkedText,
    describe_credential,
    format_date,
    safe_link,
)
from microcred.certificates.pdf import (
    CertificateData,
    certificate_data,
    decode_logo,
    qr_matrix,
    render_certificate_pdf,
)

__all__ = [
    "OB3_NAMESPACE",
    "PNG_KEYWORD",
    "BakedCredential",
    "CertificateData",
    "CredentialDescription",
    "Fact",
    "LinkedText",
    "badge_png",
    "badge_svg",
    "bake_png",
    "bake_svg",
    "certificate_data",
    "decode_logo",
    "describe_credential",
    "format_date",
    "looks_like_jws",
    "qr_matrix",
    "render_certificate_pdf",
    "safe_link",
    "unbake",
    "unbake_png",
    "unbake_svg",
]
