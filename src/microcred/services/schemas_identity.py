"""Inputs and outputs of the identity and issuer services, and the checks they rely on.

Inputs are strict pydantic models (:class:`~microcred.model.base.StrictModel`: unknown keys
rejected, no type coercion, snake_case in Python and camelCase in JSON, every failure an
:class:`~microcred.errors.InvalidInput` naming the path). The API reuses them as request bodies.
Outputs are frozen dataclasses built from database rows; none of them holds a secret or a
secret's hash, and the two that carry a freshly made secret (:class:`NewToken`,
:class:`NewSession`) leave it out of their ``repr``.

Profile rules (issue 3, "Issuers, staff and access"):

* ``slug``: ``[a-z0-9-]{2,64}`` — it becomes a URL path segment and a did:web path segment;
* ``country_code``: an ISO 3166-1 alpha-2 code that is officially assigned (``DE``, ``NL``);
* ``region_code``: an ISO 3166-2 subdivision (``DE-BY``) or a NUTS code (``DE21``; Greece is
  ``EL`` in NUTS) of that country; a region needs a country;
* ``homepage``: an absolute ``https://`` or ``http://`` URL without user info;
* ``logo_uri``: such a URL or a ``data:image/...;base64,`` URI of at most 512 KiB;
* ``email``: see :func:`normalise_email`.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from microcred.errors import InvalidInput
from microcred.model.base import StrictModel
from microcred.services.access import Permission, Role

__all__ = [
    "ISO_3166_ALPHA2",
    "AuditEntryInfo",
    "IssuerCreate",
    "IssuerInfo",
    "IssuerKeyInfo",
    "IssuerProfileUpdate",
    "MemberInfo",
    "NewSession",
    "NewToken",
    "RegistrationIdentifier",
    "TokenInfo",
    "UserInfo",
    "check_country_code",
    "check_display_name",
    "check_http_url",
    "check_logo_uri",
    "check_region_code",
    "check_slug",
    "normalise_email",
]

# --------------------------------------------------------------------------- vocabularies

_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET
    FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
    HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT
    JE JM JO JP
    KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ
    OM
    PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA
    RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
    UA UG UM US UY UZ
    VA VC VE VG VI VN VU
    WF WS
    YE YT
    ZA ZM ZW
"""
#: Every officially assigned ISO 3166-1 alpha-2 code (249 codes).
ISO_3166_ALPHA2: frozenset[str] = frozenset(_ISO_CODES.split())

# NUTS uses a few country prefixes that differ from ISO 3166-1.
_NUTS_PREFIX = {"GR": "EL"}

_SLUG = re.compile(r"[a-z0-9-]{2,64}")
_ISO_3166_2 = re.compile(r"([A-Z]{2})-([A-Z0-9]{1,3})")
_NUTS = re.compile(r"([A-Z]{2})([0-9A-Z]{1,3})")
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/]+={0,2}")
_SCHEME = re.compile(r"[a-z0-9][a-z0-9._:-]{0,49}")
_MAX_LOGO_DATA = 512 * 1024


# --------------------------------------------------------------------------- checks


def _checked(check: Callable[..., str], *args: Any) -> str:
    """Run a check inside a pydantic validator: InvalidInput becomes a ValueError (with path)."""
    try:
        return check(*args)
    except InvalidInput as exc:
        raise ValueError(exc.detail) from None


