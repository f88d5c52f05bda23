"""spaCy components that add our gazetteers to the model's output.

``conflictwire_actors`` (after the parser and NER) fills ``doc.spans["actors"]``:
phrase-matcher hits of the actor gazetteer (``workers/data/actors.jsonl``) plus the
model's ORG / NORP / PERSON entities the gazetteer does not cover (label ``""``,
i.e. unresolved). Each span's ``label_`` is the actor id, its ``kb_id_`` the name
form that matched: ``alias``, ``demonym`` (kept only before a force or attack noun:
"Russian jets") or ``metonym`` (a capital kept only as the subject of a verb or
the one accused: "Moscow says"), or ``ner`` for an unresolved entity.

``conflictwire_places`` fills ``doc.spans["places"]``: GPE / LOC / FAC entities and
phrase-matcher hits of Syrian place names, country names and first-level division names
(which the small model often misses or mislabels), minus anything inside a resolved actor
span; then names the model labelled otherwise where the words say a place ("in Konduga",
"the town of X"). Each span is resolved in its article's context (:func:`place_context`:
the dominant country from country names, demonyms and names of one country; the divisions
named) and the reading is stored on the span: :func:`place_of` gives it. "The capital"
becomes the capital of the country named before it (or of the article's country); an
article naming no place of its dominant country gets a country-level place at its first
demonym ("Iraqi officials say ...").

Both read their data once, when the pipeline is built.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pycountry
from spacy.attrs import ENT_TYPE, IS_ALPHA, LOWER, ORTH, POS  # type: ignore[import-not-found]
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.parts_of_speech import NOUN, PROPN  # type: ignore[import-not-found]
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from workers.gazetteer.actors import actor, all_actors, is_acronym, resolve_actor, surface_variants
from workers.gazetteer.places import (
    FOREIGN_POPULATION,
    Candidates,
    PlaceContext,
    PlaceEntry,
    actor_country,
    admin_words,
    capital_of,
    choose_place,
    country_entry,
    demonym_country,
    glued_direction,
    known_name,
    matcher_names,
    place_candidates,
    place_key,
    resolve_in_context,
    resolve_place,
)

LEXICON_FILE = Path(__file__).resolve().parent.parent / "data" / "role_lexicon.json"

ACTOR_LABELS = frozenset({"ORG", "NORP", "PERSON"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_FORM_RANK = {"alias": 0, "metonym": 1, "demonym": 2}
_NOMINAL = frozenset({"NOUN", "PROPN", "ADJ", "X"})


@dataclass(frozen=True)
class Lexicon:
    attack_verbs: frozenset[str]
    weak_attack_verbs: frozenset[str]
    attack_nouns: frozenset[str]
    force_nouns: frozenset[str]
    speech_verbs: frozenset[str]
    backer_words: frozenset[str]
    target_preps: frozenset[str]
    by_preps: frozenset[str]
    negations: frozenset[str]
    object_required_verbs: frozenset[str]
    prefix_words: frozenset[str]
    headline_lowercase: frozenset[str]
    irregular_forms: dict[str, str]
    known: frozenset[str]
    coordination_words: frozenset[str]
    earlier_time_phrases: tuple[str, ...]
    capital_qualifiers: frozenset[str]
    hypothetical_words: frozenset[str]
    modal_verbs: frozenset[str]
    time_nouns: frozenset[str]
    non_state_nouns: frozenset[str]
    subordinators: frozenset[str]


@cache
def lexicon() -> Lexicon:
    """The role word lists of ``workers/data/role_lexicon.json`` (read once)."""
    raw = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))

    def words(key: str) -> frozenset[str]:
        return frozenset(str(w).lower() for w in raw[key])

    return Lexicon(
        attack_verbs=words("attack_verbs"),
        weak_attack_verbs=words("weak_attack_verbs"),
        attack_nouns=words("attack_nouns"),
        force_nouns=words("force_nouns"),
        speech_verbs=words("speech_verbs"),
        backer_words=words("backer_words"),
        target_preps=words("target_preps"),
        by_preps=words("by_preps"),
        negations=words("negations"),
        object_required_verbs=words("object_required_verbs"),
        prefix_words=words("prefix_words"),
        headline_lowercase=words("headline_lowercase"),
        irregular_forms={str(k).lower(): str(v).lower() for k, v in raw["irregular_forms"].items()},
        known=frozenset().union(
            *(
                words(k)
                for k in (
                    "attack_verbs",
                    "weak_attack_verbs",
                    "attack_nouns",
                    "force_nouns",
                    "speech_verbs",
                    "object_required_verbs",
                )
            ),
            {"claim", "responsibility", "according", "blame", "accuse", "hold", "charge"},
        ),
        coordination_words=words("coordination_words"),
        earlier_time_phrases=tuple(sorted(words("earlier_time_phrases"))),
        capital_qualifiers=words("capital_qualifiers"),
        hypothetical_words=words("hypothetical_words"),
        modal_verbs=words("modal_verbs"),
        time_nouns=words("time_nouns"),
        non_state_nouns=words("non_state_nouns"),
        subordinators=words("subordinators"),
    )


_SUFFIXES = (
    ("ies", "y"),
    ("ied", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("d", ""),
    ("ing", ""),
    ("ing", "e"),
)


def base_form(word: str) -> str:
    """Lemma of a lower-case word as far as our word lists care: irregular forms, then suffixes.

    "killed" -> "kill", "strikes" -> "strike", "shelling" -> "shelling" (listed),
    "hitting" -> "hit"; a word whose stripped form is not a listed word stays as it is.
    """
    lex = lexicon()
    if word in lex.irregular_forms:
        return lex.irregular_forms[word]
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)] + repl
            if stem in lex.known:
                return stem
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in lex.known:  # "hitting", "shelled"
                return stem[:-1]
    return word  # listed as it is ("shelling" when no verb fits), or unknown


def lemma(token: Token) -> str:
    """Lower-case lemma: spaCy's when its lemmatizer ran, else :func:`base_form`."""
    if token.lemma_:
        return token.lemma_.lower()
    return base_form(token.lower_)


