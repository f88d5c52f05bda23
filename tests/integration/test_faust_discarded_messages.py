"""Faust on the real broker: fetched messages that Faust clears from an agent's queue unprocessed
are fetched again (``workers.faust_compat.apply_consumer_fixes``, issue 9's "kill -9 at 10 %" stall).

When table recovery ends, Faust seeks the stream partitions to their committed offsets and then
calls ``app.flow_control.resume()``, which empties every agent's input queue. Messages fetched
before that are thrown away unacked; a partition with nothing committed is not sought back
(aiokafka skips the seek), so they were never read again and Faust's commits stopped at the hole.
The test makes that state on purpose: an agent holds its first message while the fetcher reads the
rest of the partition into its queue, nothing has been committed yet, and the queue is cleared the
way recovery clears it. Every message must still be processed and the commit must reach the end.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaProducer, TopicPartition

from workers.broker import acreate_topics
from workers.faust_compat import apply_consumer_fixes, consumer_fixes_applied

MESSAGES = 20


async def _produce(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic, key=b"k", value=str(i).encode()) for i in range(count)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.1)


async def _clear_queue_mid_stream(bootstrap: str, prefix: str, datadir: Path) -> tuple[list[int], Any]:
    """``(offsets processed, committed offset)`` after the agent's queue was cleared while it held
    offset 0 and the fetcher had read the whole partition."""
    source = f"{prefix}discard-source"
    await acreate_topics(bootstrap, {source: 1})
    await _produce(bootstrap, source, MESSAGES)
    app = faust.App(
        f"{prefix}discard",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        broker_session_timeout=10,  # the embedded broker finishes JoinGroup after session_timeout / 2
        broker_commit_interval=0.5,
        topic_partitions=1,
        topic_replication_factor=1,
    )
    topic = app.topic(source, key_type=bytes, value_type=bytes, value_serializer="raw", partitions=1)
    processed: list[int] = []
    holding, release = asyncio.Event(), asyncio.Event()

    @app.agent(topic)
    async def slow(stream: Any) -> None:
        async for event in stream.events():
            processed.append(event.message.offset)
            if not holding.is_set():
                holding.set()
                await release.wait()

    tp = TopicPartition(source, 0)
    consumer: Any = None

    async def _work() -> None:
        nonlocal consumer
        await app.start()
        consumer = app.consumer
        await _until(holding.is_set, 60, "the agent never got offset 0")
        # the fetcher has read the whole partition into the agent's queue; nothing is committed
        await _until(lambda: consumer._read_offset.get(tp) == MESSAGES - 1, 30, "not all fetched")
        assert consumer._committed_offset.get(tp) is None
        app.flow_control.resume()  # what Recovery.on_recovery_completed does: clears the queues
        release.set()
        await _until(lambda: consumer._committed_offset.get(tp) == MESSAGES, 30, "commit stuck")

    try:
        await asyncio.wait_for(_work(), 120)
    except TimeoutError:
        pass  # the assertions below say what is missing
    finally:
        committed = consumer._committed_offset.get(tp) if consumer is not None else None
        await asyncio.wait_for(app.stop(), 30)
    return processed, committed


async def test_messages_cleared_from_an_agent_queue_are_fetched_again(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    apply_consumer_fixes()
    assert consumer_fixes_applied()
    processed, committed = await _clear_queue_mid_stream(kafka_bootstrap, topic_prefix, tmp_path)
    assert sorted(set(processed)) == list(range(MESSAGES)), processed
    assert committed == MESSAGES
