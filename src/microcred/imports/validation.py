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

import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    "RecordRules",
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


class RecordRules:
    """The per-row rules for one mapping, prepared once (validating 100,000 rows is hot)."""

    def __init__(
        self, mapping: ColumnMapping, *, today: date, date_order: DateOrder = DateOrder.DMY
    ) -> None:
        self.mapping = mapping
        self.today = today
        self.date_order = date_order
        header = mapping.header_for
        self._name = header(F.NAME)
        self._given = header(F.GIVEN_NAME)
        self._family = header(F.FAMILY_NAME)
        self._email = header(F.EMAIL)
        self._did = header(F.DID)
        self._external_id = header(F.EXTERNAL_ID)
        self._result = header(F.RESULT)
        self._evidence = header(F.EVIDENCE_URL)
        self._issue_date = header(F.ISSUE_DATE)
        self._valid_until = header(F.VALID_UNTIL)

    def validate(
        self, row: int, raw: Mapping[str, str]
    ) -> tuple[ImportRecord | None, list[RowProblem]]:
        """Validate one row given as ``{header: text}`` (no duplicate check)."""
        problems: list[RowProblem] = []
        get = raw.get

        def value(header: str | None) -> str:
            return get(header, "").strip() if header is not None else ""

        def text(header: str | None, target: ImportField) -> str | None:
            cell = value(header)
            if not cell:
                return None
            reason = _text_problem(cell, MAX_LENGTHS[target])
            if reason:
                problems.append(RowProblem(row, header, reason))
                return None
            return cell if cell.isascii() else unicodedata.normalize("NFC", cell)

        # the name: one column, or given + family
        name: str | None = None
        if self._name is not None:
            name = text(self._name, F.NAME)
            if not value(self._name):
                problems.append(RowProblem(row, self._name, "the learner's name is missing"))
        else:
            given = text(self._given, F.GIVEN_NAME)
            family = text(self._family, F.FAMILY_NAME)
            if not value(self._given):
                problems.append(RowProblem(row, self._given, "the given name is missing"))
            if not value(self._family):
                problems.append(RowProblem(row, self._family, "the family name is missing"))
            if given and family:
                name = f"{given} {family}"
        if name is not None:
            name = " ".join(name.split())

        # e-mail and DID: at least one
        email: str | None = None
        email_text = value(self._email)
        if email_text:
            email, reason = _check_email(email_text)
            if reason:
                problems.append(RowProblem(row, self._email, reason))
        did: str | None = None
        did_text = value(self._did)
        if did_text:
            try:
                did = parse_did(did_text).did
            except DIDError as exc:
                problems.append(RowProblem(row, self._did, _shorten_reason(exc.detail)))
        if not email_text and not did_text:
            if self._email is not None:
                problems.append(
                    RowProblem(
                        row, self._email, "the e-mail address is missing (and there is no DID)"
                    )
                )
            elif self._did is not None:
                problems.append(
                    RowProblem(
                        row, self._did, "the DID is missing (and there is no e-mail address)"
                    )
                )

        external_id = text(self._external_id, F.EXTERNAL_ID)
        result = text(self._result, F.RESULT)

        evidence: list[str] = []
        evidence_text = value(self._evidence)
        if evidence_text:
            limit = MAX_LENGTHS[F.EVIDENCE_URL]
            if len(evidence_text) > limit:
                problems.append(RowProblem(row, self._evidence, f"longer than {limit} characters"))
            else:
                for url in evidence_text.split():
                    reason = _url_problem(url)
                    if reason:
                        problems.append(RowProblem(row, self._evidence, reason))
                    else:
                        evidence.append(url)

        issue_date = self._date(row, self._issue_date, value(self._issue_date), problems)
        valid_until = self._date(row, self._valid_until, value(self._valid_until), problems)
        if issue_date is not None and issue_date > self.today:
            problems.append(
                RowProblem(row, self._issue_date, f"{issue_date.isoformat()} is in the future")
            )
        if valid_until is not None:
            if valid_until < self.today:
                reason = f"{valid_until.isoformat()} is in the past"
                problems.append(RowProblem(row, self._valid_until, reason))
            elif issue_date is not None and valid_until < issue_date:
                reason = f"{valid_until.isoformat()} is before the issue date"
                problems.append(RowProblem(row, self._valid_until, reason))

        if problems or name is None:
            return None, problems
        record = ImportRecord(
            row=row,
            name=name,
            email=email,
            did=did,
            external_id=external_id,
            result=result,
            evidence=tuple(evidence),
            issue_date=issue_date,
            valid_until=valid_until,
        )
        return record, problems

    def _date(
        self, row: int, header: str | None, text: str, problems: list[RowProblem]
    ) -> date | None:
        if not text:
            return None
        try:
            return parse_date(text, order=self.date_order)
        except ValueError as exc:
            problems.append(RowProblem(row, header, str(exc)))
            return None


