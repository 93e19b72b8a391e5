"""The Python examples of docs/definitions.md and docs/issuing.md run, and say what they show.

Every ```python block of a page runs, in order, in one namespace (against a fresh SQLite
platform, as the page sets it up). A top-level expression followed by a comment that is itself
a Python value (``draft.state.value   # 'draft'``) is checked: the expression must equal it.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs"
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _comments(source: str) -> dict[int, str]:
    found: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found[token.start[0]] = token.string[1:].strip()
    return found


def _expected(comment: str) -> tuple[bool, Any]:
    try:
        return True, eval(comment, {"Decimal": Decimal})  # noqa: S307 - our own docs
    except Exception:
        return False, None


def run_page(name: str, namespace: dict[str, Any]) -> int:
    """Run every Python block of ``docs/<name>``; return how many values were checked."""
    text = (DOCS / name).read_text(encoding="utf-8")
    checked = 0
    for block in _BLOCK.findall(text):
        tree = ast.parse(block)
        comments = _comments(block)
        for statement in tree.body:
            segment = ast.get_source_segment(block, statement)
            assert segment is not None
            comment = comments.get(statement.end_lineno or 0)
            ok, value = _expected(comment) if comment else (False, None)
            if isinstance(statement, ast.Expr) and ok:
                actual = eval(compile(ast.Expression(statement.value), name, "eval"), namespace)
                assert actual == value, f"{name}: {segment.strip()} gave {actual!r}"
                checked += 1
            else:
                exec(compile(ast.Module([statement], []), name, "exec"), namespace)
    return checked


@pytest.mark.parametrize(("page", "minimum"), [("definitions.md", 15), ("issuing.md", 15)])
def test_the_examples_run_and_show_true_values(page: str, minimum: int) -> None:
    if not (DOCS / page).exists():
        pytest.skip(f"docs/{page} is not there")
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    try:
        assert run_page(page, namespace) >= minimum
    finally:
        platform = namespace.get("platform")
        if platform is not None:
            platform.close()
