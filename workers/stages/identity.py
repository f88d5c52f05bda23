"""Event identity across articles: one candidate event and its block's state in; the block's new state
and what to publish out.

In: a :class:`Candidate` (one event as ``assemble_events`` made it from one article, with the
article's content hash, MinHash signature, blocking key and publication time), the
:class:`BlockState` the caller keeps for the candidate's block (one Faust table value), and
``now``, the processing time (the caller's clock; never read here). Out: a :class:`Resolution`:
the block's new state; the event versions to publish on events.enriched; the retractions
(an event merged away, or actors an event no longer names) to publish as contributions.

Identity rule. A report is the same event as a known one when

* it is a near-duplicate of an article already merged into it (MinHash resemblance of
  the texts at or above ``near_duplicate``) and the types are compatible; or
* the types are compatible and the place, actors and date agree: event days at most two days
  apart (a report not dated to the day stands at its publication day), the same governorate
  (specific place names, when both reports give one, must be equal), a shared perpetrator or
  co-perpetrator (reports naming disjoint perpetrators never match) or, when one side names
  none, an overlapping target. Each agreeing detail scores: a shared perpetrator 2, a shared
  target 1, the same specific place 1, the same day 1, a day apart 0, two days apart -1; a
  match needs 2.

Guards keep a campaign summary out of a specific strike, whatever day the reports were
published: a report with neither a day nor a casualty figure ("the campaign has hit eight
hospitals") joins an event only as a near-duplicate; a dated event and an undated report need
a shared target or the same town besides actor and governorate; a side that carries no
casualty figure may not bring perpetrators the other side lacks (it would credit them with the
other side's toll); two events of one article stay two events. Non-violent events never merge
into violent ones.

Order independence. Cross-partition interleaving makes the arrival order of one block's reports
vary from run to run, so the block's events are a function of its *set* of reports: the reports
are kept in a canonical order (publication time, article id, report id) and assigned greedily in
that order, each to the best-scoring event formed by the reports before it, or to a new event
named after itself. An event's content is the fold of its reports in that order, and its id is
its first report's. A report that arrives out of canonical order re-assigns the reports after
it; an event id that no longer names an event is retracted (a tombstone), and an event that no
longer names an actor withdraws that actor's contribution.

Idempotence. A report is identified by its event id (content hash + index: the same text under
another article id is the same report). The block's ledger remembers every report for
``retention_days`` of processing time (and at most :data:`MAX_LEDGER_ENTRIES` per block); a
known report changes nothing and re-emits what its first arrival published, so a redelivery
after a crash repairs lost output. The same article id with new content is a revision: its
previous reports leave their events (which move by the difference) and the new ones join. A
report whose content was superseded by a revision changes nothing when it is replayed.

Bounds. Reports (full facts, needed to recompute events) are kept while their event has been
touched within ``window_days`` of processing time, and at most :data:`MAX_REPORT_BYTES` of them
per block (the oldest events leave first). An event whose reports have left is final: a later
report that would have matched it starts a new event, and a revision of one of its articles is
ignored (counted neither twice nor by the difference).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import operator
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

from workers import codec
from workers.stages.errors import StageError
from workers.stages.similarity import check_signature, make_signature
from workers.types import EnrichedEvent, Location, Quantity

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "event_identity.json"

DATE_TOLERANCE_DAYS = 2
MIN_SCORE = 2.0
# a near-duplicate outranks any match on details: the texts are the same report
_NEAR_DUPLICATE_SCORE = 10.0
_Figure = Literal["killed", "injured", "displaced", "kidnapped"]
_FIGURES: tuple[_Figure, ...] = ("killed", "injured", "displaced", "kidnapped")
_DATE_PRECISION = {"day": 3, "week": 2, "month": 1, "unknown": 0}
_DAY_SECONDS = 86_400

# Reports remembered per block (ledger entries of ~70 bytes): with the report bytes below, a
# block's table value stays under 900 kB, inside Kafka's 1 MB message limit.
MAX_LEDGER_ENTRIES = 5_000
MAX_REPORT_BYTES = 450_000
_KEY_CHARS = 16  # hex digits of a hash kept in the ledger: 64 bits, no collision in practice


class Candidate(TypedDict):
    """One event of one article, ready to be resolved against its block."""

    event: EnrichedEvent  # as assemble_events made it: version 1, sources = [this article]
    content_hash: str  # the article's content hash
    signature: list[int]  # MinHash of the article text (make_signature)
    block: str  # block_key(event): all reports of one event share it
    observed_at: str  # the article's published_at: orders the block's reports


class Report(TypedDict):
    """A candidate the block keeps while its event can still change."""

    event: EnrichedEvent  # as extracted: version 1, one source
    content_hash: str
    signature: list[int]
    observed_at: str
    seen_at: int  # processing time (POSIX seconds) of its first arrival
    cluster: str  # the event id it belongs to


class Emitted(TypedDict):
    """What the block last published for one event id."""

    version: int
    digest: str | None  # of the published content; None: retracted (a tombstone)
    actors: list[str]  # actors the published version credits
    dropped: list[str]  # actors whose contribution that version withdrew
    by: str  # the report whose arrival published it (what a redelivery of it re-emits)
    at: int  # processing time (POSIX seconds) of that publication


class BlockState(TypedDict):
    reports: list[Report]  # canonical order
    emitted: dict[str, Emitted]  # event id -> last published
    # report key -> [article key, content key, seen_at, superseded (0/1)]
    ledger: dict[str, list[Any]]


class Retraction(TypedDict):
    event_id: str
    version: int
    actors: list[str]  # whose contribution to the event is withdrawn
    tombstone: bool  # the event id itself is gone (merged into another event)


Outcome = Literal["new", "merged", "known", "superseded", "late_revision"]


class Resolution(TypedDict):
    state: BlockState  # the block's new table value
    emit: list[EnrichedEvent]  # event versions to (re-)publish
    retract: list[Retraction]  # contributions to withdraw (and tombstones to publish)
    event_id: str | None  # the event the candidate belongs to (None when not in the window)
    duplicate_of: str | None  # content hash of the article it (near-)duplicates, if any
    outcome: Outcome


def empty_state() -> BlockState:
    return {"reports": [], "emitted": {}, "ledger": {}}


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


@functools.lru_cache(maxsize=4_096)
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


# field -> the type it must have (built once: the check runs for every kept report of a block)
_EVENT_FIELDS: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("event_id", str),
    ("version", int),
    ("type", str),
    ("violent", bool),
    ("co_perpetrators", list),
    ("targets", list),
    ("speakers", list),
    ("location", dict),
    ("date", dict),
    ("evidence", list),
    ("sources", list),
    ("article_id", str),
)


def _check_event(event: object) -> EnrichedEvent:
    if not isinstance(event, dict):
        raise StageError("a candidate's event must be an EnrichedEvent dict")
    for key, kind in _EVENT_FIELDS:
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
        "event": _copy(event),
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
    if not isinstance(candidate.get("block"), str):
        raise StageError("a candidate needs its block key")
    return cast(Candidate, candidate)


def check_state(value: object) -> BlockState:
    """A block's table value read back from the changelog (None: a block never seen), checked for shape."""
    if value is None:
        return empty_state()
    if not isinstance(value, dict):
        raise StageError("a block's state must be a dict")
    reports, emitted, ledger = value.get("reports"), value.get("emitted"), value.get("ledger")
    if not isinstance(reports, list) or not isinstance(emitted, dict) or not isinstance(ledger, dict):
        raise StageError("a block's state needs reports (list), emitted and ledger (dicts)")
    for report in reports:
        if not isinstance(report, dict) or not isinstance(report.get("cluster"), str):
            raise StageError("a kept report must be a dict naming its event")
        _check_event(report.get("event"))
        check_signature(report.get("signature"))
        if not isinstance(report.get("seen_at"), int):
            raise StageError("a kept report needs its processing time")
    for record in emitted.values():
        if not isinstance(record, dict) or not all(isinstance(record.get(k), int) for k in ("version", "at")):
            raise StageError("an emitted record needs its version and time")
    for entry in ledger.values():
        if not (isinstance(entry, list) and len(entry) == 4 and isinstance(entry[2], int)):
            raise StageError("a ledger entry must be [article, content, seen_at, superseded]")
    return cast(BlockState, value)


