"""describe_credential: what a credential says, read defensively."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from certificates_testkit import engine, signed_credential
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.certificates import describe_credential, format_date, safe_link


def test_our_credential_is_described() -> None:
    described = describe_credential(signed_credential(engine()))
    assert described.title == "Digital Content Creation for Research Communication"
    assert described.issuer_name == "University of Zed"
    assert described.valid_from == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert described.ects == "5" and described.eqf_level == 6
    assert described.workload == "125 hours"
    assert described.level_line == "5 ECTS · EQF level 6 · 125 hours"
    assert len(described.learning_outcomes) == 2
    labels = [fact.label for fact in described.eu_facts]
    assert labels[:3] == ["Type of assessment", "Form of participation", "Quality assurance"]
    participation = next(f for f in described.eu_facts if f.label == "Form of participation")
    assert participation.values[0].text == "Blended (online and on site)"
    assert described.alignments[0].url is not None
    assert described.has_eu_elements and not described.anchored
    assert "OpenBadgeCredential" in described.types


def test_only_web_links_become_links() -> None:
    assert safe_link("https://uni.example/x") == "https://uni.example/x"
    for bad in (
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>",
        "//evil.example",
        "https://user:pw@evil.example/",
        "https://evil.example/\nx",
        42,
        None,
    ):
        assert safe_link(bad) is None
    document: dict[str, Any] = {
        "credentialSubject": {
            "achievement": {
                "name": "X",
                "criteria": {"id": "javascript:alert(1)", "narrative": "n"},
                "alignment": [{"targetName": "t", "targetUrl": "javascript:alert(2)"}],
            }
        }
    }
    described = describe_credential(document)
    assert described.criteria_url is None
    assert described.alignments[0].url is None and described.alignments[0].text == "t"


def test_dates_are_written_in_words() -> None:
    assert format_date(datetime(2026, 11, 29, 23, 0, tzinfo=UTC)) == "29 November 2026"
    assert format_date(None) == ""
    assert describe_credential({"validFrom": "2026-01-15T09:00:00"}).valid_from == datetime(
        2026, 1, 15, 9, tzinfo=UTC
    )
    assert describe_credential({"validFrom": "yesterday"}).valid_from is None


def test_results_are_named_by_their_description() -> None:
    document = {
        "credentialSubject": {
            "achievement": {
                "resultDescription": [{"id": "urn:r1", "name": "Final grade"}],
            },
            "result": [{"resultDescription": "urn:r1", "value": "Merit"}, {"value": "A"}],
        }
    }
    results = describe_credential(document).results
    assert [(r.label, r.values[0].text) for r in results] == [
        ("Final grade", "Merit"),
        ("Result", "A"),
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "credentialSubject",
                    "achievement",
                    "issuer",
                    "name",
                    "euStandardElements",
                    "creditPoint",
                    "validFrom",
                    "result",
                    "alignment",
                    "proof",
                    "id",
                    "learningOutcome",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=80, deadline=None)
@given(json_values)
def test_any_json_is_described_without_error(value: Any) -> None:
    described = describe_credential(value)
    assert isinstance(described.title, str)
