"""The public names of microcred.imports and microcred.services.imports are pinned."""

import microcred.imports as imports
import microcred.services.imports as service


def test_package_all_is_pinned() -> None:
    assert imports.__all__ == [
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
    for name in imports.__all__:
        assert hasattr(imports, name), name


def test_service_all_is_pinned() -> None:
    assert service.__all__ == [
        "DEFAULT_CHUNK",
        "IMPORT_PATHS",
        "IMPORT_PATH_ENV",
        "DryRunReport",
        "ImportPreview",
        "ImportRequest",
        "ImportService",
        "JobInfo",
        "StandaloneIssue",
        "TransactionalIssue",
        "import_path",
    ]
    constants = {"DEFAULT_CHUNK", "IMPORT_PATHS", "IMPORT_PATH_ENV"}
    for name in service.__all__:
        if name not in constants:
            assert getattr(service, name).__name__ == name
