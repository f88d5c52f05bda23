"""Dead-lettering: a message that fails any step goes to ``articles.dead-letter``.

In: the Faust event being processed (its original bytes, key, topic, partition,
offset), the stage name and the exception. Out: one message on the dead-letter
topic whose value is a JSON envelope (schema ``articles.dead-letter.v1``) holding
the original bytes (base64), their size and SHA-256, and the reason, and whose
headers repeat the stage, error, reason, size, hash and source coordinates so a
consumer can route without decoding.

A dead letter always fits in one Kafka message: an original whose base64 would
make the envelope larger than :data:`DEAD_LETTER_MAX_BYTES` is carried truncated
to its first :data:`TRUNCATED_ORIGINAL_BYTES` bytes (``original_truncated``),
and the size and hash still identify it. Should a send fail anyway, it is
retried once without the original.

Logs above DEBUG name the message (topic, partition, offset, key), the stage,
the error class, the size and the hash, never the article's text; the reason,
which may quote it, is logged at DEBUG only.

Agents wrap each message in ``async with dead_letters.guard(event, stage):`` —
a failure inside is dead-lettered and swallowed, so the agent moves on to the
next message instead of Faust acking and silently dropping it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypedDict

from workers import codec

log = logging.getLogger(__name__)

# Below the producers' 1 MB request limit (and Kafka's default message.max.bytes), with room
# for the record's key, headers and batch framing.
DEAD_LETTER_MAX_BYTES = 900_000
# What is left of an original that does not fit: enough to see what it was.
TRUNCATED_ORIGINAL_BYTES = 64 * 1024
# Room kept for the envelope's other fields (reason and key are cut to the lengths below).
_ENVELOPE_RESERVE = 16 * 1024
_REASON_CHARS = 1000
_KEY_CHARS = 256
# A key longer than this is not sent as the dead letter's Kafka key (it is still in the envelope, cut).
_MESSAGE_KEY_BYTES = 1024


class DeadLetter(TypedDict):
    """One ``articles.dead-letter`` v1 value."""

    schema_version: int
    stage: str  # decode | validate | normalize | entities | events | identity | counts | poll
    error: str  # exception class name
    reason: str  # human-readable message, at most 1000 characters
    source_topic: str
    source_partition: int | None
    source_offset: int | None
    key: str | None  # the original key as text, at most 256 characters
    original: str  # the original bytes (or their first 64 KiB), base64
    original_size: int  # bytes of the original value
    original_sha256: str  # hex SHA-256 of the whole original value
    original_truncated: bool
    failed_at: str


def _text(value: bytes | str | None, limit: int) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
    return text[:limit]


def _fits(size: int) -> bool:
    """Whether an original of ``size`` bytes fits whole in a dead letter (base64: 4 bytes per 3)."""
    return (size + 2) // 3 * 4 <= DEAD_LETTER_MAX_BYTES - _ENVELOPE_RESERVE


def dead_letter_record(
    *,
    stage: str,
    exc: BaseException,
    original: bytes | None,
    key: bytes | str | None,
    topic: str,
    partition: int | None,
    offset: int | None,
    now: datetime,
) -> DeadLetter:
    """The envelope for one failed message; the original is cut when it would not fit (see the module doc)."""
    data = original or b""
    truncated = not _fits(len(data))
    kept = data[:TRUNCATED_ORIGINAL_BYTES] if truncated else data
    return {
        "schema_version": 1,
        "stage": stage,
        "error": type(exc).__name__,
        "reason": (str(exc) or type(exc).__name__)[:_REASON_CHARS],
        "source_topic": topic,
        "source_partition": partition,
        "source_offset": offset,
        "key": _text(key, _KEY_CHARS),
        "original": base64.b64encode(kept).decode("ascii"),
        "original_size": len(data),
        "original_sha256": hashlib.sha256(data).hexdigest(),
        "original_truncated": truncated,
        "failed_at": now.isoformat(),
    }


def without_original(record: DeadLetter) -> DeadLetter:
    """The same dead letter with the payload dropped (size and hash kept): the last resort."""
    return {**record, "original": "", "original_truncated": record["original_size"] > 0}


def dead_letter_headers(record: DeadLetter) -> list[tuple[str, bytes]]:
    return [
        ("cw-stage", record["stage"].encode()),
        ("cw-error", record["error"].encode()),
        ("cw-reason", record["reason"].encode()[:_REASON_CHARS]),
        ("cw-source-topic", record["source_topic"].encode()),
        ("cw-source-partition", str(record["source_partition"]).encode()),
        ("cw-source-offset", str(record["source_offset"]).encode()),
        ("cw-original-size", str(record["original_size"]).encode()),
        ("cw-original-sha256", record["original_sha256"].encode()),
        ("cw-original-truncated", b"true" if record["original_truncated"] else b"false"),
    ]


def message_key(key: bytes | str | None) -> bytes | None:
    """The dead letter's Kafka key: the original key, unless it is absurdly long."""
    if key is None:
        return None
    raw = key if isinstance(key, bytes) else str(key).encode()
    return raw if len(raw) <= _MESSAGE_KEY_BYTES else None


def describe(record: DeadLetter) -> str:
    """A log line about a dead letter without article text: coordinates, key, stage, error, size, hash."""
    return (
        f"{record['source_topic']}[{record['source_partition']}]@{record['source_offset']}"
        f" key={record['key'][:80] if record['key'] else None!r} stage={record['stage']}"
        f" error={record['error']} size={record['original_size']}"
        f" sha256={record['original_sha256'][:16]}"
    )


class DeadLetters:
    """Sends dead letters to one topic (a Faust topic object, or anything with an async ``send``)."""

    def __init__(self, topic: Any) -> None:
        self.topic = topic
        self.sent = 0
        self.failed = 0  # dead letters that could not be written at all (each logged at ERROR)

    async def _send(self, key: bytes | None, record: DeadLetter) -> None:
        await self.topic.send(key=key, value=codec.dumps(record), headers=dead_letter_headers(record))

    async def send(self, event: Any, stage: str, exc: BaseException) -> None:
        """Dead-letter ``event`` (a Faust event) that failed at ``stage`` with ``exc``; never raises."""
        message = event.message
        record = dead_letter_record(
            stage=stage,
            exc=exc,
            original=message.value,
            key=message.key,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            now=datetime.now(UTC),
        )
        log.warning("dead-lettered %s", describe(record))
        log.debug("dead letter reason (%s): %s", describe(record), record["reason"])
        key = message_key(message.key)
        try:
            await self._send(key, record)
        except Exception as first:  # e.g. too large for the producer: the payload goes, the facts stay
            log.warning(
                "dead letter not sent (%s); retrying without the original: %s",
                type(first).__name__,
                describe(record),
            )
            try:
                await self._send(key, without_original(record))
            except Exception as second:  # nothing else to drop; the source coordinates allow a replay
                self.failed += 1
                log.error("dead letter lost (%s): %s", type(second).__name__, describe(record))
                return
        self.sent += 1

    @asynccontextmanager
    async def guard(self, event: Any, stage: str) -> AsyncIterator[None]:
        """Run the body; on any error, dead-letter the event and carry on."""
        try:
            yield
        except Exception as exc:  # every failure of one message is that message's dead letter
            await self.send(event, stage, exc)
