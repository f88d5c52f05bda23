"""spaCy: the model plus our gazetteer components, built once per process."""

from workers.nlp.pipeline import load_pipeline

__all__ = ["load_pipeline"]
