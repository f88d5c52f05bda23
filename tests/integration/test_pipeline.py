"""The whole worker on a real broker: the five seed articles and two bad messages in, events and counts out.

One worker process (``conflictwire worker``, as in production) runs for the module; each test
reads the topics afterwards the way a downstream consumer would.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.kcat import kcat_consume
from tests.unit.seeds import load_gold, load_seeds
from workers import codec, kafka_io, schemas
from workers.broker import create_topics
from workers.runner import Progress, free_port, log_tail, topic_partitions, watch, worker_process
from workers.settings import Settings, load_settings

pytestmark = pytest.mark.broker

NOT_JSON = b"this is not json {"
NOT_AN_ARTICLE = codec.dumps({"id": "bad-1", "title": "no body, no source"})
BAD_CONTRIBUTION = codec.dumps({"actor_id": "RUS", "event_id": "e", "version": -3})


@dataclass
class PipelineRun:
    settings: Settings
    bootstrap: str
    seeds: dict[str, Any]
    gold: dict[str, Any]
    worker_log: Path

    def read(self, logical_topic: str) -> list[kafka_io.Record]:
        async def collect() -> list[kafka_io.Record]:
            name = self.settings.topics.all()[logical_topic]
            return [r async for r in kafka_io.read_topic(self.bootstrap, name, idle_seconds=0.5)]

        return asyncio.run(collect())

    def values(self, logical_topic: str) -> list[Any]:
        return [codec.loads(r.value) for r in self.read(logical_topic) if r.value is not None]


@pytest.fixture(scope="module")
def pipeline(kafka_bootstrap: str) -> Iterator[PipelineRun]:
    seeds = load_seeds()
    if not seeds:
        pytest.skip("the shared seed corpus is not beside the repository")
    run_id = uuid.uuid4().hex[:8]
    settings = replace(
        load_settings({}), bootstrap_servers=kafka_bootstrap, app_id=f"cw-it-{run_id}", web_port=free_port()
    )
    settings = replace(settings, topics=type(settings.topics)(prefix=f"it-{run_id}."))
    partitions, compacted = topic_partitions(settings)
    create_topics(kafka_bootstrap, partitions, compacted=compacted)
    messages: list[tuple[bytes | None, bytes]] = [(a["id"].encode(), codec.dumps(a)) for a in seeds.values()]
    messages += [(b"garbage-1", NOT_JSON), (b"bad-1", NOT_AN_ARTICLE)]
    with tempfile.TemporaryDirectory() as scratch:
        log_path = Path(scratch) / "worker.log"
        with worker_process(replace(settings, data_dir=Path(scratch)), kafka_bootstrap, log_path) as worker:
            progress = Progress(
                expected=len(messages),
                started=datetime.now(UTC),
                article_ids={k.decode() for k, _ in messages if k},
            )
            asyncio.run(kafka_io.publish(kafka_bootstrap, settings.topics.raw, messages))
            # a contribution no agent of ours would write: the count agent must dead-letter it and go on
            contributions = settings.contributions_topic
            asyncio.run(kafka_io.publish(kafka_bootstrap, contributions, [(b"RUS", BAD_CONTRIBUTION)]))
            progress.expected += 1
            try:
                asyncio.run(watch(settings, kafka_bootstrap, progress, io.StringIO(), False, 300.0, worker))
            except Exception as exc:
                pytest.fail(f"pipeline did not finish: {exc}\n{log_tail(log_path, 60)}")
            yield PipelineRun(settings, kafka_bootstrap, seeds, load_gold(), log_path)


def test_every_seed_is_normalized_once(pipeline: PipelineRun) -> None:
    normalized = pipeline.values("articles.normalized")
    assert sorted(a["id"] for a in normalized) == sorted(a["id"] for a in pipeline.seeds.values())
    for article in normalized:
        schemas.validate("articles.normalized", article)


def test_each_gold_event_arrives_with_its_perpetrator_and_killed_low(pipeline: PipelineRun) -> None:
    events = pipeline.values("events.enriched")
    for event in events:
        schemas.validate("events.enriched", event)
    for article_id, annotation in pipeline.gold["articles"].items():
        stem = Path(article_id).stem
        # a report merged into an earlier one's event is found among that event's sources
        ours = [e for e in events if e["violent"] and stem in {s["article_id"] for s in e["sources"]}]
        for expected in annotation["events"]:
            killed_low = (expected.get("killed") or {}).get("low")
            matching = [
                e
                for e in ours
                if e["perpetrator"] == expected["perpetrator"]
                and (e["killed"] or {}).get("low") == killed_low
            ]
            assert matching, (
                f"{stem}: no event by {expected['perpetrator']} with killed.low={killed_low}; got "
                + json.dumps([(e["perpetrator"], e["killed"]) for e in ours])
            )


def test_events_are_keyed_by_event_id(pipeline: PipelineRun) -> None:
    records = pipeline.read("events.enriched")
    assert records
    assert all(
        r.key is not None and codec.loads(r.value or b"{}")["event_id"] == r.key.decode() for r in records
    )


def test_bad_messages_are_dead_lettered_with_reason_and_original_bytes(pipeline: PipelineRun) -> None:
    records = pipeline.read("articles.dead-letter")
    letters = {codec.loads(r.value or b"{}")["key"]: (r, codec.loads(r.value or b"{}")) for r in records}
    assert set(letters) == {"garbage-1", "bad-1", "RUS"}
    assert letters["RUS"][1]["stage"] == "counts" and "version" in letters["RUS"][1]["reason"]
    for key, original, error in (
        ("garbage-1", NOT_JSON, "DecodeError"),
        ("bad-1", NOT_AN_ARTICLE, "SchemaViolation"),
    ):
        record, letter = letters[key]
        schemas.validate("articles.dead-letter", letter)
        assert base64.b64decode(letter["original"]) == original
        assert letter["error"] == error and letter["stage"] == "normalize" and letter["reason"]
        assert letter["source_topic"] == pipeline.settings.topics.raw
        assert isinstance(letter["source_offset"], int)
        headers = dict(record.headers)
        assert headers["cw-stage"] == b"normalize" and headers["cw-error"] == error.encode()
        assert headers["cw-source-topic"] == pipeline.settings.topics.raw.encode()
    assert "body" in letters["bad-1"][1]["reason"]


def test_counts_table_has_the_main_actors(pipeline: PipelineRun) -> None:
    latest = {c["actor_id"]: c for c in pipeline.values("actors.counts") if c["day"] is None}
    for actor in ("USA", "RUS", "SYR_GOV"):
        assert actor in latest, f"no counts for {actor}: {sorted(latest)}"
        schemas.validate("actors.counts", latest[actor])
        assert latest[actor]["events"] >= 1
    # gold.json "expected_actor_counts_after_all_five": the US strike reported twice counts once
    assert (latest["USA"]["events"], latest["USA"]["killed_low"]) == (1, 40)
    assert (latest["RUS"]["events"], latest["RUS"]["killed_low"]) == (3, 39)
    assert (latest["SYR_GOV"]["events"], latest["SYR_GOV"]["killed_low"]) == (2, 15)


def test_counts_are_served_over_http(pipeline: PipelineRun) -> None:
    base = f"http://{pipeline.settings.web_host}:{pipeline.settings.web_port}"
    with urllib.request.urlopen(f"{base}/actors/RUS", timeout=10) as response:
        rus = json.load(response)
    published = {c["actor_id"]: c for c in pipeline.values("actors.counts") if c["day"] is None}["RUS"]
    assert rus["events"] == published["events"] and rus["killed_low"] == published["killed_low"]
    with urllib.request.urlopen(f"{base}/actors/RUS?window=day", timeout=10) as response:
        daily = json.load(response)
    assert daily["window"] == "day" and sum(d["events"] for d in daily["days"].values()) == rus["events"]
    assert sum(d["killed_low"] for d in daily["days"].values()) == rus["killed_low"]
    with urllib.request.urlopen(f"{base}/actors", timeout=10) as response:
        assert {"USA", "RUS", "SYR_GOV"} <= set(json.load(response))
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{base}/actors/NOBODY", timeout=10)
    assert missing.value.code == 404


def test_kcat_reads_enriched_events_as_json(pipeline: PipelineRun) -> None:
    lines = kcat_consume(pipeline.bootstrap, pipeline.settings.topics.enriched)
    events = [json.loads(line) for line in lines if line.strip()]
    assert len(events) == len(pipeline.read("events.enriched"))
    for event in events:
        schemas.validate("events.enriched", event)