# ---------------------------------------------------------------- time


def _event_day(event: EnrichedEvent, fallback: str) -> dt.date:
    """The event's day; when not known to the day, the day it was (first) reported."""
    date = event["date"]
    if date.get("precision") == "day" and date.get("value"):
        try:
            return dt.date.fromisoformat(str(date["value"])[:10])
        except ValueError:
            pass
    return _day_of(fallback)


@functools.lru_cache(maxsize=16_384)
def _day_of(instant: str) -> dt.date:
    """The UTC day of a publication time, parsed once per distinct text."""
    return _instant(instant, "observed_at").date()


def _dated_to_the_day(event: EnrichedEvent) -> bool:
    date = event["date"]
    return date.get("precision") == "day" and bool(date.get("value"))


# ---------------------------------------------------------------- matching


def _fold(values: Iterable[str]) -> set[str]:
    return {v.casefold() for v in values if v}


def _doers(event: EnrichedEvent) -> set[str]:
    perpetrator = event.get("perpetrator")
    return _fold([*([perpetrator] if perpetrator else []), *event["co_perpetrators"]])


def _targets(event: EnrichedEvent) -> set[str]:
    return _fold(event["targets"]) - _rules().weak_targets


def _has_figure(event: EnrichedEvent) -> bool:
    return any(event.get(name) is not None for name in _FIGURES)


