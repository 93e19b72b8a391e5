"""The public names of microcred.verification are pinned."""

import microcred.verification as verification


def test_all_is_pinned() -> None:
    assert verification.__all__ == [
        "Check",
        "CheckContext",
        "CheckFailed",
        "CheckResult",
        "Outcome",
        "VerificationReport",
        "Verifier",
    ]
    for name in verification.__all__:
        assert getattr(verification, name).__name__ == name
