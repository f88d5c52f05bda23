"""Entity stage: a normalized article and its spaCy ``Doc`` -> actor and place mentions.

Shape: ``NormalizedArticle`` + ``Doc`` (from :func:`workers.nlp.load_pipeline`) ->
``ArticleEntities`` (the article's fields plus ``actors`` and ``places``).

What spaCy sees (:func:`doc_text`): ``title + "\\n\\n" + text``. A mention that starts
inside the title gets ``sentence = -1`` and offsets into ``title``; any other gets
offsets into ``text`` (doc offset minus ``len(title) + 2``) and ``sentence`` = the
index of the ``article["sentences"]`` entry holding its start (the nearest one
before it when it falls between two sentences).

Roles come from the dependency parse, with general rules (word lists in
``workers/data/role_lexicon.json``):

* ``speaker``: subject of a speech verb ("Russia slams ...", "the Observatory said"),
  including "X spokesperson said", or "according to X"; a speaker who says *it* (or
  *they*, *we*) did the violence ("CENTCOM said it had hit ...") is the perpetrator;
* ``perpetrator``: subject of an attack verb ("the US struck"), of a weak verb with an
  attack object ("launched air strikes"), modifier of an attack noun ("Russian air
  strikes", "the regime's shelling"), agent after "by"/"from" ("killed by X",
  "strikes by X"); force nouns count as the actor they belong to ("X's warplanes");
* ``target``: object of an attack verb, passive subject ("X fighters were killed"),
  object of on/against after an attack word ("attack on X"), or what an attack
  noun is "of" ("the shelling of X");
* ``mentioned``: anything else, including backers ("Russia-backed forces").

Monitors, civilians and "other" actors (NGOs, political bodies) are never perpetrators. A
generic actor of the gazetteer ("security forces", "police", "the authorities") gives a mention
with its kind and ``actor_id`` None, unless a named state stands right before it ("the United
States military"); the events stage decides whose forces they are from the event's country.

No I/O besides the lexicon (read once); bad input raises :class:`StageError`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from workers.gazetteer.actors import actor
from workers.nlp.components import first_conjunct, is_backer, lemma, lexicon, place_of
from workers.stages.errors import StageError
from workers.types import ActorKind, ActorMention, ActorRole, ArticleEntities, NormalizedArticle, PlaceMention

SCHEMA_VERSION = 1
TITLE_SEPARATOR = "\n\n"
_MODIFIER_DEPS = frozenset({"compound", "amod", "nmod", "poss"})
_CLIMB_DEPS = _MODIFIER_DEPS | frozenset({"appos", "conj", "det", "nummod", "quantmod", "case", "npadvmod"})
_CLIMB_PREPS = frozenset({"of", "for"})
_BLAME_VERBS = frozenset({"blame", "accuse", "hold", "charge"})
_PRONOUN_SUBJECTS = frozenset({"it", "they", "we", "its", "their", "our"})
_RESPONSIBLE_WORDS = frozenset({"responsible", "accountable"})
_REQUIRED = ("id", "source", "url", "published_at", "title", "text", "sentences", "content_hash")


_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


def model_title(title: str) -> str:
    """The title as the parser should read it: Title Case headlines in sentence case.

    "Kurdish-Led Forces Kill 47 Daesh Militants" parses as a noun phrase; lowering the
    common words of ``headline_lowercase`` (never the first word, never changing the
    length) gives "Kurdish-Led forces kill 47 Daesh militants", which parses as a
    clause. Titles in ordinary case are returned unchanged.
    """
    words = _WORD.findall(title)
    long_words = [w for w in words if len(w) >= 4]
    if len(long_words) < 3 or sum(w[0].isupper() for w in long_words) < 0.7 * len(long_words):
        return title
    common = lexicon().headline_lowercase

    def lower(match: re.Match[str]) -> str:
        word = match.group(0)
        if match.start() == 0 or not word[0].isupper() or not word[1:].islower():
            return word
        return word.lower() if word.lower() in common else word

    return _WORD.sub(lower, title)


def doc_text(article: NormalizedArticle) -> str:
    """The text the model reads: the title (see :func:`model_title`), a blank line, the body.

    It has the same length as ``title + "\n\n" + text``, so offsets carry over; mention
    texts are cut from the article's own title and text, never from this string.
    """
    return f"{model_title(article['title'])}{TITLE_SEPARATOR}{article['text']}"


def _check(article: NormalizedArticle) -> None:
    if not isinstance(article, dict):
        raise StageError(f"a normalized article must be an object, got {type(article).__name__}")
    missing = [k for k in _REQUIRED if k not in article]
    if missing:
        raise StageError(f"normalized article lacks {', '.join(missing)}")
    if not isinstance(article["title"], str) or not isinstance(article["text"], str):
        raise StageError("normalized article title and text must be strings")
    if not isinstance(article["sentences"], list):
        raise StageError("normalized article sentences must be a list")


# ---------------------------------------------------------------- roles


def _is_attack_verb(verb: Token) -> bool:
    lex = lexicon()
    if verb.pos_ not in {"VERB", "AUX"} and verb.dep_ != "ROOT":
        return False
    word = lemma(verb)
    if word in lex.weak_attack_verbs:
        return any(c.dep_ in {"dobj", "nsubjpass"} and _attack_object(c) for c in verb.children)
    return word in lex.attack_verbs


def _is_attack_noun(token: Token) -> bool:
    return lemma(token) in lexicon().attack_nouns or token.lower_ in lexicon().attack_nouns


def _attack_object(token: Token) -> bool:
    """An attack noun, or a noun an attack word qualifies: "used chemical weapons"."""
    return _is_attack_noun(token) or any(
        c.dep_ in {"compound", "amod"} and _is_attack_noun(c) for c in token.children
    )


def _about_attack(token: Token) -> bool:
    """An attack noun or verb in the phrase ``token`` heads ("the killing", "shelling the town")."""
    return any(_is_attack_noun(t) or _is_attack_verb(t) for t in token.subtree)


def _held_responsible(head: Token) -> bool:
    """ "rebels behind the chemical attack", "the army was behind the raid", "militants
    responsible for the killing", "Moscow was responsible for the strike", "hold the regime
    accountable for the attacks": the one a report holds responsible did it (annotators count
    the accused as the doer)."""
    verb = head.head
    holders = [head]
    if head.dep_ == "nsubj" and (
        lemma(verb) in {"be", "seem", "appear", "remain"} or verb.lower_ in _RESPONSIBLE_WORDS
    ):
        holders.append(verb)  # "X was behind it"; "hold X accountable" (a small clause)
    if head.dep_ == "dobj" and lemma(verb) == "hold":
        holders.append(verb)
    for holder in list(holders):
        holders += [c for c in holder.children if c.lower_ in _RESPONSIBLE_WORDS]
    for holder in holders:
        for prep in holder.children:
            if prep.dep_ != "prep" or not any(c.dep_ == "pobj" for c in prep.children):
                continue
            if prep.lower_ == "behind" and holder.lower_ not in _RESPONSIBLE_WORDS and _about_attack(prep):
                return True
            if prep.lower_ == "for" and holder.lower_ in _RESPONSIBLE_WORDS and _about_attack(prep):
                return True
    return False


def _negated(verb: Token) -> bool:
    return any(c.dep_ == "neg" for c in verb.children)


def _climb(token: Token) -> tuple[Token, bool, bool]:
    """Head of the noun phrase an actor token sits in.

    Returns (head, modifies_attack, of_attack): whether on the way the actor
    modified an attack noun ("Russian air strikes") or was what one was "of"
    ("the shelling of Douma").
    """
    modifies_attack = of_attack = False
    for _ in range(12):
        dep = token.dep_
        head = token.head
        if head is token:
            break
        if dep in _CLIMB_DEPS:
            if dep in _MODIFIER_DEPS and _is_attack_noun(head) and head.pos_ in {"NOUN", "PROPN"}:
                modifies_attack = True
            token = head
        elif dep == "pobj" and head.lower_ == "from" and lemma(head.head) in lexicon().force_nouns:
            token = head.head  # "aircraft from the Syrian regime"
        elif (
            dep == "pobj"
            and head.lower_ in _CLIMB_PREPS
            and head.head.pos_ in {"NOUN", "PROPN", "NUM", "PRON"}
        ):
            if _is_attack_noun(head.head):
                of_attack = True
            token = head.head
        else:
            break
    return token, modifies_attack, of_attack


def _speech_claims_violence(verb: Token) -> bool:
    """ "X said it had hit ...": a speech verb whose clause has a pronoun subject doing violence."""
    for clause in verb.children:
        if clause.dep_ not in {"ccomp", "xcomp", "advcl"}:
            continue
        for tok in clause.subtree:
            if tok.dep_ == "nsubj" and tok.lower_ in _PRONOUN_SUBJECTS and _is_attack_verb(tok.head):
                return True
    return False


def _chain_attacks(verb: Token, depth: int = 3) -> bool:
    """An attack verb reached from ``verb`` over xcomp / subjectless conj links."""
    if depth == 0:
        return False
    for child in verb.children:
        if child.dep_ not in {"xcomp", "conj"}:
            continue
        if child.dep_ == "conj" and any(c.dep_.startswith("nsubj") for c in child.children):
            continue
        if _is_attack_verb(child) or _chain_attacks(child, depth - 1):
            return True
    return False


def _weak_verb_of_attack(verb: Token) -> bool:
    """ "strikes carried out by X", "the raid, suspected to have been conducted by X"."""
    candidates = [c for c in verb.children if c.dep_ in {"nsubjpass", "dobj"}]
    node = verb
    for _ in range(3):
        if node.dep_ in {"acl", "relcl"}:
            candidates.append(node.head)
            break
        if node.dep_ in {"xcomp", "ccomp", "conj"} and node.head is not node:
            node = node.head
            candidates += [c for c in node.children if c.dep_ in {"nsubjpass", "nsubj"}]
        else:
            break
    return any(_is_attack_noun(c) for c in candidates)


_VICTIM_NOUNS = frozenset(
    {"people", "person", "civilian", "child", "woman", "man", "soldier", "fighter", "member", "militant"}
)


def _counted(token: Token) -> bool:
    return token.like_num or any(c.dep_ in {"nummod", "quantmod"} or c.like_num for c in token.children)


def _reduced_passive(verb: Token, subject: Token) -> bool:
    """Headline passive: "50 rebels killed", "Four Hezbollah members killed fighting in Syria"."""
    if lemma(verb) not in lexicon().object_required_verbs or verb.tag_ not in {"VBD", "VBN"}:
        return False
    if any(c.dep_ in {"aux", "auxpass"} for c in verb.children):
        return False
    objects = [c for c in verb.children if c.dep_ in {"dobj", "obj", "attr", "dative"}]
    if not objects:
        return True
    # a counted subject and an object that is no victim: the parser misread a headline
    return _counted(subject) and not any(_counted(o) or lemma(o) in _VICTIM_NOUNS for o in objects)


def _blamed_for_violence(verb: Token) -> bool:
    """ "blamed X for the attack", "accused X of shelling": the accused did violence."""
    objects = [c for c in verb.children if c.dep_ == "dobj"]
    for prep in [*verb.children, *(p for o in objects for p in o.children)]:
        if (
            prep.dep_ == "prep"
            and prep.lower_ in {"for", "of"}
            and any(_is_attack_noun(t) or _is_attack_verb(t) for t in prep.subtree)
        ):
            return True
    return False


def _verb_role(head: Token) -> ActorRole | None:
    """Role given by the clause the noun phrase ``head`` is an argument of."""
    lex = lexicon()
    dep = head.dep_
    verb = head.head
    if _held_responsible(head) and not _negated(verb):
        return "perpetrator"
    if dep in {"nsubj", "csubj"}:
        if _negated(verb):
            return "mentioned"
        if lemma(verb) == "claim" and any(lemma(c) == "responsibility" for c in verb.children):
            return "perpetrator"
        if lemma(verb) in lex.speech_verbs:
            return "perpetrator" if _speech_claims_violence(verb) else "speaker"
        if _is_attack_verb(verb):
            return "target" if _reduced_passive(verb, head) else "perpetrator"
        # "X continued to shell", "X advanced and killed", "X managed to advance and kill"
        if _chain_attacks(verb):
            return "perpetrator"
        # "X's claim of responsibility" / "X claimed responsibility"
        if lemma(verb) == "claim" or any(lemma(c) == "responsibility" for c in verb.children):
            return "perpetrator"
        return None
    if dep == "nsubjpass" and _is_attack_verb(verb):
        return "target"
    if dep == "dobj" and _is_attack_verb(verb):
        return "target"
    if dep == "dobj" and lemma(verb) in _BLAME_VERBS and _blamed_for_violence(verb):
        return "perpetrator"
    if dep == "pobj":
        prep = verb
        attached = prep.head
        if prep.lower_ == "from" and _is_attack_noun(attached):
            return "perpetrator"  # "rocket fire from X"
        if prep.lower_ == "by" and (
            _is_attack_verb(attached)
            or _is_attack_noun(attached)
            or (lemma(attached) in lex.weak_attack_verbs and _weak_verb_of_attack(attached))
            or (lemma(attached) == "claim" and attached.tag_ == "VBN")
        ):
            return "perpetrator"
        # "blamed the attack on X", "blaming X for": the one blamed did it
        if prep.lower_ == "on" and (
            lemma(attached) in _BLAME_VERBS
            or (_is_attack_noun(attached) and lemma(attached.head) in _BLAME_VERBS)
        ):
            return "perpetrator"
        if prep.lower_ in lex.target_preps and (_is_attack_verb(attached) or _is_attack_noun(attached)):
            return "target"
        if prep.lower_ == "to" and attached.lower_ == "according":
            return "speaker"
        # "targeted a training camp for X": the object belongs to X
        if (
            prep.lower_ in _CLIMB_PREPS
            and _is_attack_verb(attached)
            and any(c.dep_ == "dobj" for c in attached.children)
        ):
            return "target"
    if dep == "pcomp" and head.lower_ == "according":
        return "speaker"
    # relative clause: "the army, which shelled ..."
    for child in head.children:
        if (
            child.dep_ == "relcl"
            and _is_attack_verb(child)
            and any(c.dep_ == "nsubj" and c.lower_ in {"which", "who", "that"} for c in child.children)
        ):
            return "perpetrator"
    return None


# monitors and news agencies report violence, civilians suffer it; "other" actors (NGOs,
# political bodies) do not fight
_NEVER_PERPETRATORS = frozenset({"monitor", "civilian", "other"})


def role_of(span: Span) -> ActorRole:
    """The role of an actor mention in its clause (see the module docstring)."""
    role = _clause_role(span)
    if role == "perpetrator" and span.label_ and actor(span.label_).kind in _NEVER_PERPETRATORS:
        return "mentioned"
    return role


def _clause_role(span: Span) -> ActorRole:
    if is_backer(span):
        return "mentioned"
    root = span.root
    if root.dep_ == "pobj" and root.head.lower_ == "to" and root.head.head.lower_ == "according":
        return "speaker"
    if _held_responsible(root) and not _negated(root.head):
        return "perpetrator"  # "the accountability of terrorists responsible for the murder"
    head, modifies_attack, of_attack = _climb(first_conjunct(root) if root.dep_ == "conj" else root)
    if modifies_attack:
        # "6 ISIS bombers killed": attackers who are themselves the victims of the clause
        if lemma(head) in lexicon().force_nouns and _verb_role(head) == "target":
            return "target"
        return "perpetrator"
    role = _verb_role(head)
    if role is None and head is not first_conjunct(head):
        role = _verb_role(first_conjunct(head))
    if role is not None:
        return role
    if of_attack:
        return "target"
    return "mentioned"


# ---------------------------------------------------------------- offsets


class _Locator:
    """Doc character offsets -> (sentence index, start, end) in the article's terms."""

    def __init__(self, article: NormalizedArticle) -> None:
        self.title, self.text = article["title"], article["text"]
        self.title_len = len(article["title"])
        self.body_start = self.title_len + len(TITLE_SEPARATOR)
        self.starts = [int(s["start"]) for s in article["sentences"]]

    def source(self, sentence: int) -> str:
        return self.title if sentence == -1 else self.text

    def locate(self, start: int, end: int) -> tuple[int, int, int]:
        if start < self.title_len:
            return -1, start, min(end, self.title_len)
        start, end = max(start - self.body_start, 0), max(end - self.body_start, 0)
        index = bisect_right(self.starts, start) - 1
        return max(index, 0) if self.starts else 0, start, end


