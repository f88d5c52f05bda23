"""The speed settings (issue 10): NLP processes, the batch linger, the consumers' fetch wait."""

from __future__ import annotations

import io
import logging

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
    assert settings.nlp_batch_size == 32
    assert settings.nlp_batch_seconds == 0.0
    assert settings.fetch_max_wait_ms == 50 < FAUST_FETCH_MAX_WAIT_MS


def test_speed_settings_come_from_the_environment_and_travel_to_a_child() -> None:
    env = {
        "CONFLICTWIRE_NLP_PROCESSES": "0",
        "CONFLICTWIRE_NLP_BATCH_SECONDS": "0.05",
        "CONFLICTWIRE_FETCH_MAX_WAIT_MS": "20",
    }
    settings = load_settings(env)
    assert (settings.nlp_processes, settings.nlp_batch_seconds, settings.fetch_max_wait_ms) == (0, 0.05, 20)
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
