"""The Faust application: topics, tables, agents and HTTP views, built from Settings.

In: :class:`workers.settings.Settings`. Out: a :class:`Conflictwire` holding the
``faust.App`` and handles on its topics and tables. The topology:

    articles.raw ──normalize──▶ articles.normalized ──entities (spaCy in a process pool)──▶ articles.entities
        ──events (owns article-ledger)──▶ <app>.event-candidates (keyed by block)
        ──identify (concurrency 1, owns identity-blocks)──▶ events.enriched (+ tombstones)
        ──contribute (one per actor, keyed by actor id)──▶ <app>.actor-contributions
        ──count (concurrency 1, owns actor-counts)──▶ actors.counts
    identify also sends retractions (an event merged away, an actor dropped) to actor-contributions.

Each table holds one value per key with everything its agent needs to re-emit; the agent
writes it before sending, and a redelivered message re-sends what the value records, so a
crash between the write and the sends loses nothing and doubles nothing.

Every agent is thin wiring: decode, call a pure stage from ``workers.stages``, send,
or dead-letter (``workers.dlq``). All values travel as raw bytes and are decoded
here through ``workers.codec`` and checked against ``schemas/`` so that a bad
message becomes a dead letter instead of a decode error that Faust would log and
skip.

The entities agent keeps one batch per NLP process in flight (:mod:`workers.nlp_pool`,
:mod:`workers.stream_batches`) and sends the results in the order it read the articles, so
the order per key (article id) is the topic's, as with one batch at a time.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from faust.types import StreamT, TableT
from faust.web import Request, Response, View

from workers import codec, metrics, schemas
from workers.dlq import DeadLetters
from workers.faust_compat import apply_broker_workarounds
from workers.faust_tuning import quiet_spinner, set_fetch_max_wait
from workers.nlp_pool import NlpPool, NlpPoolClosed, NlpProcessDied
from workers.settings import Settings
from workers.stages import counts as counting
from workers.stages import identity, ledger
from workers.stages.events import assemble_events
from workers.stages.normalize import normalize
from workers.stream_batches import run_batches
from workers.types import ActorCounts, ArticleEntities, NormalizedArticle, RawArticle

log = logging.getLogger(__name__)


def decode(topic: str, value: bytes | None, settings: Settings) -> Any:
    """Bytes off ``topic`` -> a payload that conforms to the topic's schema (size checked first)."""
    return schemas.decode(topic, value, settings.max_message_bytes)


def actor_counts_message(
    actor_id: str, totals: counting.Totals, now: datetime, day: str | None = None
) -> ActorCounts:
    """A totals message (key: actor id), or with ``day`` one daily window (key: ``actor|day``)."""
    return {
        "schema_version": 1,
        "actor_id": actor_id,
        "day": day,
        "events": totals["events"],
        "killed_low": totals["killed_low"],
        "injured_low": totals["injured_low"],
        "updated_at": now.isoformat(),
    }


def article_candidates(entities: ArticleEntities, max_figure: int) -> list[identity.Candidate]:
    """The identity candidates of an article's events (each event checked against its topic's schema)."""
    text = f"{entities['title']}\n\n{entities['text']}"
    candidates = []
    for enriched in assemble_events(entities, max_figure=max_figure):
        schemas.validate("events.enriched", enriched)
        candidates.append(
            identity.candidate_for(enriched, entities["content_hash"], text, entities["published_at"])
        )
    return candidates


def withdrawals(entities: ArticleEntities, admission: ledger.Admission) -> list[identity.Withdrawal]:
    return [
        identity.withdrawal_for(entities["id"], entities["content_hash"], b) for b in admission["withdraw"]
    ]


@dataclass
class Conflictwire:
    settings: Settings
    app: faust.App
    topics: dict[str, faust.TopicT]
    actor_states: TableT[str, Any]
    block_states: TableT[str, Any]
    dead_letters: DeadLetters
    nlp_pool: NlpPool  # the entities agent's model; ``loaded`` once it can take batches


