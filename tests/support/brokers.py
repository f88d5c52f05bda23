"""Which Kafka-compatible broker the tests talk to.

In: the settings (``KAFKA_BOOTSTRAP_SERVERS``, ``CONFLICTWIRE_BROKER_BIN``).
Out: :func:`kafka_broker`, a context manager yielding ``(kind, "host:port")``:

1. ``KAFKA_BOOTSTRAP_SERVERS`` when set (``kind="env"``), used as is;
2. else a single-node KRaft Kafka from testcontainers when a Docker engine answers
   (``kind="testcontainers"``);
3. else the embedded Tansu broker (``kind="embedded"``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from workers.broker import EmbeddedBroker
from workers.settings import Settings

__all__ = ["KAFKA_IMAGE", "docker_answers", "kafka_broker"]

KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"


def docker_answers(timeout: float = 2.0) -> bool:
    """True when a Docker engine answers a ping within ``timeout`` seconds (a client alone is not enough)."""
    try:
        import docker
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=timeout)
    except Exception:  # docker.errors.DockerException: no socket, bad DOCKER_HOST ...
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


@contextlib.contextmanager
def _testcontainers_kafka() -> Iterator[str]:
    # testcontainers >= 4.x: the Kafka module moved to testcontainers.community.kafka
    # (testcontainers.kafka still imports, with a DeprecationWarning).
    from testcontainers.community.kafka import KafkaContainer

    container = (
        KafkaContainer(KAFKA_IMAGE)
        .with_kraft()
        # a single broker: transactions need their state log to fit on it
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
    )
    with container as kafka:
        yield str(kafka.get_bootstrap_server())


@contextlib.contextmanager
def kafka_broker(settings: Settings) -> Iterator[tuple[str, str]]:
    """Yield ``(kind, bootstrap)`` for the first broker available (see the module docstring)."""
    if settings.bootstrap_servers:
        yield "env", settings.bootstrap_servers
    elif docker_answers():
        with _testcontainers_kafka() as bootstrap:
            yield "testcontainers", bootstrap
    else:
        with EmbeddedBroker(settings.embedded_broker_bin) as broker:
            yield "embedded", broker.bootstrap_servers
