"""eu.elements: completeness of the EU micro-credential standard elements."""

from __future__ import annotations

from datetime import UTC, datetime

from microcred.definition.compose import compose_credential
from microcred.definition.samples import sample_achievement, sample_eu_elements, sample_issuer
from microcred.verification.checks.base import CheckContext
from microcred.verification.checks.eu import EUElementsCheck
from microcred.verification.report import Outcome

NOW = CheckContext(datetime(2026, 11, 28, tzinfo=UTC))
ISSUER = "did:web:uni.example"


def _credential(achievement):  # type: ignore[no-untyped-def]
    return compose_credential(
        achievement,
        "did:example:learner",
        sample_issuer(ISSUER),
        credential_id="urn:uuid:6f1c2a1e-4a61-4c55-9a3c-0d1e2f3a4b5c",
        valid_from=datetime(2026, 6, 1, tzinfo=UTC),
    )


def test_complete_elements_pass() -> None:
    [result] = EUElementsCheck().run(_credential(sample_achievement()), NOW)
    assert result.code == "eu.elements"
    assert result.outcome is Outcome.PASSED
    assert any(f["elementId"] == "learning_outcomes" for f in result.details["findings"])


def test_missing_mandatory_elements_warn_and_name_them() -> None:
    partial = sample_eu_elements().model_copy(
        update={"learning_outcomes": None, "quality_assurance": None}
    )
    achievement = sample_achievement().model_copy(update={"eu_standard_elements": partial})
    [result] = EUElementsCheck().run(_credential(achievement), NOW)
    assert result.outcome is Outcome.WARNING
    assert "learning outcomes" in result.message.lower()
    assert "quality assurance" in result.message.lower()


def test_credential_without_elements_is_skipped() -> None:
    plain = _credential(sample_achievement(with_eu_elements=False))
    [result] = EUElementsCheck().run(plain, NOW)
    assert result.outcome is Outcome.SKIPPED


def test_unreadable_elements_warn_without_raising() -> None:
    credential = _credential(sample_achievement())
    credential["credentialSubject"]["achievement"]["euStandardElements"] = {"eqfLevel": 42}
    [result] = EUElementsCheck().run(credential, NOW)
    assert result.outcome is Outcome.WARNING
    assert "could not be read" in result.message
