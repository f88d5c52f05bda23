"""Casualty figures read from an article: the candidates the figure selector chooses from.

In: the article text, its sentence offsets and its title. Out: ``CasualtyFigure`` values in
reading order. ``find_figures`` scans the title and every sentence for numbers (digits,
number words, vague quantities such as "dozens", "a child", and a victim told without a
number: "the mayor was shot dead") and decides for each one

* its category, from a cue verb or noun next to it ("killed 6", "6 were wounded", "the
  death toll rose to 15");
* its bounds, from the qualifier before it ("at least 40" -> low 40, high None; "nearly
  40" -> high 40), per the convention in ``corpus/seeds/gold.json``;
* whether it counts as a casualty of the reported event at all: war totals, populations,
  cumulative displacement, money, distances, percentages, ages, years, counts of strikes
  or buildings and figures above a ceiling are kept but marked ``background``; numbers
  written with an exponent are not read at all;
* whether it is a part of another figure ("including 10 children") or a distinct group
  coordinated with a neighbour ("two men from X and three men from Y").

Work is bounded (``MAX_FIGURES_PER_SENTENCE``, ``MAX_FIGURES_PER_ARTICLE``,
``MAX_SENTENCE_CHARS``). The cue words live in ``workers/data/casualty_terms.jsonl`` and
the patterns in ``workers/data/patterns.jsonl`` (each with the dev articles it helps);
this module holds only the rules that combine them.
"""

from __future__ import annotations

import calendar
import functools
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from text_to_num import text2num

from workers.stages.errors import StageError
from workers.stages.patterns import pattern
from workers.types import Sentence, VictimKind

Category = Literal["killed", "injured", "displaced", "kidnapped", "missing"]
Bound = Literal["low", "high", "approx", "exact"]

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "casualty_terms.jsonl"

CATEGORIES: tuple[Category, ...] = ("killed", "injured", "displaced", "kidnapped", "missing")

# Bounded work: news sentences on the dev sets hold at most 8 numbers and articles 39, so
# reading 16 per sentence and 100 per article loses nothing and keeps a hostile body of
# 10,000 numbers to a few milliseconds (benchmarks/casualties_bound.py measures it).
MAX_FIGURES_PER_SENTENCE = 16
MAX_FIGURES_PER_ARTICLE = 100
MAX_SENTENCE_CHARS = 3000  # a longer "sentence" is read up to here
# a figure above this is no count of people (the world's wars do not kill ten million in one
# report); the worker passes CONFLICTWIRE_MAX_FIGURE
DEFAULT_MAX_FIGURE = 10_000_000


@dataclass(frozen=True)
class CasualtyFigure:
    """One number read as a count of victims (or rejected as background)."""

    category: Category
    low: int | None
    high: int | None
    approx: bool
    vague: bool  # "dozens", "hundreds": a floor, not a count
    victims: VictimKind
    sentence: int  # index into the article's sentences; -1 = the title
    start: int  # char span of the figure in the article text (or the title when sentence == -1)
    end: int
    sentence_text: str
    confidence: float
    background: bool = False
    background_reason: str | None = None
    subset: bool = False  # "including 10 children", "among them": part of another figure
    coordinated: bool = False  # "two men from X and three men from Y": add to its neighbour
    context: bool = False  # the sentence tells of an earlier time ("last month", "had killed")
    surface: str = ""  # the figure as written, qualifier included
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def value(self) -> int:
        """The number used for totals: the low bound, else the high bound."""
        if self.low is not None:
            return self.low
        return self.high if self.high is not None else 0


# ---------------------------------------------------------------- terms


@dataclass(frozen=True)
class _Terms:
    qualifiers: tuple[tuple[str, Bound], ...]
    vague: dict[str, tuple[int, int | None]]
    before_cues: tuple[tuple[Category, re.Pattern[str]], ...]
    after_cues: tuple[tuple[Category, re.Pattern[str]], ...]
    victims: dict[str, VictimKind]
    units: dict[str, str]
    background: tuple[tuple[str, re.Pattern[str]], ...]
    qualifier_re: re.Pattern[str]
    number_re: re.Pattern[str]
    weak_determiners: frozenset[str] = frozenset()
    # whether any before (after) cue matches: one scan decides for most figures, which have none
    any_before_cue: re.Pattern[str] = re.compile(r"(?!)")
    any_after_cue: re.Pattern[str] = re.compile(r"(?!)")


_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ["hundred", "thousand", "million", "billion"]
# month names and abbreviations ("sept" too): a number next to one is a date, not a count
_MONTHS = [m.lower() for m in (*calendar.month_name[1:], *calendar.month_abbr[1:]) if m] + ["sept"]