def _specific_name(location: Location) -> str | None:
    """The place name when it says more than the governorate ("Maarat al-Numan", not "Idlib")."""
    name = (location.get("name") or "").strip().casefold()
    admin1 = (location.get("admin1") or "").strip().casefold()
    return name if name and name != admin1 else None


def _resemblance(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard resemblance of two MinHash signatures: the share of equal slots."""
    if len(a) != len(b) or not a:
        return 0.0  # made with another num_perm: not comparable
    equal: int = sum(map(operator.eq, a, b))  # equal slots, counted in C (same lengths: checked)
    return equal / len(a)


_LANE = 32  # bits per slot of a packed signature (the affine32 scheme's hash values)


def _packed(signature: Sequence[int]) -> int | None:
    """A signature as one int of 32-bit lanes (None when a value does not fit a lane), so that
    the equal slots of two signatures are counted by a few big-int operations (:func:`_equal_slots`)."""
    if not signature or max(signature) >> _LANE:
        return None
    return int.from_bytes(struct.pack(f"<{len(signature)}I", *signature), "little")


@functools.cache
def _lane_masks(slots: int) -> tuple[int, int]:
    """Every lane's low 31 bits, and every lane's top bit, of ``slots`` lanes."""
    low = int.from_bytes(struct.pack(f"<{slots}I", *[0x7FFF_FFFF] * slots), "little")
    top = int.from_bytes(struct.pack(f"<{slots}I", *[0x8000_0000] * slots), "little")
    return low, top


def _equal_slots(a: int, b: int, slots: int) -> int:
    """Slots where two packed signatures of ``slots`` lanes are equal: the zero lanes of ``a ^ b``.
    A lane is non-zero when its top bit is set, or when adding its low 31 bits to 2**31 - 1
    carries into the top bit (never beyond it: no carry crosses lanes)."""
    low, top = _lane_masks(slots)
    x = a ^ b
    nonzero = (((x & low) + low) | x) & top
    return slots - nonzero.bit_count()


class _Signatures:
    """The resemblance of the block's kept reports (by position), with their signatures packed once."""

    def __init__(self, reports: Sequence[Report]) -> None:
        self.signatures = [r["signature"] for r in reports]
        packed = [_packed(s) for s in self.signatures]
        lengths = {len(s) for s in self.signatures}
        self.slots = lengths.pop() if len(lengths) == 1 else 0
        self.packed: list[int] | None = None if None in packed or not self.slots else cast(list[int], packed)

    def resemblance(self, i: int, j: int) -> float:
        if self.packed is None:
            return _resemblance(self.signatures[i], self.signatures[j])
        return _equal_slots(self.packed[i], self.packed[j], self.slots) / self.slots

    def row(self, i: int) -> Callable[[int], float]:
        """The resemblance of report ``i`` with report ``j``, as a function of ``j`` (its hot loop:
        :func:`_equal_slots` inlined)."""
        packed, slots = self.packed, self.slots
        if packed is None:
            return functools.partial(self.resemblance, i)
        low, top = _lane_masks(slots)
        mine = packed[i]

        def resemblance(j: int) -> float:
            x = mine ^ packed[j]
            return (slots - ((((x & low) + low) | x) & top).bit_count()) / slots

        return resemblance


@dataclass(frozen=True)
class _Facts:
    """What matching reads of an event, derived once per event (per resolution)."""

    type: str
    violent: bool
    day: dt.date  # the event's day, else the day it was first reported
    dated: bool  # dated to the day
    figure: bool  # carries a casualty figure
    doers: set[str]
    targets: set[str]
    country: str | None
    admin1: str  # case-folded
    name: str | None  # the specific place (case-folded), when it says more than the governorate


def _facts(event: EnrichedEvent, reported: str) -> _Facts:
    location = event["location"]
    return _Facts(
        type=event["type"],
        violent=event["violent"],
        day=_event_day(event, reported),
        dated=_dated_to_the_day(event),
        figure=_has_figure(event),
        doers=_doers(event),
        targets=_targets(event),
        country=location.get("country"),
        admin1=(location.get("admin1") or "").strip().casefold(),
        name=_specific_name(location),
    )


def _place_facts(a: _Facts, b: _Facts) -> float | None:
    """1 for the same specific place, 0 for the same governorate, None for different places."""
    if a.country and b.country and a.country != b.country:
        return None
    if a.admin1 and a.admin1 == b.admin1:
        if a.name and b.name:
            return 1.0 if a.name == b.name else None
        return 0.0
    # without a governorate only an equal specific place ties two reports together
    if not a.admin1 and not b.admin1 and a.name and a.name == b.name:
        return 1.0
    return None


def _actor_facts(a: _Facts, b: _Facts) -> float | None:
    # a side without a figure must not hand its extra perpetrators the other side's toll
    if not a.figure and not a.doers <= b.doers:
        return None
    if not b.figure and not b.doers <= a.doers:
        return None
    score = 0.0
    if a.doers and b.doers:
        if not a.doers & b.doers:
            return None  # two different perpetrators: two events, whatever else agrees
        score += 2.0
    if a.targets & b.targets:
        score += 1.0
    # a side without a perpetrator matches only through a shared target
    return score if score > 0 else None


def _detail_facts(candidate: _Facts, known: _Facts) -> float | None:
    """Score of a match on place, actors and date, or None when they disagree or say too little."""
    if not (candidate.violent and known.violent):
        return None
    if not (candidate.dated or candidate.figure) or not (known.dated or known.figure):
        return None  # no day and no figure: a campaign summary, not one incident
    place = _place_facts(candidate, known)
    if place is None:
        return None
    actors = _actor_facts(candidate, known)
    if actors is None:
        return None
    # a dated event and an undated report: actor and governorate are not enough (one actor often
    # strikes one governorate day after day), a shared target or the same town must tie them
    if candidate.dated != known.dated and place < 1 and not candidate.targets & known.targets:
        return None
    gap = abs((candidate.day - known.day).days)
    if gap > DATE_TOLERANCE_DAYS:
        return None
    score = place + actors + (1 - gap)
    return score if score >= MIN_SCORE else None


# ---------------------------------------------------------------- merging


def _quantity_key(q: Quantity | None) -> tuple[int, int, int]:
    """Order of figures: the higher lower bound wins; then a bounded figure over an open one."""
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
        e for e in other["evidence"] if e["field"] == field_name
    ]


