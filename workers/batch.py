"""Batch extraction without Kafka: the stream's stage functions over a JSON Lines file.

In: lines ``{"id", "text", "title"?, "source"?, "date"?}`` (``date`` = publication date;
without one a date written near the start of the text stands in, else normalize infers one).
Out: lines ``{"id", "events": [...]}``, one per good input line. Each article goes normalize ->
entities (in batches, one spaCy call per batch) -> assemble_events, exactly as in the worker.
A bad line (not JSON, missing fields, rejected by a stage, or any exception a stage raises on
it) is reported with its line number, stage and exception type, and the run goes on: one
article never aborts a run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from workers import codec
from workers.stages.casualties import DEFAULT_MAX_FIGURE
from workers.stages.dates import find_dates
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
# optional event fields, written when the event has them
OPTIONAL_EVENT_FIELDS = ("killed_noncombatants",)
# a dateline or byline date stands within the first few lines
_DATELINE_CHARS = 300

EntitiesBatch = Callable[[Sequence[NormalizedArticle]], list[ArticleEntities]]


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
    """An ISO date written in full near the start of an article ("Wed 19 Apr 2017", "July 5 2015")."""
    far = dt.date(2100, 1, 1)  # no publication date yet: any written date is possible
    for mention in find_dates(text[:_DATELINE_CHARS], 0, far):
        if mention.kind == "full":
            return mention.value.isoformat()
    return None


def to_raw(line: dict[str, Any]) -> RawArticle:
    """A batch input line as the stream's RawArticle; StageError when a field is unusable."""
    if not isinstance(line, dict):
        raise StageError("line is not a JSON object")
    for key in ("id", "text"):
        if not isinstance(line.get(key), str):
            raise StageError(f"field {key!r} is missing or not a string")
    title = line.get("title")
    if title is not None and not isinstance(title, str):
        raise StageError("field 'title' must be a string")
    date = line.get("date")
    if date is not None and not isinstance(date, str):
        raise StageError("field 'date' must be a string")
    source = line.get("source")
    raw: RawArticle = {
        "id": str(line["id"]),
        "title": title or "",
        "body": line["text"],
        "source": source if isinstance(source, str) and source else "unknown",
        "url": line.get("url") if isinstance(line.get("url"), str) else None,
    }
    published = date or date_from_text(line["text"])
    if published:
        raw["published_at"] = published
    return raw


def event_output(event: EnrichedEvent) -> dict[str, Any]:
    """The fields of an event that go in a batch output line (optional ones when present)."""
    fields: dict[str, Any] = dict(event)
    out = {key: fields[key] for key in OUTPUT_EVENT_FIELDS}
    out.update({key: fields[key] for key in OPTIONAL_EVENT_FIELDS if fields.get(key) is not None})
    return out


def _failure(stage: str, exc: BaseException) -> str:
    """A bad line's reason: the stage, the exception type (a StageError is expected input
    trouble; anything else is a bug to report) and its message."""
    return f"{stage}: {type(exc).__name__}: {exc}"


def _chunks(items: Iterable[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    chunk: list[tuple[int, bytes]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _normalized(
    chunk: list[tuple[int, bytes]], report: BatchReport, now: dt.datetime | None
) -> list[tuple[int, NormalizedArticle]]:
    out: list[tuple[int, NormalizedArticle]] = []
    for n, raw in chunk:
        report.read += 1
        article_id: str | None = None
        try:
            obj = codec.loads(raw)
            if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                article_id = obj["id"]
            out.append((n, normalize(to_raw(obj), now=now)))
        except codec.DecodeError as exc:
            report.errors.append(BatchError(n, None, _failure("decode", exc)))
        except Exception as exc:  # one article never aborts the run
            report.errors.append(BatchError(n, article_id, _failure("normalize", exc)))
    return out


def _entities(
    normalized: list[tuple[int, NormalizedArticle]], entities_batch: EntitiesBatch, report: BatchReport
) -> list[tuple[int, ArticleEntities]]:
    if not normalized:
        return []
    try:
        ents = entities_batch([a for _, a in normalized])
        return [(n, e) for (n, _), e in zip(normalized, ents, strict=True)]
    except Exception:  # find the article the batch choked on below
        pass
    pairs: list[tuple[int, ArticleEntities]] = []
    for n, art in normalized:
        try:
            pairs.extend((n, e) for e in entities_batch([art]))
        except Exception as exc:  # the others still go through
            report.errors.append(BatchError(n, art["id"], _failure("entities", exc)))
    return pairs


def run_batch(
    lines: Iterable[bytes],
    out: IO[bytes],
    entities_batch: EntitiesBatch,
    *,
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
    max_figure: int = DEFAULT_MAX_FIGURE,
) -> BatchReport:
    """Extract events from JSON lines into ``out``; every bad line goes to the report.

    ``now`` is the processing time for normalize's future-date check (None: no check);
    ``max_figure`` the largest casualty figure taken as a count (``CONFLICTWIRE_MAX_FIGURE``).
    """
    report = BatchReport()
    numbered = ((n, raw) for n, raw in enumerate(lines, start=1) if raw.strip())
    for chunk in _chunks(numbered, batch_size):
        for n, ent in _entities(_normalized(chunk, report, now), entities_batch, report):
            try:
                line = {
                    "id": ent["id"],
                    "events": [event_output(e) for e in assemble_events(ent, max_figure=max_figure)],
                }
            except Exception as exc:  # one article never aborts the run
                report.errors.append(BatchError(n, ent["id"], _failure("events", exc)))
                continue
            out.write(codec.dumps_line(line))
            report.written += 1
            report.events += len(line["events"])
        if progress is not None:
            progress(len(chunk))
    return report
