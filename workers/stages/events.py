"""Event assembly: from an article's entities and casualty figures to counted events.

Rules (each measured on the FA-KES dev set; the figures are in the batch README/report):

* One main event per article, anchored on the first body sentence that reports a
  casualty figure of the news (not background, not a part of another figure). Reports
  open with the headline toll and later repeat it, split it by place, or cite other
  sources for the same victims, so later figures do not add to it (SOURCE_RULE
  "first": the figure the report leads with; "min"/"max"/"last" measured worse).
  Within the anchor sentence, figures for distinct groups ("two men from X and three
  men from Y", "five women and a child") add up; parts ("including 10 children")
  never do. A vague lead ("dozens") gives way to an exact count in the body; a rounded
  lead ("more than 30") to the exact count that follows ("at least 31").
* A lead that rolls up incidents in several governorates ("10 civilians killed in attacks on
  Aleppo and Deir Ezzor"), followed by one figure per governorate that add up to it exactly
  ("6 ... in Aleppo", "four ... in Deir Ezzor"), gives way to the first incident, as the
  article's event and place (annotators count the lead incident of a multi-incident report).
* A later "death toll has risen to N" replaces the figure when it is larger.
* One more person the next two sentences say was "also" killed ("Karam Ammoun, another
  leader, was also killed") adds to the toll; larger later figures do not (they repeat or
  split the toll, or tell of another day).
* The title is a fallback: its figure is used only when the body has none.
* Splitting an article into one event per governorate (SPLIT_BY_GOVERNORATE) and
  counting the attackers' own dead as a second event (ATTACKER_LOSSES) are available
  but off: on the dev set both lose far more articles than they win.
* Articles with violence but no figure give one violent event with ``killed`` None;
  articles with no violence give one non-violent event (statement, threat,
  ceasefire) that carries no casualties and no perpetrator.
* Perpetrator: actor mentions with the perpetrator role (state forces and armed
  groups only; "terrorists"/"gunmen" name no one) weighed by closeness to the toll;
  groups named as the victims ("kills 30 Nusra fighters") are excluded; mentions the
  parse left unroled count when the words around make them the doer ("Islamic State
  counteroffensive", "carried out by Russian planes", "claimed responsibility",
  "accused rebels of using ...").
* Place: the governorate named nearest the toll (its own sentence, the place right
  after the figure, the title), weighed over the article; foreign places and
  metonyms ("despite Damascus promises") count only when nothing else is named.
  When the toll's sentence names no place, the next figure (within DETAIL_SENTENCES)
  whose sentence does places the event. Places inside the words naming the victims
  ("98 evacuees from the towns of Fuaa and Kafraya were killed ... west of Aleppo") tell
  who they were, not where they died, and do not count in the toll's sentence when it
  also names another place. Places people left or were heading for ("evacuated from Fuaa",
  "advanced towards Raqqa") do not place the event, and a place in a clause after the toll
  that tells something else ("killed 43 as fighters advanced on ...") counts as a neighbour.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workers.stages.casualties import CasualtyFigure, find_figures
from workers.stages.dates import parse_published, resolve_date
from workers.stages.errors import StageError
from workers.stages.event_types import classify, is_violent_text
from workers.stages.patterns import pattern
from workers.types import (
    ActorMention,
    ArticleEntities,
    EnrichedEvent,
    EventDate,
    Evidence,
    Location,
    PlaceMention,
    Quantity,
    SourceRef,
    VictimKind,
)

SCHEMA_VERSION = 1
RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "event_rules.json"
SPLIT_BY_GOVERNORATE = False
PLACE_FROM_DETAIL = True
DETAIL_SENTENCES = 4
# several sources, one toll: "first" (the figure the report leads with), "min" (most
# conservative, ACLED's rule), "max", or "last" (the latest statement); measured on the dev set
SOURCE_RULE = "first"
COMPETING_SENTENCES = 4
# the attackers' own dead reported after the main toll as an event of their own (off: on the
# dev set it fixes 1 article and breaks 7, mostly repeats of the main toll)
ATTACKER_LOSSES = False
LEAD_SENTENCES = 2  # sentences 0..2 open the report and usually tell the main event
DATE_LEAD_SENTENCES = 5
FAR_PERPETRATOR_DISTANCE = 3
FAR_PERPETRATOR_WEIGHT = 0.5
_OTHER_TIME = pattern("events.other_time")
EVENT_VERSION = 1
_REQUIRED = ("id", "source", "published_at", "title", "text", "sentences", "content_hash", "actors", "places")

_VICTIM_NP_END = pattern("events.victim_np_end")

_EARLIER = pattern("events.earlier")


@dataclass
class _Plan:
    anchor: int  # sentence index (-1 = title)
    killed: list[CasualtyFigure] = field(default_factory=list)
    injured: list[CasualtyFigure] = field(default_factory=list)
    displaced: list[CasualtyFigure] = field(default_factory=list)
    kidnapped: list[CasualtyFigure] = field(default_factory=list)
    admin1: str | None = None
    sentences: set[int] = field(default_factory=set)
    title_near: int | None = None  # where the title states the figure
    losses_of: str | None = None  # set for the attackers' own dead: the actor whose fighters died
    losses_by: str | None = None
    others: set[int] = field(default_factory=set)  # sentences of other incidents (a roll-up's other parts)


def _segment_text(ent: ArticleEntities, idx: int) -> str:
    if idx < 0:
        return ent["title"]
    if idx >= len(ent["sentences"]):
        return ""
    s = ent["sentences"][idx]
    return ent["text"][s["start"] : s["end"]]


def _eligible(figs: Sequence[CasualtyFigure], category: str) -> list[CasualtyFigure]:
    return [f for f in figs if f.category == category and not f.background and not f.subset]


def _resolve_vague(figs: Sequence[CasualtyFigure], f: CasualtyFigure) -> CasualtyFigure:
    """A vague figure ("dozens killed") is floored by an exact part of it ("including at least 29")."""
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
    pool = _eligible(figs, category)
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
    """A rounded or vague lead figure gives way to the exact count that follows it.

    "more than 30 people" then "at least 31 people" is one toll told twice; "dozens of
    people ... including at least 29 in one neighbourhood" is at least 29.
    """
    if len(group) != 1:
        return group
    lead = group[0]
    if lead.vague:
        parts = [
            f
            for f in figs
            if f.category == lead.category
            and f.sentence == lead.sentence
            and f.subset
            and not f.vague
            and not f.background
            and f.value > lead.value
        ]
        if parts:
            return [max(parts, key=lambda f: f.value)]
        return group
    if lead.high is None and lead.low is not None and lead.low % 5 == 0:
        later = [
            f
            for f in _eligible(figs, lead.category)
            if lead.sentence < f.sentence <= lead.sentence + 3
            and not f.vague
            and lead.low < f.value <= lead.low * 1.5
        ]
        if later:
            return _group_at(figs, later[0])
    return group


def _total(group: Sequence[CasualtyFigure]) -> Quantity | None:
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


def _event_victims(plan: _Plan, figs: Sequence[CasualtyFigure]) -> VictimKind:
    """Who the victims were; the headline's wording fills in when the body says "people"."""
    kind = _victims(plan.killed or plan.injured)
    if kind == "unspecified" and plan.killed:
        title = [f for f in figs if f.sentence == -1 and f.category == "killed" and not f.background]
        kind = _victims(title)
    return kind


