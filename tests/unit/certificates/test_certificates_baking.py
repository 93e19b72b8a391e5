"""Open Badges 3.0 baking (§5.3): bake, unbake, verify; hostile and damaged images."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import struct
import zlib
from typing import Any

import pytest
from certificates_testkit import engine, signed_credential
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from microcred.certificates import (
    OB3_NAMESPACE,
    badge_png,
    badge_svg,
    bake_png,
    bake_svg,
    unbake,
    unbake_png,
    unbake_svg,
)
from microcred.errors import InvalidInput
from microcred.wiring import Engine

JWS = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6ZXhhbXBsZToxIn0.c2lnbmF0dXJl"


@pytest.fixture(scope="module")
def the_engine() -> Engine:
    return engine()


@pytest.fixture(scope="module")
def credential(the_engine: Engine) -> dict[str, Any]:
    return signed_credential(the_engine)


def chunk_types(png: bytes) -> list[bytes]:
    kinds, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kinds.append(png[position + 4 : position + 8])
        position += 12 + length
    return kinds


def plain_png(**text: str) -> bytes:
    image = Image.new("RGB", (8, 8), (10, 20, 30))
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def test_png_round_trip_verifies(the_engine: Engine, credential: dict[str, Any]) -> None:
    baked = bake_png(badge_png("Data Literacy"), credential)
    found = unbake_png(baked)
    assert found.image_format == "png" and not found.is_jws
    assert found.credential() == credential
    assert the_engine.verifier.verify_credential(found.credential()).verified
    # Pillow (an independent PNG reader) sees one uncompressed iTXt chunk with our keyword
    with Image.open(io.BytesIO(baked)) as opened:
        opened.load()
        assert json.loads(opened.text["openbadgecredential"]) == credential
    assert chunk_types(baked)[:2] == [b"IHDR", b"iTXt"]


def test_png_itxt_chunk_layout_is_the_one_the_spec_gives(credential: dict[str, Any]) -> None:
    baked = bake_png(plain_png(), credential)
    position = 8 + 12 + 13  # signature, IHDR
    (length,) = struct.unpack(">I", baked[position : position + 4])
    assert baked[position + 4 : position + 8] == b"iTXt"
    data = baked[position + 8 : position + 8 + length]
    keyword, rest = data.split(b"\x00", 1)
    assert keyword == b"openbadgecredential"
    assert rest[:2] == b"\x00\x00"  # compression flag 0, method 0
    assert rest[2:4] == b"\x00\x00"  # empty language tag, empty translated keyword
    assert json.loads(rest[4:].decode("utf-8")) == credential


def test_svg_round_trip_verifies(the_engine: Engine, credential: dict[str, Any]) -> None:
    baked = bake_svg(badge_svg("Data Literacy", issuer_name="Example University"), credential)
    assert f'xmlns:openbadges="{OB3_NAMESPACE}"' in baked
    assert "<openbadges:credential><![CDATA[" in baked
    # the credential element is the root's first child
    root_end = baked.index(">", baked.index("<svg")) + 1
    assert baked[root_end:].startswith("<openbadges:credential>")
    found = unbake(baked.encode("utf-8"))
    assert found.image_format == "svg"
    assert the_engine.verifier.verify_credential(found.credential()).verified


def test_baking_again_replaces_the_credential(credential: dict[str, Any]) -> None:
    other = copy.deepcopy(credential)
    other["name"] = "Changed"
    png = bake_png(bake_png(plain_png(), credential), other)
    assert chunk_types(png).count(b"iTXt") == 1
    assert unbake_png(png).credential()["name"] == "Changed"
    svg = bake_svg(bake_svg(badge_svg("A"), credential), other)
    assert svg.count("<openbadges:credential") == 1
    assert svg.count("xmlns:openbadges") == 1
    assert unbake_svg(svg).credential()["name"] == "Changed"


def test_other_chunks_are_kept(credential: dict[str, Any]) -> None:
    source = plain_png(Author="Someone", openbadges="legacy")
    baked = bake_png(source, credential)
    assert chunk_types(baked).count(b"tEXt") == 2
    with Image.open(io.BytesIO(baked)) as opened:
        opened.load()
        assert opened.size == (8, 8)


def test_a_tampered_baked_credential_does_not_verify(
    the_engine: Engine, credential: dict[str, Any]
) -> None:
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["achievement"]["name"] = "Rocket Science"
    found = unbake(bake_png(plain_png(), changed))
    report = the_engine.verifier.verify_credential(found.credential())
    assert not report.verified
    assert "proof.signature_invalid" in {c.code for c in report.failures}


def test_jws_goes_into_the_verify_attribute_and_the_chunk() -> None:
    svg = bake_svg(badge_svg("A"), JWS)
    assert f'<openbadges:credential verify="{JWS}"/>' in svg
    assert unbake_svg(svg).text == JWS and unbake_svg(svg).is_jws
    png = bake_png(plain_png(), JWS)
    found = unbake_png(png)
    assert found.text == JWS
    with pytest.raises(InvalidInput, match="VC-JOSE"):
        found.credential()
    with pytest.raises(InvalidInput):
        bake_png(plain_png(), "not a jws")


def test_cdata_terminator_inside_the_json_survives(credential: dict[str, Any]) -> None:
    tricky = copy.deepcopy(credential)
    tricky["name"] = "ends ]]> here <script>alert(1)</script>"
    found = unbake_svg(bake_svg(badge_svg("A"), tricky))
    assert found.credential()["name"] == tricky["name"]


def test_self_closing_and_prefixed_svgs(credential: dict[str, Any]) -> None:
    minimal = (
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
    )
    assert unbake_svg(bake_svg(minimal, credential)).credential() == credential
    declared = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NAMESPACE}">'
        "<rect width='1' height='1'/></svg>"
    )
    baked = bake_svg(declared, credential)
    assert baked.count("xmlns:openbadges") == 1
    assert unbake_svg(baked).credential() == credential


def test_an_svg_binding_the_prefix_elsewhere_is_refused(credential: dict[str, Any]) -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"/>'
    with pytest.raises(InvalidInput, match="another namespace"):
        bake_svg(svg, credential)


def test_a_compressed_chunk_is_still_read(credential: dict[str, Any]) -> None:
    image = Image.new("RGB", (4, 4))
    info = PngImagePlugin.PngInfo()
    info.add_itxt("openbadgecredential", json.dumps(credential), zip=True)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    assert unbake(out.getvalue()).credential() == credential


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello", "neither a PNG nor an SVG"),
        (b"\x89PNG\r\n\x1a\n", "truncated"),
        (plain_png(), "no 'openbadgecredential'"),
        (plain_png(openbadges="https://example.org/assertion"), "Open Badges 2.0"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "no <openbadges:credential>"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>", "not a well-formed SVG"),
        (b"<?xml version='1.0'?><html/>", "root element is not <svg>"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:openbadges='http://openbadges.org'>"
            b"<openbadges:assertion verify='x'/></svg>",
            "Open Badges 2.0",
        ),
    ],
)
def test_images_without_a_credential_are_explained(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        unbake(data)


def test_a_damaged_png_is_refused(credential: dict[str, Any]) -> None:
    baked = bytearray(bake_png(plain_png(), credential))
    baked[60] ^= 0xFF  # inside the iTXt text
    with pytest.raises(InvalidInput, match="damaged"):
        unbake(bytes(baked))


def test_xml_entity_expansion_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg" '
        b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        b"<openbadges:credential>&b;</openbadges:credential></svg>"
    )
    with pytest.raises(InvalidInput, match="not a well-formed SVG"):
        unbake(bomb)


def test_a_png_decompression_bomb_is_bounded() -> None:
    text = zlib.compress(b" " * (20 * 1024 * 1024), 9)
    data = b"openbadgecredential\x00\x01\x00\x00\x00" + text
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data
    chunk += struct.pack(">I", zlib.crc32(b"iTXt" + data))
    source = plain_png()
    png = source[:33] + chunk + source[33:]
    with pytest.raises(InvalidInput, match="too large"):
        unbake(png)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_unbaking(data: bytes) -> None:
    for prefix in (b"", b"\x89PNG\r\n\x1a\n", b"<svg "):
        with contextlib.suppress(InvalidInput):
            unbake(prefix + data)
