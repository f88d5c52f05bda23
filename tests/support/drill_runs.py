"""Run the drills several times in a row and print the drill x run table (issue 9's closing note).

In: ``--runs N`` (default 3) and any extra pytest arguments after ``--`` (e.g. ``-k kill``).
Out: for each run, one pytest session (``pytest --drills``, a fresh broker and clean run each
time) that writes its results as JSON lines; then a table on stdout, one row per drill, one
column per run, each cell ``lost/doubled/conflicting`` (plus ``+N`` differing events or other
failures, and ``!`` when the drill failed). The exit code is 0 only when every drill passed in
every run.

    .venv/bin/python -m tests.support.drill_runs --runs 3
    make drills DRILL_RUNS=3
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from workers import codec

DRILLS = "tests/integration/test_drills.py"


def run_once(report: Path, extra: list[str]) -> int:
    """One pytest session over the drills; returns pytest's exit code."""
    command = [sys.executable, "-m", "pytest", DRILLS, "--drills", f"--drill-report={report}", "-q", *extra]
    return subprocess.run(command, check=False).returncode


def cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "-"
    text = f"{row['lost']}/{row['doubled']}/{row['conflicting']}"
    extra = row["event_diffs"] + row["other"]
    if extra:
        text += f" +{extra}"
    return text if row["ok"] else f"{text} !"


def table(runs: list[list[dict[str, Any]]]) -> str:
    """Rows: drills in first-seen order; columns: runs."""
    names: list[str] = []
    for rows in runs:
        names += [r["drill"] for r in rows if r["drill"] not in names]
    width = max([len("drill"), *map(len, names)]) + 2
    header = f"{'drill':<{width}}" + "".join(f"{f'run {i + 1}':>16}" for i in range(len(runs)))
    lines = [header, "-" * len(header)]
    for name in names:
        cells = [cell(next((r for r in rows if r["drill"] == name), None)) for rows in runs]
        lines.append(f"{name:<{width}}" + "".join(f"{c:>16}" for c in cells))
    lines.append("")
    lines.append("cell: lost/doubled/conflicting counts keys and versions, +N other differences, ! failed")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    results: list[list[dict[str, Any]]] = []
    codes: list[int] = []
    with tempfile.TemporaryDirectory(prefix="cw-drill-runs-") as folder:
        for run in range(args.runs):
            report = Path(folder) / f"run-{run + 1}.jsonl"
            print(f"=== drill run {run + 1} of {args.runs} ===", flush=True)
            codes.append(run_once(report, args.pytest_args))
            lines = report.read_bytes().splitlines() if report.exists() else []
            results.append([codec.loads(line) for line in lines if line.strip()])
    print(table(results))
    every_row_ok = all(r["ok"] for rows in results for r in rows)
    return 0 if every_row_ok and all(code == 0 for code in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
