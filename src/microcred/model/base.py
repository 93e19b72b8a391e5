"""The base of every microcred data model: strict, immutable, spec-cased JSON.

* Strict: wrong types are not coerced (``"3"`` is not a number, ``1`` is not ``true``),
  unknown properties are rejected, and the error names the JSON path of each problem.
* Immutable: an instance is validated once, on construction, and cannot change
  afterwards, so an invalid instance cannot exist.
* Python attributes are snake_case; JSON keeps the spec's camelCase through aliases.
  Both spellings are accepted on construction; ``to_json()`` always writes the spec's.
* ``from_json(obj)`` / ``to_json()`` round-trip: values are kept as given (dates are not
  re-formatted, a ``type`` given as a string stays a string, ``36`` stays an integer), so
  re-serialising a signed credential never changes what the signature covers.

Every validation failure raises :class:`microcred.errors.InvalidInput` (never a pydantic
exception) with a readable ``detail`` and the list of problems in ``errors``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

from microcred.errors import InvalidInput

__all__ = ["StrictModel", "format_validation_error"]

_DEPTH: ContextVar[int] = ContextVar("microcred_model_depth", default=0)

_TYPE_MESSAGES = {
    "missing": "is required but missing",
    "extra_forbidden": "is not a known property here",
    "string_type": "must be a string",
    "int_type": "must be a number",
    "float_type": "must be a number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "too_short": "must not be empty",
}
# Errors that only say "wrong kind of value"; inside a union they are noise when another
# alternative of the same union reports a more precise problem deeper down.
_SHALLOW = {
    "string_type",
    "int_type",
    "float_type",
    "bool_type",
    "list_type",
    "dict_type",
    "model_type",
    "model_attributes_type",
    "literal_error",
}


def _is_union_tag(part: str) -> bool:
    """Pydantic adds the name of each union member to an error location; drop those."""
    if any(ch in part for ch in "[](),"):
        return True
    if part in {"str", "int", "float", "bool", "dict", "list", "none"}:
        return True
    # Model names (union members) are CamelCase; JSON property names are camelCase or '@...'.
    return part[:1].isupper()


def _path(loc: tuple[int | str, ...], keep_last: bool) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        last = i == len(loc) - 1
        if _is_union_tag(part) and not (keep_last and last):
            continue
        out += ("." if out else "") + part
    return out or "(document)"


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    if kind in ("value_error", "assertion_error"):
        msg = str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        return msg
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"must be {expected}"
    return _TYPE_MESSAGES.get(kind, str(err["msg"]))


def format_validation_error(exc: ValidationError, what: str) -> InvalidInput:
    """Translate a pydantic ``ValidationError`` into our ``InvalidInput``."""
    raw = [
        (_path(tuple(e["loc"]), keep_last=e["type"] == "extra_forbidden"), e["type"], _message(e))
        for e in exc.errors()
    ]
    paths = {p for p, _, _ in raw}
    problems: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for path, kind, msg in raw:
        if kind in _SHALLOW and any(
            other != path and (other.startswith(path + ".") or other.startswith(path + "["))
            for other in paths
        ):
            continue
        if (path, msg) in seen:
            continue
        seen.add((path, msg))
        problems.append({"path": path, "message": msg})
    # Several alternatives of one union failing at the same path: join them with "or".
    merged: dict[str, list[str]] = {}
    for p in problems:
        merged.setdefault(p["path"], []).append(p["message"])
    errors = [{"path": k, "message": " or ".join(v)} for k, v in merged.items()]
    lines = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
    return InvalidInput(f"invalid {what}: {lines}", errors=errors)


class StrictModel(BaseModel):
    """Base class: strict validation, unknown keys rejected, immutable, camelCase JSON."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        revalidate_instances="never",
        hide_input_in_errors=True,
    )

    def __init__(self, /, **data: Any) -> None:
        # Pydantic calls this __init__ for nested models too; only the outermost call
        # translates, so that the nested errors are merged (with their paths) first.
        token = _DEPTH.set(_DEPTH.get() + 1)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if _DEPTH.get() == 1:
                raise format_validation_error(exc, type(self).__name__) from None
            raise
        finally:
            _DEPTH.reset(token)

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Validate a parsed JSON value (a ``dict``) or a JSON text and build the model."""
        if isinstance(obj, str | bytes):
            try:
                obj = json.loads(obj)
            except ValueError as exc:
                raise InvalidInput(f"invalid {cls.__name__}: not valid JSON ({exc})") from None
        if not isinstance(obj, dict):
            raise InvalidInput(
                f"invalid {cls.__name__}: expected a JSON object, got {type(obj).__name__}"
            )
        try:
            return cls.model_validate(obj)
        except ValidationError as exc:
            raise format_validation_error(exc, cls.__name__) from None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update`` the result is validated like a new instance."""
        if not update:
            return super().model_copy(deep=deep)
        data: dict[str, Any] = {name: getattr(self, name) for name in type(self).model_fields}
        if self.model_extra:
            data.update(self.model_extra)
        data.update(update)
        return type(self)(**data)

    def to_json(self) -> dict[str, Any]:
        """The JSON object with the spec's property names; absent properties are omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
