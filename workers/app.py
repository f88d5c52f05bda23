"""The Faust application: topics, tables, agents and HTTP views, built from Settings.

In: :class:`workers.settings.Settings`. Out: a :class:`Conflictwire` holding the
``faust.App`` and handles on its topics and tables. The topology:

    articles.raw ──normalize──▶ articles.normalized ──entities (batched spaCy)──▶ articles.entities
        ──events──▶ <app>.event-candidates (keyed by block) ──identify (concurrency 1, owns recent-events)──▶
        events.enriched ──contribute (one per actor, keyed by actor id)──▶
        <app>.actor-contributions ──count (concurrency 1, owns the tables)──▶ actors.counts

Every agent is thin wiring: decode, call a pure stage from ``workers.stages``, send,
or dead-letter (``workers.dlq``). All values travel as raw bytes and are decoded
here through ``workers.codec`` and checked against ``schemas/`` so that a bad
message becomes a dead letter instead of a decode error that Faust would log and
skip.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import StreamT, TableT
from faust.web import Request, Response, View

from workers import codec, schemas
from workers.dlq import DeadLetters
from workers.faust_compat import apply_broker_workarounds
from workers.settings import Settings
from workers.stages import counts as counting
from workers.stages import identity
from workers.stages.entities import extract_entities_batch
from workers.stages.events import assemble_events
from workers.stages.normalize import normalize
from workers.types import ActorCounts, ArticleEntities, NormalizedArticle, RawArticle

log = logging.getLogger(__name__)


def decode(topic: str, value: bytes | None) -> Any:
    """Bytes off ``topic`` -> a payload that conforms to the topic's schema."""
    if value is None:
        raise codec.DecodeError("empty message (no value)")
    payload = codec.loads(value)
    schemas.validate(topic, payload)
    return payload


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


@dataclass
class Conflictwire:
    settings: Settings
    app: faust.App
    topics: dict[str, faust.TopicT]
    actor_totals: TableT[str, Any]
    applied_contributions: TableT[str, Any]
    dead_letters: DeadLetters


