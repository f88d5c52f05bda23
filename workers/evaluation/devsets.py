"""The three dev sets as articles to run and gold to score (../shared/eval/README.md).

In: ``fakes_dev.jsonl`` (rows grouped into articles by ``unit_id``), ``wad_dev.jsonl`` (coder
summaries without a title; ``date`` = event date, used as publication date) and
``hrd_dev.jsonl`` (title, text, publication date). Out: :class:`DevArticle` values, each a
:class:`~workers.types.RawArticle` for the stages plus its set's gold, and a ``group``: the
hash of the text's first 300 characters, so that copies of one text never fall in two
cross-validation folds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from workers.batch import to_raw
from workers.evaluation.fakes import GoldArticle, gold_articles, read_jsonl
from workers.evaluation.matching import (
    alpha2_of_alpha3,
    countries_named,
    is_empty,
    month_of,
    year_of,
)
from workers.types import RawArticle

SetName = Literal["fakes", "wad", "hrd"]
SET_NAMES: tuple[SetName, ...] = get_args(SetName)
FILES: dict[SetName, str] = {"fakes": "fakes_dev.jsonl", "wad": "wad_dev.jsonl", "hrd": "hrd_dev.jsonl"}


@dataclass(frozen=True)
class FakesGold:
    article: GoldArticle
    rows: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class WadGold:
    killed: int  # non-combatants deliberately killed
    country: str | None  # ISO alpha-2 (None: the ISO-3 code did not resolve)
    country_code: str  # as annotated (ISO-3)
    region: str | None  # first-level division; None when not annotated


@dataclass(frozen=True)
class HrdGold:
    country_text: str | None  # as annotated
    countries: frozenset[str]  # ISO alpha-2 codes it names (empty: nothing to score)
    region: str | None
    year: int | None
    month: int | None
    perpetrator: str | None  # perpetrator type; None: no perpetrator mentioned


Gold = FakesGold | WadGold | HrdGold


@dataclass(frozen=True)
class DevArticle:
    set: SetName
    key: str  # the article's id (FA-KES: its first row's id)
    raw: RawArticle
    gold: Gold
    group: str  # fold unit: articles with the same opening text share it


def find_eval_dir(start: Path | None = None) -> Path | None:
    """``shared/eval`` beside the repository: the first ancestor of ``start`` (default: this
    package) with a ``shared/eval`` folder holding the dev sets; None when there is none."""
    here = (start or Path(__file__)).resolve()
    for parent in (here, *here.parents):
        candidate = parent / "shared" / "eval"
        if (candidate / FILES["fakes"]).is_file():
            return candidate
    return None


def text_group(text: str) -> str:
    return hashlib.sha256(text[:300].encode("utf-8")).hexdigest()[:16]


def fakes_articles(rows: Sequence[Mapping[str, Any]]) -> list[DevArticle]:
    """FA-KES rows as articles: one per ``unit_id``, run with its first row's text."""
    by_row = {str(r["id"]): r for r in rows}
    out: list[DevArticle] = []
    for art in gold_articles(rows):
        first = by_row[art.first_row]
        gold = FakesGold(art, tuple(by_row[r] for r in art.rows))
        out.append(DevArticle("fakes", art.first_row, to_raw(dict(first)), gold, text_group(first["text"])))
    return out


# PITF country codes that are not ISO alpha-3 (El Salvador is "ELS" in the WAD rows)
PITF_CODES = {"ELS": "SLV"}


def wad_articles(rows: Sequence[Mapping[str, Any]]) -> list[DevArticle]:
    """WAD rows as articles without a title; the event date stands in for publication."""
    out: list[DevArticle] = []
    for r in rows:
        loc = r.get("gold_location") or {}
        code = str(loc.get("Country") or "")
        region = loc.get("Region")
        gold = WadGold(
            killed=int(r.get("gold_killed") or 0),
            country=alpha2_of_alpha3(PITF_CODES.get(code, code)),
            country_code=code,
            region=None if is_empty(region) else str(region),
        )
        line = {"id": r["id"], "title": "", "text": r["text"], "date": r.get("date"), "source": "wad"}
        out.append(DevArticle("wad", str(r["id"]), to_raw(line), gold, text_group(r["text"])))
    return out


def hrd_articles(rows: Sequence[Mapping[str, Any]]) -> list[DevArticle]:
    """HRDsAttack rows as articles (title, text, publication date)."""
    out: list[DevArticle] = []
    for r in rows:
        loc = r.get("gold_location") or {}
        when = r.get("gold_event_date") or {}
        country, region = loc.get("country"), loc.get("region")
        gold = HrdGold(
            country_text=None if is_empty(country) else str(country),
            countries=countries_named(None if is_empty(country) else str(country)),
            region=None if is_empty(region) else str(region),
            year=year_of(when.get("year")),
            month=month_of(when.get("month")),
            perpetrator=str(r["gold_actor"]) if r.get("gold_actor") else None,
        )
        line = {"id": r["id"], "title": r.get("title") or "", "text": r["text"], "date": r.get("date")}
        out.append(DevArticle("hrd", str(r["id"]), to_raw(line), gold, text_group(r["text"])))
    return out


LOADERS = {"fakes": fakes_articles, "wad": wad_articles, "hrd": hrd_articles}


def load_set(name: SetName, eval_dir: Path) -> list[DevArticle]:
    """One dev set's articles, in file order; ValueError when its file is unreadable."""
    path = eval_dir / FILES[name]
    if not path.is_file():
        raise ValueError(f"{path}: no such dev set file")
    return LOADERS[name](read_jsonl(path))
