"""Row validation: every bad row gets a reason per column, good rows become :class:`ImportRecord`.

Rules (per mapped column; unmapped columns are carried along untouched):

- learner name (or given + family name): required, at most 300 characters;
- e-mail: one address (``local@domain.tld``, international letters allowed), at most 254
  characters; the domain is lower-cased. A row needs an e-mail or a DID;
- DID: W3C DID syntax (``did:method:id``);
- student id: at most 200 characters;
- grade/result: at most 200 characters;
- evidence URL: one or more absolute ``http``/``https`` URLs separated by spaces;
- issue date: a date (see :mod:`microcred.imports.dates`), not in the future;
- valid until: a date, not in the past and not before the issue date;
- no control characters, line breaks in single-line fields, or bidirectional-override
  characters (used to disguise text);
- duplicates within the file: a later row with the same student id or the same e-mail
  (case-insensitive) as an earlier row is flagged ("same e-mail as row 5"); the first one is not.

Formula-looking values (``=HYPERLINK(...)``, ``+1+1``, ``@SUM(1)``) are plain text here: they are
stored and issued as text and neutralised whenever they are written back to a spreadsheet
(:mod:`microcred.imports.export`).
"""

from __future__ import annotations

import hashlib
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from microcred.did.syntax import parse_did
from microcred.errors import DIDError
from microcred.imports.dates import DateOrder, parse_date
from microcred.imports.mapping import ColumnMapping, ImportField
from microcred.imports.readers import SourceRow, column_letter

__all__ = [
    "MAX_LENGTHS",
    "CheckedRow",
    "ImportRecord",
    "RowProblem",
    "RowValidator",
    "validate_record",
]

F = ImportField

