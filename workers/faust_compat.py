"""Workarounds for Faust and broker quirks: the embedded broker's wrong ListOffsets(latest) in
table recovery, and fetched messages Faust's consumer discards unprocessed (issue 9).

In: nothing (process-wide patches of faust-streaming 0.15.3 and its aiokafka driver; both are
applied by :func:`apply_broker_workarounds`). Out: Faust takes each changelog partition's
high-water mark from a Fetch response instead of trusting ListOffsets(latest) alone; and a
stream message Faust fetched and then threw away unacked is fetched again (see
:func:`apply_consumer_fixes` and the comment above it).

The problem: the embedded broker (Tansu 0.6.0) answers ListOffsets(latest) with
"base offset of the partition's last record batch + 1" instead of the log end
offset whenever that batch holds more than one record. Faust's table recovery
(``faust.tables.recovery.Recovery._build_highwaters``) reads the changelog only
up to that mark, so after a restart a memory-store table misses its last
updates and a rocksdb store stops with ``ConsistencyError``. Fetch responses
carry the correct high watermark.

The fix: :func:`apply_broker_workarounds` wraps
``AIOKafkaConsumerThread._highwaters`` (used for active and standby changelog
partitions). It still asks ListOffsets, then fetches once from the last listed
offset of every non-empty partition with a short-lived consumer (same bootstrap
servers and credentials as the app) and keeps, per partition, the larger of the
two values. Against a real Kafka both numbers are equal, so the result is
unchanged; the cost is one extra connection and one fetch per table recovery.
If that fetch fails the ListOffsets values are used, as without the patch.
Transactional consumers (``exactly_once``) keep Faust's own last-stable-offset
path untouched.

The other workaround (producer batching so that every changelog batch holds one
record, e.g. ``producer_max_batch_size=1``) also fixes recovery, but only for
data written with that setting and at the price of one record per request; it
is not used here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

__all__ = [
    "apply_broker_workarounds",
    "apply_consumer_fixes",
    "consumer_fixes_applied",
    "fetch_highwaters",
    "remove_broker_workarounds",
    "remove_consumer_fixes",
    "workarounds_applied",
]

logger = logging.getLogger(__name__)

_MARK = "_conflictwire_fetch_highwater"
_ORIGINAL = "_conflictwire_original"

HighwatersFn = Callable[[Any, list[Any]], Awaitable[Mapping[Any, int]]]


async def fetch_highwaters(
    bootstrap_servers: str | list[str],
    listed: Mapping[Any, int],
    *,
    timeout: float = 10.0,
    client_options: Mapping[str, Any] | None = None,
) -> dict[Any, int]:
    """High watermarks of the partitions in ``listed`` as Fetch responses report them.

    ``listed`` maps aiokafka ``TopicPartition`` -> the offset ListOffsets(latest)
    gave; partitions listed at 0 are empty and are not fetched. Each other one is
    fetched once from ``listed - 1`` (inside its last batch, so the fetch returns
    data and the watermark). Returns ``{tp: highwater}`` for the partitions that
    answered within ``timeout`` seconds; ``client_options`` go to
    ``AIOKafkaConsumer`` (credentials, ssl, ...).
    """
    from aiokafka import AIOKafkaConsumer

    wanted = {tp: end for tp, end in listed.items() if end is not None and end > 0}
    if not wanted:
        return {}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="latest",
        isolation_level="read_uncommitted",
        fetch_max_wait_ms=100,
        max_partition_fetch_bytes=64 * 1024,
        request_timeout_ms=max(int(timeout * 1000), 1000),
        **dict(client_options or {}),
    )
    await consumer.start()
    try:
        consumer.assign(list(wanted))
        for tp, end in wanted.items():
            consumer.seek(tp, end - 1)
        found: dict[Any, int] = {}
        deadline = time.monotonic() + timeout
        while len(found) < len(wanted) and time.monotonic() < deadline:
            missing = [tp for tp in wanted if tp not in found]
            await consumer.getmany(*missing, timeout_ms=200, max_records=1)
            for tp in missing:
                highwater = consumer.highwater(tp)
                if highwater is not None:
                    found[tp] = int(highwater)
        return found
    finally:
        await consumer.stop()


def _bootstrap_and_options(thread: Any) -> tuple[list[str], dict[str, Any]]:
    """The same servers and credentials Faust gives its own consumer."""
    from faust.transport.drivers import aiokafka as driver

    transport = thread.transport
    conf = thread.app.conf
    servers: list[str] = driver.server_list(transport.url, transport.default_port)
    options: dict[str, Any] = dict(
        driver.credentials_to_aiokafka_auth(conf.broker_credentials, conf.ssl_context)
    )
    options["client_id"] = f"{conf.broker_client_id}-highwater"
    return servers, options


def _patched(original: HighwatersFn) -> HighwatersFn:
    async def _highwaters(self: Any, partitions: list[Any]) -> Mapping[Any, int]:
        listed = await original(self, partitions)
        if self.consumer.in_transaction:
            return listed
        try:
            servers, options = _bootstrap_and_options(self)
            fetched = await fetch_highwaters(servers, listed, client_options=options)
        except Exception as exc:  # never make recovery worse than before
            logger.warning("could not fetch changelog high watermarks (%r); using ListOffsets", exc)
            return listed
        corrected = dict(listed)
        for tp, highwater in fetched.items():
            if highwater > (listed.get(tp) or 0):
                logger.info("high watermark of %s: ListOffsets %s, fetch %s", tp, listed.get(tp), highwater)
                corrected[tp] = highwater
        return corrected

    setattr(_highwaters, _MARK, True)
    setattr(_highwaters, _ORIGINAL, original)
    return _highwaters


def apply_broker_workarounds() -> None:
    """Make Faust's changelog high-water marks come from Fetch responses (process-wide, idempotent).

    Call it once before any Faust app starts (e.g. where the app is built); it
    patches the class ``faust.transport.drivers.aiokafka.AIOKafkaConsumerThread``,
    so it covers every app in the process. Safe against a real Kafka.
    """
    from faust.transport.drivers import aiokafka as driver

    apply_consumer_fixes()  # fetched messages Faust discards unprocessed (see below)
    cls: Any = driver.AIOKafkaConsumerThread  # a plain object: we replace one of its methods
    current = cls._highwaters
    if getattr(current, _MARK, False):
        return
    cls._highwaters = _patched(current)


def remove_broker_workarounds() -> None:
    """Undo :func:`apply_broker_workarounds` (for tests that show the unpatched behaviour)."""
    from faust.transport.drivers import aiokafka as driver

    cls: Any = driver.AIOKafkaConsumerThread  # a plain object: we replace one of its methods
    current = cls._highwaters
    if getattr(current, _MARK, False):
        cls._highwaters = getattr(current, _ORIGINAL)


def workarounds_applied() -> bool:
    """True while the patch is in place."""
    from faust.transport.drivers import aiokafka as driver

    return bool(getattr(driver.AIOKafkaConsumerThread._highwaters, _MARK, False))


# -- fetched messages that Faust drops without processing them (issue 9, "kill -9 at 10 %") -------
#
# The stall: after a restart, one partition of a stream topic had offsets 1-3 *read* by Faust's
# fetcher but never processed, and Faust never commits across them. Traced (faust-streaming
# 0.15.3, aiokafka 0.14): when table recovery ends, ``Recovery.on_recovery_completed`` resumes the
# stream partitions, seeks them to their committed offsets (``Consumer.perform_seek``) and only
# then calls ``app.flow_control.resume()``, which *clears every agent's input queue*. Flow is
# already running during the seek (it was resumed to read the changelogs), so messages fetched in
# that window sit in the agents' queues, their offsets recorded as read, and are thrown away
# unprocessed and unacked. Faust assumes the seek makes the consumer read them again, but
#   1. aiokafka's ``seek_to_committed`` does not seek a partition with nothing committed (or 0
#      committed), so the consumer goes on after the cleared messages: they are never read
#      again. Acks after them then wait forever behind the hole (our stall), or, when nothing
#      before them was acked either, Faust commits past them (a silent loss);
#   2. the clear comes after the seek, so messages fetched after the seek are cleared too;
#   3. a batch fetched before a seek and handed out after it moves the read offset past the
#      seek target; Faust then drops the re-fetched messages as already read ("DROPPED MESSAGE
#      ROFF") and records a false gap that lets it commit over messages still in flight.
# faust-streaming issue #596 describes the same race ("A race condition in recovery causes
# unrecoverable gaps in acked offsets and consequently blocks committing"); it is open.
#
# The fixes, for stream partitions only (changelog partitions keep Faust's own handling):
#   * rewind on discard: when a flow-control clear throws away fetched, unacked messages, their
#     partition is sought back to the lowest of them (never forward, never below the committed
#     offset) and its read offset reset, so they are fetched and processed again;
#   * stale batches: every reposition of a partition (seek to committed, rewind, new assignment)
#     gets a number; a batch is stamped with the number current when aiokafka handed it out (in
#     the consumer thread, where seeks run too, so the order is exact). Messages of a partition
#     repositioned after their batch was fetched are not delivered (they are fetched again from
#     the new position), and a delivery overtaken by a reposition does not leave its read offset.
#   * the seek to committed sets Faust's read offset in the same step as the seek, so a message
#     fetched just after the seek is not compared with the old read offset and dropped.
# A message may be processed twice because of this (at-least-once, as after any crash); none is
# lost. Against a real Kafka the race is the same, so the fix is not specific to Tansu.

_FIX_MARK = "_conflictwire_consumer_fix"


class _Positions:
    """Per Faust consumer: the reposition number of each stream partition and the read offset
    Faust holds right after it (shared by the event loop and the consumer thread; plain
    assignments only, atomic under the GIL)."""

    def __init__(self) -> None:
        self.epoch = 0
        self.moved: dict[Any, int] = {}  # tp -> epoch of its last reposition
        self.reset_to: dict[Any, int | None] = {}  # tp -> Faust's read offset right after it
        self.batch_epoch: int | None = None  # stamp of the batch the fetcher is handing out
        self.tasks: set[asyncio.Task[Any]] = set()

    def repositioned(self, tp: Any, read_offset: int | None) -> None:
        self.epoch += 1
        self.moved[tp] = self.epoch
        self.reset_to[tp] = read_offset

    def stale(self, tp: Any, batch_epoch: int | None) -> bool:
        """Was ``tp`` repositioned after a batch stamped ``batch_epoch`` was fetched?"""
        return batch_epoch is not None and self.moved.get(tp, -1) > batch_epoch


def _positions(consumer: Any) -> _Positions:
    state = getattr(consumer, "_cw_positions", None)
    if state is None:
        state = _Positions()
        consumer._cw_positions = state
    return state


def _is_stream(consumer: Any, tp: Any) -> bool:
    """A partition of a topic an agent consumes with acks (not a changelog, not the assignor's)."""
    app = consumer.app
    return tp.topic not in app.tables.changelog_topics and bool(app.topics.acks_enabled_for(tp.topic))


class _Batch(dict):  # type: ignore[type-arg]  # aiokafka's RecordMap plus the epoch it was fetched in
    epoch: int = 0


def _fix_fetch_records(original: Any) -> Any:
    async def _fetch_records(self: Any, *args: Any, **kwargs: Any) -> Any:  # in the consumer thread
        records = await original(self, *args, **kwargs)
        batch = _Batch(records or {})
        batch.epoch = _positions(self.consumer).epoch  # no await since aiokafka handed them out
        return batch

    return _fetch_records


def _fix_wait_next_records(original: Any) -> Any:
    async def _wait_next_records(self: Any, timeout: float) -> Any:
        records, active = await original(self, timeout)
        _positions(self).batch_epoch = getattr(records, "epoch", None)
        return records, active

    return _wait_next_records


def _fix_getmany(original: Any) -> Any:
    async def getmany(self: Any, timeout: float) -> Any:
        state = _positions(self)
        async for tp, message in original(self, timeout):
            batch = state.batch_epoch
            if state.stale(tp, batch):
                continue  # fetched before its partition was repositioned: it comes again
            yield tp, message
            if state.stale(tp, batch):
                # repositioned while this message was being delivered: the read offset the
                # fetcher just recorded belongs to the old position
                self._read_offset[tp] = state.reset_to.get(tp)

    return getmany


def _fix_seek_to_committed(original: Any) -> Any:
    async def _in_thread(thread: Any) -> dict[Any, Any]:
        consumer = thread._ensure_consumer()
        partitions = consumer.assignment()
        if not partitions:
            return {}
        committed = {tp: await consumer.committed(tp) for tp in partitions}
        faust_consumer = thread.consumer
        state = _positions(faust_consumer)
        # from here on no await: each seek, its epoch and Faust's read offset are one step
        for tp, offset in committed.items():
            if offset and offset > 0:  # as aiokafka: nothing committed -> no seek
                consumer.seek(tp, offset)
                if _is_stream(faust_consumer, tp):
                    state.repositioned(tp, offset)
                    faust_consumer._read_offset[tp] = offset
        return committed

    async def seek_to_committed(self: Any) -> Any:
        return await self.call_thread(_in_thread, self)

    setattr(seek_to_committed, _ORIGINAL, original)
    return seek_to_committed


def _fix_assigned(original: Any) -> Any:
    async def on_partitions_assigned(self: Any, assigned: Any) -> None:  # in the consumer thread
        faust_consumer = self._thread.consumer
        state = _positions(faust_consumer)
        for tp in assigned:  # new assignment: positions start again from the committed offsets
            if _is_stream(faust_consumer, tp):
                state.repositioned(tp, None)
        await original(self, assigned)

    return on_partitions_assigned


async def _rewind_in_thread(thread: Any, lowest: dict[Any, int], generation: int) -> list[Any]:
    """Seek each partition in ``lowest`` back to that offset if it is past it (consumer thread)."""
    faust_consumer = thread.consumer
    if thread.app.consumer_generation_id != generation:
        return []  # reassigned since: the new assignment starts from the committed offsets
    consumer = thread._ensure_consumer()
    subscription = consumer._subscription.subscription
    assignment = subscription.assignment if subscription is not None else None
    state = _positions(faust_consumer)
    rewound = []
    for tp, offset in lowest.items():
        tp_state = assignment.state_value(tp) if assignment is not None else None
        if tp_state is None or not tp_state.has_valid_position or tp_state.position <= offset:
            continue  # not assigned, or not read that far: nothing to fetch again
        consumer.seek(tp, offset)
        state.repositioned(tp, None)
        faust_consumer._read_offset[tp] = None
        rewound.append((tp, offset))
    return rewound


async def _rewind(faust_consumer: Any, lowest: dict[Any, int], generation: int) -> None:
    try:
        rewound = await faust_consumer._thread.call_thread(
            _rewind_in_thread, faust_consumer._thread, lowest, generation
        )
    except Exception as exc:  # a rebalance or a stop got there first: it repositions anyway
        logger.info("could not rewind partitions after a queue clear (%r)", exc)
        return
    for tp, offset in rewound:
        gaps = faust_consumer._gap.get(tp)
        if gaps:
            gaps.chop(offset, 2**63)  # offsets from here on are fetched again, gaps found again
        logger.info("fetching %s again from offset %s: fetched messages were cleared unprocessed", tp, offset)


def _unprocessed(queues: Any) -> dict[int, tuple[Any, int, dict[Any, int]]]:
    """Per Faust consumer (by id): (consumer, generation, {tp: lowest offset}) of the fetched,
    unacked stream messages waiting in ``queues``."""
    found: dict[int, tuple[Any, int, dict[Any, int]]] = {}
    for queue in list(queues):
        for item in list(getattr(queue, "_queue", ())):
            message, app = getattr(item, "message", None), getattr(item, "app", None)
            if message is None or app is None or getattr(message, "acked", True):
                continue
            consumer = app.consumer
            tp, offset = message.tp, message.offset
            if not _is_stream(consumer, tp):
                continue
            committed = consumer._committed_offset.get(tp)
            if committed is not None and offset < committed:
                continue  # committed already: nothing to fetch again
            lowest = found.setdefault(id(consumer), (consumer, app.consumer_generation_id, {}))[2]
            lowest[tp] = min(offset, lowest.get(tp, offset))
    return found


def _fix_flow_clear(original: Any) -> Any:
    def clear(self: Any) -> None:
        try:
            found = _unprocessed(self._queues)
        except Exception as exc:  # never make a clear fail
            logger.warning("could not inspect the queues being cleared (%r)", exc)
            found = {}
        original(self)
        for consumer, generation, lowest in found.values():
            if consumer.should_stop or consumer.app.should_stop:
                continue  # stopping: the next start reads from the committed offsets
            task = asyncio.ensure_future(_rewind(consumer, lowest, generation))
            tasks = _positions(consumer).tasks
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    return clear


def _consumer_patch_points() -> list[tuple[Any, str, Callable[[Any], Any]]]:
    from faust.transport import consumer as base
    from faust.transport.drivers import aiokafka as driver
    from mode.utils.queues import FlowControlEvent

    return [
        (driver.AIOKafkaConsumerThread, "_fetch_records", _fix_fetch_records),
        (driver.AIOKafkaConsumerThread, "seek_to_committed", _fix_seek_to_committed),
        (driver.ConsumerRebalanceListener, "on_partitions_assigned", _fix_assigned),
        (base.Consumer, "_wait_next_records", _fix_wait_next_records),
        (base.Consumer, "getmany", _fix_getmany),
        (FlowControlEvent, "clear", _fix_flow_clear),
    ]


def apply_consumer_fixes() -> None:
    """Patch Faust's consumer so fetched messages it discards are fetched again (process-wide,
    idempotent; see the comment above). Call it before any Faust app starts."""
    for cls, name, fix in _consumer_patch_points():
        current = getattr(cls, name)
        if getattr(current, _FIX_MARK, False):
            continue
        patched = fix(current)
        setattr(patched, _FIX_MARK, True)
        setattr(patched, _ORIGINAL, current)
        setattr(cls, name, patched)


def remove_consumer_fixes() -> None:
    """Undo :func:`apply_consumer_fixes` (for tests that show the unpatched behaviour)."""
    for cls, name, _fix in _consumer_patch_points():
        current = getattr(cls, name)
        if getattr(current, _FIX_MARK, False):
            setattr(cls, name, getattr(current, _ORIGINAL))


def consumer_fixes_applied() -> bool:
    """True while every consumer fix is in place."""
    return all(getattr(getattr(cls, name), _FIX_MARK, False) for cls, name, _ in _consumer_patch_points())
