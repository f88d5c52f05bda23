"""The one spaCy pipeline of a process: the model plus our gazetteer components.

``load_pipeline(name)`` loads the model once per process (cached by name) and adds
``conflictwire_actors`` and ``conflictwire_places`` after NER. Roles need the
parser and the tagger (POS, verb forms); spaCy's rule lemmatizer is excluded: it
cost about a quarter of the time on the FA-KES dev texts, and the few lemmas the
rules need come from our word lists (``workers.nlp.components.base_form``). The model's
``attribute_ruler`` is replaced by ``conflictwire_attributes`` (``workers.nlp.attributes``):
the same patterns, applied as array operations (same POS, morphology and lemmas; about a
fifth of the ruler's time). After the gazetteers are built, ``gc.freeze()`` moves their
objects out of the collector's sight, so full collections stop walking their keys.
"""

from __future__ import annotations

import gc
from functools import cache

import spacy
from spacy.language import Language

import workers.nlp.factories  # noqa: F401  (registers our components)
from workers.gazetteer.places import load_places

EXCLUDED = ("lemmatizer",)


@cache
def load_pipeline(model_name: str) -> Language:
    """The model ``model_name`` with our components appended (built once per process)."""
    nlp = spacy.load(model_name, exclude=list(EXCLUDED))
    if "attribute_ruler" in nlp.pipe_names:
        nlp.add_pipe("conflictwire_attributes", after="attribute_ruler")
        nlp.remove_pipe("attribute_ruler")
    load_places()
    nlp.add_pipe("conflictwire_actors", last=True)
    nlp.add_pipe("conflictwire_places", last=True)
    gc.collect()
    gc.freeze()  # the gazetteers live as long as the process: no need to scan them again
    return nlp
