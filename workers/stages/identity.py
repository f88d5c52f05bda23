"""Event identity across articles: one candidate event in, the new state of its block and what to publish out.

In: a :class:`Candidate` (one event as ``assemble_events`` made it from one article, with the
article's content hash, MinHash signature, blocking key and publication time) and the
:class:`KnownEvent` list the caller keeps for the candidate's block (a Faust table value).
Out: a :class:`Resolution`: the block's new list, pruned to the time window; the event to
(re-)publish on events.enriched, or None when nothing visible changed; the event_id the
candidate was merged into; the article it is a near-duplicate of.

Identity rule. A report is the same event as a known one when

* it is a near-duplicate of an article already merged into it (MinHash resemblance of
  the texts at or above ``near_duplicate``) and the types are compatible; or
* the types are compatible and the place, actors and date agree: the same governorate
  (specific place names, when both reports give one, must be equal), a shared
  perpetrator or co-perpetrator (reports naming disjoint perpetrators never match) or,
  when one side names none, an overlapping target, and event dates at most two days
  apart. Each agreeing detail scores: a shared perpetrator 2, a shared target 1, the
  same specific place 1, the same day 1, a day apart 0, two days apart -1; a match
  needs 2. A perpetrator and a governorate are enough on the same or the next day, but
  two days apart they need a further detail: one actor often strikes one governorate
  day after day, and those are separate events.

Non-violent events (statements, threats) never merge into violent ones, and link to each
other only as near-duplicates. Of several matching entries the best-scoring one wins.

Merging keeps the known event_id and version + 1 when anything visible changed: sources
gain the report; each casualty figure becomes the larger of the two (a toll update,
"the death toll has risen to 22", states the larger figure, so it replaces the earlier
one with its own low and high; a lower figure never lowers an event); perpetrators,
targets and speakers are united; the more precise place and date are kept.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

from workers.stages.errors import StageError
from workers.stages.similarity import check_signature, make_signature, resemblance
from workers.types import EnrichedEvent, Location, Quantity

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "event_identity.json"

DATE_TOLERANCE_DAYS = 2
MIN_SCORE = 2.0
# a near-duplicate outranks any match on details: the texts are the same report
_NEAR_DUPLICATE_SCORE = 10.0
_Figure = Literal["killed", "injured", "displaced", "kidnapped"]
_FIGURES: tuple[_Figure, ...] = ("killed", "injured", "displaced", "kidnapped")
_DATE_PRECISION = {"day": 3, "week": 2, "month": 1, "unknown": 0}


class Candidate(TypedDict):
    """One event of one article, ready to be resolved against its block."""

    event: EnrichedEvent  # as assemble_events made it: version 1, sources = [this article]
    content_hash: str  # the article's content hash
    signature: list[int]  # MinHash of the article text (make_signature)
    block: str  # block_key(event): all reports of one event share it
    observed_at: str  # the article's published_at: the stream's clock for windows


class KnownEvent(TypedDict):
    """One event of a block as the table keeps it."""

    event: EnrichedEvent  # its latest emitted version
    content_hashes: list[str]  # articles merged into it
    signatures: list[list[int]]  # their signatures, in the same order as content_hashes
    first_seen: str
    last_seen: str


class Resolution(TypedDict):
    known: list[KnownEvent]  # the block's new table value
    emit: EnrichedEvent | None  # what to (re-)publish, or None when nothing changed
    matched: str | None  # event_id the candidate was merged into (or is a redelivery of)
    duplicate_of: str | None  # content hash of the article it (near-)duplicates, if any


# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class _Rules:
    groups: dict[str, frozenset[str]]  # type -> names of the groups it belongs to
    preference: dict[str, int]  # type -> rank, 0 = most specific
    weak_targets: frozenset[str]  # case-folded


@functools.cache
def _rules() -> _Rules:
    try:
        data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # pragma: no cover - packaging error
        raise StageError(f"cannot read {RULES_FILE}: {exc}") from exc
    groups: dict[str, set[str]] = {}
    for group in data["compatible_groups"]:
        for etype in group["types"]:
            groups.setdefault(str(etype), set()).add(str(group["name"]))
    return _Rules(
        groups={t: frozenset(g) for t, g in groups.items()},
        preference={str(t): i for i, t in enumerate(data["preference"])},
        weak_targets=frozenset(str(t).casefold() for t in data["weak_targets"]),
    )


def compatible_types(a: str, b: str) -> bool:
    """True when two event types can name one incident (equal, or sharing a group)."""
    groups = _rules().groups
    return a == b or bool(groups.get(a, frozenset()) & groups.get(b, frozenset()))


# ---------------------------------------------------------------- inputs


def block_key(event: EnrichedEvent) -> str:
    """The table key of an event's block: ``COUNTRY:admin1``, else ``COUNTRY``, else ``unknown``.

    Reports are compared only within a block, so the key uses nothing a second report of
    the same event could state differently but the governorate.
    """
    location = event.get("location") or {}
    country = (location.get("country") or "").strip().upper()
    admin1 = (location.get("admin1") or "").strip().casefold()
    if admin1:
        return f"{country or '??'}:{admin1}"
    return country or "unknown"


def _instant(value: object, what: str) -> dt.datetime:
    """An ISO date or date-time as an aware UTC instant (naive = UTC, a date = its midnight)."""
    if not isinstance(value, str) or not value.strip():
        raise StageError(f"{what} must be an ISO date or date-time")
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise StageError(f"{what} is not an ISO date or date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _check_event(event: object) -> EnrichedEvent:
    if not isinstance(event, dict):
        raise StageError("a candidate's event must be an EnrichedEvent dict")
    checks: dict[str, type | tuple[type, ...]] = {
        "event_id": str,
        "version": int,
        "type": str,
        "violent": bool,
        "co_perpetrators": list,
        "targets": list,
        "speakers": list,
        "location": dict,
        "date": dict,
        "evidence": list,
        "sources": list,
    }
    for key, kind in checks.items():
        if not isinstance(event.get(key), kind):
            raise StageError(f"event field {key!r} is missing or of the wrong type")
    if not event["event_id"] or event["version"] < 1:
        raise StageError("an event needs a non-empty event_id and a version of at least 1")
    if event.get("perpetrator") is not None and not isinstance(event["perpetrator"], str):
        raise StageError("event field 'perpetrator' must be a string or null")
    for name in _FIGURES:
        q = event.get(name)
        if q is not None and not (isinstance(q, dict) and "low" in q and "high" in q):
            raise StageError(f"event field {name!r} must be a quantity or null")
    return cast(EnrichedEvent, event)


def candidate_for(event: EnrichedEvent, content_hash: str, text: str, observed_at: str) -> Candidate:
    """The candidate for one event of an article: ``text`` is the article's title and body."""
    _check_event(event)
    if not isinstance(content_hash, str) or not content_hash:
        raise StageError("a candidate needs the article's content hash")
    _instant(observed_at, "observed_at")
    return {
        "event": copy.deepcopy(event),
        "content_hash": content_hash,
        "signature": make_signature(text),
        "block": block_key(event),
        "observed_at": observed_at,
    }


