"""Fitting and cross-validating the figure selector.

In: :class:`SelectorExample` — an article's entities and its article-level gold
(``killed``: everyone killed, FA-KES; ``killed_noncombatants``: WAD). Out: a fitted
:class:`~workers.stages.selector.FigureSelector`, and cross-validated scores.

The gold is per article, the model scores figures, so each article's candidates get labels
from its gold: the smallest set of candidates whose values add up to the gold (ties: the one
with most of the rule planner's picks, then fewer title figures, then the earliest). Gold 0
labels every candidate 0. An article where no set of up to ``MAX_SUBSET`` candidates adds up
to the gold teaches nothing about which figure to take and is left out of fitting (it is
still scored).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from workers.stages.casualties import CasualtyFigure, find_figures
from workers.stages.event_figures import plan_events, total
from workers.stages.selector import (
    FEATURES,
    TARGETS,
    Candidate,
    FigureSelector,
    LogisticModel,
    Target,
    TreesModel,
    _Model,
    candidates,
    counts_for,
)
from workers.types import ArticleEntities

# models per target fitted with different seeds (row and column subsampling) and averaged: a
# candidate near the threshold no longer flips with the seed
BAGS = 5
MAX_SUBSET = 4
MAX_SEARCH = 30  # candidates searched for the label set (the rest are labelled 0)
SEED = 20240501
FOLDS = 5
Kind = str  # "logistic" or "lightgbm"
DEFAULT_KINDS: dict[Target, Kind] = {"killed": "lightgbm", "killed_noncombatants": "lightgbm"}
# features a target's model does not learn from (their columns are held at 0 when fitting): who
# a total is made of and additive wording tell WAD's non-combatant count apart from the total;
# FA-KES counts everyone, and its 178 articles are too few to learn more columns without noise
LEFT_OUT: dict[Target, tuple[str, ...]] = {
    "killed": (
        "noncombatant_part",
        "combatant_part",
        "part_beside_combatants",
        "additive_words",
        "net_of_combatants",
    ),
    "killed_noncombatants": (),
}


@dataclass(frozen=True)
class SelectorExample:
    """One article and its gold: ``None`` where the set does not annotate that target."""

    entities: ArticleEntities
    killed: int | None
    killed_noncombatants: int | None
    group: str = ""  # articles of one group are never split across folds ("" = its own)

    def gold(self, target: Target) -> int | None:
        return self.killed if target == "killed" else self.killed_noncombatants


@dataclass(frozen=True)
class Prepared:
    """An example read once: its figures, the planner's pick, candidates."""

    example: SelectorExample
    figures: list[CasualtyFigure]
    planned: list[CasualtyFigure]
    candidates: list[Candidate]


def prepare(example: SelectorExample) -> Prepared:
    """Figures, planner pick and candidates of one example."""
    ent = example.entities
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    planned = plan_events(ent, [f for f in figs if "implicit-one" not in f.notes])[0].killed
    return Prepared(example, figs, planned, candidates(ent, figs, planned))


def usable(prep: Prepared, target: Target) -> list[Candidate]:
    """The candidates that may count toward ``target`` (derived net figures: non-combatants)."""
    return [c for c in prep.candidates if counts_for(c.figure, target)]


def labels(prep: Prepared, gold: int, target: Target = "killed") -> list[int] | None:
    """Labels of ``usable(prep, target)`` from the article gold (see the module doc); None if
    no set fits."""
    cands = usable(prep, target)
    if gold == 0:
        return [0] * len(cands)
    planned = {id(f) for f in prep.planned}
    searched = range(min(len(cands), MAX_SEARCH))
    for size in range(1, MAX_SUBSET + 1):
        fits = [
            combo
            for combo in itertools.combinations(searched, size)
            if sum(cands[i].figure.value for i in combo) == gold
        ]
        if fits:
            best = min(
                fits,
                key=lambda combo: (
                    -sum(id(cands[i].figure) in planned for i in combo),
                    sum(cands[i].figure.sentence < 0 for i in combo),
                    combo,
                ),
            )
            return [int(i in best) for i in range(len(cands))]
    return None


