"""The feed poller behind ``conflictwire poll``: feeds over HTTP in, raw articles on Kafka out.

In: a :class:`PollerConfig` (feed URLs, topic names, Kafka bootstrap and security options,
limits) and a prometheus-client registry. Out: for every new feed item, its page's article on
``articles.raw`` (keyed by the article id), a ``feeds.state`` record saying it is done, and
counters by host; an item whose page cannot be fetched or read goes to
``articles.dead-letter`` (stage ``poll``) with the reason, once.

What keeps it polite and idempotent:

- conditional requests: a feed's ETag and Last-Modified are sent back (``304``: nothing new),
  and kept on the state topic so a restart does not refetch either;
- per host: at most ``per_host`` requests at once, and after an error (timeout, connection
  failure, 5xx, 429) no request for ``backoff_base * 2**(n-1)`` seconds (at most
  ``backoff_max``) — the host's items wait for a later round;
- the compacted state topic is read at start and before every round: an item that any poller
  has published or dead-lettered is skipped, and so is a page whose canonical URL another
  item already published. A crash between the article and its state record re-publishes the
  same article under the same id, which the worker's content hashes make harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from workers import codec, dlq
from workers.broker import acreate_topics
from workers.feeds import items as feeds
from workers.logs import log_context

log = logging.getLogger(__name__)

# Page statuses worth another try later; any other 4xx means the page is not there for us.
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
_PAGE_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class PollerConfig:
    """What to poll and how. Topic names are the broker's (prefix included)."""

    feeds: tuple[str, ...]
    bootstrap: str
    raw_topic: str
    state_topic: str
    dead_letter_topic: str
    client: Mapping[str, Any] = field(default_factory=dict)  # Settings.kafka_client_options()
    partitions: int = 4  # of the state topic, when the poller has to create it
    timeout: float = 20.0  # seconds per HTTP request, body included
    per_host: int = 2  # concurrent requests per host
    max_attempts: int = 3  # transient failures of one page before it is dead-lettered
    backoff_base: float = 30.0
    backoff_max: float = 1800.0
    max_bytes: int = 512 * 1024  # of an article message (Settings.max_message_bytes)
    max_page_bytes: int = 5 * 1024 * 1024  # of a downloaded page or feed
    user_agent: str = "conflictwire-poller/0.1 (+https://github.com/conflictwire)"


class PollerMetrics:
    """The poller's Prometheus metrics, on a registry of its own (the poller is its own process)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.items = Counter(
            "conflictwire_poller_items",
            "Feed items handled, by host of the page and outcome "
            "(published, duplicate, dead_letter, retry, deferred)",
            ["host", "outcome"],
            registry=registry,
        )
        self.fetches = Counter(
            "conflictwire_poller_fetches",
            "HTTP requests by host, kind (feed|page) and result (status code, not_modified, timeout, error)",
            ["host", "kind", "result"],
            registry=registry,
        )
        self.fetch_seconds = Histogram(
            "conflictwire_poller_fetch_seconds", "HTTP request duration", ["kind"], registry=registry
        )
        self.feed_errors = Counter(
            "conflictwire_poller_feed_errors",
            "Feeds that could not be read, by host and reason (malformed, http, network)",
            ["host", "reason"],
            registry=registry,
        )
        self.backoff = Gauge(
            "conflictwire_poller_host_backoff_seconds",
            "Seconds until a host backing off after errors is asked again (0: not backing off)",
            ["host"],
            registry=registry,
        )
        self.rounds = Counter("conflictwire_poller_rounds", "Polling rounds completed", registry=registry)
        self.known_items = Gauge(
            "conflictwire_poller_known_items", "Items recorded on the state topic", registry=registry
        )


class HostBackoff:
    """Per-host exponential backoff; ``now`` is passed in (monotonic seconds)."""

    def __init__(self, base: float, maximum: float) -> None:
        self.base, self.maximum = base, maximum
        self._failures: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def ready(self, host: str, now: float) -> bool:
        return self._until.get(host, 0.0) <= now

    def remaining(self, host: str, now: float) -> float:
        return max(0.0, self._until.get(host, 0.0) - now)

    def failed(self, host: str, now: float) -> float:
        """Record an error of ``host``; returns the delay before it is asked again."""
        failures = self._failures.get(host, 0) + 1
        self._failures[host] = failures
        delay = min(self.maximum, self.base * 2.0 ** (failures - 1))
        self._until[host] = now + delay
        return delay

    def succeeded(self, host: str) -> None:
        self._failures.pop(host, None)
        self._until.pop(host, None)


@dataclass
class PollState:
    """The state topic folded: items done, article ids published, each feed's validators."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    articles: set[str] = field(default_factory=set)
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply(self, key: str, record: dict[str, Any] | None) -> None:
        if record is None:
            self.items.pop(key, None)
            self.feeds.pop(key, None)
        elif record.get("kind") == "item":
            self.items[key] = record
            if record.get("article_id"):
                self.articles.add(record["article_id"])
        elif record.get("kind") == "feed" and not _older(record, self.feeds.get(key)):
            # our own writes are applied at once and read back later: a late echo of an older
            # record must not bring back validators that would ask for the feed unconditionally
            self.feeds[key] = record


