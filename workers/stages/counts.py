"""Per-actor counting: events in, contributions out; a contribution and the actor's state in, the new
state out.

Two pure steps, so that counts stay exact under at-least-once delivery:

1. :func:`contributions` turns one enriched event into one contribution per actor that
   carried it out (perpetrator and co-perpetrators): ``{actor_id, event_id, version,
   killed_low, injured_low, day}``. The identify stage adds retractions (``retracted``:
   the event was merged into another, or no longer names the actor).
2. :func:`apply` folds a contribution into the actor's :class:`ActorState` — one table
   value holding the all-time totals, the contribution applied per event, and the daily
   windows — so that a crash between two writes cannot leave them disagreeing. A
   contribution whose version is not newer than the one applied changes nothing (the
   caller re-publishes what is stored); a newer one moves totals and windows by the
   difference; a retraction takes the event out.

Bounds, all in processing time (``now``, from the caller's clock), never in event dates:
an event's applied contribution is remembered for ``retention_days`` after its last change
(and at most :data:`MAX_APPLIED` per actor, least recently changed folded first: its effect
stays in the totals, but a later version of it would count as a new event); a daily window
not changed for ``daily_retention_days`` expires (and at most :data:`MAX_DAYS` per actor); its
tombstone is sent again with every redelivery for a day after.
A backfill of old articles therefore keeps its windows, and a future-dated article expires
nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any, NotRequired, TypedDict, cast

from workers.stages.errors import StageError
from workers.types import EnrichedEvent, Quantity

# With ~60 bytes per applied entry and ~50 per window, an actor's value stays under 700 kB,
# inside Kafka's 1 MB message limit.
MAX_APPLIED = 8_000
MAX_DAYS = 3_000
UNDATED = "undated"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_SECONDS = 86_400


class Contribution(TypedDict):
    actor_id: str
    event_id: str
    version: int
    killed_low: int
    injured_low: int
    day: str | None  # the event's date (YYYY-MM-DD), else its first report's; the daily window it counts in
    retracted: NotRequired[bool]  # True: the event no longer counts for this actor


class Totals(TypedDict):
    events: int
    killed_low: int
    injured_low: int


class ActorState(TypedDict):
    totals: Totals
    # event id -> [version, killed_low, injured_low, window key, counted (0/1), changed_at]
    applied: dict[str, list[Any]]
    # window key (a day, or UNDATED) -> [events, killed_low, injured_low, changed_at]
    days: dict[str, list[int]]
    # window key -> when it expired: for a day, a redelivery re-sends its tombstone
    gone: dict[str, int]


class CountUpdate(TypedDict):
    state: ActorState
    changed: bool  # False: a redelivery or an older version; publish what is stored
    windows: list[str]  # window keys to publish (their totals as the state holds them)
    expired: list[str]  # window keys that expired (publish a tombstone)


EMPTY_TOTALS: Totals = {"events": 0, "killed_low": 0, "injured_low": 0}


def empty_state() -> ActorState:
    return {"totals": dict(EMPTY_TOTALS), "applied": {}, "days": {}, "gone": {}}  # type: ignore[typeddict-item]


def daily_key(actor_id: str, window: str | None) -> str:
    """The actors.counts key of one of an actor's daily windows."""
    return f"{actor_id}|{window or UNDATED}"


def _lower_bound(quantity: Quantity | None) -> int:
    """What a figure adds to a count: its stated lower bound, or nothing ("up to 40" states none)."""
    return (quantity["low"] or 0) if quantity else 0


def contributions(event: EnrichedEvent) -> list[Contribution]:
    """One contribution per distinct actor that carried out a violent event."""
    if not event["violent"]:
        return []
    actors: list[str] = []
    for actor_id in [event["perpetrator"], *event["co_perpetrators"]]:
        if actor_id and actor_id not in actors:
            actors.append(actor_id)
    killed = _lower_bound(event["killed"])
    injured = _lower_bound(event["injured"])
    day = event["date"]["value"] or (event["sources"][0]["published_at"][:10] if event["sources"] else None)
    if day is not None and not _DAY.fullmatch(day):
        day = None
    return [
        {
            "actor_id": actor_id,
            "event_id": event["event_id"],
            "version": event["version"],
            "killed_low": killed,
            "injured_low": injured,
            "day": day,
        }
        for actor_id in actors
    ]


def retraction(actor_id: str, event_id: str, version: int) -> Contribution:
    """The contribution that withdraws ``event_id`` (at ``version``) from ``actor_id``'s counts."""
    return {
        "actor_id": actor_id,
        "event_id": event_id,
        "version": version,
        "killed_low": 0,
        "injured_low": 0,
        "day": None,
        "retracted": True,
    }


def check_contribution(value: object) -> Contribution:
    """Validate a contribution read back from the wire."""
    if not isinstance(value, dict):
        raise StageError("a contribution must be a JSON object")
    for name in ("actor_id", "event_id"):
        if not isinstance(value.get(name), str) or not value[name]:
            raise StageError(f"contribution field {name!r} must be a non-empty string")
    for name in ("version", "killed_low", "injured_low"):
        number = value.get(name)
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise StageError(f"contribution field {name!r} must be a non-negative integer")
    day = value.get("day")
    if day is not None and not (isinstance(day, str) and _DAY.fullmatch(day)):
        raise StageError("contribution field 'day' must be a date YYYY-MM-DD or null")
    retracted = value.get("retracted", False)
    if not isinstance(retracted, bool):
        raise StageError("contribution field 'retracted' must be a boolean")
    share: Contribution = {
        "actor_id": value["actor_id"],
        "event_id": value["event_id"],
        "version": value["version"],
        "killed_low": value["killed_low"],
        "injured_low": value["injured_low"],
        "day": day,
    }
    if retracted:
        share["retracted"] = True
    return share


