"""Event identity across articles: redelivery, near-duplicates, same-event matching, revisions, windows.

Events are built by hand (no model): a report is an EnrichedEvent as ``assemble_events``
makes it for one article, turned into a candidate with :func:`candidate_for`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import pytest

from workers.stages.errors import StageError
from workers.stages.identity import (
    Candidate,
    KnownEvent,
    Resolution,
    block_key,
    candidate_for,
    check_known,
    compatible_types,
    resolve,
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
    event: dict[str, Any] = {
        "schema_version": 1,
        "event_id": "evt-" + hashlib.sha1(article_id.encode()).hexdigest()[:16],
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
    event = make_event(article_id, published_at=observed_at, **fields)
    return candidate_for(event, content_hash, body, observed_at)


def feed(
    candidates: Sequence[Candidate], known: Sequence[KnownEvent] = ()
) -> tuple[list[KnownEvent], list[Resolution]]:
    """Resolve candidates one after another against one block, as the agent does."""
    state = list(known)
    results = []
    for candidate in candidates:
        result = resolve(candidate, state)
        state = result["known"]
        results.append(result)
    return state, results


# ---------------------------------------------------------------- signatures and keys


def test_signature_is_plain_ints_and_copies_resemble() -> None:
    wire, copy_ = make_signature(WIRE), make_signature(COPY)
    assert len(wire) == 64 and all(type(v) is int for v in wire)
    assert wire == make_signature(WIRE)  # deterministic across calls (and processes: pinned seed)
    assert json.loads(json.dumps(wire)) == wire
    assert resemblance(wire, copy_) >= 0.8
    assert resemblance(wire, make_signature("Russian jets struck a camp near Jisr al-Shughur.")) < 0.2


def test_signature_of_empty_text_is_rejected() -> None:
    with pytest.raises(StageError):
        make_signature("  ... ")


def test_block_key_falls_back_to_country_then_unknown() -> None:
    assert block_key(make_event("a")) == "SY:idlib"
    assert block_key(make_event("a", location={**IDLIB, "admin1": None})) == "SY"
    assert block_key(make_event("a", location={**IDLIB, "admin1": None, "country": None})) == "unknown"


def test_type_compatibility_comes_from_the_table() -> None:
    assert compatible_types("airstrike", "missile_strike")
    assert compatible_types("shelling", "attack")
    assert not compatible_types("airstrike", "statement")
    assert compatible_types("some_new_type", "some_new_type")


# ---------------------------------------------------------------- new and redelivered


def test_new_event_is_emitted_unchanged() -> None:
    candidate = make_candidate("a1")
    result = resolve(candidate, [])
    assert result["emit"] == candidate["event"]
    assert result["matched"] is None and result["duplicate_of"] is None
    assert len(result["known"]) == 1
    entry = result["known"][0]
    assert entry["content_hashes"] == [candidate["content_hash"]]
    assert entry["first_seen"] == entry["last_seen"] == candidate["observed_at"]
    assert json.loads(json.dumps(result)) == result  # the table changelog stores it as JSON


def test_exact_redelivery_changes_nothing_even_under_another_id() -> None:
    first = make_candidate("a1", text=WIRE)
    known, _ = feed([first])
    again = resolve(first, known)
    assert again["emit"] is None and again["known"] == known
    assert again["matched"] == first["event"]["event_id"]
    resent = make_candidate("a1-resent", text=WIRE)  # same content, new article id
    assert resolve(resent, known)["emit"] is None


def test_inputs_are_not_modified() -> None:
    known, _ = feed([make_candidate("a1")])
    frozen = copy.deepcopy(known)
    later = make_candidate("a2", killed={"low": 20, "high": 20})
    before = copy.deepcopy(later)
    resolve(later, known)
    assert known == frozen and later == before


# ---------------------------------------------------------------- linking reports


def test_near_duplicate_copy_is_linked_even_when_extraction_differs() -> None:
    wire = make_candidate("wire", text=WIRE, type="shelling", perpetrator="SYR_GOV")
    # the copy's extraction missed the perpetrator and called it an attack: the texts still tie them
    copied = make_candidate("copy", text=COPY, type="attack", perpetrator=None)
    known, (first, second) = feed([wire, copied])
    assert len(known) == 1
    assert second["matched"] == first["emit"]["event_id"]  # type: ignore[index]
    assert second["duplicate_of"] == wire["content_hash"]
    assert second["emit"] is not None and second["emit"]["version"] == 2
    assert second["emit"]["perpetrator"] == "SYR_GOV" and second["emit"]["type"] == "shelling"
    assert [s["article_id"] for s in second["emit"]["sources"]] == ["copy", "wire"]


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
    known, (r1, r2) = feed([first, second])
    assert len(known) == 1
    assert r2["emit"] is not None
    assert r2["emit"]["event_id"] == r1["emit"]["event_id"]  # type: ignore[index]
    assert r2["emit"]["version"] == 2 and len(r2["emit"]["sources"]) == 2
    assert r2["emit"]["killed"] == {"low": 40, "high": None}
    assert r2["emit"]["injured"] == {"low": 1, "high": None}
    assert r2["emit"]["targets"] == ["HURRAS_AL_DEEN", "ANSAR_AL_TAWHID"]


def test_toll_revision_replaces_the_figure() -> None:
    first = make_candidate("early", killed={"low": 12, "high": None})  # "at least 12 killed"
    revised = make_candidate(
        "late", observed_at="2019-08-31T18:00:00+00:00", killed={"low": 20, "high": 20}
    )  # "the death toll has risen to 20"
    known, (r1, r2) = feed([first, revised])
    assert len(known) == 1
    assert r2["emit"] is not None
    assert r2["emit"]["event_id"] == r1["emit"]["event_id"]  # type: ignore[index]
    assert r2["emit"]["version"] == 2
    assert r2["emit"]["killed"] == {"low": 20, "high": 20}
    assert known[0]["last_seen"] == "2019-08-31T18:00:00+00:00"


def test_a_later_lower_figure_does_not_lower_the_event() -> None:
    known, _ = feed([make_candidate("first", killed={"low": 20, "high": None})])
    result = resolve(
        make_candidate("other-outlet", observed_at="2019-09-01T08:00:00+00:00", killed={"low": 8, "high": 8}),
        known,
    )
    assert result["emit"] is not None and result["emit"]["killed"] == {"low": 20, "high": None}
    assert result["emit"]["version"] == 2  # a new source is still a visible change


def test_a_report_that_changes_nothing_visible_is_not_re_emitted() -> None:
    # the same article id re-sent with edited text (new content hash) and the same facts
    known, _ = feed([make_candidate("a1", text=WIRE)])
    result = resolve(make_candidate("a1", text=COPY), known)
    assert result["emit"] is None and result["matched"] == known[0]["event"]["event_id"]
    assert len(result["known"][0]["content_hashes"]) == 2


# ---------------------------------------------------------------- keeping events apart


def test_different_perpetrator_same_place_and_day_is_another_event() -> None:
    known, results = feed([make_candidate("ru", perpetrator="RUS"), make_candidate("us", perpetrator="USA")])
    assert len(known) == 2 and results[1]["matched"] is None and results[1]["emit"] is not None
    assert results[1]["emit"]["version"] == 1


def test_same_perpetrator_other_governorate_is_another_event() -> None:
    idlib, hama = make_candidate("idlib"), make_candidate("hama", location=dict(HAMA))
    assert idlib["block"] != hama["block"]
    # even if both reached one block, the place rule keeps them apart
    known, results = feed([idlib, hama])
    assert len(known) == 2 and results[1]["matched"] is None


def test_different_specific_places_in_one_governorate_are_apart() -> None:
    town = {**IDLIB, "name": "Maarat al-Numan"}
    other = {**IDLIB, "name": "Saraqib"}
    known, _ = feed([make_candidate("a", location=town), make_candidate("b", location=other)])
    assert len(known) == 2
    # the governorate alone agrees with any town in it
    known, _ = feed([make_candidate("a", location=town), make_candidate("c")])
    assert len(known) == 1 and known[0]["event"]["location"]["name"] == "Maarat al-Numan"


def test_dates_five_days_apart_are_separate() -> None:
    early = make_candidate("early", date={"value": "2019-08-26", "precision": "day"})
    late = make_candidate("late", date={"value": "2019-08-31", "precision": "day"})
    known, _ = feed([early, late])
    assert len(known) == 2


def test_two_days_apart_needs_more_than_perpetrator_and_governorate() -> None:
    # one actor striking one governorate two days apart: two raids, unless another detail agrees
    monday = make_candidate(
        "mon", date={"value": "2019-08-26", "precision": "day"}, killed={"low": 24, "high": None}
    )
    wednesday = make_candidate(
        "wed", date={"value": "2019-08-28", "precision": "day"}, killed={"low": 15, "high": 15}
    )
    assert len(feed([monday, wednesday])[0]) == 2
    with_target = [
        make_candidate(c, date={"value": d, "precision": "day"}, targets=["FAILAQ_AL_SHAM"])
        for c, d in (("mon", "2019-08-26"), ("wed", "2019-08-28"))
    ]
    assert len(feed(with_target)[0]) == 1
    next_day = make_candidate("tue", date={"value": "2019-08-27", "precision": "day"})
    assert len(feed([monday, next_day])[0]) == 1


def test_a_side_without_perpetrator_needs_a_shared_target() -> None:
    named = make_candidate("named", targets=["HTS"])
    anonymous = make_candidate("anon", perpetrator=None, targets=[])
    assert len(feed([named, anonymous])[0]) == 2
    anonymous_hts = make_candidate("anon-hts", perpetrator=None, targets=["hts"])
    known, _ = feed([named, anonymous_hts])
    assert len(known) == 1 and known[0]["event"]["perpetrator"] == "RUS"
    # a population is not a party: sharing "civilians" ties nothing together
    civ = [make_candidate(c, perpetrator=p, targets=["CIVILIANS"]) for c, p in (("c1", "RUS"), ("c2", None))]
    assert len(feed(civ)[0]) == 2


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
    known, results = feed([attack, statement])
    assert len(known) == 2 and results[1]["matched"] is None
    assert results[1]["duplicate_of"] == attack["content_hash"]  # the texts are still reported as copies


def test_unknown_dates_fall_back_to_publication() -> None:
    undated = {"value": None, "precision": "unknown"}
    close = make_candidate("b", observed_at="2019-09-01T09:00:00+00:00", date=undated)
    far = make_candidate("c", observed_at="2019-09-06T09:00:00+00:00", date=undated)
    assert len(feed([make_candidate("a"), close])[0]) == 1
    assert len(feed([make_candidate("a"), far])[0]) == 2


# ---------------------------------------------------------------- windows and order


def test_window_pruning_drops_entries_older_than_the_window() -> None:
    old = make_candidate(
        "old", observed_at="2019-08-01T12:00:00+00:00", date={"value": "2019-08-01", "precision": "day"}
    )
    recent = make_candidate(
        "recent", observed_at="2019-08-28T12:00:00+00:00", date={"value": "2019-08-28", "precision": "day"}
    )
    known, _ = feed([old, recent])
    assert [k["event"]["article_id"] for k in known] == ["recent"]  # "old" was 27 days behind
    now = make_candidate(
        "now", observed_at="2019-09-20T12:00:00+00:00", date={"value": "2019-09-20", "precision": "day"}
    )
    known, _ = feed([now], known)
    assert [k["event"]["article_id"] for k in known] == ["now"]
    # on an endless feed the block never holds more than a window's worth
    state: list[KnownEvent] = []
    for day in range(1, 29):
        stamp = f"2019-08-{day:02d}T12:00:00+00:00"
        state = resolve(
            make_candidate(
                f"d{day}",
                observed_at=stamp,
                perpetrator=f"ACTOR_{day}",
                date={"value": stamp[:10], "precision": "day"},
            ),
            state,
            window_days=7,
        )["known"]
    assert len(state) == 8


def test_order_independence_of_figures_and_sources() -> None:
    """A,B and B,A end with the same events (figures, sources, actors, versions).

    Not order-independent, by design: the event_id (the first report's content-based id),
    the event's article_id, and which of two tied values (equal figures with different
    victim kinds, equally precise places) is kept. Chains can also differ: if A matches B
    and B matches C but A does not match C, arriving as A, C, B gives two events where
    A, B, C gives one.
    """
    scenarios = [
        [
            make_candidate("a", killed={"low": 12, "high": None}),
            make_candidate("b", killed={"low": 20, "high": 20}),
        ],
        [
            make_candidate("a", text=WIRE, killed={"low": 12, "high": None}, targets=["X"]),
            make_candidate(
                "b", text=COPY, killed=None, injured={"low": 3, "high": None}, co_perpetrators=["SYR_GOV"]
            ),
        ],
        [
            make_candidate("a"),
            make_candidate("b", perpetrator="USA"),
            make_candidate("c", killed={"low": 30, "high": None}),
        ],
    ]

    def summary(known: Sequence[KnownEvent]) -> list[tuple[Any, ...]]:
        return sorted(
            (
                json.dumps([k["event"]["killed"], k["event"]["injured"]]),
                len(k["event"]["sources"]),
                k["event"]["version"],
                k["event"]["perpetrator"],
                tuple(sorted(k["event"]["co_perpetrators"])),
                tuple(sorted(k["event"]["targets"])),
            )
            for k in known
        )

    for candidates in scenarios:
        forward, _ = feed(candidates)
        backward, _ = feed(list(reversed(candidates)))
        assert summary(forward) == summary(backward)


def test_check_known_round_trips_and_rejects_bad_state() -> None:
    known, _ = feed([make_candidate("a"), make_candidate("b", perpetrator="USA")])
    assert check_known(json.loads(json.dumps(known))) == known
    assert check_known(None) == []
    broken = copy.deepcopy(known)
    broken[0]["signatures"] = []
    with pytest.raises(StageError):
        check_known(broken)


def test_bad_candidates_are_rejected() -> None:
    good = make_candidate("a")
    with pytest.raises(StageError):
        resolve({**good, "observed_at": "last Tuesday"}, [])
    with pytest.raises(StageError):
        resolve({**good, "signature": []}, [])
    with pytest.raises(StageError):
        candidate_for({"event_id": "x"}, "h", "text", "2019-08-31")  # type: ignore[typeddict-item]
