"""Batches with several in flight: reading order kept, every event acked once and only after its
batch was handed on, batches of one on an idle stream, full ones under load."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from workers.stream_batches import run_batches, take


@dataclass
class FakeStream:
    """What run_batches uses of a Faust stream: events(), ack(), enable_acks."""

    incoming: asyncio.Queue[int] = field(default_factory=asyncio.Queue)
    enable_acks: bool = True
    acked: list[int] = field(default_factory=list)

    async def events(self) -> AsyncIterator[int]:
        while True:
            yield await self.incoming.get()

    async def ack(self, event: int) -> bool:
        self.acked.append(event)
        return True


async def until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_out_of_order_preparation_is_handed_on_in_reading_order_and_acked_after() -> None:
    stream, finished, batches = FakeStream(), [], []
    in_prepare = 0
    most_in_prepare = 0

    async def prepare(events: Sequence[int]) -> list[int]:
        nonlocal in_prepare, most_in_prepare
        in_prepare += 1
        most_in_prepare = max(most_in_prepare, in_prepare)
        batches.append(list(events))
        await asyncio.sleep(random.uniform(0, 0.02))  # later batches may be ready first
        in_prepare -= 1
        return [e * 10 for e in events]

    async def finish(events: Sequence[int], results: list[int]) -> None:
        assert not set(events) & set(stream.acked), "acked before it was handed on"
        finished.extend(results)

    runner = asyncio.create_task(run_batches(stream, prepare, finish, size=4, in_flight=3))
    for i in range(200):
        stream.incoming.put_nowait(i)
        if i % 7 == 0:
            await asyncio.sleep(0.003)
    await until(lambda: len(stream.acked) == 200)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert stream.enable_acks is False
    assert finished == [i * 10 for i in range(200)]
    assert stream.acked == list(range(200))
    assert most_in_prepare == 3
    assert max(len(b) for b in batches) == 4 and sorted(e for b in batches for e in b) == list(range(200))


async def test_an_idle_stream_gets_batches_of_one_at_once() -> None:
    stream, sizes = FakeStream(), []

    async def prepare(events: Sequence[int]) -> None:
        sizes.append(len(events))

    async def finish(events: Sequence[int], result: None) -> None:
        pass

    runner = asyncio.create_task(run_batches(stream, prepare, finish, size=32, in_flight=2))
    for i in range(3):
        started = asyncio.get_running_loop().time()
        stream.incoming.put_nowait(i)
        await until(lambda i=i: len(stream.acked) == i + 1)
        assert asyncio.get_running_loop().time() - started < 0.2
    runner.cancel()
    assert sizes == [1, 1, 1]


async def test_nothing_is_acked_when_the_agent_stops_mid_batch() -> None:
    stream, release = FakeStream(), asyncio.Event()

    async def prepare(events: Sequence[int]) -> None:
        await release.wait()

    async def finish(events: Sequence[int], result: None) -> None:
        pass

    runner = asyncio.create_task(run_batches(stream, prepare, finish, size=8, in_flight=2))
    for i in range(5):
        stream.incoming.put_nowait(i)
    await asyncio.sleep(0.05)
    runner.cancel()  # the worker stops: what was read is delivered again later
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert stream.acked == []


async def test_a_failing_finish_ends_the_agent_without_acking_its_batch() -> None:
    stream = FakeStream()

    async def prepare(events: Sequence[int]) -> None:
        return None

    async def finish(events: Sequence[int], result: None) -> None:
        raise RuntimeError("producer gone")

    for i in range(3):
        stream.incoming.put_nowait(i)
    with pytest.raises(ExceptionGroup):
        await asyncio.wait_for(run_batches(stream, prepare, finish, size=8, in_flight=1), 5)
    assert stream.acked == []


async def test_take_waits_for_one_then_takes_what_is_queued_and_lingers_if_asked() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(5):
        queue.put_nowait(i)
    assert await take(queue, 3, 0.0) == [0, 1, 2]
    assert await take(queue, 3, 0.0) == [3, 4]
    later = asyncio.get_running_loop().call_later(0.05, queue.put_nowait, 6)
    queue.put_nowait(5)
    assert await take(queue, 3, 0.5) == [5, 6]
    later.cancel()
