"""The rule planner: the toll a report leads with, its anchor sentence and governorate.

In: :class:`~workers.types.ArticleEntities` and the casualty figures of
:func:`workers.stages.casualties.find_figures`. Out: one :class:`Plan` per event — the
figures the rules would count for its killed / injured / displaced / kidnapped totals, its
anchor sentence and governorate. The killed totals an event reports are decided by the
learned selector (:mod:`workers.stages.selector`), for which "the planner picked this" is
one feature among many; the anchor and governorate place the event.

* One main event per article, anchored on the first body sentence that reports a casualty
  figure of the news (not background, not a part of another figure). Within the anchor
  sentence, figures for distinct groups add up; parts ("including 10 children") never do;
  a rounded lead ("more than 30") gives way to the exact count that follows ("at least 31").
* A lead that rolls up incidents in several governorates, followed by one figure per
  governorate that add up to it exactly, gives way to the first incident (helps fakes-0411,
  fakes-0664, fakes-0767).
* The title is a fallback: its figure is used only when the body has none.
* A report with no toll is anchored on its first violent sentence (the title first), and
  the first body sentence telling of a violation against a person (violent, or an arrest,
  detention, abduction, disappearance) joins the event's sentences: where the event's date
  is looked for. Helps the HRD event month of hrd-dev-1004968819, hrd-train-939831797,
  hrd-train-939839460, hrd-train-945103533, hrd-train-963248957, hrd-train-996152774,
  hrd-train-996300195 (hurts hrd-train-884882077). Anchoring the place there instead
  lowered the HRD first-level division, so the anchor itself stays the violent sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from workers.stages.casualties import CasualtyFigure
from workers.stages.event_place import dominant_country, main_admin1, metonym
from workers.stages.event_text import EARLIER, admin1_of, places_in, segment_text
from workers.stages.event_types import is_violation_text, is_violent_text
from workers.types import ArticleEntities, Quantity, VictimKind

DETAIL_SENTENCES = 4


@dataclass
class Plan:
    anchor: int  # sentence index (-1 = title)
    killed: list[CasualtyFigure] = field(default_factory=list)
    injured: list[CasualtyFigure] = field(default_factory=list)
    displaced: list[CasualtyFigure] = field(default_factory=list)
    kidnapped: list[CasualtyFigure] = field(default_factory=list)
    admin1: str | None = None
    sentences: set[int] = field(default_factory=set)
    title_near: int | None = None  # where the title states the figure
    others: set[int] = field(default_factory=set)  # sentences of other incidents (a roll-up's other parts)


def eligible(figs: Sequence[CasualtyFigure], category: str) -> list[CasualtyFigure]:
    """Figures of ``category`` the rules may count: not background, not parts."""
    return [f for f in figs if f.category == category and not f.background and not f.subset]


def _resolve_vague(figs: Sequence[CasualtyFigure], f: CasualtyFigure) -> CasualtyFigure:
    """A vague figure ("dozens killed") is floored by an exact part of it ("including at least
    29"); helps fakes-0190, fakes-0276, fakes-0411 (selector ablation)."""
    if not f.vague:
        return f
    parts = [
        p
        for p in figs
        if p.category == f.category
        and p.sentence == f.sentence
        and p.subset
        and not p.vague
        and not p.background
        and p.value > f.value
    ]
    return max(parts, key=lambda p: p.value) if parts else f


def _group_at(figs: Sequence[CasualtyFigure], first: CasualtyFigure) -> list[CasualtyFigure]:
    """``first`` plus the figures coordinated with it in its sentence (distinct victims)."""
    group = [first]
    if not first.coordinated:
        return group
    same = [f for f in figs if f.sentence == first.sentence and f.start > first.start]
    for f in same:
        if f.subset or f.background or f.category != first.category:
            continue
        if f.coordinated:
            group.append(f)
        else:
            break
    return group


def _pick(figs: Sequence[CasualtyFigure], category: str, prefer_sentence: int | None) -> list[CasualtyFigure]:
    """The figure group that states ``category`` for the event anchored at ``prefer_sentence``."""
    pool = eligible(figs, category)
    if not pool:
        return []
    body = [_resolve_vague(figs, f) for f in pool if f.sentence >= 0]
    title = [_resolve_vague(figs, f) for f in pool if f.sentence < 0]
    if prefer_sentence is not None:
        here = [f for f in body if f.sentence == prefer_sentence]
        if here:
            return _group_at(figs, here[0])
    for candidates in (
        [f for f in body if not f.vague],
        [f for f in title if not f.vague],
        body,
        title,
    ):
        if candidates:
            return _group_at(pool, candidates[0])
    return []


def _refine(figs: Sequence[CasualtyFigure], group: list[CasualtyFigure]) -> list[CasualtyFigure]:
    """A rounded lead figure gives way to the exact count that follows it: "more than 30
    people" then "at least 31 people" is one toll told twice. Measured on the dev sets it
    helps fakes-0123, fakes-0554, wad-05272 and wad-06261 and hurts none."""
    if len(group) != 1:
        return group
    lead = group[0]
    if lead.vague or lead.high is not None or lead.low is None or lead.low % 5 != 0:
        return group
    later = [
        f
        for f in eligible(figs, lead.category)
        if lead.sentence < f.sentence <= lead.sentence + 3
        and not f.vague
        and lead.low < f.value <= lead.low * 1.5
    ]
    return _group_at(figs, later[0]) if later else group


def total(group: Sequence[CasualtyFigure]) -> Quantity | None:
    if not group:
        return None
    lows = [f.low for f in group]
    highs = [f.high for f in group]
    low = None if any(v is None for v in lows) else sum(v for v in lows if v is not None)
    high = None if any(v is None for v in highs) else sum(v for v in highs if v is not None)
    if low is None and high is None:
        return None
    return Quantity(low=low, high=high)


def _victims(group: Sequence[CasualtyFigure]) -> VictimKind:
    kinds = {f.victims for f in group if f.victims != "unspecified"}
    if len(kinds) == 1:
        return kinds.pop()
    if kinds and kinds <= {"civilians", "children", "women"}:
        return "civilians"
    if kinds and kinds <= {"fighters", "soldiers"}:
        return "fighters"
    return "unspecified"


def event_victims(plan: Plan, figs: Sequence[CasualtyFigure]) -> VictimKind:
    """Who the victims were; the headline's wording fills in when the body says "people"."""
    kind = _victims(plan.killed or plan.injured)
    if kind == "unspecified" and plan.killed:
        title = [f for f in figs if f.sentence == -1 and f.category == "killed" and not f.background]
        kind = _victims(title)
    return kind


# ---------------------------------------------------------------- places and actors


def _window_admin1(ent: ArticleEntities, figs: Sequence[CasualtyFigure], f: CasualtyFigure) -> set[str]:
    """The governorates named between a killed figure and the next killed figure of its sentence
    (or the sentence end): where the victims it counts died."""
    later = [
        g.start
        for g in figs
        if g.sentence == f.sentence
        and g.category == "killed"
        and g.start > f.start
        and not g.subset
        and not g.background
    ]
    stop = min(later) if later else None
    return {
        p["admin1"]
        for p in places_in(ent, f.sentence)
        if p["admin1"] and p["start"] >= f.end and (stop is None or p["start"] < stop) and not metonym(ent, p)
    }


def _detail_figure(
    ent: ArticleEntities, figs: Sequence[CasualtyFigure], anchor: int
) -> CasualtyFigure | None:
    """When the toll's sentence names no place ("More than 33 people were killed in regime and
    Russian bombing on Wednesday"), the first figure of the next sentences that tells where
    ("Three children were killed in air raids on Jisr al-Shughur in Idlib province") places it."""
    if anchor < 0:
        return None
    country = dominant_country(ent)

    def located(idx: int) -> bool:
        return any(
            p["admin1"] and (country is None or p["country"] == country) and not metonym(ent, p)
            for p in places_in(ent, idx)
        )

    if located(anchor):
        return None
    for f in eligible(figs, "killed"):
        if (
            anchor < f.sentence <= anchor + DETAIL_SENTENCES
            and not EARLIER.search(f.sentence_text)
            and located(f.sentence)
        ):
            return f
    return None


def _roll_up_part(
    ent: ArticleEntities, figs: Sequence[CasualtyFigure], group: list[CasualtyFigure]
) -> tuple[list[CasualtyFigure], str, set[int]] | None:
    """The first incident of a roll-up: "10 killed in attacks on Aleppo and Deir Ezzor ... 6 in
    Aleppo ... 4 in Deir Ezzor".

    A lead figure whose victims are placed in several governorates, followed by one figure per
    governorate that add up to it exactly, is a summary of several incidents, not the count of
    one. The report's event is the first incident it tells (annotators count it alone, as they
    do for an article that leads with one incident and goes on to others).
    """
    if len(group) != 1 or not ent["places"]:
        return None
    lead = group[0]
    if lead.vague or lead.low is None:
        return None
    govs = _window_admin1(ent, figs, lead)
    if len(govs) < 2:
        return None
    parts: dict[str, CasualtyFigure] = {}
    for f in eligible(figs, "killed"):
        if (f.sentence, f.start) <= (lead.sentence, lead.start) or f.sentence < 0 or f.vague or f.coordinated:
            continue
        where = _window_admin1(ent, figs, f) or admin1_of(places_in(ent, f.sentence))
        if len(where) != 1:
            continue
        gov = next(iter(where))
        if gov in govs and gov not in parts and f.value < lead.value:
            parts[gov] = f
    if len(parts) < 2 or sum(f.value for f in parts.values()) != lead.value:
        return None
    first = min(parts.values(), key=lambda f: (f.sentence, f.start))
    gov = next(g for g, f in parts.items() if f is first)
    # the other incidents are told from the second part's sentence on: their doers are not the first's
    second = min(f.sentence for f in parts.values() if f is not first)
    others = set(range(second, len(ent["sentences"]))) if second > first.sentence else set()
    return [first], gov, others


def plan_events(ent: ArticleEntities, figs: Sequence[CasualtyFigure]) -> list[Plan]:
    """The events an article reports, as figure plans (one today: the toll the report leads with)."""
    killed = _refine(figs, _pick(figs, "killed", None))
    part = _roll_up_part(ent, figs, killed)
    if part is not None:
        killed = part[0]
    anchor = killed[0].sentence if killed else first_violent_sentence(ent)
    main = Plan(anchor=anchor, killed=killed)
    main.sentences = {anchor, -1}
    if not killed:
        told = first_violation_sentence(ent)
        if told is not None:
            main.sentences.add(told)
    near = killed[0].start if killed else None
    main.title_near = title_figure_start(figs)
    if part is not None:
        main.admin1 = part[1]
        main.others = part[2]
        main.title_near = None
    elif ent["places"]:
        detail = _detail_figure(ent, figs, anchor) if killed else None
        if detail is not None:
            main.admin1 = main_admin1(ent, detail.sentence, detail.start, main.title_near)
        else:
            main.admin1 = main_admin1(ent, anchor, near, main.title_near)

    for cat in ("injured", "displaced", "kidnapped"):
        group = _pick(figs, cat, anchor if anchor >= 0 else None)
        setattr(main, cat, group)
        main.sentences |= {f.sentence for f in group}

    return [main]


def title_figure_start(figs: Sequence[CasualtyFigure]) -> int | None:
    for f in figs:
        if f.sentence == -1 and f.category == "killed" and not f.background:
            return f.start
    return None


def first_violation_sentence(ent: ArticleEntities) -> int | None:
    """The first body sentence telling of a violation against a person, None if none does."""
    for i in range(len(ent["sentences"])):
        if is_violation_text(segment_text(ent, i)):
            return i
    return None


def first_violent_sentence(ent: ArticleEntities) -> int:
    if is_violent_text(ent["title"]):
        return -1
    for i in range(len(ent["sentences"])):
        if is_violent_text(segment_text(ent, i)):
            return i
    return -1


# ---------------------------------------------------------------- building
