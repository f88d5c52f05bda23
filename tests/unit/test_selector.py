"""The figure selector: candidates and features, labels from article gold, fitting, the
shipped model file, and the parser's work bound. Entities are built by hand (no model)."""

from __future__ import annotations

import pytest

from tests.support.articles import hand_made_entities
from workers import codec
from workers.stages import casualties
from workers.stages.casualties import find_figures
from workers.stages.errors import StageError
from workers.stages.event_figures import plan_events
from workers.stages.events import assemble_events
from workers.stages.normalize import split_sentences
from workers.stages.selector import (
    FEATURES,
    MODEL_FILE,
    NET,
    FigureSelector,
    candidates,
    counts_for,
    load_selector,
    shipped_selector,
)
from workers.training.selector import SelectorExample, fit_selector, labels, prepare
from workers.types import ArticleEntities


def _entities(text: str, title: str = "Report", article_id: str = "art-1") -> ArticleEntities:
    return hand_made_entities(text, title=title, article_id=article_id)


LEAD = (
    "At least 12 civilians were killed in air strikes on the town on Sunday, a monitor said. "
    "The strikes also wounded 30 people. The war has killed more than 370,000 people since 2011."
)


def test_background_figures_are_never_candidates() -> None:
    ent = _entities(LEAD)
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    values = [c.figure.value for c in candidates(ent, figs, [])]
    assert values == [12]
    assert all(len(c.features) == len(FEATURES) for c in candidates(ent, figs, []))


def test_shipped_model_is_small_loaded_once_and_counts_the_lead_toll() -> None:
    assert MODEL_FILE.stat().st_size < 2_000_000  # five bagged models per target
    assert shipped_selector() is shipped_selector()
    assert set(shipped_selector().models) == {"killed", "killed_noncombatants"}
    (event,) = assemble_events(_entities(LEAD))
    assert event["killed"] == {"low": 12, "high": None}
    assert event["injured"] == {"low": 30, "high": 30}


def test_a_victim_without_a_number_is_offered_as_one() -> None:
    ent = _entities(
        "The head of a polling station was shot dead by gunmen in the town on Tuesday, police said."
    )
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    (cand,) = candidates(ent, figs, [])
    assert (cand.figure.value, cand.figure.notes) == (1, ("implicit-one",))
    # the rules never count it; the selector may
    assert plan_events(ent, [f for f in figs if "implicit-one" not in f.notes])[0].killed == []


def test_selector_round_trips_through_json() -> None:
    selector = shipped_selector()
    again = FigureSelector.from_json(codec.loads(codec.dumps(selector.to_json())))
    ent = _entities(LEAD)
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    cands = candidates(ent, figs, plan_events(ent, figs)[0].killed)
    for target in ("killed", "killed_noncombatants"):
        assert [p for _, p in again.scores(target, cands)] == pytest.approx(
            [p for _, p in selector.scores(target, cands)]
        )


def test_a_model_for_other_features_is_refused(tmp_path: pytest.TempPathFactory) -> None:
    obj = shipped_selector().to_json()
    obj["features"] = obj["features"][:-1]
    path = tmp_path / "model.json"  # type: ignore[operator]
    path.write_bytes(codec.dumps(obj))
    with pytest.raises(StageError, match="other features"):
        load_selector(path)


def test_labels_take_the_smallest_set_adding_up_to_the_gold() -> None:
    text = (
        "Strikes killed 5 people. Officials said 7 fighters were killed. "
        "Officials said 12 people died. Another 3 were killed."
    )
    prep = prepare(SelectorExample(_entities(text), killed=12, killed_noncombatants=None))
    values = [c.figure.value for c in prep.candidates]
    assert values == [5, 7, 12, 3]
    assert labels(prep, 12) == [0, 0, 1, 0]  # one figure beats two that add up
    assert labels(prep, 15) == [0, 0, 1, 1]  # 12 + 3 beats 5 + 7 + 3
    assert labels(prep, 0) == [0, 0, 0, 0]
    assert labels(prep, 1000) is None


def test_fit_selector_learns_from_examples_and_keeps_the_planner_without_gold() -> None:
    lead = "At least {n} people were killed in the attack. Officials said {m} had died by evening."
    examples = [
        SelectorExample(
            _entities(lead.format(n=n, m=n + 2), article_id=f"a{n}"), killed=n, killed_noncombatants=None
        )
        for n in range(3, 40)
    ]
    selector = fit_selector(examples, {"killed": "logistic", "killed_noncombatants": "logistic"})
    assert set(selector.models) == {"killed"}  # no example annotates non-combatants
    ent = _entities(lead.format(n=51, m=53))
    (event,) = assemble_events(ent, selector=selector)
    assert event["killed"] == {"low": 51, "high": None}
    # the non-combatant target falls back to the planner's pick
    assert event["killed_noncombatants"] == {"low": 51, "high": None}


