"""The wallet's "European format (EDC/ELM)" download (docs/eu-formats.md).

``/wallet/credentials/{id}/credential-edc.jsonld``: the learner's own credential as a signed
ELM v3 European Digital Credential (:class:`~microcred.services.elm.ElmService`, ADR 0006),
``application/ld+json``, named after the credential. Only the signed-in owner gets it; any
other id is ``404`` like every wallet page.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from microcred.services.elm import build_elm_service
from microcred.web.pages import HtmlRoute, web_context
from microcred.web.routes_wallet import (
    _credential_id,
    _download,
    _signed_out,
    _SignedOut,
    _stem,
    _wallet,
)

__all__ = ["router"]

router = APIRouter(route_class=HtmlRoute)


@router.get("/wallet/credentials/{credential_id}/credential-edc.jsonld")
def wallet_elm(request: Request, credential_id: str) -> Response:
    try:
        wallet = _wallet(request)
    except _SignedOut:
        return _signed_out(request)
    web = web_context(request)
    credential = web.sharing.credential(wallet, _credential_id(credential_id))
    document = build_elm_service(web.platform).export_document(
        credential.issuer_id,
        credential.document,
        learner_name=credential.learner_name or wallet.learner_name,
    )
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, "application/ld+json", f"{_stem(credential.title)}-edc.jsonld")