def _load_terms(path: Path = DATA_FILE) -> _Terms:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:  # pragma: no cover - packaging error
        raise StageError(f"cannot read casualty terms {path}: {exc}") from exc
    qualifiers: list[tuple[str, Bound]] = []
    vague: dict[str, tuple[int, int | None]] = {}
    before: list[tuple[Category, re.Pattern[str]]] = []
    after: list[tuple[Category, re.Pattern[str]]] = []
    before_alt: list[str] = []
    after_alt: list[str] = []
    victims: dict[str, VictimKind] = {}
    units: dict[str, str] = {}
    background: list[tuple[str, re.Pattern[str]]] = []
    determiners: list[str] = []
    weak: set[str] = set()
    persons: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        kind = row["kind"]
        if kind == "qualifier":
            qualifiers.append((row["text"], row["bound"]))
        elif kind == "vague":
            vague[row["text"]] = (int(row["low"]), row["high"])
        elif kind == "cue":
            pat = row["pattern"]
            if row["position"] == "before":
                before.append((row["category"], re.compile(r"\b(?:" + pat + r")\s*$", re.I)))
                before_alt.append(pat)
            else:
                after.append((row["category"], re.compile(r"^(?:" + pat + r")\b", re.I)))
                after_alt.append(pat)
        elif kind == "victim":
            victims[row["text"]] = row["victims"]
        elif kind == "unit":
            units[row["text"]] = row["reason"]
        elif kind == "background":
            background.append((row["reason"], re.compile(row["pattern"], re.I)))
        elif kind == "one_determiner":
            determiners.append(row["text"])
            if row.get("weak"):
                weak.add(row["text"])
        elif kind == "one_person":
            persons.append(row["text"])
    qualifiers.sort(key=lambda q: -len(q[0]))
    qual_alt = "|".join(re.escape(q) for q, _ in qualifiers)
    qualifier_re = re.compile(r"(?:\b(?:" + qual_alt + r")\s+)+$", re.I)

    # "a child", "another fighter", "a local radio reporter": one person
    def one_of(words: list[str]) -> str:
        # an empty list matches nothing, so a data file without these words still loads
        return "|".join(re.escape(w) for w in words) or r"(?!)"

    # up to two words between ("a local radio reporter", "his 12-year-old daughter")
    person = r"(?=\s+(?:[\w'’-]+\s+){0,2}(?:" + one_of(persons) + r")"
    one_person = r"|(?P<article>\b(?:" + one_of(determiners) + r")\b)" + person + r"\b(?!-))"
    word = "|".join(_UNITS + _TENS + _SCALES)
    words_re = rf"(?:{word})(?:(?:\s+|-|\s+and\s+|\s+and\s+a\s+half\s+)(?:{word}))*"
    vague_alt = "|".join(re.escape(v) for v in sorted(vague, key=len, reverse=True))
    number_re = re.compile(
        r"(?P<vague>\b(?:" + vague_alt + r")\b)"
        r"|(?P<digits>(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\d])|(?<![\w.,])\d+(?:\.\d+)?(?![\d]))"
        r"(?P<scale>\s*(?:million|billion|bn|m)\b)?"
        r"|(?P<words>\b" + words_re + r"\b)" + one_person,
        re.I,
    )
    return _Terms(
        qualifiers=tuple(qualifiers),
        vague=vague,
        before_cues=tuple(before),
        after_cues=tuple(after),
        victims=victims,
        units=units,
        background=tuple(background),
        qualifier_re=qualifier_re,
        number_re=number_re,
        weak_determiners=frozenset(weak),
        # a pattern matches where one of its alternatives does (no cue pattern has a group
        # reference or an inline flag), so these match exactly when some cue's own pattern does
        any_before_cue=re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in before_alt) + r")\s*$", re.I)
        if before_alt
        else re.compile(r"(?!)"),
        any_after_cue=re.compile(r"^(?:" + "|".join(f"(?:{p})" for p in after_alt) + r")\b", re.I)
        if after_alt
        else re.compile(r"(?!)"),
    )


@functools.cache
def terms() -> _Terms:
    """The cue words, loaded once per process."""
    return _load_terms()


# ---------------------------------------------------------------- helpers

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d[\d,.]*|[()\[\]]")
_CLAUSE_BREAK = re.compile(r"[;:.!?]|\s-\s|\s–\s|\s—\s")
_SUBSET_BEFORE = pattern("casualties.subset_before")
_SUBSET_AFTER = pattern("casualties.subset_after")
_ATTACK_NOUN = pattern("casualties.attack_noun")
_ALSO_AFTER = pattern("casualties.also_after")
_CONTEXT = pattern("casualties.context")
_ONE_KILLED = pattern("casualties.one_killed")
_STOP_NP = {
    "said",
    "says",
    "say",
    "told",
    "when",
    "after",
    "before",
    "while",
    "since",
    "because",
    "but",
    "according",
    "reported",
    "if",
    "than",
    "who",
    "whom",
    "which",
    "where",
    "as",
}
_YEAR_RE = re.compile(r"^(?:1[89]|20)\d\d$")


def _parse_words(s: str) -> int | None:
    s = re.sub(r"\s+", " ", s.strip().lower())
    try:
        return int(text2num(s, "en"))
    except ValueError:
        return None


@dataclass
class _Num:
    start: int  # span within the segment
    end: int
    value: int
    vague_low: int | None  # set for vague words ("dozens")
    vague_high: int | None
    is_vague: bool
    is_article: bool
    raw: str
    implicit: bool = False  # "the mayor", "his son": one victim named, not counted


