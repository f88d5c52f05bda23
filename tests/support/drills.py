"""Drills: the real worker process on a real broker, disturbed, compared with a clean run.

In: a bootstrap address, input messages, and what to do to the worker or broker while they
flow. Out: an :class:`Outcome` read back from the output topics the way a downstream
consumer reads them (``actors.counts`` latest per key, ``events.enriched`` highest version per
event id, tombstoned ids left out), and a :class:`Comparison` of two outcomes counting what was
lost, double-counted, or published twice under one version with different content. Events are
compared by their final content, not their version number: a version counts the publications
of an id within one stream (the events.enriched contract), so it depends on arrival timing.

A :class:`Pipeline` is one app (its own topic prefix, app id and consumer group) with its
worker processes, started as ``conflictwire worker`` exactly as in production. It is
*settled* when the worker's consumer group has committed every message of every topic it
consumes, the worker is alive, and no topic has grown for a few seconds: then nothing is
in flight and its output is final.

Every comparison a drill makes is kept in :data:`RESULTS`; ``tests/conftest.py`` prints them
as a table at the end of the session and writes them to ``--drill-report`` (JSON lines) for
``tests/support/drill_runs.py``, which runs the drills several times in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.unit.seeds import eval_file, load_seeds
from workers import codec, kafka_io
from workers.batch import to_raw
from workers.broker import create_topics
from workers.faust_compat import fetch_highwaters
from workers.runner import free_port, log_tail, topic_partitions, worker_process
from workers.settings import Settings, Topics, load_settings

__all__ = [
    "RESULTS",
    "Comparison",
    "Outcome",
    "Pipeline",
    "assert_all",
    "compare",
    "drill_corpus",
]

# Articles of the FA-KES dev set in the drill corpus (beside the five seeds): enough for
# several merges and a dozen actors, few enough for a drill to take about a minute here.
FAKES_IN_CORPUS = 60
COUNT_FIELDS = ("events", "killed_low", "injured_low")
# A drill waits while the worker makes progress, however slowly (the machine may be loaded); it
# fails after STALL_SECONDS without any (no message written, no offset committed), or LIMIT_SECONDS.
STALL_SECONDS = 180.0
LIMIT_SECONDS = 1200.0
# Fields of an output message that say when it was written, not what it says.
VOLATILE_FIELDS = frozenset({"updated_at"})
RESULTS: list[Comparison] = []


def drill_corpus(fakes: int = FAKES_IN_CORPUS) -> list[tuple[bytes, bytes]]:
    """``(key, value)`` for the five seeds (dated as in gold.json) and the first ``fakes`` dev articles."""
    seeds = list(load_seeds().values())
    path = eval_file()
    if not seeds or path is None:
        pytest.skip("the shared seed corpus and dev set are not beside the repository")
    messages = [(a["id"].encode(), codec.dumps(a)) for a in seeds]
    with path.open("rb") as lines:
        for line in list(lines)[:fakes]:
            article = to_raw(codec.loads(line))
            messages.append((article["id"].encode(), codec.dumps(article)))
    return messages


# -- what a run produced ---------------------------------------------------------------------------


def _content(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in VOLATILE_FIELDS}


@dataclass
class Outcome:
    """A pipeline's output as a downstream consumer sees it once everything has settled."""

    counts: dict[str, dict[str, Any]]  # actors.counts key -> latest value (tombstoned keys left out)
    events: dict[str, dict[str, Any]]  # event id -> highest version
    conflicts: dict[str, int]  # "event_id v<version>" -> distinct contents published under it (>= 2)
    enriched_messages: int
    dead_letters: list[dict[str, Any]]
    # topic -> "messages/distinct keys" for every topic of the app: where a loss happened
    census: dict[str, str] = field(default_factory=dict)

    def totals(self, actor_id: str) -> dict[str, Any]:
        """The all-time counts of one actor ({} when it has none)."""
        return self.counts.get(actor_id, {})


