"""The worker end to end through a broker, for ``benchmarks/throughput.py``.

In: a bootstrap address (the embedded broker that ``throughput.py`` starts), Settings, the
articles as (key, value) messages for articles.raw, how many workers, and either no rate
(publish everything at once: throughput) or a rate in articles/s (latency). Out:
:class:`StreamRun`: seconds from the first publish to the last events.enriched message of
those articles, CPU seconds and peak RSS of the worker processes, and per article the
seconds from its publish to its first events.enriched message.

Each run gets a topic prefix, app id and data dir of its own, and fresh worker processes
(started as ``conflictwire run`` starts them: :func:`workers.runner.worker_process`), so no
run sees another's articles, ledger or identity blocks. The workers are warmed up (model
loaded, partitions assigned, a few articles through) before anything is timed. CPU and memory
come from /proc (Linux) and cover each worker's whole process tree (its NLP pool's forkserver
and processes): CPU is utime + stime (+ that of reaped children); memory is the worker's own
VmHWM, and, sampled every second, the sum of PSS over the tree (shared pages such as the
model's, loaded once and shared by the pool's forks, split between their users: the tree's
real footprint) and the sum of RSS (shared pages counted once per process: an overstatement).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from workers import codec
from workers.broker import create_topics
from workers.runner import free_port, log_tail, topic_partitions, worker_process
from workers.settings import KafkaSecurity, Settings, Topics

Message = tuple[bytes, bytes]
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class StreamRun:
    workers: int
    articles: int
    seconds: float  # first publish -> last events.enriched message of our articles
    cpu_seconds: float  # all worker processes and their descendants, over the timed window
    peak_rss_mib: float  # the largest worker's VmHWM (its own process only)
    latencies: list[float] = field(default_factory=list)  # publish -> first events.enriched, per article
    # one worker with everything it started (NLP pool, forkserver), sampled during the run:
    peak_pss_mib: float = 0.0  # sum of PSS (shared pages split between their users): its real footprint
    peak_rss_sum_mib: float = 0.0  # sum of RSS (counts shared pages once per process: an overstatement)
    # everything else on the machine's side of the run over the same window: the embedded broker,
    # this harness's producer and watcher (what the workers' cores must leave free)
    rest_cpu_seconds: float = 0.0


def _stat_fields(pid: int) -> list[str]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (the NLP pool's forkserver and its children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process tree: each live process's own, plus cutime + cstime (what its
    reaped children used), from /proc/PID/stat."""
    total = 0
    for member in descendants(pid):
        try:
            fields = _stat_fields(member)
        except OSError:
            continue
        total += sum(int(fields[i]) for i in (11, 12, 13, 14))
    return total / _TICKS


def _status_kib(pid: int, key: str, name: str = "status") -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mib(pid: int) -> float:
    return _status_kib(pid, "VmHWM:") / 1024


def tree_memory_mib(pid: int) -> tuple[float, float]:
    """(sum of PSS, sum of RSS) over ``pid`` and its descendants, now."""
    tree = descendants(pid)
    pss = sum(_status_kib(p, "Pss:", "smaps_rollup") for p in tree)
    rss = sum(_status_kib(p, "VmRSS:") for p in tree)
    return pss / 1024, rss / 1024


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class _Watcher:
    """Reads articles.entities and events.enriched of one run; notes when each article shows up."""

    def __init__(self, settings: Settings, bootstrap: str, pids: Sequence[int] = ()) -> None:
        self.topics = settings.topics
        self.pids = list(pids)
        self.peak_pss = self.peak_rss_sum = 0.0
        self._sampled = 0.0
        self.consumer = AIOKafkaConsumer(
            self.topics.entities,
            self.topics.enriched,
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=1000,
            fetch_max_wait_ms=50,
        )
        self.entities: set[str] = set()
        self.enriched_at: dict[str, float] = {}  # article id -> first events.enriched message
        self.last_enriched = 0.0

    def sample_memory(self) -> None:
        """Every second: the largest worker's process tree (PSS and RSS sums)."""
        if time.monotonic() - self._sampled < 1.0:
            return
        self._sampled = time.monotonic()
        for pid in self.pids:
            pss, rss = tree_memory_mib(pid)
            self.peak_pss, self.peak_rss_sum = max(self.peak_pss, pss), max(self.peak_rss_sum, rss)

    async def poll(self) -> None:
        self.sample_memory()
        for tp, messages in (await self.consumer.getmany(timeout_ms=100)).items():
            now = time.monotonic()
            for m in messages:
                if tp.topic == self.topics.entities and m.key is not None:
                    self.entities.add(m.key.decode())
                elif tp.topic == self.topics.enriched and m.value is not None:
                    for source in codec.loads(m.value).get("sources", []):
                        self.enriched_at.setdefault(source["article_id"], now)
                    self.last_enriched = now

    async def until(self, ids: set[str], with_events: set[str], timeout: float, quiet: float = 8.0) -> None:
        """Until every article has its entities message and every one of ``with_events`` its
        first event (or, for one that gets none here, ``quiet`` seconds without an event)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self.poll()
            if ids <= self.entities:
                if with_events <= set(self.enriched_at):
                    return
                if time.monotonic() - max(self.last_enriched, 0.0) > quiet:
                    return
        missing = len(ids - self.entities)
        raise TimeoutError(f"{missing} of {len(ids)} articles not through after {timeout:.0f} s")


async def _publish(
    bootstrap: str, topic: str, messages: Sequence[Message], rate: float | None
) -> dict[str, float]:
    """Send the messages (all at once, or ``rate`` a second); returns article id -> send time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0 if rate else 5)
    await producer.start()
    sent: dict[str, float] = {}
    try:
        start = time.monotonic()
        futures = []
        for i, (key, value) in enumerate(messages):
            if rate:
                await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            sent[key.decode()] = time.monotonic()
            futures.append(await producer.send(topic, value=value, key=key))
        await producer.flush()
        for future in futures:
            await future
    finally:
        await producer.stop()
    return sent


