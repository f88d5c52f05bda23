"""Dead letters: always written, always within one message, never quoting the article in logs.

The Faust topic is replaced by a small stand-in with the producers' size check
(a real topic needs a broker; the drills in tests/integration send real ones).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import tracemalloc
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import MessageSizeTooLargeError, RequestTimedOutError
from faust.types.tuples import Message

from workers import codec, schemas
from workers.dlq import (
    DEAD_LETTER_MAX_BYTES,
    TRUNCATED_ORIGINAL_BYTES,
    DeadLetters,
    dead_letter_headers,
    dead_letter_record,
)

SECRET = "Qwertyuiop the witness said"  # article text that must never reach a log above DEBUG
NOW = datetime(2024, 3, 16, 10, 0, tzinfo=UTC)


class SizeLimitedTopic:
    """Accepts what fits in ``max_bytes`` (as aiokafka's producer does), rejects the rest."""

    def __init__(self, max_bytes: int = 1_000_000, fail: BaseException | None = None) -> None:
        self.max_bytes = max_bytes
        self.fail = fail
        self.sent: list[dict[str, Any]] = []

    async def send(self, *, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        if self.fail is not None:
            raise self.fail
        size = len(value) + len(key or b"") + sum(len(k) + len(v) for k, v in headers)
        if size > self.max_bytes:
            raise MessageSizeTooLargeError(f"{size} bytes")
        self.sent.append({"key": key, "value": codec.loads(value), "headers": dict(headers)})


def event(value: bytes, key: bytes | None = b"a-1") -> Any:
    message = Message("articles.raw", 2, 17, 0.0, 0, None, key, value, None)
    return SimpleNamespace(message=message)


def article(body: str) -> bytes:
    return codec.dumps({"id": "a-1", "title": "T", "body": body, "source": "s", "published_at": "2024-01-01"})


def test_a_small_original_travels_whole_with_its_size_and_hash() -> None:
    original = article(SECRET)
    record = dead_letter_record(
        stage="normalize",
        exc=ValueError("bad"),
        original=original,
        key=b"a-1",
        topic="articles.raw",
        partition=2,
        offset=17,
        now=NOW,
    )
    schemas.validate("articles.dead-letter", record)
    assert base64.b64decode(record["original"]) == original
    assert record["original_size"] == len(original)
    assert record["original_sha256"] == hashlib.sha256(original).hexdigest()
    assert record["original_truncated"] is False
    headers = dict(dead_letter_headers(record))
    assert headers["cw-original-size"] == str(len(original)).encode()
    assert headers["cw-original-truncated"] == b"false"


def test_a_huge_original_is_cut_and_the_dead_letter_fits_one_message() -> None:
    original = article("x" * (20 * 1024 * 1024))
    tracemalloc.start()
    record = dead_letter_record(
        stage="normalize",
        exc=codec.MessageTooLarge("too big"),
        original=original,
        key=b"a-1",
        topic="articles.raw",
        partition=2,
        offset=17,
        now=NOW,
    )
    value = codec.dumps(record)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 * 1024 * 1024  # no copy, decode or base64 of the whole 20 MB
    schemas.validate("articles.dead-letter", record)
    assert base64.b64decode(record["original"]) == original[:TRUNCATED_ORIGINAL_BYTES]
    assert record["original_truncated"] is True
    assert record["original_size"] == len(original)
    assert record["original_sha256"] == hashlib.sha256(original).hexdigest()
    assert len(value) < DEAD_LETTER_MAX_BYTES


def test_the_largest_original_kept_whole_still_fits() -> None:
    # just under and just over the point where base64 no longer fits
    for size in range(600_000, 700_000, 997):
        record = dead_letter_record(
            stage="normalize",
            exc=ValueError("r" * 5000),
            original=b"\x00" * size,
            key="k" * 5000,
            topic="articles.raw",
            partition=0,
            offset=0,
            now=NOW,
        )
        assert len(codec.dumps(record)) <= DEAD_LETTER_MAX_BYTES
        assert record["original_truncated"] is (len(record["original"]) < (size + 2) // 3 * 4)


async def test_oversized_input_is_dead_lettered_not_lost() -> None:
    topic = SizeLimitedTopic()
    dead_letters = DeadLetters(topic)
    huge = article("y" * (20 * 1024 * 1024))
    async with dead_letters.guard(event(huge), "normalize"):
        schemas.decode("articles.raw", huge, 512 * 1024)
    [sent] = topic.sent
    assert sent["value"]["error"] == "MessageTooLarge"
    assert sent["value"]["original_size"] == len(huge)
    assert sent["value"]["original_truncated"] is True
    assert sent["key"] == b"a-1"
    assert dead_letters.sent == 1


async def test_a_rejected_dead_letter_is_resent_without_the_payload() -> None:
    topic = SizeLimitedTopic(max_bytes=10_000)  # a broker with a smaller limit than ours
    dead_letters = DeadLetters(topic)
    original = article("z" * 9000)
    await dead_letters.send(event(original), "normalize", ValueError("bad"))
    [sent] = topic.sent
    assert sent["value"]["original"] == ""
    assert sent["value"]["original_truncated"] is True
    assert sent["value"]["original_sha256"] == hashlib.sha256(original).hexdigest()
    schemas.validate("articles.dead-letter", sent["value"])
    assert (dead_letters.sent, dead_letters.failed) == (1, 0)


async def test_a_dead_letter_that_cannot_be_sent_at_all_does_not_crash_the_agent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead_letters = DeadLetters(SizeLimitedTopic(fail=RequestTimedOutError()))
    with caplog.at_level(logging.WARNING, logger="workers.dlq"):
        async with dead_letters.guard(event(article(SECRET)), "normalize"):
            raise ValueError("boom")
    assert (dead_letters.sent, dead_letters.failed) == (0, 1)
    [lost] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "articles.raw[2]@17" in lost.getMessage()


async def test_logs_above_debug_name_the_message_but_never_quote_it(caplog: pytest.LogCaptureFixture) -> None:
    topic = SizeLimitedTopic()
    dead_letters = DeadLetters(topic)
    # the schema error quotes the title: "['Qwertyuiop ...'] is not of type 'string'"
    value = codec.loads(article("body"))
    value = codec.dumps({**value, "title": [SECRET]})
    with caplog.at_level(logging.DEBUG, logger="workers.dlq"):
        async with dead_letters.guard(event(value), "normalize"):
            schemas.decode("articles.raw", value, 512 * 1024)
    loud = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    quiet = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert loud and all(SECRET not in line for line in loud)
    assert "SchemaViolation" in loud[0] and f"size={len(value)}" in loud[0]
    assert hashlib.sha256(value).hexdigest()[:16] in loud[0]
    assert any(SECRET in line for line in quiet)  # the reason is there for whoever asks for DEBUG
    assert topic.sent[0]["value"]["reason"].startswith("does not match articles.raw v1")


async def test_an_absurd_key_is_cut_in_the_envelope_and_not_used_as_the_message_key() -> None:
    topic = SizeLimitedTopic()
    await DeadLetters(topic).send(event(b"{}", key=b"k" * 100_000), "normalize", ValueError("bad"))
    [sent] = topic.sent
    assert sent["key"] is None
    assert sent["value"]["key"] == "k" * 256
