"""The EU elements of a European Digital Credential, for the public verifier's page.

:func:`elm_section` reads a submitted document the way
:func:`microcred.services.elm.show_elm` does (a plain ELM v3 credential, or one inside a
JAdES / JWS envelope, whose seal is not checked) but without verifying it again: the page has
its report already. ``None`` when the document is no European Digital Credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from microcred.elm.reading import ElmView, is_elm, read_elm
from microcred.elm.sealing import open_sealed

__all__ = ["ElmSection", "elm_section"]


@dataclass(frozen=True)
class ElmSection:
    view: ElmView
    #: inside a JAdES / JWS envelope (an eIDAS seal this verifier does not check)
    sealed: bool
    #: "JAdES" or "JWS" (for the page's sentence), when sealed
    seal_kind: str | None


def elm_section(document: object) -> ElmSection | None:
    sealed = open_sealed(document)
    inner = sealed.payload if sealed is not None else document
    if not isinstance(inner, Mapping) or not is_elm(inner):
        return None
    kind = None
    if sealed is not None:
        kind = "JAdES" if sealed.jades else "JWS"
    return ElmSection(read_elm(inner), sealed is not None, kind)