# ---------------------------------------------------------------- stage


_STATE_KINDS = frozenset({"state_force", "police", "government"})


def owner_of_generic(span: Span, previous: Span | None) -> str | None:
    """The actor a generic mention belongs to when a named state actor stands right before it:
    "the United States military", "Nigeria's police" -> that state's id; else None."""
    if previous is None or not previous.label_ or not span.label_ or not actor(span.label_).generic:
        return None
    owner = actor(previous.label_)
    if owner.generic or owner.kind not in _STATE_KINDS:
        return None
    between = span.doc[previous.end : span.start]
    return owner.id if all(t.lower_ in {"'s", "’s", "'"} for t in between) else None


def _actor_mention(
    span: Span, role: ActorRole, where: _Locator, previous: Span | None = None
) -> ActorMention:
    sentence, start, end = where.locate(span.start_char, span.end_char)
    entry = actor(span.label_) if span.label_ else None
    # a generic actor ("security forces", "police") has a kind but no id: whose forces they
    # are is decided with the event's country
    actor_id = entry.id if entry is not None and not entry.generic else owner_of_generic(span, previous)
    kind: ActorKind = entry.kind if entry is not None else "other"
    return {
        "actor_id": actor_id,
        "text": where.source(sentence)[start:end],
        "kind": kind,
        "role": role,
        "sentence": sentence,
        "start": start,
        "end": end,
    }


