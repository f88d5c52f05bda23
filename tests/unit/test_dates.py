"""Event dates: what the text names, grounded on the publication time, and what stands in."""

from __future__ import annotations

import datetime as dt

import pytest

from workers.stages.date_ranker import (
    FAR,
    Candidate,
    DateContext,
    DateRanker,
    all_candidates,
    choose,
    in_lead,
    read,
    shipped_ranker,
)
from workers.stages.date_ranker import event_date as rank_event_date
from workers.stages.dates import candidates, find_dates, infer_published, parse_published
from workers.stages.errors import StageError
from workers.training.dates import DateExample, _pairs, accuracy, fit_dates
from workers.types import EventDate

PUB = dt.date(2019, 9, 2)  # a Monday


def event_date(
    sentences: list[str],
    published_at: str | None,
    *,
    title: str = "",
    anchors: tuple[int, ...] | list[int] = (),
    other_time: tuple[int, ...] = (),
    ranker: DateRanker | None = None,
) -> EventDate:
    ctx = DateContext(sentences, published_at, title, tuple(anchors), other_time)
    return rank_event_date(ctx, ranker)


_LAST_YEAR = ("relative_year", "2018-01-01", "year")
_THIS_YEAR = ("relative_year", "2019-01-01", "year")


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
        # a year told in words after a date without one: that year, not the latest such day
        ("Arrested in March last year.", [("month", "2018-03-01", "month"), _LAST_YEAR]),
        ("Seized on August 28 last year.", [("day_month", "2018-08-28", "day"), _LAST_YEAR]),
        ("Freed in February of last year.", [("month", "2018-02-01", "month"), _LAST_YEAR]),
        ("Freed in May this year.", [("month", "2019-05-01", "month"), _THIS_YEAR]),
        ("In March, last year's winner spoke.", [("month", "2019-03-01", "month"), _LAST_YEAR]),
        # "last Monday" told on a Monday is a week before; any other day it is the latest one
        ("Beaten last Monday.", [("weekday", "2019-08-26", "day")]),
        ("Beaten last Saturday.", [("weekday", "2019-08-31", "day")]),
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


def test_the_shipped_ranker_prefers_an_explicit_date_in_an_attack_sentence() -> None:
    got = event_date(
        ["Police said on Monday that the activist was abducted on 12 August."], "2019-09-02", anchors=[0]
    )
    assert got == {"value": "2019-08-12", "precision": "day", "source": "text"}


def test_candidates_carry_the_words_before_the_date() -> None:
    sentences = ["The activist was arrested on 12 August.", "As of 30 August, 95 people were held."]
    mentions = candidates(sentences, PUB, anchors=[0])[1:]
    cands = all_candidates(mentions, sentences, PUB)
    assert [c.mention is None for c in cands] == [True, False, False]
    pub, arrest, tally = cands
    assert pub.features["pub"] == 1.0 and pub.value == PUB
    assert {"act_before", "first_act_before", "anchor"} <= set(arrest.features)
    assert "as_of" in tally.features and "act_before" not in tally.features


def test_a_court_steps_date_gets_its_kind_place_and_time_word_joined_to_the_step() -> None:
    sentences = ["The activist was abducted on 3 August.", "He was sentenced in June 2018 for a post."]
    mentions = candidates(sentences, PUB, anchors=[0])[1:]
    _, abduction, sentence = all_candidates(mentions, sentences, PUB)
    assert not any(k.startswith("legal&") for k in abduction.features)
    assert {"legal&kind=month_year", "legal&at=0-2", "legal&cue=in"} <= set(sentence.features)
    assert not any(k.startswith(("legal&age", "legal&legal")) for k in sentence.features)


def test_a_written_publication_date_and_the_months_candidates_share_features() -> None:
    sentences = [
        "Published 2 September 2019 Gunmen abducted the lawyer on 3 August.",
        "He was seen on 5 August.",
    ]
    mentions = candidates(sentences, PUB, anchors=[0])[1:]
    pub, dateline, abduction, seen = all_candidates(mentions, sentences, PUB)
    assert "written_publication_day" in dateline.features
    assert {"act_before", "month_acted"} <= set(abduction.features)
    assert "month_acted" in seen.features and "act_before" not in seen.features  # its month's
    assert "pub_no_written" not in pub.features