def test_figures_read_per_sentence_and_article_are_capped() -> None:
    one_sentence = " ".join(str(i) for i in range(10_000)) + " people were killed."
    figs = find_figures(one_sentence, split_sentences(one_sentence), None)
    assert len(figs) <= casualties.MAX_FIGURES_PER_SENTENCE
    many = " ".join(f"{i} people were killed." for i in range(1, 2_000))
    figs = find_figures(many, split_sentences(many), None)
    assert len(figs) == casualties.MAX_FIGURES_PER_ARTICLE
    assert max(f.value for f in figs) == casualties.MAX_FIGURES_PER_ARTICLE


@pytest.mark.parametrize(
    "sentence",
    [
        "10^100 people were killed.",
        "1e9 people were killed.",
        "2**40 people were killed.",
        "3x10^6 were killed.",
    ],
)
def test_a_number_with_an_exponent_is_no_count(sentence: str) -> None:
    assert find_figures(sentence, split_sentences(sentence), None) == []


def test_a_figure_above_the_ceiling_is_background() -> None:
    text = "Officials said 20000000 people were killed."
    (fig,) = find_figures(text, split_sentences(text), None)
    assert fig.background and fig.background_reason == "implausible"
    text = "Officials said 150 people were killed."
    (fig,) = find_figures(text, split_sentences(text), None)
    assert not fig.background
    (fig,) = find_figures(text, split_sentences(text), None, max_figure=100)
    assert fig.background and fig.background_reason == "implausible"
    (event,) = assemble_events(_entities(text), max_figure=100)
    assert event["killed"] is None


def _feature(cand_features: tuple[float, ...], name: str) -> float:
    return cand_features[FEATURES.index(name)]


def test_a_total_with_combatant_parts_offers_its_net_for_non_combatants_only() -> None:
    ent = _entities("A bombing in the capital killed 22 people including six military personnel.")
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    cands = [c for c in candidates(ent, figs, []) if c.figure.sentence >= 0]
    assert [(c.figure.value, NET in c.figure.notes) for c in cands] == [(22, False), (16, True), (6, False)]
    total, net, part = cands
    assert _feature(total.features, "combatant_part") == 1.0
    assert _feature(net.features, "net_of_combatants") == 1.0
    assert counts_for(net.figure, "killed_noncombatants") and not counts_for(net.figure, "killed")
    assert counts_for(total.figure, "killed") and counts_for(part.figure, "killed")


def test_a_net_figure_is_never_scored_for_the_killed_total() -> None:
    ent = _entities("A bombing in the capital killed 22 people including six military personnel.")
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    cands = candidates(ent, figs, [])
    scored = shipped_selector().scores("killed", cands)
    assert all(p == 0.0 for f, p in scored if NET in f.notes)


def test_parts_and_additive_words_are_features() -> None:
    ent = _entities(
        "Eleven people, including eight civilians and three assailants, were killed. "
        "Five more protesters were shot dead the following day."
    )
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    by_value = {c.figure.value: c for c in candidates(ent, figs, []) if c.figure.sentence >= 0}
    assert _feature(by_value[11].features, "noncombatant_part") == 1.0
    assert _feature(by_value[8].features, "part_beside_combatants") == 1.0
    assert _feature(by_value[5].features, "additive_words") == 1.0
    assert _feature(by_value[11].features, "additive_words") == 0.0


def test_labels_leave_out_what_cannot_count_for_the_target() -> None:
    ent = _entities("A bombing in the capital killed 22 people including six military personnel.")
    prep = prepare(SelectorExample(ent, 22, 16))
    assert labels(prep, 16, "killed_noncombatants") == [0, 1, 0]
    assert labels(prep, 16, "killed") is None  # 22 and 6 only: no set adds up
    assert labels(prep, 22, "killed") == [1, 0]


def test_a_bag_of_trees_averages_its_models_and_one_model_still_loads() -> None:
    from workers.stages.selector import TreesModel

    bag = shipped_selector().models["killed_noncombatants"]
    assert isinstance(bag, TreesModel) and len(bag.texts) == 5
    ent = _entities(LEAD)
    figs = find_figures(ent["text"], ent["sentences"], ent["title"])
    rows = [c.features for c in candidates(ent, figs, [])]
    singles = [TreesModel(t).predict(rows) for t in bag.texts]
    assert bag.predict(rows) == pytest.approx([sum(ps) / 5 for ps in zip(*singles, strict=True)])
    one = FigureSelector.from_json(
        {"features": list(FEATURES), "models": {"killed": {"kind": "lightgbm", "model": bag.texts[0]}}}
    )
    assert one.models["killed"].predict(rows) == pytest.approx(singles[0])
