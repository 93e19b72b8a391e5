"""The verifier's refusals of an image: sentences for the person at the page; the baker's
technical wording kept for programs (the problem's ``imageDetail``)."""

from __future__ import annotations

import pytest

from microcred.certificates import badge_png, badge_svg
from microcred.errors import InvalidInput
from microcred.web.inputs import document_from_bytes


@pytest.mark.parametrize(
    ("data", "sentence", "technical"),
    [
        (badge_png("A"), "This PNG image has no credential in it.", "'openbadgecredential'"),
        (badge_svg("A").encode(), "This SVG image has no credential in it.", "<openbadges:"),
        (b"\x89PNG\r\n\x1a\n", "The PNG image", "truncated"),
    ],
)
def test_an_image_without_a_credential_is_refused_in_a_sentence(
    data: bytes, sentence: str, technical: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        document_from_bytes(data)
    detail = caught.value.detail
    assert detail.startswith(sentence), detail
    assert detail[0].isupper() and detail.endswith("."), detail
    problem = caught.value.to_problem()
    assert problem["detail"] == detail
    assert technical in problem["imageDetail"], problem
    if "no credential" in sentence:
        assert technical not in detail
