"""Perpetrator labels of an event: its perpetrator's, else its perpetrator_type's, else none."""

from __future__ import annotations

from workers.evaluation.perpetrators import PerpetratorLabels, fakes_labels, hrd_labels


def test_event_label_reads_the_type_only_when_no_perpetrator_is_named() -> None:
    labels = PerpetratorLabels(
        by_kind={"police": "state actor"}, none="state actor", by_type={"private": "other non-state actors"}
    )
    assert labels.label_event(None) == "state actor"
    assert (
        labels.label_event({"perpetrator": None, "perpetrator_type": "private"}) == "other non-state actors"
    )
    assert labels.label_event({"perpetrator": None, "perpetrator_type": "unknown"}) == "state actor"
    assert labels.label_event({"perpetrator": "NGA_POL", "perpetrator_type": "private"}) == "state actor"


def test_shipped_mappings() -> None:
    hrd = hrd_labels()
    assert hrd.label_event({"perpetrator": None, "perpetrator_type": "non_state_armed"}) == (
        "other actors without permissions"
    )
    # no doer named and no state action anywhere: the article reports no perpetrator
    assert hrd.label_event({"perpetrator": None, "perpetrator_type": "unknown"}) == "no perpetrator mentioned"
    assert hrd.label_event({"perpetrator": None, "perpetrator_type": "state_authority"}) == "state actor"
    # FA-KES has no type mapping: an event without a perpetrator stays "unknown"
    assert fakes_labels().label_event({"perpetrator": None, "perpetrator_type": "private"}) == "unknown"