def _merge(merged: EnrichedEvent, report: EnrichedEvent) -> None:
    """Fold one more report into ``merged`` (in place; the version is set by the caller).

    ``merged`` takes the report's values themselves, not copies: merging only ever replaces a
    field of ``merged`` (never changes a value inside it), and what is published is a copy."""
    sources = {s["article_id"]: s for s in merged["sources"]}
    for source in report["sources"]:
        sources.setdefault(source["article_id"], source)
    merged["sources"] = sorted(sources.values(), key=lambda s: (s["published_at"], s["article_id"]))

    for name in _FIGURES:
        if _quantity_key(report[name]) > _quantity_key(merged[name]):
            merged[name] = report[name]
            _take_evidence(merged, report, name)
            if name == "killed" and report["victims"] != "unspecified":
                merged["victims"] = report["victims"]
    if merged["victims"] == "unspecified" and report["victims"] != "unspecified":
        merged["victims"] = report["victims"]

    if merged["perpetrator"] is None and report["perpetrator"] is not None:
        merged["perpetrator"] = report["perpetrator"]
        _take_evidence(merged, report, "perpetrator")
        if "perpetrator_type" in report:  # the type goes with the doer it describes
            merged["perpetrator_type"] = report["perpetrator_type"]
    elif (
        merged.get("perpetrator_type", "unknown") == "unknown"
        and "perpetrator_type" in report
        and merged["perpetrator"] in (None, report["perpetrator"])
    ):
        merged["perpetrator_type"] = report["perpetrator_type"]
    doers = [d for d in [report["perpetrator"], *report["co_perpetrators"]] if d]
    merged["co_perpetrators"] = [
        d for d in _union(merged["co_perpetrators"], doers) if d != merged["perpetrator"]
    ]
    merged["targets"] = _union(merged["targets"], report["targets"])
    merged["speakers"] = _union(merged["speakers"], report["speakers"])

    if _location_rank(report["location"]) > _location_rank(merged["location"]):
        merged["location"] = report["location"]
        _take_evidence(merged, report, "location")

    mine = _DATE_PRECISION.get(merged["date"]["precision"], 0)
    theirs = _DATE_PRECISION.get(report["date"]["precision"], 0)
    earlier = (
        theirs == mine
        and report["date"]["value"] is not None
        and (merged["date"]["value"] is None or report["date"]["value"] < merged["date"]["value"])
    )
    if theirs > mine or (theirs == mine > 0 and earlier):
        merged["date"] = report["date"]

    preference = _rules().preference
    if preference.get(report["type"], len(preference)) < preference.get(merged["type"], len(preference)):
        merged["type"] = report["type"]
    merged["confidence"] = max(merged["confidence"], report["confidence"])