def validate_record(
    row: int,
    raw: Mapping[str, str],
    mapping: ColumnMapping,
    *,
    today: date,
    date_order: DateOrder = DateOrder.DMY,
) -> tuple[ImportRecord | None, list[RowProblem]]:
    """Validate one row given as ``{header: text}`` (no duplicate check: that needs the file).

    For many rows, build one :class:`RecordRules` and call its ``validate``.
    """
    return RecordRules(mapping, today=today, date_order=date_order).validate(row, raw)


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
        self._rules = RecordRules(mapping, today=today, date_order=date_order)
        self._seen = _SeenIndex()
        self._keys = [
            (header, what, prefix)
            for header, what, prefix in (
                (mapping.header_for(F.EXTERNAL_ID), "student id", "x:"),
                (mapping.header_for(F.EMAIL), "e-mail address", "e:"),
            )
            if header is not None
        ]

    def check_rows(self, rows: Iterable[SourceRow]) -> Iterator[CheckedRow]:
        for row in rows:
            yield self.check(row)

    def check(self, row: SourceRow) -> CheckedRow:
        width = len(self.headers)
        cells = row.cells
        raw = {header: cell for header, cell in zip(self.headers, cells, strict=False) if cell}
        record, problems = self._rules.validate(row.number, raw)
        if len(cells) > width:
            extra = [i for i in range(width, len(cells)) if cells[i]]
            if extra:
                problems.append(
                    RowProblem(
                        row.number,
                        None,
                        f"the row has values beyond the last header column "
                        f"(column {column_letter(extra[0])})",
                    )
                )
        for header, what, prefix in self._keys:
            key = raw.get(header, "").strip()
            if key:
                first = self._seen.first_row(prefix + key.casefold(), row.number)
                if first is not None:
                    problems.append(RowProblem(row.number, header, f"same {what} as row {first}"))
        if problems:
            return CheckedRow(row.number, raw, None, tuple(problems))
        return CheckedRow(row.number, raw, record, ())


# control characters, and the bidirectional controls used to disguise text
_SUSPICIOUS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SIMPLE_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)


def _text_problem(value: str, max_length: int) -> str | None:
    if len(value) > max_length:
        return f"longer than {max_length} characters"
    found = _SUSPICIOUS.search(value)
    if found is None:
        return None
    char = found.group()
    if char in "\r\n":
        return "contains a line break"
    if char in _BIDI_CONTROLS:
        return f"contains a text-direction control character (U+{ord(char):04X})"
    return f"contains a control character (U+{ord(char):04X})"


def _check_email(value: str) -> tuple[str | None, str | None]:
    """``(normalised address, None)`` or ``(None, reason)``."""
    if len(value) > MAX_LENGTHS[F.EMAIL]:
        return None, f"longer than {MAX_LENGTHS[F.EMAIL]} characters"
    simple = _SIMPLE_EMAIL.fullmatch(value)
    if simple is not None and len(simple["local"]) <= 64 and len(simple["domain"]) <= 253:
        return f"{simple['local']}@{simple['domain'].lower()}", None
    shown = value if len(value) <= 60 else value[:57] + "..."
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
        or "@" in local
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

    Keys are reduced to their 64-bit string hash (SipHash, salted per process; the table never
    outlives one validation): a false "duplicate" would need a hash collision, about 1 in
    10^7 for a million keys. 12 bytes a slot, load factor <= 1/2.
    """

    def __init__(self, capacity: int = 1 << 14) -> None:
        self._size = capacity
        self._count = 0
        self._digests = array("Q", bytes(8 * capacity))
        self._rows = array("I", bytes(4 * capacity))

    def __len__(self) -> int:
        return self._count

    def first_row(self, key: str, row: int) -> int | None:
        """The row that first had ``key``; if none, remember ``row`` for it and return None."""
        digest = (hash(key) & 0xFFFF_FFFF_FFFF_FFFF) | 1  # 0 marks an empty slot
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
