"""The poller's pure parts: feeds -> items, pages -> raw articles, ids, backoff, state folding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workers import schemas
from workers.feeds import items
from workers.feeds.poller import HostBackoff, PollState

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
BASE = "http://news.test"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (DATA / name).read_text().replace("{base}", BASE).replace("{slow}", "http://slow.test").encode()


def item_for(link: str, published_at: str | None = "2026-11-20T08:30:00+00:00") -> items.FeedItem:
    return items.FeedItem(f"{BASE}/feeds/world.xml", link, None, published_at, "en-us")


def test_rss_items_carry_absolute_links_entry_times_and_the_feed_language() -> None:
    found = items.parse_feed(fixture("world_v1.xml"), f"{BASE}/feeds/world.xml")
    assert [i.link.removeprefix(BASE) for i in found] == [
        "/articles/maarat-shelling.html",
        "/articles/ariha-airstrike.html?utm_source=rss&utm_medium=feed",
        "/articles/withdrawn.html",
    ]
    assert found[1].published_at == "2026-11-21T06:10:00+00:00"
    assert {i.language for i in found} == {"en-us"}
    assert found[0].host == "news.test"


def test_atom_items_are_read_too() -> None:
    (only,) = items.parse_feed(fixture("slow_atom.xml"), f"{BASE}/feeds/slow.xml")
    assert only.link == "http://slow.test/articles/hama-clashes.html"
    assert only.title == "Clashes reported east of Hama" and only.language == "en"


def test_a_document_that_is_not_a_feed_is_a_feed_error() -> None:
    with pytest.raises(items.FeedError, match="not a usable feed"):
        items.parse_feed(fixture("broken.xml"), f"{BASE}/feeds/broken.xml")
    with pytest.raises(items.FeedError):
        items.parse_feed(b"", f"{BASE}/feeds/empty.xml")


def test_an_empty_but_well_formed_feed_has_no_items() -> None:
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert items.parse_feed(empty, f"{BASE}/feeds/quiet.xml") == []


def test_a_page_becomes_a_raw_article_keyed_by_its_canonical_url() -> None:
    link = f"{BASE}/m/maarat-shelling.html"
    article = items.page_article(
        fixture("pages/maarat-shelling-mobile.html"), item_for(link), link, 512 * 1024
    )
    schemas.validate("articles.raw", article)
    assert article["url"] == f"{BASE}/articles/maarat-shelling.html"  # the page's canonical link wins
    assert article["id"] == items.article_id(f"{BASE}/articles/maarat-shelling.html")
    assert article["title"] == "Government shelling kills nine in Maarat al-Numan"
    assert article["body"].startswith("Nine civilians were killed")  # headline not repeated in the body
    assert "Home" not in article["body"]  # navigation is boilerplate, left out by trafilatura
    assert article["source"] == "Testwire"
    assert article["published_at"].startswith("2026-11-20T08:30:00")
    assert article["language"] == "en-us"


def test_a_page_without_text_is_a_page_error() -> None:
    link = f"{BASE}/articles/photo-gallery.html"
    page = fixture("pages/photo-gallery.html")
    with pytest.raises(items.PageError, match="no article text"):
        items.page_article(page, item_for(link), link, 512 * 1024)


def test_an_article_over_the_size_limit_is_a_page_error() -> None:
    link = f"{BASE}/articles/ariha-airstrike.html"
    with pytest.raises(items.PageError, match="over the limit"):
        items.page_article(fixture("pages/ariha-airstrike.html"), item_for(link), link, 600)


def test_article_ids_ignore_tracking_parameters_fragments_and_host_case() -> None:
    plain = items.article_id("https://news.test/a/story.html")
    assert items.article_id("https://NEWS.test/a/story.html?utm_source=rss#comments") == plain
    assert items.article_id("https://news.test/a/other.html") != plain
    assert plain.startswith("web-") and len(plain) == 28
    assert items.item_key(f"{BASE}/x.html?utm_medium=feed") == items.item_key(f"{BASE}/x.html")


@pytest.mark.parametrize(
    ("found", "feed_time", "expected"),
    [
        ("2026-11-20T08:30:00+0000", "2026-11-20T09:00:00+00:00", "2026-11-20T08:30:00+0000"),
        ("2026-11-20T00:00:00", "2026-11-20T09:00:00+00:00", "2026-11-20T09:00:00+00:00"),
        ("2026-11-20T00:00:00", "2026-11-21T09:00:00+00:00", "2026-11-20"),
        (None, "2026-11-21T09:00:00+00:00", "2026-11-21T09:00:00+00:00"),
        (None, None, None),
    ],
)
def test_the_page_date_wins_and_the_feed_time_sharpens_a_bare_day(
    found: str | None, feed_time: str | None, expected: str | None
) -> None:
    assert items._published_at(found, item_for(f"{BASE}/a.html", feed_time)) == expected


def test_language_tags_are_normalised_or_dropped() -> None:
    assert items.language_tag("en-US") == "en-us"
    assert items.language_tag("en_GB") == "en-gb"
    assert items.language_tag("english") is None
    assert items.language_tag(None) is None


def test_backoff_doubles_per_failure_up_to_the_maximum_and_resets_on_success() -> None:
    backoff = HostBackoff(base=10.0, maximum=35.0)
    assert backoff.ready("a", 0.0)
    assert backoff.failed("a", 100.0) == 10.0
    assert not backoff.ready("a", 105.0) and backoff.ready("a", 110.0)
    assert backoff.ready("b", 105.0)  # per host
    assert backoff.failed("a", 110.0) == 20.0
    assert backoff.failed("a", 130.0) == 35.0
    assert backoff.remaining("a", 140.0) == 25.0
    backoff.succeeded("a")
    assert backoff.ready("a", 140.0) and backoff.failed("a", 140.0) == 10.0


def test_state_records_fold_into_items_articles_and_validators() -> None:
    state = PollState()
    item = item_for(f"{BASE}/articles/maarat-shelling.html")
    published = items.item_record(item, "published", "web-1", NOW)
    dead = items.item_record(item_for(f"{BASE}/gone.html"), "dead-letter", None, NOW)
    feed = items.feed_record(f"{BASE}/feeds/world.xml", '"abc"', None, NOW)
    for record in (published, dead, feed):
        schemas.validate("feeds.state", record)
    state.apply("item|1", published)
    state.apply("item|2", dead)
    state.apply(items.feed_key(f"{BASE}/feeds/world.xml"), feed)
    assert set(state.items) == {"item|1", "item|2"} and state.articles == {"web-1"}
    assert state.feeds[f"feed|{BASE}/feeds/world.xml"]["etag"] == '"abc"'
    state.apply("item|2", None)  # a tombstone forgets
    assert set(state.items) == {"item|1"}


def test_a_late_echo_of_an_older_feed_record_keeps_the_newer_validators() -> None:
    state, key = PollState(), items.feed_key(f"{BASE}/feeds/world.xml")
    first = items.feed_record(f"{BASE}/feeds/world.xml", '"v1"', None, NOW)
    second = items.feed_record(f"{BASE}/feeds/world.xml", '"v2"', None, NOW + timedelta(minutes=5))
    state.apply(key, second)  # written by this poller and applied at once
    state.apply(key, first)  # read back from the state topic afterwards
    assert state.feeds[key]["etag"] == '"v2"'
    state.apply(key, items.feed_record(f"{BASE}/feeds/world.xml", '"v3"', None, NOW + timedelta(hours=1)))
    assert state.feeds[key]["etag"] == '"v3"'


def test_feed_lists_join_arguments_and_file_without_comments_or_repeats(tmp_path: Path) -> None:
    from workers.cli import _feed_urls

    listed = tmp_path / "feeds.txt"
    listed.write_text(
        "# world desks\nhttp://a.test/rss.xml\n\nhttp://b.test/atom.xml  # regional\nhttp://a.test/rss.xml\n"
    )
    assert _feed_urls(("http://c.test/feed",), listed) == [
        "http://c.test/feed",
        "http://a.test/rss.xml",
        "http://b.test/atom.xml",
    ]