def first_conjunct(token: Token) -> Token:
    while token.dep_ == "conj" and token.head is not token:
        token = token.head
    return token


def is_backer(span: Span) -> bool:
    """ "Russia-backed", "US-led", "pro-regime": the actor qualifies someone else."""
    doc = span.doc
    nxt = span.end
    if nxt + 1 < len(doc) and doc[nxt].text in {"-", "–"} and doc[nxt + 1].lower_ in lexicon().backer_words:
        return True
    # "pro-regime", "anti-government": a qualifier of someone else
    start = span.start
    return (
        start >= 2 and doc[start - 1].text in {"-", "–"} and doc[start - 2].lower_ in lexicon().prefix_words
    )


def phrase_patterns(nlp: Language, texts: Iterable[str], *, exact: bool = False) -> list[list[int]]:
    """Phrase-matcher patterns for ``texts``: per text, its tokens' LOWER hashes (ORTH when ``exact``).

    What ``PhraseMatcher.add`` computes from a Doc, made one Doc at a time: a list of Docs, one per
    gazetteer name (28,000 places), held about 140 MiB until the matcher was built, and the process
    kept that memory after freeing it (its peak RSS; workers run two to a machine).
    """
    out = []
    for text in texts:
        doc = nlp.make_doc(text)
        if len(doc):  # PhraseMatcher.add skips an empty Doc
            out.append([t.orth if exact else t.lower for t in doc])
    return out


def _add_patterns(
    matcher: PhraseMatcher,
    nlp: Language,
    key: str,
    names: Iterable[str],
    *,
    possessive: bool = True,
    exact: bool = False,
) -> None:
    texts = (v for name in names for v in sorted(surface_variants(name, possessive=possessive)))
    patterns = phrase_patterns(nlp, texts, exact=exact)
    if patterns:
        matcher.add(key, patterns)  # type: ignore[arg-type]  # the stub says Docs; hash arrays are what it makes of them


class ActorRecognizer:
    """Gazetteer actors and unresolved actor-like entities -> ``doc.spans["actors"]``."""

    def __init__(self, nlp: Language) -> None:
        self.folded = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        for entry in all_actors().values():
            for form, names in (
                ("alias", entry.aliases),
                ("demonym", entry.demonyms),
                ("metonym", entry.metonyms),
            ):
                key = f"{form}|{entry.id}"
                loose = form != "demonym"  # "Syrians" is not "Syrian's"
                _add_patterns(
                    self.exact, nlp, key, [n for n in names if is_acronym(n)], possessive=loose, exact=True
                )
                _add_patterns(
                    self.folded, nlp, key, [n for n in names if not is_acronym(n)], possessive=loose
                )

    def __call__(self, doc: Doc) -> Doc:
        found: dict[tuple[int, int], tuple[str, str]] = {}
        for matcher in (self.exact, self.folded):
            for match_id, start, end in matcher(doc):
                form, actor_id = doc.vocab.strings[match_id].split("|", 1)
                span = doc[start:end]
                if not self._plausible(span, form, actor_id):
                    continue
                old = found.get((start, end))
                if old is None or _FORM_RANK[form] < _FORM_RANK[old[0]]:
                    found[(start, end)] = (form, actor_id)
        spans = [Span(doc, s, e, label=aid, kb_id=form) for (s, e), (form, aid) in found.items()]
        spans = filter_spans(spans)
        taken = {i for span in spans for i in range(span.start, span.end)}
        for ent in doc.ents:
            if ent.label_ not in ACTOR_LABELS or any(i in taken for i in range(ent.start, ent.end)):
                continue
            entry = resolve_actor(ent.text)
            if entry is None and not _actor_like(ent):
                continue
            spans.append(Span(doc, ent.start, ent.end, label=entry.id if entry else "", kb_id="ner"))
        doc.spans["actors"] = sorted(spans, key=lambda s: s.start)
        return doc

    @staticmethod
    def _plausible(span: Span, form: str, actor_id: str = "") -> bool:
        text = span.text
        root = span.root
        if form == "alias":
            # lower-case common words ("monitor", "rebel", "government") only as nouns
            return text[:1].isupper() or root.pos_ in _NOMINAL or not root.pos_
        if form == "demonym":
            return demonym_applies(span, actor_id)
        # metonym: a capital acts only as the subject of a clause or the one accused
        head = first_conjunct(root)
        if head.dep_ in {"nsubj", "nsubjpass"}:
            return True
        return head.dep_ == "dobj" and lemma(head.head) in {"accuse", "blame", "urge", "warn", "call"}


def _actor_like(ent: Span) -> bool:
    """An unresolved entity worth keeping: not a mislabelled place, not a bare adjective ("European")."""
    if resolve_place(ent.text) is not None:
        return False
    if ent.label_ == "NORP":
        return ent.root.pos_ in {"NOUN", "PROPN"} and ent.root.dep_ not in {"amod", "compound"}
    return True