def _place_mention(span: Span, where: _Locator) -> PlaceMention:
    sentence, start, end = where.locate(span.start_char, span.end_char)
    entry = place_of(span)
    text = where.source(sentence)[start:end]
    return {
        "text": text,
        "name": entry.name if entry else text,
        "admin1": entry.admin1 if entry else None,
        "country": entry.country if entry else None,
        "lat": entry.lat if entry else None,
        "lon": entry.lon if entry else None,
        "sentence": sentence,
        "start": start,
        "end": end,
    }


# ---------------------------------------------------------------- article-level role fixes

_VERBAL = frozenset({"VERB", "AUX"})
_SUBCLAUSE_DEPS = frozenset({"ccomp", "advcl", "relcl", "conj", "parataxis", "csubj", "acl"})
_PASSIVE_AUX = frozenset({"be", "is", "are", "was", "were", "been", "being", "get", "gets", "got"})
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATED_YEAR = re.compile(rf"\b(?:in|since|during|until|by|of|{_MONTHS})\s+(?:\d{{1,2}}\s+)?((?:19|20)\d\d)\b")
_GAP_MAX = 10
# an object is never the subject the parser lost ("backed by ally Russia have waged ...")
_OBJECT_DEPS = frozenset({"dobj", "pobj", "iobj", "dative", "attr", "pcomp"})
_PARENTHETICAL_MAX = 5