def test_a_sentence_about_another_time_gives_no_candidate() -> None:
    sentences = [
        "Gunmen abducted the lawyer on 3 August.",
        "Last year, on 5 May 2018, his office was raided.",
    ]
    got = read(DateContext(sentences, "2019-09-02", anchors=(0,), other_time=(1,)))
    assert got is not None
    assert [c.value for c in got.candidates] == [PUB, dt.date(2019, 8, 3)]


def test_a_sentence_opening_on_its_own_month_stays_a_flagged_candidate() -> None:
    sentences = [
        "Rights groups condemned the arrests on Monday.",
        "In March 2019, the activist was abducted by unknown men.",
        "In May, police raided the office, as they had last year.",
        "On June 4, the ministry said it had detained two suspects.",
    ]
    got = read(DateContext(sentences, "2019-09-02", other_time=(1, 2, 3)))
    assert got is not None
    march = [c for c in got.candidates if c.value == dt.date(2019, 3, 1)]
    assert len(march) == 1 and march[0].features["other_time"] == 1.0
    # "last year" names an earlier time, "said" makes the date a statement's: no candidates
    assert all(c.sentence not in (2, 3) for c in got.candidates)
    # the mentions a publication date's day is refined from still leave both out
    assert all(d.sentence == 0 for d in got.mentions)
    flagged = DateRanker({"pub": 0.5, "other_time": -1.0, "kind=month_year": 1.0})
    assert event_date(sentences, "2019-09-02", other_time=(1, 2, 3), ranker=flagged)["value"] == "2019-09-02"
    plain = DateRanker({"pub": 0.5, "kind=month_year": 1.0})
    assert event_date(sentences, "2019-09-02", other_time=(1, 2, 3), ranker=plain)["value"] == "2019-03-01"


def test_a_sentence_opening_on_its_own_month_of_last_year_stays_a_candidate() -> None:
    # "last year" is part of the opening date itself, not a background time
    sentences = ["Rights groups condemned the arrests.", "In March last year, the activist was abducted."]
    got = read(DateContext(sentences, "2019-09-02", other_time=(1,)))
    assert got is not None
    march = [c for c in got.candidates if c.sentence == 1]
    assert [c.value for c in march] == [dt.date(2018, 3, 1)] and march[0].features["other_time"] == 1.0
    # "last year" on its own still names the background: the sentence gives no candidate
    sentences[1] = "In March, the activist was abducted, as she had been last year."
    got = read(DateContext(sentences, "2019-09-02", other_time=(1,)))
    assert got is not None and all(c.sentence != 1 for c in got.candidates)


def test_the_ranker_reads_the_opening_and_the_event_sentences_only() -> None:
    sentences = ["Nothing dated here."] * 4 + ["The office opened on 3 March 2019."]
    plain = DateRanker({"pub": 0.5, "kind=full": 1.0}, lead=2)
    assert event_date(sentences, "2019-09-02", ranker=plain)["value"] == "2019-09-02"  # beyond the lead
    assert event_date(sentences, "2019-09-02", anchors=[4], ranker=plain)["value"] == "2019-03-03"
    assert (
        event_date(sentences, "2019-09-02", ranker=DateRanker(plain.weights, lead=5))["value"] == "2019-03-03"
    )


def test_past_the_opening_a_date_written_with_its_year_after_an_act_is_read() -> None:
    plain = DateRanker({"pub": 0.5, "kind=full": 1.0, "kind=day_month": 1.0}, lead=2)
    opening = ["Nothing dated here."] * 4
    arrested = [*opening, "He was arrested on 3 March 2019."]
    assert event_date(arrested, "2019-09-02", ranker=plain)["value"] == "2019-03-03"
    # without its year it stays unread (without an act right before it too: the test above)
    no_year = [*opening, "He was arrested on 3 March."]
    assert event_date(no_year, "2019-09-02", ranker=plain)["value"] == "2019-09-02"
    # past the shipped ranker's opening such a date carries the fitted feature "far"
    long = [*["Nothing dated here."] * FAR, "He was arrested on 3 March 2019."]
    mentions = candidates(long, PUB)[1:]
    (_, late) = all_candidates(mentions, long, PUB)
    assert "far" in late.features and in_lead(late, FAR)
    early = all_candidates(candidates(arrested, PUB)[1:], arrested, PUB)[1]
    assert "far" not in early.features


