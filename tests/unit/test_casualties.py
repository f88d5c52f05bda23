"""Casualty figures: qualifiers, number words, background traps, parts and groups, bounds.

Sentences are from the seed articles and typical wire-news phrasings; no model needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.stages.casualties import CasualtyFigure, find_figures, terms
from workers.stages.errors import StageError
from workers.stages.normalize import split_sentences


def figures(text: str, title: str | None = None) -> list[CasualtyFigure]:
    return find_figures(text, split_sentences(text), title)


def counted(text: str, category: str = "killed") -> list[tuple[int | None, int | None]]:
    """(low, high) of the figures that count: not background, not a part of another."""
    return [
        (f.low, f.high) for f in figures(text) if f.category == category and not f.background and not f.subset
    ]


# ---------------------------------------------------------------- bounds and qualifiers


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("A bomb blast killed six people in the Salah al-Din district of Aleppo.", [(6, 6)]),
        ("The Observatory said at least 40 fighters were killed in the US attack.", [(40, None)]),
        ("More than 33 people were killed in Syrian regime and Russian bombing on Wednesday.", [(33, None)]),
        ("Nearly 75 terrorists were killed in the offensive.", [(None, 75)]),
        ("Up to 20 people were killed, activists said.", [(None, 20)]),
        ("Air strikes killed around 32 civilians in a rebel-held district.", [(32, 32)]),
        ("Some reports say dozens have been killed by the air strikes.", [(24, None)]),
        ("Air strikes in Idlib reportedly kill scores of opposition forces.", [(40, None)]),
        ("Hundreds of people have been killed as Russian and Syrian jets pounded Aleppo.", [(200, None)]),
        ("A dozen people were killed in the blast.", [(12, 12)]),
        ("Forty-two people died when the shell hit the market.", [(42, 42)]),
        ("The attack killed twenty one soldiers.", [(21, 21)]),
        ("An air strike killed 1,200 people, the group claimed.", [(1200, 1200)]),
    ],
)
def test_bounds(sentence: str, expected: list[tuple[int | None, int | None]]) -> None:
    assert counted(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "category", "expected"),
    [
        ("A bomb blast killed six people and injured 32 in Aleppo.", "injured", [(32, 32)]),
        (
            "Two people were killed and 15 injured as regime forces attacked the village.",
            "injured",
            [(15, 15)],
        ),
        ("Videos posted after the attack showed at least one wounded child.", "injured", [(1, None)]),
        ("Forty-two people died and nearly 100 were injured.", "injured", [(None, 100)]),
        ("Gunmen kidnapped 12 aid workers near the border.", "kidnapped", [(12, 12)]),
        ("Seven people remain missing after the raid.", "missing", [(7, 7)]),
    ],
)
def test_other_categories(
    sentence: str, category: str, expected: list[tuple[int | None, int | None]]
) -> None:
    assert counted(sentence, category) == expected


def test_killed_and_injured_in_one_sentence_are_kept_apart() -> None:
    text = "A bomb blast killed six people and injured 32 in the Salah al-Din district of Aleppo."
    assert counted(text, "killed") == [(6, 6)]
    assert counted(text, "injured") == [(32, 32)]


def test_killed_and_wounded_together_is_read_as_killed() -> None:
    # annotators of both dev sets count "N killed and injured" as N killed (fakes-0592,
    # fakes-0634, fakes-0718, wad-05392): the rule that dropped these figures was removed
    assert counted("At least 48 killed and injured in mortar attacks on Aleppo.") == [(48, None)]


# ---------------------------------------------------------------- victims


@pytest.mark.parametrize(
    ("sentence", "victims"),
    [
        ("At least 40 fighters were killed in the strike.", "fighters"),
        ("Air strikes killed 22 civilians on Monday.", "civilians"),
        ("The Islamic State killed 40 government soldiers.", "soldiers"),
        ("Three children were killed when the shell hit the school.", "children"),
        ("The raid killed six people.", "unspecified"),
    ],
)
def test_victim_kind(sentence: str, victims: str) -> None:
    killed = [f for f in figures(sentence) if f.category == "killed"]
    assert killed[0].victims == victims


# ---------------------------------------------------------------- parts and distinct groups


def test_including_is_a_part_not_added() -> None:
    text = (
        "At least 53 civilians including 21 children died on Sunday when Russian air strikes hit buildings."
    )
    assert counted(text) == [(53, None)]
    parts = [f for f in figures(text) if f.subset]
    assert [(f.low, f.victims) for f in parts] == [(21, "children")]


def test_among_them_and_were_among_are_parts() -> None:
    assert counted("Three children were among at least 19 civilians killed in an air raid.") == [(19, None)]
    text = (
        "The Observatory said 10 children and 13 rebels were among 48 people executed by government forces."
    )
    assert counted(text) == [(48, 48)]


def test_aside_in_dashes_is_a_part() -> None:
    text = (
        "Clashes have rocked the city leaving 23 civilians - including nine children - and 16 fighters dead."
    )
    assert counted(text) == [(23, 23), (16, 16)]


def test_distinct_groups_are_coordinated() -> None:
    text = (
        "An Israeli plane hit a car inside the town killing two men from Hezbollah and three men from the "
        "pro-regime popular committees."
    )
    figs = [f for f in figures(text) if f.category == "killed"]
    assert [(f.low, f.coordinated) for f in figs] == [(2, True), (3, True)]


def test_a_child_counts_as_one() -> None:
    figs = [
        f for f in figures("Five women and a child have been killed in the camp.") if f.category == "killed"
    ]
    assert [(f.low, f.coordinated) for f in figs] == [(5, True), (1, True)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The blast claimed 12 lives, officials said.", [(12, 12)]),
        ("Twelve lives were lost in the attack.", [(12, 12)]),
        ("The bodies of 20 people were found in a mass grave.", [(20, 20)]),
        ("The strike left five dead and 12 wounded.", [(5, 5)]),
        ("Medics reported 8 fatalities.", [(8, 8)]),
        ("At least 4 people, three of them children, were killed.", [(4, None)]),
        ("The attack killed 7, including two children.", [(7, 7)]),
        ("Shelling killed a woman and her two children.", [(1, 1), (2, 2)]),
        ("The number of dead rose to 45.", [(45, 45)]),
    ],
)
def test_common_phrasings(sentence: str, expected: list[tuple[int | None, int | None]]) -> None:
    assert counted(sentence) == expected


def test_children_named_after_civilians_are_part_of_them() -> None:
    text = "At least 16 civilians and three children have been killed in waves of air raids."
    assert counted(text) == [(16, None)]


# ---------------------------------------------------------------- superseded tolls


def test_previous_toll_is_superseded() -> None:
    (fig,) = [f for f in figures("The previous death toll was 20.") if f.category == "killed"]
    assert fig.background and fig.background_reason == "superseded"


# ---------------------------------------------------------------- background figures (seeds)


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        (
            "The Syrian conflict has killed more than 370,000 people and driven millions from their homes "
            "since it started with the brutal repression of anti-government protests in 2011.",
            "war_total",
        ),
        (
            "The war, which broke out after the brutal suppression of anti-regime protests in 2011, "
            "has killed more than 380,000 people and displaced millions from their homes.",
            "war_total",
        ),
        ("The UN says recent violence has also displaced more than 400,000 people.", "displaced_cumulative"),
        ("Since the offensive began, some 200,000 people have fled the fighting.", "cumulative"),
        ("Turkey already hosts more than three and a half million Syrians who have fled the conflict.", None),
    ],
)
def test_background_is_never_a_casualty_of_the_event(sentence: str, reason: str | None) -> None:
    figs = figures(sentence)
    assert figs, "the figure should be read, and marked"
    assert all(f.background for f in figs)
    if reason is not None:
        assert reason in {f.background_reason for f in figs}


@pytest.mark.parametrize(
    "sentence",
    [
        "Idlib is home to some three million people, nearly half of whom have been displaced.",
        "Three million people live in Idlib province, including many jihadist fighters.",
        "Foreign ministers gathered in Brussels to pledge as much $5bn (£3.8bn) to support Jordan.",
        "The 15-to-20km-wide zone was meant to allow for the withdrawal of all radical fighters.",
        "Russian aircraft attacked the neighbourhood with four air raids on Wednesday.",
        "Air strikes had hit at least eight medical facilities in the province.",
        "President Assad, whose forces control about 60 percent of the territory, vowed to retake it.",
        "A 12-year-old boy was among those hurt.",
        "The attack came 48 hours after the truce was agreed.",
        "Women walk in a neighbourhood heavily damaged by air strikes in Idlib, Syria, March 12, 2020.",
        "Date of publication 05-04-2016 Civilians martyred as terrorists shell Aleppo.",
    ],
)
def test_non_casualty_numbers_are_not_counted(sentence: str) -> None:
    assert counted(sentence, "killed") == []
    assert counted(sentence, "injured") == []
    assert counted(sentence, "displaced") == []


# ---------------------------------------------------------------- spans and errors


def test_evidence_span_points_at_the_figure() -> None:
    text = "Intro sentence here. A war monitor said at least 40 fighters were killed."
    (fig,) = [f for f in figures(text) if f.category == "killed"]
    assert text[fig.start : fig.end] == "at least 40"
    assert fig.sentence == 1
    assert fig.sentence_text == "A war monitor said at least 40 fighters were killed."
    assert 0 < fig.confidence <= 1


def test_title_figures_have_sentence_minus_one_and_title_offsets() -> None:
    title = "Aleppo bomb blast kills six"
    (fig,) = [f for f in find_figures("", [], title) if f.category == "killed"]
    assert (fig.sentence, title[fig.start : fig.end]) == (-1, "six")


def test_bad_sentence_offsets_are_a_stage_error() -> None:
    with pytest.raises(StageError):
        find_figures("short", [{"start": 0, "end": 99}])


def test_terms_without_named_determiners_still_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.stages import casualties

    rows = [
        line
        for line in casualties.DATA_FILE.read_text(encoding="utf-8").splitlines()
        if '"needs_name": true' not in line and '"weak": true' not in line
    ]
    path = tmp_path / "terms.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(casualties, "terms", lambda: casualties._load_terms(path))
    text = "A man was killed. Shelling killed the commander Abu Taha."
    figures = find_figures(text, split_sentences(text))
    assert [(f.category, f.low) for f in figures] == [("killed", 1)]


def _killed(text: str) -> list[tuple[int, tuple[str, ...]]]:
    return [(f.value, f.notes) for f in find_figures(text, split_sentences(text)) if f.category == "killed"]


@pytest.mark.parametrize(
    "text",
    [
        "About 20 persons have been reported killed, several injured.",
        "Nine people are said to have been killed in the raid.",
        "At least five people, including four children, were reported to have been killed.",
    ],
)
def test_a_hedge_inside_the_verb_phrase_keeps_the_cue(text: str) -> None:
    assert _killed(text)[0][0] in (20, 9, 5)


def test_a_hedge_after_the_noun_phrase_still_ends_it() -> None:
    assert _killed("Five people said they saw the attack.") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("At least 20 displaced people awaiting aid were killed in the attack.", 20),
        ("At least 34 refugees who had fled the violence were killed.", 34),
        ("As many as seven people were kidnapped and killed by militants.", 7),
        ("Eight fishermen were fatally shot by pirates.", 8),
    ],
)
def test_a_describing_cue_gives_way_to_the_victims_fate(text: str, value: int) -> None:
    assert [v for v, _ in _killed(text)] == [value]


def test_a_cue_alone_still_counts() -> None:
    text = "Five people were wounded and taken to hospital."
    assert [(f.category, f.value) for f in find_figures(text, split_sentences(text))] == [("injured", 5)]


def test_a_victim_named_by_role_is_an_implicit_one() -> None:
    text = "Gunmen killed the mayor and his 12-year-old daughter in the town."
    assert _killed(text) == [(1, ("implicit-one", "coordinated-forward")), (1, ("implicit-one",))]


def test_no_victim_after_a_preposition() -> None:
    assert _killed("He was shot in the head and killed.") == []


def test_a_part_in_brackets_is_a_part() -> None:
    text = "Bandits shot dead six people (five civilians and one soldier) in the east."
    figures = [f for f in find_figures(text, split_sentences(text)) if f.category == "killed"]
    assert [(f.value, f.subset, f.victims) for f in figures] == [
        (6, False, "unspecified"),
        (5, True, "civilians"),
        (1, True, "soldiers"),
    ]


def test_a_distance_in_brackets_stays_no_count() -> None:
    text = "The village lies 20 km (12 miles) away; the attack killed 5 people."
    assert _killed(text) == [(5, ())]


def test_along_with_names_more_victims() -> None:
    assert [v for v, _ in _killed("The governor was killed along with eight others in an ambush.")] == [1, 8]


def test_an_age_after_a_name_is_no_count() -> None:
    text = "Ana Maria Cortes, 46, was murdered in the northeast."
    assert [f.background_reason for f in find_figures(text, split_sentences(text))] == ["age"]


def test_a_speaker_is_no_victim() -> None:
    text = "Bombing has killed at least 84 civilians, the monitor and a civil defence official said."
    assert [v for v, _ in _killed(text)] == [84]


@pytest.mark.parametrize(
    "text",
    [
        "Unidentified gunmen killed Zinatollah Zebi, an official of the ministry, in Kabul.",
        "A gunman on Sunday killed prominent Jordanian writer Nahed Hattar outside a court.",
        "Assassins have stabbed to death Pamo Hobobo, a former chairman.",
    ],
)
def test_a_named_victim_is_an_implicit_one(text: str) -> None:
    assert _killed(text) == [(1, ("implicit-one",))]


@pytest.mark.parametrize(
    "text", ["Gunmen killed Afghan soldiers in Kabul.", "Militants kill Abducted Christians in Libya."]
)
def test_a_capitalised_plural_is_no_named_victim(text: str) -> None:
    assert _killed(text) == []


def test_a_family_of_n_takes_the_verb_before() -> None:
    assert _killed("An armed gang slaughtered a family of seven celebrating Christmas.") == [(7, ())]


def test_a_dash_aside_does_not_end_the_noun_phrase() -> None:
    text = "At least 17 civilians — including 10 women and one girl — were killed in the market."
    figures = [f for f in find_figures(text, split_sentences(text)) if f.category == "killed"]
    assert (figures[0].value, figures[0].victims, figures[0].subset) == (17, "civilians", False)


# ---------------------------------------------------------------- speed: the one-scan cue tests

_CUE_TEXTS = [
    "Air strikes killed at least 12 people, including four children, in the town on Sunday",
    "The death toll rose to 40 after 15 people were wounded and 3 were abducted by gunmen",
    "Gunmen shot dead a police officer and injured two passers-by; the bodies of 5 were found",
    "Some 2,000 families were displaced, and the number of victims has risen to 70",
    "Militants executed and crucified five men, the observatory said",
    "nothing to see here",
    "",
]


@pytest.mark.parametrize("text", _CUE_TEXTS)
def test_one_scan_finds_a_cue_exactly_where_one_cue_does(text: str) -> None:
    """The combined before (after) pattern matches a text exactly when one of the cues' own
    patterns does, at every word of the text (what _cue_before and _cue_after_at skip on)."""
    t = terms()
    words = text.split()
    for k in range(len(words) + 1):
        before, after = " ".join(words[:k]) + " ", " ".join(words[k:])
        assert bool(t.any_before_cue.search(before)) == any(p.search(before) for _, p in t.before_cues)
        assert bool(t.any_after_cue.match(after)) == any(p.match(after) for _, p in t.after_cues)


def test_the_one_scan_cue_tests_see_some_cues() -> None:
    t = terms()
    assert t.any_before_cue.search("gunmen killed ") and t.any_after_cue.match("were killed")
    assert not t.any_before_cue.search("the town of ") and not t.any_after_cue.match("in the town")
