"""FA-KES scoring: predictions against FA-KES-style annotations (shared/eval/README.md).

Gold rows are slices (governorate, actor, cause) of an article; the rows that share
``unit_id`` form one article, whose killed total is the sum of their ``gold_killed``
and whose governorates and actor categories are the sets of their values. Each
article is scored with the prediction of its first row. Predicted killed = sum of
``killed.low`` over the events (null = 0); injured are never counted.
"""

from __future__ import annotations

import functools
import re
import statistics
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workers import codec
from workers.evaluation.perpetrators import PerpetratorLabels, fakes_labels

# governorate names as the annotations write them, and the spellings that mean them
_GOVERNORATES: dict[str, tuple[str, ...]] = {
    "aleppo": ("aleppo", "halab", "alep"),
    "damascus": (
        "damascus",
        "dimashq",
        "rif dimashq",
        "rif dimashq governorate",
        "damascus countryside",
        "rural damascus",
        "damascus suburbs",
        "reef damascus",
        "rif damascus",
        "eastern ghouta",
        "ghouta",
        "douma",
        "qalamoun",
    ),
    "idlib": ("idlib", "idleb", "edlib"),
    "deir ezzor": (
        "deir ezzor",
        "deir ez zor",
        "deir ezzor",
        "deir al zour",
        "deir al zor",
        "deir az zor",
        "deir az zour",
        "dayr az zawr",
        "deir el zor",
        "deir zor",
        "deirezzor",
        "der ez zor",
    ),
    "raqqa": ("raqqa", "raqqah", "ar raqqah", "al raqqa", "raqa", "rakka"),
    "homs": ("homs", "hims"),
    "hasakeh": ("hasakeh", "hasakah", "al hasakah", "hasaka", "hassakeh", "al hasaka", "hassake", "hasake"),
    "hama": ("hama", "hamah"),
    "daraa": ("daraa", "deraa", "dara a", "dar a", "deraa governorate"),
    "lattakia": ("lattakia", "latakia", "al ladhiqiyah", "ladhiqiyah", "latakia governorate"),
    "quneitra": ("quneitra", "al qunaytirah", "qunaytirah", "kuneitra"),
    "tartous": ("tartous", "tartus", "tartous governorate"),
}


def _fold(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"\b(?:governorate|province|muhafazat|governate|countryside of|city)\b", " ", s)
    s = re.sub(r"[^a-z]+", " ", s).strip()
    return re.sub(r"\s+", " ", s)


@functools.cache
def _governorate_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for gov, names in _GOVERNORATES.items():
        for n in names:
            index[_fold(n)] = gov
    return index


def governorate(name: str | None) -> str | None:
    """The FA-KES governorate a place or admin1 name stands for, if any."""
    if not name:
        return None
    folded = _fold(name)
    index = _governorate_index()
    if folded in index:
        return index[folded]
    stripped = re.sub(r"^(?:al|ar|as|ad|ash|el|an) ", "", folded)
    if stripped in index:
        return index[stripped]
    for key, gov in index.items():
        if len(key) >= 4 and re.search(rf"\b{re.escape(key)}\b", folded):
            return gov
    return None


# ---------------------------------------------------------------- articles


@dataclass
class GoldArticle:
    unit_id: str
    first_row: str
    rows: list[str]
    killed: int
    governorates: set[str]
    actors: set[str]


def gold_articles(rows: Iterable[Mapping[str, Any]]) -> list[GoldArticle]:
    """Rows grouped into articles by ``unit_id``, in file order."""
    by_unit: dict[str, GoldArticle] = {}
    for row in rows:
        unit = str(row.get("unit_id", row["id"]))
        killed = int(row.get("gold_killed") or 0)
        art = by_unit.get(unit)
        if art is None:
            art = GoldArticle(unit, str(row["id"]), [], 0, set(), set())
            by_unit[unit] = art
        art.rows.append(str(row["id"]))
        art.killed += killed
        if row.get("gold_location"):
            art.governorates.add(str(row["gold_location"]).lower())
        if row.get("gold_actor"):
            art.actors.add(str(row["gold_actor"]).lower())
    return list(by_unit.values())


def predicted_killed(events: Sequence[Mapping[str, Any]]) -> int:
    total = 0
    for e in events:
        k = e.get("killed")
        if isinstance(k, Mapping) and isinstance(k.get("low"), int):
            total += k["low"]
    return total