def build_app(settings: Settings) -> Conflictwire:
    apply_broker_workarounds()  # table recovery on the embedded broker; a no-op in effect on Kafka
    app = faust.App(
        settings.app_id,
        broker=settings.broker_url,
        store=settings.table_store,
        datadir=str(settings.data_dir / settings.app_id),
        topic_partitions=settings.partitions,
        topic_replication_factor=1,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=max(1.0, settings.session_timeout / 5),
        processing_guarantee="at_least_once",
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_in_thread=False,
        table_cleanup_interval=30.0,
    )
    names = settings.topics

    def topic(name: str, *, internal: bool = True, compacting: bool = False) -> faust.TopicT:
        return app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.partitions,
            internal=internal,
            compacting=compacting or None,
        )

    raw_topic = topic(names.raw)
    normalized_topic = topic(names.normalized)
    entities_topic = topic(names.entities)
    enriched_topic = topic(names.enriched)
    dead_letter_topic = topic(names.dead_letter)
    counts_topic = topic(names.actor_counts, compacting=True)
    contributions_topic = topic(settings.contributions_topic)
    candidates_topic = topic(settings.candidates_topic)

    dead_letters = DeadLetters(dead_letter_topic)
    # The count agent is the only writer of both tables; both are partitioned like its source topic.
    actor_totals = app.Table("actor-totals", default=None, partitions=settings.partitions)
    applied_contributions = app.Table(
        "actor-event-contributions", default=None, partitions=settings.partitions
    )
    actor_daily = app.Table("actor-daily", default=None, partitions=settings.partitions)
    # the dated daily windows each actor has, oldest first: what to expire, what to serve
    actor_days = app.Table("actor-days", default=None, partitions=settings.partitions)
    # Written only by the identify agent: recent events per block (country:governorate), pruned to a window.
    recent_events = app.Table("recent-events", default=None, partitions=settings.partitions)

    @app.task  # type: ignore[untyped-decorator]  # faust leaves this decorator untyped
    async def declare_output_topics() -> None:
        # Topics nobody in this app consumes are not declared by Faust itself.
        for output in (dead_letter_topic, counts_topic, enriched_topic):
            await output.maybe_declare()

    @app.agent(raw_topic, name="normalize")
    async def normalize_agent(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            async with dead_letters.guard(event, "normalize"):
                raw: RawArticle = decode("articles.raw", event.value)
                article = normalize(raw)
                await normalized_topic.send(key=article["id"].encode(), value=codec.dumps(article))

    @app.agent(normalized_topic, name="entities")
    async def entities_agent(stream: StreamT[bytes]) -> None:
        loop = asyncio.get_running_loop()
        async for batch in stream.take_events(  # type: ignore[attr-defined]  # Stream has it, StreamT does not declare it
            settings.nlp_batch_size, within=settings.nlp_batch_seconds
        ):
            good: list[tuple[Any, NormalizedArticle]] = []
            for event in batch:
                async with dead_letters.guard(event, "entities"):
                    good.append((event, decode("articles.normalized", event.value)))
            results = await run_nlp(loop, [article for _, article in good], settings.spacy_model)
            for (event, _), result in zip(good, results, strict=True):
                async with dead_letters.guard(event, "entities"):
                    if isinstance(result, BaseException):
                        raise result
                    await entities_topic.send(key=result["id"].encode(), value=codec.dumps(result))

    @app.agent(entities_topic, name="events")
    async def events_agent(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            async with dead_letters.guard(event, "events"):
                entities: ArticleEntities = decode("articles.entities", event.value)
                text = f"{entities['title']}\n\n{entities['text']}"
                for enriched in assemble_events(entities):
                    schemas.validate("events.enriched", enriched)
                    candidate = identity.candidate_for(
                        enriched, entities["content_hash"], text, entities["published_at"]
                    )
                    await candidates_topic.send(key=candidate["block"].encode(), value=codec.dumps(candidate))

    @app.agent(candidates_topic, name="identify", concurrency=1)
    async def identify_agent(stream: StreamT[bytes]) -> None:
        # Sole writer of recent_events; its source is keyed by the table's key (the block).
        async for event in stream.events():
            async with dead_letters.guard(event, "identity"):
                candidate = codec.loads(event.value)
                block = identity.check_candidate(candidate)["block"]
                known = identity.check_known(recent_events.get(block) or [])
                resolution = identity.resolve(candidate, known, window_days=settings.identity_window_days)
                if resolution["known"] != known:
                    recent_events[block] = resolution["known"]
                if resolution["emit"] is not None:
                    emitted = resolution["emit"]
                    await enriched_topic.send(key=emitted["event_id"].encode(), value=codec.dumps(emitted))

    @app.agent(enriched_topic, name="contribute")
    async def contribute_agent(stream: StreamT[bytes]) -> None:
        # Fan out each event to one message per actor, keyed by actor id: the count
        # agent's source is thereby grouped by the tables' key.
        async for event in stream.events():
            async with dead_letters.guard(event, "counts"):
                for share in counting.contributions(decode("events.enriched", event.value)):
                    await contributions_topic.send(key=share["actor_id"].encode(), value=codec.dumps(share))

    def window_totals(actor_id: str, day: str | None) -> counting.Totals | None:
        totals: counting.Totals | None = actor_daily.get(counting.daily_key(actor_id, day))
        return totals

    @app.agent(contributions_topic, name="count", concurrency=1)
    async def count_agent(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            async with dead_letters.guard(event, "counts"):
                share = counting.check_contribution(codec.loads(event.value))
                key = counting.contribution_key(share["actor_id"], share["event_id"])
                applied = applied_contributions.get(key)
                totals = counting.apply_contribution(actor_totals.get(share["actor_id"]), applied, share)
                if totals is None:
                    continue  # a redelivery or an older version: nothing moves
                now = datetime.now(UTC)
                actor = share["actor_id"]
                days = actor_days.get(actor) or []
                daily = counting.daily_update(
                    applied,
                    share,
                    days,
                    functools.partial(window_totals, actor),
                    settings.daily_retention_days,
                )
                for day, day_totals in daily.writes:
                    day_key = counting.daily_key(actor, day)
                    actor_daily[day_key] = day_totals
                    message = actor_counts_message(actor, day_totals, now, day or counting.UNDATED)
                    await counts_topic.send(key=day_key.encode(), value=codec.dumps(message))
                for day in daily.expired:
                    day_key = counting.daily_key(actor, day)
                    # a tombstone: the compacted topic forgets the window as the table does
                    actor_daily.pop(day_key, None)
                    await counts_topic.send(key=day_key.encode(), value=None)
                if daily.days != days:
                    actor_days[actor] = daily.days
                applied_contributions[key] = share
                actor_totals[share["actor_id"]] = totals
                message = actor_counts_message(share["actor_id"], totals, now)
                await counts_topic.send(key=share["actor_id"].encode(), value=codec.dumps(message))

    @app.page("/actors")
    async def list_actors(web: View, request: Request) -> Response:
        # This worker's partitions; with several workers, each serves its own share.
        return web.json({actor_id: totals for actor_id, totals in actor_totals.items() if totals is not None})

    @app.page("/actors/{actor_id}")
    @app.table_route(table=actor_totals, match_info="actor_id")
    async def get_actor(web: View, request: Request, actor_id: str) -> Response:
        totals = actor_totals.get(actor_id)
        window = request.query.get("window")
        if window not in (None, "day"):
            return web.json({"error": f"unknown window {window!r}: use window=day"}, status=400)
        if totals is None:
            return web.json({"error": f"no counts for actor {actor_id!r}"}, status=404)
        if window == "day":
            dated: list[str | None] = [*(actor_days.get(actor_id) or []), None]
            days = {
                day or counting.UNDATED: totals
                for day in dated
                if (totals := actor_daily.get(counting.daily_key(actor_id, day)))
            }
            wanted = request.query.get("date")
            if wanted:
                days = {d: v for d, v in days.items() if d == wanted}
            return web.json({"actor_id": actor_id, "window": "day", "days": dict(sorted(days.items()))})
        return web.json({"actor_id": actor_id, **totals})

    return Conflictwire(
        settings=settings,
        app=app,
        topics={
            "articles.raw": raw_topic,
            "articles.normalized": normalized_topic,
            "articles.entities": entities_topic,
            "events.enriched": enriched_topic,
            "articles.dead-letter": dead_letter_topic,
            "actors.counts": counts_topic,
            "actor-contributions": contributions_topic,
            "event-candidates": candidates_topic,
        },
        actor_totals=actor_totals,
        applied_contributions=applied_contributions,
        dead_letters=dead_letters,
    )


async def run_nlp(
    loop: asyncio.AbstractEventLoop, articles: Sequence[NormalizedArticle], model: str
) -> list[ArticleEntities | BaseException]:
    """One executor call for the whole batch; if the batch fails, retry one by one to isolate the culprit."""
    if not articles:
        return []
    try:
        return list(await loop.run_in_executor(None, _extract_batch, model, list(articles)))
    except Exception:
        log.exception("entity batch of %d failed; retrying one by one", len(articles))
    results: list[ArticleEntities | BaseException] = []
    for article in articles:
        try:
            results.extend(await loop.run_in_executor(None, _extract_batch, model, [article]))
        except Exception as exc:
            results.append(exc)
    return results


def _extract_batch(model: str, articles: list[NormalizedArticle]) -> list[ArticleEntities]:
    from workers.nlp.pipeline import load_pipeline  # loaded once per process (cached)

    return extract_entities_batch(load_pipeline(model), articles)
