"""What the dashboard shows, folded from the output topics (so every worker shows the whole picture).

In: records of ``actors.counts`` (key actor id: all-time totals; ``actor|day``: a daily
window, a null value deletes it) and of ``events.enriched`` (a higher version supersedes; a
null value removes the event). Out: :meth:`DashboardData.snapshot`, the JSON the page reads.
Events are ordered by their latest report (the newest ``published_at`` of their sources); only
the ``keep_events`` latest are kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from workers import codec, kafka_io
from workers.export import evidence_sentence

log = logging.getLogger(__name__)

_COUNT_FIELDS = ("events", "killed_low", "injured_low")


class DashboardData:
    def __init__(self, keep_events: int = 2000, show_events: int = 50) -> None:
        self.keep_events, self.show_events = keep_events, show_events
        self.totals: dict[str, dict[str, int]] = {}
        self.daily: dict[str, dict[str, dict[str, int]]] = {}
        self.events: dict[str, tuple[str, dict[str, Any]]] = {}  # event id -> (latest report, event)
        self.updated_at: str | None = None

    def apply_count(self, key: str, value: bytes | None) -> None:
        actor, _, day = key.partition("|")
        if value is None:
            if day:
                self.daily.get(actor, {}).pop(day, None)
            else:
                self.totals.pop(actor, None)
            return
        payload = codec.loads(value)
        counts = {name: int(payload[name]) for name in _COUNT_FIELDS}
        if payload.get("day"):
            self.daily.setdefault(payload["actor_id"], {})[payload["day"]] = counts
        else:
            self.totals[payload["actor_id"]] = counts
        self.updated_at = payload.get("updated_at") or self.updated_at

    def apply_event(self, key: str, value: bytes | None) -> None:
        if value is None:
            self.events.pop(key, None)
            return
        event = codec.loads(value)
        known = self.events.get(key)
        if known is not None and known[1]["version"] > event["version"]:
            return
        reported = max((source["published_at"] for source in event["sources"]), default="")
        self.events[key] = (reported, event)
        if len(self.events) > self.keep_events:
            oldest = min(self.events, key=lambda k: self.events[k][0])
            del self.events[oldest]

    def snapshot(self) -> dict[str, Any]:
        ordered = sorted(self.events.items(), key=lambda item: (item[1][0], item[0]), reverse=True)
        latest = [pair for _, pair in ordered[: self.show_events]]
        return {
            "actors": self.totals,
            "daily": {actor: dict(sorted(days.items())) for actor, days in self.daily.items() if days},
            "events": [_event_view(event, reported) for reported, event in latest],
            "updated_at": self.updated_at,
            "served_at": datetime.now(UTC).isoformat(),
        }


def _event_view(event: Mapping[str, Any], reported: str) -> dict[str, Any]:
    return {
        "event_id": event["event_id"],
        "version": event["version"],
        "type": event["type"],
        "violent": event["violent"],
        "date": event["date"]["value"],
        "perpetrator": event["perpetrator"],
        "targets": event["targets"],
        "location": event["location"],
        "killed": event["killed"],
        "injured": event["injured"],
        "evidence": evidence_sentence(event),
        "sources": [s["source"] for s in event["sources"]],
        "reported": reported,
    }


async def follow(
    data: DashboardData,
    bootstrap: str,
    counts_topic: str,
    enriched_topic: str,
    client: Mapping[str, Any],
    retry_seconds: float = 5.0,
) -> None:
    """Fold both topics into ``data`` for as long as the worker runs (reconnecting after errors)."""

    async def one(topic: str) -> None:
        while True:
            try:
                async for record in kafka_io.read_topic(bootstrap, topic, follow=True, client=client):
                    key = (record.key or b"").decode(errors="replace")
                    if topic == counts_topic:
                        data.apply_count(key, record.value)
                    else:
                        data.apply_event(key, record.value)
            except asyncio.CancelledError:
                raise
            except Exception:  # a broker hiccup must not take the dashboard down for good
                log.warning(
                    "dashboard: reading %s failed; retrying in %.0fs", topic, retry_seconds, exc_info=True
                )
                await asyncio.sleep(retry_seconds)

    await asyncio.gather(one(counts_topic), one(enriched_topic))
