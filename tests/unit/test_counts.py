"""Per-actor counting: contributions from events, and folding them into totals idempotently."""

from __future__ import annotations

import copy

import pytest

from workers.stages.counts import (
    Contribution,
    Totals,
    apply_contribution,
    check_contribution,
    contributions,
    daily_update,
)
from workers.stages.errors import StageError
from workers.types import EnrichedEvent


def make_event(**overrides: object) -> EnrichedEvent:
    event: dict[str, object] = {
        "schema_version": 1,
        "event_id": "evt-1",
        "version": 1,
        "type": "airstrike",
        "violent": True,
        "perpetrator": "RUS",
        "co_perpetrators": ["SYR_GOV"],
        "targets": ["HTS"],
        "speakers": [],
        "location": {"name": "Idlib", "admin1": "Idlib", "country": "SY", "lat": 35.9, "lon": 36.6},
        "date": {"value": "2019-03-13", "precision": "day"},
        "killed": {"low": 15, "high": 15},
        "injured": {"low": 3, "high": None},
        "displaced": None,
        "kidnapped": None,
        "victims": "unspecified",
        "evidence": [],
        "confidence": 0.8,
        "article_id": "a1",
        "sources": [{"article_id": "a1", "source": "x", "url": None, "published_at": "2019-03-14"}],
    }
    event.update(overrides)
    return event  # type: ignore[return-value]


def fold(shares: list[Contribution]) -> dict[str, Totals]:
    """Apply contributions in order the way the count agent does, tables as dicts."""
    totals: dict[str, Totals] = {}
    applied: dict[tuple[str, str], Contribution] = {}
    for share in shares:
        key = (share["actor_id"], share["event_id"])
        new = apply_contribution(totals.get(share["actor_id"]), applied.get(key), share)
        if new is not None:
            totals[share["actor_id"]] = new
            applied[key] = share
    return totals


def test_one_contribution_per_distinct_perpetrator() -> None:
    shares = contributions(make_event(co_perpetrators=["SYR_GOV", "RUS", "IRN"]))
    assert [s["actor_id"] for s in shares] == ["RUS", "SYR_GOV", "IRN"]
    assert all(s["killed_low"] == 15 and s["injured_low"] == 3 for s in shares)


def test_non_violent_events_and_unknown_perpetrators_count_nothing() -> None:
    assert contributions(make_event(violent=False)) == []
    assert contributions(make_event(perpetrator=None, co_perpetrators=[])) == []


def test_open_figures_count_their_lower_bound_and_missing_figures_count_zero() -> None:
    share = contributions(make_event(killed={"low": None, "high": 40}, injured=None))[0]
    assert (share["killed_low"], share["injured_low"]) == (0, 0)


def test_redelivery_changes_nothing() -> None:
    shares = contributions(make_event())
    assert fold(shares + copy.deepcopy(shares)) == fold(shares)
    assert fold(shares)["RUS"] == {"events": 1, "killed_low": 15, "injured_low": 3}


def test_revision_moves_totals_by_the_difference() -> None:
    first = contributions(make_event(killed={"low": 12, "high": None}))
    second = contributions(make_event(version=2, killed={"low": 20, "high": 20}))
    totals = fold(first + second)
    assert totals["RUS"] == {"events": 1, "killed_low": 20, "injured_low": 3}


def test_an_older_version_arriving_late_is_ignored() -> None:
    first = contributions(make_event(killed={"low": 12, "high": None}))
    second = contributions(make_event(version=2, killed={"low": 20, "high": 20}))
    assert fold(second + first) == fold(first + second)


def test_distinct_events_add_up() -> None:
    shares = contributions(make_event()) + contributions(
        make_event(event_id="evt-2", killed={"low": 24, "high": None})
    )
    assert fold(shares)["RUS"] == {"events": 2, "killed_low": 39, "injured_low": 6}