def _publication_year(article: NormalizedArticle) -> int | None:
    year = str(article.get("published_at") or "")[:4]
    return int(year) if year.isdigit() else None


def _in_subtree(token: Token, index: int) -> bool:
    return token.left_edge.i <= index <= token.right_edge.i


def _clause(token: Token) -> tuple[Token, str]:
    """The nearest verb above ``token`` and the words of its clause: the verb's subtree minus
    the clauses and attack-noun prepositional phrases inside it that do not hold ``token``."""
    verb = token
    for _ in range(12):
        if verb.pos_ in _VERBAL or verb.head is verb:
            break
        verb = verb.head
    excluded: list[Token] = []
    for t in verb.subtree:
        if t is verb or _in_subtree(t, token.i) or any(_in_subtree(c, t.i) for c in excluded):
            continue
        if (t.dep_ in _SUBCLAUSE_DEPS and t.pos_ in _VERBAL) or (
            t.dep_ == "prep" and any(_is_attack_noun(x) for x in t.subtree)
        ):
            excluded.append(t)
    words = " ".join(t.lower_ for t in verb.subtree if not any(_in_subtree(c, t.i) for c in excluded))
    return verb, words


def _governing_verb(token: Token) -> Token:
    verb = token
    for _ in range(12):
        if verb.pos_ in _VERBAL or verb.head is verb:
            break
        verb = verb.head
    return verb