def predicted_governorates(events: Sequence[Mapping[str, Any]]) -> set[str]:
    out: set[str] = set()
    for e in events:
        loc = e.get("location") or {}
        for key in ("admin1", "name"):
            gov = governorate(loc.get(key))
            if gov:
                out.add(gov)
    return out


def predicted_actors(
    events: Sequence[Mapping[str, Any]], labels: PerpetratorLabels, kinds: Mapping[str, str] | None = None
) -> set[str]:
    """The categories of the events' perpetrators (no event: the none label); ``kinds``: actor
    id -> kind as the article's mentions give it, for ids the gazetteer does not list."""
    if not events:
        return {labels.none}
    return {labels.label(e.get("perpetrator"), kinds) for e in events}


# ---------------------------------------------------------------- scoring


@dataclass
class ArticleScore:
    unit_id: str
    row_id: str
    gold_killed: int
    pred_killed: int
    governorates: list[str]
    pred_governorates: list[str]
    actors: list[str]
    pred_actors: list[str]
    predicted: bool


@dataclass
class Scores:
    articles: int
    missing_predictions: int
    exact: float
    within_10: float
    detection: float
    mean_abs_error: float
    median_abs_error: float
    governorate: float
    actor: float
    per_article: list[ArticleScore] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("per_article")
        return d


def score(
    gold_rows: Iterable[Mapping[str, Any]],
    predictions: Mapping[str, Sequence[Mapping[str, Any]]],
    labels: PerpetratorLabels | None = None,
    kinds: Mapping[str, Mapping[str, str]] | None = None,
) -> Scores:
    """Scores of ``predictions`` (row id -> events) against the annotated rows.

    ``labels`` map perpetrators to FA-KES categories (default: :func:`fakes_labels`);
    ``kinds``: row id -> (actor id -> kind) from the article's mentions, when known.
    """
    labels = fakes_labels() if labels is None else labels
    arts = gold_articles(gold_rows)
    if not arts:
        raise ValueError("no gold articles")
    per: list[ArticleScore] = []
    for a in arts:
        predicted = a.first_row in predictions
        events = list(predictions.get(a.first_row, []))
        per.append(
            ArticleScore(
                unit_id=a.unit_id,
                row_id=a.first_row,
                gold_killed=a.killed,
                pred_killed=predicted_killed(events),
                governorates=sorted(a.governorates),
                pred_governorates=sorted(predicted_governorates(events)),
                actors=sorted(a.actors),
                pred_actors=sorted(predicted_actors(events, labels, (kinds or {}).get(a.first_row))),
                predicted=predicted,
            )
        )
    n = len(per)
    errors = [abs(p.pred_killed - p.gold_killed) for p in per]
    exact = sum(p.pred_killed == p.gold_killed for p in per) / n
    within = sum(abs(p.pred_killed - p.gold_killed) <= 0.1 * p.gold_killed for p in per) / n
    detection = sum((p.gold_killed > 0) == (p.pred_killed > 0) for p in per) / n
    gov = sum(bool(set(p.governorates) & set(p.pred_governorates)) for p in per) / n
    act = sum(bool(set(p.actors) & set(p.pred_actors)) for p in per) / n
    return Scores(
        articles=n,
        missing_predictions=sum(not p.predicted for p in per),
        exact=round(exact, 4),
        within_10=round(within, 4),
        detection=round(detection, 4),
        mean_abs_error=round(statistics.fmean(errors), 2),
        median_abs_error=round(statistics.median(errors), 2),
        governorate=round(gov, 4),
        actor=round(act, 4),
        per_article=per,
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                out.append(codec.loads(line))
            except codec.DecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
    return out


def predictions_by_id(lines: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    return {str(p["id"]): list(p.get("events") or []) for p in lines}


def format_table(s: Scores) -> str:
    rows = [
        ("articles", f"{s.articles}"),
        ("missing predictions", f"{s.missing_predictions}"),
        ("killed exact match", f"{s.exact:.3f}"),
        ("killed within 10%", f"{s.within_10:.3f}"),
        ("detection (deaths / none)", f"{s.detection:.3f}"),
        ("mean absolute error", f"{s.mean_abs_error:.2f}"),
        ("median absolute error", f"{s.median_abs_error:.2f}"),
        ("governorate accuracy", f"{s.governorate:.3f}"),
        ("perpetrator category accuracy", f"{s.actor:.3f}"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
