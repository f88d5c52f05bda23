"""Event dates grounded on the publication date.

"on Saturday" is the last Saturday on or before publication; "yesterday" the day
before; "last week" a week earlier with week precision; explicit dates ("March
12, 2020", "12 March 2020", "on July 1") are parsed with ``dateparser`` relative
to the publication date, preferring the past. Nothing reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import dateparser

from workers.stages.errors import StageError
from workers.stages.patterns import pattern
from workers.types import EventDate

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_RE = pattern("dates.weekday")
_REL_RE = pattern("dates.rel")
_ON_BEFORE = pattern("dates.on_before")
_EXPLICIT_RE = pattern("dates.explicit")


def parse_published(published_at: str) -> dt.date:
    """The publication date of an ISO date or date-time string."""
    s = (published_at or "").strip()
    if not s:
        raise StageError("published_at is empty")
    try:
        return dt.date.fromisoformat(s[:10])
    except ValueError as exc:
        raise StageError(f"published_at is not an ISO date: {published_at!r}") from exc


def _weekday_on_or_before(pub: dt.date, name: str) -> dt.date:
    target = _WEEKDAYS.index(name.lower())
    return pub - dt.timedelta(days=(pub.weekday() - target) % 7)


def _explicit(m: re.Match[str], pub: dt.date) -> dt.date | None:
    day = m.group("d1") or m.group("d2")
    month = m.group("m1") or m.group("m2")
    year = m.group("y1") or m.group("y2")
    text = f"{day} {month} {year}" if year else f"{day} {month}"
    base = dt.datetime(pub.year, pub.month, pub.day, 12, 0)
    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY"},
    )
    if parsed is None:
        return None
    d: dt.date = parsed.date()
    if d > pub:
        return None
    return d


def _relative(rel: str, pub: dt.date) -> EventDate:
    if rel in ("yesterday", "last night"):
        return EventDate(value=(pub - dt.timedelta(days=1)).isoformat(), precision="day")
    if rel in ("today", "this morning", "this afternoon", "this evening", "tonight", "overnight"):
        return EventDate(value=pub.isoformat(), precision="day")
    if rel == "last week":
        return EventDate(value=(pub - dt.timedelta(days=7)).isoformat(), precision="week")
    if rel in ("earlier this week", "this week"):
        return EventDate(value=pub.isoformat(), precision="week")
    if rel == "last month":
        last = pub.replace(day=1) - dt.timedelta(days=1)
        return EventDate(value=last.replace(day=1).isoformat(), precision="month")
    return EventDate(value=pub.replace(day=1).isoformat(), precision="month")


def resolve_date(texts: Iterable[str], published_at: str) -> EventDate:
    """The event date named in ``texts`` (most relevant first), grounded on ``published_at``.

    Falls back to the publication date with precision "unknown" when no text names one.
    """
    pub = parse_published(published_at)
    for text in texts:
        for m in _EXPLICIT_RE.finditer(text):
            # "on March 28", "on Saturday, March 28": an event date; a date closing a
            # sentence without "on" is a photo caption or a dateline
            if not _ON_BEFORE.search(text[: m.start()]):
                continue
            d = _explicit(m, pub)
            if d is not None and (pub - d).days <= 366:
                return EventDate(value=d.isoformat(), precision="day")
        m2 = _WEEKDAY_RE.search(text)
        if m2:
            day = _weekday_on_or_before(pub, m2.group("day"))
            return EventDate(value=day.isoformat(), precision="day")
        m3 = _REL_RE.search(text)
        if m3:
            return _relative(m3.group("rel").lower(), pub)
    return EventDate(value=pub.isoformat(), precision="unknown")