def is_hypothetical(span: Span) -> bool:
    """Violence that has not happened: "a possible US attack", "where American missiles might strike"."""
    lex = lexicon()
    token = span.root
    verb = _governing_verb(token)
    for anc in token.ancestors:
        if anc is verb:
            break
        if _is_attack_noun(anc) and any(
            c.dep_ == "amod" and c.lower_ in lex.hypothetical_words for c in anc.children
        ):
            return True
    return _is_attack_verb(verb) and any(
        c.dep_ == "aux" and c.lower_ in lex.modal_verbs for c in verb.children
    )


def _after_earlier_attack(token: Token) -> bool:
    """ "days after a regime chemical attack", "since the 2013 sarin attack": the actor's attack
    is dated before the news by the preposition that holds it."""
    lex = lexicon()
    verb = _governing_verb(token)
    for anc in token.ancestors:
        if anc is verb:
            break
        if anc.dep_ != "prep" or not any(_is_attack_noun(c) for c in anc.children if c.dep_ == "pobj"):
            continue
        if anc.lower_ == "since":
            return True
        if anc.lower_ in {"after", "before"} and (
            lemma(anc.head) in lex.time_nouns
            or anc.head.lower_ in lex.time_nouns
            or any(c.lower_ in lex.time_nouns for c in anc.children if c.dep_ == "npadvmod")
        ):
            return True
    return False


