"""The issuer-scoped admin routes built on ``api/routing.py`` (``AtIssuerDep``): who the caller
is is settled before the path is, the issuer comes from the path, and the API document lists
every path's parameters in the order the path names them."""

from __future__ import annotations

import re
import uuid

from api_testkit import Api, problem

from microcred.services.access import Role


def test_path_parameters_are_listed_in_path_order(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        named = re.findall(r"{(\w+)", path)
        for method, operation in operations.items():
            listed = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            assert listed == named, (method, path)
            checked += len(named) > 1
    assert checked >= 9  # the pathway, recognition and endorsement routes among them


def test_the_caller_is_settled_before_the_issuer_id(api: Api) -> None:
    # no credentials and a malformed issuer id: 401, not 422 (nothing is said about the path)
    problem(api.client.get("/api/v1/issuers/not-a-uuid/pathways"), 401)
    answer = problem(
        api.client.get("/api/v1/issuers/not-a-uuid/pathways", headers=api.a.auth()), 422
    )
    assert [(e["location"], e["path"]) for e in answer["errors"]] == [("path", "issuer_id")]


def test_the_issuer_comes_from_the_path(api: Api) -> None:
    a, b = api.a, api.b
    created = api.client.post(
        f"/api/v1/issuers/{a.id}/endorsements/{uuid.uuid4()}/withdraw", headers=a.auth()
    )
    problem(created, 404)  # an unknown endorsement at A
    # B's token cannot reach A's partners, pathways or recognition inbox
    for path in ("partners", "pathways", "recognition/credentials"):
        answer = api.client.get(f"/api/v1/issuers/{a.id}/{path}", headers=b.auth())
        assert answer.status_code in (403, 404), (path, answer.text)
    # A's own lists answer
    for path in ("partners", "pathways", "recognition/credentials", "pathway-awards"):
        answer = api.client.get(f"/api/v1/issuers/{a.id}/{path}", headers=a.auth(Role.ADMIN))
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json() == []
