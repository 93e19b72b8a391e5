"""RFC 8785 JSON Canonicalization Scheme (JCS), fast and byte-identical to ``rfc8785``.

RFC 8785 (June 2020):

* §3.2.1 whitespace: none between tokens;
* §3.2.2.1 literals ``null``, ``true``, ``false``;
* §3.2.2.2 strings: only ``"``, ``\\`` and the control characters below U+0020 are
  escaped (``\\b \\t \\n \\f \\r``, the others as ``\\u00xx`` with lower-case hex); every
  other character is written as itself, encoded in UTF-8 (§3.2.4), so a lone surrogate
  is an error;
* §3.2.2.3 numbers: IEEE 754 doubles written as ECMAScript's ``Number::toString``
  (ECMA-262 §6.1.6.1.20): the shortest digit string that reads back as the same
  double, in plain notation for 1e-7 < \\|x\\| < 1e21 and as ``d.ddde±n`` outside,
  ``-0`` as ``0``; NaN and the infinities are errors;
* §3.2.3 object members sorted by their names compared as arrays of UTF-16 code units.

Python values map as the ``rfc8785`` package (0.1.4) maps them, so the output is the
same bytes and the failures are the same inputs: ``None``, ``bool``, ``int`` (only
within ±(2**53 - 1), the integers a double holds exactly; others are an error rather
than a silently rounded number), ``float``, ``str``, ``list``/``tuple`` and ``dict``
(string keys only), subclasses included; anything else is an error. Every error is a
:class:`JcsError`.

How it is fast: a quick walk checks that the value only holds plain ``dict``/``list``/
``str``/safe ``int``/``float``/``bool``/``None`` with member names whose code-point order
is their UTF-16 order (true unless a name holds a character at or above U+D800); such a
value is written by the C JSON encoder of the standard library, whose string escaping
and separators are exactly JCS's. Floats are first swapped (in copies of the objects on
their paths, never in the caller's value) for marker strings, whose tokens are then
replaced by the numbers' ECMAScript text; a document string that could be mistaken for
a marker sends the value to the general writer instead. Anything else (tuples,
subclasses, names whose UTF-16 order differs) takes a Python writer that implements the
rules above, still handing plain sub-trees to the C encoder. A top-level object or array
that passes the walk is written by ``orjson`` instead (same bytes: compact, member names
in code-point order, the same escapes, everything else raw UTF-8; about 5x faster than the
C encoder and straight to bytes), with safe integers enforced and subclasses refused by
orjson as well; anything orjson refuses falls back to the paths above. Before all that, a
value as ``json.loads`` returns it without floats (exact ``dict``/``list``/``str``/``int``/
``bool``/``None``) goes to orjson after a lighter walk that looks at values only: orjson
itself refuses the names and integers JCS cannot take, and its output shows whether any
name could sort differently in UTF-16 (:func:`_plain_bytes`), about half the walk's cost.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import orjson

from microcred.errors import InvalidInput

_c_encode_string: Callable[[str], str] | None
try:  # the C accelerator of the json module (absent on some interpreters)
    from _json import encode_basestring as _c_encode_string
    from _json import make_encoder as _c_make_encoder
except ImportError:  # pragma: no cover - CPython always has _json
    _c_encode_string = None
    _c_make_encoder = None  # type: ignore[assignment,misc]

__all__ = ["MAX_SAFE_INTEGER", "JcsError", "canonicalize", "format_number"]

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer an IEEE 754 double holds exactly (``Number.MAX_SAFE_INTEGER``)."""

_MIN_SAFE = -MAX_SAFE_INTEGER
_MAX_SAFE = MAX_SAFE_INTEGER
_UTF16_ORDER_DIFFERS = re.compile("[\ud800-\U0010ffff]")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_ESCAPES["\t"] = "\\t"
_ESCAPE_RE = re.compile('[\\x00-\\x1f"\\\\]')


