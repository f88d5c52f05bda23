"""Scoring the extraction on the dev sets (``../shared/eval``, see its README).

- :mod:`.devsets`: the three dev sets as articles plus gold;
- :mod:`.prepare`: normalize + entities once per code version, cached on disk;
- :mod:`.crossval`: folds by article and the cross-validation driver;
- :mod:`.scoring`: per-set measures (:mod:`.matching` compares places and months,
  :mod:`.perpetrators` maps actors to the annotators' classes, :mod:`.fakes` is the FA-KES
  scorer, also used on an ``extract`` output file);
- :mod:`.run`: ``conflictwire evaluate`` end to end, and its tables.
"""

from workers.evaluation.fakes import (
    GoldArticle,
    Scores,
    format_table,
    gold_articles,
    governorate,
    predictions_by_id,
    read_jsonl,
    score,
)

__all__ = [
    "GoldArticle",
    "Scores",
    "format_table",
    "gold_articles",
    "governorate",
    "predictions_by_id",
    "read_jsonl",
    "score",
]
