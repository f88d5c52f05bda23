"""Which candidate figures make an event's totals, decided by a learned model.

In: an article's entities, its casualty figures (:func:`workers.stages.casualties.find_figures`)
and the figures the rule planner (:mod:`workers.stages.event_figures`) picked for the toll.
Out: a :class:`Selection` — the figures whose sum is the event's ``killed`` (everyone killed,
combatants included, as FA-KES counts) and ``killed_noncombatants`` (as WAD counts).

Every killed figure that is not background is a candidate; the model scores each one from the
features below (what the parser and the planner know about it become features, the model
weighs them) and the candidates scored at or above 0.5 are summed. The model file is
``workers/data/models/figure_selector.json`` (trained by ``python -m workers.training``; its
card is ``MODEL_CARD.md`` next to it). A target the file has no model for falls back to the
planner's pick.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from workers import codec
from workers.stages.casualties import CasualtyFigure
from workers.stages.errors import StageError
from workers.stages.patterns import pattern
from workers.types import ArticleEntities

Target = Literal["killed", "killed_noncombatants"]
TARGETS: tuple[Target, ...] = ("killed", "killed_noncombatants")
MODEL_FILE = Path(__file__).resolve().parent.parent / "data" / "models" / "figure_selector.json"
THRESHOLD = 0.5

_EARLIER = pattern("events.earlier")
_ATTACKERS = pattern("selector.attackers")
_TOLL = pattern("selector.toll")
_KINDS = ("civilians", "children", "women", "fighters", "soldiers", "unspecified")
_NONCOMBATANT = ("civilians", "children", "women")
_COMBATANT = ("fighters", "soldiers")
# "five more", "three others", "another two", "also killed": victims besides those counted
# before, which a summary of several incidents adds up
_ADDITIVE = re.compile(
    r"\b(?:more|other|others|another|also|further|additional|along with|alongside|together with)\b", re.I
)
ADDITIVE_WINDOW = 25  # characters either side of the figure

FEATURES: tuple[str, ...] = (
    "log_value",
    "vague",
    "low_only",
    "high_only",
    "approx",
    "title",
    "sentence",
    "relative_sentence",
    "order",
    "first_body",
    "first_exact_body",
    "subset",
    "coordinated",
    "context",
    "also",
    "repeats_part",
    "confidence",
    *(f"victims_{k}" for k in _KINDS),
    "planned",
    "planned_total_equal",
    "log_candidates",
    "same_value_before",
    "same_value_after",
    "same_value_title",
    "same_value_body",
    "largest",
    "share_of_largest",
    "sum_of_two_others",
    "earlier_sentence",
    "attacker_words",
    "toll_words",
    "in_sentence",
    "sentence_candidates",
    "one_person",
    "implicit_one",
    "noncombatant_kind",
    "combatants_in_sentence",
    "above_planned",
    "noncombatant_part",
    "combatant_part",
    "part_beside_combatants",
    "additive_words",
    "net_of_combatants",
)


@dataclass(frozen=True)
class Candidate:
    """One killed figure and its feature vector (in ``FEATURES`` order)."""

    figure: CasualtyFigure
    features: tuple[float, ...]


@dataclass(frozen=True)
class Selection:
    """The figures that make each target's total (an empty list: no figure counts)."""

    killed: list[CasualtyFigure] = field(default_factory=list)
    killed_noncombatants: list[CasualtyFigure] = field(default_factory=list)


def candidates(
    ent: ArticleEntities, figs: Sequence[CasualtyFigure], planned: Sequence[CasualtyFigure]
) -> list[Candidate]:
    """The killed, non-background figures of an article with their features, in reading order
    (title first). ``planned`` is the rule planner's pick for the killed toll."""
    pool = _with_net_figures([f for f in figs if f.category == "killed" and not f.background])
    planned_ids = {id(f) for f in planned}
    planned_total = sum(f.value for f in planned)
    return [Candidate(f, _features(ent, pool, k, planned_ids, planned_total)) for k, f in enumerate(pool)]


NET = "net-of-combatants"  # the note of a derived figure: a total less its combatant parts


