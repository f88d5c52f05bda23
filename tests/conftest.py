"""Shared fixtures: the test broker (session-wide) and per-test topic prefixes; the drills' switches.

Tests that need a broker carry ``@pytest.mark.broker`` (a test that asks for
``kafka_bootstrap`` gets the mark added, so ``-m "not broker"`` always leaves the
broker down). Broker choice: see ``tests/support/brokers.py``.

Drills (``@pytest.mark.drill``, ``tests/integration/test_drills.py``) take about 12 minutes,
so they run only with ``--drills`` (``make drills``); the session then ends with their table
(drill: lost / doubled / conflicting / event diffs), also written as JSON lines to
``--drill-report PATH`` for ``tests/support/drill_runs.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import drills
from tests.support.brokers import kafka_broker
from workers import codec
from workers.settings import load_settings


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("drills", "conflictwire drills (issue 9)")
    group.addoption("--drills", action="store_true", help="run the drills (tests marked drill)")
    group.addoption("--drill-report", metavar="PATH", help="write each drill's result as a JSON line")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "drill: a crash/replay/hostile-input drill on the real broker; runs only with --drills"
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_drill = pytest.mark.skip(reason="a drill: run with --drills (make drills)")
    for item in items:
        wants_broker = "kafka_bootstrap" in getattr(item, "fixturenames", ())
        if wants_broker and item.get_closest_marker("broker") is None:
            item.add_marker(pytest.mark.broker)
        if item.get_closest_marker("drill") is not None and not config.getoption("--drills"):
            item.add_marker(skip_drill)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not drills.RESULTS:
        return
    terminalreporter.section("drills (compared with the clean run)")
    terminalreporter.write_line(
        f"{'drill':<32}{'lost':>6}{'doubled':>9}{'conflict':>10}{'events':>8}{'other':>7}  "
    )
    for result in drills.RESULTS:
        row = result.row()
        terminalreporter.write_line(
            f"{row['drill']:<32}{row['lost']:>6}{row['doubled']:>9}{row['conflicting']:>10}"
            f"{row['event_diffs']:>8}{row['other']:>7}  {'ok' if row['ok'] else 'FAIL'}"
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--drill-report")
    if path:
        with Path(path).open("ab") as report:
            for result in drills.RESULTS:
                report.write(codec.dumps(result.row()) + b"\n")


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
