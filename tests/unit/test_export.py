"""Exports: the latest version of each event, ACLED-like rows, CSV / GeoJSON / JSON Lines;
and the dashboard's fold of the output topics."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date
from typing import Any

import pytest

from workers import codec, export, schemas
from workers.web.data import DashboardData

EXAMPLES = schemas.schemas_dir() / "examples" / "events.enriched.v1"


def example(name: str) -> dict[str, Any]:
    event: dict[str, Any] = codec.loads((EXAMPLES / f"{name}.json").read_bytes())
    return event


def record(event: dict[str, Any] | None, key: str | None = None) -> tuple[bytes, bytes | None]:
    event_id = key or (event or {})["event_id"]
    return event_id.encode(), None if event is None else codec.dumps(event)


@pytest.fixture
def strike() -> dict[str, Any]:
    return example("sample_02_russian_airstrike_village_idlib")


@pytest.fixture
def statement() -> dict[str, Any]:
    return example("sample_05_ministry_condemns")


def test_fold_keeps_the_highest_version_and_drops_tombstoned_events(
    strike: dict[str, Any], statement: dict[str, Any]
) -> None:
    revised = {**copy.deepcopy(strike), "version": 2, "killed": {"low": 12, "high": None}}
    late_old = {**copy.deepcopy(strike), "version": 1}
    current = export.fold([record(strike), record(revised), record(late_old), record(statement)])
    assert current[strike["event_id"]]["version"] == 2 and current[strike["event_id"]]["killed"]["low"] == 12
    gone = export.fold([record(strike), record(statement), record(None, statement["event_id"])])
    assert set(gone) == {strike["event_id"]}


def test_a_row_has_the_acled_like_columns(strike: dict[str, Any]) -> None:
    row = export.event_row(strike)
    assert tuple(row) == export.COLUMNS
    assert row["actor1"] == "RUS" and row["actor2"] == "CIVILIANS"
    assert (row["admin1"], row["country"], row["lat"], row["lon"]) == ("Idlib", "SY", 35.93062, 36.63393)
    assert (row["fatalities_low"], row["fatalities_high"]) == (9, 9)
    assert row["evidence"].startswith(
        "A Russian air strike on the village of Kafr Ruma"
    )  # the killed sentence
    assert row["date"] == "2026-11-19" and row["type"] == "airstrike"


def test_since_keeps_events_from_that_day_on(strike: dict[str, Any], statement: dict[str, Any]) -> None:
    events = export.fold([record(strike), record(statement)])
    dates = sorted(e["date"]["value"] for e in events.values())
    later = export.rows(events, since=date.fromisoformat(dates[-1]))
    assert [r["date"] for r in later] == [dates[-1]]
    assert len(export.rows(events)) == 2
    assert export.rows(events, since=date(2100, 1, 1)) == []


def test_csv_geojson_and_jsonl_carry_the_same_rows(strike: dict[str, Any], statement: dict[str, Any]) -> None:
    nowhere = {
        **copy.deepcopy(statement),
        "location": {"name": None, "admin1": None, "country": None, "lat": None, "lon": None},
    }
    table = export.rows(export.fold([record(strike), record(nowhere)]))
    parsed = list(csv.DictReader(io.StringIO(export.render(table, "csv"))))
    assert [r["event_id"] for r in parsed] == [r["event_id"] for r in table]
    assert tuple(parsed[0]) == export.COLUMNS
    collection = json.loads(export.render(table, "geojson"))
    assert collection["type"] == "FeatureCollection"
    geometries = {f["id"]: f["geometry"] for f in collection["features"]}
    assert geometries[strike["event_id"]] == {"type": "Point", "coordinates": [36.63393, 35.93062]}
    assert geometries[statement["event_id"]] is None  # no coordinates: a feature without a point
    lines = [json.loads(line) for line in export.render(table, "jsonl").splitlines()]
    assert lines == table
    with pytest.raises(ValueError, match="unknown export format"):
        export.render(table, "xlsx")


def test_the_dashboard_folds_counts_windows_and_events(strike: dict[str, Any]) -> None:
    data = DashboardData(show_events=1)
    totals = {
        "schema_version": 1,
        "actor_id": "RUS",
        "day": None,
        "events": 2,
        "killed_low": 20,
        "injured_low": 3,
        "updated_at": "2026-11-20T10:00:00+00:00",
    }
    window = {**totals, "day": "2026-11-19", "events": 1, "killed_low": 9}
    data.apply_count("RUS", codec.dumps(totals))
    data.apply_count("RUS|2026-11-19", codec.dumps(window))
    data.apply_count("RUS|2026-11-18", codec.dumps({**window, "day": "2026-11-18"}))
    data.apply_count("RUS|2026-11-18", None)  # an expired window's tombstone
    older = {
        **copy.deepcopy(strike),
        "event_id": "evt-older",
        "sources": [{**strike["sources"][0], "published_at": "2026-01-01T00:00:00+00:00"}],
    }
    data.apply_event(strike["event_id"], codec.dumps(strike))
    data.apply_event("evt-older", codec.dumps(older))
    data.apply_event(strike["event_id"], codec.dumps({**strike, "version": 0}))  # stale: ignored
    snapshot = data.snapshot()
    assert snapshot["actors"] == {"RUS": {"events": 2, "killed_low": 20, "injured_low": 3}}
    assert snapshot["daily"] == {"RUS": {"2026-11-19": {"events": 1, "killed_low": 9, "injured_low": 3}}}
    (latest,) = snapshot["events"]  # show_events=1: the most recently reported
    assert latest["event_id"] == strike["event_id"] and latest["version"] == 1
    assert latest["evidence"] and latest["location"]["admin1"] == "Idlib"
