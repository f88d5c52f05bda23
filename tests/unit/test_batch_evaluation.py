"""Batch extraction (bad lines counted, output shape) and the FA-KES scorer's conventions."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from workers import codec, schemas
from workers.batch import date_from_text, run_batch, to_raw
from workers.cli_batch import evaluate_command
from workers.evaluation import governorate, score
from workers.evaluation.perpetrators import PerpetratorLabels
from workers.stages.errors import StageError
from workers.types import ArticleEntities, NormalizedArticle


def _no_entities(batch: Sequence[NormalizedArticle]) -> list[ArticleEntities]:
    return [{**a, "actors": [], "places": []} for a in batch]  # type: ignore[typeddict-unknown-key]


def test_run_batch_writes_one_line_per_good_article_and_counts_bad_lines() -> None:
    lines = [
        json.dumps(
            {
                "id": "a1",
                "title": "Bomb kills 6 in Aleppo",
                "text": "A bomb killed six people.",
                "source": "x",
                "date": "2017-04-19",
            }
        ).encode(),
        b"not json",
        json.dumps({"id": "a2", "title": "No text"}).encode(),
        b"",
        json.dumps(
            {"id": "a3", "title": "Talks", "text": "Ministers met in Geneva.", "source": "y"}
        ).encode(),
    ]
    out = io.BytesIO()
    report = run_batch(lines, out, _no_entities, batch_size=2)
    assert (report.read, report.written, len(report.errors)) == (4, 2, 2)
    assert [e.line for e in report.errors] == [2, 3]
    rows = [codec.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == ["a1", "a3"]
    assert rows[0]["events"][0]["killed"] == {"low": 6, "high": 6}
    for row in rows:
        schemas.validate("extract.output", row, 1)


def test_to_raw_needs_text_and_finds_a_date_in_the_text() -> None:
    with pytest.raises(StageError):
        to_raw({"id": "x", "title": "t"})
    raw = to_raw({"id": "x", "title": "t", "text": "Wed 19 Apr 2017 A bomb blast killed six people."})
    assert raw["published_at"] == "2017-04-19"
    assert date_from_text("Published July 5 2015 U.S.-led coalition aircraft") == "2015-07-05"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Rif Dimashq", "damascus"),
        ("Deir ez-Zor", "deir ezzor"),
        ("Ar-Raqqah", "raqqa"),
        ("Idleb", "idlib"),
        ("Al-Hasakah", "hasakeh"),
        ("Latakia Governorate", "lattakia"),
        ("Tartus", "tartous"),
        ("Deraa", "daraa"),
        ("Beirut", None),
    ],
)
def test_governorate_names(name: str, expected: str | None) -> None:
    assert governorate(name) == expected


def _row(
    row_id: str, unit: int, killed: int, loc: str = "aleppo", actor: str = "unknown"
) -> dict[str, object]:
    return {"id": row_id, "unit_id": unit, "gold_killed": killed, "gold_location": loc, "gold_actor": actor}


def test_score_sums_rows_per_article_and_uses_the_first_rows_prediction() -> None:
    gold = [
        _row("r1", 1, 10, "aleppo"),
        _row("r2", 1, 2, "damascus"),
        _row("r3", 2, 0, "homs"),
        _row("r4", 3, 5, "idlib", "syrian government or russian troops"),
    ]
    preds: dict[str, list[dict[str, Any]]] = {
        "r1": [
            {"killed": {"low": 12, "high": 12}, "perpetrator": None, "location": {"admin1": "Rif Dimashq"}}
        ],
        "r2": [{"killed": {"low": 99, "high": 99}}],  # not the first row: ignored
        "r3": [{"killed": None, "perpetrator": None, "location": {"name": "Homs", "admin1": "Homs"}}],
        "r4": [
            {"killed": {"low": None, "high": 6}, "perpetrator": "SYR_GOV", "location": {"admin1": "Idlib"}}
        ],
    }
    s = score(gold, preds, PerpetratorLabels({"SYR_GOV": "syrian government or russian troops"}))
    assert s.articles == 3
    assert [a.pred_killed for a in s.per_article] == [12, 0, 0]  # "nearly 6" has no low bound: 0
    assert s.exact == pytest.approx(2 / 3, abs=1e-3)
    assert s.detection == pytest.approx(2 / 3, abs=1e-3)
    assert s.governorate == 1.0
    assert s.actor == 1.0
    assert s.median_abs_error == 0


def test_evaluate_command_prints_a_table_and_json(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    pred = tmp_path / "pred.jsonl"
    gold.write_text(json.dumps(_row("r1", 1, 4)) + "\n")
    pred.write_text(json.dumps({"id": "r1", "events": [{"killed": {"low": 4, "high": 4}}]}) + "\n")
    runner = CliRunner()
    table = runner.invoke(evaluate_command, ["--gold", str(gold), "--pred", str(pred)])
    assert table.exit_code == 0 and "killed exact match" in table.output
    as_json = runner.invoke(evaluate_command, ["--gold", str(gold), "--pred", str(pred), "--json"])
    assert json.loads(as_json.output)["exact"] == 1.0


def test_evaluate_command_lists_killed_place_and_perpetrator_misses(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    pred = tmp_path / "pred.jsonl"
    gold.write_text(json.dumps(_row("r1", 1, 4, "aleppo", "unknown")) + "\n")
    event = {"killed": {"low": 3, "high": 3}, "perpetrator": None, "location": {"admin1": "Idlib"}}
    pred.write_text(json.dumps({"id": "r1", "events": [event]}) + "\n")
    runner = CliRunner()
    table = runner.invoke(evaluate_command, ["--gold", str(gold), "--pred", str(pred), "--misses"])
    assert table.exit_code == 0
    assert "r1: 4 / 3" in table.output and "r1: aleppo / idlib" in table.output
    args = ["--gold", str(gold), "--pred", str(pred), "--json", "--misses"]
    out = json.loads(runner.invoke(evaluate_command, args).output)
    assert out["misses"] == [{"row_id": "r1", "gold": 4, "pred": 3}]
    assert out["governorate_misses"] == [{"row_id": "r1", "gold": ["aleppo"], "pred": ["idlib"]}]
    assert out["actor_misses"] == []
