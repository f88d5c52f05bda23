"""Who did it: the perpetrator and co-perpetrators of an event, and the targets and speakers.

In: :class:`~workers.types.ArticleEntities` (actor mentions with their role from the parse),
the event's sentences and the figures' victim spans. Out: actor ids.

Actor mentions with the perpetrator role (state forces and armed groups; "terrorists" or
"gunmen" name no one) are weighed by closeness to the toll; groups named as the victims
("kills 30 Nusra fighters") are excluded; mentions the parse left unroled count when the
words around make them the doer ("carried out by Russian planes", "claimed responsibility",
"accused rebels of using ...").
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from workers.stages.casualties import CasualtyFigure
from workers.stages.errors import StageError
from workers.stages.patterns import pattern
from workers.types import ActorMention, ArticleEntities

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "event_rules.json"
LEAD_SENTENCES = 2  # sentences 0..2 open the report and usually tell the main event
FAR_PERPETRATOR_DISTANCE = 3
FAR_PERPETRATOR_WEIGHT = 0.5
_VICTIM_NP_END = pattern("events.victim_np_end")


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


def victim_spans(figs: Sequence[CasualtyFigure]) -> list[tuple[int, int, int]]:
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


def in_spans(m: ActorMention, spans: Sequence[tuple[int, int, int]]) -> bool:
    return any(m["sentence"] == s and a <= m["start"] < b for s, a, b in spans)


def perpetrators(
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
        if key is None or m["sentence"] in others or in_spans(m, victims) or _counted(ent, m):
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


def role_ids(ent: ArticleEntities, role: str, sentences: set[int] | None) -> list[str]:
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
