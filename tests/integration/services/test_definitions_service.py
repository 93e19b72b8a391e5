"""DefinitionService on SQLite and PostgreSQL: create and validate, compliance in designer
words, the review lifecycle, the publishing gate, immutability of published versions, access."""

from __future__ import annotations

import pytest
from issuance_testkit import (  # noqa: F401 - kit_fixture provides the fixture 'kit'
    BASE_URL,
    Kit,
    definition_json,
    incomplete_definition_json,
    kit_factory_fixture,
    kit_fixture,
)

from microcred.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from microcred.model import Achievement
from microcred.services.access import Role
from microcred.services.definitions import DefinitionInput, DefinitionUpdate, achievement_id
from microcred.storage import DefinitionState


def _input(kit: Kit, slug: str = "digital-content", achievement=None) -> DefinitionInput:
    return DefinitionInput.from_json(
        {"slug": slug, "achievement": achievement or definition_json(kit.issuer.did)}
    )


def _audit(kit: Kit, action: str):
    with kit.uow(read_only=True) as tx:
        return tx.audit.list_for_issuer(kit.issuer.id, action=action)


# --------------------------------------------------------------------------- creating


def test_create_makes_a_draft_version_1_with_a_stable_achievement_id(kit: Kit) -> None:
    info = kit.definitions.create(kit.designer, kit.issuer.id, _input(kit))

    assert info.slug == "digital-content"
    assert info.state is DefinitionState.DRAFT
    assert info.latest_version == 1 and info.published_version is None
    assert info.latest.state is DefinitionState.DRAFT and info.latest.editable
    assert info.latest.achievement_id == (
        f"{BASE_URL}/issuers/alpha/achievements/digital-content/v1"
    )
    # the stored content is the full typed Achievement, EU elements included
    eu = info.latest.achievement.eu_standard_elements
    assert eu is not None and eu.ects_credits == 5 and eu.eqf_level_number == 6
    assert eu.form_of_participation == "blended"
    [entry] = _audit(kit, "definition.create")
    assert entry.actor_user_id == kit.designer.user_id
    assert entry.target_id == str(info.id) and entry.ip == "192.0.2.10"


def test_input_is_validated_strictly_with_json_paths() -> None:
    with pytest.raises(InvalidInput) as caught:
        DefinitionInput.from_json(
            {
                "slug": "Data Literacy!",
                "achievement": {
                    "name": "Data Literacy",
                    "description": "Read data.",
                    "criteria": {"narrative": "Pass."},
                    "colour": "blue",
                    "euStandardElements": {"eqfLevel": "9", "formOfParticipation": "hybrid"},
                },
            }
        )
    paths = {e["path"] for e in caught.value.extra["errors"]}
    assert {"slug", "achievement.colour"} <= paths
    assert "achievement.euStandardElements.eqfLevel" in paths
    assert "achievement.euStandardElements.formOfParticipation" in paths
    with pytest.raises(InvalidInput):  # strict: a number given as text is refused
        DefinitionInput.from_json(
            {
                "slug": "x",
                "achievement": {
                    "name": "Data Literacy",
                    "description": "Read data.",
                    "criteria": {"narrative": "Pass."},
                    "creditsAvailable": "5",
                },
            }
        )


def test_a_foreign_achievement_id_is_refused_and_a_duplicate_slug_conflicts(kit: Kit) -> None:
    foreign = definition_json(kit.issuer.did) | {"id": "https://elsewhere.example/a/1"}
    with pytest.raises(InvalidInput, match="not an id of this definition"):
        kit.definitions.create(kit.designer, kit.issuer.id, _input(kit, achievement=foreign))

    kit.definitions.create(kit.designer, kit.issuer.id, _input(kit))
    with pytest.raises(Conflict, match="already exists"):
        kit.definitions.create(kit.designer, kit.issuer.id, _input(kit))
    # the same short name at another issuer is fine
    other = DefinitionInput.from_json(
        {"slug": "digital-content", "achievement": definition_json(kit.other_issuer.did)}
    )
    created = kit.definitions.create(kit.other_admin, kit.other_issuer.id, other)
    assert created.latest.achievement_id.endswith("/issuers/beta/achievements/digital-content/v1")


