"""The article ledger: which content each article id last had, and where its events went.

In: one bucket of the ledger (a Faust table value: the articles whose ids hash to the bucket),
an article's id, content hash and the blocks of its new candidates, and ``now``, the
processing time. Out: an :class:`Admission`: the bucket's new value, whether to send the
article's candidates, and the blocks to withdraw its previous content from.

* An article id never seen, or seen with this content within ``window_days`` (a redelivery or
  a replay): send the candidates (the identify stage recognises reports it has counted and
  re-emits what they published, so a redelivery after a crash repairs lost output and a replay
  moves nothing). Past ``window_days`` the article's events are final: a replay sends nothing.
* The same id with new content, within ``window_days`` of processing time of the previous
  content: a revision. Send the new candidates, and withdraw the previous content from every
  block it reached that the new content does not (a block the new content reaches replaces
  the old reports itself).
* A content the article had before a revision (an old version replayed), or a revision
  arriving after ``window_days`` (its events are final): send nothing.

Bounds: an article is remembered for ``retention_days`` after its last change, and at most
:data:`MAX_ARTICLES` per bucket (least recently changed forgotten first); an article keeps
its last :data:`MAX_OLD_CONTENTS` superseded contents. Keys and hashes are kept as 16 hex
digits, so a bucket value stays far below Kafka's 1 MB message limit.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from typing import Any, TypedDict, cast

from workers.stages.errors import StageError

MAX_ARTICLES = 3_000  # ~200 bytes each: a bucket stays under 600 kB
MAX_OLD_CONTENTS = 8
BUCKETS_PER_PARTITION = 256
_KEY_CHARS = 16
_DAY_SECONDS = 86_400


class Admission(TypedDict):
    state: dict[
        str, list[Any]
    ]  # article key -> [content, [older contents], changed_at, [blocks], [withdrawn]]
    send: bool  # send the article's candidates
    withdraw: list[str]  # blocks to withdraw the article's previous content from


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_KEY_CHARS]


def bucket_key(partition: int, article_id: str) -> str:
    """The ledger key of an article: its source partition and a hash bucket within it.

    The source topic is keyed by article id, so an article always arrives on one partition;
    naming the partition in the key keeps every bucket written from that partition only.
    """
    bucket = int(_short(article_id)[:4], 16) % BUCKETS_PER_PARTITION
    return f"{partition}:{bucket:02x}"


def check_bucket(value: object) -> dict[str, list[Any]]:
    """A bucket read back from the changelog (None: empty), checked for shape."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StageError("a ledger bucket must be a dict")
    for entry in value.values():
        if not (isinstance(entry, list) and len(entry) == 5 and isinstance(entry[2], int)):
            raise StageError("a ledger entry must be [content, older, changed_at, blocks, withdrawn]")
    return cast(dict[str, list[Any]], value)


def prune(bucket: dict[str, list[Any]], now: int, retention_days: int) -> None:
    """Forget articles unchanged for ``retention_days``, then the oldest beyond :data:`MAX_ARTICLES`."""
    for key in [k for k, e in bucket.items() if now - e[2] > retention_days * _DAY_SECONDS]:
        del bucket[key]
    if len(bucket) > MAX_ARTICLES:
        for key in sorted(bucket, key=lambda k: (bucket[k][2], k))[: len(bucket) - MAX_ARTICLES]:
            del bucket[key]


def admit(
    value: object,
    article_id: str,
    content_hash: str,
    blocks: list[str],
    *,
    now: dt.datetime,
    window_days: int,
    retention_days: int,
) -> Admission:
    """What to do with an article's candidates (see the module docstring). Pure."""
    if now.tzinfo is None:
        raise StageError("now must be an aware date-time")
    if not article_id or not content_hash:
        raise StageError("an article needs an id and a content hash")
    stamp = int(now.timestamp())
    bucket = copy.deepcopy(check_bucket(value))
    prune(bucket, stamp, max(retention_days, window_days))  # remembered while its events can change
    key, content = _short(article_id), content_hash[:_KEY_CHARS]
    blocks = sorted(set(blocks))
    entry = bucket.get(key)
    if entry is None:
        bucket[key] = [content, [], stamp, blocks, []]
        return {"state": bucket, "send": True, "withdraw": []}
    current, older, changed_at, before, withdrawn = entry
    final = stamp - changed_at > window_days * _DAY_SECONDS  # its events can no longer change
    if content == current and not final:  # a redelivery or a replay: what this content caused, again
        return {"state": bucket, "send": True, "withdraw": list(withdrawn)}
    if content == current or content in older or final:
        return {"state": bucket, "send": False, "withdraw": []}
    gone = [b for b in before if b not in blocks]
    bucket[key] = [content, [current, *older][:MAX_OLD_CONTENTS], stamp, blocks, gone]
    return {"state": bucket, "send": True, "withdraw": gone}