# ---------------------------------------------------------------- clustering


@dataclass
class _Cluster:
    """An event as formed by the reports assigned to it so far (canonical order)."""

    event: EnrichedEvent
    first_seen: str
    contents: list[tuple[str, int]] = field(default_factory=list)  # (content hash, report position)
    hashes: set[str] = field(default_factory=set)  # the content hashes of its reports
    known: _Facts | None = None  # the facts of ``event`` (see :meth:`facts`), dropped when it changes

    def add(self, report: Report, position: int) -> None:
        if self.contents:
            _merge(self.event, report["event"])
            self.known = None
        self.contents.append((report["content_hash"], position))
        self.hashes.add(report["content_hash"])

    def facts(self) -> _Facts:
        if self.known is None:
            self.known = _facts(self.event, self.first_seen)
        return self.known

    @functools.cached_property
    def first(self) -> float:
        return _timestamp(self.first_seen, "first_seen")


@functools.lru_cache(maxsize=16_384)
def _timestamp(value: str, what: str) -> float:
    """:func:`_instant` as POSIX seconds, parsed once per distinct text (every resolution sorts
    the block's reports by their publication times)."""
    return _instant(value, what).timestamp()


def _canonical(report: Report) -> tuple[float, str, str]:
    return (
        _timestamp(report["observed_at"], "observed_at"),
        report["event"]["article_id"],
        report["event"]["event_id"],
    )


def _best_cluster(
    report: Report,
    position: int,
    clusters: dict[str, _Cluster],
    near_duplicate: float,
    signatures: _Signatures,
) -> tuple[str | None, str | None]:
    """The event a report joins (None: a new one) and the content hash it near-duplicates."""
    facts = _facts(report["event"], report["observed_at"])
    best: tuple[tuple[float, int, float], str] | None = None
    duplicate_of: str | None = None
    closest = 0.0
    equal_slots = signatures.row(position)
    for cluster_id, cluster in clusters.items():
        if report["content_hash"] in cluster.hashes:
            continue  # two events of one article are two events
        similarity, copy_of = 0.0, None
        for content, other in cluster.contents:
            value = equal_slots(other)
            if value > similarity or (value == similarity and copy_of is not None and content < copy_of):
                similarity, copy_of = value, content
        if similarity >= near_duplicate and similarity > closest:
            closest, duplicate_of = similarity, copy_of
        known = cluster.known or cluster.facts()
        if not compatible_types(facts.type, known.type) or known.violent != facts.violent:
            continue  # statements never merge into attacks, however alike the texts
        if similarity >= near_duplicate:
            score = _NEAR_DUPLICATE_SCORE + similarity
        else:
            detail = _detail_facts(facts, known)
            if detail is None:
                continue
            score = detail + (0.25 if facts.type == known.type else 0.0)
        gap = abs((facts.day - known.day).days)
        # ties go to the nearer date, then the earlier report, then the smaller id: deterministic
        rank = (score, -gap, -cluster.first)
        if best is None or rank > best[0] or (rank == best[0] and cluster_id < best[1]):
            best = (rank, cluster_id)
    return (best[1] if best else None), duplicate_of


def _assign(
    reports: list[Report], start: int, near_duplicate: float
) -> tuple[dict[str, _Cluster], dict[str, str | None]]:
    """Assign ``reports[start:]`` greedily (reports before ``start`` keep theirs): the events formed,
    and for each report assigned, the content hash of the article it near-duplicates."""
    clusters: dict[str, _Cluster] = {}
    copies: dict[str, str | None] = {}
    signatures = _Signatures(reports) if start < len(reports) else None
    for index, report in enumerate(reports):
        if signatures is not None and index >= start:
            chosen, copies[report["event"]["event_id"]] = _best_cluster(
                report, index, clusters, near_duplicate, signatures
            )
            report["cluster"] = chosen or report["event"]["event_id"]
        cluster_id = report["cluster"]
        if cluster_id not in clusters:  # a shallow copy: merging only replaces its fields (see _merge)
            clusters[cluster_id] = _Cluster(cast(EnrichedEvent, dict(report["event"])), report["observed_at"])
        clusters[cluster_id].add(report, index)
    return clusters, copies