async def true_ends(
    bootstrap: str, tps: Sequence[TopicPartition], patience: float = STALL_SECONDS
) -> dict[Any, int]:
    """The end offsets of ``tps`` as Fetch responses report them, for every non-empty partition.

    The embedded broker's ListOffsets can under-report an end (the base offset of the last
    batch + 1), and ``fetch_highwaters`` leaves out a partition that did not answer in time
    (a loaded machine): an end taken from ListOffsets alone would make a drill read part of a
    topic, or call a pipeline settled while messages are unconsumed. So: ask again until every
    partition answered, and fail after ``patience`` seconds rather than guess.
    """
    deadline = time.monotonic() + patience
    while True:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
        await consumer.start()
        try:
            listed = await consumer.end_offsets(list(tps))
        finally:
            await consumer.stop()
        fetched = await fetch_highwaters(bootstrap, listed, timeout=30.0)
        unanswered = [tp for tp in tps if listed[tp] > 0 and tp not in fetched]
        if not unanswered:
            return {tp: max(listed[tp], fetched.get(tp, 0)) for tp in tps}
        if time.monotonic() > deadline:
            raise DrillFailed(f"no high watermark from a fetch for {unanswered} within {patience:.0f} s")


async def read_all(bootstrap: str, topic: str, partitions: int) -> list[kafka_io.Record]:
    """Every message of ``topic`` up to its true end offsets (:func:`true_ends`), so a settled
    pipeline's output is read completely."""
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    ends = await true_ends(bootstrap, tps)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[kafka_io.Record] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for tp, messages in (await consumer.getmany(timeout_ms=500)).items():
                records += [
                    kafka_io.Record(topic, tp.partition, m.offset, m.key, m.value, tuple(m.headers or ()))
                    for m in messages
                    if m.offset < ends[tp]
                ]
        return records
    finally:
        await consumer.stop()


async def read_outcome(bootstrap: str, topics: Topics, partitions: int) -> Outcome:
    """Read ``events.enriched``, ``actors.counts`` and ``articles.dead-letter`` from the beginning."""
    versions: dict[tuple[str, int], set[bytes]] = {}
    events: dict[str, dict[str, Any]] = {}
    messages = 0
    for record in await read_all(bootstrap, topics.enriched, partitions):
        if record.value is None:
            # a tombstone: the id was merged into another event and is retracted
            if record.key:
                events.pop(record.key.decode(), None)
            continue
        messages += 1
        event = codec.loads(record.value)
        content = _content(event)
        versions.setdefault((event["event_id"], event["version"]), set()).add(codec.dumps(content))
        if event["version"] >= events.get(event["event_id"], {}).get("version", 0):
            events[event["event_id"]] = content
    latest = {r.key: r for r in await read_all(bootstrap, topics.actor_counts, partitions) if r.key}
    counts = {
        key.decode(): _content(codec.loads(r.value)) for key, r in latest.items() if r.value is not None
    }
    letters = [
        codec.loads(r.value)
        for r in await read_all(bootstrap, topics.dead_letter, partitions)
        if r.value is not None
    ]
    conflicts = {f"{eid} v{v}": len(c) for (eid, v), c in versions.items() if len(c) > 1}
    return Outcome(counts, events, conflicts, messages, letters)


async def read_census(bootstrap: str, topics: Sequence[str], partitions: int) -> dict[str, str]:
    """Per topic, its messages and distinct keys (``messages/keys``)."""
    census = {}
    for topic in topics:
        records = await read_all(bootstrap, topic, partitions)
        census[topic] = f"{len(records)}/{len({r.key for r in records})}"
    return census


# -- comparing a drill with the clean run ----------------------------------------------------------


