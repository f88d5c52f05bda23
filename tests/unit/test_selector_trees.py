"""The selector's trees, evaluated in Python, give lightgbm's probabilities to the last bit."""

from __future__ import annotations

import math
import random

import pytest

from workers.stages.selector import FEATURES, MODEL_FILE, TreesModel, _parse_trees, load_selector

lightgbm = pytest.importorskip("lightgbm")


def _edge_rows(texts: list[str], count: int, seed: int) -> list[list[float]]:
    """Rows whose values sit on, just below and just above the models' thresholds, at 0, near 0,
    NaN and far out: where a decision could go either way."""
    per_feature: dict[int, set[float]] = {
        i: {0.0, 1e-40, -1e-40, 1.0, -3.0, 1e9} for i in range(len(FEATURES))
    }
    for text in texts:
        for tree in _parse_trees(text)[1]:
            for feature, threshold in zip(tree.split_feature, tree.threshold, strict=True):
                per_feature[feature] |= {
                    threshold,
                    math.nextafter(threshold, -math.inf),
                    math.nextafter(threshold, math.inf),
                }
    choices = {i: sorted(v) for i, v in per_feature.items()}
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        rows.append(
            [rng.choice(choices[i]) if rng.random() > 0.02 else math.nan for i in range(len(FEATURES))]
        )
    return rows


def test_the_shipped_trees_give_lightgbms_probabilities_bit_for_bit() -> None:
    selector = load_selector(MODEL_FILE)
    models = [m for m in selector.models.values() if isinstance(m, TreesModel)]
    assert models, "the shipped selector has tree models"
    for model in models:
        rows = _edge_rows(model.texts, 3000, seed=len(model.texts))
        ours = model.predict(rows)
        boosters = [lightgbm.Booster(model_str=t) for t in model.texts]
        runs = [b.predict(rows, num_threads=1) for b in boosters]
        theirs = [float(sum(ps) / len(ps)) for ps in zip(*runs, strict=True)]
        assert ours == theirs
        assert 0.05 < sum(p >= 0.5 for p in ours) / len(ours) < 0.95  # both sides of the threshold met


def test_a_model_this_reader_cannot_evaluate_is_refused() -> None:
    from workers.stages.errors import StageError

    with pytest.raises(StageError, match="not binary"):
        _parse_trees("tree\nversion=v4\nobjective=regression\nmax_feature_idx=0\n")


def test_the_compiled_forest_and_the_node_walk_agree() -> None:
    from workers.stages.selector import _compiled, _walk_all

    model = next(m for m in load_selector(MODEL_FILE).models.values() if isinstance(m, TreesModel))
    trees = _parse_trees(model.texts[0])[1]
    rows = [[0.0 if math.isnan(x) else x for x in row] for row in _edge_rows(model.texts, 500, seed=7)]
    assert [_compiled(trees)(row) for row in rows] == [_walk_all(trees, row) for row in rows]