class JcsError(InvalidInput, ValueError):
    """The value has no RFC 8785 form (NaN, a huge integer, a non-string key, ...)."""


def _refuse(value: Any) -> JcsError:
    return JcsError(f"RFC 8785 (JCS) cannot represent {type(value).__name__} values")


def _py_encode_string(text: str) -> str:
    """§3.2.2.2 in Python (used only where the C accelerator is missing)."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        return _ESCAPES.get(char) or f"\\u{ord(char):04x}"

    return '"' + _ESCAPE_RE.sub(escape, text) + '"'


_encode_string: Callable[[str], str] = _c_encode_string or _py_encode_string


def _refuse_default(value: Any) -> Any:
    raise _refuse(value)


if _c_make_encoder is not None and _c_encode_string is not None:
    # markers=None: no cycle bookkeeping (the walk before it already refuses cycles
    # by running out of recursion); sort_keys=True; allow_nan=False.
    _c_encoder: Callable[[Any, int], Any] | None = _c_make_encoder(
        None, _refuse_default, _c_encode_string, None, ":", ",", True, False, False
    )
else:  # pragma: no cover
    _c_encoder = None


# ---------------------------------------------------------------- numbers (§3.2.2.3)


def format_number(value: float | int) -> str:
    """ECMAScript ``Number::toString`` of ``value`` as RFC 8785 §3.2.2.3 requires.

    ``int`` values must be safe integers (``|n| <= 2**53 - 1``); ``float`` values must
    be finite. Raises :class:`JcsError` otherwise.
    """
    if isinstance(value, bool):
        raise _refuse(value)
    if isinstance(value, int):
        number = int(value)
        if number < _MIN_SAFE or number > _MAX_SAFE:
            raise JcsError(
                f"the integer {number} is beyond ±(2**53 - 1), so a JSON number (an IEEE "
                "754 double) cannot hold it exactly; send it as a string"
            )
        return str(number)
    if not isinstance(value, float):
        raise _refuse(value)
    return _format_float(float(value))


def _format_float(number: float) -> str:
    if math.isnan(number) or math.isinf(number):
        raise JcsError(f"{number} is not a JSON number (RFC 8785 forbids NaN and Infinity)")
    if number == 0.0:
        return "0"  # also -0.0
    if number < 0.0:
        return "-" + _format_float(-number)
    # repr() is the shortest digit string that reads back as the same double, the
    # nearest one when several are as short: the digits Number::toString uses.
    text = repr(number)
    mantissa, _, exponent_text = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    # value = 0.<digits> * 10**point
    point = len(whole) + (int(exponent_text) if exponent_text else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return digits + "0" * (point - k)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    exponent = point - 1
    sign = "+" if exponent >= 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{sign}{abs(exponent)}"


# ---------------------------------------------------------------- the fast path


class _Exotic(Exception):
    """The value needs the general writer (subclasses, tuples, odd keys, unsafe ints)."""


# A float is replaced by the string "\x00\x1f<n>", which the C encoder writes as the
# token '"\u0000\u001f<n>"'; the tokens are then swapped for the numbers' JCS text.
_FLOAT_MARK = "\x00\x1f"
_FLOAT_TOKEN = '"\\u0000\\u001f'


def _fast_dict(value: dict[Any, Any], floats: list[str]) -> dict[Any, Any]:
    """``value``, or a copy with its floats replaced by marks; :class:`_Exotic` when the
    C encoder would not write it exactly as JCS does."""
    changed: dict[Any, Any] | None = None
    new: Any
    for key, item in value.items():
        if type(key) is not str or (
            not key.isascii() and _UTF16_ORDER_DIFFERS.search(key) is not None
        ):
            raise _Exotic
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is dict:
            new = _fast_dict(item, floats)
            if new is item:
                continue
        elif kind is list:
            new = _fast_list(item, floats)
            if new is item:
                continue
        elif kind is int:
            if item < _MIN_SAFE or item > _MAX_SAFE:
                raise _Exotic
            continue
        elif kind is float:
            new = _FLOAT_MARK + str(len(floats))
            floats.append(_format_float(item))
        else:
            raise _Exotic
        if changed is None:
            changed = dict(value)
        changed[key] = new
    return value if changed is None else changed


def _fast_list(value: list[Any], floats: list[str]) -> list[Any]:
    changed: list[Any] | None = None
    new: Any
    for index, item in enumerate(value):
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is dict:
            new = _fast_dict(item, floats)
            if new is item:
                continue
        elif kind is list:
            new = _fast_list(item, floats)
            if new is item:
                continue
        elif kind is int:
            if item < _MIN_SAFE or item > _MAX_SAFE:
                raise _Exotic
            continue
        elif kind is float:
            new = _FLOAT_MARK + str(len(floats))
            floats.append(_format_float(item))
        else:
            raise _Exotic
        if changed is None:
            changed = list(value)
        changed[index] = new
    return value if changed is None else changed


def _fast(value: Any) -> str | None:
    """The JCS text of ``value`` by the C encoder, or None when it cannot be used."""
    if _c_encoder is None:
        return None
    kind = type(value)
    floats: list[str] = []
    try:
        if kind is dict:
            value = _fast_dict(value, floats)
        elif kind is list:
            value = _fast_list(value, floats)
        elif kind is float:
            return _format_float(value)
        elif kind is int:
            if value < _MIN_SAFE or value > _MAX_SAFE:
                return None
        elif not (kind is str or value is None or kind is bool):
            return None
    except _Exotic:
        return None
    text = "".join(_c_encoder(value, 0))
    return _put_floats(text, floats)


def _put_floats(text: str, floats: list[str]) -> str | None:
    """``text`` with the float marks' tokens swapped for the numbers' JCS text."""
    if floats:
        # A string of the document can only contain a mark token when it ends in one;
        # then there are more tokens than floats and the general writer takes over.
        parts = text.split(_FLOAT_TOKEN)
        if len(parts) != len(floats) + 1:
            return None
        for index in range(1, len(parts)):
            part = parts[index]  # '<n>"...': the mark's number, its closing quote, the rest
            end = part.index('"')
            parts[index] = floats[int(part[:end])] + part[end + 1 :]
        text = "".join(parts)
    return text


_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_SUBCLASS


def _refuse_orjson(value: Any) -> Any:
    raise TypeError(type(value).__name__)


_orjson_dumps: Callable[..., bytes] | None = orjson.dumps


def _fast_bytes(value: Any) -> bytes | None:
    """The JCS bytes of a dict or list by orjson after the same walk as :func:`_fast`.

    orjson (compact, keys sorted by code point, ``"``/``\\``/controls escaped as JCS
    escapes them, everything else raw UTF-8) writes what the C encoder writes, ~5x
    faster and straight to UTF-8; the walk has already refused what it would write
    differently. Any orjson refusal (a lone surrogate, nesting deeper than its limit)
    returns None and the general writer decides.
    """
    kind = type(value)
    if _orjson_dumps is None or not (kind is dict or kind is list):
        return None
    floats: list[str] = []
    try:
        value = _fast_dict(value, floats) if kind is dict else _fast_list(value, floats)
    except _Exotic:
        return None
    try:
        data = _orjson_dumps(value, default=_refuse_orjson, option=_ORJSON_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return None
    if not floats:
        return data
    text = _put_floats(data.decode("utf-8"), floats)
    return None if text is None else text.encode("utf-8")


def _plain(value: dict[Any, Any] | list[Any]) -> bool:
    """True when ``value`` holds nothing but exact ``dict``/``list``/``str``/``int``/``bool``/
    ``None`` (no float, tuple, subclass or other object); values only, names are orjson's."""
    for item in value.values() if type(value) is dict else value:
        kind = type(item)
        if kind is str:
            continue
        if kind is list:
            for inner in item:  # a list of strings (``type``, ``@context``): no call
                if type(inner) is not str:
                    break
            else:
                continue
            if _plain(item):
                continue
            return False
        if kind is dict:
            if _plain(item):
                continue
            return False
        if kind is int or kind is bool or item is None:
            continue
        return False
    return True


