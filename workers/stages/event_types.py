"""Event type from trigger words (``workers/data/event_types.jsonl``).

Each type has a priority: when one sentence names several means ("a suicide
bomber ... explosion ... air strikes"), the most specific one (lowest priority
number) wins. Non-violent types (statement, threat, ceasefire) are chosen only
when no violent trigger is present.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workers.stages.errors import StageError

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "event_types.jsonl"


@dataclass(frozen=True)
class EventType:
    name: str
    violent: bool
    priority: int
    pattern: re.Pattern[str]


@functools.cache
def event_types() -> tuple[EventType, ...]:
    """The trigger table, loaded once per process, most specific first."""
    try:
        lines = DATA_FILE.read_text(encoding="utf-8").splitlines()
    except OSError as exc:  # pragma: no cover - packaging error
        raise StageError(f"cannot read event types {DATA_FILE}: {exc}") from exc
    out: list[EventType] = []
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        pat = re.compile(r"\b(?:" + "|".join(row["patterns"]) + r")\b", re.I)
        out.append(EventType(row["type"], bool(row["violent"]), int(row["priority"]), pat))
    out.sort(key=lambda t: t.priority)
    return tuple(out)


def match_types(text: str) -> list[EventType]:
    """Every type whose trigger occurs in ``text``, most specific first."""
    return [t for t in event_types() if t.pattern.search(text)]


def _most_mentioned(types: list[EventType], text: str) -> EventType:
    """The type whose triggers occur most often in ``text`` (ties: the more specific type)."""
    return min(types, key=lambda t: (-len(t.pattern.findall(text)), t.priority))


def classify(texts: Iterable[str], *, long_text_from: int = 2) -> tuple[str, bool]:
    """The event type read from ``texts`` in order of preference.

    The first text naming a specific means (air strike, shelling, ...) decides; a text
    with only a generic one ("killed", "attack") gives "attack" when no later text is
    more specific; with no violent trigger at all, the first non-violent trigger decides;
    ``("unknown", True)`` when nothing matches. Within a short text (the figure's sentence,
    the title) the most specific means wins; from the ``long_text_from``-th text on (the
    whole article) the means mentioned most often wins, because one passing word (what
    witnesses heard, "explosions"; a loose "raid") should not outweigh the article's account.
    """
    fallback: tuple[str, bool] | None = None
    generic = False
    for position, text in enumerate(texts):
        # the specific means first: when one is named, the other triggers need no search
        specific = [t for t in _specific_types() if t.pattern.search(text)]
        if specific:
            chosen = _most_mentioned(specific, text) if position >= long_text_from else specific[0]
            return chosen.name, True
        found = [t for t in _other_types() if t.pattern.search(text)]
        if any(t.violent for t in found):
            generic = True
        elif found and fallback is None:
            fallback = (found[0].name, False)
    if generic:
        return "attack", True
    return fallback if fallback is not None else ("unknown", True)


@functools.cache
def _specific_types() -> tuple[EventType, ...]:
    """The violent types but the generic "attack", most specific first."""
    return tuple(t for t in event_types() if t.violent and t.name != "attack")


@functools.cache
def _other_types() -> tuple[EventType, ...]:
    """ "attack" and the non-violent types, most specific first."""
    return tuple(t for t in event_types() if not (t.violent and t.name != "attack"))


# the ways a death is told without "killed" (wad-01384, 04357, 05970, 07001, 07073)
_DEATH = re.compile(
    r"\b(?:kill(?:ed|ing|s)?|dead|died|wounded|injured|murder(?:ed|s)?|slain|assassinated"
    r"|stabbed|gunned down|lynched|strangled|perished|fatally"
    r"|(?:beaten|hacked|burned|burnt|stoned|tortured) (?:to death|alive))\b",
    re.I,
)


def is_violent_text(text: str) -> bool:
    """True when ``text`` names a violent act (a trigger of a violent type); the types are
    searched until one is found."""
    return any(t.pattern.search(text) for t in _specific_types()) or bool(_DEATH.search(text))


VIOLATIONS_FILE = DATA_FILE.parent / "violation_words.json"


@functools.cache
def _violation_words() -> re.Pattern[str]:
    """Arrest, detention, abduction, disappearance (``violation_words.json``), loaded once."""
    try:
        patterns = json.loads(VIOLATIONS_FILE.read_text(encoding="utf-8"))["patterns"]
    except (OSError, ValueError, KeyError) as exc:  # pragma: no cover - packaging error
        raise StageError(f"cannot read violation words {VIOLATIONS_FILE}: {exc}") from exc
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.I)


def is_violation_text(text: str) -> bool:
    """True when ``text`` tells of a violation against a person: a violent act
    (:func:`is_violent_text`) or an arrest, detention, abduction or disappearance."""
    return is_violent_text(text) or bool(_violation_words().search(text))