def _with_net_figures(pool: Sequence[CasualtyFigure]) -> list[CasualtyFigure]:
    """``pool`` with, after each total that names combatant parts ("killed 22 people including
    six military personnel"), the total less those parts (16): the non-combatants WAD counts.
    Derived figures are candidates for ``killed_noncombatants`` only (:func:`counts_for`)."""
    out: list[CasualtyFigure] = []
    for f in pool:
        out.append(f)
        if f.subset or f.vague or f.low is None:
            continue
        parts = [
            g
            for g in pool
            if g.sentence == f.sentence and g.subset and g.start > f.start and g.victims in _COMBATANT
        ]
        net = f.low - sum(g.value for g in parts)
        if parts and net > 0:
            high = None if f.high is None else max(net, f.high - sum(g.value for g in parts))
            out.append(dataclasses.replace(f, low=net, high=high, notes=(*f.notes, NET)))
    return out


def counts_for(figure: CasualtyFigure, target: Target) -> bool:
    """Whether ``figure`` may count toward ``target`` (a derived net figure: non-combatants only)."""
    return target == "killed_noncombatants" or NET not in figure.notes


def _features(
    ent: ArticleEntities,
    pool: Sequence[CasualtyFigure],
    k: int,
    planned_ids: set[int],
    planned_total: int,
) -> tuple[float, ...]:
    """The feature vector of ``pool[k]`` among its article's candidates."""
    f = pool[k]
    body = [g for g in pool if g.sentence >= 0]
    values = [g.value for g in pool]
    largest = max(values) or 1
    others = [g.value for j, g in enumerate(pool) if j != k]
    in_sentence = [g for g in pool if g.sentence == f.sentence]
    n_sent = max(1, len(ent["sentences"]))
    exact_body = [g for g in body if not g.vague]
    row: dict[str, float] = {
        "log_value": math.log1p(f.value),
        "vague": float(f.vague),
        "low_only": float(f.low is not None and f.high is None),
        "high_only": float(f.low is None and f.high is not None),
        "approx": float(f.approx),
        "title": float(f.sentence < 0),
        "sentence": float(min(f.sentence, 30)),
        "relative_sentence": max(f.sentence, 0) / n_sent,
        "order": float(min(k, 30)),
        "first_body": float(bool(body) and body[0] is f),
        "first_exact_body": float(bool(exact_body) and exact_body[0] is f),
        "subset": float(f.subset),
        "coordinated": float(f.coordinated),
        "context": float(f.context),
        "also": float("also" in f.notes),
        "repeats_part": float("repeats-a-part" in f.notes),
        "confidence": f.confidence,
        **{f"victims_{kind}": float(f.victims == kind) for kind in _KINDS},
        "planned": float(id(f) in planned_ids),
        "planned_total_equal": float(f.value == planned_total),
        "log_candidates": math.log1p(len(pool)),
        "same_value_before": float(any(g.value == f.value for g in pool[:k])),
        "same_value_after": float(any(g.value == f.value for g in pool[k + 1 :])),
        "same_value_title": float(
            f.sentence >= 0 and any(g.value == f.value for g in pool if g.sentence < 0)
        ),
        "same_value_body": float(f.sentence < 0 and any(g.value == f.value for g in body)),
        "largest": float(f.value == largest),
        "share_of_largest": f.value / largest,
        "sum_of_two_others": float(_sum_of_two(f.value, others)),
        "earlier_sentence": float(bool(_EARLIER.search(f.sentence_text))),
        "attacker_words": float(bool(_ATTACKERS.search(f.sentence_text))),
        "toll_words": float(bool(_TOLL.search(f.sentence_text))),
        "in_sentence": float(min(in_sentence.index(f), 10)),
        "sentence_candidates": float(min(len(in_sentence), 10)),
        "one_person": float(f.value == 1 and not f.surface[:1].isdigit()),
        "implicit_one": float("implicit-one" in f.notes),
        "noncombatant_kind": float(f.victims in ("civilians", "children", "women")),
        "combatants_in_sentence": float(
            any(g.victims in ("fighters", "soldiers") for g in in_sentence if g is not f)
        ),
        "above_planned": float(planned_total > 0 and f.value > planned_total),
        **_part_features(f, in_sentence),
        "additive_words": float(bool(_ADDITIVE.search(_around(ent, f)))),
        "net_of_combatants": float(NET in f.notes),
    }
    return tuple(row[name] for name in FEATURES)


