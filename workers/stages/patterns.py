"""The stages' word patterns, read from ``workers/data/patterns.jsonl``.

In: a pattern name such as ``"casualties.speech"``. Out: the compiled regular expression.
Each line of the data file is ``{"name", "about", "ignore_case", "pattern"}``: the cue
phrases live there, next to the reason they exist, and the stages hold only the logic
that reads them. The file is read once per process.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from workers.stages.errors import StageError

PATTERNS_FILE = Path(__file__).resolve().parent.parent / "data" / "patterns.jsonl"


@functools.cache
def _patterns(path: Path = PATTERNS_FILE) -> dict[str, re.Pattern[str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:  # pragma: no cover - packaging error
        raise StageError(f"cannot read {path}: {exc}") from exc
    out: dict[str, re.Pattern[str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            name, text = str(row["name"]), str(row["pattern"])
            compiled = re.compile(text, re.I if row.get("ignore_case") else 0)
        except (ValueError, KeyError, re.error) as exc:
            raise StageError(f"{path}:{number}: bad pattern row: {exc}") from exc
        if name in out:
            raise StageError(f"{path}:{number}: pattern {name} is defined twice")
        out[name] = compiled
    return out


def pattern(name: str) -> re.Pattern[str]:
    """The compiled pattern called ``name``; a missing name is a packaging error."""
    try:
        return _patterns()[name]
    except KeyError as exc:
        raise StageError(f"no pattern named {name!r} in {PATTERNS_FILE}") from exc
