"""Casualty figures read from an article: who was killed, injured, displaced, and how many.

``find_figures`` scans the title and every sentence for numbers (digits, number
words, vague quantities such as "dozens") and decides for each one

* its category, from a cue verb or noun next to it ("killed 6", "6 were
  wounded", "the death toll rose to 15");
* its bounds, from the qualifier before it ("at least 40" -> low 40, high None;
  "nearly 40" -> high 40; "between 15 and 20" -> 15..20), per the convention in
  ``corpus/seeds/gold.json``;
* whether it counts as a casualty of the reported event at all: war totals,
  populations, cumulative displacement, money, distances, percentages, ages,
  years and counts of strikes or buildings are kept but marked ``background``;
* whether it is a part of another figure ("including 10 children"), a rising
  toll ("has risen to 15", which replaces rather than adds), or a distinct group
  coordinated with a neighbour ("two men from X and three men from Y").

The cue words live in ``workers/data/casualty_terms.jsonl``; this module holds
only the rules that combine them.
"""

from __future__ import annotations

import functools
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
    toll_update: bool = False  # "the death toll has risen to 15": replaces earlier figures
    subset: bool = False  # "including 10 children", "among them": part of another figure
    coordinated: bool = False  # "two men from X and three men from Y": add to its neighbour
    context: bool = False  # reported as an earlier event ("last month", "had killed")
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
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
]


def _load_terms(path: Path = DATA_FILE) -> _Terms:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:  # pragma: no cover - packaging error
        raise StageError(f"cannot read casualty terms {path}: {exc}") from exc
    qualifiers: list[tuple[str, Bound]] = []
    vague: dict[str, tuple[int, int | None]] = {}
    before: list[tuple[Category, re.Pattern[str]]] = []
    after: list[tuple[Category, re.Pattern[str]]] = []
    victims: dict[str, VictimKind] = {}
    units: dict[str, str] = {}
    background: list[tuple[str, re.Pattern[str]]] = []
    determiners: list[str] = []
    named_determiners: list[str] = []
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
            else:
                after.append((row["category"], re.compile(r"^(?:" + pat + r")\b", re.I)))
        elif kind == "victim":
            victims[row["text"]] = row["victims"]
        elif kind == "unit":
            units[row["text"]] = row["reason"]
        elif kind == "background":
            background.append((row["reason"], re.compile(row["pattern"], re.I)))
        elif kind == "one_determiner":
            (named_determiners if row.get("needs_name") else determiners).append(row["text"])
        elif kind == "one_person":
            persons.append(row["text"])
    qualifiers.sort(key=lambda q: -len(q[0]))
    qual_alt = "|".join(re.escape(q) for q, _ in qualifiers)
    qualifier_re = re.compile(r"(?:\b(?:" + qual_alt + r")\s+)+$", re.I)

    # "a child", "another fighter", "the commander Abu Taha": one person (the definite article
    # only before a name, else it points back at someone already counted)
    def one_of(words: list[str]) -> str:
        # an empty list matches nothing, so a data file without named determiners still loads
        return "|".join(re.escape(w) for w in words) or r"(?!)"

    person = r"(?=\s+(?:[a-z-]+\s+)?(?:" + one_of(persons) + r")"
    one_person = (
        r"|(?P<article>\b(?:" + one_of(determiners) + r")\b)" + person + r"\b(?!-))"
        r"|(?P<named>\b(?:" + one_of(named_determiners) + r")\b)" + person + r"\s+(?-i:[A-Z][a-z]))"
    )
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
    )


@functools.cache
def terms() -> _Terms:
    """The cue words, loaded once per process."""
    return _load_terms()


# ---------------------------------------------------------------- helpers

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d[\d,.]*|[()\[\]]")
_CLAUSE_BREAK = re.compile(r"[;:.!?]|\s-\s|\s–\s|\s—\s")
_SPEECH = pattern("casualties.speech")
_SUBSET_BEFORE = pattern("casualties.subset_before")
_SUBSET_AFTER = pattern("casualties.subset_after")
_COMBINED_BEFORE = pattern("casualties.combined_before")
_COMBINED_AFTER = pattern("casualties.combined_after")
_ATTACK_NOUN = pattern("casualties.attack_noun")
_ASIDE = pattern("casualties.aside")
_ADDITIVE = pattern("casualties.additive")
_ALSO_AFTER = pattern("casualties.also_after")
_TOLL_UPDATE = pattern("casualties.toll_update")
_CONTEXT = pattern("casualties.context")
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
_MONEY_BEFORE = pattern("casualties.money_before")
_AGE_BEFORE = pattern("casualties.age_before")
_RANGE_JOIN = pattern("casualties.range_join")


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


