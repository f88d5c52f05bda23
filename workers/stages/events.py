"""Event assembly: from an article's entities to its events.

In: :class:`~workers.types.ArticleEntities`. Out: a list of
:class:`~workers.types.EnrichedEvent`. The flow, one module a step:

    casualties.find_figures   candidate figures with qualifiers, victims, background class
    event_figures.plan        the rule planner: anchor, governorate, the figures it would count
    selector.FigureSelector   the learned model: which candidates make killed / killed_noncombatants
    event_place.event_place   where: the place named nearest the toll
    event_perpetrator         who: perpetrator, co-perpetrators, targets, speakers (roles from the parse)
    date_ranker.event_date    when: the learned ranker over the dates named, grounded on publication
    assemble_events (here)    type, totals, evidence, confidence, ids

Articles with violence but no figure give one violent event with ``killed`` None; articles
with no violence give one non-violent event (statement, threat, ceasefire) that carries no
casualties and no perpetrator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from workers.stages.casualties import DEFAULT_MAX_FIGURE, CasualtyFigure, find_figures
from workers.stages.date_ranker import DateContext, DateRanker, event_date
from workers.stages.errors import StageError
from workers.stages.event_figures import Plan, event_victims, plan_events, total
from workers.stages.event_perpetrator import perpetrator_type, perpetrators, role_ids, victim_spans
from workers.stages.event_place import event_place
from workers.stages.event_text import EARLIER, segment_text
from workers.stages.event_types import classify, is_violent_text
from workers.stages.patterns import pattern
from workers.stages.selector import FigureSelector, Selection, shipped_selector
from workers.types import (
    ActorMention,
    ArticleEntities,
    EnrichedEvent,
    EventDate,
    Evidence,
    Location,
    PlaceMention,
    SourceRef,
)

SCHEMA_VERSION = 1
EVENT_VERSION = 1
_OTHER_TIME = pattern("events.other_time")
_REQUIRED = ("id", "source", "published_at", "title", "text", "sentences", "content_hash", "actors", "places")


def _evidence(field_name: str, figs: Sequence[CasualtyFigure]) -> list[Evidence]:
    return [
        Evidence(field=field_name, text=f.sentence_text, start=f.start, end=f.end, sentence=f.sentence)
        for f in figs
    ]


def _location(place: PlaceMention | None) -> Location:
    if place is None:
        return Location(name=None, admin1=None, country=None, lat=None, lon=None)
    return Location(
        name=place["name"],
        admin1=place["admin1"],
        country=place["country"],
        lat=place["lat"],
        lon=place["lon"],
    )


def event_id(content_hash: str, index: int) -> str:
    """Deterministic id of the ``index``-th event of an article's content."""
    return "evt-" + hashlib.sha1(f"{content_hash}:{index}".encode()).hexdigest()[:16]


def date_context(ent: ArticleEntities, sentences: Sequence[int]) -> DateContext:
    """What the date ranker reads of an article whose event is told in ``sentences``.

    Sentences that tell of another time ("On July 1, the US said it had carried out a raid",
    "earlier this month") date those events, not this one: their dates are no candidates."""
    texts = [segment_text(ent, i) for i in range(len(ent["sentences"]))]
    return DateContext(
        sentences=texts,
        published_at=ent["published_at"],
        title=ent["title"],
        anchors=tuple(i for i in sentences if i >= 0),
        other_time=tuple(i for i, t in enumerate(texts) if EARLIER.search(t) or _OTHER_TIME.match(t)),
        inferred=bool(ent.get("published_at_inferred")),
    )


def _date(ent: ArticleEntities, sentences: Sequence[int], ranker: DateRanker | None) -> EventDate:
    """When: the dates of the title, the report's opening (the ranker's lead: a report drifts
    to background later on) and the event's ``sentences``, weighed by ``ranker`` (None: the
    shipped one)."""
    return event_date(date_context(ent, sentences), ranker)


def _check(entities: ArticleEntities) -> None:
    if not isinstance(entities, dict):
        raise StageError("assemble_events needs an ArticleEntities dict")
    missing = [k for k in _REQUIRED if k not in entities]
    if missing:
        raise StageError(f"article entities lack {', '.join(missing)}")
    if not isinstance(entities["text"], str) or not isinstance(entities["title"], str):
        raise StageError("article title and text must be strings")


def _event_type(ent: ArticleEntities, anchor: int, has_violence: bool) -> tuple[str, bool]:
    """(type, violent) from the anchor sentence, the title and the whole text."""
    anchor_texts = [segment_text(ent, anchor)]
    if anchor >= 0:
        anchor_texts.append(ent["title"])
    anchor_texts.append(ent["text"])
    etype, _ = classify(anchor_texts, long_text_from=len(anchor_texts) - 1)
    if not has_violence:
        return (etype if etype in ("statement", "threat", "ceasefire") else "statement"), False
    if etype in ("statement", "threat", "ceasefire", "unknown"):
        etype = "attack"
    return etype, True