def _older(record: dict[str, Any], held: dict[str, Any] | None) -> bool:
    """Whether ``record`` was written before the ``held`` one (by their ``at`` times)."""
    if held is None:
        return False
    return datetime.fromisoformat(record["at"]) < datetime.fromisoformat(held["at"])


# (ETag, Last-Modified) of a feed response
Validators = tuple[str | None, str | None]


class Fetched:
    """One HTTP response, read (up to a size limit)."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes, url: str) -> None:
        self.status, self.headers, self.body, self.url = status, headers, body, url


class TransientError(Exception):
    """A failure worth retrying later (network, timeout, 5xx, 429): the host backs off."""


class Poller:
    """Polls the configured feeds; use ``async with Poller(config) as poller: await poller.poll_once()``."""

    def __init__(self, config: PollerConfig, registry: CollectorRegistry | None = None) -> None:
        self.config = config
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = PollerMetrics(self.registry)
        self.state = PollState()
        self.backoff = HostBackoff(config.backoff_base, config.backoff_max)
        self.attempts: dict[str, int] = {}  # item key -> transient failures so far (this process)
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._session: aiohttp.ClientSession | None = None
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Poller:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Create the state topic if missing, connect, and read what earlier pollers recorded."""
        config, client = self.config, dict(self.config.client)
        state_topic = {config.state_topic: config.partitions}
        await acreate_topics(config.bootstrap, state_topic, compacted=list(state_topic), client=client)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=config.bootstrap, acks="all", linger_ms=5, **client
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=config.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=500,
            **client,
        )
        await self._producer.start()
        await self._consumer.start()
        await self._assign_state_topic()
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=config.timeout), headers={"User-Agent": config.user_agent}
        )
        await self.refresh_state()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        for client in (self._consumer, self._producer):
            if client is not None:
                with contextlib.suppress(Exception):  # already broken: nothing more to release
                    await client.stop()

    async def _assign_state_topic(self) -> None:
        from aiokafka import TopicPartition

        consumer, deadline = self._require(self._consumer), time.monotonic() + 15.0
        while not (partitions := consumer.partitions_for_topic(self.config.state_topic)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"state topic {self.config.state_topic!r} did not appear")
            await asyncio.sleep(0.2)  # the metadata refresh (every 500 ms) brings the new topic
        tps = [TopicPartition(self.config.state_topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)

    async def refresh_state(self, max_wait: float = 10.0) -> None:
        """Fold every state record written so far (by us or any other poller) into :attr:`state`."""
        consumer, deadline = self._require(self._consumer), time.monotonic() + max_wait
        while True:
            batches = await consumer.getmany(timeout_ms=250)
            for messages in batches.values():
                for message in messages:
                    value = None if message.value is None else codec.loads(message.value)
                    self.state.apply((message.key or b"").decode(), value)
            if not batches and await self._caught_up(consumer):
                break
            if time.monotonic() > deadline:
                log.warning("state topic not read to its end within %.0fs; going on", max_wait)
                break
        self.metrics.known_items.set(len(self.state.items))

    @staticmethod
    async def _caught_up(consumer: AIOKafkaConsumer) -> bool:
        # the high watermark of fetch responses (ListOffsets is unreliable on the embedded broker)
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None or await consumer.position(tp) < highwater:
                return False
        return True

    async def poll_once(self) -> None:
        """One round: every feed, then every item not yet done; feeds' validators saved once all done."""
        await self.refresh_state()
        polled = await asyncio.gather(*(self._poll_feed(url) for url in self.config.feeds))
        unique: dict[str, feeds.FeedItem] = {}
        for _, found, _ in polled:
            for item in found:
                key = feeds.item_key(item.link)
                if key not in self.state.items:
                    unique.setdefault(key, item)
        await asyncio.gather(*(self._handle_item(key, item) for key, item in unique.items()))
        for url, found, validators in polled:
            # a validator saved before every item is done would hide those items behind a 304
            if validators and all(feeds.item_key(item.link) in self.state.items for item in found):
                record = feeds.feed_record(url, *validators, datetime.now(UTC))
                await self._write_state(feeds.feed_key(url), record)
        self.metrics.rounds.inc()

    async def run(self, every: float, stop: asyncio.Event) -> None:
        """Poll every ``every`` seconds (measured from the start of a round) until ``stop`` is set."""
        while not stop.is_set():
            started = time.monotonic()
            await self.poll_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, every - (time.monotonic() - started)))

    async def _poll_feed(self, url: str) -> tuple[str, list[feeds.FeedItem], Validators | None]:
        """(url, items, (etag, last-modified) to save) — no items when unchanged or unreadable."""
        host = _host(url)
        if not self.backoff.ready(host, time.monotonic()):
            return url, [], None
        known = self.state.feeds.get(feeds.feed_key(url)) or {}
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        try:
            response = await self._fetch(url, "feed", headers)
        except (TransientError, feeds.PageError) as exc:
            self._host_failed(host)
            self.metrics.feed_errors.labels(host, "network").inc()
            log.warning("feed %s not fetched: %s", url, exc)
            return url, [], None
        if response.status == 304:
            return url, [], None
        if response.status != 200:
            self.metrics.feed_errors.labels(host, "http").inc()
            log.warning("feed %s answered HTTP %d", url, response.status)
            return url, [], None
        self._host_ok(host)
        try:
            found = feeds.parse_feed(response.body, url)
        except feeds.FeedError as exc:
            self.metrics.feed_errors.labels(host, "malformed").inc()
            log.warning("feed %s is not usable: %s", url, exc)
            return url, [], None
        validators = (response.headers.get("etag"), response.headers.get("last-modified"))
        return url, found, validators if any(validators) else None

    async def _handle_item(self, key: str, item: feeds.FeedItem) -> None:
        with log_context("poll", item.link):  # every log line about this item names it
            await self._handle_item_logged(key, item)

    async def _handle_item_logged(self, key: str, item: feeds.FeedItem) -> None:
        host = item.host
        if not self.backoff.ready(host, time.monotonic()):
            self.metrics.items.labels(host, "deferred").inc()
            return
        try:
            response = await self._fetch(item.link, "page", {})
            article = await self._read_page(item, response)
        except TransientError as exc:
            self._host_failed(host)
            self.attempts[key] = self.attempts.get(key, 0) + 1
            if self.attempts[key] < self.config.max_attempts:
                self.metrics.items.labels(host, "retry").inc()
                log.info("page %s failed (%s); will retry", item.link, exc)
                return
            await self._dead_letter(key, item, exc)
            return
        except feeds.PageError as exc:
            await self._dead_letter(key, item, exc)
            return
        self._host_ok(host)
        if article["id"] in self.state.articles:  # the same canonical page reached by another link
            self.metrics.items.labels(host, "duplicate").inc()
        else:
            producer = self._require(self._producer)
            await producer.send_and_wait(
                self.config.raw_topic, key=article["id"].encode(), value=codec.dumps(article)
            )
            self.metrics.items.labels(host, "published").inc()
            log.info("published %s as %s", item.link, article["id"])
        await self._write_state(key, feeds.item_record(item, "published", article["id"], datetime.now(UTC)))

    async def _read_page(self, item: feeds.FeedItem, response: Fetched) -> dict[str, Any]:
        if response.status != 200:
            raise feeds.PageError(f"HTTP {response.status} for {item.link}")
        content_type = response.headers.get("content-type", "text/html").split(";")[0].strip().lower()
        if content_type not in _PAGE_TYPES:
            raise feeds.PageError(f"not an HTML page ({content_type}): {item.link}")
        # trafilatura is CPU work: off the event loop, so other hosts' requests go on meanwhile
        return await asyncio.to_thread(
            feeds.page_article, response.body, item, response.url, self.config.max_bytes
        )

    async def _fetch(self, url: str, kind: str, headers: Mapping[str, str]) -> Fetched:
        """GET ``url`` under its host's concurrency limit; TransientError for what may pass."""
        host, session = _host(url), self._require(self._session)
        semaphore = self._semaphores.setdefault(host, asyncio.Semaphore(self.config.per_host))
        async with semaphore:
            started = time.perf_counter()
            try:
                async with session.get(url, headers=dict(headers), allow_redirects=True) as response:
                    body = await response.content.read(self.config.max_page_bytes + 1)
                    lowered = {k.lower(): v for k, v in response.headers.items()}
                    fetched = Fetched(response.status, lowered, body, str(response.url))
            except TimeoutError as exc:
                self.metrics.fetches.labels(host, kind, "timeout").inc()
                limit = self.config.timeout
                raise TransientError(f"no complete answer from {host} within {limit:g}s") from exc
            except aiohttp.ClientError as exc:
                self.metrics.fetches.labels(host, kind, "error").inc()
                raise TransientError(f"{type(exc).__name__}: {exc}") from exc
            finally:
                self.metrics.fetch_seconds.labels(kind).observe(time.perf_counter() - started)
        status = fetched.status
        self.metrics.fetches.labels(host, kind, "not_modified" if status == 304 else str(status)).inc()
        if status >= 500 or status in _TRANSIENT_STATUSES:
            raise TransientError(f"HTTP {status} from {url}")
        if len(fetched.body) > self.config.max_page_bytes:
            raise feeds.PageError(f"{url} is larger than {self.config.max_page_bytes} bytes")
        return fetched

    async def _dead_letter(self, key: str, item: feeds.FeedItem, exc: BaseException) -> None:
        record = dlq.dead_letter_record(
            stage="poll",
            exc=exc,
            original=item.as_json(),
            key=item.link,
            topic=item.feed_url,  # where the item came from: the feed, not a topic
            partition=None,
            offset=None,
            now=datetime.now(UTC),
        )
        log.warning("dead-lettered %s", dlq.describe(record))
        producer = self._require(self._producer)
        await producer.send_and_wait(
            self.config.dead_letter_topic,
            key=dlq.message_key(item.link),
            value=codec.dumps(record),
            headers=dlq.dead_letter_headers(record),
        )
        self.metrics.items.labels(item.host, "dead_letter").inc()
        self.attempts.pop(key, None)
        await self._write_state(key, feeds.item_record(item, "dead-letter", None, datetime.now(UTC)))

    async def _write_state(self, key: str, record: dict[str, Any]) -> None:
        producer = self._require(self._producer)
        await producer.send_and_wait(self.config.state_topic, key=key.encode(), value=codec.dumps(record))
        self.state.apply(key, record)
        self.metrics.known_items.set(len(self.state.items))

    def _host_failed(self, host: str) -> None:
        self.metrics.backoff.labels(host).set(self.backoff.failed(host, time.monotonic()))

    def _host_ok(self, host: str) -> None:
        self.backoff.succeeded(host)
        self.metrics.backoff.labels(host).set(0)

    @staticmethod
    def _require(client: Any) -> Any:
        if client is None:
            raise RuntimeError("the poller is not started (use it as an async context manager)")
        return client


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or "unknown"


async def serve(
    config: PollerConfig,
    *,
    every: float,
    once: bool = False,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> None:
    """``conflictwire poll``: one round (``once``) or a round every ``every`` seconds until SIGTERM/SIGINT.

    With ``metrics_port`` the poller's metrics are served at ``http://metrics_host:port/metrics``.
    """
    import signal

    from prometheus_client import start_http_server

    poller = Poller(config)
    if metrics_port is not None:
        start_http_server(metrics_port, addr=metrics_host, registry=poller.registry)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with poller:
        if once:
            await poller.poll_once()
        else:
            await poller.run(every, stop)
