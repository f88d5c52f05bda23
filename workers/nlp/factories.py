"""Registers our spaCy components: ``conflictwire_attributes``, ``conflictwire_actors`` and
``conflictwire_places`` (importing this module is what makes ``nlp.add_pipe`` know them).

In: the pipeline being built. Out: one component instance per factory call.

This module does not use ``from __future__ import annotations`` on purpose: spaCy validates a
factory's arguments with a model built from its signature, and the confection release spaCy 3.8.7
installs cannot resolve annotations left as strings ('field "nlp" not yet prepared').
"""

from spacy.language import Language
from spacy.pipeline import AttributeRuler

from workers.nlp.attributes import AttributeSetter, compile_ruler
from workers.nlp.components import ActorRecognizer, PlaceRecognizer


@Language.factory("conflictwire_attributes", assigns=["token.pos", "token.morph", "token.lemma"])
def make_attribute_setter(nlp: Language, name: str) -> AttributeSetter:
    """Built from the pipeline's ``attribute_ruler``, which must be loaded (it is then removed)."""
    ruler = nlp.get_pipe("attribute_ruler")
    rules = compile_ruler(ruler) if isinstance(ruler, AttributeRuler) else None
    if rules is None:
        raise ValueError("the attribute_ruler has patterns conflictwire_attributes cannot compile")
    return AttributeSetter(rules)


@Language.factory(
    "conflictwire_actors",
    requires=["token.dep", "token.pos", "doc.ents"],
    assigns=["doc.spans"],
)
def make_actor_recognizer(nlp: Language, name: str) -> ActorRecognizer:
    """Gazetteer actors and unresolved actor-like entities of a doc (``doc.spans["actors"]``)."""
    return ActorRecognizer(nlp)


@Language.factory(
    "conflictwire_places",
    requires=["doc.ents", "doc.spans"],
    assigns=["doc.spans", "span._.place"],
)
def make_place_recognizer(nlp: Language, name: str) -> PlaceRecognizer:
    """The article's places, each read in its context (``doc.spans["places"]``)."""
    return PlaceRecognizer(nlp)