def check_candidate(candidate: object) -> Candidate:
    if not isinstance(candidate, dict):
        raise StageError("a candidate must be a dict")
    _check_event(candidate.get("event"))
    if not isinstance(candidate.get("content_hash"), str) or not candidate["content_hash"]:
        raise StageError("a candidate needs the article's content hash")
    check_signature(candidate.get("signature"))
    _instant(candidate.get("observed_at"), "observed_at")
    return cast(Candidate, candidate)


def check_known(value: object) -> list[KnownEvent]:
    """A block's table value read back from the changelog, checked for shape."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise StageError("a block's known events must be a list")
    for entry in value:
        if not isinstance(entry, dict):
            raise StageError("a known event must be a dict")
        _check_event(entry.get("event"))
        hashes, signatures = entry.get("content_hashes"), entry.get("signatures")
        if not isinstance(hashes, list) or not isinstance(signatures, list) or len(hashes) != len(signatures):
            raise StageError("a known event needs content_hashes and signatures of equal length")
        for signature in signatures:
            check_signature(signature)
        _instant(entry.get("first_seen"), "first_seen")
        _instant(entry.get("last_seen"), "last_seen")
    return cast(list[KnownEvent], value)


# ---------------------------------------------------------------- time


def _event_day(event: EnrichedEvent, fallback: str) -> dt.date:
    """The event's day; when not known to the day, the day it was (first) reported."""
    date = event["date"]
    if date.get("precision") == "day" and date.get("value"):
        try:
            return dt.date.fromisoformat(str(date["value"])[:10])
        except ValueError:
            pass
    return _instant(fallback, "observed_at").date()