_plain_enabled = True  # tests switch the plain path off to exercise the walk behind it


def _plain_bytes(value: Any) -> bytes | None:
    """The JCS bytes of a JSON-parsed dict or list by orjson after a values-only check.

    For a value :func:`_plain` accepts, orjson's output is JCS's (see the module text) once
    three things hold, which orjson itself and one look at its output settle instead of the
    full walk of :func:`_fast_bytes`: member names are exact strings (orjson refuses any
    other key), integers are safe (``OPT_STRICT_INTEGER`` refuses the rest, bounds equal to
    :data:`MAX_SAFE_INTEGER`), and code-point order is UTF-16 order. The last holds unless
    a character in U+E000..U+FFFF meets one beyond U+FFFF; such a character is written as
    UTF-8 starting with byte 0xEE or 0xEF (bytes nothing else produces: continuation bytes
    are below 0xC0), so output without those bytes is sorted right. Any refusal, a cycle
    (recursion runs out) or such a byte returns None and the other paths decide.
    """
    kind = type(value)
    if _orjson_dumps is None or not _plain_enabled or not (kind is dict or kind is list):
        return None
    try:
        if not _plain(value):
            return None
        data = _orjson_dumps(value, default=_refuse_orjson, option=_ORJSON_OPTIONS)
    except (RecursionError, orjson.JSONEncodeError, TypeError):
        return None
    if b"\xee" in data or b"\xef" in data:
        return None
    return data


