"""List the HRDsAttack event months the date ranker gets wrong, with the candidates it weighed.

Usage: ``python benchmarks/dates_eval.py [--all] [--limit N]`` from the repository root, with
``PYTHONPATH=.`` and the data dir of an earlier ``conflictwire evaluate`` (its entity cache is
read; a missing entry is computed with spaCy).

Per article with a gold month: the gold, the publication date, the shipped ranker's choice
(fitted on all of the dev split, so these are fitted, not cross-validated, answers; the
honest figure is ``conflictwire evaluate``'s), and each candidate within the ranker's lead
with its score (``**`` marks those naming the gold month). Fitting is ``python -m
workers.training``.

``--salts N``: the 5-fold cross-validated month accuracy under N fold assignments (salts)
and their mean. One assignment moves by several points with the folds alone (one ranker
scored 0.722, 0.655 and 0.682 under three salts), so compare feature changes on the mean.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence

from workers.evaluation.crossval import assign_folds, cross_validated
from workers.evaluation.devsets import HrdGold, find_eval_dir, load_set
from workers.evaluation.prepare import EntitiesBatch, fingerprint, prepare
from workers.settings import load_settings
from workers.stages.date_ranker import choose, in_lead, shipped_ranker
from workers.training.dates import DateExample, _right, date_example, fit_dates


def salted_cv(examples: Sequence[DateExample], salts: int) -> list[float]:
    """Cross-validated month accuracy under ``salts`` fold assignments (by article group)."""
    groups = [ex.group for ex in examples]
    out = []
    for salt in ["hrd", *(f"salt{i}" for i in range(1, salts))]:
        right = cross_validated(examples, assign_folds(groups, salt=salt), fit_dates, _right)
        out.append(sum(right) / len(right))
    return out


def _entities_batch(model: str) -> EntitiesBatch:
    from workers.nlp.pipeline import load_pipeline
    from workers.stages.entities import extract_entities_batch

    nlp = load_pipeline(model)
    return lambda batch: extract_entities_batch(nlp, list(batch))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--all", action="store_true", help="list the right ones too")
    parser.add_argument("--limit", type=int, default=0, help="at most N articles (0: all)")
    parser.add_argument("--salts", type=int, default=0, help="also cross-validate under N fold salts")
    args = parser.parse_args(argv)
    eval_dir = find_eval_dir()
    if eval_dir is None:
        parser.error("no ../shared/eval folder found")
    settings = load_settings()
    model = settings.spacy_model
    arts = load_set("hrd", eval_dir)
    cache = settings.data_dir / "eval-cache"
    prepared = prepare("hrd", arts, cache, fingerprint(model), lambda: _entities_batch(model))
    ranker = shipped_ranker()
    right = total = shown = 0
    examples: list[DateExample] = []
    for art in arts:
        gold, ent = art.gold, prepared[art.key].entities
        if not isinstance(gold, HrdGold) or gold.year is None or gold.month is None or ent is None:
            continue
        example = date_example(ent, (gold.year, gold.month), art.group)
        if example is None:
            continue
        examples.append(example)
        chosen = choose(example.candidates, ranker)
        total += 1
        right += chosen.month == example.gold
        if (chosen.month == example.gold and not args.all) or (args.limit and shown >= args.limit):
            continue
        shown += 1
        print(f"{art.key} gold {example.gold} published {ent['published_at'][:10]} chose {chosen.value}")
        for c in example.candidates:
            if not in_lead(c, ranker.lead):
                continue
            mark = "**" if c.month == example.gold else "  "
            kind = c.mention.kind if c.mention is not None else "published"
            print(f"  {mark} s{c.sentence:<3} {kind:14} {c.value} {ranker.score(c.features):6.2f}")
    print(f"\nfitted event month: {right}/{total} = {right / max(total, 1):.3f} (lead {ranker.lead})")
    if args.salts > 0:
        scores = salted_cv(examples, args.salts)
        listed = " ".join(f"{v:.3f}" for v in scores)
        print(f"cross-validated under {len(scores)} fold salts: {listed}  mean {statistics.mean(scores):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
