"""The learner wallet and public credential pages over HTTP: claim negotiation, CSRF, sharing
on and off (404 when off), downloads that verify, LinkedIn, presentations, hostile names."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import pytest
from web_client import BASE_URL, Browser, csrf_from, parse_page
from web_testkit import HOSTILE_NAME, World

from microcred.certificates import unbake
from microcred.storage import CredentialState


@pytest.fixture
def browser(app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(app, portal)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def other_browser(app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(app, portal)
    try:
        yield made
    finally:
        made.close()


def open_wallet(browser: Browser, world: World, key: str = "ana") -> str:
    """Claim ``key``'s credential in ``browser``; the detail page's path."""
    token = world.token(key)
    page = browser.get(f"/claim/{token}")
    assert page.status_code == 200, page.text
    answer = browser.post(f"/wallet/claim/{token}", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 303, answer.text
    assert "mc_wallet" in browser.cookies
    return answer.headers["location"]


def share(browser: Browser, detail: str, on: bool) -> str:
    page = browser.get(detail)
    answer = browser.post(
        f"{detail}/share",
        data={"csrf_token": csrf_from(page.text), "shared": "on" if on else "off"},
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == detail
    return browser.get(detail).text


def share_url(html: str) -> str:
    match = re.search(
        r'id="share-url" class="share-url" type="text" readonly value="([^"]+)"', html
    )
    assert match is not None
    return match.group(1)


def state_of(world: World, key: str) -> CredentialState:
    with world.platform.uow(read_only=True) as tx:
        return tx.credentials.get(world.issuer.id, world.credentials[key].id).state


# --------------------------------------------------------------------------- claim


def test_a_browser_opening_the_claim_link_gets_the_page_and_claims_nothing(
    browser: Browser, world: World
) -> None:
    token = world.token("ana")
    page = browser.get(f"/claim/{token}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    assert "Digital Content Creation for Research Communication" in page.text
    assert "Open my wallet" in page.text
    assert state_of(world, "ana") is CredentialState.ISSUED  # a GET changes nothing
    assert page.headers["cache-control"] == "no-store"


def test_api_clients_still_get_json_from_the_claim_link(browser: Browser, world: World) -> None:
    answer = browser.get(f"/claim/{world.token('ana')}", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["state"] == "claimed"
    assert "Accept" in answer.headers["vary"]
    plain = browser.get(f"/claim/{world.token('eve')}", headers={"Accept": "*/*"})
    assert plain.headers["content-type"] == "application/json"


def test_opening_the_wallet_needs_the_csrf_token(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    token = world.token("ana")
    page = browser.get(f"/claim/{token}")
    good = csrf_from(page.text)
    # no token, a token of another browser, a forged one, from another site
    other_token = csrf_from(other_browser.get(f"/claim/{token}").text)
    for data, headers in (
        ({}, {}),
        ({"csrf_token": other_token}, {}),
        ({"csrf_token": "A" * 43}, {}),
        ({"csrf_token": good}, {"Origin": "https://evil.example"}),
        ({"csrf_token": good}, {"Origin": "null"}),
        ({"csrf_token": good}, {"Sec-Fetch-Site": "cross-site"}),
    ):
        refused = browser.post(f"/wallet/claim/{token}", data=data, headers=headers)
        assert refused.status_code == 403, data
        assert "This form had expired or was sent from another site." in refused.text
        assert "mc_wallet" not in browser.cookies
    assert state_of(world, "ana") is CredentialState.ISSUED
    opened = browser.post(f"/wallet/claim/{token}", data={"csrf_token": good})
    assert opened.status_code == 303
    cookie = opened.headers["set-cookie"]
    assert "mc_wallet=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert state_of(world, "ana") is CredentialState.CLAIMED


def test_a_token_from_before_signing_in_does_not_work_after(browser: Browser, world: World) -> None:
    anonymous = csrf_from(browser.get("/verify").text)
    detail = open_wallet(browser, world)
    refused = browser.post(f"{detail}/share", data={"csrf_token": anonymous, "shared": "on"})
    assert refused.status_code == 403
    assert "Sharing is off" in browser.get(detail).text


def test_unknown_claim_links(browser: Browser) -> None:
    for bad in ("x" * 43, "nope"):
        page = browser.get(f"/claim/{bad}")
        assert page.status_code == 404
        assert "This claim link is not valid." in page.text
        assert page.headers["content-type"].startswith("text/html")


# --------------------------------------------------------------------------- wallet


def test_wallet_without_a_session(browser: Browser, world: World) -> None:
    page = browser.get("/wallet")
    assert page.status_code == 200
    assert "link in the e-mail" in page.text
    detail = f"/wallet/credentials/{world.credentials['ana'].id}"
    for path in (detail, f"{detail}/credential.json", f"{detail}/certificate.pdf"):
        answer = browser.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/wallet"
    browser.cookies.set("mc_wallet", "A" * 43, domain="testserver.local")
    assert "link in the e-mail" in browser.get("/wallet").text


def test_the_wallet_lists_only_the_learners_credentials(browser: Browser, world: World) -> None:
    detail = open_wallet(browser, world)
    page = browser.get(detail)
    assert page.status_code == 200
    assert "Verified" in page.text
    assert "Welcome to your wallet" in page.text  # the flash message, shown once
    assert "Welcome to your wallet" not in browser.get(detail).text
    listing = browser.get("/wallet")
    assert listing.status_code == 200
    assert "Ana López" in listing.text
    assert listing.text.count('class="credential-item"') == 1
    assert listing.headers["cache-control"] == "no-store"
    eve = world.credentials["eve"].id
    for path in (f"/wallet/credentials/{eve}", f"/wallet/credentials/{eve}/credential.json"):
        assert browser.get(path).status_code == 404
    assert browser.get("/wallet/credentials/not-a-uuid").status_code == 404


def test_share_on_and_off(browser: Browser, other_browser: Browser, world: World) -> None:
    detail = open_wallet(browser, world)
    assert "Sharing is off" in browser.get(detail).text
    html = share(browser, detail, on=True)
    assert "Sharing is on: anyone with the link" in html
    url = share_url(html)
    path = urlsplit(url).path
    assert url == f"{BASE_URL}{path}" and re.fullmatch(r"/c/[A-Za-z0-9_-]{22}", path)

    public = other_browser.get(path)  # anyone, without a session
    assert public.status_code == 200
    assert 'data-verdict="verified"' in public.text
    assert "Ana López" in public.text
    meta = parse_page(public.text).meta
    assert meta["og:title"] == "Ana López — Digital Content Creation for Research Communication"
    assert meta["og:url"] == url and meta["og:image"] == f"{url}/badge.png"
    assert meta["og:description"].startswith("Awarded by University of Zed on ")
    assert meta["robots"] == "noindex"
    badge = other_browser.get(f"{path}/badge.png")
    assert badge.headers["content-type"] == "image/png"
    assert unbake(badge.content).credential()["id"] == world.credentials["ana"].credential_uri
    document = other_browser.get(f"{path}/credential.json")
    assert document.json()["id"] == world.credentials["ana"].credential_uri

    html = share(browser, detail, on=False)
    assert "Sharing is off: the public page now answers" in html
    for suffix in ("", "/credential.json", "/badge.png", "/image"):
        gone = other_browser.get(path + suffix)
        assert gone.status_code == 404, suffix
    assert "There is no shared credential at this address" in other_browser.get(path).text

    again = share(browser, detail, on=True)
    assert share_url(again) == url  # the same address: printed QR codes keep working
    assert other_browser.get(path).status_code == 200


def test_a_revoked_shared_credential_says_so(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    detail = open_wallet(browser, world)
    path = urlsplit(share_url(share(browser, detail, on=True))).path
    world.platform.status.revoke(
        world.admin, world.issuer.id, world.credentials["ana"].id, "awarded in error"
    )
    public = other_browser.get(path)
    assert 'data-verdict="not-verified"' in public.text
    assert "Revoked by the issuer" in public.text
    assert "awarded in error" not in public.text  # the reason is never published
    page = browser.get(detail)
    assert "The issuer has revoked this credential." in page.text
    assert "Share a public page" not in page.text


def test_downloads_verify(browser: Browser, world: World, tmp_path: Path) -> None:
    detail = open_wallet(browser, world)
    verifier = world.platform.engine.verifier
    document = browser.get(f"{detail}/credential.json")
    assert document.headers["content-disposition"].startswith("attachment; filename=")
    assert document.headers["content-type"].startswith("application/vc+ld+json")
    assert verifier.verify_credential(document.json()).verified
    for suffix, kind in (("badge.png", "image/png"), ("badge.svg", "image/svg+xml")):
        image = browser.get(f"{detail}/{suffix}")
        assert image.headers["content-type"].startswith(kind)
        assert verifier.verify_credential(unbake(image.content).credential()).verified
    svg = browser.get(f"{detail}/badge.svg")
    assert "sandbox" in svg.headers["content-security-policy"]

    pdf = browser.get(f"{detail}/certificate.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    # the certificate's QR code names the credential's stable public address (not yet shared)
    html = browser.get(detail).text
    assert "its QR code opens your public page only while sharing is on" in html
    url = share_url(share(browser, detail, on=True))
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm / zbarimg are not installed (see .ci/run)")
    (tmp_path / "c.pdf").write_bytes(pdf.content)
    subprocess.run(
        ["pdftoppm", "-r", "110", "-png", "-singlefile", tmp_path / "c.pdf", tmp_path / "c"],
        check=True,
    )
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", tmp_path / "c.png"], capture_output=True, text=True
    )
    assert decoded.stdout.split() == [url]


def test_linkedin_link(browser: Browser, world: World) -> None:
    detail = open_wallet(browser, world)
    assert "Turn on the public page first" in browser.get(detail).text
    html = share(browser, detail, on=True)
    links = [a for a in parse_page(html).links if a.get("id") == "linkedin-link"]
    assert len(links) == 1
    href = links[0]["href"] or ""
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    issued = world.credentials["ana"].issued_at
    assert dict(parse_qsl(parts.query)) == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Digital Content Creation for Research Communication",
        "organizationName": "University of Zed",
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "certUrl": share_url(html),
        "certId": world.credentials["ana"].credential_uri,
    }
    assert links[0]["rel"] == "noopener noreferrer"


def test_presentation_download(browser: Browser, world: World) -> None:
    open_wallet(browser, world)
    second = world.issue("ana2", "Ana López", "ana@student.example", "s-1")
    listing = browser.get("/wallet")
    assert listing.text.count('class="credential-item"') == 2
    token = csrf_from(listing.text)
    chosen = [str(world.credentials["ana"].id), str(second.id)]
    answer = browser.post("/wallet/presentation", data={"csrf_token": token, "credential": chosen})
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="presentation.json"'
    presentation = answer.json()
    report = world.platform.engine.verifier.verify_presentation(presentation)
    assert report.verified and len(report.credentials) == 2
    none = browser.post("/wallet/presentation", data={"csrf_token": token})
    assert none.status_code == 303
    assert "Choose at least one credential" in browser.get("/wallet").text
    foreign = browser.post(
        "/wallet/presentation",
        data={"csrf_token": token, "credential": [str(world.credentials["eve"].id)]},
    )
    assert foreign.status_code == 404


def test_sign_out(browser: Browser, world: World) -> None:
    detail = open_wallet(browser, world)
    token = csrf_from(browser.get("/wallet").text)
    answer = browser.post("/wallet/sign-out", data={"csrf_token": token})
    assert answer.status_code == 303
    assert "mc_wallet" not in browser.cookies
    assert browser.get(detail).status_code == 303
    assert "You have left your wallet" in browser.get("/wallet").text


# --------------------------------------------------------------------------- hostile names


def test_hostile_names_are_shown_as_text(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    detail = open_wallet(browser, world, "eve")
    pages = [browser.get(detail).text, browser.get("/wallet").text]
    url = share_url(share(browser, detail, on=True))
    public = other_browser.get(urlsplit(url).path).text
    pages.append(public)
    for html in pages:
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "שלום" in html
        parsed = parse_page(html)
        assert not parsed.inline_script and not parsed.styled
        assert all(s.get("src", "").startswith("/assets/") for s in parsed.scripts)
    meta = parse_page(public).meta
    assert meta["og:title"].startswith(HOSTILE_NAME)


def test_a_hostile_credential_title_from_the_definition(tmp_path: Path, portal: Any) -> None:
    from web_testkit import HOSTILE_TITLE, make_world

    from microcred.api import create_app

    world = make_world(tmp_path / "h", base_url=BASE_URL, title=HOSTILE_TITLE)
    made = Browser(create_app(world.platform), portal)
    try:
        detail = open_wallet(made, world)
        html = made.get(detail).text
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt; Data &amp; &#34;Ethics&#34;" in html
        pdf = made.get(f"{detail}/certificate.pdf")
        assert pdf.status_code == 200
        svg = ElementTree.fromstring(made.get(f"{detail}/badge.svg").content)
        # the title is text in the image; the credential rides along as CDATA
        assert [e.tag for e in svg.iter() if e.tag.endswith("img")] == []
        assert HOSTILE_TITLE in "".join(svg.itertext())
        assert (
            json.loads(unbake(made.get(f"{detail}/badge.png").content).text)["credentialSubject"][
                "achievement"
            ]["name"]
            == HOSTILE_TITLE
        )
    finally:
        made.close()
        world.platform.close()


def test_a_definitions_own_png_image_is_baked(tmp_path: Path, portal: Any) -> None:
    import base64

    from PIL import Image
    from web_testkit import make_world

    from microcred.api import create_app

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (31, 58, 95)).save(out, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    world = make_world(tmp_path / "img", base_url=BASE_URL, image_uri=uri, logo_uri=uri)
    made = Browser(create_app(world.platform), portal)
    try:
        detail = open_wallet(made, world)
        shown = made.get(f"{detail}/image")
        assert shown.headers["content-type"] == "image/png"
        assert shown.content == out.getvalue()
        baked = made.get(f"{detail}/badge.png").content
        with Image.open(io.BytesIO(baked)) as opened:
            assert opened.size == (64, 48)
        found = unbake(baked).credential()
        assert world.platform.engine.verifier.verify_credential(found).verified
        html = made.get(detail).text
        assert f'src="{detail}/image" alt="Our own badge"' in html
        # the issuer's data: logo on the page and in the certificate
        assert f'<img class="issuer-logo" src="{uri}" alt="University of Zed logo">' in html
        pdf = made.get(f"{detail}/certificate.pdf").content
        assert b"/Subtype /Image" in pdf
    finally:
        made.close()
        world.platform.close()


def test_an_unexpected_error_is_a_plain_500_page(
    browser: Browser, world: World, app: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(token: str) -> None:
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(app.state.web.sharing, "preview_claim", broken)
    token = world.token("ana")
    page = browser.get(f"/claim/{token}")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    assert "secret detail" not in page.text and "Traceback" not in page.text
    assert page.headers["content-security-policy"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "unhandled error on page GET /wallet/claim/…" in logged
    assert token not in logged
