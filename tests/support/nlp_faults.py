"""Pool tasks that fail on purpose, for the NLP pool's tests (pickled by name into pool processes).

``crash_on_marked``: the real extraction, except that a batch holding an article whose id ends
with :data:`CRASH_MARK` kills its process outright (``os._exit``: no exception, no cleanup, as
the kernel's OOM killer or a crash in native code would). ``raise_on_marked``: an ordinary
exception instead, for :data:`RAISE_MARK`.
"""

from __future__ import annotations

import os

from workers.nlp_pool import extract_batch
from workers.types import ArticleEntities, NormalizedArticle

CRASH_MARK = "-crash"
RAISE_MARK = "-raise"


def crash_on_marked(model: str, articles: list[NormalizedArticle]) -> list[ArticleEntities]:
    if any(a["id"].endswith(CRASH_MARK) for a in articles):
        os._exit(3)
    return raise_on_marked(model, articles)


def raise_on_marked(model: str, articles: list[NormalizedArticle]) -> list[ArticleEntities]:
    if any(a["id"].endswith(RAISE_MARK) for a in articles):
        raise ValueError("an article this test marked as bad")
    return extract_batch(model, articles)
