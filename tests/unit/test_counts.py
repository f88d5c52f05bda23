"""Per-actor counting: contributions from events; folding them into one state per actor idempotently,
by the difference on a revision, with daily windows and bounds measured in processing time."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from workers.stages.counts import (
    MAX_APPLIED,
    MAX_DAYS,
    UNDATED,
    ActorState,
    Contribution,
    Totals,
    apply,
    check_contribution,
    check_state,
    contributions,
    prune,
    retraction,
    window_totals,
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


NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


class Counter:
    """The count agent's table as a dict: one state per actor, folded message after message."""

    def __init__(self, **options: int) -> None:
        self.states: dict[str, ActorState] = {}
        self.options = options
        self.expired: list[str] = []

    def add(self, shares: list[Contribution], now: dt.datetime = NOW) -> list[bool]:
        changed = []
        for share in shares:
            update = apply(self.states.get(share["actor_id"]), share, now=now, **self.options)
            self.states[share["actor_id"]] = update["state"]
            self.expired += update["expired"]
            changed.append(update["changed"])
        return changed

    def totals(self, actor: str) -> Totals:
        return self.states[actor]["totals"]

    def window(self, actor: str, day: str) -> Totals | None:
        return window_totals(self.states[actor], day)


def fold(shares: list[Contribution]) -> dict[str, Totals]:
    counter = Counter()
    counter.add(shares)
    return {actor: state["totals"] for actor, state in counter.states.items()}


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
    counter = Counter()
    assert counter.add(shares) == [True, True]
    assert counter.add(copy.deepcopy(shares)) == [False, False]
    assert counter.totals("RUS") == {"events": 1, "killed_low": 15, "injured_low": 3}


def test_revision_moves_totals_by_the_difference() -> None:
    first = contributions(make_event(killed={"low": 12, "high": None}))
    second = contributions(make_event(version=2, killed={"low": 20, "high": 20}))
    assert fold(first + second)["RUS"] == {"events": 1, "killed_low": 20, "injured_low": 3}


def test_an_older_version_arriving_late_is_ignored() -> None:
    first = contributions(make_event(killed={"low": 12, "high": None}))
    second = contributions(make_event(version=2, killed={"low": 20, "high": 20}))
    assert fold(second + first) == fold(first + second)


def test_distinct_events_add_up() -> None:
    shares = contributions(make_event()) + contributions(
        make_event(event_id="evt-2", killed={"low": 24, "high": None})
    )
    assert fold(shares)["RUS"] == {"events": 2, "killed_low": 39, "injured_low": 6}


def test_a_retraction_takes_the_event_out_and_a_later_version_brings_it_back() -> None:
    counter = Counter()
    counter.add(contributions(make_event()))
    counter.add([retraction("RUS", "evt-1", 2)])
    assert counter.totals("RUS") == {"events": 0, "killed_low": 0, "injured_low": 0}
    assert counter.window("RUS", "2019-03-13") == {"events": 0, "killed_low": 0, "injured_low": 0}
    assert counter.add([retraction("RUS", "evt-1", 2)]) == [False]  # redelivered
    counter.add(contributions(make_event(version=3, killed={"low": 4, "high": 4})))
    assert counter.totals("RUS") == {"events": 1, "killed_low": 4, "injured_low": 3}
    # a retraction of an event never counted changes the totals by nothing
    counter.add([retraction("USA", "evt-9", 2)])
    assert counter.totals("USA") == {"events": 0, "killed_low": 0, "injured_low": 0}


