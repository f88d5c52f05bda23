"""Per-actor counting: events in, contributions out; contributions in, new totals out.

Two pure steps, so that counts stay exact under at-least-once delivery:

1. :func:`contributions` turns one enriched event into one contribution per actor
   that carried it out (perpetrator and co-perpetrators): ``{actor_id, event_id,
   version, killed_low, injured_low}``.
2. :func:`apply_contribution` folds a contribution into an actor's totals, given
   the contribution already applied for the same (actor, event), if any. A
   redelivered or older version changes nothing; a newer version moves the totals
   by the difference, never by the sum; a first sighting adds one event.
"""

from __future__ import annotations

from typing import TypedDict

from workers.stages.errors import StageError
from workers.types import EnrichedEvent, Quantity


class Contribution(TypedDict):
    actor_id: str
    event_id: str
    version: int
    killed_low: int
    injured_low: int


class Totals(TypedDict):
    events: int
    killed_low: int
    injured_low: int


EMPTY_TOTALS: Totals = {"events": 0, "killed_low": 0, "injured_low": 0}


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
    return [
        {
            "actor_id": actor_id,
            "event_id": event["event_id"],
            "version": event["version"],
            "killed_low": killed,
            "injured_low": injured,
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
    return {
        "actor_id": value["actor_id"],
        "event_id": value["event_id"],
        "version": value["version"],
        "killed_low": value["killed_low"],
        "injured_low": value["injured_low"],
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
