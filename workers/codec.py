"""The one JSON codec: every byte that goes to or comes from Kafka passes through here.

In: bytes (or str). Out: Python objects, and back. orjson does the work; this module
fixes the options once (sorted keys are not needed, non-str keys are allowed for
table snapshots) and turns its errors into :class:`DecodeError`. Input from outside
goes through :func:`loads_bounded`, which refuses (:class:`MessageTooLarge`) to parse
more than a size limit: a huge value is rejected by its length, before it can cost
memory or time in the parser.
"""

from __future__ import annotations

from typing import Any

import orjson

_DUMP_OPTIONS = orjson.OPT_NON_STR_KEYS


class DecodeError(ValueError):
    """The bytes are not one JSON document."""


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=_DUMP_OPTIONS)


def dumps_line(value: Any) -> bytes:
    """One JSON document followed by a newline (JSON Lines)."""
    return orjson.dumps(value, option=_DUMP_OPTIONS | orjson.OPT_APPEND_NEWLINE)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"not valid JSON: {exc}") from exc


class MessageTooLarge(DecodeError):
    """The bytes are over the size limit; they were not decoded."""


def check_size(data: bytes | bytearray | memoryview | str, max_bytes: int) -> None:
    """Raise :class:`MessageTooLarge` when ``data`` is over ``max_bytes`` (checked before any parsing)."""
    size = len(data.encode()) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise MessageTooLarge(
            f"message of {size} bytes is over the limit of {max_bytes} bytes (CONFLICTWIRE_MAX_MESSAGE_BYTES)"
        )


def loads_bounded(data: bytes | bytearray | memoryview | str, max_bytes: int) -> Any:
    """:func:`loads`, but only for at most ``max_bytes`` bytes: a larger input is never parsed."""
    check_size(data, max_bytes)
    return loads(data)
