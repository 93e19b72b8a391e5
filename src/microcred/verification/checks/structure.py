"""Structure checks: the JSON shape of a credential.

Follows W3C Verifiable Credentials Data Model 2.0: §4.3 Contexts (first entry is
the VC 2.0 context; VC 1.1 credentials, whose first entry is the 2018 context,
are read too), §4.4 Identifiers (absolute URLs), §4.5 Types, §4.6 Names, §4.7
Issuer, §4.8 Credential Subject, §4.9 Validity Period (``dateTimeStamp``), §4.10
Status, §4.11 Data Schemas, §5.3 Integrity of Related Resources, §5.4 Refreshing,
§5.5 Terms of Use, §5.6 Evidence (their ``type``), and the reserved extension
points ``renderMethod`` / ``confidenceMethod``. VC Data Model 1.1 §4.6 / §4.7 for
``issuanceDate`` / ``expirationDate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from microcred.verification import codes
from microcred.verification.checks.base import (
    VC_V2,
    CheckContext,
    as_list,
    attempt,
    credential_version,
    is_absolute_iri,
    parse_date_time_stamp,
    type_values,
    validity_fields,
)
from microcred.verification.report import CheckFailed, CheckResult

__all__ = ["MAX_DEPTH", "StructureCheck", "check_object"]

#: Deeper nesting than this is refused (no real credential comes close).
MAX_DEPTH = 64

_RESERVED_SHAPES: dict[str, tuple[str, ...]] = {
    "credentialStatus": ("type",),
    "credentialSchema": ("id", "type"),
    "evidence": ("type",),
    "termsOfUse": ("type",),
    "refreshService": ("type",),
    "renderMethod": ("type",),
    "confidenceMethod": ("type",),
    "relatedResource": ("id",),
}
_TOP_LEVEL_KEYWORDS = ("@id", "@type", "@graph", "@included", "@reverse", "@nest")


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, Mapping):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


def check_object(value: object, *, what: str = "credential") -> CheckResult:
    """``structure.object``: the input is one JSON object of sane depth."""
    if not isinstance(value, Mapping):
        kind = {list: "a list", str: "a text string", bool: "true or false"}.get(
            type(value), "a number" if isinstance(value, int | float) else "empty (null)"
        )
        return CheckResult.failed(
            codes.STRUCTURE_OBJECT,
            f"This is not a {what}: a {what} is a JSON object, but this is {kind}.",
            json_type=type(value).__name__,
        )
    if not all(isinstance(k, str) for k in value):
        return CheckResult.failed(
            codes.STRUCTURE_OBJECT, f"This is not a {what}: some field names are not text."
        )
    if _depth_exceeds(value, MAX_DEPTH):
        return CheckResult.failed(
            codes.STRUCTURE_OBJECT,
            f"This is not a {what}: its data is nested more than {MAX_DEPTH} levels deep.",
            max_depth=MAX_DEPTH,
        )
    return CheckResult.passed(codes.STRUCTURE_OBJECT, f"The {what} is a JSON object.")


def _context(credential: Mapping[str, Any]) -> CheckResult:
    code = codes.STRUCTURE_CONTEXT
    if "@context" not in credential:
        raise CheckFailed(
            code, "The credential does not declare its vocabulary: @context is missing."
        )
    entries = as_list(credential["@context"])
    if not entries:
        raise CheckFailed(code, "The credential's @context is empty.")
    for index, entry in enumerate(entries):
        if not (isinstance(entry, str) and entry) and not isinstance(entry, Mapping):
            raise CheckFailed(
                code,
                f"Entry {index + 1} of the credential's @context is neither a URL nor an object.",
                index=index,
            )
    urls = [e for e in entries if isinstance(e, str)]
    version = credential_version(credential)
    if version == "2.0":
        message = "The credential follows the W3C Verifiable Credentials Data Model 2.0."
    elif version == "1.1":
        message = (
            "The credential follows the W3C Verifiable Credentials Data Model 1.1 "
            "(an older version, still accepted)."
        )
    else:
        raise CheckFailed(
            code,
            "The credential does not start with the W3C Verifiable Credentials context "
            f"({VC_V2}); its first @context entry is {_show(entries[0])}.",
            first=entries[0] if isinstance(entries[0], str) else None,
        )
    return CheckResult.passed(code, message, version=version, contexts=urls)


def _type(credential: Mapping[str, Any]) -> CheckResult:
    code = codes.STRUCTURE_TYPE
    if "type" not in credential:
        raise CheckFailed(
            code, "This is not a verifiable credential: it does not say what it is (no type)."
        )
    raw = as_list(credential["type"])
    if not raw or not all(isinstance(t, str) and t for t in raw):
        raise CheckFailed(code, "The credential's type must be a list of names.")
    types = type_values(credential)
    if "VerifiableCredential" not in types:
        raise CheckFailed(
            code,
            "This is not a verifiable credential: its type does not include VerifiableCredential.",
            types=types,
        )
    specific = [t for t in types if t != "VerifiableCredential"]
    what = ", ".join(specific) if specific else "VerifiableCredential"
    return CheckResult.passed(code, f"This is a verifiable credential ({what}).", types=types)


def _issuer(credential: Mapping[str, Any]) -> CheckResult:
    code = codes.STRUCTURE_ISSUER
    if "issuer" not in credential:
        raise CheckFailed(code, "The credential does not say who issued it (no issuer).")
    issuer = credential["issuer"]
    name: str | None = None
    if isinstance(issuer, str):
        ident = issuer
    elif isinstance(issuer, Mapping):
        if "id" not in issuer:
            raise CheckFailed(code, "The issuer is described but has no identifier (issuer.id).")
        ident = issuer["id"]
        raw_name = issuer.get("name")
        name = raw_name if isinstance(raw_name, str) else None
    else:
        raise CheckFailed(code, "The issuer must be an identifier or an object with an id.")
    if not is_absolute_iri(ident):
        raise CheckFailed(
            code,
            f"The issuer identifier {_show(ident)} is not a complete web address (URL) or DID.",
            issuer=ident if isinstance(ident, str) else None,
        )
    who = f'"{name}" ({ident})' if name else ident
    return CheckResult.passed(code, f"The credential names its issuer: {who}.", issuer=ident)


def _subject(credential: Mapping[str, Any]) -> CheckResult:
    code = codes.STRUCTURE_SUBJECT
    if "credentialSubject" not in credential:
        raise CheckFailed(
            code, "The credential does not say whom it is about (no credentialSubject)."
        )
    subjects = as_list(credential["credentialSubject"])
    if not subjects:
        raise CheckFailed(code, "The credential's credentialSubject is empty.")
    for subject in subjects:
        if not isinstance(subject, Mapping):
            raise CheckFailed(code, "Each credentialSubject must be an object.")
        if not subject:
            raise CheckFailed(code, "A credentialSubject has no content.")
    ids = [s["id"] for s in subjects if isinstance(s.get("id"), str)]
    if len(subjects) == 1:
        message = (
            f"The credential says whom it is about ({ids[0]})."
            if ids
            else "The credential says whom it is about."
        )
    else:
        message = f"The credential is about {len(subjects)} subjects."
    return CheckResult.passed(code, message, subjects=ids)


def _identifier_problems(credential: Mapping[str, Any]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    stack: list[tuple[Any, str]] = [(credential, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "@context":
                    continue
                where = f"{path}.{key}" if path else str(key)
                if key in ("id", "@id") and not is_absolute_iri(value):
                    problems.append({"path": where, "value": value})
                    continue
                if key in ("issuer", "holder") and isinstance(value, str):
                    if not is_absolute_iri(value):
                        problems.append({"path": where, "value": value})
                    continue
                stack.append((value, where))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node))
    problems.sort(key=lambda p: str(p["path"]))
    return problems


def _ids(credential: Mapping[str, Any]) -> CheckResult:
    code = codes.STRUCTURE_IDS
    problems = _identifier_problems(credential)
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CheckFailed(
            code,
            f"The identifier {_show(first['value'])} at {first['path']} is not a complete "
            f"web address (URL) or DID{more}.",
            invalid=problems,
        )
    return CheckResult.passed(code, "Every identifier is a complete web address (URL) or DID.")


def _dates(credential: Mapping[str, Any]) -> CheckResult:
    code = codes.STRUCTURE_DATES
    fields = validity_fields(credential)
    if not fields.timezone_required and "issuanceDate" not in credential:
        raise CheckFailed(
            code,
            "The credential does not say when it was issued (issuanceDate is "
            "required by Verifiable Credentials 1.1).",
        )
    parsed: dict[str, datetime] = {}
    for key in fields.starts + fields.ends:
        if key not in credential:
            continue
        try:
            parsed[key] = parse_date_time_stamp(
                credential[key], timezone_required=fields.timezone_required
            )
        except ValueError as why:
            raise CheckFailed(
                code,
                f"The date {key} ({_show(credential[key])}) cannot be read: {why}.",
                field=key,
                value=credential[key] if isinstance(credential[key], str) else None,
            ) from None
    for start_key in fields.starts:
        for end_key in fields.ends:
            start, end = parsed.get(start_key), parsed.get(end_key)
            if start is not None and end is not None and end < start:
                raise CheckFailed(
                    code,
                    f"The credential's validity ends ({credential[end_key]}) before it "
                    f"starts ({credential[start_key]}).",
                    **{start_key: credential[start_key], end_key: credential[end_key]},
                )
    if not parsed:
        return CheckResult.passed(code, "The credential has no validity dates to read.")
    return CheckResult.passed(
        code,
        "The credential's dates are well formed.",
        **{key: credential[key] for key in parsed},
    )


def _reserved(credential: Mapping[str, Any]) -> CheckResult:
    code = codes.STRUCTURE_RESERVED
    for keyword in _TOP_LEVEL_KEYWORDS:
        if keyword in credential:
            raise CheckFailed(
                code,
                f"The credential uses the JSON-LD keyword {keyword} at its top level, which "
                "a verifiable credential must express with its standard properties instead.",
                keyword=keyword,
            )
    seen = []
    for prop, required in _RESERVED_SHAPES.items():
        if prop not in credential:
            continue
        seen.append(prop)
        entries = as_list(credential[prop])
        if not entries:
            raise CheckFailed(code, f"The credential's {prop} is empty.", property=prop)
        for index, entry in enumerate(entries):
            where = prop if len(entries) == 1 else f"{prop} entry {index + 1}"
            if not isinstance(entry, Mapping):
                raise CheckFailed(code, f"The {where} must be an object.", property=prop)
            for field in required:
                if field not in entry:
                    raise CheckFailed(
                        code, f"The {where} has no {field}.", property=prop, missing=field
                    )
            if prop == "relatedResource" and not (
                "digestSRI" in entry or "digestMultibase" in entry
            ):
                raise CheckFailed(
                    code,
                    f"The {where} gives no digest (digestSRI or digestMultibase) to check "
                    "the resource against.",
                    property=prop,
                )
    if not seen:
        return CheckResult.passed(code, "No optional standard properties to check.")
    return CheckResult.passed(
        code, "The optional standard properties are well formed.", properties=seen
    )


def _proof(credential: Mapping[str, Any]) -> CheckResult:
    code = codes.STRUCTURE_PROOF
    if "proof" not in credential:
        raise CheckFailed(
            code,
            "The credential carries no digital signature (no proof), so nothing shows who "
            "issued it or that it has not been changed.",
        )
    proofs = as_list(credential["proof"])
    if not proofs:
        raise CheckFailed(code, "The credential's proof is empty.")
    for index, proof in enumerate(proofs):
        if not isinstance(proof, Mapping) or not isinstance(proof.get("type"), str):
            raise CheckFailed(
                code,
                f"Proof {index + 1} of the credential is not a proof object with a type.",
                index=index,
            )
    count = len(proofs)
    noun = "proof" if count == 1 else "proofs"
    return CheckResult.passed(
        code,
        f"The credential carries {count} {noun} (digital signature or other).",
        count=count,
        types=[p["type"] for p in proofs],
    )


_STEPS: tuple[Callable[[Mapping[str, Any]], CheckResult], ...] = (
    _context,
    _type,
    _issuer,
    _subject,
    _ids,
    _dates,
    _reserved,
    _proof,
)


def _show(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 80 else value[:77] + "..."
        return f'"{shown}"'
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "empty" if value is None else str(value)


class StructureCheck:
    """The ``structure.*`` checks (the credential's JSON shape); needs no I/O."""

    family = codes.FAMILY_STRUCTURE

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        return [attempt(partial(step, credential)) for step in _STEPS]

    @staticmethod
    def is_credential(results: Sequence[CheckResult]) -> bool:
        """False when the type check failed: the input is not a credential at all."""
        return not any(r.code == codes.STRUCTURE_TYPE and r.outcome == "failed" for r in results)
