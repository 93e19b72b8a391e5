"""The routes of the app, read from ``app.routes`` (so a route added later is covered), and
their path parameters filled with a tenant's real resource ids.

``route_table(app)`` lists every HTTP route with what its metadata says about it: whether it
depends on :func:`microcred.api.deps.require_principal` (an authenticated API route), whether
it is an HTML page (``HtmlRoute``), a console page (``ConsoleRoute``) or a wallet page.
``fill_path(route, tenant, api)`` puts the tenant's ids into the path; a parameter nobody
taught this module fails the test with its name, so a new route's author knows what to add.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Final

from fastapi.routing import iter_route_contexts

from microcred.api.deps import require_principal
from microcred.services.access import Role
from microcred.web.pages import HtmlRoute
from microcred.web.routes_console_base import ConsoleRoute

__all__ = [
    "GET_ALLOWED_STATUSES",
    "KNOWN_PARAMS",
    "Route",
    "extras",
    "fill_path",
    "path_values",
    "route_table",
]

#: answers a GET with real ids may give (never a 5xx)
GET_ALLOWED_STATUSES: Final = frozenset(
    {200, 202, 303, 307, 308, 400, 401, 403, 404, 409, 410, 422}
)
_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}")
_CSV = b"Name;E-mail;Student number\r\nAna Lopez;ana@example.org;S-1\r\n"


@dataclass(frozen=True)
class Route:
    path: str  # as FastAPI spells it, converters included
    methods: frozenset[str]
    needs_principal: bool
    page: bool
    console: bool
    endpoint: str

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def openapi_path(self) -> str:
        return re.sub(r"\{([a-zA-Z_][a-zA-Z0-9_]*):[a-z]+\}", r"{\1}", self.path)

    @property
    def wallet(self) -> bool:
        return self.path.startswith("/wallet")


def _calls(dependant: Any) -> set[Any]:
    found: set[Any] = set()
    for dep in getattr(dependant, "dependencies", []) or []:
        if dep.call is not None:
            found.add(dep.call)
        found |= _calls(dep)
    return found


def route_table(app: Any) -> list[Route]:
    table: list[Route] = []
    for context in iter_route_contexts(app.routes):
        methods = context.methods
        path = context.path
        if not methods or not path:
            continue  # mounts (/assets)
        original = context.original_route
        dependant = getattr(context, "dependant", None)
        endpoint = getattr(context, "endpoint", None)
        where = getattr(endpoint, "__module__", "?") + "." + getattr(endpoint, "__name__", "?")
        table.append(
            Route(
                path=path,
                methods=frozenset(methods) - {"HEAD"},
                needs_principal=require_principal in _calls(dependant),
                page=isinstance(original, HtmlRoute),
                console=isinstance(original, ConsoleRoute),
                endpoint=where,
            )
        )
    return table


# --------------------------------------------------------------------------- resources

_EXTRAS: dict[int, dict[str, str]] = {}


def extras(api: Any, tenant: Any) -> dict[str, str]:
    """Ids beyond those of ``api_testkit.Tenant``: a key, an import job (made once per tenant)."""
    cached = _EXTRAS.get(id(tenant))
    if cached is not None and cached.get("issuer") == str(tenant.id):
        return cached
    admin = tenant.principals[Role.ADMIN]
    keys = api.platform.issuers.list_keys(admin, tenant.id)
    made = api.client.post(
        f"/api/v1/issuers/{tenant.id}/imports",
        files={"file": ("cohort.csv", _CSV, "text/csv")},
        data={"options": json.dumps({"definitionId": str(tenant.definition_id)})},
        headers={"Authorization": f"Bearer {tenant.tokens[Role.ADMIN]}"},
    )
    assert made.status_code == 201, made.text
    found = {
        "issuer": str(tenant.id),
        "key_id": str(keys[0].id),
        "job_id": str(made.json()["id"]),
    }
    _EXTRAS[id(tenant)] = found
    return found


def fill_path(route: Route, tenant: Any, api: Any, *, action: str = "publish") -> str:
    """``route.path`` with ``tenant``'s real ids (the console's ``{action}`` gets ``action``)."""
    values = path_values(route, tenant, api, action=action)
    path = route.path
    for name, value in values.items():
        path = re.sub(r"\{" + name + r"(?::[a-z]+)?\}", value, path)
    return path


def path_values(route: Route, tenant: Any, api: Any, *, action: str = "publish") -> dict[str, str]:
    """The values of ``route``'s path parameters: ``tenant``'s real ids."""
    more = extras(api, tenant)
    values: dict[str, str] = {
        "issuer_id": str(tenant.id),
        "slug": tenant.issuer.slug,
        "definition_id": str(tenant.definition_id),
        "credential_id": str(tenant.credential_id),
        "learner_id": str(tenant.learner_id),
        "user_id": str(tenant.principals[Role.VIEWER].user_id),
        "token_id": str(tenant.token_ids[Role.VIEWER]),
        "key_id": more["key_id"],
        "job_id": more["job_id"],
        "version": "1",
        "action": action,
        "purpose": "revocation",
        "number": "1",
        "root": "00" * 32,
        # secrets nobody outside holds: an unknown value is the realistic probe
        "token": secrets.token_urlsafe(32),
        "share_id": secrets.token_urlsafe(16),
    }
    for name in route.params:
        scoped = "issuer_id" in route.params or "slug" in route.params
        if name not in values and name.endswith("_id") and scoped:
            # a resource kind this kit cannot make yet: inside an issuer the membership check
            # decides first, so a made-up id still probes the cross-issuer policy
            values[name] = str(uuid.uuid4())
        elif name not in values:
            raise AssertionError(
                f"{sorted(route.methods)} {route.path} ({route.endpoint}) has the path parameter "
                f"{{{name}}} that tests/security/access_matrix_testkit.py cannot fill yet: add "
                f"the tenant's real resource id for it to fill_path()"
            )
    return {name: values[name] for name in route.params}


#: the path parameters filled with real resource ids
KNOWN_PARAMS: Final = frozenset(
    {"issuer_id", "slug", "definition_id", "credential_id", "learner_id", "user_id", "token_id",
     "key_id", "job_id", "version", "action", "purpose", "number", "root", "token", "share_id"}
)  # fmt: skip