# ---------------------------------------------------------------- places and actors


def _places_in(ent: ArticleEntities, idx: int) -> list[PlaceMention]:
    return [p for p in ent["places"] if p["sentence"] == idx]


def _admin1_of(places: Sequence[PlaceMention]) -> set[str]:
    return {p["admin1"] for p in places if p["admin1"]}


def _best_place(places: Sequence[PlaceMention]) -> PlaceMention | None:
    """The most specific resolved place: one with an admin1 beats a bare country."""
    with_admin = [p for p in places if p["admin1"]]
    if with_admin:
        specific = [p for p in with_admin if (p["name"] or "").lower() != (p["admin1"] or "").lower()]
        return (specific or with_admin)[0]
    return places[0] if places else None


_CLAUSE_AFTER = pattern("events.clause_after")
_METONYM_AFTER = pattern("events.metonym_after")


_VICTIMS_FROM = pattern("events.victims_from")


_LEFT_FROM = pattern("events.left_from")


_HEADED_TO = pattern("events.headed_to")


def _origin_or_destination(ent: ArticleEntities, p: PlaceMention) -> bool:
    """Whether the place is where people came from or were going, not where they were hit."""
    seg = ent["title"] if p["sentence"] < 0 else ent["text"]
    before = seg[max(0, p["start"] - 120) : p["start"]]
    return bool(_LEFT_FROM.search(before) or _HEADED_TO.search(before))


