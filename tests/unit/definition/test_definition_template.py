"""CredentialTemplate: the model path's credential, byte for byte, for any row values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.definition.template import CredentialTemplate
from microcred.errors import InvalidInput
from microcred.model import Evidence, Result, hash_email
from microcred.model.identity import IdentityObject

GRADE = "https://uni.example/achievements/digital-content-creation#grade"
SETTINGS = settings(max_examples=100, deadline=None)

_ACHIEVEMENTS = {
    "eu": sample_achievement(),
    "plain": sample_achievement(with_eu_elements=False),
}
_ISSUERS: dict[str, Any] = {"profile": sample_issuer(), "uri": "did:web:uni.example"}
_TEMPLATES = {
    (a, i): CredentialTemplate(_ACHIEVEMENTS[a], _ISSUERS[i])
    for a in _ACHIEVEMENTS
    for i in _ISSUERS
}

text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]), min_size=0, max_size=300
)  # any unicode (no lone surrogates: not JSON), long values included
dids = st.one_of(
    st.from_regex(r"did:[a-z]{2,8}:[A-Za-z0-9._:%-]{1,120}", fullmatch=True),
    st.just("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
    text,  # mostly not a URI: both paths must refuse it alike
)
emails = st.from_regex(r"[a-z0-9._%+-]{1,40}@[a-z0-9-]{1,30}\.[a-z]{2,6}", fullmatch=True)
learners: st.SearchStrategy[Any] = st.one_of(
    dids,
    st.builds(lambda e, s: hash_email(e, salt=s), emails, st.text("0123456789abcdef", max_size=32)),
)
instants = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-7))]),
)
results = st.lists(
    st.builds(
        Result,
        value=st.one_of(st.none(), text),
        result_description=st.sampled_from([None, GRADE, "https://uni.example/other#description"]),
    ),
    max_size=3,
)
evidence = st.lists(
    st.builds(
        Evidence,
        id=st.one_of(
            st.none(),
            st.from_regex(r"https://[a-z]{1,20}\.example/[A-Za-z0-9._~/%-]{0,200}", fullmatch=True),
        ),
        narrative=st.one_of(st.none(), text),
        name=st.one_of(st.none(), text),
    ),
    max_size=3,
)


def _both(
    template: CredentialTemplate, achievement: Any, issuer: Any, **kw: Any
) -> tuple[Any, Any]:
    def run(compose: Any) -> Any:
        try:
            return json.dumps(compose(**kw), ensure_ascii=False)
        except InvalidInput:
            return InvalidInput

    fast = run(lambda **a: template.compose(a.pop("learner"), **a))
    slow = run(lambda **a: compose_credential(achievement, a.pop("learner"), issuer, **a))
    return fast, slow


@SETTINGS
@given(
    kind=st.sampled_from(sorted(_TEMPLATES)),
    learner=learners,
    uuid_text=st.uuids().map(str),
    valid_from=instants,
    valid_until=st.one_of(st.none(), instants),
    result=st.one_of(st.none(), results),
    evidence=st.one_of(st.none(), evidence),
)
def test_template_output_is_the_model_paths_byte_for_byte(
    kind: tuple[str, str],
    learner: Any,
    uuid_text: str,
    valid_from: datetime,
    valid_until: datetime | None,
    result: list[Result] | None,
    evidence: list[Evidence] | None,
) -> None:
    achievement, issuer = _ACHIEVEMENTS[kind[0]], _ISSUERS[kind[1]]
    fast, slow = _both(
        _TEMPLATES[kind],
        achievement,
        issuer,
        learner=learner,
        credential_id=f"urn:uuid:{uuid_text}",
        valid_from=valid_from,
        valid_until=valid_until,
        result=result,
        evidence=evidence,
    )
    assert fast == slow


def test_refusals_are_the_model_paths() -> None:
    template = _TEMPLATES["eu", "profile"]
    when = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    cid = "urn:uuid:7c1e1a2e-0000-4000-8000-000000000001"
    with pytest.raises(InvalidInput, match="not a DID or URI"):
        template.compose("jane@uni.example", credential_id=cid, valid_from=when)
    with pytest.raises(InvalidInput, match="timezone"):
        template.compose("did:example:a", credential_id=cid, valid_from=datetime(2024, 5, 1))
    with pytest.raises(InvalidInput, match="earlier than validFrom"):
        template.compose(
            "did:example:a",
            credential_id=cid,
            valid_from=when,
            valid_until=when - timedelta(seconds=1),
        )
    with pytest.raises(InvalidInput, match="does not define"):
        template.compose(
            "did:example:a",
            credential_id=cid,
            valid_from=when,
            result=[Result(value="A", result_description="https://uni.example/x#y")],
        )


def test_credentials_share_nothing_they_change_and_the_template_stays_intact() -> None:
    template = CredentialTemplate(sample_achievement(), sample_issuer())
    when = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    first = template.compose(
        hash_email("a@uni.example", salt="00"),
        credential_id="urn:uuid:7c1e1a2e-0000-4000-8000-000000000001",
        valid_from=when,
        result=[Result(value="Pass", result_description=GRADE)],
    )
    first["credentialStatus"] = {"id": "https://x.example/1#1"}
    first["credentialSubject"]["result"][0]["value"] = "changed"
    second = template.compose(
        hash_email("b@uni.example", salt="00"),
        credential_id="urn:uuid:7c1e1a2e-0000-4000-8000-000000000002",
        valid_from=when,
        result=[Result(value="Merit", result_description=GRADE)],
    )
    expected = compose_credential(
        sample_achievement(),
        hash_email("b@uni.example", salt="00"),
        sample_issuer(),
        credential_id="urn:uuid:7c1e1a2e-0000-4000-8000-000000000002",
        valid_from=when,
        result=[Result(value="Merit", result_description=GRADE)],
    )
    assert json.dumps(second) == json.dumps(expected)
    assert "credentialStatus" not in second
    assert first["credentialSubject"]["identifier"] != second["credentialSubject"]["identifier"]


def test_unusual_learners_take_the_model_path() -> None:
    template = CredentialTemplate(sample_achievement(), sample_issuer())
    when = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    identities: list[IdentityObject] = [
        hash_email("a@uni.example", salt="00"),
        hash_email("b@uni.example", salt="01"),
    ]
    kw: dict[str, Any] = {
        "credential_id": "urn:uuid:7c1e1a2e-0000-4000-8000-000000000001",
        "valid_from": when,
    }
    assert template.compose(identities, **kw) == compose_credential(
        sample_achievement(), identities, sample_issuer(), **kw
    )
