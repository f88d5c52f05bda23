"""Shared reading helpers of the event stages: an article's sentences, places by sentence.

In: :class:`~workers.types.ArticleEntities` (sentence offsets, place mentions). Out: plain
values; no decisions are made here.
"""

from __future__ import annotations

from collections.abc import Sequence

from workers.stages.patterns import pattern
from workers.types import ArticleEntities, PlaceMention

# a sentence about an earlier event ("earlier this month", "last year"):
# its figures and dates are not this event's
EARLIER = pattern("events.earlier")


def segment_text(ent: ArticleEntities, idx: int) -> str:
    """The text of sentence ``idx`` (-1 = the title; out of range = "")."""
    if idx < 0:
        return ent["title"]
    if idx >= len(ent["sentences"]):
        return ""
    s = ent["sentences"][idx]
    return ent["text"][s["start"] : s["end"]]


def places_in(ent: ArticleEntities, idx: int) -> list[PlaceMention]:
    """The place mentions of sentence ``idx``."""
    return [p for p in ent["places"] if p["sentence"] == idx]


def admin1_of(places: Sequence[PlaceMention]) -> set[str]:
    """The first-level divisions the mentions resolve to."""
    return {p["admin1"] for p in places if p["admin1"]}
