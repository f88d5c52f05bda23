"""The main job behind ``conflictwire run``: broker, worker, ingest, watch, report, shut down.

In: paths of articles (or the bundled samples), Settings, an output stream. Out:
each enriched event printed as it arrives, then the per-actor counts; a return
code. With no ``KAFKA_BOOTSTRAP_SERVERS`` it starts the embedded broker on a free
loopback port (plaintext: the security settings apply to a cluster of your own);
the worker always runs as a child process (``conflictwire worker``), exactly as it
would in production, and is stopped on the way out, Ctrl-C included.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from workers import codec, ingest, kafka_io
from workers.broker import EmbeddedBroker, create_topics
from workers.settings import KafkaSecurity, Settings


class JobFailed(RuntimeError):
    """The main job could not finish; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def broker_for(settings: Settings) -> Iterator[str]:
    if settings.bootstrap_servers:
        yield settings.bootstrap_servers
        return
    with EmbeddedBroker(binary=settings.embedded_broker_bin) as broker:
        yield broker.bootstrap_servers


def topic_partitions(settings: Settings) -> tuple[dict[str, int], set[str]]:
    names = settings.topics
    internal = (settings.contributions_topic, settings.candidates_topic)
    partitions = dict.fromkeys([*names.all().values(), *internal], settings.partitions)
    return partitions, {names.actor_counts}


