"""Log lines as JSON (one object a line), each naming the stage and the article it concerns.

In: log records from anywhere in the process. Out: lines such as
``{"time": "...", "level": "WARNING", "logger": "workers.dlq", "stage": "normalize",
"article_id": "sample_01", "message": "dead-lettered ..."}``; ``stage`` and ``article_id``
are null outside the processing of one message.

Where the two come from, first match wins:

1. :func:`log_context` (the poller sets them per feed item);
2. inside a Faust agent, the event being processed (``faust.current_event()``): the stage
   from its source topic (``stage_of_topic``), the article id from its value's ``id`` or
   ``article_id`` field, else its key — read only when a line is actually written.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from workers import codec

_STAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar("cw_stage", default=None)
_ARTICLE: contextvars.ContextVar[str | None] = contextvars.ContextVar("cw_article", default=None)


@contextlib.contextmanager
def log_context(stage: str | None, article_id: str | None) -> Iterator[None]:
    """Lines logged inside carry this stage and article id."""
    stage_token, article_token = _STAGE.set(stage), _ARTICLE.set(article_id)
    try:
        yield
    finally:
        _STAGE.reset(stage_token)
        _ARTICLE.reset(article_token)


def _article_of(message: Any) -> str | None:
    value = getattr(message, "value", None)
    if isinstance(value, bytes | bytearray) and len(value) < 1_000_000:
        with contextlib.suppress(codec.DecodeError):
            payload = codec.loads(value)
            if isinstance(payload, dict):
                found = payload.get("id") or payload.get("article_id")
                if isinstance(found, str):
                    return found
    key = getattr(message, "key", None)
    return key.decode(errors="replace") if isinstance(key, bytes) else None


def _from_current_event(stage_of_topic: Mapping[str, str]) -> tuple[str | None, str | None]:
    if "faust" not in sys.modules:  # not a worker process: no events to look at
        return None, None
    import faust

    event = faust.current_event()
    if event is None:
        return None, None
    message = event.message
    return stage_of_topic.get(message.topic, message.topic), _article_of(message)


class JsonLines(logging.Formatter):
    """A formatter writing one JSON object per record (see the module docstring)."""

    def __init__(self, stage_of_topic: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.stage_of_topic = dict(stage_of_topic or {})

    def format(self, record: logging.LogRecord) -> str:
        stage, article = _STAGE.get(), _ARTICLE.get()
        if stage is None and article is None:
            stage, article = _from_current_event(self.stage_of_topic)
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "stage": stage,
            "article_id": article,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return codec.dumps(line).decode()


def logging_config(level: str, stage_of_topic: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict: JSON lines on stderr at ``level`` (for Faust's Worker too)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines, "stage_of_topic": dict(stage_of_topic or {})}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
    }