async def _measure(
    settings: Settings,
    bootstrap: str,
    pids: list[int],
    warm: Sequence[Message],
    messages: Sequence[Message],
    with_events: set[str],
    rate: float | None,
    timeout: float,
) -> StreamRun:
    watcher = _Watcher(settings, bootstrap, pids)
    await watcher.consumer.start()
    try:
        warm_ids = {k.decode() for k, _ in warm}
        await _publish(bootstrap, settings.topics.raw, warm, None)
        await watcher.until(warm_ids, set(), timeout, quiet=3.0)
        cpu_before, tree_before = sum(cpu_seconds(p) for p in pids), cpu_seconds(os.getpid())
        sent = await _publish_and_watch(watcher, bootstrap, settings.topics.raw, messages, rate)
        ids = set(sent)
        await watcher.until(ids, with_events & ids, timeout)
        cpu = sum(cpu_seconds(p) for p in pids) - cpu_before
        rest = cpu_seconds(os.getpid()) - tree_before - cpu  # the harness's tree holds the workers
    finally:
        await watcher.consumer.stop()
    first = min(sent.values())
    ends = [t for a, t in watcher.enriched_at.items() if a in ids]
    seconds = (max(ends) if ends else time.monotonic()) - first
    latencies = sorted(watcher.enriched_at[a] - sent[a] for a in ids if a in watcher.enriched_at)
    rss = max(peak_rss_mib(p) for p in pids)
    watcher._sampled = 0.0
    watcher.sample_memory()
    return StreamRun(
        len(pids), len(ids), seconds, cpu, rss, latencies, watcher.peak_pss, watcher.peak_rss_sum, rest
    )


async def _publish_and_watch(
    watcher: _Watcher, bootstrap: str, topic: str, messages: Sequence[Message], rate: float | None
) -> dict[str, float]:
    """Publish while the watcher keeps reading (a paced publish lasts a minute)."""
    task = asyncio.create_task(_publish(bootstrap, topic, messages, rate))
    while not task.done():
        await watcher.poll()
    return task.result()


def run_stream(
    base: Settings,
    bootstrap: str,
    scratch: Path,
    tag: str,
    workers: int,
    warm: Sequence[Message],
    messages: Sequence[Message],
    with_events: set[str],
    rate: float | None = None,
    timeout: float = 900.0,
) -> StreamRun:
    """One measurement on fresh topics with ``workers`` fresh worker processes in one group."""
    settings = replace(
        base,
        app_id=f"bench-{tag}",
        topics=Topics(prefix=f"bench-{tag}."),
        data_dir=scratch / tag,
        security=KafkaSecurity(),
        bootstrap_servers=bootstrap,
    )
    partitions, compacted = topic_partitions(settings)
    create_topics(bootstrap, partitions, compacted=compacted)
    with contextlib.ExitStack() as stack:
        procs, ports = [], []
        for i in range(workers):
            port = free_port()
            own = replace(settings, web_port=port, data_dir=scratch / tag / f"w{i}")
            log = scratch / f"{tag}-w{i}.log"
            procs.append((stack.enter_context(worker_process(own, bootstrap, log)), log))
            ports.append(port)
        deadline = time.monotonic() + timeout
        while not all(_ready(p) for p in ports):
            for proc, log in procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"worker exited with {proc.returncode}:\n{log_tail(log)}")
            if time.monotonic() > deadline:
                raise TimeoutError("workers not ready")
            time.sleep(0.5)
        pids = [p.pid for p, _ in procs]
        return asyncio.run(_measure(settings, bootstrap, pids, warm, messages, with_events, rate, timeout))
