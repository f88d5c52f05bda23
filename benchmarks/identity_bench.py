"""Identity stage cost per article, and a digest of everything it outputs, on the dev articles.

In: the three dev sets (``shared/eval/*_dev.jsonl`` beside the repository) with their entities
from the evaluation cache (``$CONFLICTWIRE_DATA_DIR/eval-cache``; a missing entry aborts: run
``conflictwire evaluate`` once first). Out, per implementation and run: CPU ms per article of
``candidate_for`` (signatures) and of ``handle`` (every candidate, in dev file order, against
its block's state), the state's JSON round trip through :mod:`workers.codec` (as a table
value would make it) timed apart, and a SHA-256 digest of every resolution's output (emitted
events, retractions, event id, duplicate-of, outcome) and one of the final states.

``--base REV`` also loads identity.py and similarity.py as they are at git revision REV and
runs them interleaved with the working copy (A/B, ``--repeats`` rounds), printing min and
median per implementation. ``--copies`` sends the corpus that many times (distinct ids and
content, as ``make bench`` does; default 3). Processing time is a fixed clock advancing 60 s per article.

    .venv/bin/python benchmarks/identity_bench.py [--base HEAD] [--repeats 3] [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python benchmarks/identity_bench.py`

from dev_cache import cached_entities, module_at

from workers import codec
from workers.evaluation.devsets import SET_NAMES
from workers.stages import identity
from workers.stages.events import assemble_events

START = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
Article = tuple[str, list[Any], str, str]  # content hash, events, text, published_at


def articles(limit: int | None) -> list[Article]:
    """The dev articles' events (shipped models), in set and file order."""
    out: list[Article] = []
    for ent in cached_entities(SET_NAMES):
        text = f"{ent['title']}\n\n{ent['text']}"
        out.append((ent["content_hash"], assemble_events(ent), text, ent["published_at"]))
    return out[:limit] if limit else out


def copied(arts: list[Article], copies: int) -> list[Article]:
    """``arts`` sent ``copies`` times, each copy a distinct article (id, content hash, title), as
    ``make bench`` repeats the corpus: blocks fill up as they would with a longer stream."""
    out = list(arts)
    for k in range(1, copies):
        for content_hash, events, text, published_at in arts:
            new_hash = hashlib.sha256(f"{k}:{content_hash}".encode()).hexdigest()
            moved = []
            for index, event in enumerate(events):
                event = codec.loads(codec.dumps(event))
                event["event_id"] = "evt-" + hashlib.sha1(f"{new_hash}:{index}".encode()).hexdigest()[:16]
                event["article_id"] = f"{event['article_id']}~{k}"
                for source in event["sources"]:
                    source["article_id"] = f"{source['article_id']}~{k}"
                moved.append(event)
            out.append((new_hash, moved, f"({k}) {text}", published_at))
    return out


def load_revision(rev: str) -> types.ModuleType:
    """identity.py (with its similarity.py) as of git revision ``rev``, as a separate module."""

    module_at(rev, "workers/stages/similarity.py", "_base_similarity")
    return module_at(
        rev,
        "workers/stages/identity.py",
        "_base_identity",
        ("from workers.stages.similarity import", "from _base_similarity import"),
    )


def run(impl: types.ModuleType, arts: list[Article]) -> dict[str, Any]:
    """One pass over ``arts``: CPU seconds per part and the output digests."""
    states: dict[str, bytes] = {}
    out = hashlib.sha256()
    sign = handle = trip = 0.0
    n = 0
    for i, (content_hash, events, text, published_at) in enumerate(arts):
        now = START + dt.timedelta(seconds=60 * i)
        t0 = time.process_time()
        candidates = [impl.candidate_for(e, content_hash, text, published_at) for e in events]
        sign += time.process_time() - t0
        for candidate in candidates:
            t0 = time.process_time()
            raw = states.get(candidate["block"])
            before = codec.loads(raw) if raw is not None else None
            t1 = time.process_time()
            result = impl.handle(candidate, before, now=now)
            t2 = time.process_time()
            states[candidate["block"]] = codec.dumps(result["state"])
            t3 = time.process_time()
            trip += (t1 - t0) + (t3 - t2)
            handle += t2 - t1
            out.update(
                codec.dumps(
                    [
                        result["emit"],
                        result["retract"],
                        result["event_id"],
                        result["duplicate_of"],
                        result["outcome"],
                    ]
                )
            )
            n += 1
    final = hashlib.sha256(b"".join(k.encode() + b"\0" + v for k, v in sorted(states.items())))
    return {
        "sign": sign,
        "handle": handle,
        "trip": trip,
        "candidates": n,
        "output": out.hexdigest()[:16],
        "state": final.hexdigest()[:16],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", help="git revision to compare against (interleaved A/B)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--copies", type=int, default=3, help="times the corpus is sent (default 3)")
    args = parser.parse_args()
    arts = copied(articles(args.limit), args.copies)
    impls: dict[str, types.ModuleType] = {"work": identity}
    if args.base:
        impls = {"base": load_revision(args.base), **impls}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in impls}
    for _ in range(args.repeats):
        for name, impl in impls.items():
            r = run(impl, arts)
            results[name].append(r)
            print(
                f"{name}: sign {1000 * r['sign'] / len(arts):.2f} handle {1000 * r['handle'] / len(arts):.2f}"
                f" trip {1000 * r['trip'] / len(arts):.2f} ms/article; {r['candidates']} candidates;"
                f" output {r['output']} state {r['state']}",
                flush=True,
            )
    print(f"{len(arts)} articles; CPU ms per article, min / median of {args.repeats}:")
    for name, rs in results.items():
        cells = []
        for part in ("sign", "handle", "trip"):
            ms = [1000 * r[part] / len(arts) for r in rs]
            cells.append(f"{part} {min(ms):.2f} / {statistics.median(ms):.2f}")
        total = [1000 * (r["sign"] + r["handle"] + r["trip"]) / len(arts) for r in rs]
        digests = {(r["output"], r["state"]) for r in rs}
        all_ms = f"{min(total):.2f} / {statistics.median(total):.2f}"
        print(f"  {name}: {', '.join(cells)}, all {all_ms}; digests {digests}")


if __name__ == "__main__":
    main()
