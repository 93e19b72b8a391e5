"""Open Badges 3.0 structural check (required fields of the OB data model).

1EdTech Open Badges Specification 3.0, Appendix B.1 (Credential data model):
``AchievementCredential`` / ``OpenBadgeCredential`` require ``id``, ``type``,
``issuer`` (a URI or a ``Profile`` with ``id`` and ``type``), ``validFrom`` and a
``credentialSubject`` (``AchievementSubject``: ``type``, ``achievement``, and an
``id`` or an ``identifier``); an ``Achievement`` requires ``id``, ``type``,
``criteria`` (with ``id`` or ``narrative``), ``description`` and ``name``.
``EndorsementCredential`` requires ``name`` and an ``EndorsementSubject`` with
``id`` and ``type``. The rules are written as code: the official JSON schema files
are test material, never read at run time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microcred.verification import codes
from microcred.verification.checks.base import (
    CheckContext,
    as_list,
    credential_version,
    type_values,
)
from microcred.verification.report import CheckResult

__all__ = ["OB_CONTEXT_PREFIX", "OpenBadgesCheck", "openbadges_problems"]

OB_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"
_ACHIEVEMENT_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
_ENDORSEMENT_TYPE = "EndorsementCredential"


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, path: str, problem: str) -> None:
        self.items.append({"path": path, "problem": problem})

    def need_text(self, node: Mapping[str, Any], key: str, path: str) -> None:
        value = node.get(key)
        if not isinstance(value, str) or not value.strip():
            self.add(f"{path}.{key}", "missing" if key not in node else "must be text")

    def need_type(self, node: Mapping[str, Any], required: str, path: str) -> None:
        if required not in type_values(node):
            self.add(f"{path}.type", f"must include {required}")

    def need_id(self, node: Mapping[str, Any], path: str) -> None:
        if not isinstance(node.get("id"), str):
            self.add(f"{path}.id", "missing")


def _check_issuer(credential: Mapping[str, Any], problems: _Problems) -> None:
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        problems.need_id(issuer, "issuer")
        problems.need_type(issuer, "Profile", "issuer")
    elif not isinstance(issuer, str):
        problems.add("issuer", "missing")


def _check_achievement(achievement: Any, path: str, problems: _Problems) -> None:
    if not isinstance(achievement, Mapping):
        problems.add(path, "missing" if achievement is None else "must be an object")
        return
    problems.need_id(achievement, path)
    problems.need_type(achievement, "Achievement", path)
    problems.need_text(achievement, "name", path)
    problems.need_text(achievement, "description", path)
    criteria = achievement.get("criteria")
    if not isinstance(criteria, Mapping):
        problems.add(f"{path}.criteria", "missing" if criteria is None else "must be an object")
    elif not isinstance(criteria.get("id"), str) and not isinstance(criteria.get("narrative"), str):
        problems.add(f"{path}.criteria", "needs an id or a narrative")
    for index, alignment in enumerate(as_list(achievement.get("alignment"))):
        where = f"{path}.alignment[{index}]"
        if not isinstance(alignment, Mapping):
            problems.add(where, "must be an object")
            continue
        problems.need_type(alignment, "Alignment", where)
        problems.need_text(alignment, "targetName", where)
        problems.need_text(alignment, "targetUrl", where)
    image = achievement.get("image")
    if image is not None:
        _check_image(image, f"{path}.image", problems)


def _check_image(image: Any, path: str, problems: _Problems) -> None:
    if not isinstance(image, Mapping):
        problems.add(path, "must be an object")
        return
    problems.need_id(image, path)
    problems.need_type(image, "Image", path)


def _check_achievement_subject(credential: Mapping[str, Any], problems: _Problems) -> None:
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        problems.add("credentialSubject", "must be one object")
        return
    path = "credentialSubject"
    problems.need_type(subject, "AchievementSubject", path)
    if not isinstance(subject.get("id"), str) and not as_list(subject.get("identifier")):
        problems.add(path, "needs an id or an identifier")
    _check_achievement(subject.get("achievement"), f"{path}.achievement", problems)
    for index, result in enumerate(as_list(subject.get("result"))):
        where = f"{path}.result[{index}]"
        if not isinstance(result, Mapping):
            problems.add(where, "must be an object")
        else:
            problems.need_type(result, "Result", where)


def _check_endorsement_subject(credential: Mapping[str, Any], problems: _Problems) -> None:
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        problems.add("credentialSubject", "must be one object")
        return
    problems.need_id(subject, "credentialSubject")
    problems.need_type(subject, "EndorsementSubject", "credentialSubject")


def openbadges_problems(credential: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every missing or malformed OB 3.0 required field, as ``{"path", "problem"}``."""
    problems = _Problems()
    types = set(type_values(credential))
    contexts = [c for c in as_list(credential.get("@context")) if isinstance(c, str)]
    if not any(c.startswith(OB_CONTEXT_PREFIX) for c in contexts):
        problems.add("@context", "must include an Open Badges 3.0 context")
    problems.need_id(credential, "credential")
    start = "issuanceDate" if credential_version(credential) == "1.1" else "validFrom"
    if start not in credential:
        problems.add(start, "missing")
    _check_issuer(credential, problems)
    if types & _ACHIEVEMENT_TYPES:
        _check_achievement_subject(credential, problems)
    else:
        problems.need_text(credential, "name", "credential")
        _check_endorsement_subject(credential, problems)
    for index, evidence in enumerate(as_list(credential.get("evidence"))):
        if isinstance(evidence, Mapping):
            problems.need_type(evidence, "Evidence", f"evidence[{index}]")
    image = credential.get("image")
    if image is not None:
        _check_image(image, "image", problems)
    return problems.items


class OpenBadgesCheck:
    """``schema.openbadges``: required Open Badges 3.0 fields (skipped for other credentials)."""

    family = codes.FAMILY_SCHEMA

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        code = codes.SCHEMA_OPENBADGES
        types = set(type_values(credential))
        if not types & (_ACHIEVEMENT_TYPES | {_ENDORSEMENT_TYPE}):
            return [
                CheckResult.skipped(
                    code, "Not an Open Badges credential: no badge fields to check."
                )
            ]
        problems = openbadges_problems(credential)
        if problems:
            listed = "; ".join(f"{p['path']} {p['problem']}" for p in problems[:3])
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            return [
                CheckResult.failed(
                    code,
                    "The badge is missing information the Open Badges 3.0 standard requires: "
                    f"{listed}{more}.",
                    problems=problems,
                )
            ]
        return [
            CheckResult.passed(
                code,
                "The badge has every field the Open Badges 3.0 standard requires.",
            )
        ]
