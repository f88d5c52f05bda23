"""The speed settings (issue 10): NLP processes, the batch linger, the consumers' fetch wait."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

import pytest

from workers.faust_tuning import (
    FAUST_FETCH_MAX_WAIT_MS,
    fetch_max_wait_of,
    quiet_spinner,
    set_fetch_max_wait,
)
from workers.settings import SettingsError, load_settings


def test_defaults_use_two_processes_take_what_is_there_and_fetch_briefly() -> None:
    settings = load_settings({})
    assert settings.nlp_processes == 2
    assert settings.nlp_batch_size == 8
    assert settings.nlp_batch_seconds == 0.0
    assert settings.fetch_max_wait_ms == 50 < FAUST_FETCH_MAX_WAIT_MS
    assert settings.table_standby_replicas == 0 == settings.faust_options()["table_standby_replicas"]


def test_speed_settings_come_from_the_environment_and_travel_to_a_child() -> None:
    env = {
        "CONFLICTWIRE_NLP_PROCESSES": "0",
        "CONFLICTWIRE_NLP_BATCH_SECONDS": "0.05",
        "CONFLICTWIRE_FETCH_MAX_WAIT_MS": "20",
        "CONFLICTWIRE_TABLE_STANDBY_REPLICAS": "1",
    }
    settings = load_settings(env)
    assert (settings.nlp_processes, settings.nlp_batch_seconds, settings.fetch_max_wait_ms) == (0, 0.05, 20)
    assert settings.table_standby_replicas == 1 == settings.faust_options()["table_standby_replicas"]
    assert load_settings(settings.to_env()) == settings


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONFLICTWIRE_NLP_PROCESSES", "-1"),
        ("CONFLICTWIRE_NLP_PROCESSES", "two"),
        ("CONFLICTWIRE_NLP_PROCESSES", "65"),
        ("CONFLICTWIRE_NLP_BATCH_SECONDS", "-0.1"),
        ("CONFLICTWIRE_NLP_BATCH_SECONDS", "nan"),
        ("CONFLICTWIRE_FETCH_MAX_WAIT_MS", "-5"),
        ("CONFLICTWIRE_FETCH_MAX_WAIT_MS", "60001"),
        ("CONFLICTWIRE_TABLE_STANDBY_REPLICAS", "-1"),
    ],
)
def test_bad_speed_values_are_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


async def test_the_fetch_wait_reaches_the_consumer_faust_builds() -> None:
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    from workers.app import build_app

    built = build_app(load_settings({"CONFLICTWIRE_FETCH_MAX_WAIT_MS": "42"}))
    assert fetch_max_wait_of(built.app) == 42
    thread = AIOKafkaConsumerThread.__new__(AIOKafkaConsumerThread)  # only what the factory reads
    thread.app = built.app
    thread._assignor = built.app.assignor
    thread.consumer = type("C", (), {"in_transaction": False})()
    transport = built.app.transport
    consumer = thread._create_worker_consumer(transport)  # built, not started: no broker needed
    assert consumer._fetch_max_wait_ms == 42


def test_an_app_without_the_setting_keeps_fausts_wait() -> None:
    class App:
        pass

    app = App()
    assert fetch_max_wait_of(app) is None
    set_fetch_max_wait(app, 7)
    assert fetch_max_wait_of(app) == 7


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("output", "spinning"), [(io.StringIO, False), (_Terminal, True)])
def test_the_spinner_sets_the_root_logger_to_debug_only_on_a_terminal(
    output: type[io.StringIO], spinning: bool
) -> None:
    from faust import worker as faust_worker

    quiet_spinner()
    stub = type("Worker", (), {})()  # only what the method reads: its spinner
    stub.spinner = faust_worker.terminal.Spinner(file=output())
    logger = logging.Logger("root-stand-in", logging.WARNING)
    logger.addHandler(logging.NullHandler())
    faust_worker.Worker._setup_spinner_handler(stub, logger, logging.WARNING)
    # without a terminal every debug call would otherwise build a record that nobody shows
    assert logger.isEnabledFor(logging.DEBUG) is spinning
    assert (stub.spinner is not None, len(logger.handlers)) == (spinning, 2 if spinning else 1)


_ARENA_PROBE = """
import ctypes, sys, threading
if sys.argv[1] == "limit":
    from workers.app import limit_malloc_arenas
    limit_malloc_arenas()
together = threading.Barrier(8)
def work():
    keep = [bytearray(100_000) for _ in range(20)]  # under the mmap threshold: from an arena
    together.wait()  # all threads allocate at once, so glibc would give them arenas of their own
    del keep
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc arenas")
def test_a_worker_process_keeps_to_two_malloc_arenas() -> None:
    def arenas(mode: str) -> int:
        env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
        run = subprocess.run(
            [sys.executable, "-c", _ARENA_PROBE, mode], env=env, capture_output=True, text=True, check=True
        )
        return sum(line.startswith("Arena ") for line in run.stderr.splitlines())

    assert arenas("limit") <= 2 < arenas("default")