def limit_malloc_arenas(arenas: int = 2) -> None:
    """At most ``arenas`` glibc malloc arenas for the threads started from now on (no-op elsewhere).

    Why: glibc gives each thread that allocates its own arena (up to 8 per core). The model runs
    in executor threads, and a batch's arrays freed in one of those arenas mostly stay mapped: a
    worker with the model in process and batches of 32 peaked at 1.0-1.2 GiB resident with the
    default arenas, 0.90-0.93 GiB with 2, at the same speed (benchmarks/throughput.py, worker1).
    ``MALLOC_ARENA_MAX`` in the environment does the same and takes precedence.
    """
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc (musl has no arenas to limit)
    m_arena_max = -8  # from glibc's malloc.h
    libc.mallopt(m_arena_max, arenas)


@dataclass
class Wiring:
    """What the agents and views of one app share: the app, its settings, topics and tables.

    ``topics`` is keyed like :attr:`Conflictwire.topics` (the logical names, not the prefixed ones).
    """

    settings: Settings
    app: faust.App
    topics: dict[str, faust.TopicT]
    dead_letters: DeadLetters
    block_states: TableT[str, Any]
    actor_states: TableT[str, Any]
    article_ledger: TableT[str, Any]
    nlp_pool: NlpPool


def build_app(settings: Settings) -> Conflictwire:
    """Settings -> the app with its topics, tables, agents and views (nothing started)."""
    limit_malloc_arenas()  # before Faust and the executors start their threads
    apply_broker_workarounds()  # table recovery on the embedded broker; a no-op in effect on Kafka
    app = faust.App(settings.app_id, **settings.faust_options())
    set_fetch_max_wait(app, settings.fetch_max_wait_ms)  # Faust hard-codes 1.5 s: a hop's latency
    quiet_spinner()  # else the worker builds a record for every debug log call of Faust and aiokafka
    wiring = _wiring(app, settings)
    _add_declare_task(wiring)
    _add_normalize_agent(wiring)
    _add_entities_agent(wiring)
    _add_events_agent(wiring)
    _add_identify_agent(wiring)
    _add_count_agents(wiring)
    _add_views(wiring)
    return Conflictwire(
        settings=settings,
        app=app,
        topics=wiring.topics,
        actor_states=wiring.actor_states,
        block_states=wiring.block_states,
        dead_letters=wiring.dead_letters,
        nlp_pool=wiring.nlp_pool,
    )


def _wiring(app: faust.App, settings: Settings) -> Wiring:
    """The app's topics (raw bytes both ways, partitioned alike) and its three tables."""

    def topic(name: str, *, compacting: bool = False) -> faust.TopicT:
        return app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.partitions,
            internal=True,
            compacting=compacting or None,
        )

    names = settings.topics
    topics = {
        "articles.raw": topic(names.raw),
        "articles.normalized": topic(names.normalized),
        "articles.entities": topic(names.entities),
        "events.enriched": topic(names.enriched),
        "articles.dead-letter": topic(names.dead_letter),
        "actors.counts": topic(names.actor_counts, compacting=True),
        "actor-contributions": topic(settings.contributions_topic),
        "event-candidates": topic(settings.candidates_topic),
    }
    # One value per key, one writer per table, each partitioned like its writer's source topic:
    # a crash between two writes cannot leave two tables disagreeing.
    return Wiring(
        settings=settings,
        app=app,
        topics=topics,
        dead_letters=DeadLetters(topics["articles.dead-letter"]),
        # block (country:admin1) -> identity.BlockState, written only by the identify agent
        block_states=app.Table("identity-blocks", default=None, partitions=settings.partitions),
        # actor id -> counts.ActorState (totals, applied versions, daily windows), written only by count
        actor_states=app.Table("actor-counts", default=None, partitions=settings.partitions),
        # "<partition>:<bucket>" -> ledger bucket (articles' last content and blocks), written only by events
        article_ledger=app.Table("article-ledger", default=None, partitions=settings.partitions),
        nlp_pool=NlpPool(settings.spacy_model, settings.nlp_processes),
    )


def _add_declare_task(w: Wiring) -> None:
    """A startup task declaring the output topics nobody in this app consumes (Faust would not)."""
    outputs = [w.topics[name] for name in ("articles.dead-letter", "actors.counts", "events.enriched")]

    @w.app.task  # type: ignore[untyped-decorator]  # faust leaves this decorator untyped
    async def declare_output_topics() -> None:
        for output in outputs:
            await output.maybe_declare()


