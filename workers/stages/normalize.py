"""Normalize stage: a raw article in, a cleaned article with sentence spans out.

In:  :class:`~workers.types.RawArticle` (``articles.raw``).
Out: :class:`~workers.types.NormalizedArticle` (``articles.normalized``), or :class:`StageError`
     when the id or body is empty once cleaned, a field has the wrong type, ``published_at`` is
     not ISO 8601, or it lies more than a day after ``now`` (the processing time, passed in).

An article without a title gets its first sentence as headline; one without ``published_at``
gets the latest full date written in it (else ``now``'s date), marked ``published_at_inferred``.
Work is bounded: at most ``MAX_BODY_CHARS`` of the body are read, no sentence is longer than
``MAX_SENTENCE_CHARS`` (longer runs are split at a space) and at most ``MAX_SENTENCES`` are
handed on (the text is cut after the last one); each cut is noted in ``removed``.

What happens, in order:

1. Characters. NFC, then each character that is not plain printable ASCII is mapped once:
   space separators (NBSP, thin space ...) become a space, format characters (zero-width
   space/joiners, soft hyphen, BOM, direction marks) and control characters are dropped,
   every typographic quotation mark or apostrophe becomes its ASCII form (``'`` or ``"``),
   Unicode hyphens and the minus sign become ``-``, and everything else gets its NFKC
   compatibility form (ligatures, full-width forms, ``…`` -> ``...``) except fractions,
   superscripts and subscripts, which NFKC would flatten into other numbers (``3½`` ->
   ``31⁄2``). En and em dashes are kept: they are punctuation with a meaning of their own.
   ASCII quotes were chosen over typographic ones because half of the feeds (and FA-KES)
   are already ASCII, and downstream matching (gazetteer, quotes) then sees one form.
2. Lines. Runs of spaces collapse to one, lines are stripped, and each line is judged for
   boilerplate with the rules of ``workers/data/boilerplate.jsonl`` (photo captions and
   credits, "READ MORE:" links, widget junk, section labels, source lines, bylines,
   banners) and a few structural rules: a line repeated in the body (a caption printed
   twice), a lone two-line block of caption over bare credit ("AP"), the headline repeated
   in the body, lines without a single letter, and short lines without end punctuation
   that are image alt texts or map labels (lower-case start, a media word such as "map",
   a "X - Y" label) or that stand before the first or after the last real paragraph.
   Short capitalised lines between paragraphs are kept: they are subheadings. Never
   stripped: lines over ``_MAX_BOILERPLATE_WORDS`` words (a whole article on one line, as
   in FA-KES) and the lower-case continuation of a hard-wrapped line. When the title
   itself is junk ("fbpx"), the first headline-like line above the body replaces it.
3. Paragraphs. A blank line or a stripped line ends a paragraph; a line that runs on (long,
   no end punctuation) is joined to the next with a space. Paragraphs are joined by
   ``"\\n\\n"``. Footers glued to the end of the text ("Read Also") are cut.
4. Sentences. A rule-based splitter inside each paragraph (a paragraph always ends a
   sentence) that knows abbreviations and acronyms (U.S., Lt. Col., Mr., Jan., No.),
   decimals (3.8bn), and quotes, including a quoted question or exclamation followed by
   its attribution (``"... STOP!" Mr Trump wrote``), which stays one sentence.
5. ``content_hash``: sha256 hex of the case-folded, whitespace-collapsed title + text.

The stage is pure: no I/O except reading its rule file once, no clock, no Faust.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from re import _constants as _sre_constants  # type: ignore[attr-defined]
from re import _parser as _sre_parser  # type: ignore[attr-defined]
from typing import cast

from workers import codec
from workers.stages.dates import infer_published
from workers.stages.errors import StageError
from workers.types import NormalizedArticle, RawArticle, Sentence

SCHEMA_VERSION = 1
DEFAULT_LANGUAGE = "en"
_RULES_FILE = "boilerplate.jsonl"

# A boilerplate line is a caption, a link or a label: never a whole article. Above this many
# words a line is kept whatever it looks like, so one-line texts are never thrown away.
_MAX_BOILERPLATE_WORDS = 80
# Alt texts, map labels and subheadings are a few words long; a line this short without end
# punctuation is not a sentence.
_SHORT_LINE_WORDS = 6
# A line at least this long without end punctuation, directly followed by another line, is a
# hard-wrapped paragraph rather than a heading.
_WRAPPED_LINE_WORDS = 8
# A repeated line up to this long is a caption (all copies go); a longer one is a re-sent
# paragraph (the first copy stays).
_CAPTION_WORDS = 40
# A run of topic tags is a handful of names; past this many words no body start was found.
_TAG_RUN_MAX_WORDS = 30
# A photo credit is followed by a glued run (name, headline) of at least this many words.
_CREDIT_RUN_MIN_WORDS = 3

# The longest footer cut from a dev article is about 1,200 characters.
_TAIL_WINDOW = 2_500

# Bounded work (issue 9): limits far above any real article, so that no later stage ever sees
# a 400,000-character "sentence" or a body of 10,000 numbers told as one paragraph. The longest
# FA-KES, WAD and HRDsAttack articles have under 40,000 characters, about 400 sentences and no
# sentence over 2,000 characters.
MAX_BODY_CHARS = 200_000  # of the raw body read at all; the rest is cut before cleaning
MAX_SENTENCE_CHARS = 3_000  # a longer run without a sentence end is split at a space
MAX_SENTENCES = 1_500  # sentences handed on; the text is cut after the last one
# a publication time this far after the processing time is a mistake, not a time zone
DEFAULT_FUTURE_TOLERANCE = dt.timedelta(days=1)  # CONFLICTWIRE_FUTURE_TOLERANCE_HOURS

_KINDS = frozenset(
    {
        "agency",
        "line",
        "credit",
        "label",
        "media_word",
        "tail",
        "abbrev",
        "abbrev_title",
        "sentence_starter",
        "speech_verb",
        "inline",
        "tag_run",
        "function_word",
        "credit_run",
        "headline_word",
    }
)

# ------------------------------------------------------------------ rules (data file)


@dataclass(frozen=True)
class _Rules:
    lines: tuple[re.Pattern[str], ...]
    credits: tuple[re.Pattern[str], ...]  # a line that is nothing but a photo credit
    labels: frozenset[str]  # case-folded
    media_words: frozenset[str]  # case-folded
    tails: tuple[re.Pattern[str], ...]
    tail_needles: tuple[re.Pattern[str] | None, ...]  # a literal each tail must contain (a cheap test)
    abbrev_title: frozenset[str]  # never end a sentence
    abbrev: frozenset[str]  # end a sentence only before a sentence starter
    starters: frozenset[str]
    speech_verbs: frozenset[str]  # case-folded
    inline: tuple[re.Pattern[str], ...]  # site furniture cut wherever it stands in a paragraph
    tag_run: re.Pattern[str] | None  # the word that opens a run of topic tags
    function_words: frozenset[str]
    credit_run: re.Pattern[str] | None  # a photo credit that opens a glued caption or headline
    headline_words: frozenset[str]


def _after_sentence(words: list[str], then: str) -> re.Pattern[str] | None:
    """Case-sensitive: one of ``words`` at the start of a paragraph or right after a sentence."""
    if not words:
        return None
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"""(?:^|(?<=[.!?"]\s))(?:{alternation}){then}""")


def _needle(pattern: str) -> re.Pattern[str] | None:
    """The longest run of literal characters every match of ``pattern`` contains, compiled.

    A tail pattern is searched from every start in the paragraph's last 2,500 characters;
    one that opens with a greedy run ("[^.]*\\btags\\b ...") costs quadratic time in the
    sentence length. Searching first for a literal the match must contain (at the pattern's
    top level, compiled with the same flags) skips that almost always, with the same result.
    """
    runs, run = [], ""
    for op, arg in _sre_parser.parse(pattern, re.IGNORECASE):
        if op is _sre_constants.LITERAL:
            run += chr(arg)
        else:
            runs.append(run)
            run = ""
    best = max([*runs, run], key=len)
    return re.compile(re.escape(best), re.IGNORECASE) if len(best) >= 4 else None


@functools.cache
def _rules() -> _Rules:
    """Read ``workers/data/boilerplate.jsonl`` once; a bad rule fails loudly, not silently."""
    raw = resources.files("workers").joinpath("data", _RULES_FILE).read_text(encoding="utf-8")
    by_kind: dict[str, list[str]] = {kind: [] for kind in _KINDS}
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        rule = codec.loads(line)
        if not isinstance(rule, dict) or not all(
            isinstance(rule.get(k), str) for k in ("kind", "pattern", "why")
        ):
            raise ValueError(f"{_RULES_FILE}:{number}: a rule needs string fields kind, pattern and why")
        kind, pattern = cast(str, rule["kind"]), cast(str, rule["pattern"])
        if kind not in by_kind:
            raise ValueError(f"{_RULES_FILE}:{number}: unknown kind {kind!r}")
        by_kind[kind].append(pattern)

    # Longest names first so "Getty Images" wins over "Getty" inside the alternation.
    agency = "|".join(re.escape(a) for a in sorted(by_kind["agency"], key=len, reverse=True))

    def compile_all(kind: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p.replace("{agency}", agency), re.IGNORECASE) for p in by_kind[kind])

    credits = compile_all("credit")
    return _Rules(
        lines=compile_all("line") + credits,
        credits=credits,
        labels=frozenset(p.casefold() for p in by_kind["label"]),
        media_words=frozenset(p.casefold() for p in by_kind["media_word"]),
        tails=tuple(re.compile(rf"(?:{p})\Z", re.IGNORECASE) for p in by_kind["tail"]),
        tail_needles=tuple(_needle(p) for p in by_kind["tail"]),
        abbrev_title=frozenset(by_kind["abbrev_title"]),
        abbrev=frozenset(by_kind["abbrev"]),
        starters=frozenset(by_kind["sentence_starter"]),
        speech_verbs=frozenset(p.casefold() for p in by_kind["speech_verb"]),
        inline=compile_all("inline"),
        tag_run=_after_sentence(by_kind["tag_run"], r"\s+(?=[A-Z])"),
        function_words=frozenset(p.casefold() for p in by_kind["function_word"]),
        credit_run=_after_sentence(by_kind["credit_run"], r"(?=[\s/])/?\s*"),
        headline_words=frozenset(by_kind["headline_word"]),
    )


# ------------------------------------------------------------------ characters

# Everything outside printable ASCII (and the newline) goes through _map_char.
_NON_PLAIN = re.compile(r"[^\x20-\x7e\n]")
# NFKC would turn these into different numbers or words (3½ -> 31⁄2, km² -> km2): keep them.
_KEEP_DECOMPOSITIONS = ("<fraction>", "<super>", "<sub>")


@functools.lru_cache(maxsize=8192)
def _map_char(ch: str) -> str:
    if ch == "\t":
        return " "
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category in ("Zl", "Zp"):
        return "\n"
    if category in ("Cc", "Cf", "Co", "Cs", "Cn"):
        # invisible: zero-width space/joiners, soft hyphen, BOM, direction marks, controls
        return ""
    name = unicodedata.name(ch, "")
    if "QUOTATION MARK" in name:
        return '"' if "DOUBLE" in name else "'"
    if "APOSTROPHE" in name:
        return "'"
    if name.endswith("HYPHEN") or name == "MINUS SIGN":
        return "-"
    if unicodedata.decomposition(ch).startswith(_KEEP_DECOMPOSITIONS):
        return ch
    return unicodedata.normalize("NFKC", ch)


def _clean_chars(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = unicodedata.normalize("NFC", value)
    value = _NON_PLAIN.sub(lambda m: _map_char(m.group()), value)
    # a compatibility form may leave a base letter + combining mark: compose it again
    return unicodedata.normalize("NFC", value)


def _collapse(value: str) -> str:
    return " ".join(value.split())


# ------------------------------------------------------------------ boilerplate lines

_LETTER = re.compile(r"[^\W\d_]")
# What a sentence or a lead-in ends with; a line ending otherwise is a label or heading.
_END_PUNCT = re.compile(r"[.!?:;,\"')\]]$")
_LABEL_SEPARATOR = re.compile(r"\s[-|–—]\s")


def _is_rule_boilerplate(line: str, title: str, rules: _Rules) -> bool:
    if not _LETTER.search(line):
        return True  # bullets, rulers, stray numbers: nothing to read
    folded = line.casefold()
    if folded in rules.labels or folded == title.casefold():
        return True
    return any(p.fullmatch(line) for p in rules.lines)


def _is_short(line: str) -> bool:
    return len(line.split()) <= _SHORT_LINE_WORDS and not _END_PUNCT.search(line)


def _looks_like_alt_text(line: str, rules: _Rules) -> bool:
    """A short line that reads as an image alt text or a map label, not as a subheading."""
    if line[0].islower():
        return True  # alt texts are often typed in lower case; headings never are
    words = {w.strip("-–—|()[]").casefold() for w in line.split()}
    return bool(words & rules.media_words) or bool(_LABEL_SEPARATOR.search(line))


def _classify(lines: list[str], title: str, rules: _Rules) -> tuple[list[bool], list[int]]:
    """Return, per line, whether it is boilerplate (blank lines never are), and the indices
    of the headline-like lines dropped from above the first paragraph (kickers)."""
    drop = [False] * len(lines)
    # Protected: one-line articles, and the lower-case continuation of a hard-wrapped line
    # ("...were killed\nby shells that hit"), which is half a sentence, not a label.
    protected: list[bool] = []
    for i, line in enumerate(lines):
        prev = lines[i - 1] if i else ""
        continues = (
            bool(prev)
            and line[:1].islower()
            and not _END_PUNCT.search(prev)
            and (len(prev.split()) >= _WRAPPED_LINE_WORDS or protected[i - 1])
        )
        protected.append(continues or len(line.split()) > _MAX_BOILERPLATE_WORDS)
    for i, line in enumerate(lines):
        if line and not protected[i]:
            drop[i] = _is_rule_boilerplate(line, title, rules)

    # Repeated lines: a caption printed twice (around the photo and in the gallery).
    counts = Counter(line.casefold() for line in lines if line)
    seen: set[str] = set()
    for i, line in enumerate(lines):
        key = line.casefold()
        if not line or counts[key] < 2:
            continue
        if len(line.split()) <= _CAPTION_WORDS or key in seen:
            drop[i] = True
        seen.add(key)

    # A block of exactly two lines, a one-sentence line over a bare credit line
    # ("...March 12, 2020." / "AP"), is a photo caption. The block must stand alone (blank
    # lines around it) so that a paragraph followed by an uncaptioned photo credit is kept;
    # a credit on the very last line is a sign-off, not a photo credit.
    last_line = max((i for i, line in enumerate(lines) if line), default=-1)
    for i in range(len(lines) - 1):
        line, nxt = lines[i], lines[i + 1]
        if (
            line
            and nxt
            and (i == 0 or not lines[i - 1])
            and (i + 2 == len(lines) or not lines[i + 2])
            and i + 1 < last_line
            and not protected[i]
            and len(line.split()) <= _CAPTION_WORDS
            and len(_TERMINAL.findall(line)) <= 1
            and any(p.fullmatch(nxt) for p in rules.credits)
        ):
            drop[i] = True

    # Short lines without end punctuation: alt text, map labels, or headings. Those before
    # the first and after the last real paragraph cannot be subheadings: they head nothing.
    kept_body = [i for i, line in enumerate(lines) if line and not drop[i] and not _is_short(line)]
    first = kept_body[0] if kept_body else len(lines)
    last = kept_body[-1] if kept_body else -1
    kickers: list[int] = []
    for i, line in enumerate(lines):
        if not line or drop[i] or protected[i] or not _is_short(line):
            continue
        if _looks_like_alt_text(line, rules):
            drop[i] = True
        elif i < first or i > last:
            drop[i] = True
            if i < first:
                kickers.append(i)
    return drop, kickers


def _paragraphs(lines: list[str], drop: list[bool]) -> list[str]:
    """Group kept lines into paragraphs; a blank or stripped line ends one."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line, dropped in zip(lines, drop, strict=True):
        if not line or dropped:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if current:
            prev = current[-1]
            runs_on = not _END_PUNCT.search(prev) and (
                len(prev.split()) >= _WRAPPED_LINE_WORDS or line[:1].islower()
            )
            if not (runs_on or prev.endswith(",")):
                paragraphs.append(" ".join(current))
                current = []
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _cut_tails(paragraphs: list[str], rules: _Rules, removed: list[str]) -> None:
    """Cut footers glued to the end of the text (one-line scrapes carry them inline)."""
    while paragraphs:
        last = paragraphs[-1]
        # a footer is a few hundred characters: looking only at the paragraph's end keeps the
        # tail patterns (which scan back from every start) linear on a 300,000-character line
        window = max(0, len(last) - _TAIL_WINDOW)
        for pattern, needle in zip(rules.tails, rules.tail_needles, strict=True):
            if needle is not None and not needle.search(last, window):
                continue
            match = pattern.search(last, window)
            if match:
                removed.append(match.group().strip())
                last = last[: match.start()].rstrip()
                break
        else:
            return
        if last:
            paragraphs[-1] = last
        else:
            paragraphs.pop()


def _tag_run_end(words: list[str], rules: _Rules) -> int | None:
    """Index of the first word of the body after a run of topic tags, or None when unsure.

    Tags are names and short noun phrases ("Syria Idlib regime airstrikes Khan Sheikhun"); the
    body starts at a capitalised sentence starter ("The", "At", "Three", "Dozens", a number),
    or else at the capitalised word before the first lower-case run that holds a function word
    ("Government air raids in a ..." -> "Government"), not counting one inside a name ("Syrian
    Observatory for Human Rights").
    """
    for i, word in enumerate(words[:_TAG_RUN_MAX_WORDS]):
        if i == 0:
            continue
        if word in rules.starters or word[:1].isdigit():
            return i
        if word.casefold() in rules.function_words and word.islower():
            prev, nxt = words[i - 1], words[i + 1] if i + 1 < len(words) else ""
            if prev[:1].isupper() and nxt[:1].isupper():
                continue  # inside a name
            j = i - 1
            while j > 0 and not words[j][:1].isupper():
                j -= 1
            return j if j > 0 else None
    return None


def _credit_run_end(words: list[str], rules: _Rules) -> int | None:
    """Index of the first word of the text after a photo credit with a glued Title Case run (the
    photographer's name, a related headline), or None when no such run follows.

    The run is the capitalised words (and the short words headlines keep in lower case) up to
    the first lower-case word; the text resumes at the last sentence starter inside it ("...
    Executed Christians According to Konashenkov Russian military" -> "According"), else at
    the capitalised word just before the lower-case one ("Bassam Khabieh Assads officials").
    """
    stop = 0
    while stop < len(words):
        word = words[stop]
        titled = word[:1].isupper() or word[:1].isdigit() or (word[:1] == "(" and word[1:2].isupper())
        if not (titled or word in rules.headline_words or word in ("-", "–")):
            break
        stop += 1
    if stop >= len(words) or stop < _CREDIT_RUN_MIN_WORDS:
        return None
    starters = [i for i in range(1, stop) if words[i] in rules.starters]
    if starters:
        return starters[-1]
    return stop - 1 if stop - 1 >= _CREDIT_RUN_MIN_WORDS - 1 else None


def _strip_inline(paragraphs: list[str], rules: _Rules, removed: list[str]) -> None:
    """Cut site furniture run into the text of one-line scrapes: photo captions with their credit,
    runs of topic tags, photo credits followed by a related headline."""
    for k, paragraph in enumerate(paragraphs):
        for pattern in rules.inline:
            pieces: list[str] = []

            def cut(match: re.Match[str], pieces: list[str] = pieces) -> str:
                keep = match.groupdict().get("keep") or ""
                pieces.append(match.group()[len(keep) :].strip())
                return keep

            paragraph = pattern.sub(cut, paragraph)
            removed.extend(p for p in pieces if p)
        for opener, find_end in ((rules.tag_run, _tag_run_end), (rules.credit_run, _credit_run_end)):
            if opener is None:
                continue
            pos = 0
            while True:
                match = opener.search(paragraph, pos)
                if match is None:
                    break
                words = paragraph[match.end() :].split(" ")
                end = find_end(words, rules)
                if end is None:
                    pos = match.end()
                    continue
                removed.append((paragraph[match.start() : match.end()] + " ".join(words[:end])).strip())
                paragraph = paragraph[: match.start()] + " ".join(words[end:])
                pos = match.start()
        paragraphs[k] = _collapse(paragraph)
    paragraphs[:] = [p for p in paragraphs if p]


# ------------------------------------------------------------------ sentences

# End punctuation, then any closing quotes/brackets, then a space or the end of the paragraph.
_TERMINAL = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)")
_OPENERS = "\"'(["
_TOKEN_BEFORE = re.compile(r"(\S+)$")
_ACRONYM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]|[A-Z]")
_WORD = re.compile(r"[\w'.-]+")
_TOKEN_LOOKBACK = 64  # longer than any abbreviation or acronym


def _next_words(paragraph: str, pos: int, count: int) -> list[str]:
    return [w.strip(".'") for w in _WORD.findall(paragraph, pos, min(len(paragraph), pos + 80))[:count]]


def _is_boundary(paragraph: str, match: re.Match[str], rules: _Rules) -> bool:
    nxt = match.end()
    while nxt < len(paragraph) and paragraph[nxt].isspace():
        nxt += 1
    if nxt >= len(paragraph):
        return True
    probe = nxt
    while probe < len(paragraph) and paragraph[probe] in _OPENERS:
        probe += 1
    if probe >= len(paragraph):
        return True
    head = paragraph[probe]
    if head.islower() or head in ",;:)":
        return False  # the sentence goes on: "3 p.m. on Monday", "U.S. officials"
    words = _next_words(paragraph, probe, 4)
    punct = match.group().rstrip("\"')]")
    if punct in ("?", "!") and len(punct) < len(match.group()):
        # '"... STOP!" Mr Trump wrote': the attribution belongs to the quoted sentence
        return not any(w.casefold() in rules.speech_verbs for w in words)
    if punct != ".":
        return True
    # only the word before the stop matters: a bounded look back keeps the splitter linear
    before = _TOKEN_BEFORE.search(paragraph, max(0, match.start() - _TOKEN_LOOKBACK), match.start())
    token = before.group(1).lstrip(_OPENERS) if before else ""
    if token in rules.abbrev_title:
        return False
    if token in rules.abbrev or _ACRONYM.fullmatch(token):
        # "in the U.S. The strike ..." ends a sentence; "U.S. President ..." does not
        return bool(words) and words[0] in rules.starters
    return True


def _split_paragraph(paragraph: str, offset: int, rules: _Rules) -> list[Sentence]:
    spans: list[Sentence] = []
    start = 0
    for match in _TERMINAL.finditer(paragraph):
        if match.end() <= start or not _is_boundary(paragraph, match, rules):
            continue
        spans.append({"start": offset + start, "end": offset + match.end()})
        start = match.end()
        while start < len(paragraph) and paragraph[start].isspace():
            start += 1
    if start < len(paragraph):
        spans.append({"start": offset + start, "end": offset + len(paragraph)})
    return spans


def split_sentences(text: str) -> list[Sentence]:
    """Sentence spans of ``text`` (paragraphs separated by blank lines); offsets into ``text``."""
    rules = _rules()
    spans: list[Sentence] = []
    offset = 0
    for paragraph in text.split("\n\n"):
        stripped = paragraph.strip()
        if stripped:
            spans.extend(_split_paragraph(stripped, offset + paragraph.index(stripped), rules))
        offset += len(paragraph) + 2
    return spans


# ------------------------------------------------------------------ the stage


def content_hash(title: str, text: str) -> str:
    """sha256 hex of the case-folded, whitespace-collapsed title + text."""
    return hashlib.sha256(_collapse(f"{title} {text}".casefold()).encode("utf-8")).hexdigest()


def _field(article: Mapping[str, object], key: str, default: str | None = None) -> str:
    """The string field ``key``; ``default`` stands in for a missing or null optional field."""
    value = article.get(key)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise StageError(f"article field {key!r} must be a string, got {type(value).__name__}")
    return value


def _instant(published_at: str) -> dt.datetime:
    """The publication time as an aware datetime (a plain date is its midnight UTC)."""
    try:
        when = dt.datetime.fromisoformat(published_at.replace(" ", "T", 1))
    except ValueError as exc:
        raise StageError(f"published_at is not an ISO date or date-time: {published_at[:40]!r}") from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _publication(
    fields: Mapping[str, object], title: str, body: str, now: dt.datetime | None, tolerance: dt.timedelta
) -> tuple[str, bool]:
    """(published_at, inferred): the article's own time, checked against ``now``; without one,
    a date read from the text (:func:`~workers.stages.dates.infer_published`), else ``now``'s
    date, else "" (no clock and no date in the text)."""
    given = _field(fields, "published_at", "").strip()
    if given:
        when = _instant(given)
        if now is not None:
            now_aware = now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)
            if when > now_aware + tolerance:
                raise StageError(
                    f"published_at in the future: {given[:40]!r} is after {now_aware.isoformat()}"
                )
        return given, False
    inferred = infer_published([title, body])
    if inferred is None and now is not None:
        inferred = now.date().isoformat()
    return inferred or "", True


def _bounded(text: str, spans: list[Sentence], removed: list[str]) -> tuple[str, list[Sentence]]:
    """At most MAX_SENTENCES sentences of at most MAX_SENTENCE_CHARS characters each; an
    over-long "sentence" (a list, a table, a text without stops) is split at the last space
    before the limit (or at the limit when there is none)."""
    out: list[Sentence] = []
    for span in spans:
        start, end = span["start"], span["end"]
        while end - start > MAX_SENTENCE_CHARS:
            cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
            cut = cut if cut > start else start + MAX_SENTENCE_CHARS
            out.append({"start": start, "end": cut})
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            out.append({"start": start, "end": end})
    if len(out) > MAX_SENTENCES:
        end = out[MAX_SENTENCES - 1]["end"]
        removed.append(f"[text cut after {MAX_SENTENCES} sentences: {len(text) - end} characters dropped]")
        text, out = text[:end], out[:MAX_SENTENCES]
    return text, out


def normalize(
    article: RawArticle,
    *,
    now: dt.datetime | None = None,
    future_tolerance: dt.timedelta = DEFAULT_FUTURE_TOLERANCE,
) -> NormalizedArticle:
    """Clean one raw article; raise :class:`StageError` if nothing readable is left.

    ``title`` may be missing or empty: the first sentence then serves as the headline.
    ``published_at`` may be missing: a date is inferred from the text (see :func:`_publication`)
    and the output says so (``published_at_inferred``). ``now`` is the processing time: a
    publication time more than ``future_tolerance`` after it is a StageError; None
    (offline tools without a clock) skips that check.
    """
    fields = cast(Mapping[str, object], article)
    article_id = _field(fields, "id")
    if not article_id.strip():
        raise StageError("article id is empty")
    title = _collapse(_clean_chars(_field(fields, "title", "")))
    raw_body = _field(fields, "body")
    removed: list[str] = []
    if len(raw_body) > MAX_BODY_CHARS:
        # bounded work: nothing real is this long; the rest is dropped, and said so
        removed.append(f"[body cut at {MAX_BODY_CHARS} of {len(raw_body)} characters]")
        raw_body = raw_body[:MAX_BODY_CHARS]
    body = _clean_chars(raw_body)
    url = fields.get("url")
    if url is not None and not isinstance(url, str):
        raise StageError(f"article {article_id!r}: url must be a string or null")
    language = fields.get("language")
    source = _collapse(_clean_chars(_field(fields, "source", "")))
    published_at, inferred = _publication(fields, title, body, now, future_tolerance)

    text, title = _clean_body(article_id, title, body, removed)
    text, sentences = _bounded(text, split_sentences(text), removed)
    if not title:
        # no headline (WAD rows have none): the first sentence stands in for it
        title = text[sentences[0]["start"] : sentences[0]["end"]] if sentences else text[:MAX_SENTENCE_CHARS]

    out: NormalizedArticle = {
        "schema_version": SCHEMA_VERSION,
        "id": article_id,
        "source": source or "unknown",
        "url": url,
        "published_at": published_at,
        "language": language.strip() if isinstance(language, str) and language.strip() else DEFAULT_LANGUAGE,
        "title": title,
        "text": text,
        "sentences": sentences,
        "content_hash": content_hash(title, text),
        "removed": removed,
    }
    if inferred:
        out["published_at_inferred"] = True
    return out


def _clean_body(article_id: str, title: str, body: str, removed: list[str]) -> tuple[str, str]:
    """(text, title): boilerplate lines, tails and inline furniture cut, paragraphs joined;
    the title replaced by the first headline-like line when it is junk. StageError when
    nothing is left."""
    rules = _rules()
    lines = [_collapse(line) for line in body.split("\n")]
    # A scraped title field sometimes holds page junk ("fbpx", "News"); the real headline is
    # then the first heading-like line above the body. Without one the title stays as it is:
    # a poor title is no reason to lose the article.
    junk_title = bool(title) and _is_rule_boilerplate(title, "", rules)
    drop, kickers = _classify(lines, "" if junk_title else title, rules)
    promoted = kickers[0] if junk_title and kickers else -1
    removed.extend(line for i, line in enumerate(lines) if drop[i] and i != promoted)
    if promoted >= 0:
        removed.insert(0, title)
        title = lines[promoted]
    paragraphs = _paragraphs(lines, drop)
    _cut_tails(paragraphs, rules, removed)
    _strip_inline(paragraphs, rules, removed)
    if not paragraphs:
        detail = f" ({len(removed)} boilerplate lines stripped)" if removed else ""
        raise StageError(f"article {article_id!r}: body is empty after cleaning{detail}")
    return "\n\n".join(paragraphs), title