def _fit_model(kind: Kind, x: np.ndarray, y: np.ndarray) -> _Model:
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0
        lr = LogisticRegression(C=1.0, max_iter=2000)
        lr.fit((x - mean) / scale, y)
        return LogisticModel(
            [float(w) for w in lr.coef_[0]],
            float(lr.intercept_[0]),
            [float(m) for m in mean],
            [float(s) for s in scale],
        )
    import lightgbm

    texts = []
    for bag in range(BAGS):
        clf = lightgbm.LGBMClassifier(
            n_estimators=150,
            learning_rate=0.05,
            num_leaves=8,
            min_child_samples=10,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            random_state=SEED + bag,
            n_jobs=1,
            deterministic=True,
            verbose=-1,
        )
        clf.fit(x, y)
        texts.append(clf.booster_.model_to_string())
    return TreesModel(texts)


def training_rows(preps: Sequence[Prepared], target: Target) -> tuple[np.ndarray, np.ndarray, int]:
    """Feature matrix and labels of the labelled candidates, and how many articles had no fit."""
    xs: list[tuple[float, ...]] = []
    ys: list[int] = []
    unfit = 0
    for prep in preps:
        gold = prep.example.gold(target)
        if gold is None:
            continue
        lab = labels(prep, gold, target)
        if lab is None:
            unfit += 1
            continue
        xs.extend(c.features for c in usable(prep, target))
        ys.extend(lab)
    x = np.array(xs, dtype=float).reshape(len(xs), len(FEATURES))
    x[:, [FEATURES.index(name) for name in LEFT_OUT[target]]] = 0.0
    return x, np.array(ys, dtype=int), unfit


def fit_prepared(preps: Sequence[Prepared], kinds: Mapping[Target, Kind] | None = None) -> FigureSelector:
    """A selector fitted on prepared examples; a target without both classes keeps the planner."""
    kinds = dict(DEFAULT_KINDS if kinds is None else kinds)
    models: dict[Target, _Model] = {}
    for target in TARGETS:
        x, y, _ = training_rows(preps, target)
        if len(set(y.tolist())) == 2:
            models[target] = _fit_model(kinds[target], x, y)
    return FigureSelector(models)


def fit_selector(
    examples: Sequence[SelectorExample], kinds: Mapping[Target, Kind] | None = None
) -> FigureSelector:
    """A selector fitted on ``examples`` (the shipped one is this over all dev articles)."""
    return fit_prepared([prepare(e) for e in examples], kinds)


def predicted(selector: FigureSelector, prep: Prepared, target: Target) -> int:
    """The article total the selector gives for ``target``, scored as the evaluation does
    (the low bound; no low bound counts as 0)."""
    ent = prep.example.entities
    sel = selector.select(ent, prep.figures, prep.planned)
    q = total(sel.killed if target == "killed" else sel.killed_noncombatants)
    return 0 if q is None else q["low"] or 0


def folds(preps: Sequence[Prepared], k: int = FOLDS, seed: int = SEED) -> list[int]:
    """A fold number per example, whole groups (articles) to one fold, fixed seed."""
    groups = sorted({p.example.group or p.example.entities["id"] for p in preps})
    order = np.random.default_rng(seed).permutation(len(groups))
    fold_of = {groups[j]: rank % k for rank, j in enumerate(order)}
    return [fold_of[p.example.group or p.example.entities["id"]] for p in preps]


def exact(
    selector_for: Callable[[int], FigureSelector],
    preps: Sequence[Prepared],
    fold: Sequence[int],
    target: Target,
) -> float:
    """Share of annotated articles whose predicted total equals the gold."""
    scored = [(p, f) for p, f in zip(preps, fold, strict=True) if p.example.gold(target) is not None]
    hits = sum(predicted(selector_for(f), p, target) == p.example.gold(target) for p, f in scored)
    return hits / len(scored) if scored else 0.0


def cross_validate(
    preps: Sequence[Prepared], kinds: Mapping[Target, Kind] | None = None
) -> dict[Target, tuple[float, float]]:
    """(cross-validated exact, fitted-on-all exact) per target."""
    fold = folds(preps)
    fitted = {
        f: fit_prepared([p for p, g in zip(preps, fold, strict=True) if g != f], kinds) for f in range(FOLDS)
    }
    everything = fit_prepared(preps, kinds)
    return {
        t: (exact(lambda f: fitted[f], preps, fold, t), exact(lambda f: everything, preps, fold, t))
        for t in TARGETS
    }