MAX_LENGTHS: Mapping[ImportField, int] = {
    F.NAME: 300,
    F.GIVEN_NAME: 150,
    F.FAMILY_NAME: 150,
    F.EMAIL: 254,
    F.DID: 512,
    F.EXTERNAL_ID: 200,
    F.RESULT: 200,
    F.EVIDENCE_URL: 4096,
}
_MAX_URL = 2048
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_EMAIL_FORBIDDEN = frozenset(' \t\r\n<>()[]\\,;:"')


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row (or one cell of it) cannot be imported."""

    row: int
    column: str | None
    reason: str

    def describe(self) -> str:
        """The reason with its column, without the row (what the error report's column holds)."""
        return f"column '{self.column}': {self.reason}" if self.column else self.reason

    def __str__(self) -> str:
        if self.column:
            return f"row {self.row}, column '{self.column}': {self.reason}"
        return f"row {self.row}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """A validated row: what issuing one credential needs."""

    row: int
    name: str
    email: str | None = None
    did: str | None = None
    external_id: str | None = None
    result: str | None = None
    evidence: tuple[str, ...] = ()
    issue_date: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """One row after validation: the raw cells, and either a record or the problems."""

    row: int
    raw: dict[str, str]
    record: ImportRecord | None
    problems: tuple[RowProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.record is not None

    @property
    def reason(self) -> str | None:
        """All problems of the row in one line (stored with a failed import row)."""
        if not self.problems:
            return None
        return "; ".join(problem.describe() for problem in self.problems)


def validate_record(
    row: int,
    raw: Mapping[str, str],
    mapping: ColumnMapping,
    *,
    today: date,
    date_order: DateOrder = DateOrder.DMY,
) -> tuple[ImportRecord | None, list[RowProblem]]:
    """Validate one row given as ``{header: text}`` (no duplicate check: that needs the file)."""
    problems: list[RowProblem] = []

    def cell(target: ImportField) -> tuple[str | None, str]:
        header = mapping.header_for(target)
        if header is None:
            return None, ""
        return header, raw.get(header, "").strip()

    def problem(target: ImportField, reason: str) -> None:
        problems.append(RowProblem(row, mapping.header_for(target), reason))

    def text(target: ImportField, *, single_line: bool = True) -> str | None:
        header, value = cell(target)
        if header is None or not value:
            return None
        reason = _text_problem(value, MAX_LENGTHS[target], single_line=single_line)
        if reason:
            problem(target, reason)
            return None
        return unicodedata.normalize("NFC", value)

    # name
    name: str | None = None
    if mapping.header_for(F.NAME) is not None:
        name = text(F.NAME)
        if name is None and not cell(F.NAME)[1]:
            problem(F.NAME, "the learner's name is missing")
    else:
        given, family = text(F.GIVEN_NAME), text(F.FAMILY_NAME)
        if not cell(F.GIVEN_NAME)[1]:
            problem(F.GIVEN_NAME, "the given name is missing")
        if not cell(F.FAMILY_NAME)[1]:
            problem(F.FAMILY_NAME, "the family name is missing")
        if given and family:
            name = f"{given} {family}"
    if name is not None:
        name = " ".join(name.split())

    # e-mail and DID: at least one
    email: str | None = None
    _, email_text = cell(F.EMAIL)
    if email_text:
        email, reason = _check_email(email_text)
        if reason:
            problem(F.EMAIL, reason)
    did: str | None = None
    _, did_text = cell(F.DID)
    if did_text:
        try:
            did = parse_did(did_text).did
        except DIDError as exc:
            problem(F.DID, _shorten_reason(exc.detail))
    if not email_text and not did_text:
        if mapping.header_for(F.EMAIL) is not None:
            problem(F.EMAIL, "the e-mail address is missing (and there is no DID)")
        elif mapping.header_for(F.DID) is not None:
            problem(F.DID, "the DID is missing (and there is no e-mail address)")

    external_id = text(F.EXTERNAL_ID)
    result = text(F.RESULT)

    evidence: list[str] = []
    _, evidence_text = cell(F.EVIDENCE_URL)
    if evidence_text:
        for url in evidence_text.split():
            reason = _url_problem(url)
            if reason:
                problem(F.EVIDENCE_URL, reason)
            else:
                evidence.append(url)
        if len(evidence_text) > MAX_LENGTHS[F.EVIDENCE_URL]:
            problem(F.EVIDENCE_URL, f"longer than {MAX_LENGTHS[F.EVIDENCE_URL]} characters")

    issue_date = _date(F.ISSUE_DATE, cell, problem, date_order)
    valid_until = _date(F.VALID_UNTIL, cell, problem, date_order)
    if issue_date is not None and issue_date > today:
        problem(F.ISSUE_DATE, f"{issue_date.isoformat()} is in the future")
    if valid_until is not None:
        if valid_until < today:
            problem(F.VALID_UNTIL, f"{valid_until.isoformat()} is in the past")
        elif issue_date is not None and valid_until < issue_date:
            problem(F.VALID_UNTIL, f"{valid_until.isoformat()} is before the issue date")

    if problems or name is None:
        return None, problems
    return (
        ImportRecord(
            row=row,
            name=name,
            email=email,
            did=did,
            external_id=external_id,
            result=result,
            evidence=tuple(evidence),
            issue_date=issue_date,
            valid_until=valid_until,
        ),
        problems,
    )


class RowValidator:
    """Validates the rows of one file in order, flagging duplicates within the file.

    Memory: the duplicate check keeps an 8-byte digest and a row number per student id and
    e-mail seen (about 12 bytes each), never the rows themselves.
    """

    def __init__(
        self,
        headers: Sequence[str],
        mapping: ColumnMapping,
        *,
        today: date,
        date_order: DateOrder = DateOrder.DMY,
    ) -> None:
        self.headers = tuple(headers)
        self.mapping = mapping
        self.today = today
        self.date_order = date_order
        self._seen = _SeenIndex()

    def check_rows(self, rows: Iterable[SourceRow]) -> Iterator[CheckedRow]:
        for row in rows:
            yield self.check(row)

    def check(self, row: SourceRow) -> CheckedRow:
        width = len(self.headers)
        raw = {
            header: value for header, value in zip(self.headers, row.cells, strict=False) if value
        }
        record, problems = validate_record(
            row.number, raw, self.mapping, today=self.today, date_order=self.date_order
        )
        extra = [i for i in range(width, len(row.cells)) if row.cells[i]]
        if extra:
            problems.append(
                RowProblem(
                    row.number,
                    None,
                    f"the row has values beyond the last header column "
                    f"(column {column_letter(extra[0])})",
                )
            )
        problems.extend(self._duplicates(row.number, raw))
        if problems:
            return CheckedRow(row.number, raw, None, tuple(problems))
        return CheckedRow(row.number, raw, record, ())

    def _duplicates(self, row: int, raw: Mapping[str, str]) -> list[RowProblem]:
        found: list[RowProblem] = []
        for target, what, prefix in (
            (F.EXTERNAL_ID, "student id", "x"),
            (F.EMAIL, "e-mail address", "e"),
        ):
            header = self.mapping.header_for(target)
            if header is None:
                continue
            value = raw.get(header, "").strip()
            if not value:
                continue
            first = self._seen.first_row(f"{prefix}:{value.casefold()}", row)
            if first is not None:
                found.append(RowProblem(row, header, f"same {what} as row {first}"))
        return found


def _date(
    target: ImportField,
    cell: Callable[[ImportField], tuple[str | None, str]],
    problem: Callable[[ImportField, str], None],
    order: DateOrder,
) -> date | None:
    header, value = cell(target)
    if header is None or not value:
        return None
    try:
        return parse_date(value, order=order)
    except ValueError as exc:
        problem(target, str(exc))
        return None


def _text_problem(value: str, max_length: int, *, single_line: bool) -> str | None:
    if len(value) > max_length:
        return f"longer than {max_length} characters"
    for char in value:
        if char in "\r\n":
            if single_line:
                return "contains a line break"
        elif char == "\t" or unicodedata.category(char) == "Cc":
            return f"contains a control character (U+{ord(char):04X})"
        elif char in _BIDI_CONTROLS:
            return f"contains a text-direction control character (U+{ord(char):04X})"
    return None


def _check_email(value: str) -> tuple[str | None, str | None]:
    """``(normalised address, None)`` or ``(None, reason)``."""
    shown = value if len(value) <= 60 else value[:57] + "..."
    if len(value) > MAX_LENGTHS[F.EMAIL]:
        return None, f"longer than {MAX_LENGTHS[F.EMAIL]} characters"
    if value.count("@") > 1 and any(sep in value for sep in ",; "):
        return None, f"{shown!r} holds more than one address; give one per row"
    if value.lower().startswith("mailto:"):
        return None, f"{shown!r} is a link; give only the address"
    local, at, domain = value.rpartition("@")
    bad = (
        not at
        or not local
        or not domain
        or len(local) > 64
        or any(ch in _EMAIL_FORBIDDEN or unicodedata.category(ch) == "Cc" for ch in value)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or not _valid_domain(domain)
    )
    if bad:
        return None, f"{shown!r} is not an e-mail address"
    return f"{local}@{domain.lower()}", None


def _valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253:
        return False
    for label in labels:
        if not 1 <= len(label) <= 63 or label.startswith("-") or label.endswith("-"):
            return False
        if not all(ch.isalnum() or ch == "-" for ch in label):
            return False
    tld = labels[-1]
    return (len(tld) >= 2 and tld.isalpha()) or tld.lower().startswith("xn--")


def _url_problem(url: str) -> str | None:
    shown = url if len(url) <= 60 else url[:57] + "..."
    if len(url) > _MAX_URL:
        return f"a URL longer than {_MAX_URL} characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{shown!r} is not a URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return f"{shown!r} is not an http(s) URL"
    if any(unicodedata.category(ch) in ("Cc", "Zs") for ch in url):
        return f"{shown!r} is not a URL"
    return None


def _shorten_reason(text: str) -> str:
    return text if len(text) <= 200 else text[:197] + "..."


class _SeenIndex:
    """A compact "first row seen with this key" table: open addressing over two arrays.

    Keys are reduced to 64-bit BLAKE2b digests (a false "duplicate" would need a digest
    collision: about 1 in 10^9 for a million keys). 12 bytes a slot, load factor <= 1/2.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._size = capacity
        self._count = 0
        self._digests = array("Q", bytes(8 * capacity))
        self._rows = array("I", bytes(4 * capacity))

    def __len__(self) -> int:
        return self._count

    def first_row(self, key: str, row: int) -> int | None:
        """The row that first had ``key``; if none, remember ``row`` for it and return None."""
        digest = int.from_bytes(
            hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
            "little",
        )
        digest |= 1  # 0 marks an empty slot
        slot = self._find(digest)
        if self._digests[slot] == digest:
            return int(self._rows[slot])
        self._digests[slot] = digest
        self._rows[slot] = row
        self._count += 1
        if self._count * 2 > self._size:
            self._grow()
        return None

    def _find(self, digest: int) -> int:
        mask = self._size - 1
        slot = digest & mask
        while True:
            current = self._digests[slot]
            if current == 0 or current == digest:
                return slot
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        old_digests, old_rows = self._digests, self._rows
        self._size *= 2
        self._digests = array("Q", bytes(8 * self._size))
        self._rows = array("I", bytes(4 * self._size))
        for digest, row in zip(old_digests, old_rows, strict=True):
            if digest:
                slot = self._find(digest)
                self._digests[slot] = digest
                self._rows[slot] = row
