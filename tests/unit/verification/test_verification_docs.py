"""docs/verification.md documents every stable check code."""

from __future__ import annotations

from pathlib import Path

from microcred.verification import codes

DOC = Path(__file__).resolve().parents[3] / "docs" / "verification.md"


def test_every_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    constants = {
        name: value
        for name, value in vars(codes).items()
        if name.isupper() and isinstance(value, str)
    }
    assert len(constants) > 20
    missing = sorted(v for v in constants.values() if f"`{v}`" not in text)
    assert missing == []