_EXPONENT = pattern("casualties.exponent")
# a person who speaks is the source, not a victim; helps fakes-0329 (selector ablation)
_SPEAKER = re.compile(r"\s+(?:[\w'’-]+\s+){1,3}(?:said|says|told|added|stated)\b", re.I)
_AFTER_PREPOSITION = re.compile(r"\b(?:in|into|at|on|by|from|with|to|for)\s+$", re.I)
_NOT_COUNTS = pattern("casualties.not_counts")


def _numbers(seg: str, limit: int = MAX_FIGURES_PER_SENTENCE) -> tuple[list[_Num], int]:
    """The numbers of a segment (digits, number words, vague quantities, "a child"), at most
    ``limit``, and how many number-like spans were looked at (at most ``limit``, so the work is
    bounded). Numbers written with an exponent ("10^100", "1e9"), dates and clock times are
    no counts of people."""
    t = terms()
    out: list[_Num] = []
    masked: list[tuple[int, int]] | None = None  # found at the first number (most segments have none)
    seen = 0
    for m in t.number_re.finditer(seg):
        if seen >= limit:
            break
        seen += 1
        raw = m.group(0)
        if masked is None:
            masked = [(x.start(), x.end()) for p in (_EXPONENT, _NOT_COUNTS) for x in p.finditer(seg)]
        if any(a <= m.start() < b for a, b in masked):
            continue
        if m.group("vague"):
            low, high = t.vague[m.group("vague").lower()]
            out.append(_Num(m.start(), m.end(), low, low, high, True, False, raw))
        elif m.group("digits"):
            d = m.group("digits").replace(",", "")
            try:
                number = float(d)
            except ValueError:
                continue
            scale_word = (m.group("scale") or "").strip().lower()
            if scale_word in ("million", "m"):
                number *= 1_000_000
            elif scale_word in ("billion", "bn"):
                number *= 1_000_000_000
            out.append(_Num(m.start(), m.end(), int(number), None, None, False, False, raw))
        elif m.group("words"):
            text = m.group("words")
            # "one" alone is too often a pronoun ("one of the ..."): handled by the cue rules anyway
            val = _parse_words(text)
            half = _AND_A_HALF.match(text)
            if half:
                base = _parse_words(half.group(1))
                scale = _parse_words(half.group(2))
                val = int((base + 0.5) * scale) if base is not None and scale is not None else None
            if val is None:
                # a run like "two and three": split on "and" and keep the first piece
                first = _AND.split(text, maxsplit=1)[0]
                val = _parse_words(first)
                if val is None:
                    continue
                out.append(_Num(m.start(), m.start() + len(first), val, None, None, False, False, first))
                continue
            out.append(_Num(m.start(), m.end(), val, None, None, False, False, raw))
        elif m.group("article"):
            implicit = raw.lower() in t.weak_determiners
            if implicit and _AFTER_PREPOSITION.search(seg[: m.start()]):
                continue  # "shot in the head", "killed by the soldier": no victim
            if _SPEAKER.match(seg[m.end() :]):
                continue  # "a civil defence official said": who tells, not who died
            out.append(_Num(m.start(), m.end(), 1, None, None, False, True, raw, implicit))
    return out, seen


def _words(s: str) -> list[str]:
    return _WORD_RE.findall(s)


_NP_BREAK = frozenset(
    {
        "in",
        "on",
        "at",
        "by",
        "from",
        "after",
        "following",
        "near",
        "during",
        "when",
        "as",
        "were",
        "was",
        "is",
        "are",
        "have",
        "has",
        "had",
        "and",
        "or",
        "to",
        "for",
        "with",
        "across",
        "into",
        "over",
        "against",
        "since",
        "including",
        "among",
        "whom",
        "which",
        "who",
    }
)


def _victim_kind(np_words: Sequence[str]) -> tuple[VictimKind | None, str | None]:
    """The victim kind named in the words after a number, or a non-person unit."""
    t = terms()
    lowered = [w.lower().strip("()[]") for w in np_words]
    if lowered:
        first_two = " ".join(lowered[:2])
        for unit, reason in t.units.items():
            if " " in unit and first_two == unit:
                return None, reason
        for w in lowered[:4]:
            if w in _NP_BREAK:
                break
            if w in t.units:
                return None, t.units[w]
            if w in t.victims or (w.endswith("s") and w[:-1] in t.victims):
                break
    for w in lowered:
        if w in _NP_BREAK:
            break
        if w in t.victims:
            return t.victims[w], None
        if w.endswith("s") and w[:-1] in t.victims:
            return t.victims[w[:-1]], None
    return None, None


def _qualifier(before: str) -> tuple[Bound | None, int]:
    """The bound named just before a number and how many characters it takes."""
    t = terms()
    m = t.qualifier_re.search(before)
    if not m:
        return None, 0
    quals = m.group(0).lower().strip()
    bound: Bound | None = None
    for q, b in t.qualifiers:
        if quals.endswith(q) or quals.startswith(q) or q in quals:
            if b == "exact":
                continue
            bound = b
            break
    return bound, len(m.group(0))


