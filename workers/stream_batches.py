"""Batches of a Faust stream, several in flight, handed on in the order they were read.

In: an agent's stream, ``prepare(events) -> result`` (a coroutine; up to ``in_flight`` of
them run at once, e.g. one per NLP process) and ``finish(events, result)`` (sends and dead
letters; run for one batch at a time, in the order the batches were formed). Out: every
event acked once its batch's ``finish`` has returned, never before; an event read but not
finished when the agent stops stays unacked and is delivered again (at least once, as
Faust's own take_events).

A batch is formed as soon as a slot is free: the first event to arrive plus every event
already waiting, up to ``size``, plus those that arrive within ``linger`` seconds (default 0:
none). On an idle stream an article is thus a batch of one at once, instead of waiting out a
batch window; under load events pile up while the slots are busy and the next batch is full.
Since ``finish`` keeps the reading order, messages of one key leave in the order they came
(as with one batch at a time); only ``prepare`` overlaps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

R = TypeVar("R")
Events = Sequence[Any]  # faust.types.EventT


async def take(queue: asyncio.Queue[Any], size: int, linger: float) -> list[Any]:
    """Wait for one item, then take what is queued (up to ``size``), waiting ``linger`` s at most for more."""
    batch = [await queue.get()]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + linger
    while len(batch) < size:
        if not queue.empty():
            batch.append(queue.get_nowait())
            continue
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            batch.append(await asyncio.wait_for(queue.get(), remaining))
        except TimeoutError:
            break
    return batch


async def run_batches(
    stream: Any,
    prepare: Callable[[Events], Coroutine[Any, Any, R]],
    finish: Callable[[Events, R], Coroutine[Any, Any, None]],
    *,
    size: int,
    in_flight: int,
    linger: float = 0.0,
) -> None:
    """Consume ``stream`` (a Faust stream) forever as described in the module docstring.

    An exception from ``prepare`` or ``finish`` ends the whole agent (nothing of the batch is
    acked): both are expected to turn per-message failures into dead letters themselves.
    """
    stream.enable_acks = False  # acked below, after finish (as Stream.take_events does)
    waiting: asyncio.Queue[Any] = asyncio.Queue(maxsize=size)
    # prepared (or preparing) batches in reading order; bounded so a slow finish holds reading back
    formed: asyncio.Queue[tuple[list[Any], asyncio.Task[R]]] = asyncio.Queue(maxsize=in_flight)
    slots = asyncio.Semaphore(in_flight)

    async def read() -> None:
        async for event in stream.events():
            await waiting.put(event)

    async def form(group: asyncio.TaskGroup) -> None:
        while True:
            await slots.acquire()
            batch = await take(waiting, size, linger)
            task: asyncio.Task[R] = group.create_task(prepare(batch))
            task.add_done_callback(lambda _: slots.release())
            await formed.put((batch, task))

    async def hand_on() -> None:
        while True:
            batch, task = await formed.get()
            await finish(batch, await task)
            for event in batch:
                await stream.ack(event)

    async with asyncio.TaskGroup() as group:
        group.create_task(read())
        group.create_task(form(group))
        group.create_task(hand_on())
