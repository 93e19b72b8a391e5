"""Generated badge images and the right-to-left helper they draw with."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
from PIL import Image

from microcred.certificates import badge_png, badge_svg
from microcred.certificates.badge import BADGE_PALETTES, palette_for
from microcred.certificates.bidi import has_rtl, visual_order

HOSTILE = "<script>alert('x')</script> & \"quotes\" ]]> ‮evil"


def test_svg_badge_is_well_formed_and_names_the_achievement() -> None:
    svg = badge_svg("Data Literacy for Researchers", issuer_name="Example University")
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == "Data Literacy for Researchers — Example University"
    texts = "".join(root.itertext())
    assert "Data Literacy" in texts and "Example University" in texts


def test_hostile_names_are_text_in_the_svg() -> None:
    svg = badge_svg(HOSTILE, issuer_name=HOSTILE)
    root = ElementTree.fromstring(svg)  # still well-formed
    assert "<script" not in svg
    assert root.find(".//{http://www.w3.org/2000/svg}script") is None
    assert "alert('x')" in "".join(root.itertext())


def test_png_badge_is_a_square_png() -> None:
    data = badge_png("Data Literacy", issuer_name="Example University", size=256)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (256, 256)
        # the centre is painted, the corner transparent
        assert image.getpixel((128, 128))[3] == 255
        assert image.getpixel((1, 1))[3] == 0


@pytest.mark.parametrize("name", [HOSTILE, "", "x" * 500, "דנה כהן", "Ünïcödé ☃", "a\nb\tc"])
def test_any_name_draws(name: str) -> None:
    assert badge_png(name, size=64).startswith(b"\x89PNG")
    ElementTree.fromstring(badge_svg(name, issuer_name=name))


def test_the_palette_depends_on_the_name_only() -> None:
    assert palette_for("A") == palette_for("A")
    assert {palette_for(str(i)) for i in range(50)} <= set(BADGE_PALETTES)


@pytest.mark.parametrize(
    ("logical", "visual"),
    [
        ("plain text", "plain text"),
        ("דנה כהן", "ןהכ הנד"),
        ("Dana דנה כהן Cohen", "Dana ןהכ הנד Cohen"),
        ("שלום 123 עולם", "םלוע 123 םולש"),
        ("(שלום)", "(םולש)"),
        ("דנה, born 1990", "born 1990 ,הנד"),
    ],
)
def test_visual_order(logical: str, visual: str) -> None:
    assert visual_order(logical) == visual
    assert has_rtl(logical) == (logical != "plain text")


def _data_uri(kind: str, data: bytes) -> str:
    import base64

    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


def _png(width: int = 20, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def test_a_credentials_own_image_is_used_when_it_is_a_data_uri() -> None:
    from microcred.certificates.badge import image_from_credential

    png = _png()
    document = {"credentialSubject": {"achievement": {"image": {"id": _data_uri("png", png)}}}}
    own = image_from_credential(document)
    assert own is not None and own.kind == "png" and own.data == png
    svg = badge_svg("Own").encode()
    as_svg = {"image": {"id": _data_uri("svg+xml", svg)}, "credentialSubject": {}}
    found = image_from_credential(as_svg)
    assert found is not None and found.kind == "svg" and found.data == svg


@pytest.mark.parametrize(
    "uri",
    [
        "https://uni.example/badge.png",
        "data:image/png;base64,%%%",
        "data:image/png;base64," + "QUJD",  # not a PNG
        "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
        "data:image/svg+xml;base64,PGh0bWwvPg==",  # <html/>
        None,
    ],
)
def test_other_images_give_a_generated_badge(uri: str | None) -> None:
    from microcred.certificates.badge import image_from_credential

    document = {"credentialSubject": {"achievement": {"image": {"id": uri}}}}
    assert image_from_credential(document) is None


def test_huge_own_images_are_refused() -> None:
    from microcred.certificates.badge import image_from_credential

    big = _png(3000, 10)
    document = {"credentialSubject": {"achievement": {"image": {"id": _data_uri("png", big)}}}}
    assert image_from_credential(document) is None
    assert image_from_credential("not a document") is None
