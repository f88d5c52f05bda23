"""The planner's event sentences for a report without a death toll."""

from __future__ import annotations

from tests.support.articles import hand_made_entities
from workers.stages.casualties import find_figures
from workers.stages.event_figures import Plan, first_violation_sentence, plan_events
from workers.types import ArticleEntities


def _entities(text: str, title: str = "Report") -> ArticleEntities:
    return hand_made_entities(text, title=title, published_at="2021-03-02")


TEXT = (
    "The rights group issued a statement on Tuesday. "
    "Police arrested the lawyer on 12 February at his home. "
    "Fighting broke out in the city later that week."
)


def _plan(ent: ArticleEntities) -> Plan:
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    return plan_events(ent, [f for f in figs if "implicit-one" not in f.notes])[0]


def test_the_arrest_sentence_joins_a_tollless_event() -> None:
    ent = _entities(TEXT)
    assert first_violation_sentence(ent) == 1
    plan = _plan(ent)
    assert plan.killed == []
    assert plan.anchor == 2  # the place is still read from the first violent sentence
    assert plan.sentences == {-1, 1, 2}


def test_no_violation_adds_no_sentence() -> None:
    ent = _entities("The rights group issued a statement on Tuesday. It called for reform.")
    assert first_violation_sentence(ent) is None
    assert _plan(ent).sentences == {-1}


def test_a_toll_keeps_its_own_sentences() -> None:
    ent = _entities("Police arrested two men on Monday. Gunmen killed 5 people in the town on Sunday.")
    plan = _plan(ent)
    assert plan.anchor == 1
    assert 0 not in plan.sentences
