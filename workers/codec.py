"""The one JSON codec: every byte that goes to or comes from Kafka passes through here.

In: bytes (or str). Out: Python objects, and back. orjson does the work; this module
fixes the options once (sorted keys are not needed, non-str keys are allowed for
table snapshots) and turns its errors into :class:`DecodeError`.
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
