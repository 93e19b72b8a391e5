"""Right-to-left text for drawing libraries that draw characters strictly left to right.

reportlab (without the optional ``rlbidi``) and Pillow (without ``libraqm``) place characters in
the order they are stored, so a Hebrew or Arabic name comes out mirrored. :func:`visual_order`
turns one line of text from logical into visual order with a small subset of the Unicode
Bidirectional Algorithm (UAX #9, https://www.unicode.org/reports/tr9/):

* the paragraph direction is that of the first strong character (rules P2–P3);
* numbers next to right-to-left letters keep their left-to-right digit order (W-rules,
  simplified: European and Arabic digits are treated alike);
* neutral characters (spaces, punctuation) between two runs of the same direction take that
  direction, otherwise the paragraph's (N1–N2);
* levels are reversed from the highest down to the lowest odd level (L2), and paired
  brackets in right-to-left runs are mirrored (L4, for the common pairs).

Explicit embeddings, isolates and Arabic letter shaping are not handled (shaping needs a
shaping engine; letters are drawn in their isolated forms).
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["has_rtl", "visual_order"]

_RTL: Final = frozenset({"R", "AL"})
_NUMBER: Final = frozenset({"EN", "AN"})
_MIRROR: Final = str.maketrans("()[]{}<>«»", ")(][}{><»«")


def has_rtl(text: str) -> bool:
    """True when ``text`` contains a right-to-left letter."""
    return any(unicodedata.bidirectional(ch) in _RTL for ch in text)


def _kind(ch: str) -> str:
    category = unicodedata.bidirectional(ch)
    if category in _RTL:
        return "R"
    if category == "L":
        return "L"
    if category in _NUMBER:
        return "D"
    return "N"


def visual_order(text: str) -> str:
    """``text`` (one line) in the order to draw it from left to right."""
    if not has_rtl(text):
        return text
    kinds = [_kind(ch) for ch in text]
    base = 1 if next((k for k in kinds if k in ("L", "R")), "L") == "R" else 0
    # digits: part of a right-to-left context when the nearest strong letter before is R
    strong_before = "R" if base else "L"
    resolved: list[str] = []
    for kind in kinds:
        if kind in ("L", "R"):
            strong_before = kind
            resolved.append(kind)
        elif kind == "D":
            resolved.append("DR" if strong_before == "R" else "DL")
        else:
            resolved.append("N")

    # neutrals take the direction shared by their neighbours (digits count as R in an R run)
    def direction(kind: str) -> str:
        return "R" if kind in ("R", "DR") else "L"

    index = 0
    while index < len(resolved):
        if resolved[index] != "N":
            index += 1
            continue
        end = index
        while end < len(resolved) and resolved[end] == "N":
            end += 1
        before = direction(resolved[index - 1]) if index > 0 else ("R" if base else "L")
        after = direction(resolved[end]) if end < len(resolved) else ("R" if base else "L")
        chosen = before if before == after else ("R" if base else "L")
        for position in range(index, end):
            resolved[position] = chosen
        index = end
    levels: list[int] = []
    for kind in resolved:
        if kind == "R":
            levels.append(1)
        elif kind == "DR":
            levels.append(2)
        else:  # L, DL
            levels.append(2 if base else 0)
    characters = [
        ch.translate(_MIRROR) if level % 2 else ch for ch, level in zip(text, levels, strict=True)
    ]
    for level in range(max(levels), 0, -1):
        position = 0
        while position < len(characters):
            if levels[position] < level:
                position += 1
                continue
            end = position
            while end < len(characters) and levels[end] >= level:
                end += 1
            characters[position:end] = characters[position:end][::-1]
            levels[position:end] = levels[position:end][::-1]
            position = end
    return "".join(characters)
