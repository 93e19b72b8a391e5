"""European formats: ELM v3 / EDC export, signing, sealing hook and JAdES recognition.

See docs/eu-formats.md and docs/adr/0006-elm-export-and-signing.md. Framework-free.
"""

from __future__ import annotations

from microcred.elm.export import to_elm

__all__ = ["to_elm"]
