"""Batch extraction without Kafka: the stream's stage functions over a JSON Lines file.

In: lines ``{"id", "title", "text", "source", "date"}`` (``date`` = publication
date, optional). Out: lines ``{"id", "events": [...]}``, one per good input line.
Each article goes normalize -> entities (in batches, one spaCy call per batch) ->
assemble_events, exactly as in the worker. A bad line (not JSON, missing fields,
rejected by a stage) is reported with its line number and counted, never dropped
silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from workers import codec
from workers.stages.errors import StageError
from workers.stages.events import assemble_events
from workers.stages.normalize import normalize
from workers.types import ArticleEntities, EnrichedEvent, NormalizedArticle, RawArticle

OUTPUT_EVENT_FIELDS = (
    "event_id",
    "type",
    "perpetrator",
    "targets",
    "speakers",
    "location",
    "date",
    "killed",
    "injured",
    "displaced",
    "victims",
    "evidence",
    "confidence",
)

EntitiesBatch = Callable[[Sequence[NormalizedArticle]], list[ArticleEntities]]

_DATE_IN_TEXT = re.compile(
    r"\b(?:(?P<d1>\d{1,2})\s+(?P<m1>[A-Z][a-z]{2,8})\.?,?\s+(?P<y1>(?:19|20)\d\d)"
    r"|(?P<m2>[A-Z][a-z]{2,8})\.?\s+(?P<d2>\d{1,2}),?\s+(?P<y2>(?:19|20)\d\d)"
    r"|(?P<d3>\d{1,2})-(?P<mo3>\d{1,2})-(?P<y3>(?:19|20)\d\d))\b"
)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        )
    )
    for m in names
}


@dataclass
class BatchError:
    line: int
    article_id: str | None
    reason: str


@dataclass
class BatchReport:
    read: int = 0
    written: int = 0
    events: int = 0
    errors: list[BatchError] = field(default_factory=list)


def date_from_text(text: str) -> str | None:
    """An ISO date written near the start of an article ("Wed 19 Apr 2017", "July 5 2015")."""
    for m in _DATE_IN_TEXT.finditer(text[:300]):
        if m.group("y3"):
            day, month, year = int(m.group("d3")), int(m.group("mo3")), int(m.group("y3"))
        else:
            day = int(m.group("d1") or m.group("d2"))
            name = (m.group("m1") or m.group("m2")).lower()
            if name not in _MONTHS:
                continue
            month, year = _MONTHS[name], int(m.group("y1") or m.group("y2"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def to_raw(line: dict[str, Any]) -> RawArticle:
    """A batch input line as the stream's RawArticle; StageError when a field is unusable."""
    if not isinstance(line, dict):
        raise StageError("line is not a JSON object")
    for key in ("id", "title", "text"):
        if not isinstance(line.get(key), str):
            raise StageError(f"field {key!r} is missing or not a string")
    article_id = str(line["id"])
    date = line.get("date")
    if date is not None and not isinstance(date, str):
        raise StageError("field 'date' must be a string")
    published = date or date_from_text(line["text"]) or "unknown"
    source = line.get("source")
    return RawArticle(
        id=article_id,
        title=line["title"],
        body=line["text"],
        source=source if isinstance(source, str) and source else "unknown",
        url=line.get("url") if isinstance(line.get("url"), str) else None,
        published_at=published,
    )


def event_output(event: EnrichedEvent) -> dict[str, Any]:
    """The fields of an event that go in a batch output line."""
    return {key: event[key] for key in OUTPUT_EVENT_FIELDS}  # type: ignore[literal-required]


def _chunks(items: Iterable[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    chunk: list[tuple[int, bytes]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_batch(
    lines: Iterable[bytes],
    out: IO[bytes],
    entities_batch: EntitiesBatch,
    *,
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Extract events from JSON lines into ``out``; every bad line goes to the report."""
    report = BatchReport()
    numbered = ((n, raw) for n, raw in enumerate(lines, start=1) if raw.strip())
    for chunk in _chunks(numbered, batch_size):
        normalized: list[tuple[int, NormalizedArticle]] = []
        for n, raw in chunk:
            report.read += 1
            article_id: str | None = None
            try:
                obj = codec.loads(raw)
                if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                    article_id = obj["id"]
                normalized.append((n, normalize(to_raw(obj))))
            except (codec.DecodeError, StageError) as exc:
                report.errors.append(BatchError(n, article_id, f"{type(exc).__name__}: {exc}"))
        pairs: list[tuple[int, ArticleEntities]] = []
        if normalized:
            try:
                ents = entities_batch([a for _, a in normalized])
                pairs = [(n, e) for (n, _), e in zip(normalized, ents, strict=True)]
            except StageError:
                # find the article the batch choked on; the others still go through
                for n, art in normalized:
                    try:
                        pairs.extend((n, e) for e in entities_batch([art]))
                    except StageError as exc:
                        report.errors.append(BatchError(n, art["id"], f"StageError: {exc}"))
        for n, ent in pairs:
            try:
                events = assemble_events(ent)
            except StageError as exc:
                report.errors.append(BatchError(n, ent["id"], f"StageError: {exc}"))
                continue
            out.write(codec.dumps_line({"id": ent["id"], "events": [event_output(e) for e in events]}))
            report.written += 1
            report.events += len(events)
        if progress is not None:
            progress(len(chunk))
    return report
