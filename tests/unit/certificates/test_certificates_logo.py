"""Uploaded issuer logos: PNG/JPEG must decode, SVG that could run or load anything is refused."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from microcred.certificates.logo import MAX_LOGO_BYTES, logo_data_uri, svg_problem
from microcred.errors import InvalidInput

CLEAN_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'viewBox="0 0 10 10"><defs><linearGradient id="g"><stop offset="0"/></linearGradient>'
    b'</defs><rect width="10" height="10" fill="url(#g)" style="fill:url(#g)"/>'
    b'<use xlink:href="#g"/><style>rect { fill: #123 }</style></svg>'
)


def _image(fmt: str, size: tuple[int, int] = (40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 80, 160)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_png_and_jpeg_become_data_uris_with_the_same_bytes() -> None:
    for fmt, media in (("PNG", "image/png"), ("JPEG", "image/jpeg")):
        data = _image(fmt)
        uri = logo_data_uri(data, f"logo.{fmt.lower()}")
        prefix = f"data:{media};base64,"
        assert uri.startswith(prefix)
        assert base64.b64decode(uri[len(prefix) :]) == data


def test_clean_svg_is_accepted() -> None:
    assert svg_problem(CLEAN_SVG) is None
    assert logo_data_uri(CLEAN_SVG, "logo.svg").startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "event-handler"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>',
         "javascript:"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
         "foreignobject"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
         b'<image x:href="https://evil.example/t.png"/></svg>', "links to another file"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://e.example/x)"/>'
         b"</svg>", "styles load"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(x.css);</style></svg>',
         "styles load"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="x"/></svg>',
         "<set>"),
        (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>', "entities"),
        (b"<html><svg/></html>", "not an SVG"),
    ],
)  # fmt: skip
def test_unsafe_svg_is_refused_with_the_reason(svg: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        logo_data_uri(svg, "logo.svg")
    assert reason in caught.value.detail


def test_wrong_format_size_and_corrupt_files_are_refused() -> None:
    with pytest.raises(InvalidInput, match="PNG, JPEG or SVG"):
        logo_data_uri(b"GIF89a....", "logo.gif")
    with pytest.raises(InvalidInput, match="larger than 256 KiB"):
        logo_data_uri(b"\x89PNG\r\n\x1a\n" + b"0" * MAX_LOGO_BYTES, "big.png")
    with pytest.raises(InvalidInput, match="could not be read"):
        logo_data_uri(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "bad.png")
    with pytest.raises(InvalidInput, match="at most 2048"):
        logo_data_uri(_image("PNG", (4000, 10)), "wide.png")
    with pytest.raises(InvalidInput, match="Choose a logo"):
        logo_data_uri(b"", "none.png")
