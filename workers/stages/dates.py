"""The dates an article names, grounded on the publication time.

In:  a text (a sentence or the title) and the publication date; or an article's sentences,
     title and the sentences that tell the event.
Out: :class:`DateMention` values (kind, date, precision, features); the publication date of
     an ISO string (:func:`parse_published`) or one read from the text (:func:`infer_published`).

1. Every date the text names is a mention (:func:`find_dates`): written dates with a month
   name ("12 March 2019", "Sept. 5", "March 2018"), ISO dates, a month or a year after a time
   word ("in March", "since 2019"), weekdays ("on Saturday") and relative times ("yesterday",
   "last week", "three weeks ago"). Written dates are read by ``dateparser``; a date without a
   year takes the latest year that does not put it after publication unless one follows in
   words ("March last year", "August 28 of this year"), weekdays the latest such day on or
   before it ("last Friday" told on a Friday: a week before). A date after publication (a
   trial "set for May 5") is no mention: an event is never reported before it happens.
2. :func:`candidates` gives each mention its features (kind of date, the time word before
   it, whether its sentence tells of an attack or a court step or is a statement's
   attribution, where it stands relative to the event's sentences, how far before
   publication it lies, how many other mentions name the same month); which one is the
   event's date is decided by the learned ranker (:mod:`workers.stages.date_ranker`).
3. An article without a publication time gets one from its text (:func:`infer_published`):
   the latest full written date.

The cue patterns live in ``workers/data/date_cues.jsonl``. Nothing reads the clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import dateparser

from workers import codec
from workers.stages.errors import StageError

Precision = Literal["day", "week", "month", "year", "unknown"]

_CUES_FILE = "date_cues.jsonl"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
# "sept", "sep" and "september" alike: the explicit pattern's month spellings by their first letters
_MONTH_BY_PREFIX = {name[:3]: number for name, number in _MONTH_NUMBERS.items()}
_DIGIT = re.compile(r"\d")
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_NUMBERS |= {"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
# how much text before a date is read for its time word or a speech verb
_LOOKBEHIND = 48
# sentences 0..LEAD open a report and usually tell the news
LEAD = 2
# dates that lie within a week of publication
NEAR_KINDS = frozenset({"weekday", "relative_day", "relative_week"})
# a date written without its year this many days before publication may be a plan instead
_NO_YEAR_FAR_DAYS = 180
# how far before a date (characters; half as far after) an attack word makes it that act's date
_ATTACK_WINDOW = 80
# a written date this many days after publication is a typo or a plan, not the event
_FUTURE_SLACK_DAYS = 1
# "last" right before a weekday
_LAST_BEFORE = re.compile(r"\blast\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class DateMention:
    """One date named in the text. ``sentence`` -1 is the title."""

    sentence: int
    start: int
    end: int
    kind: str  # full, day_month, month_year, month, year, weekday, relative_day/_week/_month/_year
    value: dt.date
    precision: Precision
    features: dict[str, float] = field(default_factory=dict, compare=False)


# ------------------------------------------------------------------ data files


@functools.cache
def _cues() -> dict[str, re.Pattern[str]]:
    """Read ``workers/data/date_cues.jsonl`` once; a bad row fails loudly."""
    raw = resources.files("workers").joinpath("data", _CUES_FILE).read_text(encoding="utf-8")
    out: dict[str, re.Pattern[str]] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        row = codec.loads(line)
        if not isinstance(row, dict) or not isinstance(row.get("pattern"), str):
            raise ValueError(f"{_CUES_FILE}:{number}: a row needs name, about and pattern")
        text = str(row["pattern"]).replace("{month}", f"(?:{_MONTHS})")
        out[str(row["name"])] = re.compile(text, re.IGNORECASE if row.get("ignore_case") else 0)
    return out


def cues() -> dict[str, re.Pattern[str]]:
    """The cue patterns of ``workers/data/date_cues.jsonl`` by name (read once)."""
    return _cues()


# ------------------------------------------------------------------ publication time


def parse_published(published_at: str | None) -> dt.date:
    """The publication date of an ISO date or date-time string; StageError if there is none."""
    s = (published_at or "").strip()
    if not s:
        raise StageError("published_at is empty")
    try:
        return dt.date.fromisoformat(s[:10])
    except ValueError as exc:
        raise StageError(f"published_at is not an ISO date: {published_at!r}") from exc


def infer_published(texts: Iterable[str]) -> str | None:
    """A publication date for an article that has none: the latest full written date
    (day, month and year) in ``texts`` (title and body), else the latest month and year
    (the last day of that month). None when the text names no year."""
    full: list[dt.date] = []
    month_year: list[dt.date] = []
    far = dt.date(2100, 1, 1)
    for text in texts:
        for mention in _explicit_mentions(text, -1, far):
            if mention.kind == "full":
                full.append(mention.value)
            elif mention.kind == "month_year":
                nxt = (mention.value.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                month_year.append(nxt - dt.timedelta(days=1))
    found = full or month_year
    return max(found).isoformat() if found else None


# ------------------------------------------------------------------ finding dates


def _parse(day: str | None, month: str, year: str | None, pub: dt.date) -> dt.date | None:
    """The date of a written day (None: the 1st), month name and year (None: the latest
    such day not after ``pub``, as dateparser reads it).

    A day, month and year all given are only checked by the calendar; what has no year, or
    is no valid day, goes to dateparser. The dateparser reading is what this equals
    (``tests/unit/test_dates.py`` compares both on every month spelling)."""
    number = _MONTH_BY_PREFIX.get(month.lower()[:3])
    if year is not None and number is not None:
        try:
            return dt.date(int(year), number, int(day) if day is not None else 1)
        except ValueError:
            pass  # "31 June 2019": dateparser decides
    text = f"{day or 1} {month} {year}" if year else f"{day} {month}"
    return _dateparser(text, pub)


@functools.lru_cache(maxsize=4096)
def _dateparser(text: str, pub: dt.date) -> dt.date | None:
    """``dateparser``'s reading of ``text`` against ``pub`` (memoised: an article names the
    same date many times, and every event of it reads the dates again)."""
    base = dt.datetime(pub.year, pub.month, pub.day, 12, 0)
    try:
        parsed = dateparser.parse(
            text,
            languages=["en"],
            settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY"},
        )
    except (ValueError, OverflowError):
        return None
    return parsed.date() if parsed is not None else None


def _explicit_mentions(text: str, sentence: int, pub: dt.date) -> list[DateMention]:
    if not _DIGIT.search(text):
        return []  # a written date and an ISO date both hold a digit (day or year)
    cues = _cues()
    out: list[DateMention] = []
    precision: Precision
    for m in cues["explicit"].finditer(text):
        day, year = m.group("d1") or m.group("d2"), m.group("y1") or m.group("y2") or m.group("y3")
        month = (m.group("m1") or m.group("m2") or m.group("m3")).rstrip(".")
        if day is None:
            kind, precision = "month_year", "month"
        else:
            kind, precision = ("full" if year else "day_month"), "day"
        end, told = m.end(), _year_after(text, m.end(), pub)
        if year is None and told is not None:
            # "August 28 last year": that year's day; still of the kind of a day without a
            # year in digits (a kind the ranker weighs apart from a written year)
            year, end = str(told[0]), told[1]
        value = _parse(day, month, year, pub)
        if value is not None:
            out.append(DateMention(sentence, m.start(), end, kind, value, precision))
    for m in cues["iso"].finditer(text):
        try:
            value = dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        except ValueError:
            continue
        out.append(DateMention(sentence, m.start(), m.end(), "full", value, "day"))
    return out


def _year_after(text: str, end: int, pub: dt.date) -> tuple[int, int] | None:
    """(year, end of the words) of a year told in words right after a date that has none
    ("March last year", "August 28 of this year"), else None: a date without a year is
    otherwise read as the latest such day, which for "March last year" told in July is
    this March."""
    m = _cues()["year_after"].match(text, end)
    if m is None:
        return None
    return (pub.year - 1 if m.group("which").lower() == "last" else pub.year), m.end()


def _month_before(pub: dt.date, month: int) -> dt.date:
    """The first day of the latest ``month`` not after publication."""
    year = pub.year if month <= pub.month else pub.year - 1
    return dt.date(year, month, 1)


def _relative(m: re.Match[str], pub: dt.date) -> tuple[str, dt.date, Precision]:
    """(kind, date, precision) of a relative time such as "yesterday" or "three weeks ago"."""
    rel = (m.group("rel") or "").lower()
    if rel in ("yesterday", "last night"):
        return "relative_day", pub - dt.timedelta(days=1), "day"
    if rel == "today":
        return "relative_today", pub, "day"  # also "today's world": weaker than "this morning"
    if rel in ("this morning", "this afternoon", "this evening", "tonight", "overnight"):
        return "relative_day", pub, "day"
    if rel in ("last week", "last weekend"):
        return "relative_week", pub - dt.timedelta(days=7), "week"
    if rel in ("earlier this week", "this week"):
        return "relative_week", pub, "week"
    if rel == "last month":
        return "relative_month", (pub.replace(day=1) - dt.timedelta(days=1)).replace(day=1), "month"
    if rel in ("earlier this month", "this month"):
        return "relative_month", pub.replace(day=1), "month"
    if rel == "last year":
        return "relative_year", dt.date(pub.year - 1, 1, 1), "year"
    if rel in ("earlier this year", "this year"):
        return "relative_year", dt.date(pub.year, 1, 1), "year"
    count = _NUMBERS.get(m.group("n").lower()) or int(m.group("n"))
    unit = m.group("unit").lower()
    days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * count
    precision: Precision = "day" if unit == "day" else "week" if unit == "week" else "month"
    return f"relative_{unit}", pub - dt.timedelta(days=days), precision


def _other_mentions(text: str, sentence: int, pub: dt.date, taken: list[DateMention]) -> list[DateMention]:
    cues = _cues()
    spans = [(d.start, d.end) for d in taken]

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in spans)

    out: list[DateMention] = []
    has_digit = _DIGIT.search(text) is not None  # a year is written in digits
    for m in cues["month_alone"].finditer(text):
        if free(m.start("m"), m.end("m")):
            month = _MONTH_NUMBERS[m.group("m").lower()]
            told = _year_after(text, m.end(), pub)
            if told is not None:  # "in March last year": that year's month, written out
                value = dt.date(told[0], month, 1)
                out.append(DateMention(sentence, m.start("m"), told[1], "month", value, "month"))
                continue
            value = _month_before(pub, month)
            out.append(DateMention(sentence, m.start("m"), m.end(), "month", value, "month"))
    for m in cues["year_alone"].finditer(text) if has_digit else ():
        if free(m.start("y"), m.end("y")) and int(m.group("y")) <= pub.year:
            value = dt.date(int(m.group("y")), 1, 1)
            out.append(DateMention(sentence, m.start("y"), m.end(), "year", value, "year"))
    starts = {d.start for d in taken}
    for m in cues["weekday"].finditer(text):
        # "Saturday, March 30, 2019" is one date, told by its written part
        glued = any(m.end() <= s <= m.end() + 3 for s in starts)
        if free(m.start(), m.end()) and not glued:
            target = _WEEKDAYS.index(m.group("day").lower())
            back = (pub.weekday() - target) % 7
            if back == 0 and _LAST_BEFORE.search(text, 0, m.start()):
                back = 7  # "last Friday" told on a Friday is a week before, not the news day
            value = pub - dt.timedelta(days=back)
            out.append(DateMention(sentence, m.start(), m.end(), "weekday", value, "day"))
    for m in cues["relative"].finditer(text):
        kind, value, precision = _relative(m, pub)
        out.append(DateMention(sentence, m.start(), m.end(), kind, value, precision))
    return out


def find_dates(text: str, sentence: int, pub: dt.date) -> list[DateMention]:
    """The dates ``text`` names, resolved against the publication date ``pub``, in text order.

    Dates after publication (beyond a day's slack for time zones) are left out.
    """
    explicit = _explicit_mentions(text, sentence, pub)
    mentions = explicit + _other_mentions(text, sentence, pub, explicit)
    latest = pub + dt.timedelta(days=_FUTURE_SLACK_DAYS)
    return sorted((d for d in mentions if d.value <= latest), key=lambda d: d.start)


# ------------------------------------------------------------------ scoring


def _age_bin(value: dt.date, pub: dt.date) -> str:
    months = (pub.year - value.year) * 12 + pub.month - value.month
    if months <= 0:
        return "age=0"
    if months == 1:
        return "age=1"
    if months <= 3:
        return "age=2-3"
    return "age=4-12" if months <= 12 else "age=13+"


def _mention_features(d: DateMention, text: str, pub: dt.date, anchors: frozenset[int]) -> dict[str, float]:
    cues = _cues()
    before = text[max(0, d.start - _LOOKBEHIND) : d.start]
    cue = cues["cue"].search(before)
    feats = {f"kind={d.kind}": 1.0, _age_bin(d.value, pub): 1.0}
    feats[f"cue={cue.group('cue').lower() if cue else 'none'}"] = 1.0
    if cues["speech_before"].search(before):
        feats["speech"] = 1.0
    if d.kind in ("day_month", "month") and (pub - d.value).days > _NO_YEAR_FAR_DAYS:
        # "on March 12" read in February as last March: often a plan for this March instead
        feats["no_year_far"] = 1.0
    if cues["attack"].search(text):
        feats["attack"] = 1.0
        window = text[max(0, d.start - _ATTACK_WINDOW) : d.end + _ATTACK_WINDOW // 2]
        if cues["attack"].search(window):
            feats["attack_near"] = 1.0  # "was abducted on 12 May": the date of that very act
    if cues["legal"].search(text):
        feats["legal"] = 1.0
    if re.match(r"\W*$", text[d.end :]) and not cue:
        feats["closes_sentence"] = 1.0  # a caption's or a dateline's date
    if d.sentence in anchors:
        feats["anchor"] = 1.0
    elif anchors and min(abs(d.sentence - a) for a in anchors) == 1:
        feats["near_anchor"] = 1.0
    return feats


def _score(features: Mapping[str, float], table: Mapping[str, float]) -> float:
    return sum(table.get(name, 0.0) * value for name, value in features.items())


def candidates(
    sentences: Sequence[str], pub: dt.date, *, title: str = "", anchors: Iterable[int] = ()
) -> list[DateMention]:
    """Every candidate event date with its features; the publication date comes first.

    ``sentences`` in text order; ``title`` counts as sentence -1; ``anchors`` are the indices
    of the sentences that tell the event.
    """
    anchor_set = frozenset(anchors)
    texts = [(-1, title), *enumerate(sentences)]
    found: list[tuple[DateMention, str]] = []
    for index, text in texts:
        found.extend((d, text) for d in find_dates(text, index, pub))
    support = Counter((d.value.year, d.value.month) for d, _ in found if d.precision != "year")
    out = [DateMention(-2, 0, 0, "published", pub, "unknown")]
    seen_violent = False
    for order, (d, text) in enumerate(found):
        feats = _mention_features(d, text, pub, anchor_set)
        feats["support"] = min(support[(d.value.year, d.value.month)] - 1, 3) / 3
        feats[_position_bin(d.sentence)] = 1.0
        if order == 0:
            feats["first"] = 1.0
        if "attack" in feats and d.precision != "year" and not seen_violent:
            # the first date told with an attack is the likeliest date of the attack
            feats["first_attack"] = 1.0
            seen_violent = True
        out.append(DateMention(d.sentence, d.start, d.end, d.kind, d.value, d.precision, feats))
    return out


def _position_bin(sentence: int) -> str:
    if sentence < 0:
        return "at=title"
    return "at=0-2" if sentence <= LEAD else "at=3-9" if sentence < 10 else "at=10+"


def ranked(d: DateMention) -> bool:
    """Whether the scorer weighs ``d``: a date within a week of publication ("on Saturday")
    only when it stands in a sentence of the event; elsewhere it only refines the day of the
    publication date (see :mod:`workers.stages.date_ranker`), whose month it shares nearly always."""
    if d.kind == "published" or "closes_sentence" in d.features:
        return False  # a date closing a sentence without a time word dates a photo or a dateline
    return d.kind not in NEAR_KINDS or "anchor" in d.features
