"""The Python examples of docs/bulk-import.md run, and show true values.

Same rules as test_service_docs.py (whose runner this reuses): every ```python block runs in
order in one namespace; an expression followed by a comment holding a Python value is checked.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_service_docs import DOCS, run_page


def test_the_bulk_import_examples_run_and_show_true_values() -> None:
    if not (DOCS / "bulk-import.md").exists():
        pytest.skip("docs/bulk-import.md is not there")
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    try:
        assert run_page("bulk-import.md", namespace) >= 15
    finally:
        platform = namespace.get("platform")
        if platform is not None:
            platform.close()
