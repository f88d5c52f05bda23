"""Plain Kafka I/O for the command line (no Faust): publish messages, read topics.

In: bootstrap servers, topic names, (key, value) byte pairs, and the security
options of :meth:`workers.settings.Settings.kafka_client_options` (``client``:
TLS context, SASL mechanism and credentials; omitted: a plain local broker). Out:
messages on the broker, or the messages of a topic as :class:`Record` objects.
Used by ``conflictwire ingest | tail | counts | run`` and by the tests, which
thereby read our topics the way any downstream consumer would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

# How often a reader refreshes its metadata: a topic created after it started shows up this soon.
_METADATA_MAX_AGE_MS = 500


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


async def publish(
    bootstrap: str,
    topic: str,
    messages: Iterable[tuple[bytes | None, bytes]],
    *,
    client: Mapping[str, Any] | None = None,
) -> int:
    """Send every (key, value) and wait until the broker has acknowledged all of them; returns how many."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, **dict(client or {}))
    await producer.start()
    try:
        futures = [await producer.send(topic, value=value, key=key) for key, value in messages]
        await producer.flush()
        for future in futures:
            await future
        return len(futures)
    finally:
        await producer.stop()


async def _end_offsets(consumer: AIOKafkaConsumer, topic: str, deadline: float) -> dict[TopicPartition, int]:
    while True:
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            return dict(await consumer.end_offsets(tps))
        if time.monotonic() > deadline:
            return {}
        # the consumer refreshes its view of all topics every metadata_max_age_ms (see read_topic);
        # asking for this topic by name instead would make some brokers auto-create it
        await asyncio.sleep(0.2)


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    follow: bool = False,
    idle_seconds: float = 1.5,
    wait_for_topic: float = 5.0,
    client: Mapping[str, Any] | None = None,
) -> AsyncIterator[Record]:
    """Every message of ``topic`` from the beginning.

    Without ``follow`` it stops once no message has arrived for ``idle_seconds``
    after reaching the end offsets seen at start (the end offset alone is not
    trusted: some brokers report it loosely). With ``follow`` it never stops.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=_METADATA_MAX_AGE_MS,
        **dict(client or {}),
    )
    await consumer.start()
    try:
        ends = await _end_offsets(consumer, topic, time.monotonic() + wait_for_topic)
        if not ends and not follow:
            return
        if not ends:
            consumer.subscribe([topic])
        last_message = time.monotonic()
        while True:
            batches = await consumer.getmany(timeout_ms=200)
            for tp, messages in batches.items():
                for m in messages:
                    last_message = time.monotonic()
                    yield Record(tp.topic, tp.partition, m.offset, m.key, m.value, tuple(m.headers or ()))
            if follow:
                continue
            positions = {tp: await consumer.position(tp) for tp in ends}
            reached = all(positions[tp] >= end for tp, end in ends.items())
            if reached and time.monotonic() - last_message >= idle_seconds:
                return
    finally:
        await consumer.stop()


async def latest_by_key(
    bootstrap: str, topic: str, idle_seconds: float = 1.0, *, client: Mapping[str, Any] | None = None
) -> dict[bytes, Record]:
    """The last message per key: how a compacted topic such as actors.counts is read."""
    latest: dict[bytes, Record] = {}
    async for record in read_topic(bootstrap, topic, idle_seconds=idle_seconds, client=client):
        if record.key is not None:
            latest[record.key] = record
    return latest