def test_ties_go_to_the_publication_date_then_the_earlier_mention() -> None:
    pub = Candidate(PUB, None, {"pub": 1.0})
    mentions = candidates(["It began on 3 May 2019 and again on 4 June 2019."], PUB)[1:]
    first, second = all_candidates(mentions, ["It began on 3 May 2019 and again on 4 June 2019."], PUB)[1:]
    assert choose([pub, first, second], DateRanker({})) is pub
    assert choose([pub, first, second], DateRanker({"kind=full": 1.0})) is first
    assert in_lead(pub, 0) and not in_lead(second, 0)


def test_a_weekday_near_publication_gives_the_day_when_the_publication_date_stands_in() -> None:
    stand_in = DateRanker({"pub": 1.0})
    got = event_date(["Soldiers raided the office on Monday."], "2019-09-04", anchors=[0], ranker=stand_in)
    assert got == {"value": "2019-09-02", "precision": "day", "source": "text"}
    # a day in the month before would change the month the ranker chose: it does not
    got = event_date(["Soldiers raided the office on Saturday."], "2019-09-02", anchors=[0], ranker=stand_in)
    assert got == {"value": "2019-09-02", "precision": "unknown", "source": "published"}


def test_the_shipped_ranker_loads() -> None:
    ranker = shipped_ranker()
    assert ranker.lead > 0 and "pub" in ranker.weights
    assert DateRanker.from_json(ranker.to_json()) == ranker


def _example(pub_month_right: bool) -> DateExample:
    sentences = ["The journalist was abducted on 3 May 2019."]
    mentions = candidates(sentences, PUB, anchors=[0])[1:]
    gold = (2019, 9) if pub_month_right else (2019, 5)
    return DateExample(all_candidates(mentions, sentences, PUB), gold)


def test_the_fit_learns_which_candidates_name_the_gold_month() -> None:
    train = [_example(False)] * 12 + [_example(True)] * 4
    ranker = fit_dates(train, leads=(20,))
    assert ranker.lead == 20 and ranker.weights["act_before"] > 0 > ranker.weights["pub"]
    assert accuracy(ranker, train) == 0.75
    assert fit_dates([_example(True)] * 12, leads=(20,)).weights["pub"] > 0
    assert fit_dates(train, leads=(10, 20)).lead in (10, 20)


def test_the_fit_pairs_right_and_wrong_candidates_within_an_article_each_weighing_one() -> None:
    sentences = ["The journalist was abducted on 3 May 2019.", "He was charged on 12 June 2019."]
    mentions = candidates(sentences, PUB, anchors=[0])[1:]
    cands = all_candidates(mentions, sentences, PUB)
    assert [c.month for c in cands] == [(2019, 9), (2019, 5), (2019, 6)]
    right, wrong, weights = _pairs([DateExample(cands, (2019, 5))], 20)
    assert len(right) == len(wrong) == 2 and sum(weights) == pytest.approx(1.0)
    assert all("act_before" in r for r in right)  # the abduction's date is right in both pairs
    # an article whose gold month is no candidate pairs nothing (it cannot teach an order)
    assert _pairs([DateExample(cands, (2018, 1))], 20) == ([], [], [])
    # with nothing to pair the publication date stands in
    assert fit_dates([DateExample(cands, (2018, 1))] * 8, leads=(20,)).weights == {"pub": 1.0}


@pytest.mark.parametrize("month", ["January", "jan", "Feb", "march", "May", "june", "Sept", "sep", "Dec"])
def test_written_parts_read_as_dateparser_reads_them(month: str) -> None:
    """The calendar's reading of a day, month and year equals dateparser's, and a day without
    a year or an impossible day goes to dateparser itself."""
    import dateparser

    from workers.stages.dates import _dateparser, _parse

    settings = {"PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY"}
    for pub in (dt.date(2010, 6, 15), dt.date(2020, 3, 1)):
        base = dt.datetime(pub.year, pub.month, pub.day, 12, 0)
        for day, year in [("1", "2019"), ("09", "2000"), ("29", "2020"), ("29", "2019"), ("31", "1999")]:
            for d, y in [(day, year), (None, year), (day, None)]:
                text = f"{d or 1} {month} {y}" if y else f"{d} {month}"
                got = dateparser.parse(text, languages=["en"], settings={**settings, "RELATIVE_BASE": base})
                assert _parse(d, month, y, pub) == (got.date() if got else None), text
    _dateparser.cache_clear()
