"""The word patterns file: every row compiles, names are unique, every name the stages ask for exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workers.stages import casualties, dates, events
from workers.stages.errors import StageError
from workers.stages.patterns import PATTERNS_FILE, _patterns, pattern

STAGE_SOURCES = [Path(m.__file__ or "") for m in (casualties, dates, events)]


def test_every_row_compiles_and_says_why() -> None:
    rows = [json.loads(line) for line in PATTERNS_FILE.read_text(encoding="utf-8").splitlines() if line]
    assert len(rows) >= 20
    for row in rows:
        assert row["about"].strip(), f"{row['name']} has no reason"
        assert isinstance(pattern(row["name"]), re.Pattern)


def test_every_pattern_the_stages_use_exists() -> None:
    names = {name for src in STAGE_SOURCES for name in re.findall(r'pattern\("([\w.]+)"\)', src.read_text())}
    assert names, "the stages ask for no pattern"
    for name in sorted(names):
        pattern(name)


def test_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(StageError, match=re.escape("no pattern named 'casualties.nope'")):
        pattern("casualties.nope")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"name": "a", "about": "x", "pattern": "("}\n', "bad pattern row"),
        ('{"name": "a", "about": "x"}\n', "bad pattern row"),
        ('{"name": "a", "pattern": "x"}\n{"name": "a", "pattern": "y"}\n', "defined twice"),
    ],
)
def test_bad_files_are_rejected(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "patterns.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StageError, match=message):
        _patterns(path)


def test_case_flag_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "patterns.jsonl"
    path.write_text(
        '{"name": "loose", "ignore_case": true, "pattern": "killed"}\n'
        '{"name": "strict", "pattern": "killed"}\n',
        encoding="utf-8",
    )
    loaded = _patterns(path)
    assert loaded["loose"].search("KILLED") and not loaded["strict"].search("KILLED")