def demonym_applies(span: Span, actor_id: str = "") -> bool:
    """A demonym names the actor when it modifies a force or attack noun, or stands as a plural noun."""
    lex = lexicon()
    root = first_conjunct(span.root)
    head = root.head
    # a state's demonym does not name its forces before "rebels", "jihadists" ... ("Syrian rebels")
    actor_id = actor_id or span.label_
    state = bool(actor_id) and actor(actor_id).kind == "state_force"

    def non_state(noun: Token) -> bool:
        return lemma(noun) in lex.non_state_nouns or noun.lower_ in lex.non_state_nouns

    def names_actor(noun: Token) -> bool | None:
        word = lemma(noun)
        if state and (
            non_state(noun)
            or any(c.dep_ in {"compound", "amod"} and c is not root and non_state(c) for c in noun.children)
        ):
            return False  # "Syrian rebels", "Syrian rebel fighters"
        if word in lex.force_nouns or word in lex.attack_nouns:
            return True
        return None

    if root.dep_ in {"amod", "compound", "nmod", "poss"} and head is not root:
        # walk over further modifiers: "Russian fighter jets", "Syrian government forces"
        while (
            head.dep_ in {"compound", "amod"}
            and head.head is not head
            and head.head.pos_ in {"NOUN", "PROPN"}
        ):
            verdict = names_actor(head)
            if verdict is not None:
                return verdict
            head = head.head
        return bool(names_actor(head))
    return False


def _locates(actor_span: Span) -> bool:
    """A local body named after its town ("Aleppo Police Command", "Manbij Military Council"):
    the place in its name still counts as a place. Metonyms ("Damascus government") do not."""
    first = actor_span[0]
    if len(actor_span) < 2 or not first.text[:1].isupper():
        return False
    if any(t.ent_type_ == "PERSON" for t in actor_span):
        # a person's first name is no town: "Vladimir Putin" is not Vladimir Oblast (HRD
        # hrd-train-987374502, hrd-dev-960512750, and every article naming him in full)
        return False
    place = resolve_place(first.text)
    if place is None or place.admin1 is None:
        return False
    if actor_span.label_:
        metonyms = {m.lower() for m in actor(actor_span.label_).metonyms}
        if first.lower_ in metonyms:
            return False
    return True


_WATER_WORDS = frozenset({"Gulf", "Bay", "Sea", "Strait", "Straits"})


@cache
def _water_word_ids() -> npt.NDArray[np.uint64]:
    return np.array(sorted({get_string_id(w) for w in {*_WATER_WORDS, "Lake"}}), dtype=np.uint64)


def _water_tokens(doc: Doc) -> set[int]:
    """Tokens of water names ("Lake Chad", "Gulf of Guinea", "Lake Albert"): the country or town
    in them is no place the article is set in (WAD wad-01130, wad-06187; HRD hrd-dev-924516438,
    hrd-dev-972349378)."""
    out: set[int] = set()
    if not len(doc):
        return out
    # candidates from the ORTH column, not a Token per word (see :func:`_column`)
    for i in np.flatnonzero(np.isin(_column(doc, ORTH), _water_word_ids())).tolist():
        token = doc[i]
        if token.text == "Lake":
            start = i + 1
        elif i + 2 < len(doc) and doc[i + 1].lower_ == "of":
            start = i + 2
        else:
            continue
        end = start
        while end < len(doc) and end - start < _MAX_NAME_TOKENS and doc[end].text[:1].isupper():
            end += 1
        if end > start:
            out.update(range(i, end))
    return out


def _in_water_name(span: Span, water: set[int]) -> bool:
    """Whether a candidate lies in a water name: "Chad" in "Lake Chad", or "Lake Albert" whole
    unless a town of that name is known anywhere ("Lake Charles"); "Salt Lake City" begins before
    it and stays."""
    if span.start not in water:
        return False
    if span[0].text == "Lake" or span[0].text in _WATER_WORDS:
        return resolve_place(span.text) is None
    return True


def _ids(words: Iterable[str]) -> npt.NDArray[np.uint64]:
    """The string ids (hashes) of ``words``, to compare with a column of ``Doc.to_array``."""
    return np.array(sorted({get_string_id(w) for w in words}), dtype=np.uint64)


@cache
def _label_ids(labels: frozenset[str]) -> npt.NDArray[np.uint64]:
    return _ids(labels)


@cache
def _admin_word_ids() -> npt.NDArray[np.uint64]:
    return _ids(admin_words())


def _column(doc: Doc, attr: int) -> npt.NDArray[np.uint64]:
    """One token attribute of the whole doc as an array (ids, as ``Doc.to_array`` gives them).

    The scans below look at every token; building a ``Token`` object per token cost more than
    the tests themselves, so they pick their few candidates from arrays first."""
    return np.asarray(doc.to_array([attr]), dtype=np.uint64).reshape(-1)


_CAPITALISED: dict[int, bool] = {}  # word id -> its first character is upper case
_CAPITALISED_MAX = 200_000  # a long-running worker meets new words for ever: start afresh then


def _capitalised(doc: Doc) -> npt.NDArray[np.bool_]:
    """Per token: ``token.text[:1].isupper()``, looked up by word id (words recur)."""
    known, strings = _CAPITALISED, doc.vocab.strings
    if len(known) > _CAPITALISED_MAX:
        known.clear()
    out = []
    for orth in _column(doc, ORTH).tolist():
        cap = known.get(orth)
        if cap is None:
            cap = known[orth] = strings[orth][:1].isupper()
        out.append(cap)
    return np.array(out, dtype=bool)