def _copy(value: Any) -> Any:
    """A deep copy of JSON data (a round trip through orjson: far faster than copy.deepcopy)."""
    return codec.loads(codec.dumps(value))


def _copy_state(state: BlockState) -> BlockState:
    """A copy of a block's state for a resolution to change: what a resolution changes in place
    is copied (the lists and dicts, each report's dict, whose cluster it reassigns, each ledger
    entry); what it only ever replaces or reads (each report's event and signature, each emitted
    record) is shared with ``state``, which is thus left as it was. Copying the events too (a
    JSON round trip of the whole block) cost as much as the rest of a resolution."""
    return {
        "reports": [cast(Report, dict(report)) for report in state["reports"]],
        "emitted": dict(state["emitted"]),
        "ledger": {key: list(entry) for key, entry in state["ledger"].items()},
    }


def _copy_event(event: EnrichedEvent) -> EnrichedEvent:
    return cast(EnrichedEvent, _copy(event))


# ---------------------------------------------------------------- publishing


def _digest(event: EnrichedEvent) -> str:
    visible = {k: v for k, v in event.items() if k not in ("version", "event_id")}
    return hashlib.sha256(codec.dumps(visible)).hexdigest()[:_KEY_CHARS]


def credited_actors(event: EnrichedEvent) -> list[str]:
    """The actors an event's contributions go to (as ``counts.contributions`` picks them)."""
    if not event["violent"]:
        return []
    return list(dict.fromkeys(a for a in [event["perpetrator"], *event["co_perpetrators"]] if a))


def _publish(
    state: BlockState, clusters: dict[str, _Cluster], by: str, now: int
) -> tuple[list[EnrichedEvent], list[Retraction]]:
    """New versions of the events whose content changed, tombstones for ids no longer an event."""
    emit: list[EnrichedEvent] = []
    retract: list[Retraction] = []
    emitted = state["emitted"]
    for cluster_id, cluster in clusters.items():
        digest = _digest(cluster.event)
        before = emitted.get(cluster_id)
        if before is not None and before["digest"] == digest:
            continue
        actors = credited_actors(cluster.event)
        version = before["version"] + 1 if before else 1
        # every actor the id ever credited and no longer does: a redelivery of this change alone
        # then withdraws what any earlier, possibly lost, change withdrew
        credited = [*before["dropped"], *before["actors"]] if before else []
        dropped = sorted({a for a in credited if a not in actors})
        emitted[cluster_id] = {
            "version": version,
            "digest": digest,
            "actors": actors,
            "dropped": dropped,
            "by": by,
            "at": now,
        }
        emit.append({**_copy_event(cluster.event), "event_id": cluster_id, "version": version})
        if dropped:
            retract.append(
                {"event_id": cluster_id, "version": version, "actors": dropped, "tombstone": False}
            )
    for event_id, record in sorted(emitted.items()):
        if record["digest"] is not None and event_id not in clusters:
            version = record["version"] + 1
            emitted[event_id] = {
                "version": version,
                "digest": None,
                "actors": [],
                "dropped": sorted({*record["dropped"], *record["actors"]}),
                "by": by,
                "at": now,
            }
            retract.append(
                {
                    "event_id": event_id,
                    "version": version,
                    "actors": list(emitted[event_id]["dropped"]),
                    "tombstone": True,
                }
            )
    return emit, retract


def _republish(
    state: BlockState, clusters: dict[str, _Cluster], by: str
) -> tuple[list[EnrichedEvent], list[Retraction]]:
    """What the first arrival of report ``by`` published, as the state now stores it."""
    emit: list[EnrichedEvent] = []
    retract: list[Retraction] = []
    for event_id, record in sorted(state["emitted"].items()):
        if record["by"] != by:
            continue
        if record["digest"] is not None and event_id in clusters:
            event = clusters[event_id].event
            emit.append({**_copy_event(event), "event_id": event_id, "version": record["version"]})
        if record["dropped"]:
            retract.append(
                {
                    "event_id": event_id,
                    "version": record["version"],
                    "actors": list(record["dropped"]),
                    "tombstone": record["digest"] is None,
                }
            )
    return emit, retract


# ---------------------------------------------------------------- pruning


def report_key(event_id: str) -> str:
    """The ledger key of a report: its event id's hash part (content hash + index)."""
    return event_id.removeprefix("evt-")[:_KEY_CHARS]


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_KEY_CHARS]


