"""The issuer console's mail outbox: ``/console/{slug}/outbox`` (issuer admins).

Claim e-mails are written to the database outbox first (docs/running.md). Without an SMTP
server — the demo started by ``make run`` — they stay there, and this page is where the
people trying the platform read them: recipient, subject, the text, and the claim link as a
link to follow. Issuer admins (``issuer:manage``) see their issuer's mail; other roles get
the service's ``403``. Read-only: nothing here changes or sends mail.
"""

from __future__ import annotations

import re
from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from microcred.web.pages import web_context
from microcred.web.routes_console_base import ConsoleRoute, console_page, page

__all__ = ["router", "links_in"]

router = APIRouter(route_class=ConsoleRoute)

#: messages on the page (newest first)
MAX_MESSAGES: Final = 50
_URL: Final = re.compile(r"https?://[^\s<>\"']+")


def links_in(text: str, base_url: str) -> list[str]:
    """The platform's own addresses in a message's text (claim links), in order, once each."""
    prefix = base_url.rstrip("/") + "/"
    found: list[str] = []
    for match in _URL.findall(text):
        url = match.rstrip(".,;:)")
        if url.startswith(prefix) and url not in found:
            found.append(url)
    return found


@router.get("/console/{slug}/outbox")
def outbox(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    context = web_context(request)
    messages = context.platform.issuance.outbox(
        console.principal, issuer_id=console.issuer_id, limit=MAX_MESSAGES
    )
    items = [(m, links_in(m.body_text, context.base_url)) for m in messages]
    return page(request, "console/outbox.html", console, {"items": items})