def _part_features(f: CasualtyFigure, in_sentence: Sequence[CasualtyFigure]) -> dict[str, float]:
    """Who a total is made of: "Eleven people, including eight civilians and three
    assailants" — WAD counts the civilian part, FA-KES the total."""
    parts = [g for g in in_sentence if g.subset and g is not f and g.start > f.start and g.value < f.value]
    siblings = [g for g in in_sentence if g.subset and g is not f]
    return {
        "noncombatant_part": float(not f.subset and any(g.victims in _NONCOMBATANT for g in parts)),
        "combatant_part": float(not f.subset and any(g.victims in _COMBATANT for g in parts)),
        "part_beside_combatants": float(
            f.subset and f.victims in _NONCOMBATANT and any(g.victims in _COMBATANT for g in siblings)
        ),
    }


def _around(ent: ArticleEntities, f: CasualtyFigure) -> str:
    """The figure with ``ADDITIVE_WINDOW`` characters of its sentence either side."""
    offset = 0 if f.sentence < 0 else int(ent["sentences"][f.sentence]["start"])
    start, end = f.start - offset, f.end - offset
    return f.sentence_text[max(0, start - ADDITIVE_WINDOW) : end + ADDITIVE_WINDOW]


def _sum_of_two(value: int, others: Sequence[int]) -> bool:
    """Whether two other candidates add up to ``value`` (a total of two parts)."""
    seen: set[int] = set()
    for v in others[:40]:
        if value - v in seen and v > 0 and value - v > 0:
            return True
        seen.add(v)
    return False


# ---------------------------------------------------------------- models


class _Model:
    """A probability for each feature vector."""

    def predict(self, rows: Sequence[Sequence[float]]) -> list[float]:  # pragma: no cover - interface
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError


class LogisticModel(_Model):
    """Logistic regression over standardised features (weights from scikit-learn)."""

    def __init__(self, weights: Sequence[float], bias: float, mean: Sequence[float], scale: Sequence[float]):
        if not len(weights) == len(mean) == len(scale) == len(FEATURES):
            raise StageError("logistic selector model does not match the feature list")
        self.weights, self.bias, self.mean, self.scale = list(weights), bias, list(mean), list(scale)

    def predict(self, rows: Sequence[Sequence[float]]) -> list[float]:
        out = []
        for row in rows:
            z = self.bias + sum(
                w * (x - m) / s for w, x, m, s in zip(self.weights, row, self.mean, self.scale, strict=True)
            )
            out.append(1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z)))))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "logistic",
            "weights": self.weights,
            "bias": self.bias,
            "mean": self.mean,
            "scale": self.scale,
        }


# LightGBM's kZeroThreshold (1e-35f, a float widened to double): a feature this close to 0 is read as 0
ZERO_THRESHOLD = struct.unpack("f", struct.pack("f", 1e-35))[0]


@dataclass(frozen=True)
class _Tree:
    """One tree of a LightGBM text model: node arrays as the file lists them (a child < 0 is
    the leaf ``~child``)."""

    split_feature: tuple[int, ...]
    threshold: tuple[float, ...]
    decision_type: tuple[int, ...]
    left_child: tuple[int, ...]
    right_child: tuple[int, ...]
    leaf_value: tuple[float, ...]

    def value(self, row: Sequence[float]) -> float:
        """The leaf value ``row`` reaches, by lib_lightgbm's numerical decision (Tree::GetLeaf)."""
        if not self.split_feature:
            return self.leaf_value[0]
        node = 0
        while node >= 0:
            x = row[self.split_feature[node]]
            kind = self.decision_type[node]
            missing = (kind >> 2) & 3  # 0 none, 1 zero, 2 NaN
            if math.isnan(x) and missing != 2:
                x = 0.0
            if (missing == 1 and -ZERO_THRESHOLD <= x <= ZERO_THRESHOLD) or (missing == 2 and math.isnan(x)):
                node = self.left_child[node] if kind & 2 else self.right_child[node]
            elif x <= self.threshold[node]:
                node = self.left_child[node]
            else:
                node = self.right_child[node]
        return self.leaf_value[~node]