def _bounds(n: _Num, bound: Bound | None) -> tuple[int | None, int | None, bool]:
    if n.is_vague:
        low = n.vague_low
        high = n.vague_high
        if bound == "high":
            return None, low, True
        return low, high, True
    if bound == "low":
        return n.value, None, False
    if bound == "high":
        return None, n.value, False
    if bound == "approx":
        return n.value, n.value, True
    return n.value, n.value, False


@dataclass
class _Raw:
    num: _Num
    qual_start: int
    low: int | None
    high: int | None
    approx: bool
    category: Category | None = None
    cue_strength: int = 0  # 3 verb right before, 2 cue right after, 1 inherited
    victims: VictimKind = "unspecified"
    background_reason: str | None = None
    subset: bool = False
    coordinated: bool = False
    notes: list[str] = field(default_factory=list)


_MONTH_ALT = "|".join(_MONTHS)
_NAME_COMMA_END = re.compile(r"\b[A-Z][a-z]+,\s*$")
_WEEKDAY_END = re.compile(
    r"(?:\b(?:on|early|late|overnight)\s+)?\b(?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday)(?:\s+(?:morning|night|evening|afternoon))?\s*$",
    re.I,
)
_FILLER_END = re.compile(
    r"\b(?:a total of|another|a further|also|only|just|an additional|additional|along with|alongside|"
    r"together with|(?:a|an|the|an entire|the entire|a whole) family of)\s*$",
    re.I,
)
# a dash-enclosed aside right after a figure's noun: helps wad-01177, fakes-0122, fakes-0163
_DASH_ASIDE = re.compile(r"^(\s*(?:[A-Za-z-]+\s+){0,3}?)?\s?[-–—]\s[^-–—.;]{3,80}?\s[-–—]\s")
_PAREN_OPEN = re.compile(r"\(\s*(?:including\s+)?$", re.I)
_VERB_PAIR_END = re.compile(
    r"\b(kill(?:ed|s|ing)?|execut(?:ed|es|ing))\s+(?:and|&)\s+[a-z]+(?:ed|es|s)$", re.I
)
# the patterns of the rules below, compiled once (not looked up in re's cache per figure)
_AND_A_HALF = re.compile(r"^(.+?)\s+and\s+a\s+half\s+(million|thousand|billion|hundred)$", re.I)
_AND = re.compile(r"\s+and\s+")
_LIST_GAP = re.compile(r"^\s*(?:[A-Za-z][A-Za-z-]*)?(?:\s+[A-Za-z][A-Za-z-]*)?\s*(?:,|and)\s*$")
_MONTH_END = re.compile(r"\b(?:" + _MONTH_ALT + r")\.?\s*$", re.I)
_COMMA_NEXT = re.compile(r"\s*,")
_AND_END = re.compile(r"(?:\band|,)\s*(?:\b(?:at least|some|about|more than|nearly)\s+)?$", re.I)
_AMONG_AFTER = re.compile(r"^\s*(?:[A-Za-z-]+\s+){0,5}?(?:were|was|are|is)\s+(?:also\s+)?among\b", re.I)
_JOIN_END = re.compile(r"(?:\band|,|\bas well as|\bplus)\s*(?:his|her|their|its)?\s*$", re.I)
_CATEGORY_WORD = re.compile(r"\b(?:" + "|".join(CATEGORIES) + r")\b|wound|injur", re.I)
_OTHERS_WORD = re.compile(r"\b(?:also|other|others|another|more|further|plus)\b", re.I)
_HOME_TO = re.compile(r"\bhome to\b", re.I)
_SINCE = re.compile(r"\bsince\b", re.I)
_HAVE_DISPLACED = re.compile(
    r"\b(?:has|have|had)\s+(?:\w+\s+)?(?:displaced|fled|been displaced|been forced)", re.I
)
# what follows a number and makes it no count of people: "$5 million" is read at the unit
_FORM_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("money", re.compile(r"^\s*(?:bn|m|million|billion)?\s*(?:dollars|euros|pounds|usd|\$)", re.I)),
    ("percentage", re.compile(r"^\s*(?:%|percent|per cent)", re.I)),
    ("distance", re.compile(r"^-?\s*(?:km|kilomet|mile|met(?:re|er)s?\b|mm\b|cm\b)", re.I)),
    ("age", re.compile(r"^-?\s*years?[- ]old|^-year", re.I)),
    ("date", re.compile(r"^\s*(?:" + _MONTH_ALT + r")\b", re.I)),
    ("time", re.compile(r"^\s*(?::\d\d|[ap]\.?m\b|GMT|local time)", re.I)),
    ("ordinal", re.compile(r"^-?(?:st|nd|rd|th)\b", re.I)),
)