def is_earlier_context(span: Span, publication_year: int | None, lead_end: int = 0) -> bool:
    """The clause of ``span`` is dated before the reported event: "a chemical attack last
    month", "regime forces have killed thousands since the war began", "in 2013 ..." (a year
    before the publication year). The event picker must not take such an actor as the
    perpetrator of the news. The main clause of the lead (doc characters before ``lead_end``:
    the title and the first sentence) reports the news itself, even when dated "last month"."""
    if _after_earlier_attack(span.root):
        return True
    verb, words = _clause(span.root)
    text = f" {words} "
    if verb.dep_ == "ROOT" and span.start_char < lead_end:
        return False  # the title and the lead report the news, even when it is "last month"
    if any(f" {phrase} " in text for phrase in lexicon().earlier_time_phrases):
        return True
    if publication_year is None:
        return False
    return any(int(m.group(1)) < publication_year for m in _DATED_YEAR.finditer(text))


def _lead_end(article: NormalizedArticle) -> int:
    """Doc offset where the lead ends: after the title and the first sentence of the body."""
    sentences = article["sentences"]
    first_end = int(sentences[0]["end"]) if sentences else 0
    return len(article["title"]) + len(TITLE_SEPARATOR) + first_end


def _can_perpetrate(span: Span) -> bool:
    if is_backer(span):
        return False
    if not span.label_:
        return True
    return actor(span.label_).kind not in _NEVER_PERPETRATORS


def _country_tokens(doc: Doc) -> set[int]:
    out: set[int] = set()
    for span in doc.spans.get("places", []):
        entry = place_of(span)
        if entry is not None and entry.admin1 is None and entry.country is not None:
            out.update(range(span.start, span.end))
    return out


def _coordinated(doc: Doc, left: Span, right: Span, countries: set[int]) -> bool:
    """ "Russia, Syria and, to a lesser extent, Iran": two actors of one list."""
    gap = doc[left.end : right.start]
    if not 0 < len(gap) <= _GAP_MAX or doc[left.start].sent.start != doc[right.start].sent.start:
        return False
    words = lexicon().coordination_words
    joined = any(t.lower_ in words for t in gap)
    rest = [t for t in gap if t.lower_ not in words and t.text != "," and t.i not in countries]
    if not joined:
        return False
    if not rest:
        return True
    # a parenthetical between commas: no verb, no name, no number
    commas = sum(t.text == "," for t in gap)
    return (
        commas >= 2
        and len(rest) <= _PARENTHETICAL_MAX
        and all(t.pos_ not in {"VERB", "AUX", "PROPN", "NUM"} for t in rest)
    )


def _followed_by_attack(doc: Doc, last: Span) -> bool:
    """A list of subjects the parser lost: "..., Iran, are bombing Idlib" -> active attack verb next."""
    i = last.end
    if i < len(doc) and doc[i].text == ")":
        i += 1  # "the Islamic State of Iraq and the Levant (ISIL) overran ..."
    comma = i < len(doc) and doc[i].text == ","
    if comma:
        i += 1
    passive = False
    finite = False
    for _ in range(4):
        if i >= len(doc):
            return False
        tok = doc[i]
        if tok.pos_ == "AUX" or (tok.pos_ in {"ADV", "PART"} and not comma):
            passive = passive or tok.lower_ in _PASSIVE_AUX
            finite = finite or tok.pos_ == "AUX"
            i += 1
            continue
        break
    else:
        return False
    verb = doc[i]
    if verb.pos_ != "VERB" or not _is_attack_verb(verb) or (passive and verb.tag_ == "VBN"):
        return False
    if not any(c.dep_ == "dobj" for c in verb.children):
        return False  # "25 terrorists killed": a headline passive, not an attack
    return finite or (not comma and verb.tag_ in {"VBD", "VBZ", "VBP"})


