"""The Faust consumer's fetch wait, which faust-streaming 0.15 hard-codes to 1.5 s; and the
worker's terminal spinner, which turns every debug log call of Faust and aiokafka into a record.

In: a ``faust.App`` and a number of milliseconds (``Settings.fetch_max_wait_ms``). Out: the
app's stream consumer asks the broker to hold an empty fetch at most that long.

Why: a fetch that finds no new record waits on the broker up to ``fetch.max.wait.ms``. Kafka
answers it as soon as a record arrives, but the embedded broker (Tansu) lets it run out, so
with Faust's 1.5 s every hop of the pipeline (five topics from articles.raw to
events.enriched) cost up to 1.5 s of latency, 0.75 s on average. A short wait costs an empty
fetch request per wait (20 a second at 50 ms, one request for all partitions of a broker),
which neither broker minds.

How: :func:`apply_consumer_tuning` wraps ``AIOKafkaConsumerThread._create_worker_consumer``
(process-wide, idempotent) to set aiokafka's ``_fetch_max_wait_ms`` on the consumer it
builds, before the consumer starts (aiokafka hands the value to its fetcher in ``start``).
The value comes from the app (:func:`set_fetch_max_wait`); an app without one keeps Faust's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "FAUST_FETCH_MAX_WAIT_MS",
    "apply_consumer_tuning",
    "fetch_max_wait_of",
    "quiet_spinner",
    "set_fetch_max_wait",
]

FAUST_FETCH_MAX_WAIT_MS = 1500  # faust/transport/drivers/aiokafka.py, _create_worker_consumer
_ATTRIBUTE = "conflictwire_fetch_max_wait_ms"
_MARK = "_conflictwire_tuned"


def set_fetch_max_wait(app: Any, milliseconds: int) -> None:
    """Ask for ``milliseconds`` of fetch wait on ``app``'s stream consumer (before it starts)."""
    setattr(app, _ATTRIBUTE, int(milliseconds))
    apply_consumer_tuning()


def fetch_max_wait_of(app: Any) -> int | None:
    value = getattr(app, _ATTRIBUTE, None)
    return int(value) if value is not None else None


def _tuned(original: Callable[..., Any]) -> Callable[..., Any]:
    def _create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        wait = fetch_max_wait_of(self.app)
        if wait is not None:
            consumer._fetch_max_wait_ms = wait  # read by AIOKafkaConsumer.start()
        return consumer

    setattr(_create_worker_consumer, _MARK, True)
    return _create_worker_consumer


def apply_consumer_tuning() -> None:
    """Patch Faust's aiokafka consumer thread once per process (see the module docstring)."""
    from faust.transport.drivers import aiokafka as driver

    cls: Any = driver.AIOKafkaConsumerThread  # a plain object: we wrap one of its methods
    if not getattr(cls._create_worker_consumer, _MARK, False):
        cls._create_worker_consumer = _tuned(cls._create_worker_consumer)


# The spinner. At a log level of WARNING or above (ours by default) faust.Worker sets up a
# terminal progress spinner that turns once per log record, and for that sets the root logger to
# DEBUG (Worker._setup_spinner_handler). From then on every ``log.debug`` in aiokafka, Faust and
# mode (several per message: each request sent and received, each fetch, each send) builds a
# LogRecord and runs the handlers, which drop it: about 2 % of the worker's time for nothing.
# Without a terminal nobody sees the spinner, so there the patch leaves it out, and the root
# logger keeps the level the worker was started with.


def _quiet(original: Callable[..., Any]) -> Callable[..., Any]:
    def _setup_spinner_handler(self: Any, logger: Any, level: int) -> None:
        spinner = self.spinner
        if spinner is not None and not _is_terminal(spinner.file):
            self.spinner = None
            return
        original(self, logger, level)

    setattr(_setup_spinner_handler, _MARK, True)
    return _setup_spinner_handler


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


def quiet_spinner() -> None:
    """Patch ``faust.Worker`` once per process: no spinner (and no root logger at DEBUG) when its
    output is not a terminal (see the comment above)."""
    from faust import worker

    cls: Any = worker.Worker
    if not getattr(cls._setup_spinner_handler, _MARK, False):
        cls._setup_spinner_handler = _quiet(cls._setup_spinner_handler)