def _mention_evidence(ent: ArticleEntities, field_name: str, m: ActorMention | PlaceMention) -> Evidence:
    return Evidence(
        field=field_name,
        text=segment_text(ent, m["sentence"]),
        start=m["start"],
        end=m["end"],
        sentence=m["sentence"],
    )


def _confidence(used: Sequence[CasualtyFigure], violent: bool, perp: str | None, place: object) -> float:
    """The weakest figure's confidence, lowered when the perpetrator or the place is unknown."""
    confidence = min(f.confidence for f in used) if used else (0.5 if violent else 0.6)
    if perp is None and violent:
        confidence *= 0.9
    if place is None:
        confidence *= 0.9
    return round(confidence, 2)


def _source(ent: ArticleEntities) -> SourceRef:
    return SourceRef(
        article_id=ent["id"], source=ent["source"], url=ent.get("url"), published_at=ent["published_at"]
    )


def _build(
    ent: ArticleEntities,
    figs: Sequence[CasualtyFigure],
    p: Plan,
    index: int,
    has_violence: bool,
    chosen: Selection,
    dates: DateRanker | None = None,
) -> EnrichedEvent:
    """One event from its figure plan and the selector's choice: type, who, where, when,
    totals (killed from ``chosen``) and the evidence for each."""
    etype, violent = _event_type(ent, p.anchor, has_violence)
    perp: str | None = None
    co: list[str] = []
    perp_mentions: list[ActorMention] = []
    if violent:
        starts = [(f.sentence, f.start) for f in p.killed]
        perp, co, perp_mentions = perpetrators(ent, set(p.sentences), victim_spans(figs), starts, p.others)
    near = p.killed[0].start if p.killed else None
    place = event_place(ent, p.anchor, p.admin1, near, p.title_near) if ent["places"] else None
    groups = {
        "killed": chosen.killed,
        "injured": p.injured,
        "displaced": p.displaced,
        "kidnapped": p.kidnapped,
    }
    noncombatants = chosen.killed_noncombatants if violent else []
    if not violent:
        groups = {name: [] for name in groups}
    evidence = [e for name, group in groups.items() for e in _evidence(name, group)]
    evidence += [_mention_evidence(ent, "perpetrator", m) for m in perp_mentions]
    if place is not None:
        evidence.append(_mention_evidence(ent, "location", place))
    return EnrichedEvent(
        schema_version=SCHEMA_VERSION,
        event_id=event_id(ent["content_hash"], index),
        version=EVENT_VERSION,
        type=etype,
        violent=violent,
        perpetrator=perp,
        perpetrator_type=perpetrator_type(ent, perp, set(p.sentences)),
        co_perpetrators=co,
        targets=role_ids(ent, "target", p.sentences) if violent else [],
        speakers=role_ids(ent, "speaker", None),
        location=_location(place),
        date=_date(ent, sorted(s for s in p.sentences if s >= 0), dates),
        killed=total(groups["killed"]),
        killed_noncombatants=total(noncombatants),
        injured=total(groups["injured"]),
        displaced=total(groups["displaced"]),
        kidnapped=total(groups["kidnapped"]),
        victims=event_victims(p, figs),
        evidence=evidence,
        confidence=_confidence([*groups["killed"], *groups["injured"]], violent, perp, place),
        article_id=ent["id"],
        sources=[
            SourceRef(
                article_id=ent["id"],
                source=ent["source"],
                url=ent.get("url"),
                published_at=ent["published_at"],
            )
        ],
    )


def assemble_events(
    entities: ArticleEntities,
    selector: FigureSelector | None = None,
    max_figure: int = DEFAULT_MAX_FIGURE,
    dates: DateRanker | None = None,
) -> list[EnrichedEvent]:
    """The events an article reports, with counted casualties, actors, place, type and date.

    ``selector`` decides which candidate figures make the killed totals (None: the shipped
    model); figures above ``max_figure`` are never counted; ``dates`` weighs the candidate
    event dates (None: the shipped ranker).
    """
    _check(entities)
    candidates = find_figures(entities["text"], entities["sentences"], entities["title"], max_figure)
    # victims told without a number are the selector's to weigh; the rules read numbers only
    figs = [f for f in candidates if "implicit-one" not in f.notes]
    plans = plan_events(entities, figs)
    has_violence = any(p.killed or p.injured for p in plans) or is_violent_text(
        entities["title"] + " " + entities["text"]
    )
    choose = selector if selector is not None else shipped_selector()
    return [
        _build(entities, figs, p, index, has_violence, choose.select(entities, candidates, p.killed), dates)
        for index, p in enumerate(plans)
    ]
