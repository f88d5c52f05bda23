"""The place component's array scans pick the same tokens as the per-token definitions they replace.

Docs are hand-built (words, POS, sentence starts, entity labels), so each scan is checked on
the structure it reads: capitalisation per word id, proper and capitalised common nouns outside
entities, glued directions, administrative words and "capital".
"""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from workers.nlp.components import (
    _MISLABELLED,
    _capitalised,
    _division_phrases,
    _glued_places,
    _name_pieces,
)

WORDS = ["Clashes", "near", "Kobaninorth", "and", "in", "Rivers", "State", ".", "The", "Town"]
WORDS += ["of", "Ibb", "lost", "ISIS", "fighters", "in", "the", "capital", "É", "ébène", "x"]
POS = ["NOUN", "ADP", "PROPN", "CCONJ", "ADP", "PROPN", "PROPN", "PUNCT", "DET", "NOUN"]
POS += ["ADP", "PROPN", "VERB", "PROPN", "NOUN", "ADP", "DET", "NOUN", "NOUN", "NOUN", "X"]
SENT_STARTS = [True] + [False] * 7 + [True] + [False] * 12
ENTS = ["O"] * 5 + ["B-GPE", "I-GPE", "O", "O", "O", "O", "B-PRODUCT", "O", "B-ORG"] + ["O"] * 7


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.blank("en")


def _doc(nlp: Language) -> Doc:
    return Doc(nlp.vocab, words=WORDS, pos=POS, sent_starts=SENT_STARTS, ents=ENTS)


def test_capitalised_is_the_first_character_in_upper_case(nlp: Language) -> None:
    doc = _doc(nlp)
    assert _capitalised(doc).tolist() == [t.text[:1].isupper() for t in doc]
    assert _capitalised(doc).tolist() == [t.text[:1].isupper() for t in doc]  # from the cache


def test_name_pieces_are_mislabelled_entities_proper_nouns_and_capitalised_nouns(nlp: Language) -> None:
    doc = _doc(nlp)
    expected = [(e.start, e.end) for e in doc.ents if e.label_ in _MISLABELLED]
    expected += [
        (t.i, t.i + 1)
        for t in doc
        if not t.ent_type_
        and (t.pos_ == "PROPN" or (t.pos_ == "NOUN" and t.text[:1].isupper() and not t.is_sent_start))
    ]
    pieces = _name_pieces(doc)
    assert pieces == expected
    # "Ibb" (a product) and "ISIS" (an organisation) as entities; "Town" and "É" (capitalised
    # nouns inside a sentence) too; not "Clashes" (first in its sentence) nor "Rivers" (a GPE)
    assert pieces == [(11, 12), (13, 14), (2, 3), (9, 10), (18, 19)]


def test_scans_find_glued_names_divisions_and_nothing_in_an_empty_doc(nlp: Language) -> None:
    doc = _doc(nlp)
    assert [s.text for s in _glued_places(doc)] == ["Kobaninorth"]
    assert [s.text for s in _division_phrases(doc)] == ["Rivers State"]
    empty = Doc(nlp.vocab, words=[])
    assert _glued_places(empty) == [] and _division_phrases(empty) == [] and _name_pieces(empty) == []


def test_a_division_named_after_its_word_at_the_start_of_a_text(nlp: Language) -> None:
    doc = Doc(nlp.vocab, words=["State", "of", "Borno", "mourns", "its", "dead"])
    assert [s.text for s in _division_phrases(doc)] == ["Borno"]


def test_name_pieces_skip_tokens_inside_entities(nlp: Language) -> None:
    doc = _doc(nlp)
    doc.ents = [Span(doc, 2, 3, label="GPE")]
    assert (2, 3) not in _name_pieces(doc)
