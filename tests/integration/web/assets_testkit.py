"""Finds what a page would load from another host: every issue-5 page must load only the
product's own assets (no CDN, no web fonts, no tracking pixels). Used by the web acceptance
tests of the public pages, the wallet and the console."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

__all__ = ["ASSET_ATTRIBUTES", "CSS_URL", "foreign_assets", "foreign_css_references"]

#: (tag, attribute) pairs that make a browser load something
ASSET_ATTRIBUTES = {
    ("script", "src"), ("img", "src"), ("img", "srcset"), ("link", "href"),
    ("iframe", "src"), ("source", "src"), ("source", "srcset"), ("video", "src"),
    ("video", "poster"), ("audio", "src"), ("embed", "src"), ("object", "data"),
    ("input", "src"), ("image", "href"), ("use", "href"),
}  # fmt: skip
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)", re.IGNORECASE)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if value and (tag, name) in ASSET_ATTRIBUTES:
                if tag == "link" and (values.get("rel") or "") in {"canonical"}:
                    continue
                self.found.extend(part.split()[0] for part in value.split(",") if part.strip())
            if name == "style" and value:
                self.found.extend(m[0] or m[1] for m in CSS_URL.findall(value))
        if tag == "meta" and (values.get("property") or "").startswith("og:image"):
            content = values.get("content") or ""
            if content.startswith(("http:", "https:", "/")):
                self.found.append(content)
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found.extend(m[0] or m[1] for m in CSS_URL.findall(data))


def foreign_assets(html: str, page_url: str) -> list[str]:
    """What ``html`` would load from a host other than the page's own."""
    parser = _Assets()
    parser.feed(html)
    own = urlsplit(page_url).netloc
    foreign = []
    for reference in parser.found:
        if reference.startswith("data:"):
            continue
        target = urlsplit(urljoin(page_url, reference))
        if target.scheme not in {"http", "https"} or target.netloc != own:
            foreign.append(reference)
    return foreign


def foreign_css_references(css: str) -> list[str]:
    """``url()`` and ``@import`` targets of a stylesheet that name a host (ours are paths)."""
    found = [m[0] or m[1] for m in CSS_URL.findall(css)]
    return [ref for ref in found if not ref.startswith("data:") and urlsplit(ref).netloc]
