"""The evaluation's entities cache: reused within a fingerprint, and a read keeps it from pruning."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from workers.evaluation import prepare as prep
from workers.evaluation.devsets import DevArticle, WadGold
from workers.types import ArticleEntities, NormalizedArticle, RawArticle


def _article(key: str) -> DevArticle:
    raw: RawArticle = {
        "id": key,
        "title": f"Shelling in town {key}",
        "body": "Two civilians were killed on Monday when shells hit a market.",
        "source": "test",
        "url": None,
        "published_at": "2024-03-05",
    }
    return DevArticle(
        set="wad",
        key=key,
        raw=raw,
        gold=WadGold(killed=2, country="SY", country_code="SYR", region=None),
        group=key,
    )


class CountingEntities:
    """Stands in for the spaCy pass, which is slow and not what is under test: records its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.seen: list[str] = []

    def __call__(self) -> prep.EntitiesBatch:
        self.calls += 1

        def run(articles: Sequence[NormalizedArticle]) -> list[ArticleEntities]:
            self.seen.extend(a["id"] for a in articles)
            return [{"id": a["id"]} for a in articles]  # type: ignore[typeddict-item]

        return run


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_second_run_reuses_the_cache_without_loading_the_model(tmp_path: Path) -> None:
    arts = [_article("a1"), _article("a2")]
    first = CountingEntities()
    out1 = prep.prepare("wad", arts, tmp_path, "v1", first)
    second = CountingEntities()
    out2 = prep.prepare("wad", arts, tmp_path, "v1", second)
    assert first.seen == ["a1", "a2"]
    assert second.calls == 0
    assert out1 == out2


def test_a_read_counts_as_use_so_pruning_keeps_the_folder(tmp_path: Path) -> None:
    arts = [_article("a1")]
    prep.prepare("wad", arts, tmp_path, "read-lately", CountingEntities())
    for name in ("old1", "old2", "old3"):
        prep.prepare("wad", arts, tmp_path, name, CountingEntities())
    for folder in tmp_path.iterdir():  # the one read lately was written first of all
        _age(folder, prep.PRUNE_AFTER_SECONDS * (3 if folder.name == "read-lately" else 2))
    prep.prepare("wad", arts, tmp_path, "read-lately", CountingEntities())  # a cache hit only
    prep.prepare("wad", [_article("a2")], tmp_path, "new", CountingEntities())  # writes, prunes
    left = {d.name for d in tmp_path.iterdir()}
    assert "read-lately" in left and "new" in left
    assert len(left) == prep.KEEP_FINGERPRINTS
