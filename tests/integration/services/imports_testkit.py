"""Helpers for the import service tests (a uniquely named module, not conftest)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import openpyxl
from issuance_testkit import Kit

from microcred.services.definitions import DefinitionInfo
from microcred.services.imports import ImportRequest, ImportService
from microcred.storage import Credential, ImportRow

HEADER = "Matrikelnummer;Nachname;Vorname;E-Mail;Note;Gültig bis\r\n"


def cohort_csv(
    rows: int, *, bad_every: int = 0, first: int = 1, extra: str = "", bom: bool = True
) -> bytes:
    """A German registrar export: ``rows`` learners, every ``bad_every``-th without e-mail."""
    lines = [HEADER]
    for n in range(first, first + rows):
        email = "" if bad_every and n % bad_every == 0 else f"student{n}@uni.example"
        lines.append(f"{n:06d};Müller-{n};Jürgen;{email};1,{n % 10};30.06.2030\r\n")
    text = "".join(lines) + extra
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


class Text(str):
    """An XLSX cell value stored as text even when it starts with ``=``."""


def cohort_xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Absolventen"
    sheet.append(["Student ID", "Full name", "Email", "Grade", "Valid until"])
    for row in rows:
        sheet.append([str(v) if isinstance(v, Text) else v for v in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(value, Text):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_request(definition: DefinitionInfo, **fields: Any) -> ImportRequest:
    return ImportRequest(definition_id=definition.id, **fields)


def service(kit: Kit, **options: Any) -> ImportService:
    return ImportService.for_issuance(kit.uow, kit.issuance, **options)


def rows_of(kit: Kit, job_id: Any) -> list[ImportRow]:
    with kit.uow(read_only=True) as tx:
        return tx.imports.list_rows(kit.issuer.id, job_id, limit=1000)


def credentials_of(kit: Kit) -> list[Credential]:
    with kit.uow(read_only=True) as tx:
        return tx.credentials.list_for_issuer(kit.issuer.id, limit=1000)


class Recorder:
    """An ``on_progress`` callback that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []

    def __call__(self, done: int, total: int, failed: int) -> None:
        self.calls.append((done, total, failed))


def valid_until_text(value: date) -> str:
    return value.strftime("%d.%m.%Y")


IssueWrapper = Callable[..., Any]