def _add_normalize_agent(w: Wiring) -> None:
    """articles.raw -> normalize -> articles.normalized (keyed by article id)."""
    settings, dead_letters, out = w.settings, w.dead_letters, w.topics["articles.normalized"]

    @w.app.agent(w.topics["articles.raw"], name="normalize")
    async def normalize_agent(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            async with dead_letters.guard(event, "normalize"):
                raw: RawArticle = decode("articles.raw", event.value, settings)
                article = normalize(
                    raw,
                    now=datetime.now(UTC),
                    future_tolerance=timedelta(hours=settings.future_tolerance_hours),
                )
                await out.send(key=article["id"].encode(), value=codec.dumps(article))


def _add_entities_agent(w: Wiring) -> None:
    """articles.normalized -> the model, in batches (:mod:`workers.nlp_pool`) -> articles.entities."""
    settings, dead_letters, out = w.settings, w.dead_letters, w.topics["articles.entities"]
    nlp_pool = w.nlp_pool

    async def extract_entities(events: Sequence[Any]) -> list[tuple[Any, Any]]:
        """Decode a batch and run it through the model: (event, ArticleEntities or the exception)."""
        decoded: list[tuple[Any, Any]] = []
        for event in events:
            try:
                decoded.append((event, decode("articles.normalized", event.value, settings)))
            except Exception as exc:  # dead-lettered in order, with the batch's other messages
                decoded.append((event, exc))
        good = [(event, value) for event, value in decoded if not isinstance(value, BaseException)]
        results = iter(await run_nlp(nlp_pool, [article for _, article in good]))
        return [(e, v if isinstance(v, BaseException) else next(results)) for e, v in decoded]

    async def send_entities(events: Sequence[Any], outcomes: list[tuple[Any, Any]]) -> None:
        for event, result in outcomes:
            async with dead_letters.guard(event, "entities"):
                if isinstance(result, BaseException):
                    raise result
                await out.send(key=result["id"].encode(), value=codec.dumps(result))

    @w.app.agent(w.topics["articles.normalized"], name="entities")
    async def entities_agent(stream: StreamT[bytes]) -> None:
        # the pool lives as long as this agent (the app's): started here, closed on the way out
        await nlp_pool.start()
        try:
            await run_batches(
                stream,
                extract_entities,
                send_entities,
                size=settings.nlp_batch_size,
                in_flight=nlp_pool.slots,
                linger=settings.nlp_batch_seconds,
            )
        finally:
            nlp_pool.close()


def _add_events_agent(w: Wiring) -> None:
    """articles.entities -> events, admitted by the article ledger -> event-candidates (keyed by block)."""
    settings, dead_letters, out, article_ledger = (
        w.settings,
        w.dead_letters,
        w.topics["event-candidates"],
        w.article_ledger,
    )

    @w.app.agent(w.topics["articles.entities"], name="events")
    async def events_agent(stream: StreamT[bytes]) -> None:
        # Sole writer of article_ledger; its keys name the source partition (keyed by article id).
        async for event in stream.events():
            async with dead_letters.guard(event, "events"):
                entities: ArticleEntities = decode("articles.entities", event.value, settings)
                # CPU work (the selector's trees, the casualty parser) off the loop: heartbeats go on
                candidates = await asyncio.get_running_loop().run_in_executor(
                    None, article_candidates, entities, settings.max_figure
                )
                bucket = ledger.bucket_key(event.message.partition, entities["id"])
                before = article_ledger.get(bucket)
                admission = ledger.admit(
                    before,
                    entities["id"],
                    entities["content_hash"],
                    [c["block"] for c in candidates],
                    now=datetime.now(UTC),
                    window_days=settings.identity_window_days,
                    retention_days=settings.seen_retention_days,
                )
                if admission["state"] != before:  # state first: a redelivery sends what it records
                    article_ledger[bucket] = admission["state"]
                for message in [*candidates, *withdrawals(entities, admission)] if admission["send"] else []:
                    await out.send(key=message["block"].encode(), value=codec.dumps(message))


def _add_identify_agent(w: Wiring) -> None:
    """event-candidates -> identity resolution per block -> events.enriched (+ tombstones) and
    retractions to actor-contributions."""
    settings, dead_letters, block_states = w.settings, w.dead_letters, w.block_states
    enriched_topic, contributions_topic = w.topics["events.enriched"], w.topics["actor-contributions"]
    load = functools.partial(codec.loads_bounded, max_bytes=settings.max_message_bytes)

    async def publish_resolution(result: identity.Resolution) -> None:
        for emitted in result["emit"]:
            await enriched_topic.send(key=emitted["event_id"].encode(), value=codec.dumps(emitted))
        for gone in result["retract"]:
            if gone["tombstone"]:  # the event was merged into another: consumers drop its id
                await enriched_topic.send(key=gone["event_id"].encode(), value=None)
            for actor in gone["actors"]:
                share = counting.retraction(actor, gone["event_id"], gone["version"])
                await contributions_topic.send(key=actor.encode(), value=codec.dumps(share))

    @w.app.agent(w.topics["event-candidates"], name="identify", concurrency=1)
    async def identify_agent(stream: StreamT[bytes]) -> None:
        # Sole writer of block_states; its source is keyed by the table's key (the block).
        async for event in stream.events():
            async with dead_letters.guard(event, "identity"):
                message = identity.check_message(load(event.value))
                before = block_states.get(message["block"])
                # a busy block's resolution can take a good part of a second: off the loop
                result = await asyncio.get_running_loop().run_in_executor(
                    None,
                    functools.partial(
                        identity.handle,
                        message,
                        before,
                        now=datetime.now(UTC),
                        window_days=settings.identity_window_days,
                        retention_days=settings.seen_retention_days,
                    ),
                )
                if result["state"] != before:  # state first: a redelivery re-emits what it records
                    block_states[message["block"]] = result["state"]
                await publish_resolution(result)


def _add_count_agents(w: Wiring) -> None:
    """events.enriched -> contribute (one share per actor) -> actor-contributions -> count
    (concurrency 1, owns actor-counts) -> actors.counts (totals and daily windows)."""
    settings, dead_letters, actor_states = w.settings, w.dead_letters, w.actor_states
    contributions_topic, counts_topic = w.topics["actor-contributions"], w.topics["actors.counts"]
    load = functools.partial(codec.loads_bounded, max_bytes=settings.max_message_bytes)

    @w.app.agent(w.topics["events.enriched"], name="contribute")
    async def contribute_agent(stream: StreamT[bytes]) -> None:
        # Fan out each event to one message per actor, keyed by actor id: the count
        # agent's source is thereby grouped by the table's key.
        async for event in stream.events():
            if event.value is None:
                continue  # a tombstone: identify sent the retractions itself
            async with dead_letters.guard(event, "counts"):
                for share in counting.contributions(decode("events.enriched", event.value, settings)):
                    await contributions_topic.send(key=share["actor_id"].encode(), value=codec.dumps(share))

    async def publish_counts(actor: str, update: counting.CountUpdate, now: datetime) -> None:
        state = update["state"]
        message = actor_counts_message(actor, state["totals"], now)
        await counts_topic.send(key=actor.encode(), value=codec.dumps(message))
        for window in update["windows"]:
            totals = counting.window_totals(state, window)
            if totals is not None:
                day_message = actor_counts_message(actor, totals, now, window)
                await counts_topic.send(
                    key=counting.daily_key(actor, window).encode(), value=codec.dumps(day_message)
                )
        for window in update["expired"]:
            # a tombstone: the compacted topic forgets the window as the table does
            await counts_topic.send(key=counting.daily_key(actor, window).encode(), value=None)

    @w.app.agent(contributions_topic, name="count", concurrency=1)
    async def count_agent(stream: StreamT[bytes]) -> None:
        # Sole writer of actor_states; its source is keyed by the table's key (the actor id).
        async for event in stream.events():
            async with dead_letters.guard(event, "counts"):
                share = counting.check_contribution(load(event.value))
                actor, now = share["actor_id"], datetime.now(UTC)
                before = actor_states.get(actor)
                update = counting.apply(
                    before,
                    share,
                    now=now,
                    retention_days=settings.seen_retention_days,
                    daily_retention_days=settings.daily_retention_days,
                )
                if update["state"] != before:  # state first: a redelivery re-publishes what it holds
                    actor_states[actor] = update["state"]
                await publish_counts(actor, update, now)


def _add_views(w: Wiring) -> None:
    """The HTTP views: /debug/offsets, /actors and /actors/{actor_id} (?window=day[&date=])."""
    app, actor_states = w.app, w.actor_states

    @app.page("/debug/offsets")
    async def offsets(web: View, request: Request) -> Response:
        # where this worker's consumer stands per partition (no article text): what a stalled
        # partition needs for a post-mortem (the drills read it when they stall)
        return web.json(consumer_offsets(app))

    @app.page("/actors")
    async def list_actors(web: View, request: Request) -> Response:
        # This worker's partitions; with several workers, each serves its own share.
        return web.json(
            {actor: state["totals"] for actor, state in actor_states.items() if state is not None}
        )

    @app.page("/actors/{actor_id}")
    @app.table_route(table=actor_states, match_info="actor_id")
    async def get_actor(web: View, request: Request, actor_id: str) -> Response:
        state = actor_states.get(actor_id)
        window = request.query.get("window")
        if window not in (None, "day"):
            return web.json({"error": f"unknown window {window!r}: use window=day"}, status=400)
        if state is None:
            return web.json({"error": f"no counts for actor {actor_id!r}"}, status=404)
        if window == "day":
            days = {day: counting.window_totals(state, day) for day in state["days"]}
            wanted = request.query.get("date")
            if wanted:
                days = {d: v for d, v in days.items() if d == wanted}
            return web.json({"actor_id": actor_id, "window": "day", "days": dict(sorted(days.items()))})
        return web.json({"actor_id": actor_id, **state["totals"]})


def consumer_offsets(app: faust.App) -> dict[str, Any]:
    """Per assigned partition of a stream (changelogs left out): the committed offset, the last
    offset read, the acked offsets not yet committed, the unacked in flight, paused or not."""
    consumer: Any = app.consumer  # Faust's private bookkeeping: read only
    unacked: dict[Any, list[int]] = {}
    for message in list(consumer._unacked_messages):
        unacked.setdefault(message.tp, []).append(message.offset)
    partitions = {}
    for tp in sorted(consumer.assignment()):
        if tp.topic.endswith("-changelog") or "__assignor" in tp.topic:
            continue
        partitions[f"{tp.topic}[{tp.partition}]"] = {
            "committed": consumer._committed_offset.get(tp),
            "read": consumer._read_offset.get(tp),
            "acked": sorted(consumer._acked.get(tp) or [])[:20],
            "unacked": sorted(unacked.get(tp, []))[:20],
            "paused": tp in consumer._paused_partitions,
        }
    return {
        "flow_active": bool(consumer.flow_active),
        "generation": app.consumer_generation_id,
        "partitions": partitions,
    }


async def run_nlp(
    pool: NlpPool, articles: Sequence[NormalizedArticle]
) -> list[ArticleEntities | BaseException]:
    """One pool task for the whole batch; if it fails, one task per article to isolate the culprit.

    After a pool process died, each article runs with the pool to itself, so that only the
    article that kills a process again gets :class:`NlpProcessDied` (and is dead-lettered).
    :class:`NlpPoolClosed` (shutting down) propagates: nothing is dead-lettered, nothing acked.
    """
    if not articles:
        return []
    started = time.perf_counter()
    try:
        batch = await pool.extract(articles)
        metrics.observe_nlp_batch(len(articles), time.perf_counter() - started)
        return list(batch)
    except NlpPoolClosed:
        raise
    except Exception as exc:
        crashed = isinstance(exc, NlpProcessDied)
        # the class only above DEBUG: an exception's message may quote the article
        log.warning("entity batch of %d failed (%s); retrying one by one", len(articles), type(exc).__name__)
        log.debug("entity batch failure", exc_info=True)
    results: list[ArticleEntities | BaseException] = []
    for article in articles:
        results.append(await _extract_one(pool, article, exclusive=crashed))
    return results


async def _extract_one(
    pool: NlpPool, article: NormalizedArticle, *, exclusive: bool
) -> ArticleEntities | BaseException:
    try:
        return (await pool.extract([article], exclusive=exclusive))[0]
    except NlpPoolClosed:
        raise
    except NlpProcessDied as exc:
        if exclusive:
            return exc  # it died with the pool to itself: this article's doing
        return await _extract_one(pool, article, exclusive=True)  # perhaps another batch's doing
    except Exception as exc:
        return exc