def _entry_recency(entry: KnownEvent) -> dt.date:
    return max(
        _instant(entry["last_seen"], "last_seen").date(), _event_day(entry["event"], entry["first_seen"])
    )


def _prune(known: Sequence[KnownEvent], now: dt.date, window_days: int) -> list[KnownEvent]:
    """Entries last heard of within the window: the table holds at most one window per block."""
    return [e for e in known if (now - _entry_recency(e)).days <= window_days]


# ---------------------------------------------------------------- matching


def _fold(values: Sequence[str]) -> set[str]:
    return {v.casefold() for v in values if v}


def _doers(event: EnrichedEvent) -> set[str]:
    perpetrator = event.get("perpetrator")
    return _fold([*([perpetrator] if perpetrator else []), *event["co_perpetrators"]])


def _targets(event: EnrichedEvent) -> set[str]:
    return _fold(event["targets"]) - _rules().weak_targets


def _specific_name(location: Location) -> str | None:
    """The place name when it says more than the governorate ("Maarat al-Numan", not "Idlib")."""
    name = (location.get("name") or "").strip().casefold()
    admin1 = (location.get("admin1") or "").strip().casefold()
    return name if name and name != admin1 else None


def _place_score(a: Location, b: Location) -> float | None:
    """1 for the same specific place, 0 for the same governorate, None for different places."""
    if a.get("country") and b.get("country") and a["country"] != b["country"]:
        return None
    admin_a = (a.get("admin1") or "").strip().casefold()
    admin_b = (b.get("admin1") or "").strip().casefold()
    name_a, name_b = _specific_name(a), _specific_name(b)
    if admin_a and admin_a == admin_b:
        if name_a and name_b:
            return 1.0 if name_a == name_b else None
        return 0.0
    # without a governorate only an equal specific place ties two reports together
    if not admin_a and not admin_b and name_a and name_a == name_b:
        return 1.0
    return None


def _actor_score(a: EnrichedEvent, b: EnrichedEvent) -> float | None:
    doers_a, doers_b = _doers(a), _doers(b)
    score = 0.0
    if doers_a and doers_b:
        if not doers_a & doers_b:
            return None  # two different perpetrators: two events, whatever else agrees
        score += 2.0
    if _targets(a) & _targets(b):
        score += 1.0
    # a side without a perpetrator matches only through a shared target
    return score if score > 0 else None


def _detail_score(candidate: EnrichedEvent, candidate_day: dt.date, entry: KnownEvent) -> float | None:
    """Score of a match on place, actors and date, or None when they disagree or say too little."""
    known = entry["event"]
    if not (candidate["violent"] and known["violent"]):
        return None
    place = _place_score(candidate["location"], known["location"])
    if place is None:
        return None
    actors = _actor_score(candidate, known)
    if actors is None:
        return None
    gap = abs((candidate_day - _event_day(known, entry["first_seen"])).days)
    if gap > DATE_TOLERANCE_DAYS:
        return None
    score = place + actors + (1 - gap)
    return score if score >= MIN_SCORE else None