@dataclass
class Comparison:
    """What differs between a drill's outcome and the clean run's; every list empty means equal."""

    drill: str
    reference: str = "the clean run"
    lost: list[str] = field(default_factory=list)  # counts keys below the clean run (or missing)
    doubled: list[str] = field(default_factory=list)  # counts keys above the clean run (or extra)
    conflicting: list[str] = field(default_factory=list)  # one event id + version, several contents
    event_diffs: list[str] = field(default_factory=list)  # latest events missing, extra or different
    other: list[str] = field(default_factory=list)  # drill-specific failures (dead letters, liveness)
    census: dict[str, str] = field(default_factory=dict)  # the drill's topics (shown when it fails)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.conflicting or self.event_diffs or self.other)

    def row(self) -> dict[str, Any]:
        return {
            "drill": self.drill,
            "lost": len(self.lost),
            "doubled": len(self.doubled),
            "conflicting": len(self.conflicting),
            "event_diffs": len(self.event_diffs),
            "other": len(self.other),
            "ok": self.ok,
        }

    def report(self) -> str:
        parts = [f"drill {self.drill!r} differs from {self.reference}:"]
        for title, items in (
            ("lost (counts below the clean run)", self.lost),
            ("double-counted (counts above the clean run)", self.doubled),
            ("conflicting versions (same event id and version, different content)", self.conflicting),
            ("events (latest version per event id) not as in the clean run", self.event_diffs),
            ("other", self.other),
        ):
            if items:
                parts.append(f"  {title}: {len(items)}")
                parts.extend(f"    {item}" for item in items[:25])
                if len(items) > 25:
                    parts.append(f"    ... and {len(items) - 25} more")
        if self.census:
            parts.append("  topics (messages/keys): " + ", ".join(f"{t}={n}" for t, n in self.census.items()))
        return "\n".join(parts)


def _describe(values: dict[str, Any] | None) -> str:
    if values is None:
        return "absent"
    return " ".join(f"{f}={values.get(f)}" for f in COUNT_FIELDS)


def _zero(values: dict[str, Any] | None) -> bool:
    return values is not None and all(values.get(f) == 0 for f in COUNT_FIELDS)


def _compare_counts(
    clean: dict[str, dict[str, Any]], drill: dict[str, dict[str, Any]], out: Comparison
) -> None:
    for key in sorted(set(clean) | set(drill)):
        want, got = clean.get(key), drill.get(key)
        if want == got or ((_zero(want) or want is None) and (_zero(got) or got is None)):
            continue  # a window of zeros counts nothing, like an absent (or tombstoned) one
        line = f"{key}: clean {_describe(want)} / drill {_describe(got)}"
        below = got is None or (want is not None and any(got[f] < want[f] for f in COUNT_FIELDS))
        above = want is None or (got is not None and any(got[f] > want[f] for f in COUNT_FIELDS))
        if below:
            out.lost.append(line)
        if above:
            out.doubled.append(line)
        if not below and not above:
            out.event_diffs.append(f"{line} (other fields differ)")


def _event_summary(event: dict[str, Any]) -> str:
    killed = (event.get("killed") or {}).get("low")
    sources = ",".join(s["article_id"] for s in event.get("sources", []))
    return f"v{event['version']} {event['perpetrator']} killed_low={killed} sources=[{sources}]"


def _final(event: dict[str, Any] | None) -> dict[str, Any] | None:
    """An event's final content without its version number: versions count an id's publications
    in one stream (see the events.enriched schema), so the same final content can be v1 in one
    run and v2 in another whose reports arrived in another order."""
    return None if event is None else {k: v for k, v in event.items() if k != "version"}


def _compare_events(
    clean: dict[str, dict[str, Any]], drill: dict[str, dict[str, Any]], out: Comparison
) -> None:
    for event_id in sorted(set(clean) | set(drill)):
        want, got = clean.get(event_id), drill.get(event_id)
        if _final(want) == _final(got):
            continue
        if got is None:
            out.event_diffs.append(f"{event_id} missing (clean: {_event_summary(want or {})})")
        elif want is None:
            out.event_diffs.append(f"{event_id} extra ({_event_summary(got)})")
        else:
            fields = sorted(k for k in set(want) | set(got) if k != "version" and want.get(k) != got.get(k))
            out.event_diffs.append(
                f"{event_id} differs in {fields}: clean {_event_summary(want)} / drill {_event_summary(got)}"
            )


