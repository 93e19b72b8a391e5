"""The public verifier over HTTP and the pages' security: headers, CSRF, upload cap, every
input kind (JSON file, baked PNG/SVG, pasted JSON, own URL, presentation), tampered and
unreadable input explained, credentials of other issuers, SSRF-safe fetching."""

from __future__ import annotations

import copy
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_client import BASE_URL, Browser, csrf_from, parse_page
from web_testkit import World, make_world

from microcred.api import create_app
from microcred.certificates import badge_png, badge_svg, bake_png, bake_svg
from microcred.errors import InvalidInput
from microcred.web.inputs import CredentialFetcher, document_from_url
from microcred.web.security import CONTENT_SECURITY_POLICY

REQUIRED_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the module: these tests read it (a revocation test issues its own)."""
    made = make_world(tmp_path_factory.mktemp("verify") / "home", base_url=BASE_URL)
    try:
        yield made
    finally:
        made.platform.close()


@pytest.fixture(scope="module")
def app(world: World) -> Any:
    return create_app(world.platform)


@pytest.fixture
def browser(app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(app, portal)
    try:
        yield made
    finally:
        made.close()


def document(world: World, key: str = "ana") -> dict[str, Any]:
    return copy.deepcopy(dict(world.credentials[key].document))


def check(browser: Browser, *, files: Any = None, **fields: str) -> Any:
    token = csrf_from(browser.get("/verify").text)
    return browser.post(
        "/verify", data={"csrf_token": token, **fields}, files=files or {"file": ("", b"")}
    )


def verdict(html: str) -> str:
    marker = 'data-verdict="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize("path", ["/", "/verify", "/wallet", "/c/AAAAAAAAAAAAAAAAAAAAAA", "/nope"])
def test_html_pages_carry_the_security_headers(browser: Browser, path: str) -> None:
    page = browser.get(path)
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    for directive in REQUIRED_CSP:
        assert directive in csp.split("; ")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-frame-options"] == "DENY"
    parsed = parse_page(page.text)
    assert not parsed.inline_script and not parsed.styled
    assert '<a class="skip-link" href="#main">' in page.text
    assert '<main id="main"' in page.text


def test_unknown_paths_answer_html_to_browsers_and_problems_to_programs(browser: Browser) -> None:
    page = browser.get("/no/such/page")
    assert page.status_code == 404 and "Page not found" in page.text
    problem = browser.get("/no/such/page", headers={"Accept": "application/json"})
    assert problem.status_code == 404
    assert problem.headers["content-type"].startswith("application/problem+json")
    # JSON answers keep the API's own headers (docs/api.md), not the pages' policy
    data = browser.get("/healthz", headers={"Accept": "application/json"}).headers
    assert "script-src" not in data.get("content-security-policy", "")


def test_assets_are_served_by_the_product(browser: Browser) -> None:
    css = browser.get("/assets/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    script = browser.get("/assets/verify.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "http" not in css.text.replace("https://", "")  # no external fonts or images
    assert browser.get("/assets/../pages.py").status_code == 404


def test_pages_stay_out_of_the_openapi_document(browser: Browser) -> None:
    paths = browser.get("/openapi.json", headers={"Accept": "application/json"}).json()["paths"]
    for path in paths:
        assert not path.startswith(("/verify", "/wallet", "/c/", "/assets"))
    assert "/" not in paths


def test_the_verifier_form_needs_its_csrf_token(browser: Browser, world: World) -> None:
    body = json.dumps(document(world)).encode()
    refused = browser.post(
        "/verify", data={"source": "file"}, files={"file": ("c.json", body, "application/json")}
    )
    assert refused.status_code == 403
    assert "expired or was sent from another site" in refused.text


# --------------------------------------------------------------------------- inputs


def test_a_json_file_verifies(browser: Browser, world: World) -> None:
    body = json.dumps(document(world)).encode()
    page = check(browser, source="file", files={"file": ("c.json", body, "application/json")})
    assert page.status_code == 200
    assert verdict(page.text) == "verified"
    assert "Digital Content Creation for Research Communication" in page.text
    assert "Checked: JSON file" in page.text
    assert page.headers["cache-control"] == "no-store"
    for family in ("Format", "Signature", "Issuer", "Revocation", "EU standard"):
        assert f'<h3 class="check-family">{family}</h3>' in page.text


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_baked_badges_verify(browser: Browser, world: World, kind: str) -> None:
    credential = document(world)
    if kind == "png":
        data, mime = bake_png(badge_png("A"), credential), "image/png"
    else:
        data, mime = bake_svg(badge_svg("A"), credential).encode(), "image/svg+xml"
    page = check(browser, source="file", files={"file": (f"badge.{kind}", data, mime)})
    assert verdict(page.text) == "verified"
    assert f"baked {kind.upper()} badge image" in page.text


def test_pasted_json_verifies_and_enter_in_another_field_still_works(
    browser: Browser, world: World
) -> None:
    text = json.dumps(document(world), indent=2)
    assert verdict(check(browser, source="paste", credential_json=text).text) == "verified"
    # the first submit button is "file": the filled field decides
    assert verdict(check(browser, source="file", credential_json=text).text) == "verified"


def test_a_tampered_credential_is_explained(browser: Browser, world: World) -> None:
    changed = document(world)
    changed["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    page = check(browser, source="paste", credential_json=json.dumps(changed))
    assert page.status_code == 200
    assert verdict(page.text) == "not-verified"
    assert "Do not rely on this credential." in page.text
    assert 'data-code="proof.signature_invalid"' in page.text
    assert "What to do:</strong> Do not rely on this credential: it was changed" in page.text


def test_a_revoked_credential_fails_its_status(browser: Browser, world: World) -> None:
    revoked = world.issue("revoked", "Rev Oked", "rev@student.example", "s-9")
    world.platform.status.revoke(world.admin, world.issuer.id, revoked.id, "plagiarism")
    page = check(browser, source="paste", credential_json=json.dumps(document(world, "revoked")))
    assert verdict(page.text) == "not-verified"
    assert 'data-code="status.revocation" data-outcome="failed"' in page.text
    assert "A revoked credential is no longer backed by its issuer." in page.text


def test_a_presentation_verifies_credential_by_credential(browser: Browser, world: World) -> None:
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [document(world, "ana"), document(world, "eve")],
    }
    page = check(browser, source="paste", credential_json=json.dumps(presentation))
    assert verdict(page.text) == "verified-with-notes"  # unsigned: a note, not a failure
    assert "a presentation of 2 credentials" in page.text
    assert page.text.count('class="card inner-credential"') == 2


def test_a_credential_of_another_issuer_verifies(browser: Browser, tmp_path: Path) -> None:
    """A did:key credential this platform never saw: everything checked from the file."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "certificates"))
    from certificates_testkit import engine, signed_credential

    foreign = signed_credential(engine())
    page = check(browser, source="paste", credential_json=json.dumps(foreign))
    # the test credential's validFrom lies in the past and it has no status: verified
    assert verdict(page.text) == "verified", page.text
    assert "did:key:" in page.text


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        ({"source": "paste", "credential_json": "{not json"}, None, "is not valid JSON"),
        ({"source": "paste", "credential_json": "   "}, None, "The pasted text is empty."),
        ({"source": "file"}, {"file": ("x.png", b"\x89PNG\r\n\x1a\n", "image/png")}, "truncated"),
        ({"source": "file"}, {"file": ("x.bin", b"\xff\xfe\x00", "application/x")}, "neither JSON"),
        ({"source": "file"}, {"file": ("empty.json", b"", "application/json")}, "file is empty"),
        ({"source": "file"}, None, "Choose a file to check."),
        ({"source": "url", "url": "ftp://x.example/c.json"}, None, "starting with https://"),
        ({"source": "url", "url": "https://elsewhere.example/c.json"}, None, "network access"),
        (
            {"source": "url", "url": f"{BASE_URL}/wallet"},
            None,
            "is not a shared credential",
        ),
        (
            {"source": "url", "url": f"{BASE_URL}/c/AAAAAAAAAAAAAAAAAAAAAA"},
            None,
            "no shared credential at this address",
        ),
    ],
)
def test_unusable_input_is_explained(
    browser: Browser, fields: dict[str, str], files: Any, message: str
) -> None:
    page = check(browser, files=files, **fields)
    assert page.status_code == 400, page.text
    assert 'id="verify-error"' in page.text
    assert message in page.text


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_picture_without_a_credential_is_told_in_a_plain_sentence(
    browser: Browser, kind: str
) -> None:
    """Not "this PNG image carries no credential (no 'openbadgecredential' chunk)"."""
    if kind == "png":
        data, mime = badge_png("A"), "image/png"
    else:
        data, mime = badge_svg("A").encode(), "image/svg+xml"
    page = check(browser, source="file", files={"file": (f"picture.{kind}", data, mime)})
    assert page.status_code == 400, page.text
    notice = page.text.split('id="verify-error">', 1)[1].split("</div>", 1)[0]
    error = notice.split("</strong>", 1)[1].strip()  # after "This could not be checked."
    assert error.startswith(f"This {kind.upper()} image has no credential in it. "), error
    for technical in ("openbadgecredential", "chunk", "openbadges:", "&lt;"):
        assert technical not in error, error


