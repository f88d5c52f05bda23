"""``python -m workers.training``: fit the figure selector on the dev sets and ship it.

Run from the repository root. Reads ``../shared/eval/{fakes,wad}_dev.jsonl``, computes the
articles' entities once (cached in ``.conflictwire/eval-cache/``), prints the 5-fold
cross-validated exact-match scores (fixed seed, folds by article), the fitted-on-everything
scores and the gap for both model kinds, then writes the selector fitted on every article
with the shipped kinds to ``workers/data/models/figure_selector.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workers import codec
from workers.settings import load_settings
from workers.stages.selector import MODEL_FILE, TARGETS
from workers.training.data import CACHE_DIR, EVAL_DIR, article_rows, entities_for, read_rows
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


def examples(eval_dir: Path, cache_dir: Path, model: str) -> list[SelectorExample]:
    """FA-KES articles with their killed total, WAD summaries with their non-combatants killed."""
    out: list[SelectorExample] = []
    for name in ("fakes", "wad"):
        rows = article_rows(read_rows(eval_dir / f"{name}_dev.jsonl"))
        ents = entities_for(rows, cache_dir / f"{name}.jsonl", model)
        for row in rows:
            if str(row["id"]) not in ents:
                continue
            gold = int(row.get("gold_killed") or 0)
            out.append(
                SelectorExample(
                    entities=ents[str(row["id"])],
                    killed=gold if name == "fakes" else None,
                    killed_noncombatants=gold if name == "wad" else None,
                    group=f"{name}:{row['group']}",
                )
            )
    return out


def main(argv: list[str] | None = None) -> int:
    """Cross-validate, print the table, write the model file; exit status 0."""
    parser = argparse.ArgumentParser(prog="python -m workers.training", description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    parser.add_argument("--output", type=Path, default=MODEL_FILE)
    args = parser.parse_args(argv)
    preps = [prepare(e) for e in examples(args.eval_dir, args.cache_dir, load_settings().spacy_model)]
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