def _whole_compounds(doc: Doc, spans: list[Span]) -> list[Span]:
    """A name joined by a hyphen to a capitalised word is read whole when the gazetteer knows the
    compound: "Katsina-Ala Local Government Area" is in Benue, not Katsina State (WAD wad-07014).
    An unknown compound keeps its first part ("the Jalalabad-Torkham highway", "BEIJING-based")."""
    out: list[Span] = []
    for span in spans:
        end = span.end
        joined = (
            end + 1 < len(doc)
            and doc[end].text == "-"
            and not span[-1].whitespace_
            and not doc[end].whitespace_
            and doc[end + 1].is_alpha
            and doc[end + 1].text[:1].isupper()
        )
        if not joined:
            out.append(span)
            continue
        compound = Span(doc, span.start, end + 2, label="GAZ")
        out.append(compound if known_name(compound.text) else span)
    return out


_DATELINE_END = frozenset({"(", ",", "-", "--", "–", "—", ":"})
_DATELINE_MAX = 3  # words of a dateline's place: "CORPUS CHRISTI", "MEXICO CITY"


def _dateline(doc: Doc) -> list[Span]:
    """The place a news body opens with, its dateline: "RIYADH: ...", "HAVANA (Reuters) - ...",
    "Colombo (News 1st) – ...": a name in capitals before a dateline mark, or a capitalised name
    before an agency's name in brackets, right after the blank line that ends the title. The
    small model leaves most names in capitals unlabelled (HRD hrd-train-1033719583,
    hrd-train-1033522942, hrd-train-872599690, hrd-dev-954906752, hrd-train-894257592,
    hrd-train-986832255, hrd-train-871977073)."""
    start = next((t.i + 1 for t in doc if t.is_space and "\n\n" in t.text), None)
    if start is None:
        return []
    for size in range(_DATELINE_MAX, 0, -1):
        end = start + size
        if end >= len(doc):
            continue
        name, mark = doc[start:end], doc[end]
        if not all(t.is_alpha for t in name) or mark.text not in _DATELINE_END:
            continue
        capitals = all(t.is_upper and len(t) > 1 for t in name)
        if not capitals and not (mark.text == "(" and all(t.is_title for t in name)):
            continue
        if resolve_place(name.text) is not None:
            return [Span(doc, start, end, label="GAZ")]
    return []


def _glued_places(doc: Doc) -> list[Span]:
    """Tokens like "Kobaninorth" (a Syrian place with a direction glued on) that NER misses."""
    if not len(doc):
        return []
    candidates = np.flatnonzero(
        _capitalised(doc)
        & (_column(doc, IS_ALPHA) == 1)
        & ~np.isin(_column(doc, ENT_TYPE), _label_ids(ACTOR_LABELS))
    )
    out: list[Span] = []
    for i in candidates.tolist():
        token = doc[i]
        if glued_direction(token.lower_) and resolve_place(token.text) is not None:
            out.append(Span(doc, i, i + 1, label="GAZ"))
    return out


def _figurative_capital(span: Span) -> bool:
    """ "Syrian capital" names Damascus, but not in "the de facto Syrian capital of IS", nor when
    the capital is named right after it ("Syrias capital Damascus", "... capital Raqqa"): then the
    name that follows is the place."""
    if span[-1].lower_ != "capital":
        return False
    doc = span.doc
    nxt = doc[span.end] if span.end < len(doc) else None
    if nxt is not None and (nxt.lower_ == "of" or nxt.pos_ == "PROPN" or nxt.text[:1].isupper()):
        return True
    before = doc[max(span.start - 3, 0) : span.start]
    return any(t.lower_ in lexicon().capital_qualifiers for t in before)


if not Span.has_extension("place"):
    Span.set_extension("place", default=None)


def place_of(span: Span) -> PlaceEntry | None:
    """The place a span of ``doc.spans["places"]`` denotes in its article (None: unresolved)."""
    entry = span._.place
    return entry if isinstance(entry, PlaceEntry) else None


def _resolvable(text: str) -> bool:
    return bool(place_candidates(text).entries) or resolve_place(text) is not None


_MAX_NAME_TOKENS = 3


def _division_phrases(doc: Doc) -> list[Span]:
    """ "Rivers State", "Jowzjan Province", "Far North region": up to three capitalised words
    before an administrative word, when they name a division (any division name is safe with
    its administrative word; the model often tags the phrase as an organisation)."""
    out: list[Span] = []
    if not len(doc):
        return out
    for i in np.flatnonzero(np.isin(_column(doc, LOWER), _admin_word_ids())).tolist():
        token = doc[i]  # at 0 no name precedes, but "State of Borno" may follow
        for size in range(min(_MAX_NAME_TOKENS, token.i), 0, -1):
            start = token.i - size
            if not all(t.text[:1].isupper() or t.text == "-" for t in doc[start : token.i]):
                continue
            entries = place_candidates(doc[start : token.i + 1].text).entries
            if any(e.kind == "admin1" for e in entries):
                out.append(Span(doc, start, token.i + 1, label="GAZ"))
                break
        if (after := _division_after_of(doc, i)) is not None:
            out.append(after)
    return out