_NOT_COUNTS = pattern("casualties.not_counts")


def _numbers(seg: str) -> list[_Num]:
    t = terms()
    out: list[_Num] = []
    masked = [(m.start(), m.end()) for m in _NOT_COUNTS.finditer(seg)]
    for m in t.number_re.finditer(seg):
        raw = m.group(0)
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
            half = re.match(r"^(.+?)\s+and\s+a\s+half\s+(million|thousand|billion|hundred)$", text, re.I)
            if half:
                base = _parse_words(half.group(1))
                scale = _parse_words(half.group(2))
                val = int((base + 0.5) * scale) if base is not None and scale is not None else None
            if val is None:
                # a run like "two and three": split on "and" and keep the first piece
                first = re.split(r"\s+and\s+", text, maxsplit=1)[0]
                val = _parse_words(first)
                if val is None:
                    continue
                out.append(_Num(m.start(), m.start() + len(first), val, None, None, False, False, first))
                continue
            out.append(_Num(m.start(), m.end(), val, None, None, False, False, raw))
        elif m.group("article") or m.group("named"):
            out.append(_Num(m.start(), m.end(), 1, None, None, False, True, raw))
    return out


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
    toll_update: bool = False
    coordinated: bool = False
    range_end: int | None = None
    skip: bool = False
    notes: list[str] = field(default_factory=list)


