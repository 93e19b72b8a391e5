"""ImportService on SQLite and PostgreSQL: dry runs, jobs, resumable idempotent issuing with the
real IssuanceService (signed credentials that verify), error reports, access control."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from datetime import date
from typing import Any

import pytest
from imports_testkit import (
    Recorder,
    Text,
    cohort_csv,
    cohort_xlsx,
    credentials_of,
    import_request,
    rows_of,
    service,
)
from issuance_testkit import (  # noqa: F401 - the fixtures 'kit' and 'kit_factory'
    Kit,
    kit_factory_fixture,
    kit_fixture,
)

from microcred.errors import Conflict, InvalidInput, KeyStoreError, NotFound, PermissionDenied
from microcred.imports import ERROR_REPORT_PROBLEM_COLUMN, ERROR_REPORT_ROW_COLUMN
from microcred.services.imports import ImportService
from microcred.storage import ImportJobState, ImportRowState, import_idempotency_key

R = ImportRowState


class Crash(BaseException):
    """Stands in for the process dying (not an error the service could handle)."""


def _audit(kit: Kit, action: str) -> list[Any]:
    with kit.uow(read_only=True) as tx:
        return tx.audit.list_for_issuer(kit.issuer.id, action=action)


# --------------------------------------------------------------------------- dry run


def test_dry_run_reports_every_bad_row_and_stores_nothing(kit: Kit) -> None:
    definition = kit.published()
    data = cohort_csv(9, bad_every=4, extra="000099;Dup;Ann;student2@UNI.example;1;30.06.2030\r\n")
    report = service(kit).dry_run(
        kit.registrar, kit.issuer.id, data, "kohorte.csv", import_request(definition)
    )
    assert (report.rows_total, report.rows_ok, report.rows_failed) == (10, 7, 3)
    assert [str(e) for e in report.errors] == [
        "row 5, column 'E-Mail': the e-mail address is missing (and there is no DID)",
        "row 9, column 'E-Mail': the e-mail address is missing (and there is no DID)",
        "row 11, column 'E-Mail': same e-mail address as row 3",
    ]
    assert not report.errors_truncated
    assert report.mapping == {
        "given_name": "Vorname",
        "family_name": "Nachname",
        "email": "E-Mail",
        "external_id": "Matrikelnummer",
        "result": "Note",
        "valid_until": "Gültig bis",
    }
    assert (report.format, report.delimiter, report.encoding) == ("csv", ";", "utf-8-sig")
    assert report.version == 1 and report.definition_id == definition.id
    assert report.sample[0].name == "Jürgen Müller-1"
    with kit.uow(read_only=True) as tx:
        assert tx.imports.list_jobs(kit.issuer.id) == []
        assert tx.learners.count_for_issuer(kit.issuer.id) == 0


def test_dry_run_caps_the_error_list(kit: Kit) -> None:
    definition = kit.published()
    imports = ImportService(kit.uow, issue_in=kit.issuance.issue_in, max_reported_errors=2)
    report = imports.dry_run(
        kit.registrar,
        kit.issuer.id,
        cohort_csv(10, bad_every=2),
        "c.csv",
        import_request(definition),
    )
    assert report.rows_failed == 5 and len(report.errors) == 2 and report.errors_truncated


def test_mapping_given_or_refused(kit: Kit) -> None:
    definition = kit.published()
    data = b"Teilnehmer,Kontakt\r\nAda,ada@example.org\r\n"
    with pytest.raises(InvalidInput, match="no complete column mapping") as caught:
        service(kit).dry_run(
            kit.registrar, kit.issuer.id, data, "c.csv", import_request(definition)
        )
    assert caught.value.extra["suggested_mapping"] == {"name": "Teilnehmer"}
    assert caught.value.extra["headers"] == ["Teilnehmer", "Kontakt"]
    report = service(kit).dry_run(
        kit.registrar,
        kit.issuer.id,
        data,
        "c.csv",
        import_request(definition, mapping={"name": "Teilnehmer", "email": "kontakt"}),
    )
    assert report.rows_ok == 1 and report.mapping == {"name": "Teilnehmer", "email": "Kontakt"}
    with pytest.raises(InvalidInput, match="no column 'Mail'"):
        service(kit).dry_run(
            kit.registrar,
            kit.issuer.id,
            data,
            "c.csv",
            import_request(definition, mapping={"name": "Teilnehmer", "email": "Mail"}),
        )


def test_preview(kit: Kit) -> None:
    preview = service(kit).preview(kit.registrar, kit.issuer.id, cohort_csv(8), "c.csv", rows=3)
    assert preview.headers[:3] == ("Matrikelnummer", "Nachname", "Vorname")
    assert len(preview.sample) == 3 and preview.sample[0]["E-Mail"] == "student1@uni.example"
    assert preview.suggested_mapping["email"] == "E-Mail" and preview.missing == ()


def test_unpublished_or_unknown_definitions(kit: Kit) -> None:
    imports = service(kit)
    with pytest.raises(NotFound):
        imports.dry_run(
            kit.registrar,
            kit.issuer.id,
            cohort_csv(1),
            "c.csv",
            import_request(kit.published(), version=7),
        )
    other = kit.published("other", other=True)
    with pytest.raises(NotFound):
        imports.create_job(
            kit.registrar, kit.issuer.id, cohort_csv(1), "c.csv", import_request(other)
        )


# --------------------------------------------------------------------------- jobs


def test_job_issues_the_good_rows_with_credentials_that_verify(kit: Kit) -> None:
    definition = kit.published()
    imports = service(kit)
    job = imports.create_job(
        kit.registrar,
        kit.issuer.id,
        cohort_csv(7, bad_every=3),
        "../../etc/kohorte.csv",
        import_request(definition),
    )
    assert job.file_name == "kohorte.csv"
    assert (job.state, job.total_rows, job.pending_rows, job.failed_rows) == (
        ImportJobState.CREATED,
        7,
        5,
        2,
    )
    assert job.headers[0] == "Matrikelnummer" and job.mapping["email"] == "E-Mail"
    stored = {row.row_number: row for row in rows_of(kit, job.id)}
    assert stored[2].raw == {
        "Matrikelnummer": "000001",
        "Nachname": "Müller-1",
        "Vorname": "Jürgen",
        "E-Mail": "student1@uni.example",
        "Note": "1,1",
        "Gültig bis": "30.06.2030",
    }
    assert stored[4].state is R.FAILED and "e-mail address is missing" in (stored[4].error or "")

    progress = Recorder()
    done = imports.run_job(
        kit.registrar, kit.issuer.id, job.id, worker_id="test", batch_size=2, on_progress=progress
    )
    assert done.state is ImportJobState.COMPLETED
    assert (done.issued_rows, done.failed_rows, done.pending_rows) == (5, 2, 0)
    assert progress.calls[0] == (2, 7, 2)  # validation failures count as done from the start
    assert progress.calls[-1] == (7, 7, 2)
    assert [c[0] for c in progress.calls] == sorted(c[0] for c in progress.calls)

    credentials = credentials_of(kit)
    assert len(credentials) == 5
    keys = {c.idempotency_key for c in credentials}
    issued_rows = [r for r in rows_of(kit, job.id) if r.state is R.ISSUED]
    assert keys == {import_idempotency_key(job.id, r.row_number) for r in issued_rows}
    assert {r.credential_id for r in issued_rows} == {c.id for c in credentials}

    first = next(c for c in credentials if c.idempotency_key == import_idempotency_key(job.id, 2))
    document = first.document
    assert document["credentialSubject"]["result"][0]["value"] == "1,1"
    assert document["validUntil"] == "2030-06-30T23:59:59Z"
    assert kit.verify(document).verified
    with kit.uow(read_only=True) as tx:
        learner = tx.learners.find_by_external_id(kit.issuer.id, "000001")
        assert learner is not None and learner.name == "Jürgen Müller-1"
        assert learner.email == "student1@uni.example"
        assert len(tx.outbox.list_recent(issuer_id=kit.issuer.id, limit=100)) == 5

    (created,) = _audit(kit, "import.create")
    assert created.details["rows"] == 7 and created.details["failed"] == 2
    (completed,) = _audit(kit, "import.complete")
    assert completed.details == {"issued": 5, "failed": 2, "rows": 7, "worker": "test"}

    status = imports.job_status(kit.registrar, kit.issuer.id, job.id)
    assert status.progress == 1.0 and status.done_rows == 7
    assert [j.id for j in imports.list_jobs(kit.registrar, kit.issuer.id)] == [job.id]
    with pytest.raises(Conflict, match="completed"):
        imports.run_job(kit.registrar, kit.issuer.id, job.id)


def test_xlsx_job(kit: Kit) -> None:
    definition = kit.published()
    data = cohort_xlsx(
        [
            [1001, "Ana López", "ana@example.org", 1.3, date(2030, 6, 30)],
            # a formula never evaluated (no saved result) reads as an empty cell
            [1002, '=HYPERLINK("http://evil.example")', "bo@example.org", "A", date(2030, 6, 30)],
            # text that merely looks like a formula stays text
            [1003, Text('=HYPERLINK("http://evil.example")'), "not-mail", 2, date(2030, 6, 30)],
        ]
    )
    imports = service(kit)
    job = imports.create_job(
        kit.registrar, kit.issuer.id, data, "cohort.xlsx", import_request(definition)
    )
    assert (job.pending_rows, job.failed_rows) == (1, 2)
    imports.run_job(kit.registrar, kit.issuer.id, job.id)
    (credential,) = credentials_of(kit)
    assert credential.document["credentialSubject"]["result"][0]["value"] == "1.3"
    report = "".join(imports.error_report_csv(kit.registrar, kit.issuer.id, job.id))
    lines = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))
    assert lines[0] == [
        ERROR_REPORT_ROW_COLUMN,
        ERROR_REPORT_PROBLEM_COLUMN,
        "Student ID",
        "Full name",
        "Email",
        "Grade",
        "Valid until",
    ]
    assert lines[1][:4] == ["3", "column 'Full name': the learner's name is missing", "1002", ""]
    assert lines[2][0] == "4" and lines[2][3] == '\'=HYPERLINK("http://evil.example")'
    assert "not an e-mail address" in lines[2][1]
    assert lines[2][6] == "2030-06-30"


def test_error_report_neutralises_formulas_and_keeps_the_delimiter(kit: Kit) -> None:
    definition = kit.published()
    payloads = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(1)", '=HYPERLINK("http://x","y")']
    extra = "".join(
        f"00{n}9;{payload};Eve;;{payload};30.06.2030\r\n" for n, payload in enumerate(payloads)
    )
    imports = service(kit)
    job = imports.create_job(
        kit.registrar,
        kit.issuer.id,
        cohort_csv(2, extra=extra),
        "c.csv",
        import_request(definition),
    )
    report = "".join(imports.error_report_csv(kit.registrar, kit.issuer.id, job.id))
    assert report.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(report.lstrip("\ufeff")), delimiter=";"))
    assert len(lines) == 1 + len(payloads)
    for line in lines[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in line), line
    assert [line[3] for line in lines[1:]] == ["'" + p for p in payloads]


def test_duplicate_file_refused_unless_asked(kit: Kit) -> None:
    definition = kit.published()
    imports = service(kit)
    data = cohort_csv(2)
    first = imports.create_job(
        kit.registrar, kit.issuer.id, data, "a.csv", import_request(definition)
    )
    with pytest.raises(Conflict, match=f"already imported .* job {first.id}"):
        imports.create_job(kit.registrar, kit.issuer.id, data, "b.csv", import_request(definition))
    again = imports.create_job(
        kit.registrar,
        kit.issuer.id,
        data,
        "b.csv",
        import_request(definition, allow_duplicate_file=True),
    )
    assert again.id != first.id and again.file_sha256 == first.file_sha256
    imports.cancel_job(kit.registrar, kit.issuer.id, first.id)
    imports.cancel_job(kit.registrar, kit.issuer.id, again.id)
    third = imports.create_job(
        kit.registrar, kit.issuer.id, data, "c.csv", import_request(definition)
    )
    assert third.state is ImportJobState.CREATED


def test_empty_data_is_refused(kit: Kit) -> None:
    definition = kit.published()
    with pytest.raises(InvalidInput, match="no data rows"):
        service(kit).create_job(
            kit.registrar, kit.issuer.id, cohort_csv(0), "c.csv", import_request(definition)
        )
    with kit.uow(read_only=True) as tx:
        assert tx.imports.list_jobs(kit.issuer.id) == []


def test_a_file_damaged_far_down_cancels_its_half_loaded_job(kit: Kit) -> None:
    definition = kit.published()
    imports = service(kit)
    damaged = cohort_csv(2500, extra='"unclosed;quote;row\r\n')
    with pytest.raises(InvalidInput, match="row 2502: the CSV cannot be parsed"):
        imports.create_job(
            kit.registrar, kit.issuer.id, damaged, "c.csv", import_request(definition)
        )
    (job,) = imports.list_jobs(kit.registrar, kit.issuer.id)
    assert job.state is ImportJobState.CANCELLED and not job.loaded
    assert len(rows_of(kit, job.id)) == 1000  # list_rows pages: the first chunk was stored
    assert _audit(kit, "import.create") == []
    fixed = imports.create_job(
        kit.registrar, kit.issuer.id, cohort_csv(2500), "c.csv", import_request(definition)
    )
    assert fixed.loaded and fixed.total_rows == 2500 and fixed.pending_rows == 2500


def test_a_job_that_never_finished_loading_cannot_run(kit: Kit) -> None:
    """What a worker killed while loading leaves: rows, but no counters and no audit entry."""
    from microcred.storage import ImportJob, RowInput

    definition = kit.published()
    with kit.uow() as tx:
        version = tx.definitions.find_latest_published(kit.issuer.id, definition.id)
        assert version is not None
        job = tx.imports.add_job(
            ImportJob(
                issuer_id=kit.issuer.id,
                definition_version_id=version.id,
                file_name="c.csv",
                column_mapping={"name": "Name", "email": "Email"},
                options={"headers": ["Name", "Email"]},
            )
        )
        tx.imports.add_rows(kit.issuer.id, job.id, [RowInput(2, {"Name": "A", "Email": "a@x.org"})])
        tx.commit()
    imports = service(kit)
    assert not imports.job_status(kit.registrar, kit.issuer.id, job.id).loaded
    with pytest.raises(Conflict, match="never completely loaded"):
        imports.run_job(kit.registrar, kit.issuer.id, job.id)
    assert credentials_of(kit) == []


def test_cancelled_job_issues_nothing_more(kit: Kit) -> None:
    definition = kit.published()
    imports = service(kit)
    job = imports.create_job(
        kit.registrar, kit.issuer.id, cohort_csv(3), "c.csv", import_request(definition)
    )
    cancelled = imports.cancel_job(kit.registrar, kit.issuer.id, job.id)
    assert cancelled.state is ImportJobState.CANCELLED and cancelled.pending_rows == 3
    with pytest.raises(Conflict, match="cancelled"):
        imports.run_job(kit.registrar, kit.issuer.id, job.id)
    assert credentials_of(kit) == []
    assert len(_audit(kit, "import.cancel")) == 1


# --------------------------------------------------------------------------- crash and resume


def _crashing_in_transaction(kit: Kit, after: int):  # type: ignore[no-untyped-def]
    issued = 0

    def issue_in(tx, principal, issuer_id, request):  # type: ignore[no-untyped-def]
        nonlocal issued
        if issued == after:
            raise Crash
        issued += 1
        return kit.issuance.issue_in(tx, principal, issuer_id, request)

    return issue_in


def test_crash_mid_batch_then_resume_loses_and_duplicates_nothing(kit: Kit) -> None:
    definition = kit.published()
    job = service(kit).create_job(
        kit.registrar, kit.issuer.id, cohort_csv(12), "c.csv", import_request(definition)
    )
    dying = ImportService(kit.uow, issue_in=_crashing_in_transaction(kit, after=7))
    with pytest.raises(Crash):
        dying.run_job(kit.registrar, kit.issuer.id, job.id, batch_size=5)
    # the first batch (5 rows) committed; rows 6-7 of the second batch rolled back with it
    assert len(credentials_of(kit)) == 5
    status = service(kit).job_status(kit.registrar, kit.issuer.id, job.id)
    assert (status.state, status.issued_rows, status.pending_rows) == (ImportJobState.RUNNING, 5, 7)

    done = service(kit).run_job(kit.registrar, kit.issuer.id, job.id, batch_size=5)
    assert (done.state, done.issued_rows) == (ImportJobState.COMPLETED, 12)
    credentials = credentials_of(kit)
    assert len(credentials) == 12
    assert len({c.idempotency_key for c in credentials}) == 12
    with kit.uow(read_only=True) as tx:
        assert tx.learners.count_for_issuer(kit.issuer.id) == 12


def test_own_transaction_issuing_is_made_safe_by_the_idempotency_key(kit: Kit) -> None:
    """With only ``issue`` (its own transaction), a crash after a credential was committed
    but before its row was marked: the rerun finds the credential by its key."""
    definition = kit.published()
    job = service(kit).create_job(
        kit.registrar, kit.issuer.id, cohort_csv(6), "c.csv", import_request(definition)
    )
    calls = 0

    def issue_then_die(principal, issuer_id, request):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        issued = kit.issuance.issue(principal, issuer_id, request)
        if calls == 4:
            raise Crash  # committed, not yet marked
        return issued

    with pytest.raises(Crash):
        ImportService(kit.uow, issue=issue_then_die).run_job(
            kit.registrar, kit.issuer.id, job.id, batch_size=3
        )
    assert len(credentials_of(kit)) == 4
    assert [r.state for r in rows_of(kit, job.id)].count(R.ISSUED) == 3

    replays: list[bool] = []

    def issue(principal, issuer_id, request):  # type: ignore[no-untyped-def]
        issued = kit.issuance.issue(principal, issuer_id, request)
        replays.append(issued.replayed)
        return issued

    done = ImportService(kit.uow, issue=issue).run_job(
        kit.registrar, kit.issuer.id, job.id, batch_size=3
    )
    assert done.state is ImportJobState.COMPLETED and done.issued_rows == 6
    assert replays == [True, False, False]
    assert len(credentials_of(kit)) == 6


def test_a_refused_row_is_rolled_back_alone(kit: Kit) -> None:
    definition = kit.published()
    job = service(kit).create_job(
        kit.registrar, kit.issuer.id, cohort_csv(4), "c.csv", import_request(definition)
    )

    def refuse_row_3(tx, principal, issuer_id, request):  # type: ignore[no-untyped-def]
        issued = kit.issuance.issue_in(tx, principal, issuer_id, request)
        if request.idempotency_key == import_idempotency_key(job.id, 3):
            raise InvalidInput("the signing service refused this learner")
        return issued

    done = ImportService(kit.uow, issue_in=refuse_row_3).run_job(
        kit.registrar, kit.issuer.id, job.id, batch_size=10
    )
    assert (done.issued_rows, done.failed_rows) == (3, 1)
    states = {r.row_number: (r.state, r.error) for r in rows_of(kit, job.id)}
    assert states[3] == (R.FAILED, "the signing service refused this learner")
    assert len(credentials_of(kit)) == 3
    with kit.uow(read_only=True) as tx:  # the refused row's learner was rolled back too
        assert tx.learners.find_by_external_id(kit.issuer.id, "000002") is None
        assert tx.learners.count_for_issuer(kit.issuer.id) == 3


def test_a_job_level_error_fails_the_job_and_it_can_resume(kit: Kit) -> None:
    definition = kit.published()
    job = service(kit).create_job(
        kit.registrar, kit.issuer.id, cohort_csv(4), "c.csv", import_request(definition)
    )

    def key_store_down(tx, principal, issuer_id, request):  # type: ignore[no-untyped-def]
        raise KeyStoreError("the key store is not reachable")

    with pytest.raises(KeyStoreError):
        ImportService(kit.uow, issue_in=key_store_down).run_job(
            kit.registrar, kit.issuer.id, job.id
        )
    status = service(kit).job_status(kit.registrar, kit.issuer.id, job.id)
    assert status.state is ImportJobState.FAILED
    assert status.error == "KeyStoreError: the key store is not reachable"
    assert status.pending_rows == 4
    assert len(_audit(kit, "import.fail")) == 1
    done = service(kit).run_job(kit.registrar, kit.issuer.id, job.id)
    assert done.state is ImportJobState.COMPLETED and done.issued_rows == 4 and done.error is None


def test_rows_go_stale_between_dry_run_and_run(kit: Kit) -> None:
    """Validation runs again when the row is issued: a date that passed meanwhile fails."""
    definition = kit.published()
    data = HEADER_SIMPLE + "Ada;ada@example.org;02.03.2026\r\nBob;bob@example.org;30.06.2030\r\n"
    job = service(kit).create_job(
        kit.registrar, kit.issuer.id, data.encode(), "c.csv", import_request(definition)
    )
    assert job.pending_rows == 2
    kit.clock.advance(days=2)
    done = service(kit).run_job(kit.registrar, kit.issuer.id, job.id)
    assert (done.issued_rows, done.failed_rows) == (1, 1)
    errors = service(kit).job_errors(kit.registrar, kit.issuer.id, job.id)
    assert [(e.row, e.reason) for e in errors] == [
        (2, "column 'Valid until': 2026-03-02 is in the past")
    ]


HEADER_SIMPLE = "Name;Email;Valid until\r\n"


def test_two_workers_share_a_job_without_sharing_rows(kit_factory) -> None:  # type: ignore[no-untyped-def]
    kit = kit_factory(
        settings={
            "default_cryptosuite": "eddsa-jcs-2022",
            "database_pool_size": 6,
            "database_max_overflow": 4,
        }
    )
    definition = kit.published()
    job = service(kit).create_job(
        kit.registrar, kit.issuer.id, cohort_csv(24), "c.csv", import_request(definition)
    )
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        try:
            start.wait()
            service(kit).run_job(kit.registrar, kit.issuer.id, job.id, worker_id=name, batch_size=3)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # a worker that starts after the other has finished everything finds the job completed
    # (SQLite's single writer makes that likely); any other error is a failure
    assert all(isinstance(e, Conflict) and "completed" in e.detail for e in errors), errors
    assert len(errors) <= 1
    status = service(kit).job_status(kit.registrar, kit.issuer.id, job.id)
    assert (status.state, status.issued_rows, status.pending_rows) == (
        ImportJobState.COMPLETED,
        24,
        0,
    )
    credentials = credentials_of(kit)
    assert len(credentials) == 24
    assert len(_audit(kit, "import.complete")) == 1


# --------------------------------------------------------------------------- access


def test_access(kit: Kit) -> None:
    definition = kit.published()
    imports = service(kit)
    data = cohort_csv(2)
    for principal in (kit.viewer, kit.designer):
        with pytest.raises(PermissionDenied):
            imports.dry_run(principal, kit.issuer.id, data, "c.csv", import_request(definition))
    job = imports.create_job(kit.admin, kit.issuer.id, data, "c.csv", import_request(definition))
    outsider = kit.other_admin
    with pytest.raises(NotFound):
        imports.job_status(outsider, kit.issuer.id, job.id)
    with pytest.raises(NotFound):  # its own issuer id does not reach another issuer's job
        imports.job_status(outsider, kit.other_issuer.id, job.id)
    with pytest.raises(NotFound):
        imports.run_job(outsider, kit.other_issuer.id, job.id)
    with pytest.raises(NotFound):
        imports.error_report_csv(outsider, kit.other_issuer.id, job.id)
    with pytest.raises(NotFound):
        imports.cancel_job(outsider, kit.other_issuer.id, job.id)
    with pytest.raises(PermissionDenied):
        imports.run_job(kit.viewer, kit.issuer.id, job.id)
    with pytest.raises(NotFound):
        imports.job_status(kit.registrar, kit.issuer.id, uuid.uuid4())
    assert imports.list_jobs(outsider, kit.other_issuer.id) == []
    done = imports.run_job(kit.registrar, kit.issuer.id, job.id)
    assert done.issued_rows == 2