def _parse_trees(text: str) -> tuple[float, list[_Tree]]:
    """A LightGBM model in its text format -> (its sigmoid, its trees); StageError for a model this
    reader does not evaluate as lib_lightgbm would (not binary, categorical or linear trees)."""
    header: dict[str, str] = {}
    blocks: list[dict[str, str]] = []
    current = header
    for line in text.splitlines():
        if line.startswith("Tree="):
            current = {}
            blocks.append(current)
        elif line.startswith("end of trees"):
            break
        elif "=" in line:
            key, _, value = line.partition("=")
            current[key] = value
    objective = header.get("objective", "").split()
    if not objective or objective[0] != "binary" or header.get("num_class", "1") != "1":
        raise StageError(f"tree selector model: objective {header.get('objective')!r} is not binary")
    sigmoid = next((float(o.split(":", 1)[1]) for o in objective if o.startswith("sigmoid:")), 1.0)
    trees = []
    for block in blocks:
        if block.get("num_cat", "0") != "0" or block.get("is_linear", "0") != "0":
            raise StageError("tree selector model has categorical or linear trees")
        ints = {k: tuple(int(v) for v in block.get(k, "").split()) for k in _TREE_INTS}
        if any(kind & 1 for kind in ints["decision_type"]):
            raise StageError("tree selector model has categorical splits")
        trees.append(
            _Tree(
                split_feature=ints["split_feature"],
                threshold=tuple(float(v) for v in block.get("threshold", "").split()),
                decision_type=ints["decision_type"],
                left_child=ints["left_child"],
                right_child=ints["right_child"],
                leaf_value=tuple(float(v) for v in block["leaf_value"].split()),
            )
        )
    return sigmoid, trees


_TREE_INTS = ("split_feature", "decision_type", "left_child", "right_child")


class TreesModel(_Model):
    """Gradient-boosted trees: one or more LightGBM models in their text format, fitted with
    different seeds; the probability is their mean (a bag, steadier than one model).

    The trees are evaluated here, in Python, as lib_lightgbm evaluates them (a feature within
    1e-35 of 0 read as 0, the leaves' values summed in tree order from 0.0, then the binary
    objective's sigmoid): the same probabilities to the last bit (tests/unit/test_selector_trees.py
    compares them with lightgbm's), without importing lightgbm in the worker — lightgbm brings
    pandas, scipy and scikit-learn along, ~110 MiB resident and seconds of start-up, for a
    prediction of a handful of rows.
    """

    def __init__(self, texts: str | Sequence[str]):
        self.texts = [texts] if isinstance(texts, str) else list(texts)
        if not self.texts:
            raise StageError("tree selector model has no trees")
        self.forests = [_parse_trees(t) for t in self.texts]
        self.raw_scores = [_compiled(trees) for _, trees in self.forests]
        if any(_feature_count(t) != len(FEATURES) for t in self.texts):
            raise StageError("tree selector model does not match the feature list")

    def predict(self, rows: Sequence[Sequence[float]]) -> list[float]:
        if not rows:
            return []
        values = [[_feature(x) for x in row] for row in rows]
        runs = [
            [1.0 / (1.0 + math.exp(-sigmoid * raw(row))) for row in values]
            for (sigmoid, _), raw in zip(self.forests, self.raw_scores, strict=True)
        ]
        return [float(sum(ps) / len(ps)) for ps in zip(*runs, strict=True)]

    def to_json(self) -> dict[str, Any]:
        return {"kind": "lightgbm", "models": self.texts}


def _feature_count(text: str) -> int:
    for line in text.splitlines():
        if line.startswith("max_feature_idx="):
            return int(line.split("=", 1)[1]) + 1
    raise StageError("tree selector model has no max_feature_idx")


def _feature(x: float) -> float:
    """A feature as lib_lightgbm reads a dense row: within ZERO_THRESHOLD of 0 it is 0."""
    x = float(x)
    return 0.0 if -ZERO_THRESHOLD <= x <= ZERO_THRESHOLD else x