@contextlib.contextmanager
def worker_process(
    settings: Settings, bootstrap: str, log_path: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``conflictwire worker`` as a child process, stopped (SIGTERM, then SIGKILL) on the way out."""
    child_env = dict(os.environ if env is None else env)
    child = replace(settings, bootstrap_servers=bootstrap, web_port=settings.web_port or free_port())
    child_env.update(child.to_env())
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "worker"],
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us; we stop the worker in order
        )
        try:
            yield process
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Progress:
    """What the job has seen of its own articles so far."""

    expected: int
    started: datetime
    article_ids: set[str]
    processed: list[str] = field(default_factory=list)  # one entry per entities message: redeliveries count
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_activity: float = field(default_factory=time.monotonic)

    @property
    def accounted(self) -> bool:
        return len(self.processed) + len(self.dead_letters) >= self.expected


def format_quantity(quantity: dict[str, Any] | None) -> str:
    if not quantity:
        return "-"
    low, high = quantity.get("low"), quantity.get("high")
    if low is not None and high is not None:
        return str(low) if low == high else f"{low}-{high}"
    if low is not None:
        return f">={low}"
    return f"<={high}" if high is not None else "?"


def format_event(event: dict[str, Any]) -> str:
    location = event.get("location") or {}
    place = ", ".join(
        str(p) for p in (location.get("name"), location.get("admin1"), location.get("country")) if p
    )
    perpetrators = "+".join([event.get("perpetrator") or "unknown", *event.get("co_perpetrators", [])])
    targets = ",".join(event.get("targets") or []) or "-"
    date = (event.get("date") or {}).get("value") or "?"
    return (
        f"{event['event_id']} v{event['version']}  {event['type']:<16} {perpetrators} -> {targets}"
        f"  @ {place or '?'}  on {date}  killed {format_quantity(event.get('killed'))}"
        f"  injured {format_quantity(event.get('injured'))}  [{event['article_id']}]"
    )


def format_counts(counts: dict[str, dict[str, Any]]) -> str:
    rows = sorted(counts.items(), key=lambda item: (-item[1]["events"], item[0]))
    lines = [f"{'actor':<20}{'events':>8}{'killed_low':>12}{'injured_low':>13}"]
    lines += [f"{a:<20}{c['events']:>8}{c['killed_low']:>12}{c['injured_low']:>13}" for a, c in rows]
    return "\n".join(lines)


async def watch(
    settings: Settings,
    bootstrap: str,
    progress: Progress,
    out: IO[str],
    as_json: bool,
    timeout: float,
    worker: subprocess.Popen[bytes] | None,
    quiet_seconds: float = 3.0,
) -> None:
    """Print our events as they arrive; return once every article is accounted for, all is quiet
    and the worker has consumed every message of its source topics (see :func:`pipeline_drained`)."""
    names = settings.topics
    consumer = AIOKafkaConsumer(
        names.entities,
        names.enriched,
        names.dead_letter,
        names.actor_counts,
        bootstrap_servers=bootstrap,
        **settings.kafka_client_options(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        metadata_max_age_ms=2000,
    )
    await consumer.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            for tp, messages in (await consumer.getmany(timeout_ms=300)).items():
                for message in messages:
                    handle(tp.topic, message.key, message.value, names, progress, out, as_json)
            if worker is not None and worker.poll() is not None:
                raise JobFailed(f"the worker exited with code {worker.returncode}")
            if progress.accounted and time.monotonic() - progress.last_activity >= quiet_seconds:
                if await pipeline_drained(settings, bootstrap):
                    return
                progress.last_activity = time.monotonic()  # a stage is still busy: look again later
            if time.monotonic() > deadline:
                raise JobFailed(
                    f"timed out after {timeout:.0f}s: {len(progress.processed)} of {progress.expected} "
                    f"articles processed, {len(progress.dead_letters)} dead-lettered"
                )
    finally:
        await consumer.stop()


async def pipeline_drained(settings: Settings, bootstrap: str) -> bool:
    """Whether the worker's consumer group has committed the end of every topic it reads.

    An article's entities message arrives long before its events when a stage is slow
    (a loaded machine, a model loading): quiet on the watched topics is not the end.
    End offsets are taken as the larger of ListOffsets and a fetch's high watermark, since
    the embedded broker can under-report the former (see :mod:`workers.faust_compat`).
    """
    from aiokafka.admin import AIOKafkaAdminClient

    from workers.faust_compat import fetch_highwaters

    names, client = settings.topics, settings.kafka_client_options()
    sources = [names.raw, names.normalized, names.entities, names.enriched]
    sources += [settings.candidates_topic, settings.contributions_topic]
    partitions = [TopicPartition(t, p) for t in sources for p in range(settings.partitions)]
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **client)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client)
    await probe.start()
    await admin.start()
    try:
        probe.assign(partitions)
        listed = await probe.end_offsets(partitions)
        fetched = await fetch_highwaters(bootstrap, listed, timeout=5.0, client_options=client)
        committed = await admin.list_consumer_group_offsets(settings.app_id, partitions=partitions)
    finally:
        await probe.stop()
        await admin.close()
    for tp in partitions:
        end = max(listed.get(tp) or 0, fetched.get(tp) or 0)
        done = committed.get(tp)
        if end > 0 and (done is None or done.offset < end):
            return False
    return True


def handle(
    topic: str,
    key: bytes | None,
    value: bytes | None,
    names: Any,
    progress: Progress,
    out: IO[str],
    as_json: bool,
) -> None:
    if value is None:
        if topic == names.enriched and key:
            # a tombstone: the event was merged into another and its id retracted
            progress.events.pop(key.decode(errors="replace"), None)
        return
    if topic == names.actor_counts:
        progress.last_activity = time.monotonic()  # counts still moving: not quiet yet
    elif topic == names.entities:
        article_id = (key or b"").decode(errors="replace")
        if article_id in progress.article_ids:
            progress.processed.append(article_id)
            progress.last_activity = time.monotonic()
    elif topic == names.dead_letter:
        record = codec.loads(value)
        if record.get("failed_at", "") >= progress.started.isoformat():
            progress.dead_letters.append(record)
            progress.last_activity = time.monotonic()
            if not as_json:
                print(f"dead letter ({record['stage']}): {record['reason']}", file=out, flush=True)
    elif topic == names.enriched:
        event = codec.loads(value)
        if {s["article_id"] for s in event.get("sources", [])} & progress.article_ids:
            progress.events[event["event_id"]] = event
            progress.last_activity = time.monotonic()
            line = codec.dumps(event).decode() if as_json else format_event(event)
            print(line, file=out, flush=True)


async def final_counts(settings: Settings, bootstrap: str) -> dict[str, dict[str, Any]]:
    latest = await kafka_io.latest_by_key(
        bootstrap, settings.topics.actor_counts, client=settings.kafka_client_options()
    )
    counts: dict[str, dict[str, Any]] = {}
    for record in latest.values():
        if record.value is not None:
            payload = codec.loads(record.value)
            if payload.get("day") is None:  # all-time totals; daily windows have keys of their own
                counts[payload["actor_id"]] = {k: payload[k] for k in ("events", "killed_low", "injured_low")}
    return counts


def run_job(
    settings: Settings,
    paths: list[Path],
    out: IO[str],
    as_json: bool = False,
    timeout: float = 600.0,
    published_at: str | None = None,
) -> int:
    oversized: list[ingest.Oversized] = []
    messages = list(
        ingest.messages(
            paths or [ingest.SAMPLES],
            published_at=published_at,
            max_bytes=settings.max_message_bytes,
            oversized=oversized,
        )
    )
    article_ids = {key.decode() for key, _ in messages if key}

    def say(text: str) -> None:
        if not as_json:  # progress goes to stderr; with --json stdout stays machine-readable
            print(text, file=sys.stderr, flush=True)

    for skipped in oversized:  # on stderr even with --json: input left out must not go unnoticed
        print(
            f"not sent: {skipped.where} is {skipped.size} bytes, over CONFLICTWIRE_MAX_MESSAGE_BYTES",
            file=sys.stderr,
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="conflictwire-") as scratch, broker_for(settings) as bootstrap:
        say(f"broker: {bootstrap}{'' if settings.bootstrap_servers else ' (embedded)'}")
        partitions, compacted = topic_partitions(settings)
        if not settings.bootstrap_servers:  # the embedded broker speaks plaintext only
            settings = replace(settings, security=KafkaSecurity())
        client = settings.kafka_client_options()
        create_topics(bootstrap, partitions, compacted=compacted, client=client)
        log_path = Path(scratch) / "worker.log"
        # a port of its own, so a second job or a worker already running elsewhere cannot collide
        settings = replace(settings, web_port=free_port())
        if not settings.bootstrap_servers:  # the embedded broker forgets everything: so may the worker
            settings = replace(settings, data_dir=Path(scratch) / "state")
        with worker_process(settings, bootstrap, log_path) as worker:
            base = f"http://{settings.web_host}:{settings.web_port}"
            say(f"worker: pid {worker.pid}, dashboard {base}/, counts {base}/actors, log {log_path}")
            progress = Progress(expected=len(messages), started=datetime.now(UTC), article_ids=article_ids)
            sent = asyncio.run(kafka_io.publish(bootstrap, settings.topics.raw, messages, client=client))
            say(f"ingested {sent} article(s); waiting for events ...")
            try:
                asyncio.run(watch(settings, bootstrap, progress, out, as_json, timeout, worker))
            except JobFailed as exc:
                raise JobFailed(f"{exc}\n--- worker log (tail) ---\n{log_tail(log_path)}") from exc
            counts = asyncio.run(final_counts(settings, bootstrap))
        if as_json:
            print(codec.dumps({"counts": counts}).decode(), file=out, flush=True)
        else:
            print(
                f"\n{len(progress.events)} event(s) from {len(set(progress.processed))} article(s), "
                f"{len(progress.dead_letters)} dead letter(s)\n",
                file=out,
            )
            print(format_counts(counts), file=out, flush=True)
    return 0
