"""Property-based tests of the models (modest example counts: the suite stays fast)."""

from __future__ import annotations

import string
from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.definition import compose_credential
from microcred.definition.samples import sample_issuer
from microcred.errors import InvalidInput
from microcred.model import (
    Achievement,
    Alignment,
    CreditPoint,
    Criteria,
    EUStandardElements,
    LearningOutcome,
    OpenBadgeCredential,
    eqf_level_iri,
    hash_identity,
    hours_duration,
    identity_matches,
)
from microcred.model.eu import EQF_CYCLES

SETTINGS = settings(max_examples=40, deadline=None)

slug = st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12)
uris = st.one_of(
    slug.map(lambda s: f"https://uni.example/{s}"),
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    slug.map(lambda s: f"did:web:{s}.example"),
)
words = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")
numbers = st.one_of(
    st.integers(min_value=0, max_value=10_000),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
)
esco = st.uuids().map(lambda u: f"http://data.europa.eu/esco/skill/{u}")


@st.composite
def eu_elements(draw: st.DrawFn) -> EUStandardElements:
    level = draw(st.none() | st.integers(min_value=1, max_value=8))
    cycles = [c for c, lvl in EQF_CYCLES.items() if level is None or lvl == level]
    stack = draw(st.none() | st.sampled_from(["stand-alone", "stackable"]))
    return EUStandardElements(
        learning_outcomes=draw(
            st.none()
            | st.lists(
                st.builds(
                    lambda t, s: LearningOutcome.aligned(t, *s),
                    words,
                    st.lists(esco | uris, max_size=2),
                ),
                min_size=1,
                max_size=3,
            )
        ),
        credit_points=draw(
            st.none()
            | st.builds(
                lambda d: [CreditPoint.ects(d)],
                st.decimals(min_value=Decimal("0.5"), max_value=60, places=1),
            )
        ),
        volume_of_learning=draw(st.none() | st.integers(1, 2000).map(hours_duration)),
        eqf_level=None if level is None else eqf_level_iri(level),
        qf_ehea_cycle=draw(st.none() | st.sampled_from(cycles)) if cycles else None,
        assessment_type=draw(st.none() | words),
        form_of_participation=draw(st.none() | st.sampled_from(["online", "onsite", "blended"])),
        quality_assurance=draw(st.none() | words),
        issuer_countries=draw(
            st.none() | st.lists(st.sampled_from(["IE", "DE", "FR"]), min_size=1, max_size=2)
        ),
        integration_stackability=stack,
        stackable_towards=draw(st.none() | st.lists(uris, min_size=1, max_size=2))
        if stack == "stackable"
        else None,
        further_information=draw(st.none() | words),
    )


@st.composite
def achievements(draw: st.DrawFn) -> Achievement:
    return Achievement(
        id=draw(uris),
        type=draw(st.sampled_from([["Achievement"], "Achievement"])),
        name=draw(words),
        description=draw(words),
        criteria=Criteria(id=draw(st.none() | uris), narrative=draw(words)),
        achievement_type=draw(st.none() | st.sampled_from(["MicroCredential", "ext:Nano"])),
        credits_available=draw(st.none() | numbers),
        alignment=draw(
            st.none()
            | st.lists(
                st.builds(lambda n, u: Alignment(target_name=n, target_url=u), words, uris),
                max_size=2,
            )
        ),
        tag=draw(st.none() | st.lists(st.text(max_size=10), max_size=3)),
        eu_standard_elements=draw(st.none() | eu_elements()),
    )


@SETTINGS
@given(achievements())
def test_achievement_json_round_trip(ach: Achievement) -> None:
    doc = ach.to_json()
    again = Achievement.from_json(doc)
    assert again == ach
    assert again.to_json() == doc
    if ach.credits_available is not None:
        assert type(doc["creditsAvailable"]) is type(ach.credits_available)


@SETTINGS
@given(
    achievements(),
    uris,
    st.datetimes(timezones=st.just(UTC)),
    st.one_of(uris, st.text(min_size=1, max_size=20)),
)
def test_composed_credentials_round_trip(
    ach: Achievement, learner_id: str, when: Any, email_local: str
) -> None:
    learner: Any = (
        learner_id
        if not learner_id.startswith("https")
        else hash_identity(email_local, "emailAddress", salt="s")
    )
    doc = compose_credential(
        ach, learner, sample_issuer(), credential_id="urn:uuid:1", valid_from=when
    )
    cred = OpenBadgeCredential.from_json(doc)
    assert cred.to_json() == doc
    assert ("https://microcred.dev/ns/eu/v1" in doc["@context"]) == (
        ach.eu_standard_elements is not None
    )


@SETTINGS
@given(achievements(), st.text(alphabet=string.ascii_letters, min_size=1, max_size=15))
def test_any_unknown_property_is_rejected(ach: Achievement, key: str) -> None:
    doc = ach.to_json()
    if key in Achievement.model_fields or any(
        f.serialization_alias == key or key == _camel(name)
        for name, f in Achievement.model_fields.items()
    ):
        return
    doc[key] = "x"
    with pytest.raises(InvalidInput) as exc:
        Achievement.from_json(doc)
    assert exc.value.extra["errors"] == [{"path": key, "message": "is not a known property here"}]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(
            ["@context", "id", "type", "issuer", "validFrom", "credentialSubject", "proof", "name"]
        ),
        json_values,
    )
)
def test_arbitrary_json_only_ever_raises_invalid_input(doc: dict[str, Any]) -> None:
    try:
        OpenBadgeCredential.from_json(doc)
    except InvalidInput as exc:
        assert exc.detail.startswith("invalid OpenBadgeCredential: ")


@SETTINGS
@given(st.text(min_size=1, max_size=50), st.text(max_size=20), st.text(min_size=1, max_size=50))
def test_identity_hash_matches_only_its_value(value: str, salt: str, other: str) -> None:
    obj = hash_identity(value, "identifier", salt=salt)
    assert identity_matches(obj, value)
    if other != value:
        assert not identity_matches(obj, other)


@SETTINGS
@given(st.integers(min_value=1, max_value=30_000))
def test_hours_duration_round_trips_through_workload_hours(three_minutes: int) -> None:
    hours = Decimal(three_minutes * 3) / 60  # exact in decimal
    duration = hours_duration(hours)
    eu = EUStandardElements(volume_of_learning=duration)
    assert eu.workload_hours == hours
    assert hours_duration(hours.normalize()) == duration


@SETTINGS
@given(st.integers(min_value=1, max_value=8), st.sampled_from(sorted(EQF_CYCLES)))
def test_cycle_and_level_must_agree(level: int, cycle: str) -> None:
    data = {"eqfLevel": eqf_level_iri(level), "qfEheaCycle": cycle}
    if EQF_CYCLES[cycle] == level:
        assert EUStandardElements.from_json(data).eqf_level_number == level
    else:
        with pytest.raises(InvalidInput, match="corresponds to EQF level"):
            EUStandardElements.from_json(data)
