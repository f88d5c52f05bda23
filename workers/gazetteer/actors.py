"""Actor gazetteer: canonical actors and the many ways news text names them.

In: ``workers/data/actors.jsonl`` (one actor per line, read once on first use).
Out: :class:`ActorEntry` values; :func:`resolve_actor` maps a surface string
("Hay’et Tahrir al-Sham", "regime forces", "the Kremlin") to its entry.

Matching is insensitive to case, typographic vs straight apostrophes, hyphens vs
spaces, quotes, a leading "the" and a trailing possessive. Three kinds of names
are kept apart in the data, because they only denote the actor in context:

* ``aliases``   always name the actor ("Russia", "regime forces");
* ``demonyms``  name it only as a modifier of a force or attack noun
  ("Russian jets", "government shelling"), never on their own ("Syrian children");
* ``metonyms``  are places that act as the actor only as the subject of a verb
  ("Damascus says ...", "Moscow accused ...").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, cast

from rapidfuzz import fuzz, process

from workers.types import ActorKind

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ACTORS_FILE = DATA_DIR / "actors.jsonl"

KINDS: frozenset[str] = frozenset({"state_force", "armed_group", "civilian", "monitor", "other"})
CATEGORIES: frozenset[str] = frozenset(
    {
        "syrian government or russian troops",
        "international coalition forces",
        "the organization of the islamic state in iraq and the levant - isis",
        "armed opposition groups",
        "self administration forces",
        "al-nusra front",
    }
)

NameForm = Literal["alias", "demonym", "metonym"]


@dataclass(frozen=True)
class ActorEntry:
    id: str
    name: str
    kind: ActorKind
    category: str | None  # FA-KES perpetrator category, None when it maps to none
    aliases: tuple[str, ...]
    demonyms: tuple[str, ...] = ()
    metonyms: tuple[str, ...] = ()


_APOSTROPHES = re.compile(r"[’‘`´ʼʻʿʾ′]")
_QUOTES = re.compile(r"[\"“”«»„]")
_NON_WORD = re.compile(r"[^\w'./]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, no diacritics, one kind of apostrophe: the common base of all keys."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("'", text)
    return _QUOTES.sub(" ", text).lower()


def normalize_key(text: str) -> str:
    """The lookup key of an actor name: see the module docstring for what it ignores."""
    key = fold(text)
    key = key.replace("'s ", " ").removesuffix("'s").removesuffix("'")
    key = key.replace("'", "").replace(".", "")
    key = _NON_WORD.sub(" ", key.replace("-", " ").replace("/", " "))
    key = _SPACES.sub(" ", key).strip()
    return key.removeprefix("the ").strip()


def is_acronym(alias: str) -> bool:
    """Upper-case short forms ("US", "IS", "HTS", "U.S.") must match with their case."""
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and len(letters) <= 6


def surface_variants(alias: str, *, possessive: bool = True) -> set[str]:
    """Spellings of one alias as it may appear in text: apostrophe and hyphen forms.

    The phrase matcher tokenizes each variant, so "Hay’et" and "Hay'et" (which the
    tokenizer may split differently) both get a pattern of their own.
    """
    base = _APOSTROPHES.sub("'", alias)
    forms = {base}
    if "'" in base:
        forms |= {base.replace("'", "’"), base.replace("'s ", "s ").replace("'", "")}
    if "-" in base:
        forms |= {f.replace("-", " ") for f in list(forms)}
    # "Aleppos", "Assads forces": possessives whose apostrophe was lost upstream
    if possessive and " " not in base and len(base) >= 4 and base[:1].isupper() and not is_acronym(base):
        forms.add(base + "s")
    return {f for f in forms if f.strip()}


def _entry(raw: Mapping[str, object], line: int) -> ActorEntry:
    try:
        ident = str(raw["id"])
        name = str(raw["name"])
        kind = str(raw["kind"])
        category = raw.get("category")
        if category is not None and not isinstance(category, str):
            raise TypeError("category must be a string or null")
        aliases = tuple(str(a) for a in cast("list[object]", raw["aliases"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{ACTORS_FILE.name}:{line}: missing or malformed field ({exc})") from exc
    if kind not in KINDS:
        raise ValueError(f"{ACTORS_FILE.name}:{line}: unknown kind {kind!r}")
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"{ACTORS_FILE.name}:{line}: unknown category {category!r}")
    demonyms = tuple(str(a) for a in cast("list[object]", raw.get("demonyms", [])))
    metonyms = tuple(str(a) for a in cast("list[object]", raw.get("metonyms", [])))
    return ActorEntry(
        id=ident,
        name=name,
        kind=cast("ActorKind", kind),
        category=category,
        aliases=(name, *aliases),
        demonyms=demonyms,
        metonyms=metonyms,
    )


@cache
def all_actors() -> Mapping[str, ActorEntry]:
    """Every actor of the gazetteer by id (loaded once)."""
    entries: dict[str, ActorEntry] = {}
    with ACTORS_FILE.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            entry = _entry(json.loads(line), number)
            if entry.id in entries:
                raise ValueError(f"{ACTORS_FILE.name}:{number}: duplicate id {entry.id}")
            entries[entry.id] = entry
    return entries


@cache
def _index() -> dict[NameForm, dict[str, str]]:
    """key -> actor id, per name form; the first actor listing a key keeps it."""
    index: dict[NameForm, dict[str, str]] = {"alias": {}, "demonym": {}, "metonym": {}}
    for entry in all_actors().values():
        for form, names in (
            ("alias", entry.aliases),
            ("demonym", entry.demonyms),
            ("metonym", entry.metonyms),
        ):
            for name in names:
                index[cast("NameForm", form)].setdefault(normalize_key(name), entry.id)
    return index


@cache
def _fuzzy_choices() -> tuple[str, ...]:
    return tuple(k for k in _index()["alias"] if len(k) >= 8)


def actor(actor_id: str) -> ActorEntry:
    """The entry of a known id; KeyError for an unknown one."""
    return all_actors()[actor_id]


def category_of(actor_id: str | None) -> str | None:
    """FA-KES perpetrator category of an actor id (None: unknown id or no category)."""
    if actor_id is None:
        return None
    entry = all_actors().get(actor_id)
    return entry.category if entry else None


@cache
def resolve_actor(
    text: str, *, forms: tuple[NameForm, ...] = ("alias",), fuzzy: bool = True
) -> ActorEntry | None:
    """The actor a surface string names, or None.

    ``forms`` says which name lists count (aliases only by default; add "demonym"
    or "metonym" when the context allows them). ``fuzzy`` also accepts a close
    spelling (rapidfuzz ratio >= 92) of an alias of at least 8 characters.
    """
    key = normalize_key(text)
    if not key:
        return None
    index = _index()
    for form in forms:
        hit = index[form].get(key)
        if hit is not None:
            return all_actors()[hit]
    if fuzzy and len(key) >= 8:
        best = process.extractOne(key, _fuzzy_choices(), scorer=fuzz.ratio, score_cutoff=92)
        if best is not None:
            return all_actors()[index["alias"][best[0]]]
    return None
