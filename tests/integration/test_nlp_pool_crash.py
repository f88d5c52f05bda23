"""A pool process killed mid-stream costs no article and doubles none (real broker, real worker).

One ``conflictwire worker`` with two NLP processes; half of the distinct FA-KES dev texts in; once
the first entities arrive, one pool process is killed with SIGKILL (as the OOM killer would) and
the other half goes in, so batches reach the broken pool whether or not the first half was still in
flight (a fast machine can finish it before the kill). Every article must then leave the entities
stage exactly once, and nothing be dead-lettered.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from workers import codec, kafka_io
from workers.batch import to_raw
from workers.broker import create_topics
from workers.evaluation.devsets import find_eval_dir
from workers.runner import free_port, log_tail, topic_partitions, worker_process
from workers.settings import Topics, load_settings

pytestmark = [pytest.mark.broker, pytest.mark.model]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def pool_processes(worker_pid: int) -> list[int]:
    """The NLP pool's processes: the children of the worker's forkserver."""
    for child in children_of(worker_pid):
        try:
            command = (Path("/proc") / str(child) / "cmdline").read_bytes()
        except OSError:
            continue
        if b"forkserver" in command:
            return children_of(child)
    return []


async def entity_keys(bootstrap: str, topic: str) -> list[str]:
    return [r.key.decode() async for r in kafka_io.read_topic(bootstrap, topic, idle_seconds=0.5) if r.key]


def test_a_killed_pool_process_loses_and_doubles_nothing(kafka_bootstrap: str) -> None:
    eval_dir = find_eval_dir(Path(__file__))
    if eval_dir is None:
        pytest.skip("no shared/eval beside the repository")
    lines = {}
    for raw in (eval_dir / "fakes_dev.jsonl").read_bytes().splitlines():
        line = codec.loads(raw)
        lines.setdefault(line["text"], line)
    # every distinct dev text (~170)
    articles = [to_raw(line) for line in lines.values()]
    run = uuid.uuid4().hex[:8]
    settings = replace(
        load_settings({}),
        bootstrap_servers=kafka_bootstrap,
        app_id=f"cw-pool-{run}",
        topics=Topics(prefix=f"pool-{run}."),
        web_port=free_port(),
        nlp_processes=2,
        nlp_batch_size=8,
    )
    partitions, compacted = topic_partitions(settings)
    create_topics(kafka_bootstrap, partitions, compacted=compacted)
    messages = [(a["id"].encode(), codec.dumps(a)) for a in articles]
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "worker.log"
        with worker_process(replace(settings, data_dir=Path(scratch)), kafka_bootstrap, log) as worker:
            deadline = time.monotonic() + 240
            while len(pool_processes(worker.pid)) < 2:
                assert worker.poll() is None, log_tail(log)
                assert time.monotonic() < deadline, f"no NLP pool\n{log_tail(log)}"
                time.sleep(0.5)
            half = len(messages) // 2
            asyncio.run(kafka_io.publish(kafka_bootstrap, settings.topics.raw, messages[:half]))
            while not asyncio.run(entity_keys(kafka_bootstrap, settings.topics.entities)):
                assert time.monotonic() < deadline, f"no entities\n{log_tail(log)}"
            victim = pool_processes(worker.pid)[0]
            os.kill(victim, signal.SIGKILL)
            asyncio.run(kafka_io.publish(kafka_bootstrap, settings.topics.raw, messages[half:]))
            keys: list[str] = []
            while len(set(keys)) < len(articles) and time.monotonic() < deadline:
                time.sleep(1)
                keys = asyncio.run(entity_keys(kafka_bootstrap, settings.topics.entities))
            dead = asyncio.run(_all(kafka_bootstrap, settings.topics.dead_letter))
            worker_log = log_tail(log, 80)
    assert "NLP pool process died" in worker_log, worker_log
    assert sorted(Counter(keys).items()) == sorted(Counter(a["id"] for a in articles).items())
    assert dead == []


async def _all(bootstrap: str, topic: str) -> list[kafka_io.Record]:
    return [r async for r in kafka_io.read_topic(bootstrap, topic, idle_seconds=0.5)]