def _division_after_of(doc: Doc, i: int) -> Span | None:
    """ "the state of Rivers", "the province of Herat": the capitalised name after "<word> of",
    when "<name> <word>" names a division (the span is the name; :func:`_admin_hint` reads the word)."""
    if i + 2 >= len(doc) or doc[i + 1].lower_ != "of":
        return None
    word = doc[i].text
    for size in range(min(_MAX_NAME_TOKENS, len(doc) - i - 2), 0, -1):
        name = doc[i + 2 : i + 2 + size]
        if not all(t.text[:1].isupper() or t.text == "-" for t in name) or name[-1].text == "-":
            continue
        if any(e.kind == "admin1" for e in place_candidates(f"{name.text} {word}").entries):
            return Span(doc, name.start, name.end, label="GAZ")
    return None


def _named_division(span: Span) -> bool:
    """ "Benue State", "Jowzjan Province": a division with its administrative word."""
    return place_candidates(span.text).admin_hint or _admin_hint(span)


def _admin_hint(span: Span) -> bool:
    """ "Borno State", "the state of Borno": an administrative word next to the name."""
    doc, words = span.doc, admin_words()
    if span.end < len(doc) and doc[span.end].lower_ in words:
        return True
    return span.start >= 2 and doc[span.start - 1].lower_ == "of" and doc[span.start - 2].lower_ in words


_LEADER_WORDS = frozenset({"led", "backed", "supported", "sponsored", "allied", "funded", "trained", "based"})


_MISSION_WORDS = frozenset({"embassy", "embassies", "consulate", "consulates"})


def _leads_others(ent: Span) -> bool:
    """ "Saudi-led coalition", "Iranian-backed militias", "Pakistan-based news agency", "the Saudi
    consulate in Istanbul": the name says who leads or backs a force, where an organisation sits
    or whose mission a building is, not where the article is set, nor a container of the places
    before it (WAD wad-00901 "Kabul city, private Pakistan-based", wad-04861 "Cairo-based",
    wad-07206 "the Iran consulate in Najaf")."""
    doc = ent.doc
    if ent.end < len(doc) and doc[ent.end].lower_ in _MISSION_WORDS:
        return True
    return ent.end + 1 < len(doc) and doc[ent.end].text == "-" and doc[ent.end + 1].lower_ in _LEADER_WORDS


_BORDER_WORDS = frozenset({"border", "borders", "frontier"})


def _across_border(span: Span) -> bool:
    """ "near the border with Nigeria", "Moyale, bordering Kenya": a neighbour named to say where
    the article is not set (WAD wad-05045, wad-06401, wad-07362, wad-06654)."""
    prev = [t.lower_ for t in span.doc[max(0, span.start - 3) : span.start]]
    if prev and prev[-1] == "the":
        prev = prev[:-1]
    if prev and prev[-1] == "bordering":
        return True
    return len(prev) >= 2 and prev[-2] in _BORDER_WORDS and prev[-1] in {"with", "of"}


def _country_votes(doc: Doc, spans: list[Span]) -> Counter[str]:
    """Countries the article names: country names, names that belong to one country, demonyms,
    armed groups that fight in one country (one vote per group). When none of these is there,
    names whose every reading (villages included) lies in one country decide."""
    votes: Counter[str] = Counter()
    weak: Counter[str] = Counter()
    towns: defaultdict[str, set[str]] = defaultdict(set)
    for span in spans:
        if _across_border(span) or _leads_others(span):
            continue
        cands = place_candidates(span.text)
        hint = cands.admin_hint or _admin_hint(span)
        known = [e for e in cands.entries if e.curated or e.kind != "place" or e.population >= 15_000]
        countries = {e.country for e in known if e.country and e.free}
        if len(countries) == 1:
            # a country or a division the words call one ("Faryab province") outweighs a town name
            if any(e.kind == "country" or (e.kind == "admin1" and hint) for e in known):
                votes[countries.pop()] += 2
            else:
                # a town's name counts once however often it comes back (the headline repeats the lead):
                # "Ruwa" twice does not make Zimbabwe a country the article names
                town_cc = countries.pop()
                towns[town_cc].add(place_key(span.text))
                votes[town_cc] += 0  # first seen here: the order of first mention breaks ties
        elif not countries and len(every := {e.country for e in cands.entries if e.country}) == 1:
            weak[every.pop()] += 1  # "Qayyara", "Tiyeglow": a village only one country has
    for town_cc, names in towns.items():
        votes[town_cc] += len(names)
    for ent in doc.ents:
        if ent.label_ == "NORP" and not _leads_others(ent) and (cc := demonym_country(ent.text)):
            votes[cc] += 1
        elif (
            ent.label_ == "GPE"
            and not any(s.start <= ent.start < s.end for s in spans)
            and not _across_border(ent)
            and not _leads_others(ent)
        ):
            # a country named as an actor ("Iran's parliament", "Iran says") still sets the scene
            entry = resolve_place(ent.text)
            if entry is not None and entry.kind == "country" and entry.country:
                votes[entry.country] += 2
    groups = {s.label_ for s in doc.spans.get("actors", []) if s.label_}
    for group in sorted(groups):
        if cc := actor_country(group):
            votes[cc] += 1
    return votes or weak