def _segment_figures(seg: str) -> list[_Raw]:
    t = terms()
    nums = _numbers(seg)
    raws: list[_Raw] = []
    for i, n in enumerate(nums):
        before = seg[max(0, n.start - 80) : n.start]
        bound, qlen = _qualifier(before)
        low, high, approx = _bounds(n, bound)
        raws.append(_Raw(n, n.start - qlen, low, high, approx))
        r = raws[-1]
        # ranges: "10 to 12", "10-12", "between 15 and 20"
        if i + 1 < len(nums):
            nxt = nums[i + 1]
            gap = seg[n.end : nxt.start]
            if (
                _RANGE_JOIN.match(gap)
                and not n.is_vague
                and not nxt.is_vague
                and not nxt.is_article
                and not n.is_article
                and nxt.value > n.value
                and (gap.strip().lower() != "and" or re.search(r"\bbetween\s*$", before, re.I))
            ):
                r.low, r.high, r.approx = n.value, nxt.value, False
                r.range_end = nxt.end
    # drop the upper end of a range as a figure of its own
    ends = {r.range_end for r in raws if r.range_end is not None}
    for r in raws:
        if any(r.num.end == e for e in ends) and r.range_end is None:
            r.skip = True

    # asides set off by dashes or brackets ("23 civilians - including nine children - and 16
    # fighters") are blanked for reading what follows a number
    scan = _ASIDE.sub(lambda m: " " * len(m.group(0)), seg)
    # numbers inside an "including ..." list: "including four children and a pregnant woman"
    asides = [(m.start(), m.end()) for m in _ASIDE.finditer(seg)]
    in_part: list[bool] = []
    for k, r in enumerate(raws):
        flag = bool(_SUBSET_BEFORE.search(seg[max(0, r.qual_start - 30) : r.qual_start])) or any(
            a <= r.num.start < b for a, b in asides
        )
        if not flag and k > 0 and in_part[k - 1]:
            gap = seg[raws[k - 1].num.end : r.qual_start]
            flag = bool(
                re.match(r"^\s*(?:[A-Za-z][A-Za-z-]*)?(?:\s+[A-Za-z][A-Za-z-]*)?\s*(?:,|and)\s*$", gap)
            )
        in_part.append(flag)

    for idx, r in enumerate(raws):
        if r.skip:
            continue
        n = r.num
        before_full = seg[: r.qual_start]
        after_start = r.range_end if r.range_end is not None else n.end
        after = scan[after_start:]
        after_clause = _CLAUSE_BREAK.split(after, maxsplit=1)[0]
        next_num_start = next(
            (
                o.num.start
                for k2, o in enumerate(raws[idx + 1 :], start=idx + 1)
                if not o.skip and not in_part[k2]
            ),
            None,
        )
        # background by form of the number itself
        raw_digits = n.raw.replace(",", "")
        prev_char = seg[n.start - 1] if n.start > 0 else " "
        next_text = seg[after_start : after_start + 12]
        if _MONEY_BEFORE.search(seg[: n.start]) or re.match(
            r"^\s*(?:bn|m|million|billion)?\s*(?:dollars|"
            r"euros|pounds|usd|\$)",
            next_text,
            re.I,
        ):
            r.background_reason = "money"
        elif re.match(r"^\s*(?:%|percent|per cent)", next_text, re.I):
            r.background_reason = "percentage"
        elif re.match(r"^-?\s*(?:km|kilomet|mile|met(?:re|er)s?\b|mm\b|cm\b)", next_text, re.I):
            r.background_reason = "distance"
        elif re.match(r"^-?\s*years?[- ]old|^-year", next_text, re.I) or _AGE_BEFORE.search(seg[: n.start]):
            r.background_reason = "age"
        elif (
            not n.is_vague
            and not n.is_article
            and _YEAR_RE.match(raw_digits)
            and not _victim_kind(_words(after_clause)[:3])[0]
        ):
            r.background_reason = "year"
        elif re.match(r"^\s*(?:" + "|".join(_MONTHS) + r")\b", next_text, re.I) or re.search(
            r"\b(?:" + "|".join(_MONTHS) + r")\.?\s*$", seg[: n.start], re.I
        ):
            r.background_reason = "date"
        elif re.match(r"^\s*(?::\d\d|[ap]\.?m\b|GMT|local time)", next_text, re.I) or (
            prev_char == ":" and not n.is_vague
        ):
            r.background_reason = "time"
        elif re.match(r"^(?:st|nd|rd|th)\b", next_text, re.I) or re.match(r"^-(?:st|nd|rd|th)", next_text):
            r.background_reason = "ordinal"

        # the words after the number, up to the next number or clause end
        np_text = after_clause if next_num_start is None else scan[after_start:next_num_start]
        np_text = _CLAUSE_BREAK.split(np_text, maxsplit=1)[0]
        np_words = _words(np_text)
        kind, unit_reason = _victim_kind(np_words[:6])
        if kind is not None:
            r.victims = kind
        if unit_reason and r.background_reason is None:
            r.background_reason = unit_reason

        # cue right before the number (only qualifiers between): "killed at least 6"
        pre = before_full.rstrip()
        pre = re.sub(
            r"(?:\b(?:on|early|late|overnight)\s+)?\b(?:monday|tuesday|wednesday|thursday|friday|"
            r"saturday|sunday)(?:\s+(?:morning|night|evening|afternoon))?\s*$",
            "",
            pre,
            flags=re.I,
        )
        pre = re.sub(
            r"\b(?:a total of|another|a further|also|only|just|an additional|additional)\s*$",
            "",
            pre.rstrip(),
            flags=re.I,
        ).rstrip()
        if _COMBINED_BEFORE.search(pre):
            # "killed and wounded 30": dead and wounded together, not a count of either
            r.skip = True
            continue
        # "killed and crucified five": the first verb of a pair decides
        pre = re.sub(
            r"\b(kill(?:ed|s|ing)?|execut(?:ed|es|ing))\s+(?:and|&)\s+[a-z]+(?:ed|es|s)$",
            r"\1",
            pre,
            flags=re.I,
        )
        for cat, pat in t.before_cues:
            if pat.search(pre + " "):
                r.category = cat
                r.cue_strength = 3
                if (
                    cat == "killed"
                    and re.search(r"\btoll\b|\bnumber of\b", pre[-120:], re.I)
                    and _TOLL_UPDATE.search(pre[-120:])
                ):
                    r.toll_update = True
                break
        # cue after the number and its noun phrase: "6 people were killed", "6 dead"
        if True:  # the cue after is read even when one came before: "killed 6 wounded" is rare
            ws = np_words
            j = 0
            # skip the noun phrase: up to 8 words, stopping at words that end a clause
            post_cat: Category | None = None
            limit = 4 if n.is_article else 14
            while j <= min(len(ws), limit):
                rest = " ".join(ws[j:])
                for cat, pat in t.after_cues:
                    if pat.match(rest):
                        post_cat = cat
                        break
                if post_cat is not None or j >= len(ws):
                    break
                w = ws[j].lower()
                if w in _STOP_NP and not (w == "who" and j + 1 < len(ws)):
                    break
                if j > 0 and _ATTACK_NOUN.match(w):
                    # "38 A US missile strike ... killed five": the attack is the subject
                    break
                j += 1
            if post_cat is None and next_num_start is not None:
                # coordination: "five women and a child were killed" -> look past the next number
                gap = seg[after_start:next_num_start]
                if (
                    re.search(r"(?:\band|,)\s*(?:\b(?:at least|some|about|more than|nearly)\s+)?$", gap, re.I)
                    and len(_words(gap)) <= 6
                ):
                    r.notes.append("coordinated-forward")
            if post_cat is not None and j == 0 and len(ws) > 1 and ws[1].lower() in t.victims and r.category:
                # "killed 26 displaced people": an adjective; the verb before decides
                post_cat = None
            if post_cat is not None and _COMBINED_AFTER.match(" ".join(ws[j:])):
                r.skip = True
                continue
            if post_cat is not None and (
                r.category is None
                or (r.category != post_cat and (j == 0 or (j <= 1 and r.category != "killed")))
            ):
                r.category = post_cat
                r.cue_strength = 2
        # subsets
        if _SUBSET_BEFORE.search(pre) or _SUBSET_AFTER.match(np_text + " " + after[len(np_text) :][:30]):
            r.subset = True
        if re.match(
            r"^\s*(?:[A-Za-z-]+\s+){0,5}?(?:were|was|are|is)\s+(?:also\s+)?among\b",
            np_text + after[len(np_text) :][:40],
            re.I,
        ):
            r.subset = True
        if re.match(r"^\s*of (?:them|whom|those)\b", seg[after_start:], re.I) or in_part[idx]:
            r.subset = True

    # second pass: coordination
    live = [r for r in raws if not r.skip]
    # "dozens were killed ... including at least 29 people in one district": a part without a
    # cue of its own belongs to the figure it is part of
    for k, r in enumerate(live):
        if r.category is None and r.subset and r.background_reason is None and k > 0:
            parent = next((o for o in reversed(live[:k]) if o.category is not None and not o.subset), None)
            if parent is not None:
                r.category = parent.category
                r.cue_strength = 1
    for k, r in enumerate(live):
        if r.category is not None:
            # "killed three workers while six children were also killed": others, added
            tail = seg[r.num.end : r.num.end + 40]
            also = bool(_ALSO_AFTER.search(tail))
            if also and not r.subset:
                r.notes.append("also")
            additive = also or bool(_ADDITIVE.search(seg[max(0, r.qual_start - 12) : r.num.end]))
            if k > 0 and not r.subset and additive:
                prev = live[k - 1]
                gap = seg[(prev.range_end or prev.num.end) : r.qual_start]
                if (
                    prev.category == r.category
                    and not prev.subset
                    and prev.background_reason is None
                    and r.background_reason is None
                    and not _SPEECH.search(gap)
                ):
                    prev.coordinated = True
                    r.coordinated = True
            continue
        # forward: "five women and a child have been killed"
        if "coordinated-forward" in r.notes:
            for o in live[k + 1 :]:
                if o.category is not None:
                    r.category = o.category
                    r.cue_strength = 1
                    r.coordinated = True
                    o.coordinated = True
                    r.subset = r.subset or o.subset
                    break
                if "coordinated-forward" not in o.notes:
                    break
            if r.category is not None:
                continue
        # backward: "killing two men from X and three men from Y"
        if k > 0:
            prev = live[k - 1]
            gap = seg[(prev.range_end or prev.num.end) : r.qual_start]
            if (
                prev.category is not None
                and prev.background_reason is None
                and re.search(r"(?:\band|,|\bas well as|\bplus)\s*(?:his|her|their|its)?\s*$", gap, re.I)
                and len(_words(gap)) <= 10
                and not _SPEECH.search(gap)
                and not re.search(r"\b(?:" + "|".join(c for c in CATEGORIES) + r")\b|wound|injur", gap, re.I)
            ):
                r.category = prev.category
                r.cue_strength = 1
                r.coordinated = True
                prev.coordinated = True
                r.subset = r.subset or prev.subset
    # "Ten children were among at least 48 people killed": a figure that repeats the value of
    # a part is that part (a headline often leads with the part)
    subset_values = {(r.num.value, r.num.start) for r in raws if r.subset and not r.skip}
    for r in raws:
        if (
            r.category is not None
            and not r.subset
            and not r.skip
            and any(v == r.num.value and start > r.num.start for v, start in subset_values)
        ):
            r.subset = True
            r.notes.append("repeats-a-part")
    # "16 civilians and three children were killed": children and women named after a
    # wider group are usually part of it, unless the text says they are others
    for k in range(1, len(live)):
        a, b = live[k - 1], live[k]
        if not (a.coordinated and b.coordinated) or a.category != b.category:
            continue
        gap = seg[(a.range_end or a.num.end) : b.qual_start]
        if (
            a.victims in ("civilians", "unspecified")
            and b.victims in ("children", "women")
            and not re.search(
                r"\b(?:also|other|others|another|more|further|plus)\b",
                gap + " " + seg[b.num.end : b.num.end + 40],
                re.I,
            )
        ):
            b.subset = True
    return [r for r in raws if not r.skip and r.category is not None]


