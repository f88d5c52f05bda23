"""The dev sets as selector examples: article entities plus article-level killed gold.

In: ``../shared/eval/{fakes,wad}_dev.jsonl`` (read-only). Out: ``SelectorExample`` lists.
Entities come from the same stages as the stream (normalize -> spaCy entities); they are
computed once and cached as JSON Lines under ``cache_dir`` because the spaCy pass over
~1,200 articles is the whole cost of training.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from workers import codec
from workers.batch import to_raw
from workers.stages.errors import StageError
from workers.stages.normalize import normalize
from workers.types import ArticleEntities, NormalizedArticle

EVAL_DIR = Path("..") / "shared" / "eval"
CACHE_DIR = Path(".conflictwire") / "selector-cache"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON Lines file."""
    return [codec.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def article_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per article: FA-KES rows sharing unit_id (and text) are one article whose
    killed gold is the sum of its rows'; other sets have one row per article."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = str(row.get("unit_id") or row["id"])
        if key in out:
            first = out[key]
            first["gold_killed"] = int(first.get("gold_killed") or 0) + int(row.get("gold_killed") or 0)
            continue
        out[key] = dict(row, group=key)
    return list(out.values())


def _normalized(row: dict[str, Any]) -> NormalizedArticle | None:
    try:
        # untitled rows (WAD) go in as the stream takes them: normalize's first sentence is the headline
        return normalize(to_raw(row))
    except StageError:
        return None


def entities_for(rows: Sequence[dict[str, Any]], cache: Path, model: str) -> dict[str, ArticleEntities]:
    """Entities of each row by id, from ``cache`` when there, else computed and appended."""
    have: dict[str, ArticleEntities] = {}
    if cache.exists():
        for obj in read_rows(cache):
            have[str(obj["id"])] = cast(ArticleEntities, obj)
    todo = [r for r in rows if str(r["id"]) not in have]
    if todo:
        from workers.nlp.pipeline import load_pipeline
        from workers.stages.entities import extract_entities_batch

        nlp = load_pipeline(model)
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("ab") as out:
            for i in range(0, len(todo), 32):
                arts = [a for a in (_normalized(r) for r in todo[i : i + 32]) if a is not None]
                for ent in extract_entities_batch(nlp, arts):
                    have[ent["id"]] = ent
                    out.write(codec.dumps_line(ent))
    return have
