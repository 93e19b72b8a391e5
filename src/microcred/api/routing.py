"""What the issuer-scoped admin route modules share (``admin_endorsements``, ``admin_pathways``,
``admin_recognition``): the router, the caller at an issuer, the problems a route documents and
the paging parameters.

A route takes :data:`AtIssuerDep` (the ``{issuer_id}`` of its path, the authenticated caller
and the platform) and its own parameters, calls one service method and renders; whatever the
service raises becomes problem details (:mod:`microcred.api.errors`), and the JSON body is the
value the strict reader already read (:class:`~microcred.api.strict_json.StrictJsonRoute`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import problem_responses
from microcred.api.strict_json import StrictJsonRoute
from microcred.services.access import Principal
from microcred.services.platform import Platform

__all__ = [
    "ACT",
    "CHANGE",
    "READ",
    "AtIssuer",
    "AtIssuerDep",
    "JSONObject",
    "Limit",
    "Offset",
    "admin_router",
]

JSONObject = dict[str, Any]

CHANGE = problem_responses(400, 401, 403, 404, 409, 413, 422)
"""The problems of a route that changes something from a request body."""
ACT = problem_responses(401, 403, 404, 409, 422)
"""The problems of a route that changes something without a body."""
READ = problem_responses(401, 403, 404, 422)
"""The problems of a route that reads."""

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def admin_router(prefix: str, tag: str) -> APIRouter:
    """A router of admin routes under ``prefix``, listed under ``tag`` in the API document."""
    return APIRouter(prefix=prefix, tags=[tag], route_class=StrictJsonRoute)


@dataclass(frozen=True, slots=True)
class AtIssuer:
    """The caller acting at the issuer of the path."""

    issuer_id: uuid.UUID
    principal: Principal
    platform: Platform


# ``async``: no I/O, so no worker-thread hand-off for it (see api/deps.py)
async def _at_issuer(
    issuer_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> AtIssuer:
    return AtIssuer(issuer_id, principal, platform)


AtIssuerDep = Annotated[AtIssuer, Depends(_at_issuer)]
