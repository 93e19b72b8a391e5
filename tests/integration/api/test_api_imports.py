"""Bulk imports through the API: preview, dry run, job, background run, errors, CSV report."""

from __future__ import annotations

import json

from api_testkit import Api, problem

from microcred.services.access import Role

CSV = (
    "\ufeffName;E-mail;Student number\r\n"
    "Ana Alves;ana@example.org;S-1\r\n"
    "Ben Bauer;not-an-email;S-2\r\n"
    "Cai Chen;cai@example.org;S-3\r\n"
    '=HYPERLINK("http://evil.example");;S-4\r\n'
).encode("utf-8")


def test_preview_dry_run_job_run_and_error_report(api: Api) -> None:
    base = f"/api/v1/issuers/{api.a.id}/imports"
    registrar = api.a.auth(Role.REGISTRAR)
    upload = {"file": ("cohort.csv", CSV, "text/csv")}
    options = {"options": json.dumps({"definitionId": str(api.a.definition_id)})}

    preview = api.client.post(f"{base}/preview", files=upload, headers=registrar)
    assert preview.status_code == 200, preview.text
    assert preview.json()["headers"] == ["Name", "E-mail", "Student number"]
    assert preview.json()["suggestedMapping"]["email"] == "E-mail"

    dry = api.client.post(f"{base}/dry-run", files=upload, data=options, headers=registrar)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["rowsTotal"], report["rowsOk"], report["rowsFailed"]) == (4, 2, 2)
    assert {e["row"] for e in report["errors"]} == {3, 5}

    created = api.client.post(base, files=upload, data=options, headers=registrar)
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["state"] == "created" and job["totalRows"] == 4 and job["failedRows"] == 2
    problem(api.client.post(base, files=upload, data=options, headers=registrar), 409)

    started = api.client.post(f"{base}/{job['id']}/run", headers=registrar)
    assert started.status_code == 202
    status = api.client.get(f"{base}/{job['id']}", headers=registrar).json()
    assert (
        status["state"] == "completed" and status["issuedRows"] == 2 and status["progress"] == 1.0
    )
    assert api.client.get(f"{base}", headers=registrar).json()[0]["id"] == job["id"]
    problem(api.client.post(f"{base}/{job['id']}/run", headers=registrar), 409)

    errors = api.client.get(f"{base}/{job['id']}/errors", headers=registrar).json()
    assert [e["row"] for e in errors] == [3, 5]
    csv = api.client.get(f"{base}/{job['id']}/errors.csv", headers=registrar)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "'=HYPERLINK" in csv.text and "\n=HYPERLINK" not in csv.text

    issued = api.client.get(
        f"/api/v1/issuers/{api.a.id}/credentials?search=example.org", headers=registrar
    ).json()
    assert {i["learnerEmail"] for i in issued["items"]} >= {"ana@example.org", "cai@example.org"}


def test_import_refusals(api: Api) -> None:
    base = f"/api/v1/issuers/{api.a.id}/imports"
    upload = {"file": ("cohort.csv", CSV, "text/csv")}
    options = {"options": json.dumps({"definitionId": str(api.a.definition_id)})}
    problem(
        api.client.post(
            f"{base}/dry-run", files=upload, data=options, headers=api.a.auth(Role.VIEWER)
        ),
        403,
    )
    problem(
        api.client.post(
            f"/api/v1/issuers/{api.b.id}/imports/dry-run",
            files=upload,
            data=options,
            headers=api.a.auth(),
        ),
        404,
    )
    problem(
        api.client.post(
            f"{base}/dry-run", files=upload, data={"options": "{"}, headers=api.a.auth()
        ),
        400,
    )
    problem(api.client.post(f"{base}/dry-run", data=options, headers=api.a.auth()), 422)
    problem(
        api.client.post(
            f"{base}/preview",
            files={"file": ("x.pdf", b"%PDF-1.7\x00", "application/pdf")},
            headers=api.a.auth(),
        ),
        400,
    )
    # Uploads may be larger than other bodies, up to the import limit.
    big = b"Name;E-mail\r\n" + b"Someone Long;someone@example.org\r\n" * 40000
    assert len(big) > 1024 * 1024
    allowed = api.client.post(
        f"{base}/preview", files={"file": ("big.csv", big, "text/csv")}, headers=api.a.auth()
    )
    assert allowed.status_code == 200, allowed.text
