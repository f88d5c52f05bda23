"""Throughput and memory of the stages, without Kafka: prints figures, asserts nothing.

In: the eval articles (../shared/eval/fakes_dev.jsonl) if present, else the bundled samples,
repeated to ``--articles``. Out: articles per second for normalize, entities (batched
``nlp.pipe``) and events, the whole chain, and the peak resident memory.

    .venv/bin/python benchmarks/throughput.py [--articles 300] [--batch 32]
"""

from __future__ import annotations

import argparse
import itertools
import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from workers import codec, ingest
from workers.batch import to_raw
from workers.nlp.pipeline import load_pipeline
from workers.settings import load_settings
from workers.stages.entities import extract_entities_batch
from workers.stages.events import assemble_events
from workers.stages.normalize import normalize
from workers.types import RawArticle

T = TypeVar("T")
R = TypeVar("R")


def corpus(limit: int) -> list[RawArticle]:
    eval_file = Path(__file__).resolve().parents[2] / "shared" / "eval" / "fakes_dev.jsonl"
    if eval_file.is_file():
        lines = [codec.loads(line) for line in eval_file.read_bytes().splitlines() if line.strip()]
        articles: list[Any] = [to_raw(line) for line in lines]
    else:
        articles = [codec.loads(value) for _, value in ingest.messages([ingest.SAMPLES])]
    return list(itertools.islice(itertools.cycle(articles), limit))


def timed(label: str, items: Sequence[T], fn: Callable[[Sequence[T]], list[R]]) -> list[R]:
    start = time.perf_counter()
    out = fn(items)
    seconds = time.perf_counter() - start
    print(f"{label:<28}{len(items):>6} articles {seconds:>8.2f} s {len(items) / seconds:>9.1f} articles/s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    settings = load_settings()
    started = time.perf_counter()
    nlp = load_pipeline(settings.spacy_model)
    print(f"{'load spaCy pipeline':<28}{'':>6}          {time.perf_counter() - started:>8.2f} s")
    raws = corpus(args.articles)
    words = sum(len(a["body"].split()) for a in raws) / max(1, len(raws))
    print(f"corpus: {len(raws)} articles, {words:.0f} words on average")

    normalized = timed("normalize", raws, lambda items: [normalize(a) for a in items])

    def entities(items: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for i in range(0, len(items), args.batch):
            out.extend(extract_entities_batch(nlp, items[i : i + args.batch]))
        return out

    found = timed(f"entities (batch {args.batch})", normalized, entities)
    events = timed("events", found, lambda items: [assemble_events(a) for a in items])
    total = sum(len(e) for e in events)
    timed(
        "whole chain",
        raws,
        lambda items: [assemble_events(x) for x in entities([normalize(a) for a in items])],
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"events: {total} ({total / len(raws):.2f} per article); peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
