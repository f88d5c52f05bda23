"""``conflictwire extract`` never aborts a run for one article: any failure of any stage on
one line becomes a bad line with its stage, exception type and message; the others go on."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

from workers import codec, schemas
from workers.batch import event_output, run_batch, to_raw
from workers.types import ArticleEntities, EnrichedEvent, NormalizedArticle


def _line(article_id: str, text: str, **extra: Any) -> bytes:
    return json.dumps({"id": article_id, "text": text, **extra}).encode()


def _no_entities(batch: Sequence[NormalizedArticle]) -> list[ArticleEntities]:
    return [{**a, "actors": [], "places": []} for a in batch]  # type: ignore[typeddict-unknown-key]


def _choking_entities(batch: Sequence[NormalizedArticle]) -> list[ArticleEntities]:
    """An entity stage with a bug: it crashes (not a StageError) on any article about "poison"."""
    if any("poison" in a["text"].lower() for a in batch):
        raise IndexError("list index out of range")
    return _no_entities(batch)


def test_a_crash_in_any_stage_is_one_bad_line_and_the_run_goes_on() -> None:
    lines = [
        _line("good-1", "A bomb killed six people in Aleppo.", date="2017-04-19"),
        _line("crash", "Poison gas killed nine people.", date="2017-04-19"),
        _line("future", "Shells hit the town.", date="2099-01-01"),
        _line("typed", "Shells hit the town.", title=["not", "a", "string"]),
        b"{not json",
        _line("good-2", "Gunmen abducted 12 students on Saturday.", date="2021-03-01"),
    ]
    out = io.BytesIO()
    now = dt.datetime(2021, 3, 2, tzinfo=dt.UTC)
    report = run_batch(lines, out, _choking_entities, batch_size=3, now=now)
    assert (report.read, report.written) == (6, 2)
    reasons = {e.article_id or f"line {e.line}": e.reason for e in report.errors}
    assert reasons["crash"] == "entities: IndexError: list index out of range"
    assert reasons["future"].startswith("normalize: StageError: published_at in the future")
    assert reasons["typed"].startswith("normalize: StageError: field 'title' must be a string")
    assert reasons["line 5"].startswith("decode: ")
    rows = [codec.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == ["good-1", "good-2"]
    for row in rows:
        schemas.validate("extract.output", row, 1)


def test_untitled_undated_lines_are_accepted() -> None:
    out = io.BytesIO()
    report = run_batch([_line("wad-1", "Armed men shot dead the village chief.")], out, _no_entities)
    assert (report.written, report.errors) == (1, [])
    raw = to_raw({"id": "x", "text": "Posted 5 July 2015 - Aircraft struck the town."})
    assert raw["title"] == "" and raw["published_at"] == "2015-07-05"
    assert "published_at" not in to_raw({"id": "x", "text": "No date."})


def test_event_output_writes_killed_noncombatants_when_the_event_has_it() -> None:
    event: dict[str, Any] = {
        "event_id": "evt-0123456789abcdef",
        "type": "attack",
        "perpetrator": None,
        "targets": [],
        "speakers": [],
        "location": {"name": None, "admin1": None, "country": None, "lat": None, "lon": None},
        "date": {"value": "2021-03-01", "precision": "day", "source": "text"},
        "killed": {"low": 5, "high": 5},
        "injured": None,
        "displaced": None,
        "victims": "civilians",
        "evidence": [],
        "confidence": 0.8,
    }
    assert "killed_noncombatants" not in event_output(EnrichedEvent(**event))  # type: ignore[typeddict-item]
    event["killed_noncombatants"] = {"low": 3, "high": 3}
    written = event_output(EnrichedEvent(**event))  # type: ignore[typeddict-item]
    assert written["killed_noncombatants"] == {"low": 3, "high": 3}
    line = {"id": "a", "events": [written]}
    schemas.validate("extract.output", line, 1)
