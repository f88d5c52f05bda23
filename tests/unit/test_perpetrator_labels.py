"""Perpetrator labels of an event: its perpetrator's by_actor label, else its perpetrator_type's,
else its perpetrator's, else none."""

from __future__ import annotations

from workers.evaluation.perpetrators import PerpetratorLabels, fakes_labels, hrd_labels


def test_event_label_reads_the_type_first_and_the_perpetrator_when_the_type_says_nothing() -> None:
    labels = PerpetratorLabels(
        by_kind={"police": "state actor"}, none="state actor", by_type={"private": "other non-state actors"}
    )
    assert labels.label_event(None) == "state actor"
    assert (
        labels.label_event({"perpetrator": None, "perpetrator_type": "private"}) == "other non-state actors"
    )
    assert labels.label_event({"perpetrator": None, "perpetrator_type": "unknown"}) == "state actor"
    # the type says what kind of doer the report is about (the stage may overrule the kind)
    assert (
        labels.label_event({"perpetrator": "NGA_POL", "perpetrator_type": "private"})
        == "other non-state actors"
    )
    # an unknown or unmapped type: the perpetrator's own label
    assert labels.label_event({"perpetrator": "NGA_POL", "perpetrator_type": "unknown"}) == "state actor"
    assert labels.label_event({"perpetrator": "NGA_POL", "perpetrator_type": "state_forces"}) == "state actor"
    assert labels.label_event({"perpetrator": "NGA_POL"}) == "state actor"
    # an id the mapping names wins over the type
    pinned = PerpetratorLabels(by_actor={"NGA_POL": "other state actors"}, by_type={"private": "x"})
    assert (
        pinned.label_event({"perpetrator": "NGA_POL", "perpetrator_type": "private"}) == "other state actors"
    )


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
