"""RDF terms as canonical N-Quads text, exactly as the full path (pyld 3.3) writes them.

* Literals (JSON-LD 1.1 API, section 8.6 "Object to RDF Conversion"): booleans become
  ``"true"``/``"false"`` (``xsd:boolean``), numbers with a fractional part or at least
  10^21 become canonical ``xsd:double`` (``1.5E0``), other numbers ``xsd:integer``;
  a value typed ``xsd:double`` is converted to a double as well.
* Serialisation (RDFC-1.0, section 4.6 "Hash First Degree Quads" and the canonical
  N-Quads form of RDF 1.1 N-Quads): ``<iri>``, ``"escaped"``, ``"escaped"@lang``,
  ``"escaped"^^<datatype>``; ``xsd:string`` is implicit. The escaping is pyld's:
  backslash, tab, line feed, carriage return and double quote.
* Identifiers: a string in an ``@id`` position is kept unchanged by IRI expansion
  (JSON-LD 1.1 API, section 5.2.2 "IRI Expansion") only when it is an absolute IRI
  whose prefix is not a term usable as a prefix; :func:`iri_unchanged` tells which
  values are safe to copy without running the expansion.

Everything here is pure and small; the tests compare each function with pyld on random
input (``tests/unit/jsonld_fast/test_fast_terms.py``).
"""

from __future__ import annotations

import re
from collections.abc import Container
from typing import Final

__all__ = [
    "RDF_FIRST",
    "RDF_LANGSTRING",
    "RDF_NIL",
    "RDF_REST",
    "RDF_TYPE",
    "XSD_BOOLEAN",
    "XSD_DOUBLE",
    "XSD_INTEGER",
    "XSD_STRING",
    "canonical_double",
    "escape_literal",
    "is_absolute_iri",
    "iri_unchanged",
    "literal_suffix",
    "literal_term",
    "value_lexical",
]

XSD: Final = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING: Final = XSD + "string"
XSD_BOOLEAN: Final = XSD + "boolean"
XSD_INTEGER: Final = XSD + "integer"
XSD_DOUBLE: Final = XSD + "double"
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE: Final = RDF + "type"
RDF_LANGSTRING: Final = RDF + "langString"
RDF_FIRST: Final = RDF + "first"
RDF_REST: Final = RDF + "rest"
RDF_NIL: Final = RDF + "nil"

# The absolute-IRI test of pyld (and of the safe-mode audit): a scheme, a colon, no
# whitespace. ``$`` also matches before a final newline, exactly as there.
_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_DOUBLE_TIDY: Final = re.compile(r"(\d)0*E\+?(-)?0*(\d)")
# IRIs the safe-mode audit reads as markers of an undefined term / a relative IRI.
_AUDIT_MARKERS: Final = ("urn:microcred:undefined-term:", "http://relative-iri.microcred.invalid/")


def is_absolute_iri(value: str) -> bool:
    """pyld's (and the audit's) test: ``scheme:`` followed by no whitespace."""
    return _ABSOLUTE_IRI.match(value) is not None


def iri_unchanged(value: str, prefixes: Container[str]) -> bool:
    """Whether IRI expansion (not vocabulary-relative) returns ``value`` itself, and
    the result is an absolute IRI that becomes an RDF IRI unchanged.

    ``prefixes`` holds the terms of the active context that may act as a prefix of a
    compact IRI. False for blank node identifiers (``_:x``), relative IRIs, compact IRIs
    and anything the safe-mode audit would report: the caller then takes the full path.
    """
    colon = value.find(":")
    if colon <= 0:
        return False
    prefix = value[:colon]
    if prefix == "_" or _ABSOLUTE_IRI.match(value) is None:
        return False
    if prefix in prefixes and not value.startswith("//", colon + 1):
        return False
    return not value.startswith(_AUDIT_MARKERS)


_NEEDS_ESCAPE: Final = re.compile(r'[\\\t\n\r"]')


def escape_literal(value: str) -> str:
    """The N-Quads string escaping pyld applies (backslash first)."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace('"', '\\"')
    )


def canonical_double(value: float | int) -> str:
    """Canonical ``xsd:double`` lexical form: one digit, a fraction, ``E``, an exponent
    without ``+`` or leading zeros (``1.5E0``, ``-1.0E-7``, ``1.0E21``)."""
    return _DOUBLE_TIDY.sub(r"\1E\2\3", f"{value:1.15E}")


def value_lexical(value: str | int | float | bool, datatype: str | None) -> tuple[str, str]:
    """(lexical form, datatype IRI) of a JSON-LD value object's ``@value`` (no language).

    Raises ``OverflowError`` where pyld does (a huge integer as a double): the caller
    then takes the full path, which raises the same way.
    """
    if value is True or value is False:
        return ("true" if value else "false"), datatype or XSD_BOOLEAN
    if isinstance(value, float) and not value.is_integer():
        return canonical_double(value), datatype or XSD_DOUBLE
    if datatype == XSD_DOUBLE:
        try:
            number = float(value)
        except ValueError:
            return str(value), XSD_DOUBLE
        return canonical_double(number), XSD_DOUBLE
    if isinstance(value, int | float):
        if abs(value) >= 1e21:
            return canonical_double(value), datatype or XSD_DOUBLE
        return str(int(value)), datatype or XSD_INTEGER
    return value, datatype or XSD_STRING


def literal_suffix(datatype: str, language: str | None) -> str:
    """What follows the closing quote: ``@lang``, ``^^<datatype>`` or nothing (pyld
    writes an ``rdf:langString`` literal without a language as a plain string)."""
    if datatype == RDF_LANGSTRING:
        return "@" + language if language else ""
    if datatype == XSD_STRING:
        return ""
    return "^^<" + datatype + ">"


def literal_term(
    value: str | int | float | bool, datatype: str | None, language: str | None
) -> str:
    """The serialised literal for a value object (``@language`` only with strings)."""
    if language is not None and isinstance(value, str):
        if datatype is not None:
            raise ValueError("a literal has either a datatype or a language")
        return '"' + escape_literal(value) + '"' + literal_suffix(RDF_LANGSTRING, language)
    lexical, dt = value_lexical(value, datatype)
    return '"' + escape_literal(lexical) + '"' + literal_suffix(dt, None)