def _metonym(ent: ArticleEntities, p: PlaceMention) -> bool:
    seg = ent["title"] if p["sentence"] < 0 else ent["text"]
    return bool(_METONYM_AFTER.match(seg[p["end"] : p["end"] + 30].lstrip()))


def _dominant_country(ent: ArticleEntities) -> str | None:
    counts = Counter(p["country"] for p in ent["places"] if p["country"])
    return counts.most_common(1)[0][0] if counts else None


def _event_place(
    ent: ArticleEntities,
    anchor: int,
    admin1: str | None,
    near: int | None = None,
    title_near: int | None = None,
) -> PlaceMention | None:
    """The event's place: the governorate named nearest the event, weighed over the article.

    Mentions in the event's sentence weigh most (the one closest to the figure most of
    all), then the title, then the neighbouring sentences, then the rest of the article.
    Places outside the article's main country count only when nothing else is named.
    """
    places = [p for p in ent["places"] if (admin1 is None or p["admin1"] == admin1) and not _metonym(ent, p)]
    if not places:
        return None
    country = _dominant_country(ent)
    home = [p for p in places if p["country"] == country] if country else places
    pool = [p for p in (home or places) if p["admin1"]]
    if not pool:
        return _best_place(home or places)
    weights: defaultdict[str, float] = defaultdict(float)
    closest: PlaceMention | None = None
    in_anchor = [p for p in pool if p["sentence"] == anchor]
    origins: list[PlaceMention] = []
    limit: int | None = None
    if in_anchor and near is not None:
        # "killed 13 civilians ... in the province of Aleppo": places after the figure
        # are usually where it happened; places before it are often a dateline or caption
        seg = _segment_text(ent, anchor)
        offset = ent["sentences"][anchor]["start"] if anchor >= 0 else 0
        cut = _CLAUSE_AFTER.search(seg, max(0, near - offset))
        limit = offset + cut.start() if cut else None
        seg_text = ent["title"] if anchor < 0 else ent["text"]
        for p in sorted(in_anchor, key=lambda p: p["start"]):
            if p["start"] < near:
                continue
            if _VICTIMS_FROM.match(seg_text[near : p["start"]]) or (
                origins
                and re.fullmatch(
                    r"\s*(?:,|and|or|&)\s*(?:the\s+)?", seg_text[origins[-1]["end"] : p["start"]]
                )
            ):
                origins.append(p)
        if all(any(p is o for o in origins) for p in in_anchor if p["start"] >= near):
            # "17 young men from Altibni were executed": no other place, their town it is
            origins = []
        after = [
            p
            for p in in_anchor
            if near <= p["start"] and (limit is None or p["start"] < limit) and p not in origins
        ]
        before = [p for p in in_anchor if p["start"] < near]
        if after:
            closest = min(after, key=lambda p: p["start"])
        elif before:
            closest = max(before, key=lambda p: p["start"])
    far: defaultdict[str, float] = defaultdict(float)
    for p in pool:
        adm = p["admin1"] or ""
        if any(p is o for o in origins) or _origin_or_destination(ent, p):
            continue
        if (
            p["sentence"] == anchor
            and limit is not None
            and p["start"] >= limit
            and not is_violent_text(ent["text"][limit : p["end"]] if anchor >= 0 else "")
        ):
            # named in a clause that tells something else ("... as fighters advanced on Raqqa")
            weights[adm] += 1.0
        elif p["sentence"] == anchor:
            weights[adm] += 3.0
        elif p["sentence"] == -1:
            weights[adm] += 2.0
        elif anchor >= 0 and abs(p["sentence"] - anchor) == 1:
            weights[adm] += 1.0
        elif anchor >= 0 and abs(p["sentence"] - anchor) == 2:
            weights[adm] += 0.5
        else:
            # further away counts less: a report drifts to other places as it goes on
            distance = abs(p["sentence"] - anchor) if anchor >= 0 else p["sentence"] + 1
            far[adm] += 1.0 / max(distance, 1)
    for adm, w in far.items():
        weights[adm] += min(w, 1.0)
    if closest is not None:
        weights[closest["admin1"] or ""] += 2.0
    in_title = [p for p in pool if p["sentence"] == -1]
    if in_title and title_near is not None and anchor != -1:
        nearest = min(in_title, key=lambda p: abs(p["start"] - title_near))
        weights[nearest["admin1"] or ""] += 1.5
    order = {p["admin1"]: i for i, p in reversed(list(enumerate(pool)))}
    best = sorted(weights, key=lambda k: (-weights[k], order.get(k, 0)))[0]
    chosen = [p for p in pool if p["admin1"] == best]
    if closest is not None and closest["admin1"] == best:
        return closest
    for idx in [anchor, -1]:
        here = [p for p in chosen if p["sentence"] == idx]
        if here:
            return _best_place(here)
    return _best_place(chosen)


