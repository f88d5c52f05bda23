"""The one spaCy pipeline of a process: the model plus our gazetteer components.

``load_pipeline(name)`` loads the model once per process (cached by name) and adds
``conflictwire_actors`` and ``conflictwire_places`` after NER. Roles need the
parser and the tagger (POS, verb forms); spaCy's rule lemmatizer is excluded: it
cost about a quarter of the time on the FA-KES dev texts, and the few lemmas the
rules need come from our word lists (``workers.nlp.components.base_form``).
"""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language

import workers.nlp.components  # noqa: F401  (registers the factories)
from workers.gazetteer.places import load_places

EXCLUDED = ("lemmatizer",)


@cache
def load_pipeline(model_name: str) -> Language:
    """The model ``model_name`` with our components appended (built once per process)."""
    nlp = spacy.load(model_name, exclude=list(EXCLUDED))
    load_places()
    nlp.add_pipe("conflictwire_actors", last=True)
    nlp.add_pipe("conflictwire_places", last=True)
    return nlp
