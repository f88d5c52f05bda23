"""The article ledger: redeliveries and replays, revisions (and where their old events are withdrawn),
old contents replayed, late revisions, bounds in processing time."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from workers.stages.errors import StageError
from workers.stages.ledger import MAX_ARTICLES, Admission, admit, bucket_key, check_bucket, prune

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def admit_now(value: object, content: str, blocks: list[str], now: dt.datetime = NOW) -> Admission:
    return admit(value, "article-1", content, blocks, now=now, window_days=7, retention_days=400)


def test_a_new_article_is_sent_and_remembered() -> None:
    first = admit_now(None, "c1", ["SY:idlib"])
    assert first["send"] is True and first["withdraw"] == []
    assert json.loads(json.dumps(first["state"])) == first["state"]


def test_a_redelivery_or_replay_within_the_window_is_sent_again() -> None:
    state = admit_now(None, "c1", ["SY:idlib"])["state"]
    again = admit_now(state, "c1", ["SY:idlib"], now=NOW + DAY)
    assert again["send"] is True and again["state"] == state  # identify recognises its reports
    # past the window the article's events are final: a replay sends nothing at all
    assert admit_now(state, "c1", ["SY:idlib"], now=NOW + 8 * DAY)["send"] is False


def test_a_revision_withdraws_the_old_content_from_blocks_the_new_one_leaves() -> None:
    state = admit_now(None, "c1", ["SY:idlib", "SY:hama"])["state"]
    revised = admit_now(state, "c2", ["SY:idlib", "SY:aleppo"], now=NOW + DAY)
    assert revised["send"] is True and revised["withdraw"] == ["SY:hama"]
    # redelivered: the same candidates and the same withdrawals again
    again = admit_now(revised["state"], "c2", ["SY:idlib", "SY:aleppo"], now=NOW + DAY)
    assert again["send"] is True and again["withdraw"] == ["SY:hama"]
    # the old content replayed later is superseded: nothing is sent
    assert admit_now(revised["state"], "c1", ["SY:idlib", "SY:hama"], now=NOW + 2 * DAY)["send"] is False


def test_a_revision_after_the_window_is_ignored() -> None:
    state = admit_now(None, "c1", ["SY:idlib"])["state"]
    late = admit_now(state, "c2", ["SY:hama"], now=NOW + 8 * DAY)
    assert late["send"] is False and late["withdraw"] == [] and late["state"] == state


def test_buckets_are_pruned_in_processing_time_and_capped() -> None:
    state = admit_now(None, "c1", ["SY:idlib"])["state"]
    # more than the retention later the article is forgotten (the documented bound)
    later = admit(state, "other", "c9", [], now=NOW + 401 * DAY, window_days=7, retention_days=400)["state"]
    assert len(state) == 1 and len(later) == 1 and later.keys() != state.keys()
    stamp = int(NOW.timestamp())
    bucket = {f"{i:016x}": ["c", [], stamp + i, [], []] for i in range(MAX_ARTICLES + 5)}
    prune(bucket, stamp + MAX_ARTICLES + 5, retention_days=400)
    assert len(bucket) == MAX_ARTICLES and f"{0:016x}" not in bucket
    assert len(json.dumps(bucket)) < 900_000


def test_bucket_keys_name_the_partition() -> None:
    assert bucket_key(3, "article-1").startswith("3:")
    assert bucket_key(3, "article-1") == bucket_key(3, "article-1")
    assert len({bucket_key(0, f"a{i}") for i in range(2000)}) > 200  # spread over the buckets


def test_bad_input_is_rejected() -> None:
    with pytest.raises(StageError):
        check_bucket({"x": [1, 2]})
    with pytest.raises(StageError):
        admit(None, "a", "c", [], now=dt.datetime(2026, 1, 1), window_days=7, retention_days=400)
    with pytest.raises(StageError):
        admit(None, "", "c", [], now=NOW, window_days=7, retention_days=400)
