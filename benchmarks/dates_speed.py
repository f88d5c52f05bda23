"""CPU per article of the date work and of the whole events stage, and a digest of every output.

Usage: ``python benchmarks/dates_speed.py ENTITIES_DIR [--digest] [--profile N]`` from the
repository root with ``PYTHONPATH=.``; ``ENTITIES_DIR`` holds ``{fakes,wad,hrd}.jsonl`` of an
entity cache (``<data dir>/eval-cache/<fingerprint>/``; copy one aside, so the input stays the
same when the code, and so the fingerprint, changes).

One pass, in a fresh process, runs :func:`workers.stages.events.assemble_events` over every
article; the date work is the time inside the events stage's ``_date`` (context, candidates,
ranker); apart from it, :func:`workers.stages.dates.infer_published` of every article's title
and text (normalize calls it for an article without a publication time). It prints CPU ms
per article (``time.process_time``). Before the pass dateparser, the gazetteer and the
shipped models are loaded once, as a running worker has them.

``--digest``: instead prints a SHA-256 over every output, per article: the events (with their
dates), every date candidate with its features (:func:`workers.stages.date_ranker.read`), the
mentions of every sentence (:func:`workers.stages.dates.find_dates`) and ``infer_published``.
Two versions of the date code give identical output when the digests match.

To compare two versions, run this script alternately from each checkout (interleaved A/B) and
take min and median: the machine is shared.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dateparser

from workers import codec
from workers.gazetteer import places
from workers.stages import date_ranker, dates, events
from workers.types import ArticleEntities

SETS = ("fakes", "wad", "hrd")


def load(folder: Path) -> list[ArticleEntities]:
    """The cached entities of every dev article, in file order."""
    out: list[ArticleEntities] = []
    for name in SETS:
        for line in (folder / f"{name}.jsonl").read_bytes().splitlines():
            row = codec.loads(line)
            if isinstance(row, dict) and isinstance(row.get("entities"), dict):
                out.append(row["entities"])
    return out


def _timed(fn: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - t0

    return wrapper


def timing(arts: Sequence[ArticleEntities]) -> dict[str, float]:
    """CPU ms per article of the events stage and of its date work, one pass."""
    dateparser.parse("5 March 2019", languages=["en"])  # loads dateparser's language data
    date_ranker.shipped_ranker()
    places._gazetteer()  # the place names, loaded on the first place an article resolves
    if arts:
        events.assemble_events(arts[0])  # loads the selector and the patterns
    spent = [0.0]
    original = events._date
    events._date = _timed(original, spent)
    try:
        t0 = time.process_time()
        for ent in arts:
            events.assemble_events(ent)
        stage = time.process_time() - t0
        t1 = time.process_time()
        for ent in arts:
            dates.infer_published([ent["title"], ent["text"]])
        infer = time.process_time() - t1
    finally:
        events._date = original
    n = max(len(arts), 1)
    return {
        "articles": len(arts),
        "events_ms": 1000 * stage / n,
        "dates_in_events_ms": 1000 * spent[0] / n,
        "infer_published_ms": 1000 * infer / n,
    }


def _mention(d: dates.DateMention) -> list[object]:
    return [d.sentence, d.start, d.end, d.kind, d.value.isoformat(), d.precision, sorted(d.features.items())]


def digest(arts: Sequence[ArticleEntities]) -> str:
    """SHA-256 over every date output of every article (see the module doc)."""
    h = hashlib.sha256()
    for ent in arts:
        out: dict[str, object] = {"id": ent["id"]}
        out["events"] = [e["date"] for e in events.assemble_events(ent)]
        ctx = events.date_context(ent, range(len(ent["sentences"])))
        got = date_ranker.read(ctx)
        if got is not None:
            out["mentions"] = [_mention(d) for d in got.mentions]
            out["candidates"] = [
                [c.value.isoformat(), _mention(c.mention) if c.mention else None, sorted(c.features.items())]
                for c in got.candidates
            ]
            found = (dates.find_dates(t, i, got.pub) for i, t in enumerate(ctx.sentences))
            out["found"] = [_mention(d) for ds in found for d in ds]
        out["infer"] = dates.infer_published([ent["title"], ent["text"]])
        h.update(codec.dumps(out))
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("entities", type=Path, help="folder with {fakes,wad,hrd}.jsonl of an entity cache")
    parser.add_argument("--digest", action="store_true", help="print the digest of every output instead")
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N functions of a pass")
    args = parser.parse_args(argv)
    arts = load(args.entities)
    if args.digest:
        print(codec.dumps({"articles": len(arts), "digest": digest(arts)}).decode())
        return 0
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(timing, arts)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)
        return 0
    print(codec.dumps(timing(arts)).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
