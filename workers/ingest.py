"""Files on disk -> messages for ``articles.raw``.

In: paths to ``.txt`` files (first non-empty line the title, the rest the body; an
optional ``Source: ...`` line names the outlet), ``.jsonl`` files (one article per
line), ``.json`` files (one article), or directories holding such files. Out:
(key, value) byte pairs, key = article id.

A ``.jsonl`` line is passed on byte for byte, so a malformed line reaches the
worker and becomes a dead letter with its reason instead of vanishing here. The
one translation made is for lines in the batch format of ``conflictwire extract``
(``text``/``date`` instead of ``body``/``published_at``).

With a size limit (``max_bytes``, the worker's ``CONFLICTWIRE_MAX_MESSAGE_BYTES``)
a message over it is not sent (the worker would only dead-letter it, and the
producer refuses anything over 1 MB): it is recorded in ``oversized`` as
(where, size) instead, and a JSON Lines line over the limit is not even parsed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from workers import codec
from workers.batch import to_raw
from workers.stages.errors import StageError

SUFFIXES = (".txt", ".jsonl", ".json")
# Articles of our own writing that `conflictwire run` uses when given no paths.
SAMPLES = Path(__file__).resolve().parent / "samples"
_SOURCE_LINE = re.compile(r"^\s*Source:\s*(?P<source>.+?)\s*$", re.MULTILINE)


class IngestError(ValueError):
    """A path that cannot be read as articles."""


class Oversized(NamedTuple):
    """A message left out for its size: the file (and line, for JSON Lines) and its bytes."""

    where: str
    size: int


def expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES))
        elif path.is_file():
            if path.suffix not in SUFFIXES:
                raise IngestError(f"{path}: unsupported file type (expected {', '.join(SUFFIXES)})")
            files.append(path)
        else:
            raise IngestError(f"{path}: no such file or directory")
    return files


def text_file_article(path: Path, published_at: str | None) -> dict[str, object]:
    content = path.read_text(encoding="utf-8")
    lines = content.strip().splitlines()
    if not lines:
        raise IngestError(f"{path}: empty file")
    title, body = lines[0].strip(), "\n".join(lines[1:]).strip()
    found = _SOURCE_LINE.search(body)
    when = published_at or datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).isoformat(timespec="seconds")
    return {
        "id": path.stem,
        "title": title,
        "body": body,
        "source": found.group("source") if found else "file",
        "url": None,
        "published_at": when,
    }


def _key_of(value: bytes) -> bytes | None:
    try:
        payload = codec.loads(value)
    except codec.DecodeError:
        return None
    article_id = payload.get("id") if isinstance(payload, dict) else None
    return article_id.encode() if isinstance(article_id, str) else None


def _jsonl_messages(
    path: Path, max_bytes: int | None, oversized: list[Oversized]
) -> Iterator[tuple[bytes | None, bytes]]:
    with path.open("rb") as handle:
        for number, raw_line in enumerate(handle, start=1):
            line = raw_line.rstrip(b"\r\n")
            if not line.strip():
                continue
            if max_bytes is not None and len(line) > max_bytes:
                oversized.append(Oversized(f"{path}:{number}", len(line)))
                continue
            try:
                payload = codec.loads(line)
            except codec.DecodeError:
                yield None, line
                continue
            if isinstance(payload, dict) and "text" in payload and "body" not in payload:
                # a line that cannot be translated goes as it is: the worker dead-letters it, with the reason
                with contextlib.suppress(StageError):
                    line = codec.dumps(to_raw(payload))
            yield _key_of(line), line


def messages(
    paths: list[Path],
    published_at: str | None = None,
    *,
    max_bytes: int | None = None,
    oversized: list[Oversized] | None = None,
) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) for every article under ``paths``; those over ``max_bytes`` go to ``oversized``."""
    skipped: list[Oversized] = [] if oversized is None else oversized
    for path in expand(paths):
        if path.suffix == ".jsonl":
            yield from _jsonl_messages(path, max_bytes, skipped)
            continue
        if max_bytes is not None and path.stat().st_size > 2 * max_bytes + 1024:
            # far over the limit whatever its encoding: not read at all
            skipped.append(Oversized(str(path), path.stat().st_size))
            continue
        key: bytes | None = None
        if path.suffix == ".txt":
            article = text_file_article(path, published_at)
            key, value = str(article["id"]).encode(), codec.dumps(article)
        else:
            value = path.read_bytes().strip()
        if max_bytes is not None and len(value) > max_bytes:
            skipped.append(Oversized(str(path), len(value)))
            continue
        yield (key if path.suffix == ".txt" else _key_of(value)), value