def test_not_a_credential_cannot_be_checked(browser: Browser) -> None:
    page = check(browser, source="paste", credential_json='{"hello": "world"}')
    assert page.status_code == 200
    assert verdict(page.text) == "unreadable"
    assert "Cannot be checked" in page.text


def test_uploads_are_capped_at_one_mebibyte(browser: Browser, world: World) -> None:
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    page = check(browser, source="file", files={"file": ("big.json", big, "application/json")})
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "File too large" in page.text
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # a body sent without Content-Length is counted as it arrives
    token = csrf_from(browser.get("/verify").text)

    async def chunks() -> Any:
        yield f"csrf_token={token}&source=paste&credential_json=".encode()
        for _ in range(80):
            yield b"a" * 16384

    streamed = browser.post(
        "/verify",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    assert "File too large" in streamed.text


def test_own_public_pages_are_read_in_process(
    browser: Browser, world: World, app: Any, portal: Any
) -> None:
    from test_web_wallet import open_wallet, share, share_url

    learner = Browser(app, portal)
    try:
        detail = open_wallet(learner, world)
        url = share_url(share(learner, detail, on=True))
    finally:
        learner.close()
    for address in (url, f"{url}/credential.json"):
        page = check(browser, source="url", url=address)
        assert verdict(page.text) == "verified", address
        assert "a public credential page of this platform" in page.text


def test_hostile_json_is_shown_as_text(browser: Browser, world: World) -> None:
    hostile = document(world)
    hostile["issuer"]["name"] = "<script>alert(1)</script>"
    hostile["credentialSubject"]["achievement"]["name"] = '"><img src=x onerror=alert(2)>'
    hostile["credentialSubject"]["achievement"]["criteria"]["id"] = "javascript:alert(3)"
    page = check(browser, source="paste", credential_json=json.dumps(hostile))
    assert "<script>alert(1)" not in page.text
    assert "<img src=x" not in page.text
    assert 'href="javascript:' not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


# --------------------------------------------------------------------------- fetching


class _Files(http.server.BaseHTTPRequestHandler):
    bodies: dict[str, tuple[str, bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        found = self.bodies.get(self.path)
        if found is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", found[0])
        self.send_header("Content-Length", str(len(found[1])))
        self.end_headers()
        self.wfile.write(found[1])

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def file_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _never(_: str) -> dict[str, Any]:
    raise AssertionError("not an own page")


def test_fetching_other_sites(world: World, file_server: str) -> None:
    credential = document(world)
    _Files.bodies = {
        "/c.json": ("application/json", json.dumps(credential).encode()),
        "/badge.png": ("image/png", bake_png(badge_png("A"), credential)),
        "/page.html": ("text/html", b"<html></html>"),
        "/big": ("application/json", b" " * (1024 * 1024 + 1)),
    }
    local = CredentialFetcher(allow_private=True, allow_http=True)
    for path in ("/c.json", "/badge.png"):
        parsed = document_from_url(
            file_server + path, base_url=BASE_URL, own_document=_never, fetcher=local
        )
        assert parsed.document["id"] == credential["id"]
    with pytest.raises(InvalidInput, match="not valid JSON"):
        document_from_url(
            file_server + "/page.html", base_url=BASE_URL, own_document=_never, fetcher=local
        )
    with pytest.raises(InvalidInput, match="larger than"):
        document_from_url(
            file_server + "/big", base_url=BASE_URL, own_document=_never, fetcher=local
        )
    with pytest.raises(InvalidInput, match="HTTP 404"):
        document_from_url(
            file_server + "/missing", base_url=BASE_URL, own_document=_never, fetcher=local
        )


@pytest.mark.parametrize(
    "address",
    [
        "https://127.0.0.1:9/c.json",
        "https://localhost/c.json",
        "https://[::1]/c.json",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/c.json",
    ],
)
def test_the_default_fetcher_refuses_private_addresses(address: str) -> None:
    with pytest.raises(InvalidInput, match="non-public address|refusing"):
        document_from_url(
            address, base_url=BASE_URL, own_document=_never, fetcher=CredentialFetcher()
        )


def test_the_default_fetcher_refuses_plain_http() -> None:
    with pytest.raises(InvalidInput, match="Only https://"):
        document_from_url(
            "http://example.org/c.json",
            base_url=BASE_URL,
            own_document=_never,
            fetcher=CredentialFetcher(),
        )
