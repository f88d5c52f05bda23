"""Event dates: what the text names, grounded on the publication time, and what stands in."""

from __future__ import annotations

import datetime as dt

import pytest

from workers.stages.dates import (
    candidates,
    choose,
    event_date,
    find_dates,
    infer_published,
    parse_published,
)
from workers.stages.errors import StageError

PUB = dt.date(2019, 9, 2)  # a Monday


def _found(text: str, pub: dt.date = PUB) -> list[tuple[str, str, str]]:
    return [(d.kind, d.value.isoformat(), d.precision) for d in find_dates(text, 0, pub)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It happened on 12 March 2019.", [("full", "2019-03-12", "day")]),
        ("It happened on March 12, 2019.", [("full", "2019-03-12", "day")]),
        ("He was seized on the 14th of April 2014.", [("full", "2014-04-14", "day")]),
        ("Raided on Sept. 1.", [("day_month", "2019-09-01", "day")]),
        ("Raided on Sept. 5.", [("day_month", "2018-09-05", "day")]),  # never after publication
        ("Arrested on December 3.", [("day_month", "2018-12-03", "day")]),  # the latest December 3
        ("Killed in June 2017.", [("month_year", "2017-06-01", "month")]),
        ("Missing since December.", [("month", "2018-12-01", "month")]),
        ("Detained in early August.", [("month", "2019-08-01", "month")]),
        ("Jailed in 2016.", [("year", "2016-01-01", "year")]),
        ("Shot on Saturday.", [("weekday", "2019-08-31", "day")]),
        ("Shot on Monday.", [("weekday", "2019-09-02", "day")]),
        ("It happened yesterday.", [("relative_day", "2019-09-01", "day")]),
        ("It happened last week.", [("relative_week", "2019-08-26", "week")]),
        ("It happened three weeks ago.", [("relative_week", "2019-08-12", "week")]),
        ("It happened last month.", [("relative_month", "2019-08-01", "month")]),
        ("Logged on 2019-08-30 by the monitor.", [("full", "2019-08-30", "day")]),
        # one date, told once: the weekday belongs to the written date
        ("The attack on Saturday, March 30, 2019 killed five.", [("full", "2019-03-30", "day")]),
    ],
)
def test_find_dates(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _found(text) == expected


def test_no_date_after_publication() -> None:
    # a trial set for later, a year in the future, a weekday "next" are never the event
    assert _found("The trial opens on 12 October 2019.") == []
    assert _found("Elections are due in 2023.") == []
    assert _found("Protests are planned for Mondays.") == []
    assert _found("The court may decide.") == []  # "may" the verb is no month


def test_a_date_without_a_year_is_never_in_the_future_of_publication() -> None:
    (d,) = find_dates("He was arrested on 30 December.", 0, dt.date(2021, 1, 4))
    assert d.value == dt.date(2020, 12, 30)
    (d,) = find_dates("Missing since November.", 0, dt.date(2021, 1, 4))
    assert d.value == dt.date(2020, 11, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It happened yesterday.", ("2019-09-01", "day", "text")),
        ("It happened on Monday.", ("2019-09-02", "day", "text")),
        ("Gunmen abducted him on July 1.", ("2019-07-01", "day", "text")),
        ("It happened on 12 March 2019.", ("2019-03-12", "day", "text")),
        ("No date here.", ("2019-09-02", "unknown", "published")),
        ("The attack on Saturday, March 30, 2019 killed five.", ("2019-03-30", "day", "text")),
    ],
)
def test_a_one_sentence_event_is_dated_from_its_words(text: str, expected: tuple[str, str, str]) -> None:
    got = event_date([text], "2019-09-02T10:00:00+00:00", anchors=[0])
    assert (got["value"], got["precision"], got.get("source")) == expected


def test_the_event_sentence_is_dated_not_the_background() -> None:
    sentences = [
        "Gunmen shot dead the rights lawyer Ali Musa in Kano on Saturday, police said.",
        "Musa had defended farmers in land disputes since 2015.",
        "In March 2018 he was briefly detained over a protest.",
        "Police said on Monday that two suspects were held.",
    ]
    got = event_date(sentences, "2019-09-02", title="Rights lawyer shot dead in Kano", anchors=[0])
    assert got == {"value": "2019-08-31", "precision": "day", "source": "text"}


def test_a_past_attack_told_with_its_date() -> None:
    sentences = [
        "A court in Lagos opened the trial of three men on Monday.",
        "They are accused of abducting the journalist Jones Abiri on 21 July 2016 in Yenagoa.",
    ]
    got = event_date(sentences, "2019-09-02", anchors=[1])
    assert got["value"] == "2016-07-21" and got["source"] == "text"


def test_the_publication_date_stands_in_when_the_text_names_none() -> None:
    got = event_date(["Soldiers burned houses in the village."], "2019-09-02T08:00:00Z")
    assert got == {"value": "2019-09-02", "precision": "unknown", "source": "published"}


def test_without_publication_time_the_date_is_inferred() -> None:
    sentences = ["Gunmen killed a journalist in Kabul on Tuesday.", "She was 26.", "Published 3 March 2021"]
    got = event_date(sentences, None, anchors=[0])
    # 3 March 2021 was a Wednesday: "Tuesday" is the day before the inferred publication
    assert got == {"value": "2021-03-02", "precision": "day", "source": "text"}
    assert event_date(["Gunmen killed a journalist."], None) == {
        "value": None,
        "precision": "unknown",
        "source": "inferred",
    }


def test_infer_published_takes_the_latest_full_date() -> None:
    texts = ["Report", "He was arrested on 2 May 2019 and released on 14 June 2019, his lawyer said."]
    assert infer_published(texts) == "2019-06-14"
    assert infer_published(["Protests went on through March 2020."]) == "2020-03-31"
    assert infer_published(["No date at all."]) is None


def test_parse_published() -> None:
    assert parse_published("2019-09-02 10:00:00") == PUB
    with pytest.raises(StageError):
        parse_published("")
    with pytest.raises(StageError):
        parse_published("last Tuesday")


def test_the_scorer_prefers_an_explicit_date_in_an_attack_sentence() -> None:
    cands = candidates(
        ["Police said on Monday that the activist was abducted on 12 August."], PUB, anchors=[0]
    )
    assert [c.kind for c in cands] == ["published", "weekday", "day_month"]
    assert choose(cands).value == dt.date(2019, 8, 12)