# --------------------------------------------------------------------------- compliance


def test_compliance_report_names_what_is_missing_in_designer_words(kit: Kit) -> None:
    info = kit.definitions.create(
        kit.designer, kit.issuer.id, _input(kit, "spreadsheets", incomplete_definition_json())
    )

    report = kit.definitions.compliance(kit.viewer, kit.issuer.id, info.id)

    assert not report.compliant
    assert {f.element_id for f in report.missing} == {
        "learning_outcomes",
        "type_of_assessment",
        "form_of_participation",
        "quality_assurance",
    }
    # the issuer's address (country IE) and name cover country and awarding body
    assert report.finding("issuer_country_region").status == "present"
    assert report.finding("awarding_body").message == (
        "The issuer, Alpha University, is the awarding body."
    )
    assert report.finding("learning_outcomes").message.startswith(
        "Learning outcomes are missing: state what a learner knows or can do"
    )
    workload = report.finding("notional_workload")
    assert workload.status == "present" and "ECTS" in (workload.advice or "")

    complete = kit.definitions.create(kit.designer, kit.issuer.id, _input(kit))
    assert kit.definitions.compliance(kit.designer, kit.issuer.id, complete.id).compliant


def test_publishing_is_refused_while_a_mandatory_element_is_missing(kit: Kit) -> None:
    info = kit.definitions.create(
        kit.designer, kit.issuer.id, _input(kit, "spreadsheets", incomplete_definition_json())
    )
    kit.definitions.submit_for_review(kit.designer, kit.issuer.id, info.id)

    with pytest.raises(InvalidInput) as caught:
        kit.definitions.approve_and_publish(kit.admin, kit.issuer.id, info.id)

    assert "cannot be published" in caught.value.detail
    assert "Type of assessment is missing" in caught.value.detail
    assert {m["elementId"] for m in caught.value.extra["missing"]} == {
        "learning_outcomes",
        "type_of_assessment",
        "form_of_participation",
        "quality_assurance",
    }
    version = kit.definitions.get_version(kit.admin, kit.issuer.id, info.id)
    assert version.state is DefinitionState.IN_REVIEW
    assert _audit(kit, "definition.publish") == []


def test_an_issuer_without_country_fails_the_gate_until_the_elements_name_one(kit: Kit) -> None:
    no_country = kit.new_issuer("gamma", "Gamma Institute", country=None)
    with kit.uow() as tx:
        tx.memberships.grant(no_country.id, kit.admin.user_id, Role.ADMIN)
        tx.commit()
    admin = type(kit.admin)(
        user_id=kit.admin.user_id, label="admin", roles={no_country.id: Role.ADMIN}
    )
    achievement = definition_json(no_country.did)
    del achievement["euStandardElements"]["issuerCountry"]
    info = kit.definitions.create(admin, no_country.id, _input(kit, achievement=achievement))
    kit.definitions.submit_for_review(admin, no_country.id, info.id)
    with pytest.raises(InvalidInput, match="Country of the issuer is missing"):
        kit.definitions.approve_and_publish(admin, no_country.id, info.id)

    kit.definitions.request_changes(admin, no_country.id, info.id, comment="add the country")
    achievement["euStandardElements"]["issuerCountry"] = ["PT"]
    kit.definitions.update_draft(
        admin, no_country.id, info.id, DefinitionUpdate.from_json({"achievement": achievement})
    )
    kit.definitions.submit_for_review(admin, no_country.id, info.id)
    published = kit.definitions.approve_and_publish(admin, no_country.id, info.id)
    assert published.state is DefinitionState.PUBLISHED


# --------------------------------------------------------------------------- lifecycle