def _closest_copy(signature: Sequence[int], entry: KnownEvent) -> tuple[float, str | None]:
    """Highest resemblance to an article of the entry, and that article's content hash."""
    best, best_hash = 0.0, None
    for content_hash, other in zip(entry["content_hashes"], entry["signatures"], strict=True):
        if len(other) != len(signature):
            continue  # made with another num_perm: not comparable
        value = resemblance(signature, other)
        if value > best or (value == best and best_hash is not None and content_hash < best_hash):
            best, best_hash = value, content_hash
    return best, best_hash


# ---------------------------------------------------------------- merging


def _quantity_key(q: Quantity | None) -> tuple[int, int, int]:
    """Order of figures: the higher lower bound wins; then a bounded figure over an open one.

    A total order, so the figure an event ends with does not depend on arrival order.
    """
    if q is None:
        return (-2, 0, 0)
    low = q["low"] if q["low"] is not None else -1
    high = q["high"]
    return (low, 1 if high is not None else 0, -(high or 0))


def _location_rank(location: Location) -> tuple[int, int, int, int]:
    return (
        1 if location.get("admin1") else 0,
        1 if _specific_name(location) else 0,
        1 if location.get("lat") is not None and location.get("lon") is not None else 0,
        1 if location.get("country") else 0,
    )


def _union(first: Sequence[str], second: Sequence[str]) -> list[str]:
    out = list(first)
    seen = _fold(first)
    for value in second:
        if value and value.casefold() not in seen:
            out.append(value)
            seen.add(value.casefold())
    return out


def _take_evidence(merged: EnrichedEvent, other: EnrichedEvent, field_name: str) -> None:
    """Evidence of a field comes from the report whose value the event keeps."""
    merged["evidence"] = [e for e in merged["evidence"] if e["field"] != field_name] + [
        copy.deepcopy(e) for e in other["evidence"] if e["field"] == field_name
    ]


def _merge(known: EnrichedEvent, report: EnrichedEvent) -> EnrichedEvent:
    """The known event with one more report folded in (version not yet bumped)."""
    merged = copy.deepcopy(known)
    sources = {s["article_id"]: s for s in merged["sources"]}
    for source in report["sources"]:
        sources.setdefault(source["article_id"], copy.deepcopy(source))
    merged["sources"] = sorted(sources.values(), key=lambda s: (s["published_at"], s["article_id"]))

    for name in _FIGURES:
        if _quantity_key(report[name]) > _quantity_key(merged[name]):
            merged[name] = copy.deepcopy(report[name])
            _take_evidence(merged, report, name)
            if name == "killed" and report["victims"] != "unspecified":
                merged["victims"] = report["victims"]
    if merged["victims"] == "unspecified" and report["victims"] != "unspecified":
        merged["victims"] = report["victims"]

    if merged["perpetrator"] is None and report["perpetrator"] is not None:
        merged["perpetrator"] = report["perpetrator"]
        _take_evidence(merged, report, "perpetrator")
    doers = [d for d in [report["perpetrator"], *report["co_perpetrators"]] if d]
    merged["co_perpetrators"] = [
        d for d in _union(merged["co_perpetrators"], doers) if d != merged["perpetrator"]
    ]
    merged["targets"] = _union(merged["targets"], report["targets"])
    merged["speakers"] = _union(merged["speakers"], report["speakers"])

    if _location_rank(report["location"]) > _location_rank(merged["location"]):
        merged["location"] = copy.deepcopy(report["location"])
        _take_evidence(merged, report, "location")

    mine = _DATE_PRECISION.get(merged["date"]["precision"], 0)
    theirs = _DATE_PRECISION.get(report["date"]["precision"], 0)
    earlier = (
        theirs == mine
        and report["date"]["value"] is not None
        and (merged["date"]["value"] is None or report["date"]["value"] < merged["date"]["value"])
    )
    if theirs > mine or (theirs == mine > 0 and earlier):
        merged["date"] = copy.deepcopy(report["date"])

    preference = _rules().preference
    if preference.get(report["type"], len(preference)) < preference.get(merged["type"], len(preference)):
        merged["type"] = report["type"]
    merged["confidence"] = max(merged["confidence"], report["confidence"])
    return merged