def prune(state: BlockState, now: int, window_days: int, retention_days: int) -> None:
    """Apply the block's bounds in place (processing time ``now``, POSIX seconds).

    Ledger entries older than ``retention_days`` go, then the oldest beyond
    :data:`MAX_LEDGER_ENTRIES`. An event's reports go together once none of them arrived
    within ``window_days``, or, oldest event first, while the reports exceed
    :data:`MAX_REPORT_BYTES`. Publication records go with the last report naming them.
    """
    if window_days < 1:
        raise StageError("window_days must be at least 1")
    retention_days = max(retention_days, window_days)  # a report is remembered while its event can change
    ledger = state["ledger"]
    for key in [k for k, entry in ledger.items() if now - entry[2] > retention_days * _DAY_SECONDS]:
        del ledger[key]
    if len(ledger) > MAX_LEDGER_ENTRIES:
        by_age = sorted(ledger, key=lambda k: (ledger[k][2], k))
        for key in by_age[: len(ledger) - MAX_LEDGER_ENTRIES]:
            del ledger[key]

    last_touched: dict[str, int] = {}
    for report in state["reports"]:
        last_touched[report["cluster"]] = max(last_touched.get(report["cluster"], 0), report["seen_at"])
    expired = {c for c, seen in last_touched.items() if now - seen > window_days * _DAY_SECONDS}
    kept = [r for r in state["reports"] if r["cluster"] not in expired]
    # the kept reports' bytes, serialised at once: the list's length less its brackets and commas
    size = len(codec.dumps(kept)) - 1 - len(kept) if kept else 0
    for cluster_id in sorted(last_touched, key=lambda c: (last_touched[c], c)):
        if size <= MAX_REPORT_BYTES:
            break
        if cluster_id not in expired:
            expired.add(cluster_id)
            size -= sum(len(codec.dumps(r)) for r in state["reports"] if r["cluster"] == cluster_id)
    state["reports"] = [r for r in state["reports"] if r["cluster"] not in expired]
    named = {r["cluster"] for r in state["reports"]} | {r["event"]["event_id"] for r in state["reports"]}
    # a record no report names any more (a tombstone) stays for the window: its redelivery re-sends it
    state["emitted"] = {
        k: v for k, v in state["emitted"].items() if k in named or now - v["at"] <= window_days * _DAY_SECONDS
    }


# ---------------------------------------------------------------- resolve


class Withdrawal(TypedDict):
    """An article's revision moved its events out of a block: its reports of other content leave."""

    withdraw: Literal[True]
    article_id: str
    content_hash: str  # the article's current content
    block: str


def withdrawal_for(article_id: str, content_hash: str, block: str) -> Withdrawal:
    return {"withdraw": True, "article_id": article_id, "content_hash": content_hash, "block": block}


def check_message(value: object) -> Candidate | Withdrawal:
    """A message of the candidates topic: a candidate, or a withdrawal."""
    if isinstance(value, dict) and value.get("withdraw") is True:
        for name in ("article_id", "content_hash", "block"):
            if not isinstance(value.get(name), str) or not value[name]:
                raise StageError(f"a withdrawal needs {name!r}")
        return cast(Withdrawal, value)
    return check_candidate(value)


def _begin(state: BlockState | None, now: dt.datetime, window_days: int, retention_days: int) -> BlockState:
    if now.tzinfo is None:
        raise StageError("now must be an aware date-time")
    new_state = _copy_state(check_state(state))
    prune(new_state, int(now.timestamp()), window_days, retention_days)
    return new_state


def _resolution(
    state: BlockState,
    outcome: Outcome,
    published: tuple[list[EnrichedEvent], list[Retraction]] = ([], []),
    event_id: str | None = None,
    duplicate_of: str | None = None,
) -> Resolution:
    emit, retract = published
    return {
        "state": state,
        "emit": emit,
        "retract": retract,
        "event_id": event_id,
        "duplicate_of": duplicate_of,
        "outcome": outcome,
    }


def _supersede(state: BlockState, article: str, content: str) -> tuple[list[str], list[int]]:
    """Mark the article's other contents superseded; their ledger keys and kept reports' positions."""
    ledger = state["ledger"]
    previous = [k for k, e in ledger.items() if e[0] == article and e[1] != content]
    for key in previous:
        ledger[key][3] = max(ledger[key][3], 1)
    removed = [
        i
        for i, r in enumerate(state["reports"])
        if _short(r["event"]["article_id"]) == article and r["content_hash"][:_KEY_CHARS] != content
    ]
    return previous, removed


