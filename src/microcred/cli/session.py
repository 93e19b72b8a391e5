"""How a platform command starts, in one place: the error handling, the platform, who acts and
for which issuer.

::

    with session(as_user, issuer, json_output=json_output) as cmd:
        items = cmd.platform.pathways.list_pathways(cmd.principal, cmd.issuer.id)

:func:`session` runs the body inside :func:`microcred.cli.errors.cli_errors` (so whatever goes
wrong becomes one line on stderr and an exit code) with the platform the ``MICROCRED_*``
environment configures, closed afterwards. The acting staff account (``--as``; default: the
first platform operator) and the issuer (``--issuer``; default: the only one the account
belongs to) are looked up when the body first asks for them, so a command checks its own
arguments first and a command that needs no issuer never looks one up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from microcred.cli.errors import cli_errors
from microcred.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from microcred.services.access import Principal
    from microcred.services.definitions import DefinitionInfo
    from microcred.services.platform import Platform
    from microcred.services.schemas_identity import IssuerInfo

# The services (SQLAlchemy, FastAPI models, ...) are imported inside the functions, so that
# the engine commands ('verify', 'sign', ...) start as fast as before.

__all__ = [
    "Session",
    "act_as",
    "choose_issuer",
    "find_learner",
    "open_platform",
    "parse_id",
    "session",
]


@contextmanager
def open_platform(*, migrate: bool = True) -> Iterator[Platform]:
    """The platform the ``MICROCRED_*`` environment configures (migrated first), closed after."""
    from microcred.services.platform import build_platform
    from microcred.settings import load_settings

    platform = build_platform(load_settings(), migrate_database=migrate)
    try:
        yield platform
    finally:
        platform.close()


def act_as(platform: Platform, email: str | None) -> Principal:
    """The staff account ``email`` (default: the first platform operator) as a principal."""
    from microcred.services.seed import local_principal

    return local_principal(platform, email)


def choose_issuer(platform: Platform, principal: Principal, wanted: str | None) -> IssuerInfo:
    """The issuer ``wanted`` (slug or id) among those ``principal`` may act for; without
    ``wanted``, the only issuer ``principal`` belongs to (an error when there are several)."""
    issuers = platform.issuers.list_issuers(principal, limit=1000)
    if wanted is not None:
        for info in issuers:
            if wanted in (info.slug, str(info.id)):
                return info
        raise NotFound(f"no issuer {wanted!r} that you may act for")
    mine = [info for info in issuers if info.id in principal.roles] or issuers
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise NotFound("no issuer yet: create one with 'microcred issuer create'")
    raise InvalidInput(
        "you act for several issuers; name one with --issuer "
        + "("
        + ", ".join(sorted(i.slug for i in mine))
        + ")"
    )


class Session:
    """One command's platform, acting account and issuer (the last two looked up on first use)."""

    def __init__(self, platform: Platform, as_user: str | None, issuer: str | None) -> None:
        self.platform = platform
        self._as_user = as_user
        self._issuer = issuer

    @cached_property
    def principal(self) -> Principal:
        """The acting staff account (``--as``)."""
        return act_as(self.platform, self._as_user)

    @cached_property
    def issuer(self) -> IssuerInfo:
        """The issuer the command acts for (``--issuer``)."""
        return choose_issuer(self.platform, self.principal, self._issuer)

    def definition(self, slug: str) -> DefinitionInfo:
        """The issuer's definition ``slug``."""
        return self.platform.definitions.find_by_slug(self.principal, self.issuer.id, slug)


@contextmanager
def session(
    as_user: str | None = None,
    issuer: str | None = None,
    *,
    json_output: bool = False,
    migrate: bool = True,
) -> Iterator[Session]:
    """Run a platform command's body: errors handled (:func:`cli_errors`), platform open."""
    with cli_errors(json_output=json_output), open_platform(migrate=migrate) as platform:
        yield Session(platform, as_user, issuer)


def parse_id(option: str, value: str) -> uuid.UUID:
    """``value`` as a UUID, or :class:`InvalidInput` naming the option it came from."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"{option}: {value[:80]!r} is not an id (a UUID)") from None


def find_learner(cmd: Session, value: str) -> uuid.UUID:
    """The id of the issuer's learner whose id or external id (student number) is ``value``."""
    issuance, principal, issuer_id = cmd.platform.issuance, cmd.principal, cmd.issuer.id
    try:
        return issuance.get_learner(principal, issuer_id, uuid.UUID(value)).id
    except ValueError:
        pass
    for learner in issuance.list_learners(principal, issuer_id, search=value, limit=1000):
        if learner.external_id == value:
            return learner.id
    raise NotFound(f"no learner with the id or external id {value!r}")