def _may_be_subject(span: Span) -> bool:
    """Not an object, and not in a prepositional phrase ("backed by ally Russia"); a subordinator
    the parser took for a preposition ("as the Islamic State overran") does not count."""
    subordinators = lexicon().subordinators
    root = span.root
    if root.dep_ in _OBJECT_DEPS and not (root.dep_ == "pobj" and root.head.lower_ in subordinators):
        return False
    doc = span.doc
    before = doc[max(span.sent.start, span.start - 2) : span.start]
    return not any(t.pos_ == "ADP" and t.lower_ not in subordinators for t in before)


def article_roles(doc: Doc, publication_year: int | None = None, lead_end: int = 0) -> list[ActorRole]:
    """Roles of ``doc.spans["actors"]``: :func:`role_of` per mention, then two rules over lists of
    actors (members of a coordinated list share the perpetrator role; a list directly followed
    by an active attack verb did it), then perpetrators in earlier-context clauses -> mentioned."""
    spans = list(doc.spans["actors"])
    roles = [role_of(span) for span in spans]
    countries = _country_tokens(doc)
    groups: list[list[int]] = []
    for i in range(len(spans)):
        if groups and _coordinated(doc, spans[i - 1], spans[i], countries):
            groups[-1].append(i)
        else:
            groups.append([i])
    for group in groups:
        perpetrated = any(roles[i] == "perpetrator" for i in group) or (
            _may_be_subject(spans[group[0]]) and _followed_by_attack(doc, spans[group[-1]])
        )
        if not perpetrated:
            continue
        for i in group:
            if roles[i] == "mentioned" and _can_perpetrate(spans[i]):
                roles[i] = "perpetrator"
    for i, span in enumerate(spans):
        if roles[i] == "perpetrator" and (
            is_earlier_context(span, publication_year, lead_end) or is_hypothetical(span)
        ):
            roles[i] = "mentioned"
    return roles


def extract_entities(article: NormalizedArticle, doc: Doc) -> ArticleEntities:
    """Actor and place mentions of one article, read from its parsed ``doc``."""
    _check(article)
    if doc.text != doc_text(article):
        raise StageError(f"article {article['id']}: the doc was not made from doc_text(article)")
    if "actors" not in doc.spans or "places" not in doc.spans:
        raise StageError("the doc lacks actor/place spans: parse it with workers.nlp.load_pipeline")
    where = _Locator(article)
    spans = list(doc.spans["actors"])
    out: ArticleEntities = {
        "schema_version": SCHEMA_VERSION,
        "id": article["id"],
        "source": article["source"],
        "url": article["url"],
        "published_at": article["published_at"],
        "title": article["title"],
        "text": article["text"],
        "sentences": article["sentences"],
        "content_hash": article["content_hash"],
        "actors": [
            _actor_mention(span, role, where, spans[i - 1] if i else None)
            for i, (span, role) in enumerate(
                zip(spans, article_roles(doc, _publication_year(article), _lead_end(article)), strict=True)
            )
        ],
        "places": [_place_mention(span, where) for span in doc.spans["places"]],
    }
    if article.get("published_at_inferred"):
        out["published_at_inferred"] = True
    return out


def extract_entities_batch(nlp: Language, articles: Sequence[NormalizedArticle]) -> list[ArticleEntities]:
    """Entities of a batch with one ``nlp.pipe`` call (the model is the whole cost).

    The batch runs in a memory zone: strings the texts add to the vocabulary are freed after
    it, so a long-running worker's string store does not grow with the feed. The results are
    plain data built inside the zone; no Doc, Span or Token outlives it.
    """
    for article in articles:
        _check(article)
    with nlp.memory_zone():
        docs = nlp.pipe([doc_text(a) for a in articles])
        return [extract_entities(article, doc) for article, doc in zip(articles, docs, strict=True)]
