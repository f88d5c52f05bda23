"""Per-actor counting: events in, contributions out; contributions in, new totals out.

Two pure steps, so that counts stay exact under at-least-once delivery:

1. :func:`contributions` turns one enriched event into one contribution per actor
   that carried it out (perpetrator and co-perpetrators): ``{actor_id, event_id,
   version, killed_low, injured_low}``.
2. :func:`apply_contribution` folds a contribution into an actor's totals, given
   the contribution already applied for the same (actor, event), if any. A
   redelivered or older version changes nothing; a newer version moves the totals
   by the difference, never by the sum; a first sighting adds one event.

:func:`daily_update` does the same for the actor's daily windows and keeps them to a
retention period: a window more than ``retention_days`` older than the actor's newest
one expires, and a late contribution to an expired window changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import TypedDict

from workers.stages.errors import StageError
from workers.types import EnrichedEvent, Quantity


class Contribution(TypedDict):
    actor_id: str
    event_id: str
    version: int
    killed_low: int
    injured_low: int
    day: str | None  # the event's date (YYYY-MM-DD), else its first report's; the daily window it counts in


class Totals(TypedDict):
    events: int
    killed_low: int
    injured_low: int


EMPTY_TOTALS: Totals = {"events": 0, "killed_low": 0, "injured_low": 0}
UNDATED = "undated"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def contribution_key(actor_id: str, event_id: str) -> str:
    return f"{actor_id}|{event_id}"


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


def check_contribution(value: object) -> Contribution:
    """Validate a contribution read back from the wire."""
    if not isinstance(value, dict):
        raise StageError("a contribution must be a JSON object")
    for field in ("actor_id", "event_id"):
        if not isinstance(value.get(field), str) or not value[field]:
            raise StageError(f"contribution field {field!r} must be a non-empty string")
    for field in ("version", "killed_low", "injured_low"):
        number = value.get(field)
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise StageError(f"contribution field {field!r} must be a non-negative integer")
    day = value.get("day")
    if day is not None and not (isinstance(day, str) and _DAY.fullmatch(day)):
        raise StageError("contribution field 'day' must be a date YYYY-MM-DD or null")
    return {
        "actor_id": value["actor_id"],
        "event_id": value["event_id"],
        "version": value["version"],
        "killed_low": value["killed_low"],
        "injured_low": value["injured_low"],
        "day": day,
    }


def apply_contribution(
    totals: Totals | None, applied: Contribution | None, contribution: Contribution
) -> Totals | None:
    """New totals for the actor, or None when the contribution changes nothing."""
    if applied is not None and applied["version"] >= contribution["version"]:
        return None
    current = totals if totals is not None else EMPTY_TOTALS
    before_killed = applied["killed_low"] if applied else 0
    before_injured = applied["injured_low"] if applied else 0
    return {
        "events": current["events"] + (0 if applied else 1),
        "killed_low": current["killed_low"] + contribution["killed_low"] - before_killed,
        "injured_low": current["injured_low"] + contribution["injured_low"] - before_injured,
    }


def daily_prefix(actor_id: str) -> str:
    return f"{actor_id}|"


def daily_key(actor_id: str, day: str | None) -> str:
    return f"{daily_prefix(actor_id)}{day or UNDATED}"


def daily_deltas(applied: Contribution | None, contribution: Contribution) -> list[tuple[str | None, Totals]]:
    """How a contribution moves the actor's daily (tumbling, one-day) windows: ``[(day, delta)]``.

    Same rule as :func:`apply_contribution`; a revision that moves the event to another
    day takes it out of the old day's window and puts it into the new one.
    """
    if applied is not None and applied["version"] >= contribution["version"]:
        return []
    added: Totals = {
        "events": 1,
        "killed_low": contribution["killed_low"],
        "injured_low": contribution["injured_low"],
    }
    if applied is None:
        return [(contribution["day"], added)]
    if applied.get("day") != contribution["day"]:
        removed: Totals = {
            "events": -1,
            "killed_low": -applied["killed_low"],
            "injured_low": -applied["injured_low"],
        }
        return [(applied.get("day"), removed), (contribution["day"], added)]
    return [
        (
            contribution["day"],
            {
                "events": 0,
                "killed_low": contribution["killed_low"] - applied["killed_low"],
                "injured_low": contribution["injured_low"] - applied["injured_low"],
            },
        )
    ]


def add_totals(totals: Totals | None, delta: Totals) -> Totals:
    base = totals if totals is not None else EMPTY_TOTALS
    return {
        "events": base["events"] + delta["events"],
        "killed_low": base["killed_low"] + delta["killed_low"],
        "injured_low": base["injured_low"] + delta["injured_low"],
    }


@dataclasses.dataclass(frozen=True)
class DailyUpdate:
    """What a contribution does to an actor's daily windows."""

    # (day or None for the undated window, its new totals)
    writes: list[tuple[str | None, Totals]] = dataclasses.field(default_factory=list)
    # dated windows to delete
    expired: list[str] = dataclasses.field(default_factory=list)
    # the actor's dated windows afterwards, oldest first
    days: list[str] = dataclasses.field(default_factory=list)


def _cutoff(days: Sequence[str], retention_days: int) -> str | None:
    """The oldest day still kept: ``retention_days`` before the newest, or None when none is dated."""
    if not days:
        return None
    newest = dt.date.fromisoformat(max(days))
    return (newest - dt.timedelta(days=retention_days)).isoformat()


def daily_update(
    applied: Contribution | None,
    contribution: Contribution,
    days: Sequence[str],
    current: Callable[[str | None], Totals | None],
    retention_days: int,
) -> DailyUpdate:
    """The daily windows a contribution moves, given the actor's dated windows ``days`` and
    ``current(day)``, the totals a window holds now.

    The undated window never expires. A window older than the cutoff (``retention_days``
    before the newest window) is expired: deleted if it exists, never written again, so a
    late revision cannot bring it back with a partial count.
    """
    if retention_days < 1:
        raise StageError("retention_days must be at least 1")
    deltas = daily_deltas(applied, contribution)
    dated = set(days) | {day for day, delta in deltas if day is not None and delta["events"] >= 0}
    cutoff = _cutoff(sorted(dated), retention_days)
    writes: list[tuple[str | None, Totals]] = []
    for day, delta in deltas:
        if day is not None and cutoff is not None and day < cutoff:
            continue
        writes.append((day, add_totals(current(day), delta)))
    written = {day for day, _ in writes if day is not None}
    kept = sorted(d for d in (set(days) | written) if cutoff is None or d >= cutoff)
    expired = sorted(d for d in days if cutoff is not None and d < cutoff)
    return DailyUpdate(writes=writes, expired=expired, days=kept)
