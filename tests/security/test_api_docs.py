"""The API reference at ``/docs`` is served by the product alone (no CDN, issue 5).

FastAPI's Swagger UI / ReDoc pages load their scripts from a CDN, which the pages' CSP blocks;
they are replaced by a server-rendered page (``web/api_reference.py``). The page is parsed:
every ``src``/``href`` is a path of this site (or an in-page anchor), there is no inline
script or style, the CSP allows only ``'self'``, and every operation of ``/openapi.json`` is
listed. ``/redoc`` redirects to it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from api_testkit import Api

METHODS = ("get", "post", "put", "patch", "delete")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.inline: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            if found.get(name):
                self.urls.append((tag, name, str(found[name])))
        if tag == "script" and not found.get("src"):
            self.inline.append("<script> without src")
        if tag == "style" or "style" in found:
            self.inline.append(f"<{tag} style>")
        if any(name.startswith("on") for name in found):
            self.inline.append(f"<{tag} on…>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_docs_page_loads_nothing_from_other_hosts_and_lists_every_operation(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    for name in ("script-src", "style-src"):
        assert directives[name] == "'self'", policy
    links = _Links()
    links.feed(page.text)
    assert not links.inline, links.inline
    assert links.urls
    for tag, name, url in links.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"<{tag} {name}={url!r}> leaves the site"
        assert url.startswith(("/", "#")), url
    # every stylesheet and script the page uses is served by this app
    for tag, name, url in links.urls:
        if (tag, name) in (("link", "href"), ("script", "src"), ("img", "src")):
            asset = api.client.get(url)
            assert asset.status_code == 200, url
    text = " ".join(links.text)
    schema = api.client.get("/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, entries in schema["paths"].items()
        for method in METHODS
        if method in entries and f"{method.upper()} {path}" not in text
    ]
    assert not missing, missing
    assert ("a", "href", "/openapi.json") in links.urls


def test_redoc_redirects_to_docs_and_the_cdn_pages_are_gone(api: Api) -> None:
    moved = api.client.get("/redoc")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/docs"
    assert api.client.get("/docs/oauth2-redirect").status_code == 404
    for path in ("/docs", "/openapi.json"):
        body = api.client.get(path).text
        assert "cdn.jsdelivr" not in body and "unpkg" not in body, path
