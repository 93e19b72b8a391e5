"""The learner wallet shows progress towards the issuer's pathways (escaped, per learner)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web_client import Browser, csrf_from
from web_testkit import World

from microcred.definition.samples import sample_achievement
from microcred.services.definitions import AchievementInput, DefinitionInput
from microcred.services.pathways import PathwayInput


@pytest.fixture
def browser(app: Any, portal: Any) -> Iterator[Browser]:
    made = Browser(app, portal)
    try:
        yield made
    finally:
        made.close()


def _pathway(world: World) -> None:
    platform, admin, issuer = world.platform, world.admin, world.issuer
    achievement = sample_achievement(awarding_body=issuer.did).to_json()
    achievement.pop("id", None)
    achievement["name"] = "Stacked award"
    target = platform.definitions.create(
        admin,
        issuer.id,
        DefinitionInput(slug="stacked", achievement=AchievementInput.from_json(achievement)),
    )
    platform.definitions.submit_for_review(admin, issuer.id, target.id)
    platform.definitions.approve_and_publish(admin, issuer.id, target.id)
    platform.pathways.create(
        admin,
        issuer.id,
        PathwayInput.from_json(
            {
                "slug": "stacked",
                "name": "Digital <b>research</b> pathway",
                "targetDefinitionId": str(target.id),
                "rule": {
                    "parts": [
                        {
                            "key": "dc",
                            "label": "Digital content",
                            "definitionId": str(world.definition_id),
                        },
                        {
                            "key": "x",
                            "label": "<script>x</script> stats",
                            "issuerDid": "did:web:other.example",
                        },
                    ]
                },
            }
        ),
    )


def test_wallet_shows_pathway_progress(browser: Browser, world: World) -> None:
    _pathway(world)
    token = world.token("ana")
    page = browser.get(f"/claim/{token}")
    answer = browser.post(f"/wallet/claim/{token}", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 303
    wallet = browser.get("/wallet")
    assert wallet.status_code == 200
    html = wallet.text
    assert 'id="pathways-title"' in html
    assert "Digital &lt;b&gt;research&lt;/b&gt; pathway" in html
    assert "1 of 2 parts" in html
    assert 'value="50"' in html
    assert "&lt;script&gt;x&lt;/script&gt; stats" in html and "<script>x" not in html
    assert "Still needed: part: &lt;script&gt;" in html