def _main_admin1(
    ent: ArticleEntities, anchor: int, near: int | None = None, title_near: int | None = None
) -> str | None:
    place = _event_place(ent, anchor, None, near, title_near)
    return place["admin1"] if place else None


@functools.cache
def _rules() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(actor kinds that can perpetrate, generic labels and actor ids that name no one in particular)."""
    try:
        data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # pragma: no cover - packaging error
        raise StageError(f"cannot read {RULES_FILE}: {exc}") from exc
    kinds = frozenset(str(k) for k in data["perpetrator_kinds"])
    generic = frozenset(str(g).lower() for g in data["generic_perpetrator_labels"])
    unidentified = frozenset(str(i) for i in data.get("unidentified_actor_ids", []))
    return kinds, generic, unidentified


def _actor_key(a: ActorMention) -> str | None:
    """The actor a perpetrator mention names, or None for a label that names no one
    ("terrorists", "gunmen": the outlet's word, not an identification)."""
    kinds, generic, unidentified = _rules()
    if a["kind"] not in kinds or a["actor_id"] in unidentified:
        return None
    if re.sub(r"\s+", " ", a["text"].lower().strip(" .,'’\"")) in generic:
        return None
    return a["actor_id"]


def _victim_spans(figs: Sequence[CasualtyFigure]) -> list[tuple[int, int, int]]:
    """(sentence, start, end) of the words naming the victims right after each figure.

    "kills 30 government fighters", "175 Nusra terrorists killed": whoever is named
    there died; the parser may still have tagged them as the doer.
    """
    out: list[tuple[int, int, int]] = []
    for f in figs:
        if f.category not in ("killed", "injured", "kidnapped") or f.background:
            continue
        offset = f.start - f.sentence_text.find(f.surface) if f.surface in f.sentence_text else None
        if offset is None:
            continue
        local_end = f.end - offset
        tail = f.sentence_text[local_end : local_end + 60]
        m = _VICTIM_NP_END.search(tail)
        stop = m.start() if m else len(tail)
        out.append((f.sentence, f.start, f.end + stop))
    return out


_AGENT_AFTER = pattern("events.agent_after")
_AGENT_BEFORE = pattern("events.agent_before")


_CLAIM = pattern("events.claim")


def _claims_responsibility(ent: ArticleEntities, m: ActorMention) -> bool:
    """ "The Islamic State group claimed responsibility for the attack": a perpetrator by its own word."""
    seg = ent["title"] if m["sentence"] < 0 else ent["text"]
    return bool(_CLAIM.match(seg[m["end"] : m["end"] + 60]))


_ACCUSED_BEFORE = pattern("events.accused_before")
_ACCUSED_AFTER_ACCUSATION = pattern("events.accused_after_accusation")
_ACCUSED_AFTER = pattern("events.accused_after")


def _accused(ent: ArticleEntities, m: ActorMention) -> bool:
    """ "accused rebels of using chemical arms", "Assad used chemical weapons", "rebels behind the
    attack": the one a report holds responsible (annotators count the accused as the actor)."""
    seg = ent["title"] if m["sentence"] < 0 else ent["text"]
    before = seg[max(0, m["start"] - 40) : m["start"]]
    after = seg[m["end"] : m["end"] + 40]
    if _ACCUSED_BEFORE.search(before) and _ACCUSED_AFTER_ACCUSATION.match(after):
        return True
    return bool(_ACCUSED_AFTER.match(after.lstrip()))


def _agent_context(ent: ArticleEntities, m: ActorMention) -> bool:
    """True when the words around a mention make it the doer of an attack."""
    seg = ent["title"] if m["sentence"] < 0 else ent["text"]
    after = seg[m["end"] : m["end"] + 40]
    before = seg[max(0, m["start"] - 40) : m["start"]]
    if re.match(r"^-?\s*(?:held|controlled|backed|allied|linked|affiliated|run|friendly)\b", after, re.I):
        return False
    return bool(_AGENT_AFTER.match(after) or _AGENT_BEFORE.search(before))


_COUNT_BEFORE = pattern("events.count_before")


def _counted(ent: ArticleEntities, m: ActorMention) -> bool:
    """ "175 Nusra terrorists", "dozens of IS fighters": a group right after a count is what was counted."""
    seg = ent["title"] if m["sentence"] < 0 else ent["text"]
    return bool(_COUNT_BEFORE.search(seg[max(0, m["start"] - 25) : m["start"]]))


def _in_spans(m: ActorMention, spans: Sequence[tuple[int, int, int]]) -> bool:
    return any(m["sentence"] == s and a <= m["start"] < b for s, a, b in spans)


def _perpetrators(
    ent: ArticleEntities,
    anchors: set[int],
    victims: Sequence[tuple[int, int, int]] = (),
    figure_starts: Sequence[tuple[int, int]] = (),
    others: set[int] | frozenset[int] = frozenset(),
) -> tuple[str | None, list[str], list[ActorMention]]:
    """The perpetrator (and co-perpetrators) named nearest to the event's sentences."""
    scores: defaultdict[str, float] = defaultdict(float)
    by_sentence: dict[int, set[str]] = {}
    first_seen: dict[str, int] = {}
    mentions: dict[str, ActorMention] = {}
    near = set(anchors)
    for a in anchors:
        if a >= 0:
            near |= {a - 1, a + 1}
    for pos, m in enumerate(ent["actors"]):
        key = _actor_key(m)
        if key is None or m["sentence"] in others or _in_spans(m, victims) or _counted(ent, m):
            continue
        if m["role"] == "perpetrator" or _claims_responsibility(ent, m) or _accused(ent, m):
            factor = 1.0
        elif (
            m["role"] == "mentioned"
            and (m["sentence"] in near or m["sentence"] == -1)
            and _agent_context(ent, m)
        ):
            # the parse missed the role, but the words around say so: "an Islamic State
            # counteroffensive", "carried out by Russian planes"; strongest as the subject of
            # the sentence that gives the toll ("Syrian government shelling ... killed 31")
            subject = any(m["sentence"] == sent and m["start"] < start for sent, start in figure_starts)
            factor = 0.8 if subject else 0.3
        else:
            continue
        if m["sentence"] in anchors:
            w = 4.0
        elif m["sentence"] == -1:
            w = 3.0
        elif m["sentence"] in near or m["sentence"] <= LEAD_SENTENCES:
            w = 1.5
        elif min(abs(m["sentence"] - a) for a in anchors) <= FAR_PERPETRATOR_DISTANCE:
            w = FAR_PERPETRATOR_WEIGHT
        else:
            continue
        scores[key] += w * factor
        if factor == 1.0:
            by_sentence.setdefault(m["sentence"], set()).add(key)
        first_seen.setdefault(key, pos)
        mentions.setdefault(key, m)
    if not scores:
        return None, [], []
    ranked = sorted(scores, key=lambda k: (-scores[k], first_seen[k]))
    main = ranked[0]
    # co-perpetrators: named as doers in the same sentence as the main one, near the event
    # ("Russian and Syrian air strikes")
    co: list[str] = []
    for idx, keys in by_sentence.items():
        if main in keys and (idx in near or idx == -1 or idx <= LEAD_SENTENCES):
            co.extend(k for k in ranked if k in keys and k != main and k not in co)
    return main, co, [mentions[main]]


def _role_ids(ent: ArticleEntities, role: str, sentences: set[int] | None) -> list[str]:
    out: list[str] = []
    for m in ent["actors"]:
        if m["role"] != role:
            continue
        if sentences is not None and m["sentence"] not in sentences:
            continue
        key = m["actor_id"] or m["text"]
        if key not in out:
            out.append(key)
    return out


# ---------------------------------------------------------------- planning


def _competing(figs: Sequence[CasualtyFigure], group: list[CasualtyFigure]) -> list[CasualtyFigure]:
    """Apply SOURCE_RULE to the figures that state the same toll in the next sentences.

    "The Observatory said at least 12 were killed. The LCC said the strikes killed 13": one
    toll, two sources. Candidates: single figures within COMPETING_SENTENCES after the lead,
    within +-50% of it, not parts, not vague, not background.
    """
    if len(group) != 1 or SOURCE_RULE == "first":
        return group
    lead = group[0]
    rivals = [
        f
        for f in _eligible(figs, lead.category)
        if lead.sentence < f.sentence <= lead.sentence + COMPETING_SENTENCES
        and not f.vague
        and not f.coordinated
        and 0.5 * lead.value <= f.value <= 1.5 * lead.value
    ]
    if not rivals:
        return group
    pool = [lead, *rivals]
    if SOURCE_RULE == "min":
        return [min(pool, key=lambda f: f.value)]
    if SOURCE_RULE == "max":
        return [max(pool, key=lambda f: f.value)]
    return [pool[-1]]  # "last": the latest statement


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
        for p in _places_in(ent, f.sentence)
        if p["admin1"]
        and p["start"] >= f.end
        and (stop is None or p["start"] < stop)
        and not _metonym(ent, p)
    }


