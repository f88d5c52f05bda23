"""Feeds and pages -> items and raw articles; the poller's state records. Pure: no I/O, no clock.

In: the bytes of a feed (RSS or Atom, parsed by feedparser) or of an article page (read by
trafilatura: title, text, date, canonical URL, site name), the feed item it came from, and
``now`` where a record is stamped. Out: :class:`FeedItem` values, ``articles.raw`` v1 payloads
keyed by :func:`article_id` (a hash of the normalised canonical URL, so the same article
reached through two feeds or two tracking-laden links gets one id), and ``feeds.state`` v1
records. Bad input raises :class:`FeedError` (a feed) or :class:`PageError` (a page); the
poller turns the latter into dead letters.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import courlan
import feedparser
import trafilatura
from trafilatura.settings import Document

from workers import codec, schemas

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z]{2,4})?$")
# trafilatura (htmldate) writes a time only when the page states one; a bare date comes back
# as midnight without an offset, which we must not pass on as a precise time.
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": _DATE_FORMAT}
_MIDNIGHT_NO_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2})T00:00:00$")


class FeedError(ValueError):
    """The bytes are not an RSS or Atom feed."""


class PageError(ValueError):
    """A page that yields no usable article (no text, or a payload our schema refuses)."""


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: where its page is, and what the feed itself says about it."""

    feed_url: str
    link: str  # absolute URL of the item's page
    title: str | None
    published_at: str | None  # the entry's own time, ISO 8601 UTC
    language: str | None  # the feed's declared language, if it is a usable tag

    @property
    def host(self) -> str:
        return urlsplit(self.link).hostname or "unknown"

    def as_json(self) -> bytes:
        """The item as a JSON document: what a dead letter carries as its original."""
        return codec.dumps(
            {
                "feed_url": self.feed_url,
                "link": self.link,
                "title": self.title,
                "published_at": self.published_at,
            }
        )


def language_tag(value: object) -> str | None:
    """A feed's or page's language ("en-US", "EN") -> our schema's form ("en-us"), or None."""
    if not isinstance(value, str):
        return None
    tag = value.strip().lower().replace("_", "-")
    return tag if _LANGUAGE.match(tag) else None


def _entry_time(entry: Any) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    # feedparser gives UTC struct_time values; timegm keeps them in UTC
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()


def parse_feed(content: bytes, feed_url: str) -> list[FeedItem]:
    """The items of an RSS/Atom document, links made absolute against ``feed_url``.

    A document with no entries is a :class:`FeedError` when feedparser found it ill-formed
    or not a feed at all; a well-formed feed that is merely empty gives ``[]``.
    """
    # a file object, never a string: feedparser would fetch a string that looks like a URL
    parsed = feedparser.parse(io.BytesIO(content))
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        problem = parsed.get("bozo_exception") or "no RSS or Atom elements"
        raise FeedError(f"not a usable feed: {problem}")
    language = language_tag(parsed.feed.get("language"))
    items = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue  # an entry without a page has nothing for us to fetch
        items.append(
            FeedItem(
                feed_url=feed_url,
                link=urljoin(feed_url, link),
                title=entry.get("title") or None,
                published_at=_entry_time(entry),
                language=language,
            )
        )
    return items


def canonical_form(url: str) -> str:
    """The URL as compared for identity: courlan's normalisation, tracking parameters dropped."""
    return str(courlan.normalize_url(url, strict=True))


def article_id(canonical_url: str) -> str:
    """A stable article id from the canonical URL (``web-`` and 24 hex digits of its SHA-256)."""
    return "web-" + hashlib.sha256(canonical_form(canonical_url).encode()).hexdigest()[:24]


def item_key(link: str) -> str:
    """The state topic's key for an item, from its link (the same link in two feeds: one key)."""
    return "item|" + hashlib.sha256(canonical_form(link).encode()).hexdigest()[:32]


def feed_key(feed_url: str) -> str:
    return f"feed|{feed_url}"


def _published_at(found: str | None, item: FeedItem) -> str | None:
    """The page's date (trafilatura), sharpened by the feed's time when both name the same day."""
    if found:
        bare = _MIDNIGHT_NO_OFFSET.match(found)
        if not bare:
            return found
        day = bare.group(1)
        if item.published_at and item.published_at.startswith(day):
            return item.published_at
        return day
    return item.published_at


def _body(text: str, title: str | None) -> str:
    # trafilatura keeps the headline as the text's first line; the title field already has it
    lines = text.strip().split("\n")
    if title and lines and lines[0].strip() == title.strip():
        lines = lines[1:]
    return "\n\n".join(line.strip() for line in lines if line.strip())


def page_article(page: bytes | str, item: FeedItem, final_url: str, max_bytes: int) -> dict[str, Any]:
    """An article page -> an ``articles.raw`` v1 payload (id from the canonical URL).

    ``final_url`` is where the page was served from (after redirects); the page's canonical
    link, when it has one, wins. Raises :class:`PageError` when trafilatura finds no text
    or the payload would break the schema or ``max_bytes``.
    """
    document = trafilatura.bare_extraction(  # a Document, as as_dict is off
        page,
        url=final_url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params=_DATE_PARAMS,
    )
    if not isinstance(document, Document) or not (document.text or "").strip():
        raise PageError("no article text found on the page")
    title = document.title or item.title
    body = _body(document.text or "", title)
    if not body:
        raise PageError("the page holds a headline but no article text")
    canonical = document.url or final_url
    article: dict[str, Any] = {
        "id": article_id(canonical),
        "title": title,
        "body": body,
        "source": document.sitename or urlsplit(canonical).hostname or item.host,
        "url": canonical,
        "published_at": _published_at(document.date, item),
    }
    language = language_tag(document.language) or item.language
    if language:
        article["language"] = language
    try:
        schemas.validate("articles.raw", article)
    except schemas.SchemaViolation as exc:
        raise PageError(str(exc)) from exc
    size = len(codec.dumps(article))
    if size > max_bytes:
        raise PageError(f"article of {size} bytes is over the limit of {max_bytes} bytes")
    return article


def item_record(item: FeedItem, outcome: str, article: str | None, now: datetime) -> dict[str, Any]:
    """``feeds.state`` v1 for a finished item: ``published`` (with its article id) or ``dead-letter``."""
    return {
        "schema_version": 1,
        "kind": "item",
        "feed_url": item.feed_url,
        "link": item.link,
        "outcome": outcome,
        "article_id": article,
        "at": now.isoformat(),
    }


def feed_record(feed_url: str, etag: str | None, last_modified: str | None, now: datetime) -> dict[str, Any]:
    """``feeds.state`` v1 for a feed: the validators to send with the next request."""
    return {
        "schema_version": 1,
        "kind": "feed",
        "feed_url": feed_url,
        "etag": etag,
        "last_modified": last_modified,
        "at": now.isoformat(),
    }
