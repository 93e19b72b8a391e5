"""Who may do what: roles, permissions and the principal that carries them.

Access control is enforced here, in the service layer, not only in routes. The rule for
tenant isolation: a principal that is not a member of an issuer gets :class:`NotFound` for
anything of that issuer (we do not reveal that it exists); a member whose role (or a token
whose scopes) lacks the permission gets :class:`PermissionDenied`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from microcred.errors import NotFound, PermissionDenied
from microcred.storage.tables import Role

__all__ = ["ROLE_PERMISSIONS", "Permission", "Principal", "Role", "require", "require_operator"]


class Permission(StrEnum):
    ISSUER_READ = "issuer:read"
    ISSUER_MANAGE = "issuer:manage"
    KEYS_MANAGE = "keys:manage"
    STAFF_MANAGE = "staff:manage"
    TOKENS_MANAGE = "tokens:manage"
    AUDIT_READ = "audit:read"
    DEFINITION_READ = "definition:read"
    DEFINITION_EDIT = "definition:edit"
    DEFINITION_REVIEW = "definition:review"
    LEARNER_READ = "learner:read"
    LEARNER_WRITE = "learner:write"
    CREDENTIAL_READ = "credential:read"
    CREDENTIAL_ISSUE = "credential:issue"
    CREDENTIAL_REVOKE = "credential:revoke"
    IMPORT_RUN = "import:run"
    PATHWAY_EDIT = "pathway:edit"
    RECOGNITION_DECIDE = "recognition:decide"


_READ = frozenset(
    {
        Permission.ISSUER_READ,
        Permission.DEFINITION_READ,
        Permission.LEARNER_READ,
        Permission.CREDENTIAL_READ,
    }
)

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.DESIGNER: _READ | {Permission.DEFINITION_EDIT, Permission.PATHWAY_EDIT},
    Role.REGISTRAR: _READ
    | {
        Permission.LEARNER_WRITE,
        Permission.CREDENTIAL_ISSUE,
        Permission.CREDENTIAL_REVOKE,
        Permission.IMPORT_RUN,
        # the recognition officer's work (docs/recognition.md)
        Permission.RECOGNITION_DECIDE,
    },
    Role.VIEWER: _READ,
    # imports external credentials and decides on their recognition; reads learners and
    # pathways (definitions) to do so; issues, revokes and edits nothing
    Role.RECOGNITION_OFFICER: frozenset(
        {
            Permission.ISSUER_READ,
            Permission.DEFINITION_READ,
            Permission.LEARNER_READ,
            Permission.RECOGNITION_DECIDE,
        }
    ),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a use case.

    ``roles`` maps issuer id -> role. An API token acts for exactly one issuer: its
    ``roles`` holds that issuer with the role of the staff member who created it, and
    ``scopes`` narrows the permissions further. ``scopes is None`` means "no narrowing"
    (web sessions). A platform operator manages issuers and users but does not read or
    issue credentials unless also a member.
    """

    user_id: uuid.UUID | None
    label: str
    roles: Mapping[uuid.UUID, Role] = field(default_factory=dict)
    token_id: uuid.UUID | None = None
    scopes: frozenset[Permission] | None = None
    is_operator: bool = False
    ip: str | None = None

    def permissions_at(self, issuer_id: uuid.UUID) -> frozenset[Permission]:
        role = self.roles.get(issuer_id)
        if role is None:
            return frozenset()
        granted = ROLE_PERMISSIONS[role]
        return granted if self.scopes is None else granted & self.scopes

    def is_member(self, issuer_id: uuid.UUID) -> bool:
        return issuer_id in self.roles

    def can(self, issuer_id: uuid.UUID, permission: Permission) -> bool:
        return permission in self.permissions_at(issuer_id)


def require(principal: Principal, issuer_id: uuid.UUID, permission: Permission) -> None:
    """Raise unless ``principal`` holds ``permission`` at ``issuer_id``.

    Non-members get ``NotFound`` (no information leak); members without the permission get
    ``PermissionDenied`` naming what is missing.
    """
    if not principal.is_member(issuer_id):
        raise NotFound("No such issuer, or you are not a member of it.")
    if not principal.can(issuer_id, permission):
        raise PermissionDenied(
            f"Your access to this issuer does not include '{permission.value}'.",
            required_permission=permission.value,
        )


def require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise PermissionDenied("Only a platform operator may do this.")