def _background_reason(sentence: str, r: _Raw) -> str | None:
    if r.background_reason is not None:
        return r.background_reason
    for reason, pat in terms().background:
        if pat.search(sentence):
            if (
                reason == "population"
                and r.category == "killed"
                and (r.low or 0) < 10000
                and not re.search(r"\bhome (?:to|of)\b", sentence, re.I)
            ):
                continue
            if (
                reason == "cumulative"
                and r.category == "killed"
                and (r.low or r.high or 0) < 100
                and not re.search(r"\bsince\b", sentence, re.I)
            ):
                continue
            return reason
    if r.category == "displaced" and (
        re.search(
            r"\b(?:has|have|had)\s+(?:\w+\s+)?(?:displaced|fled|been displaced|been forced)", sentence, re.I
        )
        or (r.low or r.high or 0) >= 100_000
    ):
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


def find_figures(text: str, sentences: Sequence[Sentence], title: str | None = None) -> list[CasualtyFigure]:
    """Every casualty figure in the title and the sentences, in reading order.

    Offsets are into ``text`` for body sentences and into ``title`` for the title
    (``sentence == -1``). Background figures are returned too, marked, so a caller
    can show why they were not counted.
    """
    if not isinstance(text, str):
        raise StageError("find_figures needs the article text as a string")
    segments: list[tuple[int, int, str]] = []
    if title:
        segments.append((-1, 0, title))
    for i, s in enumerate(sentences):
        start, end = int(s["start"]), int(s["end"])
        if start < 0 or end > len(text) or start > end:
            raise StageError(f"sentence {i} has offsets {start}..{end} outside the text ({len(text)} chars)")
        segments.append((i, start, text[start:end]))
    out: list[CasualtyFigure] = []
    for idx, offset, seg in segments:
        context = bool(_CONTEXT.search(seg))
        for r in _segment_figures(seg):
            reason = _background_reason(seg, r)
            background = reason is not None
            if r.toll_update and reason in ("cumulative",):
                background, reason = False, None
            end = r.range_end if r.range_end is not None else r.num.end
            out.append(
                CasualtyFigure(
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
                    toll_update=r.toll_update,
                    subset=r.subset,
                    coordinated=r.coordinated,
                    context=context,
                    surface=seg[r.qual_start : end],
                    notes=tuple(r.notes),
                )
            )
    return out
