"""Test helper: the five seed articles (shared/corpus/seeds) as ``RawArticle`` dicts.

A seed file is the title on the first line, then the body. The seeds live next to the repo
(``/work/shared`` beside ``/work/main``), so the folder is found by walking up from this
file; ``CONFLICTWIRE_SHARED`` overrides it. Tests skip when it is not there.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from workers.types import RawArticle

PLACEHOLDER_PUBLISHED_AT = "2019-08-31T12:00:00+00:00"  # the seeds carry no date of their own
_SOURCE_LINE = re.compile(r"^\s*Source\s*:\s*([^,\n]+)", re.MULTILINE)


def shared_dir() -> Path | None:
    """The ``shared`` folder holding ``corpus/`` and ``eval/``, or None when absent."""
    override = os.environ.get("CONFLICTWIRE_SHARED")
    if override:
        return Path(override) if Path(override).is_dir() else None
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared"
        if (candidate / "corpus" / "seeds").is_dir():
            return candidate
    return None


def seeds_dir() -> Path | None:
    shared = shared_dir()
    return shared / "corpus" / "seeds" if shared else None


def eval_file() -> Path | None:
    shared = shared_dir()
    path = shared / "eval" / "fakes_dev.jsonl" if shared else None
    return path if path and path.is_file() else None


def seed_article(path: Path) -> RawArticle:
    """One seed file as a RawArticle: id = file stem, source from its "Source:" line."""
    raw = path.read_text(encoding="utf-8")
    title, _, body = raw.partition("\n")
    match = _SOURCE_LINE.search(body)
    return {
        "id": path.stem,
        "title": title.strip(),
        "body": body,
        "source": match.group(1).strip() if match else "unknown",
        "url": None,
        "published_at": PLACEHOLDER_PUBLISHED_AT,
    }


def load_seeds() -> dict[str, RawArticle]:
    """All seeds keyed by file name (as in gold.json), e.g. ``000_93b589c6481077be.txt``."""
    folder = seeds_dir()
    if folder is None:
        return {}
    return {path.name: seed_article(path) for path in sorted(folder.glob("*.txt"))}


def load_gold() -> dict[str, Any]:
    folder = seeds_dir()
    if folder is None:
        return {}
    gold: dict[str, Any] = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    return gold