def _read_numbers(seg: str, nums: Sequence[_Num]) -> list[_Raw]:
    """Numbers of a sentence with the bounds their qualifier gives ("at least 40")."""
    raws: list[_Raw] = []
    for n in nums:
        bound, qlen = _qualifier(seg[max(0, n.start - 80) : n.start])
        low, high, approx = _bounds(n, bound)
        notes = ["implicit-one"] if n.implicit else []
        raws.append(_Raw(n, n.start - qlen, low, high, approx, notes=notes))
    return raws


def _in_parts(seg: str, raws: Sequence[_Raw]) -> list[bool]:
    """Whether each figure sits in an "including ..." list ("including four children and a
    pregnant woman"): a part of the figure before it."""
    in_part: list[bool] = []
    for k, r in enumerate(raws):
        flag = bool(_SUBSET_BEFORE.search(seg[max(0, r.qual_start - 30) : r.qual_start]))
        if not flag and k > 0 and _PAREN_OPEN.search(seg[max(0, r.qual_start - 20) : r.qual_start]):
            # "15 persons died (13 civilians)": a part told in brackets after the figure;
            # helps wad-04503, wad-05679, wad-06493 (the part was not read)
            flag = len(_words(seg[raws[k - 1].num.end : r.qual_start])) <= 6
        if not flag and k > 0 and in_part[k - 1]:
            gap = seg[raws[k - 1].num.end : r.qual_start]
            flag = bool(_LIST_GAP.match(gap))
        in_part.append(flag)
    return in_part


def _form_reason(seg: str, n: _Num, after_clause: str) -> str | None:
    """Why the number's own form says it is no count of people (money, %, km, age, year,
    date, time, ordinal), or None."""
    next_text = seg[n.end : n.end + 12]
    prev_char = seg[n.start - 1] if n.start > 0 else " "
    for reason, pat in _FORM_REASONS:
        if pat.match(next_text):
            return reason
    raw_digits = n.raw.replace(",", "")
    if (
        not n.is_vague
        and not n.is_article
        and _YEAR_RE.match(raw_digits)
        and not _victim_kind(_words(after_clause)[:3])[0]
    ):
        return "year"
    if _MONTH_END.search(seg[: n.start]):
        return "date"
    if prev_char == ":" and not n.is_vague:
        return "time"
    if (
        not n.is_vague
        and not n.is_article
        and n.value < 120
        and _NAME_COMMA_END.search(seg[: n.start])
        and _COMMA_NEXT.match(seg[n.end :])
    ):
        # "Ana Maria Cortes, 46, was murdered": an age after a name; helps wad-02968,
        # wad-05694, wad-06069 (the age was counted as victims)
        return "age"
    return None


def _words_before(seg: str, r: _Raw) -> str:
    """The text before a figure's qualifier without a trailing weekday or filler word
    ("killed on Sunday at least 6", "killed another 6"), so the cue verb ends it."""
    pre = _WEEKDAY_END.sub("", seg[: r.qual_start].rstrip())
    return _FILLER_END.sub("", pre.rstrip()).rstrip()


def _cue_before(r: _Raw, pre: str) -> None:
    """The category from a cue right before the figure ("killed at least 6")."""
    # "killed and crucified five": the first verb of a pair decides
    pre = _VERB_PAIR_END.sub(r"\1", pre) + " "
    t = terms()
    if not t.any_before_cue.search(pre):
        return  # no cue at all: one scan of the text instead of one per cue
    for cat, pat in t.before_cues:
        if pat.search(pre):
            r.category = cat
            r.cue_strength = 3
            return


# "are said to have died", "have been reported killed": a hedge inside the verb phrase, not
# "X said" ending the noun phrase; helps wad-03195, wad-05061, wad-05565, wad-05870, wad-06143,
# wad-06615 (the parser offered no figure for them)
_HEDGE_AUX = frozenset({"is", "are", "was", "were", "been", "have", "has", "had"})
_HEDGES = frozenset({"said", "reported"})


def _hedged(ws: Sequence[str], j: int) -> bool:
    """Whether ``ws[j]`` is a hedge after an auxiliary ("were reported to have been")."""
    return ws[j].lower() in _HEDGES and j > 0 and ws[j - 1].lower() in _HEDGE_AUX


def _cue_after_at(ws: Sequence[str], is_article: bool) -> tuple[Category | None, int]:
    """The cue after the figure's noun phrase ("6 people were killed", "6 dead") and the
    word where it starts; the phrase ends at a clause word or an attack noun."""
    t = terms()
    limit = 4 if is_article else 14
    j = 0
    held: tuple[Category, int] | None = None  # a describing cue, used if no other follows
    while j <= min(len(ws), limit):
        rest = " ".join(ws[j:])
        cat = (
            next((c for c, pat in t.after_cues if pat.match(rest)), None)
            if t.any_after_cue.match(rest)
            else None
        )
        if cat is not None and (held is None or cat != held[0]):
            if held is not None or cat == "killed" or not _describing(ws, j):
                return cat, j
            held = (cat, j)
        if j >= len(ws):
            break
        w = ws[j].lower()
        if w in _STOP_NP and not (w == "who" and j + 1 < len(ws)) and not _hedged(ws, j):
            break
        if j > 0 and _ATTACK_NOUN.match(w):
            # "38 A US missile strike ... killed five": the attack is the subject
            break
        j += 1
    return held if held is not None else (None, j)


