"""A browser-like test client for the pages: cookies kept, forms posted with their CSRF token."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal

BASE_URL = "http://testserver.local"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class Browser:
    """httpx over an anyio portal, talking to the ASGI app in-process."""

    def __init__(self, app: Any, portal: BlockingPortal) -> None:
        self._portal = portal
        transport = httpx.ASGITransport(app=app, client=("192.0.2.50", 40000))
        self.http = httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=HTML)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self.http.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Origin": BASE_URL, **kwargs.pop("headers", {})}
        return self.request("POST", url, headers=headers, **kwargs)

    def close(self) -> None:
        self._portal.call(self.http.aclose)

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script = False
        self.styled: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "style" in found:
            self.styled.append(tag)
        if tag == "meta":
            key = found.get("property") or found.get("name")
            if key and found.get("content") is not None:
                self.meta[key] = found["content"] or ""
        if tag == "a":
            self.links.append(found)
        if tag == "script":
            self.scripts.append(found)
            self._in_script = True
        if tag == "style":
            self.inline_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True


def parse_page(html: str) -> _Meta:
    parser = _Meta()
    parser.feed(html)
    return parser
