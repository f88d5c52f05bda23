"""Where an event happened: the place named nearest its figure, weighed over the article.

In: :class:`~workers.types.ArticleEntities` (place mentions with admin1 and country), the
event's anchor sentence and the offset of its figure. Out: the chosen
:class:`~workers.types.PlaceMention` (or None).

Mentions in the event's sentence weigh most (the one right after the figure most of all),
then the title, then the neighbouring sentences, then the rest of the article. Places
outside the article's dominant country count only when nothing else is named. Places inside
the words naming the victims ("98 evacuees from the towns of Fuaa and Kafraya"), places
people left or were heading for, and metonyms ("despite Damascus promises") do not place
the event.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from workers.gazetteer.places import resolve_place
from workers.stages.event_text import segment_text
from workers.stages.event_types import is_violent_text
from workers.stages.patterns import pattern
from workers.types import ArticleEntities, PlaceMention


def best_place(places: Sequence[PlaceMention]) -> PlaceMention | None:
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


def origin_or_destination(ent: ArticleEntities, p: PlaceMention) -> bool:
    """Whether the place is where people came from or were going, not where they were hit."""
    seg = ent["title"] if p["sentence"] < 0 else ent["text"]
    before = seg[max(0, p["start"] - 120) : p["start"]]
    return bool(_LEFT_FROM.search(before) or _HEADED_TO.search(before))


# "5 km north of Beni", "a town south of Baghdad", "60 kilometres from the Malian border": the
# place after a bearing or a distance is a landmark the event is measured from, not where it
# was (WAD wad-00923, wad-05050, wad-06107, wad-01126, wad-00251)
_BEARING_BEFORE = re.compile(
    r"\b(?:(?:north|south|east|west)(?:-?(?:east|west))?(?:ern)?|km|kilomet(?:re|er)s|miles)"
    r"(?:\s*\([^)]{0,30}\))?\s+(?:of|from)\s+(?:the\s+)?(?:[a-z]+\s+){0,2}$",
    re.IGNORECASE,
)
# "near the border with Cameroon", "Moyale, bordering Kenya", "the Pakistan-Iran border": a
# neighbour named to say where the event was not (WAD wad-07362, wad-06654, wad-05045,
# wad-06401, wad-06983)
_BORDER_BEFORE = re.compile(
    r"\b(?:borders?|frontier)\s+(?:with|of)\s+(?:the\s+)?$|\bbordering\s+$", re.IGNORECASE
)
_BORDER_AFTER = re.compile(r"^\s*(?:border|frontier)\b")


def _segment_of(ent: ArticleEntities, p: PlaceMention) -> str:
    return ent["title"] if p["sentence"] < 0 else ent["text"]


def landmark(ent: ArticleEntities, p: PlaceMention) -> bool:
    """Whether the place is a landmark the event is measured from ("north of Baghdad")."""
    seg = _segment_of(ent, p)
    return bool(_BEARING_BEFORE.search(seg[max(0, p["start"] - 60) : p["start"]]))


def neighbour(ent: ArticleEntities, p: PlaceMention) -> bool:
    """Whether the place is named as the other side of a border ("near the border with Chad")."""
    seg = _segment_of(ent, p)
    before = seg[max(0, p["start"] - 40) : p["start"]]
    return bool(_BORDER_BEFORE.search(before) or _BORDER_AFTER.match(seg[p["end"] : p["end"] + 30]))


def aside(ent: ArticleEntities, p: PlaceMention) -> bool:
    """A place that does not place the event when another one does: where people came from
    or were going, a landmark the event is measured from, the far side of a border."""
    return origin_or_destination(ent, p) or landmark(ent, p) or neighbour(ent, p)


def metonym(ent: ArticleEntities, p: PlaceMention) -> bool:
    seg = ent["title"] if p["sentence"] < 0 else ent["text"]
    return bool(_METONYM_AFTER.match(seg[p["end"] : p["end"] + 30].lstrip()))


# Where the report comes from rather than where its event was: a court that tries the case
# ("a federal court in Manhattan", "a court in Beijing" under a photo) and a dateline
# ("ISLAMABAD: ...", "ADEN, Yemen, March 7 (Xinhua) --"). HRD hrd-train-963411494 (Henan, not the
# Beijing court), hrd-dev-978874856 (Yangon, not the Naypyidaw prison court), hrd-train-901785239
# (Peshawar, not the Islamabad dateline), hrd-train-1032519743 (Hadramout, not Aden); worse:
# hrd-train-948876109 (the Karachi court was where the fire was).
_COURT_BEFORE = re.compile(
    r"\b(?<!pre-)(?:courts?|trial|tribunal|hearing|courthouse|jury|judge)\b(?:\s+[\w.-]+){0,3}?"
    r"\s+(?:in|of|at)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_COURT_AFTER = re.compile(r"^(?:'s)?\s+(?:[A-Z][\w.-]*\s+){0,2}(?:[Cc]ourt|[Tt]ribunal|jury)\b")
_DATELINE_AFTER = re.compile(
    r"^(?:,\s*[A-Z][\w .'-]{1,30})?(?:,\s*[A-Z][a-z]{2,8}\.? \d{1,2})?"  # ", Yemen, March 7"
    r"\s*(?:\([^)]{1,40}\)\s*)?(?::|--|—|–|-\s)"  # "(Xinhua) --"
)


def court(ent: ArticleEntities, p: PlaceMention) -> bool:
    """Whether the place is where a court sits ("a federal court in Manhattan", "Ontario Superior Court")."""
    seg = _segment_of(ent, p)
    return bool(
        _COURT_BEFORE.search(seg[max(0, p["start"] - 60) : p["start"]])
        or _COURT_AFTER.match(seg[p["end"] : p["end"] + 40])
    )


def dateline(ent: ArticleEntities, p: PlaceMention) -> bool:
    """Whether the place opens the text as its dateline ("ADEN, Yemen, March 7 (Xinhua) --")."""
    if p["sentence"] != 0 or p["start"] > 3:
        return False
    return bool(_DATELINE_AFTER.match(ent["text"][p["end"] : p["end"] + 60]))


LEAD_SENTENCES = 3  # the title and the first sentences say where a report is set


def dominant_country(ent: ArticleEntities) -> str | None:
    """The country most named, the title and lead counting double (first named wins a tie)."""
    counts: defaultdict[str, float] = defaultdict(float)
    for p in ent["places"]:
        if p["country"] and not neighbour(ent, p):
            counts[p["country"]] += 2.0 if p["sentence"] < LEAD_SENTENCES else 1.0
    return max(counts, key=lambda cc: counts[cc]) if counts else None


# "Ohio-based missionaries": a place that qualifies someone, not where the story is set
_BASED_AFTER = re.compile(r"^-?\s?based\b", re.IGNORECASE)
TITLE = range(-1, 0)  # the title is sentence -1


def _countries_acting(ent: ArticleEntities, sentences: range, short: bool = False) -> set[str]:
    """Countries named as actors by their name in the given sentences ("Qatar has shut down
    ..."; -1 is the title); ``short``: those named by an abbreviation ("US", "UK") instead."""
    out: set[str] = set()
    for a in ent["actors"]:
        if a["sentence"] in sentences and a["actor_id"] and any(ch.islower() for ch in a["text"]) != short:
            entry = resolve_place(a["text"])
            if entry is not None and entry.kind == "country" and entry.country:
                out.add(entry.country)
    return out


def title_country(ent: ArticleEntities) -> str | None:
    """The one country the title names, as a place or as an actor called by the country's name
    ("Russia clamps down on ...", "Qatar shuts down ..."), or None when it names none or several.

    The lead (first sentences) must name it too, as a place or an actor. The title says where a
    report is set better than the count of mentions, which a long report drifts away from: HRD
    hrd-train-1031999968, -1033783053, -1029456652, -1041812723, -1010396518, -1033719583,
    -1033522942, -874653122, -888025012, -1012349080, -1041894477."""
    title = ent["title"]
    named = {
        p["country"]
        for p in ent["places"]
        if p["sentence"] < 0
        and p["country"]
        and not neighbour(ent, p)
        and not _BASED_AFTER.match(title[p["end"] : p["end"] + 8])
    }
    named |= _countries_acting(ent, TITLE)
    # the lead must name it too: a name only the title reads as a country ("murder in Benin",
    # the Nigerian city) does not outweigh what the report says
    told = {p["country"] for p in ent["places"] if 0 <= p["sentence"] < LEAD_SENTENCES and p["country"]}
    told |= _countries_acting(ent, range(LEAD_SENTENCES))
    # "US", "UK" mostly qualify a noun ("US journalist"): not the scene, but a second country
    # named ("US sanctions four Iranians") leaves the title undecided
    if not named or len(named | _countries_acting(ent, TITLE, short=True)) > 1:
        return None
    country = named.pop()
    return country if country in told else None


def killing_country(
    ent: ArticleEntities, anchor: int, near: int | None, places: Sequence[PlaceMention]
) -> str | None:
    """The one country named after the toll in the sentence that tells of a killing, or None.

    A report set elsewhere (a trial in Paris, a flogging ban in Saudi Arabia, a column on
    Guantanamo) whose toll is of a killing abroad ("20,000 people were killed in the massacre
    in Hama", "murdered at Saudi's consulate in Istanbul, Turkey", "the killing of 14
    civilians ... in Baghdad") is placed where the killing was, not where the report is set
    (HRD hrd-train-893797516, -920145211, -972955560). The sentence must tell of a killing:
    a toll of bodies "discovered ... near London" in a report from Greece does not move it.
    Without a toll (no ``near``) a violent sentence abroad is too often an aside: not used.
    """
    if near is None or not is_violent_text(segment_text(ent, anchor)):
        return None
    here = {
        p["country"]
        for p in places
        if p["sentence"] == anchor and p["country"] and p["start"] >= near and not aside(ent, p)
    }
    return here.pop() if len(here) == 1 else None


def _in_anchor(
    ent: ArticleEntities, anchor: int, near: int, in_anchor: list[PlaceMention]
) -> tuple[PlaceMention | None, list[PlaceMention], int | None]:
    """In the event's sentence: the place nearest after the figure (else the last before it),
    the places that only say where the victims came from, and where the figure's clause ends.

    "killed 13 civilians ... in the province of Aleppo": places after the figure are usually
    where it happened; places before it are often a dateline or caption."""
    seg = segment_text(ent, anchor)
    offset = ent["sentences"][anchor]["start"] if anchor >= 0 else 0
    cut = _CLAUSE_AFTER.search(seg, max(0, near - offset))
    limit = offset + cut.start() if cut else None
    seg_text = ent["title"] if anchor < 0 else ent["text"]
    origins: list[PlaceMention] = []
    for p in sorted(in_anchor, key=lambda p: p["start"]):
        if p["start"] < near:
            continue
        if _VICTIMS_FROM.match(seg_text[near : p["start"]]) or (
            origins
            and re.fullmatch(r"\s*(?:,|and|or|&)\s*(?:the\s+)?", seg_text[origins[-1]["end"] : p["start"]])
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
    if any(not aside(ent, p) for p in after + before):
        # "in Moqdadiyah, northeast of Baghdad": the landmark is not the event's place
        after = [p for p in after if not aside(ent, p)]
        before = [p for p in before if not aside(ent, p)]
    closest: PlaceMention | None = None
    if after:
        closest = min(after, key=lambda p: p["start"])
    elif before:
        closest = max(before, key=lambda p: p["start"])
    return closest, origins, limit


# the weight of each place the lead names when the event's sentence has no toll (see _weights)
UNTOLD_LEAD_WEIGHT = 2.0


def _weights(
    ent: ArticleEntities,
    anchor: int,
    pool: list[PlaceMention],
    origins: list[PlaceMention],
    limit: int | None,
    untold: bool = False,
) -> defaultdict[str, float]:
    """Weight of each admin1 by where its mentions sit relative to the event's sentence.

    ``untold``: the event's sentence carries no toll, it is only the first violent one; when it
    lies past the lead, the places the lead names weigh as well: a report of an arrest or a
    detention (no violent words) tells its event in the lead and reaches a killing only later
    ("arrested by cops in New York ... covering protests over the killing in Minnesota"):
    HRD hrd-train-926797406, -952472019 (divisions), -942080412, -981031310, -950563395 (cities)."""
    weights: defaultdict[str, float] = defaultdict(float)
    far: defaultdict[str, float] = defaultdict(float)
    # the event's sentence and the title when they name a place that is no landmark, origin or neighbour
    located = {
        p["sentence"]
        for p in pool
        if p["sentence"] in (anchor, -1) and not any(p is o for o in origins) and not aside(ent, p)
    }
    for p in pool:
        adm = p["admin1"] or ""
        if (
            any(p is o for o in origins)
            or origin_or_destination(ent, p)
            or neighbour(ent, p)
            or court(ent, p)
        ):
            continue
        if p["sentence"] in located and landmark(ent, p):
            # a landmark beside a place that says where the event was; further off, "the village
            # is 10 km northwest of Manbij" still tells the region (FA-KES fakes-0754), and
            # alone, "a transit point west of Aleppo" is the best there is
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
    for p in pool:
        if dateline(ent, p) and p["admin1"] in weights:
            # a dateline is often the event's town too: it only loses a tie
            weights[p["admin1"] or ""] -= 0.01
    if untold and anchor >= LEAD_SENTENCES:
        for p in pool:
            if 0 <= p["sentence"] < LEAD_SENTENCES and not aside(ent, p) and not any(p is o for o in origins):
                weights[p["admin1"] or ""] += UNTOLD_LEAD_WEIGHT
    return weights


def event_place(
    ent: ArticleEntities,
    anchor: int,
    admin1: str | None,
    near: int | None = None,
    title_near: int | None = None,
) -> PlaceMention | None:
    """The event's place: the governorate named nearest the event, weighed over the article.

    Mentions in the event's sentence weigh most (the one closest to the figure most of
    all), then the title, then the neighbouring sentences, then the rest of the article.
    Places outside the article's main country count only when nothing else is named; the
    main country is the one of a killing the event's sentence tells of after its toll, else
    the title's, else the one most named.
    """
    named = [p for p in ent["places"] if admin1 is None or p["admin1"] == admin1]
    places = [p for p in named if not metonym(ent, p)]
    if not places:
        # "Bolivian authorities said ...", "Venezuela's government said": a country named only as
        # an agent still says in which country the event was, when nothing else does
        # (WAD wad-04851, wad-06090, wad-06046)
        countries = [p for p in named if p["admin1"] is None and p["country"]]
        return countries[0] if countries else None
    country = killing_country(ent, anchor, near, places) or title_country(ent) or dominant_country(ent)
    home = [p for p in places if p["country"] == country] if country else places
    pool = [p for p in (home or places) if p["admin1"]]
    if not pool:
        return best_place(home or places)
    closest: PlaceMention | None = None
    in_anchor = [p for p in pool if p["sentence"] == anchor]
    origins: list[PlaceMention] = []
    limit: int | None = None
    if in_anchor and near is not None:
        closest, origins, limit = _in_anchor(ent, anchor, near, in_anchor)
    weights = _weights(ent, anchor, pool, origins, limit, untold=near is None)
    if closest is not None:
        weights[closest["admin1"] or ""] += 2.0
    in_title = [p for p in pool if p["sentence"] == -1]
    if in_title and title_near is not None and anchor != -1:
        nearest = min(in_title, key=lambda p: abs(p["start"] - title_near))
        weights[nearest["admin1"] or ""] += 1.5
    if not weights:
        # every place named is where people came from or were heading: as with metonyms,
        # they place the event only when nothing else is named
        return best_place(pool)
    order = {p["admin1"]: i for i, p in reversed(list(enumerate(pool)))}
    best = sorted(weights, key=lambda k: (-weights[k], order.get(k, 0)))[0]
    chosen = [p for p in pool if p["admin1"] == best]
    if closest is not None and closest["admin1"] == best:
        return closest
    for idx in [anchor, -1]:
        here = [p for p in chosen if p["sentence"] == idx]
        if here:
            return best_place(here)
    return best_place(chosen)


def main_admin1(
    ent: ArticleEntities, anchor: int, near: int | None = None, title_near: int | None = None
) -> str | None:
    place = event_place(ent, anchor, None, near, title_near)
    return place["admin1"] if place else None
