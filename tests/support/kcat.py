"""Run kcat against the test broker.

In: a bootstrap address and a topic. Out: the topic's messages as text lines
(``kcat -C -o beginning -e``).

Debian's kcat links librdkafka 2.0.2, which the embedded broker rejects
("ApiVersionRequest failed: Read underflow"). The confluent-kafka wheel (a test
dependency) bundles a recent librdkafka, so kcat runs with ``LD_LIBRARY_PATH``
pointing at a temporary folder where ``librdkafka.so.1`` links to that copy.

A missing kcat skips the test locally; when ``CI`` is set (``CI=true``) it fails
instead, because CI installs kcat (see ``.ci/run``).
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

__all__ = ["find_kcat", "kcat_consume", "kcat_env", "librdkafka_dir", "require_kcat"]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def find_kcat() -> str | None:
    """Path of ``kcat`` (or its old name ``kafkacat``) on PATH, or None."""
    return shutil.which("kcat") or shutil.which("kafkacat")


def require_kcat() -> str:
    """kcat's path; skip the test when it is missing, or fail when running in CI."""
    path = find_kcat()
    if path is not None:
        return path
    reason = "kcat is not installed (apt-get install -y kcat)"
    if _in_ci():
        pytest.fail(f"{reason}; CI must install it (.ci/run)", pytrace=False)
    pytest.skip(reason)


@functools.cache
def librdkafka_dir() -> Path | None:
    """A temporary folder holding ``librdkafka.so.1`` -> the confluent-kafka wheel's librdkafka.

    None when the wheel is not installed or bundles no librdkafka (kcat then uses
    the system library). The folder is removed when the process exits.
    """
    spec = importlib.util.find_spec("confluent_kafka")
    if spec is None or spec.origin is None:
        return None
    site_packages = Path(spec.origin).resolve().parent.parent
    candidates = sorted((site_packages / "confluent_kafka.libs").glob("librdkafka*.so*"))
    if not candidates:
        return None
    folder = Path(tempfile.mkdtemp(prefix="conflictwire-kcat-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "librdkafka.so.1").symlink_to(candidates[0])
    return folder


def kcat_env() -> dict[str, str]:
    """The environment to run kcat with (LD_LIBRARY_PATH set when the wheel's library exists)."""
    env = dict(os.environ)
    folder = librdkafka_dir()
    if folder is not None:
        previous = env.get("LD_LIBRARY_PATH")
        env["LD_LIBRARY_PATH"] = f"{folder}:{previous}" if previous else str(folder)
    return env


def kcat_consume(
    bootstrap: str,
    topic: str,
    *,
    fmt: str = "%s\\n",
    timeout: float = 30.0,
) -> list[str]:
    """All messages of ``topic`` from the beginning, one formatted line each (default: the value).

    ``fmt`` is kcat's ``-f`` format (``%k`` key, ``%s`` value, ``%p`` partition,
    ``%o`` offset ...). Fails the test with kcat's stderr when kcat fails or takes
    longer than ``timeout`` seconds.
    """
    kcat = require_kcat()
    command = [kcat, "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", fmt]
    try:
        done = subprocess.run(
            command,
            env=kcat_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"kcat did not finish within {timeout:.0f} s: {' '.join(command)}\n{exc.stderr!r}")
    if done.returncode != 0:
        pytest.fail(f"kcat exited with {done.returncode}: {' '.join(command)}\n{done.stderr.strip()}")
    return done.stdout.splitlines()
