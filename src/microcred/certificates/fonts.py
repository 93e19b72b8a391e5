"""Which TrueType fonts the certificate PDF and the generated PNG badge draw with.

The product ships no fonts of its own. It uses, in this order:

1. DejaVu Sans from the operating system (Debian ``fonts-dejavu-core``:
   ``/usr/share/fonts/truetype/dejavu``), which covers Latin, Greek, Cyrillic, Hebrew and
   Arabic letters;
2. Bitstream Vera, which ``reportlab`` bundles in its package (Western European letters).

``MICROCRED_FONT_DIR`` may name a directory holding ``DejaVuSans.ttf`` and
``DejaVuSans-Bold.ttf`` (or any two files with those names) to use instead. Letters a font
lacks are drawn as empty boxes; right-to-left scripts are drawn in logical order (no bidi
reordering or Arabic shaping).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

__all__ = ["FONT_DIR_ENV", "FontFiles", "font_files"]

FONT_DIR_ENV = "MICROCRED_FONT_DIR"
_SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True, slots=True)
class FontFiles:
    """A regular and a bold TrueType font file and the family name to register them as."""

    family: str
    regular: Path
    bold: Path


def _reportlab_fonts() -> Path | None:
    spec = find_spec("reportlab")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "fonts"


def _pair(directory: Path, regular: str, bold: str, family: str) -> FontFiles | None:
    first, second = directory / regular, directory / bold
    if first.is_file() and second.is_file():
        return FontFiles(family, first, second)
    return None


@cache
def font_files() -> FontFiles:
    """The fonts to use (see the module docstring); cached for the process."""
    configured = os.environ.get(FONT_DIR_ENV, "").strip()
    candidates: list[FontFiles | None] = []
    if configured:
        candidates.append(
            _pair(Path(configured), "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "MicrocredSans")
        )
    candidates.append(
        _pair(_SYSTEM_DEJAVU, "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "MicrocredSans")
    )
    bundled = _reportlab_fonts()
    if bundled is not None:
        candidates.append(_pair(bundled, "Vera.ttf", "VeraBd.ttf", "MicrocredSans"))
    for candidate in candidates:
        if candidate is not None:
            return candidate
    raise FileNotFoundError(
        "no TrueType font found: install fonts-dejavu-core or set MICROCRED_FONT_DIR"
    )
