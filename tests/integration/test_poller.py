"""``conflictwire poll`` against a local HTTP server and the real broker.

The fixture server (tests/support/feed_server.py) serves our own feeds and pages: a feed that
changes between polls, a 404, a slow host, a failing host and a document that is not a feed.
Each test reads the topics back the way the worker would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.feed_server import FeedServer
from workers import codec, kafka_io, schemas
from workers.broker import acreate_topics
from workers.feeds import items
from workers.feeds.poller import Poller, PollerConfig

pytestmark = pytest.mark.broker


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feeds = await FeedServer(slow_seconds=3.0).start()
    yield feeds
    await feeds.stop()


async def config_for(bootstrap: str, prefix: str, feeds: list[str], **limits: Any) -> PollerConfig:
    raw, dead = f"{prefix}articles.raw", f"{prefix}articles.dead-letter"
    await acreate_topics(bootstrap, {raw: 4, dead: 4})
    options: dict[str, Any] = {"timeout": 1.0, "max_attempts": 1, "backoff_base": 60.0, **limits}
    return PollerConfig(tuple(feeds), bootstrap, raw, f"{prefix}feeds.state", dead, **options)


async def values(bootstrap: str, topic: str) -> list[tuple[str | None, Any]]:
    records = [r async for r in kafka_io.read_topic(bootstrap, topic, idle_seconds=0.5)]
    return [(r.key.decode() if r.key else None, codec.loads(r.value or b"null")) for r in records]


def sample(poller: Poller, name: str, **labels: str) -> float:
    return poller.registry.get_sample_value(name, labels) or 0.0


async def test_poll_publishes_new_items_dead_letters_the_rest_and_remembers(
    server: FeedServer, kafka_bootstrap: str, topic_prefix: str
) -> None:
    urls = [
        f"{server.base}/feeds/world.xml",
        f"{server.base}/feeds/slow.xml",
        f"{server.base}/feeds/broken.xml",
    ]
    config = await config_for(kafka_bootstrap, topic_prefix, urls)
    async with Poller(config) as poller:
        await poller.poll_once()
        raw = await values(kafka_bootstrap, config.raw_topic)
        assert sorted(a["url"].removeprefix(server.base) for _, a in raw) == [
            "/articles/ariha-airstrike.html",  # the canonical URL, tracking parameters gone
            "/articles/maarat-shelling.html",
        ]
        for key, article in raw:
            schemas.validate("articles.raw", article)
            assert key == article["id"] == items.article_id(article["url"])
        letters = {
            v["key"].removeprefix(server.base).removeprefix(server.slow): v
            for _, v in await values(kafka_bootstrap, config.dead_letter_topic)
        }
        assert set(letters) == {"/articles/withdrawn.html", "/articles/hama-clashes.html"}
        assert "HTTP 404" in letters["/articles/withdrawn.html"]["reason"]
        assert "within 1s" in letters["/articles/hama-clashes.html"]["reason"]  # the slow host timed out
        for letter in letters.values():
            schemas.validate("articles.dead-letter", letter)
            assert letter["stage"] == "poll" and codec.loads(
                __import__("base64").b64decode(letter["original"])
            )
        assert sample(poller, "conflictwire_poller_items_total", host="127.0.0.1", outcome="published") == 2
        assert sample(poller, "conflictwire_poller_items_total", host="127.0.0.2", outcome="dead_letter") == 1
        assert (
            sample(poller, "conflictwire_poller_feed_errors_total", host="127.0.0.1", reason="malformed") == 1
        )

        server.switch("world_v2.xml")  # one new story, a photo page, and the first story via its mobile URL
        await poller.poll_once()
        raw = await values(kafka_bootstrap, config.raw_topic)
        assert len(raw) == 3 and f"{server.base}/articles/deir-car-bomb.html" in {a["url"] for _, a in raw}
        assert sample(poller, "conflictwire_poller_items_total", host="127.0.0.1", outcome="duplicate") == 1
        letters_now = await values(kafka_bootstrap, config.dead_letter_topic)
        assert len(letters_now) == 3
        assert any("no article text" in letter["reason"] for _, letter in letters_now)

        await poller.poll_once()  # nothing changed: the feed is asked conditionally and answers 304
        assert server.seen("/feeds/world.xml")[-1].headers.get("If-None-Match")
        assert (
            sample(
                poller,
                "conflictwire_poller_fetches_total",
                host="127.0.0.1",
                kind="feed",
                result="not_modified",
            )
            == 1
        )

    server.switch("world_v1.xml")  # an older copy again: everything in it is known
    async with Poller(config) as restarted:  # a restart (or a second poller) reads the state topic
        assert len(restarted.state.items) == 7
        await restarted.poll_once()
        assert (
            sample(restarted, "conflictwire_poller_items_total", host="127.0.0.1", outcome="published") == 0
        )
    assert len(await values(kafka_bootstrap, config.raw_topic)) == 3
    assert len(await values(kafka_bootstrap, config.dead_letter_topic)) == 3
    for _, record in await values(kafka_bootstrap, config.state_topic):
        schemas.validate("feeds.state", record)


async def test_a_failing_host_backs_off_and_its_items_wait_for_a_later_round(
    server: FeedServer, kafka_bootstrap: str, topic_prefix: str
) -> None:
    config = await config_for(
        kafka_bootstrap, topic_prefix, [f"{server.base}/feeds/flaky.xml"], max_attempts=2
    )
    async with Poller(config) as poller:
        await poller.poll_once()
        assert len(server.seen("/flaky/story.html")) == 1
        assert sample(poller, "conflictwire_poller_items_total", host="127.0.0.2", outcome="retry") == 1
        assert sample(poller, "conflictwire_poller_host_backoff_seconds", host="127.0.0.2") == 60.0
        await poller.poll_once()  # the host is backing off: the item waits, nothing is asked of it
        assert len(server.seen("/flaky/story.html")) == 1
        assert sample(poller, "conflictwire_poller_items_total", host="127.0.0.2", outcome="deferred") == 1
        poller.backoff.succeeded("127.0.0.2")  # as if the backoff had run out
        await poller.poll_once()  # second failure: max_attempts reached, dead-lettered for good
    assert len(server.seen("/flaky/story.html")) == 2
    (letter,) = [v for _, v in await values(kafka_bootstrap, config.dead_letter_topic)]
    assert "HTTP 503" in letter["reason"] and letter["error"] == "TransientError"
    assert await values(kafka_bootstrap, config.raw_topic) == []


async def test_requests_to_one_host_never_exceed_the_per_host_limit(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    server = await FeedServer(slow_seconds=0.5).start()
    try:
        feed = f"{server.base}/feeds/slow_many.xml"
        config = await config_for(kafka_bootstrap, topic_prefix, [feed], per_host=2, timeout=10.0)
        async with Poller(config) as poller:
            await poller.poll_once()
            assert (
                sample(poller, "conflictwire_poller_items_total", host="127.0.0.2", outcome="published") == 3
            )
    finally:
        await server.stop()
    assert server.most_in_flight["127.0.0.2"] == 2  # three pages wanted, two asked at a time
    assert len(await values(kafka_bootstrap, config.raw_topic)) == 3