# ---------------------------------------------------------------- the general writer


def _utf16_key(item: tuple[str, Any]) -> bytes:
    return item[0].encode("utf-16-be")


def _write(value: Any, out: list[str]) -> None:
    """Append the JCS text of ``value`` to ``out`` (any value ``rfc8785`` accepts)."""
    fast = _fast(value)
    if fast is not None:
        out.append(fast)
        return
    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(format_number(value))
    elif isinstance(value, str):
        out.append(_encode_string(str.__str__(value)))
    elif isinstance(value, float):
        out.append(_format_float(float(value)))
    elif isinstance(value, list | tuple):
        items = list(value)
        out.append("[")
        for index, item in enumerate(items):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, dict):
        members = list(dict(value).items())
        for key, _ in members:
            if not isinstance(key, str):
                raise JcsError(
                    f"JSON object member names must be strings, not {type(key).__name__}"
                )
        if any(not key.isascii() for key, _ in members):
            try:
                members.sort(key=_utf16_key)
            except UnicodeEncodeError:
                raise JcsError(
                    "an object member name contains a lone surrogate, which is not Unicode text"
                ) from None
        else:
            members.sort(key=lambda member: member[0])
        out.append("{")
        for index, (key, item) in enumerate(members):
            if index:
                out.append(",")
            out.append(_encode_string(str.__str__(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    else:
        raise _refuse(value)


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``.

    Byte-identical to ``rfc8785.dumps(value)``; raises :class:`JcsError` exactly where
    ``rfc8785.dumps`` raises (values JSON cannot hold, non-string keys, lone
    surrogates, cycles or nesting deeper than the recursion limit).
    """
    try:
        data = _plain_bytes(value)
        if data is None:
            data = _fast_bytes(value)
        if data is not None:
            return data
        text = _fast(value)
        if text is None:
            out: list[str] = []
            _write(value, out)
            text = "".join(out)
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise JcsError(
            "the value contains a lone surrogate (half of a UTF-16 pair), which is not "
            "Unicode text and has no UTF-8 form"
        ) from None
    except RecursionError:
        raise JcsError(
            "the value is nested too deeply or contains itself, so it has no JSON form"
        ) from None
