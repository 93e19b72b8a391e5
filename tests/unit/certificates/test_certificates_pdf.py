"""The PDF certificate: rendered by poppler, its QR code decoded back by zbar."""

from __future__ import annotations

import base64
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from certificates_testkit import engine, require_tool, signed_credential
from PIL import Image

from microcred.certificates import (
    CertificateData,
    certificate_data,
    decode_logo,
    qr_matrix,
    render_certificate_pdf,
)
from microcred.errors import InvalidInput

PUBLIC_URL = "https://credentials.example.edu/c/Q2xhaW1lZC1hbmQtc2hhcmVk"


@pytest.fixture(scope="module")
def credential() -> dict[str, Any]:
    return signed_credential(engine())


def logo_uri() -> str:
    image = Image.new("RGB", (120, 40), (31, 58, 95))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def render(tmp_path: Path, data: CertificateData) -> tuple[Path, str]:
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(render_certificate_pdf(data))
    text = subprocess.run(
        [require_tool("pdftotext"), "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return pdf, text


def decode_qr(tmp_path: Path, pdf: Path) -> list[str]:
    prefix = tmp_path / "page"
    subprocess.run(
        [require_tool("pdftoppm"), "-r", "110", "-png", "-singlefile", str(pdf), str(prefix)],
        check=True,
        capture_output=True,
    )
    image = prefix.with_suffix(".png")
    with Image.open(image) as page:
        width, height = page.size
    # A4 landscape (297 x 210 mm) at 110 dpi
    assert abs(width - 1286) <= 1 and abs(height - 909) <= 1
    result = subprocess.run(
        [require_tool("zbarimg"), "--quiet", "--raw", str(image)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_qr_code_decodes_to_the_public_url(tmp_path: Path, credential: dict[str, Any]) -> None:
    data = certificate_data(
        credential, learner_name="Ada Learner", public_url=PUBLIC_URL, issuer_logo=None
    )
    pdf, text = render(tmp_path, data)
    assert decode_qr(tmp_path, pdf) == [PUBLIC_URL]
    # the same address written out: the QR code is never the only way
    assert "credentials.example.edu/c/Q2xhaW1lZC1hbmQtc2hhcmVk" in text
    for expected in (
        "Ada Learner",
        "Digital Content Creation for Research",
        "5 ECTS credits",
        "EQF level 6",
        "125 hours of learning",
        "Issued on 15 January 2026",
        "University of Zed",
        "Credential ID: urn:uuid:8f5e2a54-1b3c-4d5e-9f60-718293a4b5c6",
        "MICRO-CREDENTIAL",
    ):
        assert expected in " ".join(text.split()), expected


def test_the_page_is_a4_landscape(tmp_path: Path, credential: dict[str, Any]) -> None:
    pdf, _ = render(tmp_path, certificate_data(credential, learner_name="A", public_url=PUBLIC_URL))
    info = subprocess.run(
        [require_tool("pdfinfo"), str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    assert "Pages:           1" in info
    assert "841.89 x 595.276 pts (A4)" in info


def test_rendering_is_deterministic(credential: dict[str, Any]) -> None:
    data = certificate_data(credential, learner_name="Ada Learner", public_url=PUBLIC_URL)
    assert render_certificate_pdf(data) == render_certificate_pdf(data)


def test_the_issuer_logo_is_drawn(tmp_path: Path, credential: dict[str, Any]) -> None:
    logo = decode_logo(logo_uri())
    assert logo is not None
    data = certificate_data(credential, learner_name="Ada", public_url=PUBLIC_URL, issuer_logo=logo)
    pdf, _ = render(tmp_path, data)
    images = subprocess.run(
        [require_tool("pdfimages"), "-list", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    assert "120    40" in images  # the logo, at its own pixel size


@pytest.mark.parametrize(
    "uri",
    [
        None,
        "",
        "https://uni.example/logo.png",
        "data:image/svg+xml;base64,PHN2Zy8+",
        "data:image/png;base64,%%%",
        "javascript:alert(1)",
    ],
)
def test_logos_that_cannot_be_drawn_are_left_out(uri: str | None) -> None:
    assert decode_logo(uri) is None


def test_a_broken_logo_never_breaks_the_certificate(credential: dict[str, Any]) -> None:
    data = certificate_data(
        credential, learner_name="Ada", public_url=PUBLIC_URL, issuer_logo=b"\x89PNG garbage"
    )
    assert render_certificate_pdf(data).startswith(b"%PDF-")


def test_hostile_and_long_text_is_printed_as_text(
    tmp_path: Path, credential: dict[str, Any]
) -> None:
    name = "<script>alert('x')</script> \"Robert\" O'Brien"
    data = certificate_data(credential, learner_name=name, public_url=PUBLIC_URL)
    pdf, text = render(tmp_path, data)
    assert "<script>alert('x')</script>" in text
    long = certificate_data(
        credential | {"name": "x"},
        learner_name="Maximiliana " * 20,
        public_url=PUBLIC_URL + "?" + "a" * 40,
    )
    long_pdf = tmp_path / "long.pdf"
    long_pdf.write_bytes(render_certificate_pdf(long))
    assert decode_qr(tmp_path, long_pdf) == [PUBLIC_URL + "?" + "a" * 40]


def test_right_to_left_names_are_drawn(tmp_path: Path, credential: dict[str, Any]) -> None:
    data = certificate_data(credential, learner_name="דנה כהן", public_url=PUBLIC_URL)
    _, text = render(tmp_path, data)
    # drawn in logical order; poppler extracts the letters either way round
    assert "דנה" in text or "הנד" in text


def test_the_public_url_must_be_a_web_address(credential: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        certificate_data(credential, learner_name="A", public_url="javascript:alert(1)")


def test_qr_matrix_is_square() -> None:
    rows = qr_matrix(PUBLIC_URL)
    assert len(rows) == len(rows[0]) >= 21