def compare(
    drill: str,
    clean: Outcome,
    outcome: Outcome,
    *,
    ignore_actors: Iterable[str] = (),
    ignore_articles: Iterable[str] = (),
    reference: str = "the clean run",
) -> Comparison:
    """Compare counts and latest events with the clean run; list conflicting versions of the drill.

    ``ignore_actors``: actor ids (and their daily windows) left out of the count comparison, and
    ``ignore_articles``: article ids whose own events are left out of the event comparison and
    whose dead letters are expected — for input that only the drill sends (its effect is checked
    by the drill itself). Any other dead letter the clean run did not have is a failure.
    """
    actors, articles = set(ignore_actors), set(ignore_articles)

    def kept(counts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in counts.items() if k.split("|", 1)[0] not in actors}

    def ours(events: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {
            k: e for k, e in events.items() if not {s["article_id"] for s in e.get("sources", [])} <= articles
        }

    result = Comparison(drill, reference, census=outcome.census)
    _compare_counts(kept(clean.counts), kept(outcome.counts), result)
    _compare_events(
        ours(clean.events) if articles else clean.events,
        ours(outcome.events) if articles else outcome.events,
        result,
    )
    result.conflicting = [
        f"{version}: {n} different contents" for version, n in sorted(outcome.conflicts.items())
    ]
    expected = {d.get("key") for d in clean.dead_letters} | articles
    result.other += [
        f"{d.get('key')}: dead-lettered at {d.get('stage')} ({d.get('error')}), not in {reference}"
        for d in outcome.dead_letters
        if d.get("key") not in expected
    ]
    return result


@contextlib.contextmanager
def recorded(drill: str) -> Iterator[None]:
    """A drill that cannot settle still gets its row in the table (and fails)."""
    try:
        yield
    except DrillFailed as exc:
        RESULTS.append(Comparison(drill, other=[str(exc).splitlines()[0]]))
        raise


def assert_all(*comparisons: Comparison) -> None:
    """Record every comparison for the drill table, then fail with all their reports if any differs."""
    RESULTS.extend(comparisons)
    failed = [c.report() for c in comparisons if not c.ok]
    assert not failed, "\n\n".join(failed)


# -- a pipeline with its workers -------------------------------------------------------------------


@dataclass
class Worker:
    process: Any  # subprocess.Popen[bytes]
    log: Path
    web_port: int = 0
    killed: bool = False


class DrillFailed(AssertionError):
    """A drill could not reach a settled state; the message carries the worker logs' tails."""


class Pipeline:
    """One app on ``bootstrap``: its topics, its workers, its input, its settled output."""

    def __init__(self, bootstrap: str, scratch: Path, env: dict[str, str] | None = None) -> None:
        run_id = uuid.uuid4().hex[:8]
        self.bootstrap = bootstrap
        self.scratch = scratch
        self.env = env
        loaded = load_settings(env or {})
        self.settings: Settings = replace(
            loaded,
            bootstrap_servers=bootstrap,
            app_id=f"cw-drill-{run_id}",
            topics=Topics(prefix=f"drill-{run_id}."),
            # DRILL_LOG_LEVEL=INFO: the workers' logs say more (kept with DRILL_KEEP)
            log_level=os.environ.get("DRILL_LOG_LEVEL", loaded.log_level),
        )
        self.workers: list[Worker] = []
        self._stack = contextlib.ExitStack()
        self.create_topics()

    def create_topics(self) -> None:
        partitions, compacted = topic_partitions(self.settings)
        create_topics(self.bootstrap, partitions, compacted=compacted)

    @property
    def consumed_topics(self) -> list[str]:
        names = self.settings.topics
        return [
            names.raw,
            names.normalized,
            names.entities,
            self.settings.candidates_topic,
            names.enriched,
            self.settings.contributions_topic,
        ]

    @property
    def output_topics(self) -> list[str]:
        names = self.settings.topics
        return [names.actor_counts, names.dead_letter]

    def start_worker(self) -> Worker:
        index = len(self.workers) + 1
        settings = replace(self.settings, web_port=free_port(), data_dir=self.scratch / f"worker-{index}")
        log = self.scratch / f"worker-{index}.log"
        process = self._stack.enter_context(worker_process(settings, self.bootstrap, log))
        worker = Worker(process, log, settings.web_port)
        self.workers.append(worker)
        return worker

    def kill(self, worker: Worker) -> None:
        """kill -9: no shutdown, no commit, no flush."""
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait()
        worker.killed = True

    def publish(self, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        asyncio.run(publish_large(self.bootstrap, self.settings.topics.raw, messages))

    def publish_slowly(
        self, messages: Sequence[tuple[bytes | None, bytes]], seconds: float
    ) -> threading.Thread:
        """Publish evenly over ``seconds`` from a thread (a stream still flowing); join the thread after."""

        async def trickle() -> None:
            pause = seconds / max(1, len(messages))
            for message in messages:
                await publish_large(self.bootstrap, self.settings.topics.raw, [message])
                await asyncio.sleep(pause)

        thread = threading.Thread(target=asyncio.run, args=(trickle(),), daemon=True)
        thread.start()
        return thread

    def wait_for_members(self, count: int, timeout: float = 300.0) -> None:
        """Block until the worker's consumer group has ``count`` members (a new worker has joined)."""
        deadline = time.monotonic() + timeout
        while asyncio.run(self._members()) < count:
            self.check_alive()
            if time.monotonic() > deadline:
                raise DrillFailed(f"the consumer group did not reach {count} members\n{self.logs()}")
            time.sleep(0.5)

    async def _members(self) -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10_000)
        await admin.start()
        try:
            [group] = await admin.describe_consumer_groups([self.settings.app_id])
        finally:
            await admin.close()
        return len(group.groups[0][5]) if group.groups else 0

    def logs(self) -> str:
        return "\n".join(
            f"--- worker {i + 1} log (tail) ---\n{log_tail(w.log, 40)}" for i, w in enumerate(self.workers)
        )

    def check_alive(self) -> None:
        for i, worker in enumerate(self.workers):
            if not worker.killed and worker.process.poll() is not None:
                raise DrillFailed(
                    f"worker {i + 1} exited with code {worker.process.returncode}\n{self.logs()}"
                )

    def wait_for_events(self, count: int, stall: float = STALL_SECONDS, limit: float = LIMIT_SECONDS) -> None:
        """Block until ``events.enriched`` holds at least ``count`` messages.

        Fails when no new event came for ``stall`` seconds (or after ``limit`` in all): a loaded
        machine makes the worker slow, which is no failure; a worker that stopped making progress is.
        """
        try:
            asyncio.run(self._wait_for_events(count, stall, limit))
        except TimeoutError as exc:
            raise DrillFailed(f"fewer than {count} events: {exc}\n{self.logs()}") from exc

    async def _wait_for_events(self, count: int, stall: float, limit: float) -> None:
        topic = self.settings.topics.enriched
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign([TopicPartition(topic, p) for p in range(self.settings.partitions)])
            await consumer.seek_to_beginning()
            seen, started = 0, time.monotonic()
            progressed = started
            while seen < count:
                now = time.monotonic()
                if now - progressed > stall or now - started > limit:
                    raise TimeoutError(
                        f"{seen} after {now - started:.0f} s, the last {now - progressed:.0f} s none"
                    )
                self.check_alive()
                batches = await consumer.getmany(timeout_ms=100)
                arrived = sum(len(messages) for messages in batches.values())
                if arrived:
                    seen, progressed = seen + arrived, time.monotonic()
        finally:
            await consumer.stop()

    def settle(self, stall: float = STALL_SECONDS, limit: float = LIMIT_SECONDS, quiet: float = 4.0) -> None:
        """Block until every consumed message is committed and no topic has grown for ``quiet`` s.

        Fails when neither a topic grew nor a commit moved for ``stall`` seconds (or after
        ``limit`` in all): slow progress on a loaded machine is waited for, a stall is not.
        """
        try:
            asyncio.run(self._settle(stall, limit, quiet))
        except TimeoutError as exc:
            tails = self.logs()  # before the post-mortem's stack dump lands in the logs
            raise DrillFailed(f"not settled: {exc}\n{self.post_mortem()}\n{tails}") from exc

    def post_mortem(self) -> str:
        """Each live worker's consumer offsets per partition (its /debug/offsets page), and a dump of
        its tasks' stacks into its log (SIGUSR1, Faust's own handler): where a stalled worker stands."""
        lines = []
        for i, worker in enumerate(self.workers):
            if worker.killed or worker.process.poll() is not None:
                continue
            url = f"http://127.0.0.1:{worker.web_port}/debug/offsets"
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    lines.append(f"--- worker {i + 1} offsets ---\n{response.read().decode()}")
            except OSError as exc:
                lines.append(f"--- worker {i + 1} offsets: {exc!r}")
            worker.process.send_signal(signal.SIGUSR1)
        time.sleep(3)
        return "\n".join(lines)

    async def _settle(self, stall: float, limit: float, quiet: float) -> None:
        started = time.monotonic()
        previous: tuple[dict[TopicPartition, int], dict[str, int]] | None = None
        progressed = started
        while True:
            self.check_alive()
            marks, lag = await self._marks_and_lag()
            now = time.monotonic()
            if (marks, lag) != previous:
                previous, progressed = (marks, lag), now
            elif not lag and now - progressed >= quiet:
                return
            if now - progressed > stall or now - started > limit:
                raise TimeoutError(
                    f"uncommitted messages {lag} after {now - started:.0f} s,"
                    f" no progress for {now - progressed:.0f} s"
                )
            await asyncio.sleep(0.5)

    async def _marks_and_lag(self) -> tuple[dict[TopicPartition, int], dict[str, int]]:
        """True high watermarks of every topic, and per consumed topic the messages not yet committed."""
        tps = [
            TopicPartition(topic, p)
            for topic in [*self.consumed_topics, *self.output_topics]
            for p in range(self.settings.partitions)
        ]
        marks = await true_ends(self.bootstrap, tps)
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10_000)
        await admin.start()
        try:
            consumed = [tp for tp in tps if tp.topic in self.consumed_topics]
            committed = await admin.list_consumer_group_offsets(self.settings.app_id, partitions=consumed)
        finally:
            await admin.close()
        lag: dict[str, int] = {}  # "topic[partition]" -> messages behind (committed offset / end)
        for tp in tps:
            if tp.topic in self.consumed_topics:
                done = committed.get(tp)
                position = done.offset if done is not None and done.offset >= 0 else 0
                if marks[tp] > position:
                    name = tp.topic.removeprefix(self.settings.topics.prefix)
                    lag[f"{name}[{tp.partition}] {position}/{marks[tp]}"] = marks[tp] - position
        return marks, lag

    def outcome(self) -> Outcome:
        outcome = asyncio.run(read_outcome(self.bootstrap, self.settings.topics, self.settings.partitions))
        app, prefix = self.settings.app_id, self.settings.topics.prefix
        changelogs = [
            f"{app}-{table}-changelog" for table in ("article-ledger", "identity-blocks", "actor-counts")
        ]
        topics = [*self.consumed_topics, *self.output_topics, *changelogs]
        census = asyncio.run(read_census(self.bootstrap, topics, self.settings.partitions))
        outcome.census = {t.removeprefix(prefix).removeprefix(app): n for t, n in census.items()}
        return outcome

    def close(self) -> None:
        self._stack.close()


@contextlib.contextmanager
def pipeline(bootstrap: str, scratch: Path, env: dict[str, str] | None = None) -> Iterator[Pipeline]:
    """A :class:`Pipeline` whose workers are stopped on the way out."""
    run = Pipeline(bootstrap, scratch, env)
    try:
        yield run
    finally:
        run.close()


async def publish_large(bootstrap: str, topic: str, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
    """``kafka_io.publish`` with room for the drills' 20 MB message (a producer's default is 1 MB)."""
    await kafka_io.publish(bootstrap, topic, messages, client={"max_request_size": 64 * 1024 * 1024})
