"""A Tansu broker the drills control: pause it, resume it, restart it on the same port.

In: a storage engine URL (``memory://tansu/`` or ``s3://tansu/``) and extra environment
(the S3 endpoint and credentials). Out: :class:`TansuBroker`, a context manager whose
``bootstrap`` stays the same across :meth:`TansuBroker.restart`, so a running worker
reconnects to it; and :func:`moto_s3`, an S3 server on loopback (moto) with the bucket
``tansu`` created, whose environment makes ``s3://tansu/`` persist topics and offsets
across a broker restart (field notes, "Restart drills").

The session broker of the tests (``workers.broker.EmbeddedBroker``) is not used here: a
drill that stops the broker must not take the other tests' broker with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

from workers.broker import find_broker_bin, kafka_answers

__all__ = ["TansuBroker", "moto_s3"]

_HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until(check: object, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s; log tail:\n{tail}")


class TansuBroker:
    """One Tansu process on a fixed loopback port; ``with TansuBroker(...) as broker:``."""

    def __init__(self, storage: str = "memory://tansu/", env: Mapping[str, str] | None = None) -> None:
        self.storage = storage
        self.env = dict(env or {})
        self.port = _free_port()
        self.bootstrap = f"{_HOST}:{self.port}"
        self.log = Path(tempfile.mkdtemp(prefix="cw-drill-tansu-")) / "tansu.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> TansuBroker:
        url = f"tcp://{self.bootstrap}"
        command = [find_broker_bin(None), "broker", "--listener-url", url]
        command += ["--advertised-listener-url", url, "--storage-engine", self.storage]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_until(lambda: kafka_answers(_HOST, self.port, timeout=0.5), 20.0, "tansu", self.log)
        return self

    def stop(self) -> None:
        """SIGTERM (after SIGCONT, in case it is paused), SIGKILL after 10 s; idempotent."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        """Stop and start again on the same port (with memory storage, everything is gone)."""
        self.stop()
        self.start()

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _bucket_created(endpoint: str) -> bool:
    try:
        request = urllib.request.Request(f"{endpoint}/tansu", method="PUT")
        with urllib.request.urlopen(request, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def moto_s3() -> Iterator[dict[str, str]]:
    """A moto S3 server on loopback with a bucket ``tansu``; yields the environment Tansu needs."""
    port = _free_port()
    endpoint = f"http://{_HOST}:{port}"
    log = Path(tempfile.mkdtemp(prefix="cw-drill-moto-")) / "moto.log"
    moto_server = str(Path(sys.executable).parent / "moto_server")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [moto_server, "-H", _HOST, "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until(lambda: _bucket_created(endpoint), 30.0, "moto S3", log)
        yield {
            "AWS_ENDPOINT": endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
