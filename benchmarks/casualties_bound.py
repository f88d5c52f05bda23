"""Work bound of the casualty parser on hostile bodies: prints seconds, asserts nothing.

In: nothing (the bodies are built here). Out: the time ``find_figures`` and the figure
selector take on bodies of many numbers (issue 9: a body of 10,000 numbers took 5.5 minutes
of CPU before the per-sentence and per-article caps), and how many figures they return.

    .venv/bin/python benchmarks/casualties_bound.py [--numbers 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from workers.stages.casualties import MAX_FIGURES_PER_ARTICLE, MAX_FIGURES_PER_SENTENCE, find_figures
from workers.stages.normalize import split_sentences
from workers.types import Sentence


def bodies(n: int) -> dict[str, str]:
    """Hostile bodies of ``n`` numbers: one run-on sentence, one sentence per number, a list
    of tolls, and huge or exponent figures."""
    return {
        "one sentence of numbers": " ".join(str(i) for i in range(n)) + " people were killed.",
        "a sentence per number": " ".join(f"{i} people were killed." for i in range(n)),
        "tolls joined by and": "Strikes killed " + " and ".join(f"{i} civilians" for i in range(n)) + ".",
        "exponents": " ".join(f"10^{i} people were killed." for i in range(n)),
    }


def timed(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    """Best wall time of ``repeat`` runs and the function's result."""
    best, result = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--numbers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"caps: {MAX_FIGURES_PER_SENTENCE} numbers per sentence, {MAX_FIGURES_PER_ARTICLE} per article")
    for name, body in bodies(args.numbers).items():
        sentences: list[Sentence] = split_sentences(body)

        def run(b: str = body, s: list[Sentence] = sentences) -> int:
            return len(find_figures(b, s, "Report"))

        seconds, count = timed(run, args.repeat)
        size = f"{len(body):>9} chars {len(sentences):>6} sentences"
        print(f"{name:26} {size} {seconds * 1000:8.1f} ms {count} figures")


if __name__ == "__main__":
    main()