@pytest.mark.parametrize(
    "value",
    [
        [],
        {"actor_id": "", "event_id": "e", "version": 1, "killed_low": 0, "injured_low": 0},
        {"actor_id": "A", "event_id": "e", "version": -1, "killed_low": 0, "injured_low": 0},
        {"actor_id": "A", "event_id": "e", "version": 1, "killed_low": True, "injured_low": 0},
        {"actor_id": "A", "version": 1, "killed_low": 0, "injured_low": 0},
    ],
)
def test_malformed_contributions_are_rejected(value: object) -> None:
    with pytest.raises(StageError):
        check_contribution(value)


def share(event_id: str, day: str | None, killed: int = 5, version: int = 1) -> Contribution:
    return {
        "actor_id": "RUS",
        "event_id": event_id,
        "version": version,
        "killed_low": killed,
        "injured_low": 0,
        "day": day,
    }


class DailyWindows:
    """An actor's daily windows as the count agent keeps them, tables as dicts."""

    def __init__(self, retention_days: int) -> None:
        self.retention_days = retention_days
        self.windows: dict[str | None, Totals] = {}
        self.days: list[str] = []
        self.applied: dict[str, Contribution] = {}
        self.expired: list[str] = []

    def add(self, contribution: Contribution) -> None:
        update = daily_update(
            self.applied.get(contribution["event_id"]),
            contribution,
            self.days,
            self.windows.get,
            self.retention_days,
        )
        for day, totals in update.writes:
            self.windows[day] = totals
        for day in update.expired:
            del self.windows[day]
        self.expired += update.expired
        self.days = update.days
        if apply_contribution(None, self.applied.get(contribution["event_id"]), contribution) is not None:
            self.applied[contribution["event_id"]] = contribution


def test_daily_windows_add_up_and_a_revision_moves_by_the_difference() -> None:
    windows = DailyWindows(retention_days=30)
    windows.add(share("a", "2024-05-01", killed=5))
    windows.add(share("b", "2024-05-01", killed=3))
    windows.add(share("a", "2024-05-01", killed=9, version=2))
    windows.add(share("a", "2024-05-01", killed=9, version=2))  # redelivered: nothing moves
    assert windows.windows["2024-05-01"] == {"events": 2, "killed_low": 12, "injured_low": 0}
    assert windows.days == ["2024-05-01"] and windows.expired == []


def test_windows_older_than_the_retention_expire_and_stay_expired() -> None:
    windows = DailyWindows(retention_days=30)
    windows.add(share("a", "2024-05-01"))
    windows.add(share("b", "2024-05-31"))  # exactly 30 days later: both kept
    assert windows.days == ["2024-05-01", "2024-05-31"]
    windows.add(share("c", "2024-06-10"))
    assert windows.expired == ["2024-05-01"] and windows.days == ["2024-05-31", "2024-06-10"]
    assert "2024-05-01" not in windows.windows
    # a late report for the expired day, or a revision moving an event out of it, writes nothing
    windows.add(share("d", "2024-05-02"))
    windows.add(share("a", "2024-05-01", killed=8, version=2))
    assert set(windows.windows) == {"2024-05-31", "2024-06-10"}


def test_the_undated_window_never_expires() -> None:
    windows = DailyWindows(retention_days=1)
    windows.add(share("a", None))
    windows.add(share("b", "2024-05-01"))
    windows.add(share("c", "2024-09-01"))
    assert windows.windows[None]["events"] == 1 and windows.days == ["2024-09-01"]


def test_a_revision_that_moves_the_event_to_another_day_moves_its_counts() -> None:
    windows = DailyWindows(retention_days=30)
    windows.add(share("a", "2024-05-01", killed=4))
    windows.add(share("a", "2024-05-03", killed=6, version=2))
    assert windows.windows["2024-05-01"] == {"events": 0, "killed_low": 0, "injured_low": 0}
    assert windows.windows["2024-05-03"] == {"events": 1, "killed_low": 6, "injured_low": 0}


def test_retention_must_be_positive() -> None:
    with pytest.raises(StageError):
        daily_update(None, share("a", "2024-05-01"), [], lambda day: None, 0)