def _describing(ws: Sequence[str], j: int) -> bool:
    """Whether the cue at ``ws[j]`` describes the victims rather than telling their fate:
    an adjective ("20 displaced people ... were killed"), a relative clause ("34 refugees who
    had fled ... were killed") or the first of two verbs ("were kidnapped and killed"); a
    later cue of another category then decides. Helps wad-04026, wad-05586, wad-05698,
    wad-07271, wad-07362 (the parser offered no killed figure for them)."""
    words = [w.lower() for w in ws]
    cue_end = next((k for k in range(j, min(j + 3, len(words))) if words[k] not in _HEDGE_AUX), j)
    following = words[cue_end + 1] if cue_end + 1 < len(words) else ""
    return (
        following in terms().victims
        or (following.endswith("s") and following[:-1] in terms().victims)
        or following == "and"
        or "who" in words[max(0, j - 3) : j]
    )


def _cue_after(seg: str, r: _Raw, ws: Sequence[str], next_num_start: int | None) -> None:
    """The category from a cue after the figure, or a note that the next figure's cue may
    count for it ("five women and a child were killed")."""
    post_cat, j = _cue_after_at(ws, r.num.is_article)
    if post_cat is None and next_num_start is not None:
        gap = seg[r.num.end : next_num_start]
        if _AND_END.search(gap) and len(_words(gap)) <= 6:
            r.notes.append("coordinated-forward")
    if post_cat is not None and j == 0 and len(ws) > 1 and ws[1].lower() in terms().victims and r.category:
        # "killed 26 displaced people": an adjective; the verb before decides
        post_cat = None
    if post_cat is not None and (
        r.category is None or (r.category != post_cat and (j == 0 or (j <= 1 and r.category != "killed")))
    ):
        r.category = post_cat
        r.cue_strength = 2


def _is_part(seg: str, pre: str, np_text: str, after_start: int, in_part: bool) -> bool:
    """Whether the words around a figure make it a part of another ("including 10 children",
    "10 of them", "were among")."""
    rest = seg[after_start + len(np_text) :]
    return bool(
        in_part
        or _SUBSET_BEFORE.search(pre)
        or _SUBSET_AFTER.match(np_text + " " + rest[:30])
        or _AMONG_AFTER.match(np_text + rest[:40])
    )


def _read_figure(seg: str, raws: list[_Raw], idx: int, in_part: Sequence[bool]) -> None:
    """Form, victims, category and part-ness of ``raws[idx]`` from the words around it."""
    r = raws[idx]
    after = seg[r.num.end :]
    after_clause = _CLAUSE_BREAK.split(after, maxsplit=1)[0]
    next_num_start = next(
        (o.num.start for k, o in enumerate(raws[idx + 1 :], start=idx + 1) if not in_part[k]), None
    )
    r.background_reason = _form_reason(seg, r.num, after_clause)
    # the words after the number, up to the next number or clause end
    np_text = after_clause if next_num_start is None else seg[r.num.end : next_num_start]
    # "17 civilians — including 10 women and one girl — were killed": the aside is no clause end
    scan = after if next_num_start is None else np_text
    scan = _DASH_ASIDE.sub(lambda m: (m.group(1) or "") + " ", scan, count=1)
    np_words = _words(_CLAUSE_BREAK.split(scan, maxsplit=1)[0])
    kind, unit_reason = _victim_kind(np_words[:6])
    if kind is not None:
        r.victims = kind
    if unit_reason and r.background_reason is None:
        r.background_reason = unit_reason
    pre = _words_before(seg, r)
    _cue_before(r, pre)
    _cue_after(seg, r, np_words, next_num_start)
    r.subset = _is_part(seg, pre, np_text, r.num.end, in_part[idx])


def _inherit_parent(live: Sequence[_Raw]) -> None:
    """A part without a cue of its own takes the category of the figure it is part of:
    "dozens were killed ... including at least 29 people in one district"."""
    for k, r in enumerate(live):
        if r.category is None and r.subset and r.background_reason is None and k > 0:
            parent = next((o for o in reversed(live[:k]) if o.category is not None and not o.subset), None)
            if parent is not None:
                r.category = parent.category
                r.cue_strength = 1


def _mark_also(seg: str, live: Sequence[_Raw]) -> None:
    """ "killed three workers while six children were also killed": other victims than the
    figure before, to be added to it."""
    for k, r in enumerate(live):
        if r.category is None or r.subset or not _ALSO_AFTER.search(seg[r.num.end : r.num.end + 40]):
            continue
        r.notes.append("also")
        prev = live[k - 1] if k > 0 else None
        if (
            prev is not None
            and prev.category == r.category
            and not prev.subset
            and prev.background_reason is None
            and r.background_reason is None
        ):
            prev.coordinated = r.coordinated = True