def place_context(doc: Doc, spans: list[Span]) -> PlaceContext:
    """Where an article is set: its dominant country (most named; the first named on a tie),
    every country it names, and the first-level divisions it names in those countries."""
    votes = _country_votes(doc, spans)
    if not votes:
        return PlaceContext()
    top = max(votes.values())
    dominant = next(cc for cc in votes if votes[cc] == top)  # Counter keeps first-seen order
    # a country only one town name points to is no country the article names
    named = frozenset(cc for cc, n in votes.items() if n >= 2 or cc == dominant)
    ctx = PlaceContext(dominant, named)
    admin1s = set()
    for span in spans:
        entry = resolve_in_context(span.text, ctx, _admin_hint(span))
        if entry is not None and entry.kind == "admin1" and entry.country and entry.admin1:
            admin1s.add((entry.country, entry.admin1))
    return PlaceContext(dominant, named, frozenset(admin1s))


_LOCATIVE = frozenset({"in", "near", "at", "outside", "around", "of"})
_MISLABELLED = frozenset({"ORG", "PERSON", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT"})
_SETTLEMENT_NOUNS = frozenset(
    {"town", "city", "village", "villages", "towns", "district", "area", "community"}
    # "the township of Coban", "Nganza Commune", "the municipality of Tejeras", "Adila locality"
    | {"township", "commune", "municipality", "locality"}
)


def _located_name(doc: Doc, start: int, end: int) -> bool:
    """A capitalised name right after "in", "near", "at" ... or "the town of" / "village of", or
    right before "town", "city", "village" ("Houthi-controlled Ibb city", "near Janaale town")."""
    if start < 1 or not doc[start].text[:1].isupper():
        return False
    if end < len(doc) and doc[end].lower_ in _SETTLEMENT_NOUNS - {"area", "community"}:
        return True
    prev = doc[start - 1].lower_
    if prev == "of":
        return start >= 2 and doc[start - 2].lower_ in _SETTLEMENT_NOUNS
    # "Yemen's third city Taez", "the town Tal Afar"
    return prev in _LOCATIVE or prev in {"city", "town", "village"}


def _name_pieces(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges that may be a place the model labelled otherwise: entities the small model
    gives a town it does not know ("Ibb city" as a product or a work), proper nouns outside any
    entity, and common nouns capitalised inside a sentence ("Yemen's third city Taez")."""
    pieces = [(e.start, e.end) for e in doc.ents if e.label_ in _MISLABELLED]
    if not len(doc):
        return pieces
    pos = _column(doc, POS)
    outside = _column(doc, ENT_TYPE) == 0
    for i in np.flatnonzero(outside & ((pos == PROPN) | ((pos == NOUN) & _capitalised(doc)))).tolist():
        if pos[i] == PROPN or not doc[i].is_sent_start:
            pieces.append((i, i + 1))
    return pieces


def _with_located_names(
    doc: Doc, spans: list[Span], ctx: PlaceContext | None, pieces: list[tuple[int, int]] | None = None
) -> list[Span]:
    """Add names the model labelled otherwise (ORG, PERSON) or missed, where the words say a place
    ("in Cizre", "the town of Chibok"): before the article's country is known (``ctx`` None) the
    names any article may mean (a country's division, a town over 15,000 people), after it the
    places of its dominant country. An unresolved actor span on the same words is dropped.
    ``pieces``: :func:`_name_pieces` of the doc, when the caller has them already."""
    if ctx is not None and ctx.country is None:
        return spans
    taken = {i for s in spans for i in range(s.start, s.end)}
    resolved_actors = {i for s in doc.spans.get("actors", []) if s.label_ for i in range(s.start, s.end)}
    found: list[Span] = []
    for start, end in _name_pieces(doc) if pieces is None else pieces:
        if any(i in taken or i in resolved_actors for i in range(start, end)):
            continue
        if not _located_name(doc, start, end):
            continue
        text = doc[start:end].text
        entry = resolve_place(text) if ctx is None else resolve_in_context(text, ctx)
        if entry is None and ctx is None:
            entry = _one_country_village(text)
        if entry is None or entry.kind == "country" or (ctx is not None and entry.country != ctx.country):
            continue
        found.append(Span(doc, start, end, label="GAZ"))
        taken.update(range(start, end))
    if found:
        cover = {i for s in found for i in range(s.start, s.end)}
        doc.spans["actors"] = [
            s
            for s in doc.spans.get("actors", [])
            if s.label_ or not any(i in cover for i in range(s.start, s.end))
        ]
    return sorted([*spans, *found], key=lambda s: s.start)


_ONE_COUNTRY_TOWN = 5_000  # people: the smallest town read by its name alone (see below)


def _one_country_village(text: str) -> PlaceEntry | None:
    """A town too small to be read anywhere whose every reading lies in one country ("near
    Bacalar", "the city of Oicha", "in Bajaur Agency"): where the words say a place, it is one
    the article's country is then looked for in (WAD coder summaries name no country:
    wad-06974, wad-07388, wad-04019)."""
    entries = place_candidates(text).entries
    if not entries or len({e.country for e in entries}) != 1 or any(e.kind != "place" for e in entries):
        return None
    town = max(entries, key=lambda e: e.population)
    # a hamlet's name is too often a word ("in Congress": a village of 2,000 in Arizona)
    return town if town.population >= _ONE_COUNTRY_TOWN else None


def _capitals(doc: Doc, places: list[Span], ctx: PlaceContext) -> list[Span]:
    """ "the capital", "the Iraqi capital", "Afghanistan's capital": the capital city of the country
    named just before (else the article's country), unless the capital is named right after
    ("the capital Kabul", "the capital of ...") or is figurative ("the de facto capital")."""
    taken = {i for s in places for i in range(s.start, s.end)}
    out: list[Span] = []
    if not len(doc):
        return out
    for i in np.flatnonzero(_column(doc, LOWER) == np.uint64(get_string_id("capital"))).tolist():
        token = doc[i]
        if token.i in taken or token.i == 0:
            continue
        nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if nxt is not None and (nxt.lower_ == "of" or nxt.text[:1].isupper()):
            continue
        before = doc[max(token.i - 3, 0) : token.i]
        if any(t.lower_ in lexicon().capital_qualifiers for t in before):
            continue
        prev, start, cc = doc[token.i - 1], token.i, None
        if prev.lower_ in {"'s", "’s", "'", "’"} and token.i >= 2:
            prev = doc[token.i - 2]
        owner = next((s for s in places if s.start <= prev.i < s.end), None)
        if owner is not None and (e := place_of(owner)) is not None and e.kind == "country":
            # "Yemen's capital", "Honduras' capital": the country is its own place, the capital
            # another (WAD wad-06625, wad-06847, wad-06922)
            cc = e.country
        elif prev.ent_type_ in {"NORP", "GPE"} and prev.i not in taken:
            named = resolve_place(prev.text)
            cc = demonym_country(prev.text) or (named.country if named and named.kind == "country" else None)
            start = prev.i
        elif prev.lower_ == "the":
            cc = ctx.country
        entry = capital_of(cc) if cc else None
        if entry is not None:
            span = Span(doc, start, token.i + 1, label="GAZ")
            span._.place = entry
            out.append(span)
    return out


def _country_named(ent: Span) -> str | None:
    """The country a demonym or a country name denotes ("Iraqi", "Iran"), or None."""
    if ent.label_ == "NORP":
        return demonym_country(ent.text)
    entry = resolve_place(ent.text)
    return entry.country if entry is not None and entry.kind == "country" else None


def _demonym_place(doc: Doc, places: list[Span], ctx: PlaceContext) -> list[Span]:
    """ "Iraqi officials say a bombing ...", "Iran's parliament", "Taliban fighters killed ...": when
    no place of the dominant country is named, its first demonym or name (as an actor), else the
    first armed group that fights there, places the article in that country, with no division."""
    if ctx.country is None or any(
        (e := place_of(s)) is not None and e.country == ctx.country for s in places
    ):
        return []
    taken = {i for s in places for i in range(s.start, s.end)}
    found = [
        (ent.start, ent.end, ent.label_)
        for ent in doc.ents
        if ent.label_ in {"NORP", "GPE"} and _country_named(ent) == ctx.country
    ]
    found += [
        (s.start, s.end, "GAZ")
        for s in doc.spans.get("actors", [])
        if s.label_ and actor_country(s.label_) == ctx.country
    ]
    for start, end, label in found:
        if not any(i in taken for i in range(start, end)):
            span = Span(doc, start, end, label=label)
            span._.place = country_entry(ctx.country)
            return [span] if span._.place is not None else []
    return []


def _people_country(text: str) -> PlaceEntry | None:
    """The country a people's name (one word) denotes, when the name is made from the country's
    ("Slovak", "Ukrainian", "Emirati"): a name pattern can hit inside any word ("Urugbam" holds
    GB's code) and an ethnic group ("Uighur") is no country's people."""
    if " " in place_key(text):
        return None  # "Southern Africa", "Mexican Gulf": a region, a sea, not a people
    cc = demonym_country(text)
    entry = country_entry(cc) if cc else None
    hit = pycountry.countries.get(alpha_2=cc) if cc else None
    if entry is None or hit is None:
        return None
    stem = place_key(text)[:4]
    names = {entry.name, *(str(getattr(hit, a, "") or "") for a in ("name", "official_name", "common_name"))}
    return entry if any(w.startswith(stem) for n in names for w in place_key(n).split()) else None


def _surnames(doc: Doc) -> frozenset[str]:
    """Last names of the people the article names in full ("Daniel Pearl" -> "Pearl"): the name
    alone later in the article is the person, not the town of that name. Country names excepted."""
    out = set()
    for ent in doc.ents:
        if ent.label_ == "PERSON" and len(ent) >= 2 and ent[-1].is_alpha and ent[-1].text[:1].isupper():
            entry = resolve_place(ent[-1].text)
            if entry is None or entry.kind != "country":
                out.add(ent[-1].text)
    return frozenset(out)


_CONTAINER_GAP = 10  # tokens between a place and the division or country it is said to be in
_NOT_INSIDE = frozenset(
    {"near", "from", "to", "towards", "toward", "between", "and", "or", "border", "outside", "beyond"}
)


def _inside(doc: Doc, place: Span, container: Span) -> bool:
    """ "Kosa Qala village in Faryab province", "Yala Local Government Area of Cross River State",
    "Palma District, northern Mozambique": words of containment ("in", "of", a comma) and no
    verb, sentence end or word of nearness between the place and the one that contains it."""
    gap = doc[place.end : container.start]
    if len(gap) > _CONTAINER_GAP or not any(t.lower_ in {"in", "of", ","} for t in gap):
        return False
    return not any(
        t.lower_ in _NOT_INSIDE
        or t.pos_ in {"VERB", "AUX", "NUM"}
        or t.text in {".", ";", "!", "?", "(", ")"}
        for t in gap
    )


def _major_city(entry: PlaceEntry) -> bool:
    """A city big enough to be known by its name in any article (see FOREIGN_POPULATION)."""
    return entry.kind == "place" and entry.free and entry.population >= FOREIGN_POPULATION


def _read_inside_container(spans: list[Span]) -> None:
    """A place named inside a division or country ("Bangui in Niger", "Ruwa District ... of
    Nasarawa State") takes its reading in that country, preferring one inside that division;
    with no reading there it stays unresolved rather than become a foreign town."""
    for i, span in enumerate(spans):
        entry = place_of(span)
        if entry is not None and entry.kind != "place":
            continue
        container = next(
            (
                c
                for c in spans[i + 1 :]
                if (e := place_of(c)) is not None and e.kind != "place" and e.country and not _leads_others(c)
            ),
            None,
        )
        outer = place_of(container) if container is not None else None
        if outer is None or container is None or not _inside(span.doc, span, container):
            continue
        cc = outer.country
        assert cc is not None
        if (
            entry is not None
            and entry.country == cc
            and (outer.kind == "country" or entry.admin1 == outer.admin1 or _major_city(entry))
        ):
            # a city everyone knows stays where it is: "Chicago, the Twin Cities in Minnesota" and
            # "In Juarez, the Sinaloa Cartel" name no village of Minnesota or Sinaloa
            continue
        admin1s = frozenset({(cc, outer.admin1)}) if outer.admin1 else frozenset()
        readings = tuple(e for e in place_candidates(span.text).entries if e.country == cc)
        chosen = choose_place(Candidates(readings, False), PlaceContext(cc, frozenset({cc}), admin1s))
        if outer.kind == "admin1" and outer.admin1 and (chosen is None or chosen.admin1 != outer.admin1):
            # the words put the town in the division: no reading of it there means the gazetteer
            # misses it or holds a homonym elsewhere ("Tejeras in central Comayagua province",
            # "Takum in Taraba State", "Djugu territory, Ituri Province": WAD wad-00013,
            # wad-06939, wad-07074, wad-06075)
            chosen = PlaceEntry(span.text, outer.admin1, cc, outer.lat, outer.lon)
        span._.place = chosen


class PlaceRecognizer:
    """Place entities and gazetteer place names -> ``doc.spans["places"]``."""

    def __init__(self, nlp: Language) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        names = matcher_names()
        patterns = phrase_patterns(nlp, (v for name in names for v in sorted(surface_variants(name))))
        self.matcher.add("PLACE", patterns)  # type: ignore[arg-type]  # the stub says Docs; hash arrays are what it makes of them

    def __call__(self, doc: Doc) -> Doc:
        actor_tokens = {
            i
            for span in doc.spans.get("actors", [])
            if not _locates(span) and span.label_  # an unresolved entity may hold "... of Benue State"
            for i in range(span.start, span.end)
        }
        loose_tokens = {
            i for span in doc.spans.get("actors", []) if not span.label_ for i in range(span.start, span.end)
        }
        candidates: list[Span] = []
        for ent in doc.ents:
            if ent.label_ in PLACE_LABELS:
                candidates.append(Span(doc, ent.start, ent.end, label=ent.label_))
        for _, start, end in self.matcher(doc):
            span = doc[start:end]
            if (
                # "eSwatini" is written with a small first letter
                any(c.isupper() for c in span.text[:2])
                and resolve_place(span.text) is not None
                and not _figurative_capital(span)
            ):
                candidates.append(Span(doc, start, end, label="GAZ"))
        candidates = _whole_compounds(doc, candidates)
        candidates += _dateline(doc)
        candidates += _glued_places(doc)
        candidates += _division_phrases(doc)
        # prefer resolvable spans, then the longest
        water = _water_tokens(doc)
        candidates = [s for s in candidates if not _in_water_name(s, water)]
        resolvable = [s for s in candidates if _resolvable(s.text)]
        unresolved = [s for s in candidates if s.label_ in {"GPE", "LOC"} and not _resolvable(s.text)]
        chosen = filter_spans(resolvable)
        used = {i for s in chosen for i in range(s.start, s.end)}
        chosen += [s for s in filter_spans(unresolved) if not any(i in used for i in range(s.start, s.end))]
        spans = sorted(
            (
                s
                for s in chosen
                if not any(i in actor_tokens for i in range(s.start, s.end))
                and (not any(i in loose_tokens for i in range(s.start, s.end)) or _named_division(s))
            ),
            key=lambda s: s.start,
        )
        surnames = _surnames(doc)
        spans = [s for s in spans if s.text not in surnames]
        pieces = _name_pieces(doc)
        spans = _with_located_names(doc, spans, None, pieces)
        ctx = place_context(doc, spans)
        spans = _with_located_names(doc, spans, ctx, pieces)
        kept: list[Span] = []
        for span in spans:
            entry = resolve_in_context(span.text, ctx, _admin_hint(span))
            if entry is None and span.label_ == "GAZ":
                continue  # a gazetteer hit with no reading in this article
            if entry is None:
                # a people's name the model took for a place names their country: "A Slovak
                # journalist", "Ukrainian troops", "Honduran migrants" (WAD wad-04880, wad-00721;
                # HRD hrd-train-880057136)
                entry = _people_country(span.text)
            span._.place = entry
            kept.append(span)
        _read_inside_container(kept)
        kept += _capitals(doc, kept, ctx)
        doc.spans["places"] = sorted([*kept, *_demonym_place(doc, kept, ctx)], key=lambda s: s.start)
        return doc
