"""Shared fixtures: the test broker (session-wide) and per-test topic prefixes.

Tests that need a broker carry ``@pytest.mark.broker`` (a test that asks for
``kafka_bootstrap`` gets the mark added, so ``-m "not broker"`` always leaves the
broker down). Broker choice: see ``tests/support/brokers.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.brokers import kafka_broker
from workers.settings import load_settings


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        wants_broker = "kafka_bootstrap" in getattr(item, "fixturenames", ())
        if wants_broker and item.get_closest_marker("broker") is None:
            item.add_marker(pytest.mark.broker)


@pytest.fixture(scope="session")
def kafka_broker_info() -> Iterator[tuple[str, str]]:
    """``(kind, bootstrap)``: kind is "env", "testcontainers" or "embedded"."""
    with kafka_broker(load_settings()) as info:
        yield info


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker_info: tuple[str, str]) -> str:
    """``"host:port"`` of a Kafka-compatible broker, started once per session."""
    return kafka_broker_info[1]


@pytest.fixture
def topic_prefix() -> str:
    """A prefix unique to this test for topics, consumer groups and app ids (``cw-<hex>-``)."""
    return f"cw-{uuid.uuid4().hex[:12]}-"
