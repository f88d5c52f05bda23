"""Cross-validation by article: whatever a program fits is scored on articles it never saw.

In: items (one per article), each item's fold, a ``fit`` function (items -> model) and a
``predict`` function (model, item -> prediction). Out: per item the prediction of the model
fitted on the other folds. Folds are made per set with a fixed seed: the set's article
groups (copies of one text share a group) are shuffled and dealt round-robin, so each fold
holds a fifth of each set and no article is ever split.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TypeVar

FOLDS = 5
SEED = 20261126

Item = TypeVar("Item")
Model = TypeVar("Model")
Pred = TypeVar("Pred")


def assign_folds(groups: Sequence[str], folds: int = FOLDS, seed: int = SEED, salt: str = "") -> list[int]:
    """The fold (0 .. folds-1) of each item; items with the same group get the same fold.

    Deterministic for a given seed, salt (the set's name) and set of groups, whatever
    their order.
    """
    unique = sorted(set(groups))
    random.Random(f"{seed}:{salt}").shuffle(unique)
    fold_of = {g: i % folds for i, g in enumerate(unique)}
    return [fold_of[g] for g in groups]


def cross_validated(
    items: Sequence[Item],
    folds: Sequence[int],
    fit: Callable[[Sequence[Item]], Model],
    predict: Callable[[Model, Item], Pred],
) -> list[Pred]:
    """Each item's prediction by the model fitted on every item of the other folds."""
    if len(items) != len(folds):
        raise ValueError("one fold per item")
    out: dict[int, Pred] = {}
    for k in sorted(set(folds)):
        model = fit([x for x, f in zip(items, folds, strict=True) if f != k])
        for i, (x, f) in enumerate(zip(items, folds, strict=True)):
            if f == k:
                out[i] = predict(model, x)
    return [out[i] for i in range(len(items))]