def _coordinate_backward(seg: str, live: Sequence[_Raw]) -> None:
    """ "killing two men from X and three men from Y": a figure without a cue joined to a
    counted one by "and" / "as well as" is more of the same."""
    for k in range(1, len(live)):
        r, prev = live[k], live[k - 1]
        if r.category is not None:
            continue
        gap = seg[prev.num.end : r.qual_start]
        if (
            prev.category is not None
            and prev.background_reason is None
            and _JOIN_END.search(gap)
            and len(_words(gap)) <= 10
            and not _CATEGORY_WORD.search(gap)
        ):
            r.category = prev.category
            r.cue_strength = 1
            r.coordinated = prev.coordinated = True
            r.subset = r.subset or prev.subset


def _mark_parts(seg: str, live: Sequence[_Raw]) -> None:
    """Parts told as groups: a figure repeating the value of a later part ("Ten children were
    among at least 48 people killed": a headline often leads with the part), and children or
    women named after a wider group ("16 civilians and three children were killed")."""
    subset_values = {(r.num.value, r.num.start) for r in live if r.subset}
    for r in live:
        if (
            r.category is not None
            and not r.subset
            and any(v == r.num.value and start > r.num.start for v, start in subset_values)
        ):
            r.subset = True
            r.notes.append("repeats-a-part")
    for a, b in itertools.pairwise(live):
        if not (a.coordinated and b.coordinated) or a.category != b.category:
            continue
        gap = seg[a.num.end : b.qual_start] + " " + seg[b.num.end : b.num.end + 40]
        if (
            a.victims in ("civilians", "unspecified")
            and b.victims in ("children", "women")
            and not _OTHERS_WORD.search(gap)
        ):
            b.subset = True


def _coordinate_forward(live: Sequence[_Raw]) -> None:
    """ "five women and a child have been killed": the cue after the last figure of a list
    counts for all of them, and they add up."""
    for k, r in enumerate(live):
        if r.category is not None or "coordinated-forward" not in r.notes:
            continue
        for o in live[k + 1 :]:
            if o.category is not None:
                r.category = o.category
                r.cue_strength = 1
                # a part named after a figure ("4 people, three of them children") is no
                # group to add: the figure takes its verb, not its part-ness
                if r.subset or not o.subset:
                    r.coordinated = o.coordinated = True
                break
            if "coordinated-forward" not in o.notes:
                break


_WEEKDAYS_MONTHS = "|".join([*(d for d in calendar.day_name), *(m for m in calendar.month_name[1:])])
# a killing verb with a named victim as its object ("killed Zinatollah Zebi, an official",
# "stabbed to death Pamo Hobobo", "killed prominent Jordanian writer Nahed Hattar"): one victim;
# a capitalised run ending in a plural ("killed Afghan soldiers", "Abducted Christians") and a
# weekday or month ("killed Monday") are not; helps wad-01827, wad-03386, wad-06274,
# wad-07115, wad-07432 (the parser offered no figure for them)
_NAMED_ONE = re.compile(
    r"\b(?:kill(?:ed|s|ing)?|murder(?:ed|s|ing)?|assassinat(?:ed|es|ing)|shot dead|gunned down|"
    r"(?:stabbed|hacked|beaten) to death|beheaded|executed)\s+"
    r"(?:(?:prominent|senior|former|local|top|well-known|renowned|veteran|leading|traditional)\s+)*"
    r"(?!(?:" + _WEEKDAYS_MONTHS + r")\b)"
    r"(?:[A-Z][\w'’-]*[^\Ws]\s+|[A-Z][\w'’-]*ss\s+){0,3}[A-Z][\w'’-]*[^\Ws](?=\s*(?:,|\s[a-z]+[^s\s]\b|$))"
)


def _implicit_one(seg: str, found: Sequence[_Raw]) -> list[_Raw]:
    """One victim told without a number ("the mayor was shot dead", "executed him"): a
    killed figure of 1 marked ``implicit-one`` for the selector to weigh, unless a killed
    figure before it already names the victims ("a reporter was shot dead"). The rule
    planner never counts it."""
    found_at = [m for m in (_ONE_KILLED.search(seg), _NAMED_ONE.search(seg)) if m is not None]
    m = min(found_at, key=lambda x: x.start()) if found_at else None
    if m is None or any(r.category == "killed" and r.num.start < m.start() for r in found):
        return []
    num = _Num(m.start(), m.end(), 1, None, None, False, True, m.group(0))
    return [_Raw(num, m.start(), 1, 1, False, category="killed", cue_strength=1, notes=["implicit-one"])]


def _segment_figures(seg: str, max_figures: int = MAX_FIGURES_PER_SENTENCE) -> tuple[list[_Raw], int]:
    """The casualty figures of one sentence (or the title) and how many numbers were read (at
    most ``max_figures``): bounds, category, victims, parts, and lists that add up."""
    nums, seen = _numbers(seg, max_figures)
    raws = _read_numbers(seg, nums)
    in_part = _in_parts(seg, raws)
    for idx in range(len(raws)):
        _read_figure(seg, raws, idx, in_part)
    _inherit_parent(raws)
    _mark_also(seg, raws)
    _coordinate_forward(raws)
    _coordinate_backward(seg, raws)
    _mark_parts(seg, raws)
    found = [r for r in raws if r.category is not None]
    return sorted([*found, *_implicit_one(seg, found)], key=lambda r: r.num.start), seen


