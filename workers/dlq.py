"""Dead-lettering: a message that fails any step goes to ``articles.dead-letter``.

In: the Faust event being processed (its original bytes, key, topic, partition,
offset), the stage name and the exception. Out: one message on the dead-letter
topic whose value is a JSON envelope (schema ``articles.dead-letter.v1``) holding
the original bytes (base64) and the reason, and whose headers repeat the stage,
error, reason and source coordinates so a consumer can route without decoding.

Agents wrap each message in ``async with dead_letters.guard(event, stage):`` —
a failure inside is dead-lettered and swallowed, so the agent moves on to the
next message instead of Faust acking and silently dropping it.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from workers import codec
from workers.types import DeadLetter

log = logging.getLogger(__name__)


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


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
    return {
        "schema_version": 1,
        "stage": stage,
        "error": type(exc).__name__,
        "reason": str(exc) or type(exc).__name__,
        "source_topic": topic,
        "source_partition": partition,
        "source_offset": offset,
        "key": _text(key),
        "original": base64.b64encode(original or b"").decode("ascii"),
        "failed_at": now.isoformat(),
    }


def dead_letter_headers(record: DeadLetter) -> list[tuple[str, bytes]]:
    return [
        ("cw-stage", record["stage"].encode()),
        ("cw-error", record["error"].encode()),
        ("cw-reason", record["reason"][:1000].encode()),
        ("cw-source-topic", record["source_topic"].encode()),
        ("cw-source-partition", str(record["source_partition"]).encode()),
        ("cw-source-offset", str(record["source_offset"]).encode()),
    ]


class DeadLetters:
    """Sends dead letters to one topic (a Faust topic object)."""

    def __init__(self, topic: Any) -> None:
        self.topic = topic
        self.sent = 0

    async def send(self, event: Any, stage: str, exc: BaseException) -> None:
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
        log.warning(
            "dead-lettered %s[%s]@%s at %s: %s",
            message.topic,
            message.partition,
            message.offset,
            stage,
            record["reason"],
        )
        await self.topic.send(key=message.key, value=codec.dumps(record), headers=dead_letter_headers(record))
        self.sent += 1

    @asynccontextmanager
    async def guard(self, event: Any, stage: str) -> AsyncIterator[None]:
        """Run the body; on any error, dead-letter the event and carry on."""
        try:
            yield
        except Exception as exc:  # every failure of one message is that message's dead letter
            await self.send(event, stage, exc)
