"""A tiny Faust app for broker tests: an agent counts actors into a table.

In: source messages keyed by a region, whose value is a comma-separated list of
actor names. Out: ``counts["region/actor"]`` in a memory-store table with a
changelog topic. Several table writes per event (like the real per-actor
counts) put several records in one changelog batch, which is what the embedded
broker's ListOffsets gets wrong.

Every table key starts with the message key, so each table key lives in one
partition: Faust writes a table update to the changelog partition of the event
being processed, and a key spread over several partitions would recover in
whatever order the partitions are read (a test bug, not a broker bug).

:func:`run_counter_worker` runs one worker in-process (``app.start()`` /
``app.stop()``), optionally feeds it messages, waits for the counts, and returns
the table's contents; run it twice with the same ``app_id`` to test recovery.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaProducer

__all__ = [
    "WorkerRun",
    "build_counter_app",
    "changelog_offsets",
    "changelog_topic",
    "counter_feed",
    "run_counter_worker",
]


def counter_feed(articles: int = 500, regions: int = 5) -> tuple[list[tuple[bytes, bytes]], int]:
    """``(messages, total)``: ``articles`` naming 3 of 23 actors each, then one article per region
    naming 20 actors, so the last event of every partition writes 20 table keys at once and its
    changelog batch holds many records (the case the embedded broker's ListOffsets gets wrong)."""
    messages = [
        (f"region{i % regions}".encode(), ",".join(f"actor{(i * j) % 23}" for j in (1, 2, 3)).encode())
        for i in range(articles)
    ]
    messages += [
        (f"region{r}".encode(), ",".join(f"actor{a}" for a in range(20)).encode()) for r in range(regions)
    ]
    return messages, 3 * articles + 20 * regions


def changelog_topic(app_id: str) -> str:
    return f"{app_id}-counts-changelog"


async def changelog_offsets(
    bootstrap: str, topic: str, partitions: int
) -> tuple[dict[int, int], dict[int, int]]:
    """``(listed, fetched)`` end offsets per partition: from ListOffsets(latest) and from a fetch."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from workers.faust_compat import fetch_highwaters

    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        listed = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    fetched = await fetch_highwaters(bootstrap, listed)
    return {tp.partition: listed[tp] for tp in tps}, {tp.partition: fetched.get(tp, 0) for tp in tps}


def build_counter_app(
    app_id: str, bootstrap: str, source: str, partitions: int, datadir: Path
) -> tuple[Any, Any]:
    """``(app, table)``: one agent on ``source`` adding 1 to ``counts[actor]`` per listed actor."""
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        broker_session_timeout=10,  # the embedded broker finishes JoinGroup after session_timeout / 2
        topic_partitions=partitions,
        topic_replication_factor=1,
    )
    topic = app.topic(source, key_type=bytes, value_type=bytes, value_serializer="raw", partitions=partitions)
    counts = app.Table("counts", default=int, partitions=partitions, key_type=str, value_type=int)

    @app.agent(topic)
    async def count(stream: Any) -> None:
        async for key, value in stream.items():
            for actor in value.decode().split(","):
                counts[f"{key.decode()}/{actor}"] += 1

    return app, counts


class WorkerRun:
    """What one worker saw: the table after recovery and at the end, and how long each phase took."""

    def __init__(self) -> None:
        self.recovered: dict[str, int] = {}
        self.final: dict[str, int] = {}
        self.startup_seconds = 0.0
        self.total_seconds = 0.0


async def _produce(bootstrap: str, topic: str, messages: Sequence[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic, key=key, value=value) for key, value in messages]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def run_counter_worker(
    app_id: str,
    bootstrap: str,
    source: str,
    partitions: int,
    datadir: Path,
    *,
    feed: Sequence[tuple[bytes, bytes]] = (),
    expect_total: int | None = None,
    timeout: float = 90.0,
) -> WorkerRun:
    """Start a worker, wait for table recovery, send ``feed`` (key, value) to ``source``, wait until the
    counts add up to ``expect_total`` (when given), flush, stop. Raises TimeoutError past ``timeout``."""
    run = WorkerRun()
    app, counts = build_counter_app(app_id, bootstrap, source, partitions, datadir)
    began = time.monotonic()

    async def _work() -> None:
        await app.start()
        await app.tables.wait_until_recovery_completed()
        run.startup_seconds = time.monotonic() - began
        run.recovered = dict(counts.items())
        if feed:
            await _produce(bootstrap, source, feed)
        if expect_total is not None:
            while sum(counts.values()) < expect_total:
                await asyncio.sleep(0.1)
        await app.producer.flush()
        run.final = dict(counts.items())

    try:
        await asyncio.wait_for(_work(), timeout)
    finally:
        await asyncio.wait_for(app.stop(), 30)
    run.total_seconds = time.monotonic() - began
    return run
