"""Events stage cost per article, and a digest of everything it outputs, on the dev articles.

In: the three dev sets' entities from the evaluation cache (``benchmarks/dev_cache.py``
reads them; a missing entry aborts: run ``conflictwire evaluate`` once first). Out, per
implementation and round: CPU ms per article of ``assemble_events`` (the shipped selector and
date ranker, loaded before timing) and a SHA-256 digest of its output.

``--base REV`` also loads casualties.py as it is at git revision REV and runs the stage with
it in place of the working copy's, interleaved (A/B, ``--repeats`` rounds), printing min and
median per implementation and their ratio; the digests must be equal.

    .venv/bin/python benchmarks/events_bench.py [--base HEAD] [--repeats 5] [--set fakes]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python benchmarks/events_bench.py`

from dev_cache import cached_entities, module_at

from workers import codec
from workers.evaluation.devsets import SET_NAMES
from workers.stages import casualties, events


def load_revision(rev: str) -> types.ModuleType:
    """casualties.py as of git revision ``rev``, as a separate module."""
    return module_at(rev, "workers/stages/casualties.py", "_base_casualties")


def run(impl: types.ModuleType, ents: list[Any]) -> tuple[float, str]:
    """One pass of the stage over ``ents`` with ``impl``'s find_figures: CPU ms per article, digest."""
    events.find_figures = impl.find_figures  # type: ignore[attr-defined]
    out = hashlib.sha256()
    t0 = time.process_time()
    for ent in ents:
        out.update(codec.dumps(events.assemble_events(ent)))
    return 1000 * (time.process_time() - t0) / len(ents), out.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", help="git revision of casualties.py to compare against (interleaved A/B)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--set", action="append", choices=SET_NAMES, help="dev set(s) (default: all)")
    args = parser.parse_args()
    ents = cached_entities(args.set or SET_NAMES)
    impls: dict[str, types.ModuleType] = {"work": casualties}
    if args.base:
        impls = {"base": load_revision(args.base), **impls}
    for impl in impls.values():  # warm up: the selector, the ranker and the gazetteers load lazily
        run(impl, ents[:30])
    results: dict[str, list[tuple[float, str]]] = {name: [] for name in impls}
    for _ in range(args.repeats):
        for name, impl in impls.items():
            results[name].append(run(impl, ents))
    print(f"{len(ents)} articles; assemble_events CPU ms per article, min / median of {args.repeats}:")
    for name, rs in results.items():
        ms = [r[0] for r in rs]
        print(f"  {name}: {min(ms):.3f} / {statistics.median(ms):.3f}; digests {sorted({r[1] for r in rs})}")
    if args.base:
        base, work = [r[0] for r in results["base"]], [r[0] for r in results["work"]]
        ratio = statistics.median(work) / statistics.median(base)
        print(f"  work / base: min {min(work) / min(base):.3f}, median {ratio:.3f}")


if __name__ == "__main__":
    main()
