"""The pathway rule engine: the rule model and evaluate() (pure; hypothesis properties)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.errors import InvalidInput
from microcred.pathways import HeldItem, PathwayRule, evaluate, held_item_from_document
from microcred.pathways.holdings import ects_text

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PY, SQL, STATS = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
SKILL = "http://data.europa.eu/esco/skill/abc"
OTHER_DID = "did:web:other.example"


def own(definition: uuid.UUID, ects: str | None = "5", days: int = 0, eqf: int | None = 6):
    return HeldItem(
        ref=f"urn:uuid:{uuid.uuid4()}",
        kind="own",
        name=str(definition),
        awarded_at=T0 + timedelta(days=days),
        definition_id=definition,
        ects=Decimal(ects) if ects else None,
        eqf_level=eqf,
    )


def external(kind="recognition", **fields):
    values = {
        "ref": f"urn:uuid:{uuid.uuid4()}",
        "kind": kind,
        "name": "Statistics",
        "awarded_at": T0,
        "achievement_id": "https://other.example/achievements/stats",
        "issuer_did": OTHER_DID,
        "alignments": frozenset({SKILL}),
        "ects": Decimal(5),
        "eqf_level": 6,
    }
    values.update(fields)
    return HeldItem(**values)


def rule(**extra):
    data = {
        "parts": [
            {"key": "py", "label": "Python", "definitionId": str(PY)},
            {"key": "sql", "label": "SQL", "definitionId": str(SQL)},
            {"key": "stats", "label": "Stats", "alignment": SKILL, "issuerDid": OTHER_DID},
        ]
    }
    data.update(extra)
    return PathwayRule.from_json(data)


def test_all_of_needs_every_part() -> None:
    progress = evaluate(rule(), [own(PY), own(SQL)])
    assert not progress.met
    assert progress.parts_satisfied == 2 and progress.parts_required == 3
    assert progress.missing == ("part: Stats",)
    assert evaluate(rule(), [own(PY), own(SQL), external()]).met


def test_n_of_and_min_ects() -> None:
    two = rule(minParts=2, minEcts="12")
    progress = evaluate(two, [own(PY), own(SQL)])
    assert not progress.met and progress.missing == ("2 more ECTS",)
    assert progress.ects_total == Decimal(10)
    assert evaluate(two, [own(PY, "7"), own(SQL)]).met
    assert evaluate(rule(minParts=0, minEcts="10"), [own(PY), external()]).met


def test_matchers_by_achievement_issuer_and_alignment() -> None:
    by_id = PathwayRule.from_json(
        {
            "parts": [
                {
                    "key": "s",
                    "label": "S",
                    "achievementId": "https://other.example/achievements/stats",
                }
            ]
        }
    )
    assert evaluate(by_id, [external()]).met
    assert not evaluate(by_id, [external(achievement_id="https://x.example/a")]).met
    by_issuer = PathwayRule.from_json(
        {"parts": [{"key": "s", "label": "S", "issuerDid": OTHER_DID}]}
    )
    assert evaluate(by_issuer, [external()]).met
    assert not evaluate(by_issuer, [external(issuer_did="did:web:third.example")]).met
    assert not evaluate(rule(), [own(PY), own(SQL), external(issuer_did="did:web:x.example")]).met


def test_one_item_satisfies_one_part_and_matching_is_maximal() -> None:
    # both parts accept the skill, the second only from OTHER_DID: one item cannot fill both,
    # and the matching must give the OTHER_DID item to the narrower part
    both = PathwayRule.from_json(
        {
            "parts": [
                {"key": "any", "label": "Any", "alignment": SKILL},
                {"key": "theirs", "label": "Theirs", "alignment": SKILL, "issuerDid": OTHER_DID},
            ]
        }
    )
    theirs = external(ects=Decimal(10))
    assert not evaluate(both, [theirs]).met
    mine = external(issuer_did="did:web:mine.example", ects=Decimal(1))
    progress = evaluate(both, [theirs, mine])
    assert progress.met
    assert {p.key: p.item for p in progress.parts} == {"any": mine, "theirs": theirs}


def test_min_eqf_level_and_time_bounds() -> None:
    assert not evaluate(rule(minEqfLevel=7), [own(PY), own(SQL), external()]).met
    assert evaluate(rule(minEqfLevel=6), [own(PY), own(SQL), external()]).met
    assert not evaluate(rule(minEqfLevel=5), [own(PY, eqf=None), own(SQL), external()]).met
    bounded = rule(earnedFrom="2026-01-02T00:00:00Z")
    assert not evaluate(
        bounded, [own(PY), own(SQL, days=3), external(awarded_at=T0 + timedelta(days=5))]
    ).met
    assert evaluate(
        bounded, [own(PY, days=1), own(SQL, days=3), external(awarded_at=T0 + timedelta(days=5))]
    ).met


def test_within_days_picks_a_window() -> None:
    window = rule(withinDays=30)
    spread = [own(PY), own(SQL, days=20), external(awarded_at=T0 + timedelta(days=45))]
    progress = evaluate(window, spread)
    assert not progress.met and "all within 30 days" in progress.missing
    late_py = own(PY, days=40)
    progress = evaluate(window, [*spread, late_py])
    assert progress.met
    assert progress.window == (T0 + timedelta(days=20), T0 + timedelta(days=50))


def test_unrecognised_external_counts_only_when_the_rule_accepts_it() -> None:
    items = [own(PY), own(SQL), external(kind="external")]
    assert not evaluate(rule(), items).met
    assert evaluate(rule(acceptUnrecognised=True), items).met


@pytest.mark.parametrize(
    "data",
    [
        {"parts": []},
        {"parts": [{"key": "a", "label": "A"}]},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY), "alignment": SKILL}]},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY), "issuerDid": OTHER_DID}]},
        {"parts": [{"key": "a", "label": "A", "issuerDid": "not-a-did"}]},
        {"parts": [{"key": "A!", "label": "A", "definitionId": str(PY)}]},
        {"parts": [{"key": "a", "label": "A", "definitionId": "nope"}]},
        {"parts": [{"key": "a", "label": " ", "definitionId": str(PY)}]},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY)}] * 2},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY)}], "minParts": 2},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY)}], "minParts": 0},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY)}], "minEcts": "-1"},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY)}], "minEcts": "1.005"},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY)}], "minEcts": "NaN"},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY)}], "minEqfLevel": 9},
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY)}], "withinDays": 0},
        {
            "parts": [{"key": "a", "label": "A", "definitionId": str(PY)}],
            "earnedFrom": "2026-01-01",
        },
        {
            "parts": [{"key": "a", "label": "A", "definitionId": str(PY)}],
            "earnedFrom": "2026-02-01T00:00:00Z",
            "earnedUntil": "2026-01-01T00:00:00Z",
        },
        {"parts": [{"key": "a", "label": "A", "definitionId": str(PY)}], "extra": 1},
    ],
)
def test_invalid_rules_are_refused(data) -> None:
    with pytest.raises(InvalidInput):
        PathwayRule.from_json(data)


def test_rule_round_trips_through_json() -> None:
    original = rule(minParts=2, minEcts="7.5", minEqfLevel=5, withinDays=365)
    assert PathwayRule.from_json(original.to_json()) == original
    assert original.to_json()["minEcts"] == "7.5"


def test_held_item_from_an_open_badges_document() -> None:
    document = {
        "issuer": {"id": OTHER_DID, "type": ["Profile"]},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "achievement": {
                "id": "https://other.example/achievements/stats",
                "name": "Statistics",
                "alignment": [{"targetUrl": "https://skills.example/stat", "targetName": "x"}],
                "euStandardElements": {
                    "creditPoint": [
                        {
                            "framework": "http://data.europa.eu/snb/education-credit/6fcec5c5af",
                            "point": "2.5",
                        }
                    ],
                    "eqfLevel": "http://data.europa.eu/snb/eqf/5",
                    "learningOutcome": [{"title": "t", "relatedESCOSkill": [SKILL]}],
                },
            }
        },
    }
    item = held_item_from_document(document, ref="urn:x", kind="external", awarded_at=T0)
    assert item.issuer_did == OTHER_DID and item.name == "Statistics"
    assert item.alignments == {"https://skills.example/stat", SKILL}
    assert item.ects == Decimal("2.5") and item.eqf_level == 5
    odd = held_item_from_document(
        {"credentialSubject": [1, "x"], "issuer": 3}, ref="urn:y", kind="external", awarded_at=T0
    )
    assert odd.achievement_id is None and odd.ects is None and odd.name == "urn:y"
    assert ects_text(Decimal("5.00")) == "5" and ects_text(Decimal("2.50")) == "2.5"


# --------------------------------------------------------------------------- properties

_items = st.lists(
    st.builds(
        lambda d, e, day, lvl: own(d, e, day, lvl),
        st.sampled_from([PY, SQL, STATS]),
        st.sampled_from([None, "1", "2.5", "5"]),
        st.integers(0, 100),
        st.sampled_from([None, 5, 6, 7]),
    ),
    max_size=8,
)
_rules = st.builds(
    lambda n, ects, eqf, window: PathwayRule.from_json(
        {
            "parts": [
                {"key": "py", "label": "P", "definitionId": str(PY)},
                {"key": "sql", "label": "S", "definitionId": str(SQL)},
                {"key": "st", "label": "T", "definitionId": str(STATS)},
            ],
            "minParts": n,
            "minEcts": ects,
            "minEqfLevel": eqf,
            "withinDays": window,
        }
    ),
    st.sampled_from([1, 2, 3, None]),
    st.sampled_from([None, "3", "10"]),
    st.sampled_from([None, 6]),
    st.sampled_from([None, 30]),
)


@settings(max_examples=60, deadline=None)
@given(_rules, _items, _items)
def test_more_items_never_undo_a_met_rule(rule_, items, more) -> None:
    if evaluate(rule_, items).met:
        assert evaluate(rule_, items + more).met


@settings(max_examples=60, deadline=None)
@given(_rules, _items)
def test_progress_is_consistent(rule_, items) -> None:
    progress = evaluate(rule_, items)
    used = [part.item for part in progress.parts if part.item is not None]
    assert len({item.ref for item in used}) == len(used)  # no item counted twice
    assert all(item in items for item in used)
    assert progress.ects_total == sum((i.ects or Decimal(0) for i in used), Decimal(0))
    expected = progress.parts_satisfied >= rule_.required_parts and (
        rule_.min_ects is None or progress.ects_total >= rule_.min_ects
    )
    assert progress.met == expected == (not progress.missing)
    assert 0 <= progress.percent <= 100 and (progress.percent == 100) == progress.met
    assert evaluate(rule_, list(reversed(items))).met == progress.met


def test_window_near_the_end_of_time_does_not_overflow() -> None:
    late = datetime(9999, 12, 1, tzinfo=UTC)
    progress = evaluate(rule(withinDays=365), [own(PY), external(awarded_at=late)])
    assert not progress.met
