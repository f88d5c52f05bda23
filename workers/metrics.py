"""The worker's Prometheus metrics, collected by a Faust sensor: agents need no metric code.

In: Faust's sensor callbacks (a message in, an event through a stream, a message sent), the
app's consumer and tables at scrape time, and :func:`observe_nlp_batch` from the entities
agent. Out: metrics on prometheus-client's default registry (with the process collector's
``process_resident_memory_bytes``), served at ``/metrics`` by :mod:`workers.web`:

- ``conflictwire_messages_in_total{stage,topic}``, ``conflictwire_messages_out_total{stage,topic}``
  — the stage is the agent whose event was being processed (faust.current_event()), else the
  topic's producer (``producer_of_topic``), else ``table`` for a changelog;
- ``conflictwire_dead_letters_total{stage,reason}`` — from the dead letter's ``cw-stage`` and
  ``cw-error`` headers (reason: the exception class, a bounded set);
- ``conflictwire_events_total{type,change}`` — enriched events published (change: new|revised);
- ``conflictwire_nlp_batch_size`` and ``conflictwire_nlp_batch_seconds`` histograms;
- ``conflictwire_stage_seconds{stage}`` (an event's time inside its agent, ack included) and
  ``conflictwire_stage_latency_seconds{stage}`` (from the message's timestamp on its source
  topic to the end of its processing: queueing included);
- ``conflictwire_consumer_lag{topic,partition}``, ``conflictwire_assigned_partitions``,
  ``conflictwire_table_keys{table}`` — refreshed at every scrape (:func:`refresh`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import faust
from prometheus_client import Counter, Gauge, Histogram

from workers import codec

MESSAGES_IN = Counter(
    "conflictwire_messages_in", "Messages consumed, by stage (agent) and source topic", ["stage", "topic"]
)
MESSAGES_OUT = Counter(
    "conflictwire_messages_out",
    "Messages produced, by the stage (agent) that sent them and destination topic",
    ["stage", "topic"],
)
DEAD_LETTERS = Counter(
    "conflictwire_dead_letters",
    "Dead letters sent, by stage and reason (exception class)",
    ["stage", "reason"],
)
EVENTS = Counter(
    "conflictwire_events", "Enriched events published, by type and change (new|revised)", ["type", "change"]
)
NLP_BATCH_SIZE = Histogram(
    "conflictwire_nlp_batch_size", "Articles per spaCy batch", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256)
)
NLP_BATCH_SECONDS = Histogram(
    "conflictwire_nlp_batch_seconds",
    "Duration of one spaCy batch (nlp.pipe in the executor)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
)
_STAGE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
STAGE_SECONDS = Histogram(
    "conflictwire_stage_seconds",
    "Time an event spends in its agent, until acked",
    ["stage"],
    buckets=_STAGE_BUCKETS,
)
STAGE_LATENCY = Histogram(
    "conflictwire_stage_latency_seconds",
    "From the message's timestamp on its source topic to the end of its processing",
    ["stage"],
    buckets=_STAGE_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "conflictwire_consumer_lag",
    "Messages not yet committed, per assigned topic partition (end offset - committed offset)",
    ["topic", "partition"],
)
ASSIGNED = Gauge(
    "conflictwire_assigned_partitions", "Topic partitions assigned to this worker (changelogs excluded)"
)
TABLE_KEYS = Gauge("conflictwire_table_keys", "Keys held by this worker per table", ["table"])


# events in flight across all agents; far above any batch size
_MAX_IN_FLIGHT = 100_000


def observe_nlp_batch(size: int, seconds: float) -> None:
    """Record one spaCy batch: call it from the entities agent around the executor call."""
    NLP_BATCH_SIZE.observe(size)
    NLP_BATCH_SECONDS.observe(seconds)


def _seconds(timestamp: float | None) -> float | None:
    if not timestamp:
        return None
    return timestamp / 1000.0 if timestamp > 1e11 else timestamp  # milliseconds from some drivers


class ServiceSensor(faust.Sensor):
    """Counts what flows through the agents. ``stage_of_topic``: source topic -> agent name."""

    def __init__(
        self,
        stage_of_topic: Mapping[str, str],
        enriched_topic: str,
        dead_letter_topic: str,
        producer_of_topic: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.stage_of_topic = dict(stage_of_topic)
        # who sends to a topic, for sends made outside an event's task (batched agents, and the
        # changelog writes Faust's producer buffer sends later)
        self.producer_of_topic = dict(producer_of_topic or {})
        self.enriched_topic, self.dead_letter_topic = enriched_topic, dead_letter_topic
        self._entered: dict[tuple[Any, int], float] = {}  # (tp, offset) -> when its event went in

    def _stage(self, topic: str) -> str:
        return self.stage_of_topic.get(topic, "other")

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        MESSAGES_IN.labels(self._stage(tp.topic), tp.topic).inc()

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> dict[str, Any] | None:
        # kept here, not only in the returned state: an agent that takes batches acks through
        # Stream.ack, which passes no state back
        if len(self._entered) > _MAX_IN_FLIGHT:
            self._entered.clear()  # events never acked (a crashed stream): forget them
        self._entered[(tp, offset)] = time.monotonic()
        return None

    def on_stream_event_out(
        self, tp: Any, offset: int, stream: Any, event: Any, state: dict[str, Any] | None = None
    ) -> None:
        stage = self._stage(tp.topic)
        started = self._entered.pop((tp, offset), None)
        if started is not None:
            STAGE_SECONDS.labels(stage).observe(time.monotonic() - started)
        written = _seconds(getattr(event.message, "timestamp", None))
        if written is not None:
            STAGE_LATENCY.labels(stage).observe(max(0.0, time.time() - written))

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> Any:
        current = faust.current_event()
        if current is not None:
            stage = self._stage(current.message.topic)
        else:
            stage = self.producer_of_topic.get(topic, "table" if topic.endswith("-changelog") else "other")
        if topic == self.dead_letter_topic:
            headers = dict(message.headers or ())
            DEAD_LETTERS.labels(
                headers.get("cw-stage", b"unknown").decode(errors="replace"),
                headers.get("cw-error", b"unknown").decode(errors="replace"),
            ).inc()
        elif topic == self.enriched_topic and isinstance(message.value, bytes):
            event = codec.loads(message.value)
            EVENTS.labels(
                event.get("type", "unknown"), "new" if event.get("version") == 1 else "revised"
            ).inc()
        return (stage, topic)

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        if state:
            MESSAGES_OUT.labels(*state).inc()


def changelog_topics(app: faust.App) -> set[str]:
    return {table.changelog_topic.get_topic_name() for table in app.tables.values()}


def assigned_sources(app: faust.App) -> set[Any]:
    """The worker's assigned partitions of source topics (changelogs left out)."""
    try:
        assigned = app.consumer.assignment()
    except Exception:  # not started yet: nothing assigned
        return set()
    changelogs = changelog_topics(app)
    return {tp for tp in assigned if tp.topic not in changelogs}


def refresh(app: faust.App) -> None:
    """Set the gauges read from the app's state: lag per partition, assignment, table sizes."""
    sources = assigned_sources(app)
    ASSIGNED.set(len(sources))
    monitor = app.monitor
    ends, committed = monitor.tp_end_offsets or {}, monitor.tp_committed_offsets or {}
    CONSUMER_LAG.clear()  # partitions taken away by a rebalance must not linger
    for tp in sources:
        end = ends.get(tp)
        if end is None:
            continue
        CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, end - (committed.get(tp) or 0)))
    for table in app.tables.values():
        TABLE_KEYS.labels(table.name).set(len(table))
