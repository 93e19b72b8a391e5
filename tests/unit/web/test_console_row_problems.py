"""The import job page shows a failed row's stored reason as the dry run shows its problems:
one line per problem, the column in the Column column."""

from __future__ import annotations

import pytest

from microcred.imports.validation import RowProblem
from microcred.web.routes_console_ops import _row_problems


@pytest.mark.parametrize(
    "problems",
    [
        [RowProblem(4, "E-mail", "not an e-mail address")],
        [RowProblem(4, "E-mail", "not an e-mail address"),
         RowProblem(4, "Completed", "2030-01-01 is in the future; dates must be past")],
        [RowProblem(4, "O'Brien's column", "empty")],
        [RowProblem(4, None, "the learner could not be stored; try again")],
    ],
)  # fmt: skip
def test_a_stored_reason_splits_back_into_the_dry_run_s_problems(
    problems: list[RowProblem],
) -> None:
    # the job stores the row's problems as RowProblem.describe(), joined by "; "
    stored = RowProblem(4, None, "; ".join(problem.describe() for problem in problems))
    assert _row_problems(stored) == problems


def test_a_problem_that_has_its_column_already_is_kept() -> None:
    problem = RowProblem(2, "Name", "column 'x': looks like a column but is a reason")
    assert _row_problems(problem) == [problem]