def check_state(value: object) -> ActorState:
    """An actor's table value read back from the changelog (None: no counts yet), checked for shape."""
    if value is None:
        return empty_state()
    if not isinstance(value, dict):
        raise StageError("an actor's state must be a dict")
    totals, applied, days = value.get("totals"), value.get("applied"), value.get("days")
    if not isinstance(totals, dict) or not all(isinstance(totals.get(k), int) for k in EMPTY_TOTALS):
        raise StageError("an actor's state needs integer totals")
    if not isinstance(applied, dict) or not all(
        isinstance(e, list) and len(e) == 6 for e in applied.values()
    ):
        raise StageError("applied entries must be [version, killed, injured, window, counted, changed_at]")
    if not isinstance(days, dict) or not all(isinstance(w, list) and len(w) == 4 for w in days.values()):
        raise StageError("daily windows must be [events, killed, injured, changed_at]")
    if not isinstance(value.get("gone"), dict):
        raise StageError("an actor's state needs its recently expired windows")
    return cast(ActorState, value)


def window_totals(state: ActorState, window: str) -> Totals | None:
    """The totals of one daily window, or None when the actor has no such window."""
    found = state["days"].get(window)
    if found is None:
        return None
    return {"events": found[0], "killed_low": found[1], "injured_low": found[2]}


def _move(state: ActorState, window: str | None, sign: int, entry: list[Any], now: int) -> None:
    """Add (sign 1) or take out (sign -1) one applied entry's effect on totals and its window."""
    events, killed, injured = sign, sign * entry[1], sign * entry[2]
    totals = state["totals"]
    totals["events"] += events
    totals["killed_low"] += killed
    totals["injured_low"] += injured
    if window is None:
        return
    found = state["days"].get(window)
    if found is None and sign < 0:
        return  # the window expired: nothing of it is left to correct
    found = found or [0, 0, 0, now]
    state["days"][window] = [found[0] + events, found[1] + killed, found[2] + injured, now]


def prune(state: ActorState, now: int, retention_days: int, daily_retention_days: int) -> list[str]:
    """Apply the actor's bounds in place; the daily windows that expired.

    Applied entries unchanged for ``retention_days`` are folded (forgotten; their effect stays
    in the totals), then the least recently changed beyond :data:`MAX_APPLIED`. Dated windows
    unchanged for ``daily_retention_days`` expire, then the least recently changed beyond
    :data:`MAX_DAYS`; the undated window never expires. Expired windows are remembered in
    ``gone`` for a day (or until they come back).
    """
    if retention_days < 1 or daily_retention_days < 1:
        raise StageError("retention_days and daily_retention_days must be at least 1")
    applied = state["applied"]
    stale = [k for k, e in applied.items() if now - e[5] > retention_days * _DAY_SECONDS]
    overflow = max(0, len(applied) - len(stale) - MAX_APPLIED)
    keep = sorted((k for k in applied if k not in set(stale)), key=lambda k: (applied[k][5], k))
    for key in stale + keep[:overflow]:
        del applied[key]
    days = state["days"]
    dated = sorted((w for w in days if w != UNDATED), key=lambda w: (days[w][3], w))
    expired = [w for w in dated if now - days[w][3] > daily_retention_days * _DAY_SECONDS]
    rest = [w for w in dated if w not in set(expired)]
    expired += rest[: max(0, len(rest) - MAX_DAYS)]
    for window in expired:
        del days[window]
    gone = state["gone"]
    for window in [w for w, at in gone.items() if now - at > _DAY_SECONDS or w in days]:
        del gone[window]
    gone.update(dict.fromkeys(expired, now))
    return sorted(expired)


def apply(
    state: ActorState | None,
    share: Contribution,
    *,
    now: dt.datetime,
    retention_days: int = 400,
    daily_retention_days: int = 400,
) -> CountUpdate:
    """Fold one contribution into the actor's state. Pure: the inputs are not modified."""
    if now.tzinfo is None:
        raise StageError("now must be an aware date-time")
    stamp = int(now.timestamp())
    new = copy.deepcopy(check_state(state))
    expired = prune(new, stamp, retention_days, daily_retention_days)
    before = new["applied"].get(share["event_id"])
    if before is not None and before[0] >= share["version"]:
        windows = [before[3]] if before[3] is not None else []
        # the tombstones of windows expired within a day, in case they went out with a lost message
        return {"state": new, "changed": False, "windows": windows, "expired": sorted(new["gone"])}
    counted = 0 if share.get("retracted") else 1
    window = (before[3] if before else None) if share.get("retracted") else (share["day"] or UNDATED)
    # a revision within a window that has expired corrects the totals only: no partial window comes back
    gone = before is not None and before[3] == window and window not in new["days"]
    if before is not None and before[4]:
        _move(new, before[3], -1, before, stamp)
    entry = [share["version"], share["killed_low"], share["injured_low"], window, counted, stamp]
    if counted:
        _move(new, None if gone else window, 1, entry, stamp)
    new["applied"][share["event_id"]] = entry
    touched = sorted(
        {w for w in (window, before[3] if before else None) if w is not None and w in new["days"]}
    )
    return {"state": new, "changed": True, "windows": touched, "expired": expired}
