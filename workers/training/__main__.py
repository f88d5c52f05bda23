"""``python -m workers.training``: fit the figure selector and the date ranker on the dev sets and ship them.

Run from the repository root. Reads ``../shared/eval/{fakes,wad}_dev.jsonl``, computes the
articles' entities once (cached in ``<data dir>/eval-cache/``, shared with ``conflictwire
evaluate``), prints the 5-fold
cross-validated exact-match scores (fixed seed, folds by article), the fitted-on-everything
scores and the gap for both model kinds, then writes the selector fitted on every article
with the shipped kinds to ``workers/data/models/figure_selector.json``; then the same for the
event-date ranker on ``hrd_dev.jsonl`` (``workers/data/models/date_ranker.json``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workers import codec
from workers.evaluation.devsets import SetName, find_eval_dir, load_set
from workers.evaluation.prepare import EntitiesBatch, fingerprint
from workers.evaluation.prepare import prepare as prepare_entities
from workers.evaluation.run import Item, selector_examples
from workers.settings import load_settings
from workers.stages.date_ranker import MODEL_FILE as DATES_MODEL_FILE
from workers.stages.selector import MODEL_FILE, TARGETS
from workers.training.dates import date_examples, write_ranker
from workers.training.selector import (
    DEFAULT_KINDS,
    FOLDS,
    SEED,
    SelectorExample,
    cross_validate,
    fit_prepared,
    prepare,
    training_rows,
)

_SET_OF_TARGET = {"killed": "FA-KES killed (all)", "killed_noncombatants": "WAD killed (non-combatants)"}


def items(eval_dir: Path, cache_dir: Path, model: str, sets: tuple[SetName, ...]) -> list[Item]:
    """The prepared articles of ``sets``: the same articles, inputs and entity cache
    (``<data dir>/eval-cache``) as ``conflictwire evaluate``."""
    loaded: list[EntitiesBatch] = []

    def load_once() -> EntitiesBatch:
        if not loaded:
            from workers.nlp.pipeline import load_pipeline
            from workers.stages.entities import extract_entities_batch

            nlp = load_pipeline(model)
            loaded.append(lambda batch: extract_entities_batch(nlp, list(batch)))
        return loaded[0]

    version = fingerprint(model)
    out: list[Item] = []
    for name in sets:
        arts = load_set(name, eval_dir)
        prepared = prepare_entities(name, arts, cache_dir, version, load_once)
        out.extend((a, prepared[a.key]) for a in arts)
    return out


def examples(eval_dir: Path, cache_dir: Path, model: str) -> list[SelectorExample]:
    """FA-KES articles with their killed total, WAD summaries with their non-combatants killed."""
    return selector_examples(items(eval_dir, cache_dir, model, ("fakes", "wad")))


def main(argv: list[str] | None = None) -> int:
    """Cross-validate, print the table, write the model file; exit status 0."""
    parser = argparse.ArgumentParser(prog="python -m workers.training", description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=None, help="default: ../shared/eval above the repo")
    parser.add_argument("--output", type=Path, default=MODEL_FILE)
    parser.add_argument("--dates-output", type=Path, default=DATES_MODEL_FILE)
    args = parser.parse_args(argv)
    eval_dir = args.eval_dir or find_eval_dir()
    if eval_dir is None:
        parser.error("no ../shared/eval folder found: pass --eval-dir")
    settings = load_settings()
    found = examples(eval_dir, settings.data_dir / "eval-cache", settings.spacy_model)
    preps = [prepare(e) for e in found]
    for target in TARGETS:
        x, y, unfit = training_rows(preps, target)
        print(
            f"{_SET_OF_TARGET[target]}: {len(x)} candidates, {int(y.sum())} counted, "
            f"{unfit} articles left out (no candidate set adds up to the gold)"
        )
    print(f"\n{FOLDS}-fold cross-validation by article, seed {SEED}: exact match of the article total")
    print(f"{'target':32} {'model':9} {'cross-val':>9} {'fitted':>7} {'gap':>6}")
    for kind in ("logistic", "lightgbm"):
        scores = cross_validate(preps, dict.fromkeys(TARGETS, kind))
        for target, (cv, fitted) in scores.items():
            mark = " (shipped)" if DEFAULT_KINDS[target] == kind else ""
            print(f"{_SET_OF_TARGET[target]:32} {kind:9} {cv:9.3f} {fitted:7.3f} {fitted - cv:6.3f}{mark}")
    selector = fit_prepared(preps, DEFAULT_KINDS)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(codec.dumps(selector.to_json()))
    print(f"\nwrote {args.output} ({args.output.stat().st_size} bytes)")
    hrd = items(eval_dir, settings.data_dir / "eval-cache", settings.spacy_model, ("hrd",))
    write_ranker(date_examples(hrd), args.dates_output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
