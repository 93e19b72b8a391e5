"""Bulk import files, without a database: read (CSV/XLSX), map columns, validate rows, export.

::

    with open_table(path) as table:                      # streams; memory stays flat
        suggestion = suggest_mapping(table.headers)      # "E-Mail", "Courriel", "Nachname"...
        mapping = suggestion.mapping
        mapping.require_complete()
        validator = RowValidator(table.headers, mapping, today=clock.now().date())
        for checked in validator.check_rows(table.rows()):
            print(checked.record if checked.ok else checked.reason)

The database side (dry runs, jobs, resumable issuing) is
:class:`microcred.services.imports.ImportService`. See ``docs/bulk-import.md``.
"""

from microcred.imports.dates import DateOrder, excel_serial_to_date, parse_date
from microcred.imports.export import (
    ERROR_REPORT_PROBLEM_COLUMN,
    ERROR_REPORT_ROW_COLUMN,
    error_report_lines,
    looks_like_formula,
    neutralise_cell,
)
from microcred.imports.mapping import (
    DATE_FIELDS,
    ColumnMapping,
    HeaderMatch,
    ImportField,
    MappingSuggestion,
    normalise_header,
    suggest_mapping,
)
from microcred.imports.progress import ProgressCallback, ProgressLine, format_progress
from microcred.imports.readers import (
    DEFAULT_LIMITS,
    ImportLimits,
    Source,
    SourceRow,
    Table,
    TableFormat,
    column_letter,
    open_table,
    sniff_delimiter,
)
from microcred.imports.validation import (
    MAX_LENGTHS,
    CheckedRow,
    ImportRecord,
    RecordRules,
    RowProblem,
    RowValidator,
    validate_record,
)

__all__ = [
    "DATE_FIELDS",
    "DEFAULT_LIMITS",
    "ERROR_REPORT_PROBLEM_COLUMN",
    "ERROR_REPORT_ROW_COLUMN",
    "MAX_LENGTHS",
    "CheckedRow",
    "ColumnMapping",
    "DateOrder",
    "HeaderMatch",
    "ImportField",
    "ImportLimits",
    "ImportRecord",
    "MappingSuggestion",
    "ProgressCallback",
    "ProgressLine",
    "RecordRules",
    "RowProblem",
    "RowValidator",
    "Source",
    "SourceRow",
    "Table",
    "TableFormat",
    "column_letter",
    "error_report_lines",
    "excel_serial_to_date",
    "format_progress",
    "looks_like_formula",
    "neutralise_cell",
    "normalise_header",
    "open_table",
    "parse_date",
    "sniff_delimiter",
    "suggest_mapping",
    "validate_record",
]