def test_review_round_trip_then_publish_and_retire(kit: Kit) -> None:
    info = kit.definitions.create(kit.designer, kit.issuer.id, _input(kit))
    submitted = kit.definitions.submit_for_review(kit.designer, kit.issuer.id, info.id)
    assert submitted.state is DefinitionState.IN_REVIEW and submitted.submitted_at is not None

    with pytest.raises(Conflict, match="in review"):  # frozen while in review
        kit.definitions.update_draft(
            kit.designer,
            kit.issuer.id,
            info.id,
            DefinitionUpdate.from_json({"achievement": definition_json(kit.issuer.did)}),
        )
    back = kit.definitions.request_changes(
        kit.admin, kit.issuer.id, info.id, comment="Make outcome 2 observable."
    )
    assert back.state is DefinitionState.DRAFT
    [entry] = _audit(kit, "definition.request_changes")
    assert entry.details["comment"] == "Make outcome 2 observable."

    edited = definition_json(kit.issuer.did)
    edited["euStandardElements"]["learningOutcome"][1]["title"] = (
        "Plan, run and evaluate a communication campaign with partners outside the university"
    )
    updated = kit.definitions.update_draft(
        kit.designer, kit.issuer.id, info.id, DefinitionUpdate.from_json({"achievement": edited})
    )
    assert updated.version == 1  # a draft is edited in place
    kit.definitions.submit_for_review(kit.designer, kit.issuer.id, info.id)
    published = kit.definitions.approve_and_publish(kit.admin, kit.issuer.id, info.id)
    assert published.state is DefinitionState.PUBLISHED
    assert published.published_by == kit.admin.user_id and published.issuable
    eu = published.achievement.eu_standard_elements
    assert eu is not None and eu.learning_outcomes is not None
    assert eu.learning_outcomes[1].title.startswith("Plan, run and evaluate")
    assert kit.definitions.get(kit.viewer, kit.issuer.id, info.id).state is (
        DefinitionState.PUBLISHED
    )

    retired = kit.definitions.retire(kit.admin, kit.issuer.id, info.id)
    assert retired.state is DefinitionState.RETIRED and retired.retired_at is not None
    assert kit.definitions.get(kit.viewer, kit.issuer.id, info.id).state is (
        DefinitionState.RETIRED
    )
    actions = [e.action for e in _audit(kit, "definition.retire")]
    assert actions == ["definition.retire"]


@pytest.mark.parametrize(
    ("steps", "refused", "message"),
    [
        ([], "approve_and_publish", "submit it for review first"),
        ([], "retire", "no version of this definition is published"),
        ([], "request_changes", "only a version in review"),
        (["submit_for_review"], "submit_for_review", "only a draft can be submitted"),
    ],
)
def test_transitions_out_of_order_are_conflicts(
    kit: Kit, steps: list[str], refused: str, message: str
) -> None:
    info = kit.definitions.create(kit.designer, kit.issuer.id, _input(kit))
    for step in steps:
        getattr(kit.definitions, step)(kit.admin, kit.issuer.id, info.id)
    with pytest.raises(Conflict, match=message):
        getattr(kit.definitions, refused)(kit.admin, kit.issuer.id, info.id)


def test_a_published_version_is_immutable_editing_makes_the_next_version(kit: Kit) -> None:
    info = kit.published()
    v1 = kit.definitions.get_version(kit.viewer, kit.issuer.id, info.id, 1)

    # the achievement read back (with its id) can be edited and sent again
    changed = v1.achievement.to_json()
    changed["description"] = "Updated for the 2027 cohort."
    v2 = kit.definitions.update_draft(
        kit.designer, kit.issuer.id, info.id, DefinitionUpdate.from_json({"achievement": changed})
    )

    assert v2.version == 2 and v2.state is DefinitionState.DRAFT
    assert v2.achievement_id == achievement_id(BASE_URL, "alpha", "digital-content", 2)
    assert v2.achievement.description == "Updated for the 2027 cohort."
    again = kit.definitions.get_version(kit.viewer, kit.issuer.id, info.id, 1)
    assert again.achievement == v1.achievement and again.state is DefinitionState.PUBLISHED
    assert again.achievement.description != "Updated for the 2027 cohort."

    # editing again changes the v2 draft in place, not a third version
    changed["description"] = "Updated again."
    v2b = kit.definitions.update_draft(
        kit.designer, kit.issuer.id, info.id, DefinitionUpdate.from_json({"achievement": changed})
    )
    assert v2b.version == 2 and v2b.id == v2.id
    summary = kit.definitions.get(kit.viewer, kit.issuer.id, info.id)
    assert summary.latest_version == 2 and summary.published_version == 1
    assert summary.state is DefinitionState.PUBLISHED  # v1 can still be issued
    assert [v.version for v in kit.definitions.versions(kit.viewer, kit.issuer.id, info.id)] == [
        1,
        2,
    ]
    assert [e.action for e in _audit(kit, "definition.new_version")] == ["definition.new_version"]


