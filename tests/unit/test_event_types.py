"""Event-type triggers: what counts as a violent act and as a violation against a person."""

from __future__ import annotations

import pytest

from workers.stages.event_types import is_violation_text, is_violent_text


@pytest.mark.parametrize(
    "text",
    [
        "Police arrested the lawyer at his home on Monday.",
        "The activist was detained for three days.",
        "Unknown men abducted the journalist outside her office.",
        "He was taken into custody after the protest.",
        "Her disappearance was reported to the police.",
        "The trade unionist was kidnapped by gunmen.",
    ],
)
def test_arrests_and_abductions_are_violations_but_not_violent(text: str) -> None:
    assert is_violation_text(text)


def test_a_killing_is_a_violation_too() -> None:
    assert is_violent_text("The activist was shot dead.")
    assert is_violation_text("The activist was shot dead.")


def test_a_statement_is_no_violation() -> None:
    assert not is_violation_text("The group said it would appeal the ruling.")
    assert not is_violent_text("Police arrested the lawyer at his home on Monday.")
