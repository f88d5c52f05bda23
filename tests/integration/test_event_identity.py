"""Same event, many reports — on the real broker with the real worker process: merges, replays,
revisions, restarts, daily windows.

Each scenario gets its own topics, app id and worker, and ends by reading the per-actor counts
from actors.counts (the way a downstream consumer sees them). The seeds' expected counts come
from gold.json ("expected_actor_counts_after_all_five").
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.unit.seeds import load_gold, load_seeds
from workers import codec, kafka_io
from workers.broker import create_topics
from workers.runner import (
    Progress,
    final_counts,
    free_port,
    log_tail,
    topic_partitions,
    watch,
    worker_process,
)
from workers.settings import Settings, Topics, load_settings

pytestmark = pytest.mark.broker

TOLL_FIRST = {
    "id": "toll-first",
    "title": "Air strike on market kills at least 12 in Idlib town",
    "body": (
        "Russian warplanes struck a crowded market in the town of Maarat al-Numan in Idlib province on "
        "Tuesday, killing at least 12 people and wounding dozens, a local rescue group said.\n\n"
        "Rescuers were still searching the rubble on Tuesday evening."
    ),
    "source": "Test Wire",
    "url": None,
    "published_at": "2024-05-14T18:00:00+00:00",
}
TOLL_LATER = {
    "id": "toll-later",
    "title": "Toll from Idlib market air strike rises to 20",
    "body": (
        "The death toll from Tuesday's Russian air strike on a market in Maarat al-Numan in Idlib province "
        "has risen to 20, rescuers said on Wednesday, as more bodies were pulled from the rubble.\n\n"
        "The strike was one of the deadliest in the province this year."
    ),
    "source": "Other Wire",
    "url": None,
    "published_at": "2024-05-15T09:00:00+00:00",
}

# TOLL_FIRST's article updated in place: the same id, new content
TOLL_REVISED = {
    **TOLL_FIRST,
    "title": "Air strike on market kills 20 in Idlib town (updated)",
    "body": (
        "Russian warplanes struck a crowded market in the town of Maarat al-Numan in Idlib province on "
        "Tuesday, killing 20 people and wounding dozens, a local rescue group said, updating an "
        "earlier toll.\n\n"
        "Rescuers were still searching the rubble on Tuesday evening."
    ),
}

# dated as far ahead as a date goes: it may be a dead letter, and must not make the worker forget
FUTURE = {
    "id": "future-dated",
    "title": "Turkish drone strike kills 3 in Aleppo countryside",
    "body": (
        "A Turkish drone struck a car near the town of Tal Rifaat in Aleppo province on Friday, "
        "killing three."
    ),
    "source": "Test Wire",
    "url": None,
    "published_at": "9999-12-31T00:00:00+00:00",
}

# a strike by the same actor, months after TOLL_FIRST
LATER_STRIKE = {
    "id": "later-strike",
    "title": "Russian air strikes kill 7 in Hama countryside",
    "body": (
        "Russian warplanes bombed the village of Kafr Zita in Hama province on Monday, killing seven "
        "civilians, a local monitor said.\n\nThe village had been hit twice the week before."
    ),
    "source": "Test Wire",
    "url": None,
    "published_at": "2024-08-20T12:00:00+00:00",
}


@dataclass
class Scenario:
    """One app (topics, tables, consumer group) on the test broker, with its worker process."""

    bootstrap: str
    scratch: Path
    settings: Settings = field(init=False)
    sent: int = 0
    workers: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        run_id = uuid.uuid4().hex[:8]
        self.settings = replace(
            load_settings(self.env),
            bootstrap_servers=self.bootstrap,
            app_id=f"cw-id-{run_id}",
            topics=Topics(prefix=f"id-{run_id}."),
            web_port=free_port(),
            data_dir=self.scratch,
        )
        partitions, compacted = topic_partitions(self.settings)
        create_topics(self.bootstrap, partitions, compacted=compacted)

    @contextlib.contextmanager
    def worker(self) -> Iterator[Any]:
        self.workers += 1
        log = self.scratch / f"worker-{self.workers}.log"
        with worker_process(self.settings, self.bootstrap, log) as process:
            yield process, log

    def ingest(self, articles: list[dict[str, Any]], process: Any, log: Path) -> None:
        """Publish and wait until the worker has processed every message sent so far and gone quiet."""
        messages = [(a["id"].encode(), codec.dumps(a)) for a in articles]
        asyncio.run(kafka_io.publish(self.bootstrap, self.settings.topics.raw, messages))
        self.sent += len(messages)
        ids = {a["id"] for a in articles}
        progress = Progress(expected=self.sent, started=datetime.now(UTC), article_ids=ids | self.seen)
        self.seen |= ids
        try:
            asyncio.run(watch(self.settings, self.bootstrap, progress, io.StringIO(), False, 240.0, process))
        except Exception as exc:
            pytest.fail(f"worker did not finish: {exc}\n{log_tail(log, 60)}")

    seen: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, dict[str, Any]]:
        return asyncio.run(final_counts(self.settings, self.bootstrap))

    def events(self) -> dict[str, dict[str, Any]]:
        """Latest version of each event on events.enriched (a tombstone: the event was merged away)."""
        latest: dict[str, dict[str, Any]] = {}

        async def collect() -> None:
            async for record in kafka_io.read_topic(
                self.bootstrap, self.settings.topics.enriched, idle_seconds=0.5
            ):
                if record.value is None:
                    latest.pop((record.key or b"").decode(), None)
                    continue
                event = codec.loads(record.value)
                if event["version"] >= latest.get(event["event_id"], {}).get("version", 0):
                    latest[event["event_id"]] = event

        asyncio.run(collect())
        return latest


@pytest.fixture
def scenario(kafka_bootstrap: str) -> Iterator[Scenario]:
    with tempfile.TemporaryDirectory() as scratch:
        yield Scenario(kafka_bootstrap, Path(scratch))


@pytest.fixture(scope="module")
def seeds() -> list[dict[str, Any]]:
    found = list(load_seeds().values())
    if not found:
        pytest.skip("the shared seed corpus is not beside the repository")
    return [dict(a) for a in found]


def gold_counts() -> dict[str, tuple[int, int]]:
    expected = load_gold()["expected_actor_counts_after_all_five"]
    return {actor: (v["events"], v["killed_low"]) for actor, v in expected.items() if actor != "note"}


def main_counts(counts: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
    return {
        actor: (counts[actor]["events"], counts[actor]["killed_low"])
        for actor in gold_counts()
        if actor in counts
    }


def test_seed_order_does_not_change_the_counts(kafka_bootstrap: str, seeds: list[dict[str, Any]]) -> None:
    results = []
    for order in (seeds, list(reversed(seeds))):
        with tempfile.TemporaryDirectory() as scratch:
            run = Scenario(kafka_bootstrap, Path(scratch))
            with run.worker() as (process, log):
                run.ingest(order, process, log)
            results.append(run.counts())
    assert results[0] == results[1]
    assert main_counts(results[0]) == gold_counts()


def test_ingesting_everything_again_changes_nothing(scenario: Scenario, seeds: list[dict[str, Any]]) -> None:
    with scenario.worker() as (process, log):
        scenario.ingest(seeds, process, log)
        first_counts, first_events = scenario.counts(), scenario.events()
        resent_under_new_id = {**seeds[2], "id": "resent-copy"}  # same content, another id
        scenario.ingest([*seeds, resent_under_new_id], process, log)
        assert scenario.counts() == first_counts
        assert scenario.events() == first_events
        # an article dated far ahead makes the worker forget nothing: seed 001 again moves nothing
        scenario.ingest([FUTURE, seeds[1]], process, log)
        assert main_counts(scenario.counts()) == main_counts(first_counts)
    assert main_counts(first_counts) == gold_counts()
    # the two reports of the US strike are one event with both sources
    us = [e for e in first_events.values() if e["perpetrator"] == "USA" and e["violent"]]
    assert len(us) == 1 and len(us[0]["sources"]) == 2 and us[0]["version"] == 2


def test_a_rising_toll_revises_the_event_and_moves_counts_by_the_difference(scenario: Scenario) -> None:
    with scenario.worker() as (process, log):
        scenario.ingest([TOLL_FIRST], process, log)
        assert scenario.counts()["RUS"]["killed_low"] == 12
        scenario.ingest([TOLL_LATER], process, log)
    events = [e for e in scenario.events().values() if e["violent"]]
    assert len(events) == 1
    [event] = events
    assert event["version"] == 2 and event["killed"]["low"] == 20
    assert {s["article_id"] for s in event["sources"]} == {"toll-first", "toll-later"}
    rus = scenario.counts()["RUS"]
    assert (rus["events"], rus["killed_low"]) == (1, 20)


def test_new_content_under_a_known_id_revises_the_article(scenario: Scenario) -> None:
    with scenario.worker() as (process, log):
        scenario.ingest([TOLL_FIRST], process, log)
        assert scenario.counts()["RUS"]["killed_low"] == 12
        scenario.ingest([TOLL_REVISED], process, log)
        scenario.ingest([TOLL_FIRST, TOLL_REVISED], process, log)  # the old content replayed: superseded
    violent = [e for e in scenario.events().values() if e["violent"]]
    assert [(e["killed"]["low"], [s["article_id"] for s in e["sources"]]) for e in violent] == [
        (20, ["toll-first"])
    ]
    rus = scenario.counts()["RUS"]
    assert (rus["events"], rus["killed_low"]) == (1, 20)


def test_counts_survive_a_worker_restart(scenario: Scenario, seeds: list[dict[str, Any]]) -> None:
    with scenario.worker() as (process, log):
        scenario.ingest(seeds[:3], process, log)
    # a new worker process: tables come back from their changelogs, then the rest arrives
    with scenario.worker() as (process, log):
        scenario.ingest(seeds[3:], process, log)
        scenario.ingest(seeds[:1], process, log)  # and a redelivery after the restart
    assert main_counts(scenario.counts()) == gold_counts()


def test_daily_windows_are_kept_for_backfills_and_future_dates(scenario: Scenario) -> None:
    """Retention is measured in processing time: a 2024 backfill keeps its windows, whatever comes after."""
    with scenario.worker() as (process, log):
        scenario.ingest([TOLL_FIRST, LATER_STRIKE, FUTURE], process, log)
        url = f"http://{scenario.settings.web_host}:{scenario.settings.web_port}/actors/RUS?window=day"
        with urllib.request.urlopen(url, timeout=10) as response:
            served = json.load(response)
    latest = asyncio.run(kafka_io.latest_by_key(scenario.bootstrap, scenario.settings.topics.actor_counts))
    rus = {k: v for k, v in scenario.counts()["RUS"].items() if k in ("events", "killed_low")}
    assert rus == {"events": 2, "killed_low": 19}
    assert list(served["days"]) == ["2024-05-14", "2024-08-19"]
    for key, killed in ((b"RUS|2024-05-14", 12), (b"RUS|2024-08-19", 7)):
        window = codec.loads(latest[key].value or b"{}")
        assert (window["events"], window["killed_low"]) == (1, killed)
