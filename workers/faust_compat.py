"""Workaround for the embedded broker's wrong ListOffsets(latest), for Faust table recovery.

In: nothing (a process-wide patch of faust-streaming 0.15.3's aiokafka driver).
Out: Faust takes each changelog partition's high-water mark from a Fetch response
instead of trusting ListOffsets(latest) alone.

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

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

__all__ = [
    "apply_broker_workarounds",
    "fetch_highwaters",
    "remove_broker_workarounds",
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
