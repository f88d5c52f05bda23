"""Hand-made ``ArticleEntities`` for stage tests: the text split as the normalize stage splits it."""

from __future__ import annotations

from workers.stages.normalize import split_sentences
from workers.types import ActorMention, ArticleEntities, PlaceMention


def hand_made_entities(
    text: str,
    *,
    title: str = "Report",
    actors: list[ActorMention] | None = None,
    places: list[PlaceMention] | None = None,
    published_at: str = "2019-09-02",
    content_hash: str = "a" * 64,
    article_id: str = "art-1",
) -> ArticleEntities:
    """An entities message for ``text`` with the given mentions (none by default)."""
    return {
        "schema_version": 1,
        "id": article_id,
        "source": "test",
        "url": None,
        "published_at": published_at,
        "title": title,
        "text": text,
        "sentences": split_sentences(text),
        "content_hash": content_hash,
        "actors": actors or [],
        "places": places or [],
    }