def _detail_figure(
    ent: ArticleEntities, figs: Sequence[CasualtyFigure], anchor: int
) -> CasualtyFigure | None:
    """When the toll's sentence names no place ("More than 33 people were killed in regime and
    Russian bombing on Wednesday"), the first figure of the next sentences that tells where
    ("Three children were killed in air raids on Jisr al-Shughur in Idlib province") places it."""
    if anchor < 0 or not PLACE_FROM_DETAIL:
        return None
    country = _dominant_country(ent)

    def located(idx: int) -> bool:
        return any(
            p["admin1"] and (country is None or p["country"] == country) and not _metonym(ent, p)
            for p in _places_in(ent, idx)
        )

    if located(anchor):
        return None
    for f in _eligible(figs, "killed"):
        if (
            anchor < f.sentence <= anchor + DETAIL_SENTENCES
            and not _EARLIER.search(f.sentence_text)
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
    for f in _eligible(figs, "killed"):
        if (f.sentence, f.start) <= (lead.sentence, lead.start) or f.sentence < 0 or f.vague or f.coordinated:
            continue
        where = _window_admin1(ent, figs, f) or _admin1_of(_places_in(ent, f.sentence))
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


def _one_more(ent: ArticleEntities, figs: Sequence[CasualtyFigure], main: _Plan) -> list[CasualtyFigure]:
    """One more victim told just after the toll: "... killing the commander Abu Taha. Karam
    Ammoun, another leader, was also killed". Only a single person the text says was "also"
    killed; larger figures there usually repeat or split the toll, or tell of another day."""
    if main.anchor < 0:
        return []
    return [
        f
        for f in _eligible(figs, "killed")
        if main.anchor < f.sentence <= main.anchor + 2
        and f.value == 1
        and "also" in f.notes
        and not f.vague
        and not f.context
        and not _EARLIER.search(f.sentence_text)
    ][:1]


def _plan(ent: ArticleEntities, figs: Sequence[CasualtyFigure]) -> list[_Plan]:
    killed = _competing(figs, _refine(figs, _pick(figs, "killed", None)))
    part = _roll_up_part(ent, figs, killed)
    if part is not None:
        killed = part[0]
    anchor = killed[0].sentence if killed else _first_violent_sentence(ent)
    main = _Plan(anchor=anchor, killed=killed)
    main.sentences = {anchor, -1}
    near = killed[0].start if killed else None
    main.title_near = _title_figure_start(figs)
    if part is not None:
        main.admin1 = part[1]
        main.others = part[2]
        main.title_near = None
    elif ent["places"]:
        detail = _detail_figure(ent, figs, anchor) if killed else None
        if detail is not None:
            main.admin1 = _main_admin1(ent, detail.sentence, detail.start, main.title_near)
        else:
            main.admin1 = _main_admin1(ent, anchor, near, main.title_near)

    # a larger rising toll later in the article replaces the figure
    if killed:
        main_total = _total(killed)
        for f in _eligible(figs, "killed"):
            if (
                f.toll_update
                and f.sentence > anchor
                and not f.vague
                and main_total is not None
                and f.value > (main_total["low"] or main_total["high"] or 0)
            ):
                places = _admin1_of(_places_in(ent, f.sentence))
                if not places or main.admin1 is None or main.admin1 in places:
                    main.killed = [f]
                    main_total = _total(main.killed)
                    main.sentences.add(f.sentence)

    if killed and part is None:
        main.killed = [*main.killed, *_one_more(ent, figs, main)]
        main.sentences |= {f.sentence for f in main.killed}

    for cat in ("injured", "displaced", "kidnapped"):
        group = _pick(figs, cat, anchor if anchor >= 0 else None)
        setattr(main, cat, group)
        main.sentences |= {f.sentence for f in group}

    plans = [main]
    # figures set in another governorate are events of their own (off by default: on the
    # FA-KES dev set annotators count the lead incident only, and splitting costs 12 points)
    if SPLIT_BY_GOVERNORATE and killed and main.admin1 is not None:
        used = {id(f) for f in main.killed}
        by_admin: dict[str, _Plan] = {}
        for f in _eligible(figs, "killed"):
            if f.sentence <= anchor or id(f) in used or f.vague or f.sentence < 0:
                continue
            if _EARLIER.search(f.sentence_text):
                continue
            places = _admin1_of(_places_in(ent, f.sentence))
            if len(places) != 1 or main.admin1 in places:
                continue
            adm = next(iter(places))
            if adm in by_admin:
                continue
            group = _group_at(figs, f)
            plan = _Plan(anchor=f.sentence, killed=group, admin1=adm, sentences={f.sentence})
            by_admin[adm] = plan
        plans.extend(by_admin.values())
    return plans


def _title_figure_start(figs: Sequence[CasualtyFigure]) -> int | None:
    for f in figs:
        if f.sentence == -1 and f.category == "killed" and not f.background:
            return f.start
    return None


def _attacker_losses(
    ent: ArticleEntities,
    figs: Sequence[CasualtyFigure],
    main: _Plan,
    attackers: Sequence[str],
    targets: Sequence[str],
) -> _Plan | None:
    """The attackers' own dead, reported after the main toll, as an event of their own.

    "IS killed 270 soldiers ... at least 40 IS fighters were killed in the offensive": the
    40 are other victims than the 270 (annotators add them). Only a later figure whose
    victims are named as one of the main event's perpetrators qualifies.
    """
    used = {id(f) for f in main.killed}
    spans = _victim_spans(figs)
    for f in _eligible(figs, "killed"):
        if f.sentence <= main.anchor or id(f) in used or f.vague or _EARLIER.search(f.sentence_text):
            continue
        span = [sp for sp in spans if sp[0] == f.sentence and sp[1] == f.start]
        named = [
            m
            for m in ent["actors"]
            if _in_spans(m, span)
            and m["actor_id"] in attackers
            and m["kind"] in ("state_force", "armed_group")
        ]
        if named and f.victims in ("fighters", "soldiers", "unspecified"):
            by = next((t for t in targets if t not in attackers), None)
            return _Plan(
                anchor=f.sentence,
                killed=_group_at(figs, f),
                admin1=main.admin1,
                sentences={f.sentence},
                title_near=None,
                losses_of=named[0]["actor_id"],
                losses_by=by,
            )
    return None


def _first_violent_sentence(ent: ArticleEntities) -> int:
    if is_violent_text(ent["title"]):
        return -1
    for i in range(len(ent["sentences"])):
        if is_violent_text(_segment_text(ent, i)):
            return i
    return -1


# ---------------------------------------------------------------- building


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


def _date(ent: ArticleEntities, sentences: Sequence[int]) -> EventDate:
    try:
        parse_published(ent["published_at"])
    except StageError:
        return EventDate(value=None, precision="unknown")
    order = [i for i in sentences if i >= 0]
    order += [i for i in range(min(len(ent["sentences"]), DATE_LEAD_SENTENCES)) if i not in order]
    texts = [_segment_text(ent, i) for i in order]
    texts.insert(min(1, len(texts)), ent["title"])
    # sentences about earlier events ("On July 1, the US said it had ...") date those events
    texts = [t for t in texts if not _EARLIER.search(t) and not _OTHER_TIME.match(t)]
    return resolve_date(texts, ent["published_at"])


def _check(entities: ArticleEntities) -> None:
    if not isinstance(entities, dict):
        raise StageError("assemble_events needs an ArticleEntities dict")
    missing = [k for k in _REQUIRED if k not in entities]
    if missing:
        raise StageError(f"article entities lack {', '.join(missing)}")
    if not isinstance(entities["text"], str) or not isinstance(entities["title"], str):
        raise StageError("article title and text must be strings")


def assemble_events(entities: ArticleEntities) -> list[EnrichedEvent]:
    """The events an article reports, with counted casualties, actors, place, type and date."""
    _check(entities)
    ent = entities
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    plans = _plan(ent, figs)
    has_violence = any(p.killed or p.injured for p in plans) or is_violent_text(
        ent["title"] + " " + ent["text"]
    )
    source = SourceRef(
        article_id=ent["id"], source=ent["source"], url=ent.get("url"), published_at=ent["published_at"]
    )
    events: list[EnrichedEvent] = []
    index = 0
    while index < len(plans):
        plan = plans[index]
        anchor_texts = [_segment_text(ent, plan.anchor)]
        if plan.anchor >= 0:
            anchor_texts.append(ent["title"])
        anchor_texts.append(ent["text"])
        etype, violent = classify(anchor_texts, long_text_from=len(anchor_texts) - 1)
        if not has_violence:
            violent = False
            etype = etype if etype in ("statement", "threat", "ceasefire") else "statement"
        else:
            violent = True
            if etype in ("statement", "threat", "ceasefire", "unknown"):
                etype = "attack"
        anchors = set(plan.sentences)
        perp: str | None
        co: list[str]
        perp_mentions: list[ActorMention]
        if plan.losses_of is not None:
            perp, co, perp_mentions = plan.losses_by, [], []
        elif violent:
            starts = [(f.sentence, f.start) for f in plan.killed]
            perp, co, perp_mentions = _perpetrators(ent, anchors, _victim_spans(figs), starts, plan.others)
        else:
            perp, co, perp_mentions = None, [], []
        targets = _role_ids(ent, "target", plan.sentences) if violent else []
        if ATTACKER_LOSSES and index == 0 and violent and perp is not None and plan.killed:
            losses = _attacker_losses(ent, figs, plan, [perp, *co], targets)
            if losses is not None:
                plans.append(losses)
        near = plan.killed[0].start if plan.killed else None
        place = _event_place(ent, plan.anchor, plan.admin1, near, plan.title_near) if ent["places"] else None
        killed = _total(plan.killed) if violent else None
        injured = _total(plan.injured) if violent else None
        displaced = _total(plan.displaced) if violent else None
        kidnapped = _total(plan.kidnapped) if violent else None
        evidence: list[Evidence] = []
        evidence += _evidence("killed", plan.killed if violent else [])
        evidence += _evidence("injured", plan.injured if violent else [])
        evidence += _evidence("displaced", plan.displaced if violent else [])
        evidence += _evidence("kidnapped", plan.kidnapped if violent else [])
        for m in perp_mentions:
            evidence.append(
                Evidence(
                    field="perpetrator",
                    text=_segment_text(ent, m["sentence"]),
                    start=m["start"],
                    end=m["end"],
                    sentence=m["sentence"],
                )
            )
        if place is not None:
            evidence.append(
                Evidence(
                    field="location",
                    text=_segment_text(ent, place["sentence"]),
                    start=place["start"],
                    end=place["end"],
                    sentence=place["sentence"],
                )
            )
        used = [*plan.killed, *plan.injured]
        confidence = min(f.confidence for f in used) if used else (0.5 if violent else 0.6)
        if perp is None and violent:
            confidence *= 0.9
        if place is None:
            confidence *= 0.9
        date_sentences = sorted(s for s in plan.sentences if s >= 0)
        events.append(
            EnrichedEvent(
                schema_version=SCHEMA_VERSION,
                event_id=event_id(ent["content_hash"], index),
                version=EVENT_VERSION,
                type=etype,
                violent=violent,
                perpetrator=perp,
                co_perpetrators=co,
                targets=[plan.losses_of] if plan.losses_of else targets,
                speakers=_role_ids(ent, "speaker", None),
                location=_location(place),
                date=_date(ent, date_sentences),
                killed=killed,
                injured=injured,
                displaced=displaced,
                kidnapped=kidnapped,
                victims=_event_victims(plan, figs),
                evidence=evidence,
                confidence=round(confidence, 2),
                article_id=ent["id"],
                sources=[source],
            )
        )
        index += 1
    return events