def _compiled(trees: Sequence[_Tree]) -> Callable[[Sequence[float]], float]:
    """A forest's raw score (its trees' leaves summed in order from 0.0) as one Python function.

    When every split treats a missing value as LightGBM's "none" (NaN read as 0, then
    ``x <= threshold`` goes left), the trees become nested conditional expressions, about 6 x
    faster than walking the node arrays; otherwise the arrays are walked (:meth:`_Tree.value`).
    Numbers are written with ``repr`` (exact round trip), so the sums are the same to the bit.
    """
    if any((kind >> 2) & 3 for tree in trees for kind in tree.decision_type):
        return lambda row: _walk_all(trees, row)

    def node(tree: _Tree, index: int) -> str:
        if index < 0:
            return repr(tree.leaf_value[~index])
        x = f"x[{tree.split_feature[index]}]"
        return (
            f"({node(tree, tree.left_child[index])} if {x} <= {tree.threshold[index]!r}"
            f" else {node(tree, tree.right_child[index])})"
        )

    lines = ["def raw(row):", "    x = [0.0 if v != v else v for v in row]", "    s = 0.0"]
    for tree in trees:
        lines.append(f"    s += {node(tree, 0) if tree.split_feature else repr(tree.leaf_value[0])}")
    lines.append("    return s")
    namespace: dict[str, Any] = {}
    # the source holds only numbers parsed above (ints, floats by repr): nothing from outside runs
    exec(compile("\n".join(lines), "<selector trees>", "exec"), namespace)
    return cast(Callable[[Sequence[float]], float], namespace["raw"])


def _walk_all(trees: Sequence[_Tree], row: Sequence[float]) -> float:
    raw = 0.0
    for tree in trees:
        raw += tree.value(row)
    return raw


def _model_from_json(obj: Mapping[str, Any]) -> _Model:
    kind = obj.get("kind")
    if kind == "logistic":
        return LogisticModel(obj["weights"], float(obj["bias"]), obj["mean"], obj["scale"])
    if kind == "lightgbm":
        return TreesModel([str(t) for t in obj["models"]] if "models" in obj else str(obj["model"]))
    raise StageError(f"unknown selector model kind {kind!r}")


def _title_as_fallback(chosen: list[CasualtyFigure]) -> list[CasualtyFigure]:
    """The headline's figures count only when no body figure does: a headline restates the
    lead (or, untitled, is a copy of the first sentence), so adding both counts one toll twice."""
    body = [f for f in chosen if f.sentence >= 0]
    return body or chosen


class FigureSelector:
    """Decides which candidate figures make each target's total; one model per target."""

    def __init__(self, models: Mapping[Target, _Model], threshold: float = THRESHOLD):
        self.models = dict(models)
        self.threshold = threshold

    def scores(self, target: Target, cands: Sequence[Candidate]) -> list[tuple[CasualtyFigure, float]]:
        """Each candidate with the model's probability that it counts toward ``target``."""
        model = self.models.get(target)
        if model is None:
            # no model for this target: the rule planner's pick
            planned = FEATURES.index("planned")
            return [(c.figure, float(c.features[planned])) for c in cands]
        probs = model.predict([c.features for c in cands])
        return [
            (c.figure, p if counts_for(c.figure, target) else 0.0) for c, p in zip(cands, probs, strict=True)
        ]

    def select(
        self, ent: ArticleEntities, figs: Sequence[CasualtyFigure], planned: Sequence[CasualtyFigure]
    ) -> Selection:
        """The figures that make the killed and non-combatant killed totals, in reading order."""
        cands = candidates(ent, figs, planned)  # features once, for both targets
        chosen = {
            target: _title_as_fallback([f for f, p in self.scores(target, cands) if p >= self.threshold])
            for target in TARGETS
        }
        return Selection(killed=chosen["killed"], killed_noncombatants=chosen["killed_noncombatants"])

    def to_json(self) -> dict[str, Any]:
        """The selector as a JSON-ready object (what the model file holds)."""
        return {
            "features": list(FEATURES),
            "threshold": self.threshold,
            "models": {t: m.to_json() for t, m in self.models.items()},
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> FigureSelector:
        """A selector from :meth:`to_json`'s object; StageError if it does not fit this code."""
        if list(obj.get("features", [])) != list(FEATURES):
            raise StageError("selector model was trained on other features: retrain (make train)")
        models: dict[Target, _Model] = {}
        for target in TARGETS:
            if target in obj.get("models", {}):
                models[target] = _model_from_json(obj["models"][target])
        return cls(models, float(obj.get("threshold", THRESHOLD)))


def load_selector(path: Path) -> FigureSelector:
    """The selector stored at ``path``."""
    try:
        return FigureSelector.from_json(codec.loads(path.read_bytes()))
    except OSError as exc:
        raise StageError(f"cannot read selector model {path}: {exc}") from exc


@functools.cache
def shipped_selector() -> FigureSelector:
    """The selector shipped in the package (loaded once per process)."""
    return load_selector(MODEL_FILE)