class _Searches:
    """Whether each pattern occurs in one sentence, each searched at most once: a sentence's
    figures all ask the same background patterns and the context pattern of it."""

    def __init__(self, sentence: str) -> None:
        self.sentence = sentence
        self.found: dict[re.Pattern[str], bool] = {}

    def __call__(self, pat: re.Pattern[str]) -> bool:
        hit = self.found.get(pat)
        if hit is None:
            hit = self.found[pat] = pat.search(self.sentence) is not None
        return hit


def _background_reason(found: _Searches, r: _Raw) -> str | None:
    """Why a figure of the sentence ``found`` searches is no casualty of the event, or None."""
    if r.background_reason is not None:
        return r.background_reason
    for reason, pat in terms().background:
        if found(pat):
            if (
                reason == "population"
                and r.category == "killed"
                and (r.low or 0) < 10000
                and not found(_HOME_TO)
            ):
                continue
            if (
                reason == "cumulative"
                and r.category == "killed"
                and (r.low or r.high or 0) < 100
                and not found(_SINCE)
            ):
                continue
            return reason
    if r.category == "displaced" and (found(_HAVE_DISPLACED) or (r.low or r.high or 0) >= 100_000):
        return "displaced_cumulative"
    if r.category == "killed" and (r.low or r.high or 0) >= 100_000:
        return "war_total"
    return None


def _confidence(r: _Raw, background: bool) -> float:
    c = {3: 0.85, 2: 0.8, 1: 0.65}.get(r.cue_strength, 0.5)
    if r.num.is_vague:
        c -= 0.2
    if r.num.is_article:
        c -= 0.15
    if r.approx:
        c -= 0.05
    if background:
        c = min(c, 0.3)
    return round(max(0.05, min(c, 0.99)), 2)


def _segments(text: str, sentences: Sequence[Sentence], title: str | None) -> list[tuple[int, int, str]]:
    """(sentence index, offset, text) of the title (-1) and each sentence, each cut to
    ``MAX_SENTENCE_CHARS``; StageError for offsets outside the text."""
    segments: list[tuple[int, int, str]] = []
    if title:
        segments.append((-1, 0, title[:MAX_SENTENCE_CHARS]))
    for i, s in enumerate(sentences):
        start, end = int(s["start"]), int(s["end"])
        if start < 0 or end > len(text) or start > end:
            raise StageError(f"sentence {i} has offsets {start}..{end} outside the text ({len(text)} chars)")
        segments.append((i, start, text[start : min(end, start + MAX_SENTENCE_CHARS)]))
    return segments


def _figure(idx: int, offset: int, found: _Searches, r: _Raw, max_figure: int) -> CasualtyFigure:
    """The public figure of a read number (in the sentence ``found`` searches); a number
    above ``max_figure`` is background."""
    seg = found.sentence
    reason = _background_reason(found, r)
    if max(r.low or 0, r.high or 0) > max_figure:
        reason = "implausible"
    background = reason is not None
    end = r.num.end
    return CasualtyFigure(
        category=r.category or "killed",
        low=r.low,
        high=r.high,
        approx=r.approx,
        vague=r.num.is_vague,
        victims=r.victims,
        sentence=idx,
        start=offset + r.qual_start,
        end=offset + end,
        sentence_text=seg,
        confidence=_confidence(r, background),
        background=background,
        background_reason=reason,
        subset=r.subset,
        coordinated=r.coordinated,
        surface=seg[r.qual_start : end],
        context=found(_CONTEXT),
        notes=tuple(r.notes),
    )


def find_figures(
    text: str,
    sentences: Sequence[Sentence],
    title: str | None = None,
    max_figure: int = DEFAULT_MAX_FIGURE,
) -> list[CasualtyFigure]:
    """Every casualty figure in the title and the sentences, in reading order.

    Offsets are into ``text`` for body sentences and into ``title`` for the title
    (``sentence == -1``). Background figures are returned too, marked, so a caller
    can show why they were not counted; a figure above ``max_figure`` is background
    ("implausible"). Work is bounded: at most ``MAX_FIGURES_PER_SENTENCE`` numbers per
    sentence and ``MAX_FIGURES_PER_ARTICLE`` per article are read.
    """
    if not isinstance(text, str):
        raise StageError("find_figures needs the article text as a string")
    out: list[CasualtyFigure] = []
    budget = MAX_FIGURES_PER_ARTICLE  # numbers read in the whole article
    for idx, offset, seg in _segments(text, sentences, title):
        if budget <= 0:
            break
        raws, read = _segment_figures(seg, min(budget, MAX_FIGURES_PER_SENTENCE))
        budget -= read
        found = _Searches(seg)
        out.extend(_figure(idx, offset, found, r, max_figure) for r in raws)
    return out
