"""Imported by the NLP pool's forkserver (:mod:`workers.nlp_pool`): load the model once, then fork.

In: the settings' ``spacy_model`` (the forkserver inherits the worker's environment). Out:
nothing but a side effect of the import: the pipeline and its gazetteers loaded in the
forkserver, then frozen (``gc.freeze``) so that the collector of a forked pool process never
writes to their pages, which therefore stay shared between all pool processes.

Never import this module anywhere else. Should loading fail, the forkserver goes on without
it (each pool process then loads the model itself, in its initializer) and says so on stderr.
"""

from __future__ import annotations

import gc
import sys


def _preload() -> None:
    try:
        from workers.nlp_pool import extract_batch
        from workers.settings import load_settings
        from workers.stages.normalize import normalize

        # one article through the whole stage: what loads lazily (the pipeline, gazetteers,
        # word lists, spaCy's lexemes) is loaded here, and shared
        article = normalize(
            {
                "id": "preload",
                "title": "Shelling kills four in Hama town",
                "body": "Government artillery shelled the town of Kafr Zita on Tuesday, killing four.",
                "source": "conflictwire",
                "url": None,
                "published_at": "2024-03-14T09:00:00+00:00",
            }
        )
        extract_batch(load_settings().spacy_model, [article])
    except Exception as exc:  # the pool still works: each process loads the model itself
        print(f"conflictwire: the NLP forkserver could not preload the model: {exc!r}", file=sys.stderr)
    gc.collect()
    gc.freeze()


_preload()