def _recompute(
    state: BlockState, start: int, by: str, now: int, near_duplicate: float
) -> tuple[dict[str, str | None], tuple[list[EnrichedEvent], list[Retraction]]]:
    clusters, copies = _assign(state["reports"], start, near_duplicate)
    return copies, _publish(state, clusters, by, now)


def withdraw(
    withdrawal: Withdrawal,
    state: BlockState | None,
    *,
    now: dt.datetime,
    window_days: int = 7,
    retention_days: int = 400,
    near_duplicate: float = 0.8,
) -> Resolution:
    """Take an article's reports of older content out of the block's events (pure)."""
    new_state = _begin(state, now, window_days, retention_days)
    article, content = _short(withdrawal["article_id"]), withdrawal["content_hash"][:_KEY_CHARS]
    by = f"withdraw:{article}:{content}"
    _, removed = _supersede(new_state, article, content)
    if not removed:  # done before (a redelivery): what it published, again
        clusters, _ = _assign(new_state["reports"], len(new_state["reports"]), near_duplicate)
        return _resolution(new_state, "known", _republish(new_state, clusters, by))
    new_state["reports"] = [r for i, r in enumerate(new_state["reports"]) if i not in removed]
    _, published = _recompute(new_state, min(removed), by, int(now.timestamp()), near_duplicate)
    return _resolution(new_state, "superseded", published)


def resolve(
    candidate: Candidate,
    state: BlockState | None,
    *,
    now: dt.datetime,
    window_days: int = 7,
    retention_days: int = 400,
    near_duplicate: float = 0.8,
) -> Resolution:
    """Add a candidate to its block: the block's new state and what to publish.

    ``now`` is the processing time (aware); windows and retention are measured in it, never
    in the articles' dates. Pure: the inputs are not modified.
    """
    check_candidate(candidate)
    new_state = _begin(state, now, window_days, retention_days)
    event = candidate["event"]
    key, rid = report_key(event["event_id"]), event["event_id"]
    article, content = _short(event["article_id"]), candidate["content_hash"][:_KEY_CHARS]
    ledger, reports = new_state["ledger"], new_state["reports"]

    known = ledger.get(key)
    kept = next((r for r in reports if r["event"]["event_id"] == rid), None)
    if known is not None and known[3] != 0:
        return _resolution(new_state, "superseded" if known[3] == 1 else "late_revision")
    if known is not None or kept is not None:
        clusters, _ = _assign(reports, len(reports), near_duplicate)
        republished = _republish(new_state, clusters, rid)
        return _resolution(
            new_state, "known", republished, kept["cluster"] if kept else None, candidate["content_hash"]
        )

    # the same article id with other content: a revision replaces what the article said before
    siblings = [e[3] for e in ledger.values() if e[0] == article and e[1] == content]
    previous, removed = ([], []) if siblings else _supersede(new_state, article, content)
    # status: 0 counted, 1 superseded by a revision, 2 a revision that came too late to count
    status = siblings[0] if siblings else (2 if previous and not removed else 0)
    ledger[key] = [article, content, int(now.timestamp()), status]
    if status != 0:  # superseded content, or a revision of events that are final: nothing moves
        return _resolution(new_state, "superseded" if status == 1 else "late_revision")

    reports[:] = [r for i, r in enumerate(reports) if i not in removed]
    report: Report = {
        "event": _copy(event),
        "content_hash": candidate["content_hash"],
        "signature": list(candidate["signature"]),
        "observed_at": candidate["observed_at"],
        "seen_at": int(now.timestamp()),
        "cluster": rid,
    }
    place = _canonical(report)
    position = sum(1 for r in reports if _canonical(r) < place)
    reports.insert(position, report)
    start = min([position, *removed])
    copies, published = _recompute(new_state, start, rid, int(now.timestamp()), near_duplicate)
    outcome: Outcome = "merged" if report["cluster"] != rid else "new"
    return _resolution(new_state, outcome, published, report["cluster"], copies[rid])


def handle(
    message: Candidate | Withdrawal,
    state: BlockState | None,
    *,
    now: dt.datetime,
    window_days: int = 7,
    retention_days: int = 400,
) -> Resolution:
    """A message of the candidates topic (see :func:`check_message`) applied to its block's state."""
    if "withdraw" in message:
        return withdraw(
            cast(Withdrawal, message), state, now=now, window_days=window_days, retention_days=retention_days
        )
    return resolve(message, state, now=now, window_days=window_days, retention_days=retention_days)