def _no_controls(value: str, what: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise InvalidInput(f"{what} must not contain control or invisible formatting characters")
    return value


def normalise_email(value: str) -> str:
    """The canonical form of an e-mail address, or :class:`InvalidInput`.

    Trimmed, lower-cased (addresses are compared case-insensitively), the domain converted to
    its ASCII (IDNA) form. Accepted: a dot-atom local part of at most 64 characters and a
    domain name of at least two labels whose top-level label is not numeric; at most 320
    characters. Refused: quoted local parts, IP-literal domains, comments, display names.
    """
    if not isinstance(value, str):
        raise InvalidInput("an e-mail address must be a string")
    text = value.strip()
    if not text or len(text) > 320:
        raise InvalidInput("an e-mail address has 3 to 320 characters")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise InvalidInput("not an e-mail address: it needs the form name@example.org")
    if len(local) > 64 or not _LOCAL_PART.fullmatch(local):
        raise InvalidInput(
            "not an e-mail address: the part before @ may hold letters, digits, dots "
            "(not at the start or end, not two in a row) and ! # $ % & ' * + / = ? ^ _ ` { | } ~ -"
        )
    try:
        ascii_domain = domain.lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput("not an e-mail address: the domain is not a valid host name") from None
    labels = ascii_domain.split(".")
    if (
        len(labels) < 2
        or len(ascii_domain) > 253
        or not all(_DNS_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidInput("not an e-mail address: the domain is not a valid host name")
    result = f"{local.lower()}@{ascii_domain}"
    if len(result) > 320:
        raise InvalidInput("an e-mail address has 3 to 320 characters")
    return result


def check_slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise InvalidInput(
            "a slug has 2 to 64 characters from a-z, 0-9 and '-' (it appears in URLs and the DID)"
        )
    return value


def check_country_code(value: str) -> str:
    if value not in ISO_3166_ALPHA2:
        raise InvalidInput(
            f"{value[:8]!r} is not an ISO 3166-1 alpha-2 country code (two capital letters, "
            "e.g. 'DE', 'NL', 'IE')"
        )
    return value


def check_region_code(value: str, country_code: str | None) -> str:
    """An ISO 3166-2 subdivision (``DE-BY``) or NUTS code (``DE21``) of ``country_code``."""
    if country_code is None:
        raise InvalidInput("a region code needs a country code")
    iso = _ISO_3166_2.fullmatch(value)
    if iso is not None:
        if iso.group(1) != country_code:
            raise InvalidInput(
                f"region {value!r} belongs to country {iso.group(1)}, not {country_code}"
            )
        return value
    nuts = _NUTS.fullmatch(value)
    if nuts is not None:
        if nuts.group(1) not in (country_code, _NUTS_PREFIX.get(country_code)):
            raise InvalidInput(f"NUTS region {value!r} does not belong to country {country_code}")
        return value
    raise InvalidInput(
        f"{value[:16]!r} is not a region code: use ISO 3166-2 ('DE-BY') or NUTS ('DE21')"
    )


def check_http_url(value: str, what: str = "URL") -> str:
    """An absolute ``https``/``http`` URL with a host and no user info, at most 2048 chars."""
    if len(value) > 2048:
        raise InvalidInput(f"the {what} is longer than 2048 characters")
    _no_controls(value, f"the {what}")
    if any(ch.isspace() for ch in value):
        raise InvalidInput(f"the {what} must not contain spaces")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise InvalidInput(f"the {what} is not a valid URL") from None
    del port
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput(f"the {what} must be an absolute https:// or http:// URL")
    if "@" in parts.netloc:
        raise InvalidInput(f"the {what} must not contain a user name or password")
    return value


def check_logo_uri(value: str) -> str:
    if value.startswith("data:"):
        if len(value) > _MAX_LOGO_DATA or not _DATA_IMAGE.fullmatch(value):
            raise InvalidInput(
                "a logo data URI must be data:image/<png|jpeg|gif|webp|svg+xml>;base64,... "
                "and at most 512 KiB"
            )
        return value
    return check_http_url(value, "logo URI")


def check_display_name(value: str, what: str = "name", max_length: int = 300) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(f"the {what} must not be empty")
    if len(text) > max_length:
        raise InvalidInput(f"the {what} is longer than {max_length} characters")
    return _no_controls(text, f"the {what}")


# --------------------------------------------------------------------------- inputs


class RegistrationIdentifier(StrictModel):
    """An official identifier of the organisation, e.g. ``{"scheme": "erasmus-pic", ...}``."""

    scheme: str = Field(min_length=1, max_length=50)
    value: str = Field(min_length=1, max_length=200)

    @field_validator("scheme")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if not _SCHEME.fullmatch(value):
            raise ValueError("a scheme is lower-case letters, digits and . _ : - (e.g. 'eu-vat')")
        return value

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        return _checked(check_display_name, value, "identifier", 200)


class _ProfileFields(StrictModel):
    """The fields shared by create and update; every check runs on construction."""

    @field_validator("name", "legal_name", check_fields=False)
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return None if value is None else _checked(check_display_name, value)

    @field_validator("homepage", check_fields=False)
    @classmethod
    def _homepage(cls, value: str | None) -> str | None:
        return None if value is None else _checked(check_http_url, value, "homepage")

    @field_validator("email", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else _checked(normalise_email, value)

    @field_validator("country_code", check_fields=False)
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else _checked(check_country_code, value)

    @field_validator("logo_uri", check_fields=False)
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        return None if value is None else _checked(check_logo_uri, value)


class IssuerCreate(_ProfileFields):
    """A new issuer (tenant). Only a platform operator may create one."""

    slug: str
    name: str
    legal_name: str | None = None
    homepage: str | None = None
    email: str | None = None
    country_code: str | None = None
    region_code: str | None = None
    logo_uri: str | None = None
    registration_identifiers: list[RegistrationIdentifier] = Field(
        default_factory=list, max_length=20
    )
    did_method: Literal["web", "key"] = "web"

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _checked(check_slug, value)

    @model_validator(mode="after")
    def _region(self) -> IssuerCreate:
        if self.region_code is not None:
            _checked(check_region_code, self.region_code, self.country_code)
        return self

    def profile(self) -> dict[str, Any]:
        """The profile columns as stored (registration identifiers as plain dicts)."""
        return {
            "name": self.name,
            "legal_name": self.legal_name,
            "homepage": self.homepage,
            "email": self.email,
            "country_code": self.country_code,
            "region_code": self.region_code,
            "logo_uri": self.logo_uri,
            "registration_identifiers": [
                {"scheme": r.scheme, "value": r.value} for r in self.registration_identifiers
            ],
        }


class IssuerProfileUpdate(_ProfileFields):
    """A partial profile change: only the fields given change; ``None`` clears a field.

    ``name`` cannot be cleared. The region is checked against the resulting country by the
    service (the country may be changed in the same update or kept).
    """

    name: str | None = None
    legal_name: str | None = None
    homepage: str | None = None
    email: str | None = None
    country_code: str | None = None
    region_code: str | None = None
    logo_uri: str | None = None
    registration_identifiers: list[RegistrationIdentifier] | None = Field(
        default=None, max_length=20
    )

    @model_validator(mode="after")
    def _name_kept(self) -> IssuerProfileUpdate:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("the name cannot be removed")
        return self

    def changes(self) -> dict[str, Any]:
        """Only the fields the caller set, as stored."""
        result: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name == "registration_identifiers":
                value = [{"scheme": r.scheme, "value": r.value} for r in value or ()]
            result[name] = value
        return result


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    email: str
    display_name: str | None
    is_operator: bool
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class MemberInfo:
    user_id: uuid.UUID
    issuer_id: uuid.UUID
    email: str
    display_name: str | None
    role: Role


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about an API token (never its secret or hash)."""

    id: uuid.UUID
    issuer_id: uuid.UUID
    name: str
    prefix: str
    scopes: frozenset[Permission]
    created_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is shown once and never stored.

    Unpacks like the contract's pair: ``secret, info = identity.create_token(...)``.
    """

    secret: str = field(repr=False)
    info: TokenInfo

    def __iter__(self) -> Any:
        return iter((self.secret, self.info))


@dataclass(frozen=True)
class NewSession:
    """A web session just started: ``secret`` goes into the cookie, only its hash is stored.

    Unpacks like the contract's pair: ``secret, expires_at = identity.start_session(...)``.
    """

    secret: str = field(repr=False)
    expires_at: datetime

    def __iter__(self) -> Any:
        return iter((self.secret, self.expires_at))


@dataclass(frozen=True)
class IssuerKeyInfo:
    id: uuid.UUID
    issuer_id: uuid.UUID
    key_store_id: str
    verification_method: str
    public_key_multibase: str
    status: str
    created_at: datetime
    #: end of an ordinary rotation (``expires`` in the DID document)
    rotated_at: datetime | None
    #: set only when the key was reported compromised (``revoked`` in the DID document)
    compromised_at: datetime | None = None


@dataclass(frozen=True)
class IssuerInfo:
    id: uuid.UUID
    slug: str
    name: str
    did_method: str
    did: str
    legal_name: str | None
    homepage: str | None
    email: str | None
    country_code: str | None
    region_code: str | None
    logo_uri: str | None
    registration_identifiers: tuple[dict[str, str], ...]
    created_at: datetime
    updated_at: datetime | None
    #: where the DID document is served (did:web issuers only)
    did_document_url: str | None
    active_key: IssuerKeyInfo | None


@dataclass(frozen=True)
class AuditEntryInfo:
    id: int
    at: datetime
    action: str
    issuer_id: uuid.UUID | None
    actor_user_id: uuid.UUID | None
    actor_token_id: uuid.UUID | None
    target_type: str | None
    target_id: str | None
    ip: str | None
    details: dict[str, Any]