@pytest.mark.parametrize(
    "value",
    [
        [],
        {"actor_id": "", "event_id": "e", "version": 1, "killed_low": 0, "injured_low": 0},
        {"actor_id": "A", "event_id": "e", "version": -1, "killed_low": 0, "injured_low": 0},
        {"actor_id": "A", "event_id": "e", "version": 1, "killed_low": True, "injured_low": 0},
        {"actor_id": "A", "version": 1, "killed_low": 0, "injured_low": 0},
        {"actor_id": "A", "event_id": "e", "version": 1, "killed_low": 0, "injured_low": 0, "retracted": 1},
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


def test_daily_windows_add_up_and_a_revision_moves_by_the_difference() -> None:
    counter = Counter()
    counter.add([share("a", "2024-05-01", killed=5), share("b", "2024-05-01", killed=3)])
    counter.add([share("a", "2024-05-01", killed=9, version=2)] * 2)  # and redelivered: nothing moves
    assert counter.window("RUS", "2024-05-01") == {"events": 2, "killed_low": 12, "injured_low": 0}


def test_a_revision_that_moves_the_event_to_another_day_moves_its_counts() -> None:
    counter = Counter()
    counter.add([share("a", "2024-05-01", killed=4), share("a", "2024-05-03", killed=6, version=2)])
    assert counter.window("RUS", "2024-05-01") == {"events": 0, "killed_low": 0, "injured_low": 0}
    assert counter.window("RUS", "2024-05-03") == {"events": 1, "killed_low": 6, "injured_low": 0}


def test_windows_expire_in_processing_time_not_by_event_date() -> None:
    counter = Counter(daily_retention_days=30)
    counter.add([share("a", "2019-08-31"), share("b", None)])  # a backfill: its window is kept
    counter.add([share("future", "9999-12-31")], now=NOW + DAY)  # a future date expires nothing
    assert counter.window("RUS", "2019-08-31") is not None and counter.expired == []
    counter.add([share("c", "2026-12-20")], now=NOW + 31 * DAY)  # 31 days without a change: gone
    assert counter.expired == ["2019-08-31"]
    # a redelivery within a day re-sends the tombstone (its first sending may have been lost)
    redelivered = apply(
        counter.states["RUS"], share("c", "2026-12-20"), now=NOW + 31 * DAY, daily_retention_days=30
    )
    assert redelivered["changed"] is False and redelivered["expired"] == ["2019-08-31"]
    assert counter.window("RUS", "2019-08-31") is None and counter.window("RUS", "9999-12-31") is not None
    assert counter.window("RUS", UNDATED) is not None  # the undated window never expires
    # all-time totals keep every event
    assert counter.totals("RUS")["events"] == 4
    # a late revision of the expired day's event corrects the totals and writes no partial window back
    counter.add([share("a", "2019-08-31", killed=1, version=2)], now=NOW + 32 * DAY)
    assert counter.totals("RUS") == {"events": 4, "killed_low": 16, "injured_low": 0}
    assert counter.window("RUS", "2019-08-31") is None


def test_applied_versions_are_folded_after_the_retention() -> None:
    counter = Counter(retention_days=30)
    counter.add([share("a", "2024-05-01")])
    counter.add([share("b", "2024-05-02")], now=NOW + 31 * DAY)
    assert set(counter.states["RUS"]["applied"]) == {"b"}
    assert counter.totals("RUS")["events"] == 2  # folded, still counted


def test_an_actors_state_stays_under_its_caps() -> None:
    state: ActorState = {
        "totals": {"events": 0, "killed_low": 0, "injured_low": 0},
        "applied": {},
        "days": {},
        "gone": {},
    }
    stamp = int(NOW.timestamp())
    state["applied"] = {
        f"evt-{i:016x}": [1, 5, 0, "2024-05-01", 1, stamp + i] for i in range(MAX_APPLIED + 10)
    }
    state["days"] = {f"d{i:05d}": [1, 5, 0, stamp + i] for i in range(MAX_DAYS + 10)}
    expired = prune(state, stamp + MAX_APPLIED + 10, retention_days=400, daily_retention_days=400)
    assert len(state["applied"]) == MAX_APPLIED and "evt-0000000000000000" not in state["applied"]
    assert len(state["days"]) == MAX_DAYS and expired == [f"d{i:05d}" for i in range(10)]
    assert len(json.dumps(state)) < 900_000


def test_check_state_rejects_bad_state() -> None:
    counter = Counter()
    counter.add(contributions(make_event()))
    assert check_state(json.loads(json.dumps(counter.states["RUS"]))) == counter.states["RUS"]
    with pytest.raises(StageError):
        check_state({"totals": {}, "applied": {}, "days": {}})
    with pytest.raises(StageError):
        apply(None, share("a", None), now=dt.datetime(2026, 1, 1))  # a naive clock