def test_listing_and_finding_by_slug(kit: Kit) -> None:
    published = kit.published("digital-content")
    draft = kit.definitions.create(
        kit.designer, kit.issuer.id, _input(kit, "a-draft", incomplete_definition_json())
    )

    listed = kit.definitions.list(kit.viewer, kit.issuer.id)
    assert [d.slug for d in listed] == ["a-draft", "digital-content"]
    only_published = kit.definitions.list(
        kit.viewer, kit.issuer.id, state=DefinitionState.PUBLISHED
    )
    assert [d.id for d in only_published] == [published.id]
    assert kit.definitions.find_by_slug(kit.viewer, kit.issuer.id, "a-draft").id == draft.id
    with pytest.raises(NotFound):
        kit.definitions.find_by_slug(kit.viewer, kit.issuer.id, "nope")
    assert kit.definitions.list(kit.other_admin, kit.other_issuer.id) == []
    as_json = published.to_json()
    assert as_json["publishedVersion"] == 1
    assert Achievement.from_json(as_json["latest"]["achievement"]).id.endswith("/v1")


# --------------------------------------------------------------------------- access


def test_roles_designers_edit_and_submit_admins_review(kit: Kit) -> None:
    with pytest.raises(PermissionDenied, match="definition:edit"):
        kit.definitions.create(kit.viewer, kit.issuer.id, _input(kit))
    with pytest.raises(PermissionDenied):
        kit.definitions.create(kit.registrar, kit.issuer.id, _input(kit))
    info = kit.definitions.create(kit.designer, kit.issuer.id, _input(kit))
    kit.definitions.submit_for_review(kit.designer, kit.issuer.id, info.id)
    with pytest.raises(PermissionDenied, match="definition:review"):
        kit.definitions.approve_and_publish(kit.designer, kit.issuer.id, info.id)
    with pytest.raises(PermissionDenied):
        kit.definitions.request_changes(kit.designer, kit.issuer.id, info.id)
    kit.definitions.approve_and_publish(kit.admin, kit.issuer.id, info.id)
    with pytest.raises(PermissionDenied):
        kit.definitions.retire(kit.designer, kit.issuer.id, info.id)
    # everyone of the issuer may read
    assert kit.definitions.get(kit.viewer, kit.issuer.id, info.id).id == info.id


def test_another_issuers_staff_see_nothing(kit: Kit) -> None:
    info = kit.definitions.create(kit.designer, kit.issuer.id, _input(kit))
    outsider = kit.other_admin

    for call in (
        lambda: kit.definitions.get(outsider, kit.issuer.id, info.id),
        lambda: kit.definitions.compliance(outsider, kit.issuer.id, info.id),
        lambda: kit.definitions.versions(outsider, kit.issuer.id, info.id),
        lambda: kit.definitions.create(outsider, kit.issuer.id, _input(kit, "x")),
        lambda: kit.definitions.submit_for_review(outsider, kit.issuer.id, info.id),
        lambda: kit.definitions.list(outsider, kit.issuer.id),
    ):
        with pytest.raises(NotFound):
            call()
    # their own issuer id with our definition id: not found either
    with pytest.raises(NotFound):
        kit.definitions.get(outsider, kit.other_issuer.id, info.id)
    with pytest.raises(NotFound):
        kit.definitions.retire(outsider, kit.other_issuer.id, info.id)