def _visible(event: EnrichedEvent) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "version"}


def _earlier(a: str, b: str) -> str:
    return a if _instant(a, "first_seen") <= _instant(b, "first_seen") else b


def _later(a: str, b: str) -> str:
    return a if _instant(a, "last_seen") >= _instant(b, "last_seen") else b


# ---------------------------------------------------------------- resolve


def resolve(
    candidate: Candidate,
    known: Sequence[KnownEvent],
    *,
    window_days: int = 7,
    near_duplicate: float = 0.8,
) -> Resolution:
    """Merge a candidate into the block's known events, or add it as a new one.

    Pure: the inputs are not modified and everything returned is plain JSON data.
    """
    check_candidate(candidate)
    event = candidate["event"]
    content_hash = candidate["content_hash"]

    # the same article again (redelivered, or re-sent under another id): nothing changes
    for entry in known:
        if content_hash in entry["content_hashes"]:
            return {
                "known": copy.deepcopy(list(known)),
                "emit": None,
                "matched": entry["event"]["event_id"],
                "duplicate_of": content_hash,
            }

    observed = _instant(candidate["observed_at"], "observed_at").date()
    candidate_day = _event_day(event, candidate["observed_at"])
    entries = copy.deepcopy(_prune(known, max(observed, candidate_day), window_days))

    best: tuple[tuple[float, int, float, tuple[int, ...]], int] | None = None
    duplicate_of: str | None = None
    closest = 0.0
    for index, entry in enumerate(entries):
        similarity, copy_of = _closest_copy(candidate["signature"], entry)
        if similarity >= near_duplicate and similarity > closest:
            closest, duplicate_of = similarity, copy_of
        known_event = entry["event"]
        if not compatible_types(event["type"], known_event["type"]):
            continue
        if known_event["violent"] != event["violent"]:
            continue  # statements never merge into attacks, however alike the texts
        gap = abs((candidate_day - _event_day(known_event, entry["first_seen"])).days)
        if similarity >= near_duplicate:
            score = _NEAR_DUPLICATE_SCORE + similarity
        else:
            detail = _detail_score(event, candidate_day, entry)
            if detail is None:
                continue
            score = detail + (0.25 if event["type"] == known_event["type"] else 0.0)
        # ties go to the nearer date, then the earlier report, then the smaller id: deterministic
        first = _instant(entry["first_seen"], "first_seen").timestamp()
        rank = (score, -gap, -first, _negated(known_event["event_id"]))
        if best is None or rank > best[0]:
            best = (rank, index)

    if best is None:
        new_event = copy.deepcopy(event)
        entries.append(
            {
                "event": copy.deepcopy(new_event),
                "content_hashes": [content_hash],
                "signatures": [list(candidate["signature"])],
                "first_seen": candidate["observed_at"],
                "last_seen": candidate["observed_at"],
            }
        )
        return {"known": entries, "emit": new_event, "matched": None, "duplicate_of": duplicate_of}

    entry = entries[best[1]]
    current = entry["event"]
    merged = _merge(current, event)
    changed = _visible(merged) != _visible(current)
    if changed:
        merged["version"] = current["version"] + 1
    entry["event"] = merged
    entry["content_hashes"].append(content_hash)
    entry["signatures"].append(list(candidate["signature"]))
    entry["first_seen"] = _earlier(entry["first_seen"], candidate["observed_at"])
    entry["last_seen"] = _later(entry["last_seen"], candidate["observed_at"])
    return {
        "known": entries,
        "emit": copy.deepcopy(merged) if changed else None,
        "matched": current["event_id"],
        "duplicate_of": duplicate_of,
    }


def _negated(text: str) -> tuple[int, ...]:
    """A key that sorts strings in reverse, so that ``max`` prefers the smaller one."""
    return (*(-ord(ch) for ch in text), 1)
