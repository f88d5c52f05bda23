"""``conflictwire evaluate`` over the dev sets: run the stages, cross-validate, score, print.

In: the sets to score, the folder holding them, a cache folder and the spaCy model name.
Out: an :class:`Evaluation`: per set, its scores cross-validated (the figure selector and the
date ranker fitted on the other four folds of all sets together,
:mod:`workers.evaluation.crossval`), fitted on everything, and the gap (fitted -
cross-validated); or, when the selector's training module is missing, the shipped rules'
scores only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers.evaluation.crossval import assign_folds, cross_validated
from workers.evaluation.devsets import DevArticle, FakesGold, SetName, WadGold, load_set
from workers.evaluation.prepare import EntitiesBatch, Prepared, fingerprint, prepare
from workers.evaluation.scoring import SCORERS, Prediction, SetScore
from workers.stages.date_ranker import DateRanker
from workers.stages.selector import FigureSelector
from workers.training.dates import date_examples, fit_dates
from workers.training.selector import SelectorExample, fit_selector

Item = tuple[DevArticle, Prepared]


@dataclass(frozen=True)
class Fitted:
    """What is fitted on the dev sets: the figure selector and the event-date ranker."""

    selector: FigureSelector
    dates: DateRanker


Fit = Callable[[Sequence[Item]], Fitted]


@dataclass
class SetResult:
    set: str
    cross_validated: SetScore | None = None
    fitted: SetScore | None = None
    shipped: SetScore | None = None  # the shipped model / rules, when nothing is fitted here


@dataclass
class Evaluation:
    results: list[SetResult] = field(default_factory=list)
    selector: bool = False  # whether a selector was fitted and cross-validated
    seconds: float = 0.0
    entities_seconds: float = 0.0  # normalize + entities (or reading them from the cache)
    notes: list[str] = field(default_factory=list)


def predict(fitted: Fitted | None, item: Item) -> Prediction:
    """The events of one prepared article (``fitted`` None: the shipped models)."""
    from workers.stages.events import assemble_events

    _, prepared = item
    if prepared.entities is None:
        return Prediction(error=prepared.error or "no entities")
    kinds = {m["actor_id"]: m["kind"] for m in prepared.entities["actors"] if m["actor_id"]}
    try:
        if fitted is None:
            events = assemble_events(prepared.entities)
        else:
            events = assemble_events(prepared.entities, fitted.selector, dates=fitted.dates)
    except Exception as exc:  # any failure is a result to count, not a reason to stop
        return Prediction(error=f"events: {type(exc).__name__}: {exc}", kinds=kinds)
    return Prediction(events=[dict(e) for e in events], kinds=kinds)


def selector_examples(items: Sequence[Item]) -> list[SelectorExample]:
    """The selector's training examples: FA-KES articles with their killed total, WAD
    summaries with their non-combatants killed (HRDsAttack has no figures)."""
    examples = []
    for art, prepared in items:
        if prepared.entities is None:
            continue
        gold = art.gold
        killed = gold.article.killed if isinstance(gold, FakesGold) else None
        noncombatants = gold.killed if isinstance(gold, WadGold) else None
        if killed is None and noncombatants is None:
            continue
        examples.append(SelectorExample(prepared.entities, killed, noncombatants, f"{art.set}:{art.group}"))
    return examples


def selector_fit() -> Fit:
    """The fit over prepared articles: the figure selector and the date ranker."""

    def fit(items: Sequence[Item]) -> Fitted:
        return Fitted(fit_selector(selector_examples(items)), fit_dates(date_examples(items)))

    return fit


def _score(items: Sequence[Item], preds: Sequence[Prediction], sets: Sequence[str]) -> dict[str, SetScore]:
    out: dict[str, SetScore] = {}
    for name in sets:
        arts = [a for a, _ in items if a.set == name]
        by_key = {a.key: p for (a, _), p in zip(items, preds, strict=True) if a.set == name}
        out[name] = SCORERS[name](arts, by_key)
    return out


def evaluate(
    sets: Sequence[SetName],
    eval_dir: Path,
    cache_dir: Path,
    model: str,
    entities_batch: Callable[[], EntitiesBatch],
    fit: Fit | None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Evaluation:
    """Score ``sets``; with ``fit``, cross-validated and fitted-on-everything figures."""
    started = time.monotonic()
    version = fingerprint(model)
    loaded: list[EntitiesBatch] = []

    def load_once() -> EntitiesBatch:
        if not loaded:
            loaded.append(entities_batch())
        return loaded[0]

    items: list[Item] = []
    folds: list[int] = []
    for name in sets:
        arts = load_set(name, eval_dir)
        done = [0]

        def tick(n: int, name: str = name, total: int = len(arts), done: list[int] = done) -> None:
            done[0] += n
            if progress is not None:
                progress(name, done[0], total)

        prepared = prepare(name, arts, cache_dir, version, load_once, tick)
        items.extend((a, prepared[a.key]) for a in arts)
        folds.extend(assign_folds([a.group for a in arts], salt=name))
    ev = Evaluation(selector=fit is not None, entities_seconds=round(time.monotonic() - started, 1))
    if fit is None:
        ev.notes.append("the figure selector (workers.training.selector) is missing: shipped rules only")
        shipped = _score(items, [predict(None, it) for it in items], sets)
        ev.results = [SetResult(n, shipped=shipped[n]) for n in sets]
    else:
        cv = _score(items, cross_validated(items, folds, fit, predict), sets)
        whole = fit(items)
        fitted = _score(items, [predict(whole, it) for it in items], sets)
        ev.results = [SetResult(n, cross_validated=cv[n], fitted=fitted[n]) for n in sets]
    ev.seconds = round(time.monotonic() - started, 1)
    return ev


# ---------------------------------------------------------------- output


def _rows(result: SetResult) -> list[dict[str, Any]]:
    """One dict per measure: name, n, and cross_validated / fitted / gap or shipped."""
    if result.shipped is not None:
        return [{"measure": m.name, "shipped": m.value, "n": m.n} for m in result.shipped.measures]
    assert result.cross_validated is not None and result.fitted is not None
    rows = []
    for cv, fitted in zip(result.cross_validated.measures, result.fitted.measures, strict=True):
        gap = round(fitted.value - cv.value, 4)
        rows.append(
            {"measure": cv.name, "cross_validated": cv.value, "fitted": fitted.value, "gap": gap, "n": cv.n}
        )
    return rows


def _headline(result: SetResult) -> SetScore:
    score = result.cross_validated or result.shipped
    assert score is not None
    return score


def as_json(ev: Evaluation, misses: bool = False) -> dict[str, Any]:
    """The evaluation as a JSON-ready dict (misses: those of the cross-validated run)."""
    out: dict[str, Any] = {
        "selector": ev.selector,
        "seconds": ev.seconds,
        "entities_seconds": ev.entities_seconds,
        "notes": ev.notes,
        "sets": {},
    }
    for r in ev.results:
        score = _headline(r)
        entry: dict[str, Any] = {
            "articles": score.articles,
            "failed": len(score.failed),
            "measures": _rows(r),
        }
        if misses:
            entry["failed_articles"] = score.failed
            entry["misses"] = [vars(m) for m in score.misses]
        out["sets"][r.set] = entry
    return out


def _cell(column: str, value: Any) -> str:
    if column == "gap":
        return f"{value:+.3f}"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def format_tables(ev: Evaluation, misses: bool = False) -> str:
    """A table per set (measure | cross-validated | fitted | gap | n, or measure | shipped | n)."""
    lines: list[str] = [*ev.notes]
    for r in ev.results:
        score = _headline(r)
        rows = _rows(r)
        cols = list(rows[0]) if rows else ["measure"]
        table = [[c.replace("_", "-") for c in cols]] + [[_cell(c, row[c]) for c in cols] for row in rows]
        widths = [max(len(t[i]) for t in table) for i in range(len(cols))]
        lines.append(f"\n{r.set}: {score.articles} articles, {len(score.failed)} failed a stage")
        for t in table:
            lines.append(
                "  "
                + "  ".join(
                    v.ljust(w) if i == 0 else v.rjust(w)
                    for i, (v, w) in enumerate(zip(t, widths, strict=True))
                )
            )
        if misses:
            lines.extend(f"  failed {k}: {e}" for k, e in score.failed.items())
            lines.extend(
                f"  miss {m.measure} {m.key}: gold {m.gold} / predicted {m.predicted}" for m in score.misses
            )
    lines.append(f"\n{ev.seconds:.0f} s ({ev.entities_seconds:.0f} s normalize + entities)")
    return "\n".join(lines)
