"""``conflictwire export``: the current events, one row each, in ACLED-like columns.

In: the records of ``events.enriched`` (key = event id; a higher ``version`` supersedes; a
null value, a tombstone, means the event was merged into another and is gone). Out: one
row per current event (:func:`event_row`, columns :data:`COLUMNS`), written as CSV,
GeoJSON (a FeatureCollection of points; an event without coordinates has a null geometry)
or JSON Lines. ``since`` keeps events dated on or after that day (undated ones are left out).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date
from typing import IO, Any

from workers import codec

COLUMNS = (
    "event_id",
    "version",
    "date",
    "date_precision",
    "type",
    "violent",
    "actor1",
    "assoc_actor1",
    "actor2",
    "location",
    "admin1",
    "country",
    "lat",
    "lon",
    "fatalities_low",
    "fatalities_high",
    "injured_low",
    "injured_high",
    "victims",
    "source_urls",
    "sources",
    "evidence",
    "confidence",
)
FORMATS = ("csv", "geojson", "jsonl")
_LIST_SEPARATOR = "; "


def fold(records: Iterable[tuple[bytes | None, bytes | None]]) -> dict[str, dict[str, Any]]:
    """(key, value) records in topic order -> event id -> its latest version (tombstones remove)."""
    current: dict[str, dict[str, Any]] = {}
    for key, value in records:
        if key is None:
            continue
        event_id = key.decode(errors="replace")
        if value is None:
            current.pop(event_id, None)
            continue
        event = codec.loads(value)
        known = current.get(event_id)
        if known is None or event["version"] >= known["version"]:
            current[event_id] = event
    return current


def _bound(quantity: Mapping[str, Any] | None, which: str) -> int | None:
    return None if not quantity else quantity.get(which)


def evidence_sentence(event: Mapping[str, Any]) -> str | None:
    """The sentence the killed figure was read from, else the first evidence sentence."""
    evidence = event.get("evidence") or []
    for wanted in ("killed", None):
        for item in evidence:
            if wanted is None or item["field"] == wanted:
                return str(item["text"])
    return None


def event_row(event: Mapping[str, Any]) -> dict[str, Any]:
    """One event -> one row (lists joined with "; ")."""
    location, sources = event["location"], event["sources"]
    return {
        "event_id": event["event_id"],
        "version": event["version"],
        "date": event["date"]["value"],
        "date_precision": event["date"]["precision"],
        "type": event["type"],
        "violent": event["violent"],
        "actor1": event["perpetrator"],
        "assoc_actor1": _LIST_SEPARATOR.join(event["co_perpetrators"]),
        "actor2": _LIST_SEPARATOR.join(event["targets"]),
        "location": location["name"],
        "admin1": location["admin1"],
        "country": location["country"],
        "lat": location["lat"],
        "lon": location["lon"],
        "fatalities_low": _bound(event["killed"], "low"),
        "fatalities_high": _bound(event["killed"], "high"),
        "injured_low": _bound(event["injured"], "low"),
        "injured_high": _bound(event["injured"], "high"),
        "victims": event["victims"],
        "source_urls": _LIST_SEPARATOR.join(s["url"] for s in sources if s["url"]),
        "sources": _LIST_SEPARATOR.join(dict.fromkeys(s["source"] for s in sources)),
        "evidence": evidence_sentence(event),
        "confidence": event["confidence"],
    }


def rows(events: Mapping[str, Mapping[str, Any]], since: date | None = None) -> list[dict[str, Any]]:
    """Rows of the events dated on or after ``since`` (all without it), by date then id."""
    chosen = [
        event_row(e)
        for e in events.values()
        if since is None or (e["date"]["value"] is not None and e["date"]["value"] >= since.isoformat())
    ]
    return sorted(chosen, key=lambda r: (r["date"] or "", r["event_id"]))


def write_csv(table: list[dict[str, Any]], out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})


def write_geojson(table: list[dict[str, Any]], out: IO[str]) -> None:
    features = []
    for row in table:
        has_point = row["lat"] is not None and row["lon"] is not None
        geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]} if has_point else None
        properties = {k: v for k, v in row.items() if k not in ("lat", "lon")}
        features.append(
            {"type": "Feature", "id": row["event_id"], "geometry": geometry, "properties": properties}
        )
    out.write(codec.dumps({"type": "FeatureCollection", "features": features}).decode())
    out.write("\n")


def write_jsonl(table: list[dict[str, Any]], out: IO[str]) -> None:
    for row in table:
        out.write(codec.dumps_line(row).decode())


def render(table: list[dict[str, Any]], fmt: str) -> str:
    """The rows as text in ``fmt`` (csv, geojson or jsonl)."""
    writers = {"csv": write_csv, "geojson": write_geojson, "jsonl": write_jsonl}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    buffer = io.StringIO()
    writers[fmt](table, buffer)
    return buffer.getvalue()
