"""The dev-set evaluation: place and month matching, per-set scorers, folds and the CV driver."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from workers.evaluation.crossval import assign_folds, cross_validated
from workers.evaluation.devsets import (
    DevArticle,
    WadGold,
    fakes_articles,
    hrd_articles,
    wad_articles,
)
from workers.evaluation.matching import (
    alpha2_of_alpha3,
    countries_named,
    month_of,
    same_division,
    year_month,
    year_of,
)
from workers.evaluation.perpetrators import PerpetratorLabels, read_labels
from workers.evaluation.run import evaluate
from workers.evaluation.scoring import Prediction, score_fakes, score_hrd, score_wad
from workers.types import ArticleEntities, NormalizedArticle


@pytest.mark.parametrize(
    ("gold", "predicted", "country", "same"),
    [
        ("Borno State", "Borno", None, True),
        ("Baghdad Governate", "Baghdad", None, True),
        ("Baluchistan Province", "Balochistan", None, True),
        ("Salah ad Din", "Şalāḩ ad Dīn", None, True),
        ("State of Mexico", "México", None, True),
        ("Rif Dimashq", "Damascus", "SY", True),  # FA-KES counts Rif Dimashq as Damascus
        ("Rif Dimashq", "Damascus", None, False),  # ... in Syria only
        ("Sanaa", "Saada", None, False),
        ("Kaduna", "Katsina", None, False),
        ("unknown", "Kaduna", None, False),
        ("Kaduna", None, None, False),
    ],
)
def test_same_division(gold: str, predicted: str | None, country: str | None, same: bool) -> None:
    assert same_division(gold, predicted, country) is same


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("USA", {"US"}),
        ("United States of America", {"US"}),
        ("People's Republic of China", {"CN"}),
        ("Russia", {"RU"}),
        ("the Netherlands", {"NL"}),
        ("Nigeia", {"NG"}),  # a typo within the fuzzy threshold
        ("Yemeni", {"YE"}),
        ("Palestine", {"PS"}),
        ("Myanmar and Iran", {"MM", "IR"}),
        ("Texas", {"US"}),  # a division gives its country
        ("Scotland", {"GB"}),
        ("Africa", set()),
        ("N/a", set()),
        (None, set()),
    ],
)
def test_countries_named(text: str | None, codes: set[str]) -> None:
    assert countries_named(text) == codes


def test_codes_years_and_months() -> None:
    assert alpha2_of_alpha3("NGA") == "NG" and alpha2_of_alpha3("COD") == "CD"
    assert alpha2_of_alpha3("ELS") is None and alpha2_of_alpha3(None) is None
    assert [month_of(v) for v in ("07", "7.0", "November", "nov", "unknown", None, "13")] == [
        7,
        7,
        11,
        11,
        None,
        None,
        None,
    ]
    assert [year_of(v) for v in ("2019.0", "2021", "unknown", None)] == [2019, 2021, None, None]
    assert year_month("2020-07-03T10:00:00+00:00") == (2020, 7) and year_month(None) is None


# ---------------------------------------------------------------- scorers


def _event(
    killed: int | None = None,
    country: str | None = None,
    admin1: str | None = None,
    date: str | None = None,
    perpetrator: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "killed": None if killed is None else {"low": killed, "high": killed},
        "location": {"name": admin1, "admin1": admin1, "country": country},
        "date": {"value": date, "precision": "day"},
        "perpetrator": perpetrator,
        **extra,
    }


def _wad(key: str, killed: int, iso3: str = "NGA", region: str | None = "Borno") -> dict[str, Any]:
    return {
        "id": key,
        "text": f"Gunmen killed villagers in report {key}.",
        "date": "2019-05-02",
        "gold_killed": killed,
        "gold_location": {"Country": iso3, "Region": region},
    }


def test_wad_scorer_counts_noncombatants_and_places_on_the_main_event() -> None:
    arts = wad_articles([_wad("w1", 5), _wad("w2", 3), _wad("w3", 0, region=None), _wad("w4", 2)])
    preds = {
        # killed_noncombatants wins where an event has it (None counts 0); the first event is the main one
        "w1": Prediction(
            [
                _event(9, "NG", "Borno State", killed_noncombatants={"low": 5, "high": 5}),
                _event(4, "NG", "Yobe", killed_noncombatants=None),
            ]
        ),
        "w2": Prediction([_event(3, "NG", "Yobe")]),  # right toll, wrong state
        "w3": Prediction([]),  # no event: 0 killed (right), country wrong, no region gold to score
        "w4": Prediction(error="events: IndexError: boom"),
    }
    s = score_wad(arts, preds)
    assert s.value("killed exact") == 0.75
    country = next(m for m in s.measures if m.name == "country")
    assert (country.value, country.n) == (0.5, 4)
    admin1 = next(m for m in s.measures if m.name == "first-level division")
    assert (admin1.value, admin1.n) == (pytest.approx(1 / 3, abs=1e-3), 3)
    assert s.failed == {"w4": "events: IndexError: boom"}
    assert {(m.key, m.measure) for m in s.misses} >= {("w4", "killed exact"), ("w2", "first-level division")}


def test_wad_country_follows_the_pitf_code_list() -> None:
    # PITF files Gaza under Israel and writes El Salvador "ELS"; Palestine is no match elsewhere
    arts = wad_articles([_wad("g", 2, "ISR", None), _wad("s", 11, "ELS", None), _wad("n", 1, "NGA", None)])
    assert [a.gold.country for a in arts] == ["IL", "SV", "NG"]  # type: ignore[union-attr]
    preds = {
        "g": Prediction([_event(2, "PS")]),
        "s": Prediction([_event(11, "SV")]),
        "n": Prediction([_event(1, "PS")]),
    }
    country = next(m for m in score_wad(arts, preds).measures if m.name == "country")
    assert (country.value, country.n) == (pytest.approx(2 / 3, abs=1e-3), 3)


def _hrd(
    key: str, country: str | None, region: str | None, year: str | None, month: str | None, actor: str | None
) -> dict[str, Any]:
    return {
        "id": key,
        "title": "Activist arrested",
        "text": "Police arrested an activist.",
        "date": "2021-03-04 10:00:00",
        "gold_location": {"country": country, "region": region, "city": None},
        "gold_event_date": {"year": year, "month": month, "day": None},
        "gold_actor": actor,
    }


def test_hrd_scorer_skips_empty_gold_and_maps_perpetrators() -> None:
    arts = hrd_articles(
        [
            _hrd("h1", "USA", "Texas", "2021.0", "February", "state actor"),
            _hrd("h2", "Africa", None, "2021", None, None),  # no country, region or month to score
            _hrd("h3", "Nigeria", "Kaduna State", "2020", "07", "other actors without permissions"),
        ]
    )
    labels = PerpetratorLabels(
        {}, {"police": "state actor", "unidentified": "other actors without permissions"}, "none"
    )
    preds = {
        "h1": Prediction(
            [_event(None, "US", "Texas", "2021-02-27", "USA_POLICE")], kinds={"USA_POLICE": "police"}
        ),
        "h2": Prediction([]),
        "h3": Prediction(
            [_event(None, "NG", "Kaduna", "2020-08-01", "GUNMEN")], kinds={"GUNMEN": "unidentified"}
        ),
    }
    s = score_hrd(arts, preds, labels)
    got = {m.name: (m.value, m.n) for m in s.measures}
    assert got == {
        "country": (1.0, 2),
        "first-level division": (1.0, 2),
        "event month": (0.5, 2),
        # a null gold is its own label ("no perpetrator mentioned"); naming nobody gives the
        # mapping's none label, which differs here: h2 is wrong
        "perpetrator type": (0.6667, 3),
    }


def _fakes(row_id: str, unit: int, killed: int, place: str = "aleppo") -> dict[str, Any]:
    return {
        "id": row_id,
        "unit_id": unit,
        "title": "Blast in Aleppo",
        "text": f"Article {unit} text.",
        "date": "2017-04-19",
        "gold_killed": killed,
        "gold_location": place,
        "gold_actor": "unknown",
    }


def test_fakes_scorer_sums_rows_and_counts_a_failed_article_wrong() -> None:
    arts = fakes_articles([_fakes("r1", 1, 10), _fakes("r2", 1, 2, "idlib"), _fakes("r3", 2, 0)])
    assert [a.key for a in arts] == ["r1", "r3"]
    preds = {
        "r1": Prediction([_event(12, "SY", "Idlib")]),
        "r3": Prediction(error="normalize: StageError: empty"),
    }
    s = score_fakes(arts, preds, PerpetratorLabels({}, {}, "unknown"))
    assert s.value("killed exact") == 0.5  # r3's gold 0 would match "no events", but it failed
    assert s.value("governorate") == 0.5 and s.value("perpetrator category") == 0.5
    assert s.value("mean absolute error") == 0.0


def test_labels_file_shape(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    path.write_text(
        json.dumps({"about": "x", "by_actor": {"A": "a"}, "by_kind": {"police": "p"}, "none": "n"})
    )
    labels = read_labels(path)
    assert (labels.label("A"), labels.label(None), labels.label("X", {"X": "police"}), labels.label("Y")) == (
        "a",
        "n",
        "p",
        "n",
    )
    path.write_text(json.dumps({"by_actor": {}}))
    with pytest.raises(ValueError):
        read_labels(path)


# ---------------------------------------------------------------- folds and cross-validation


def test_folds_keep_groups_together_and_are_deterministic() -> None:
    groups = [f"g{i // 3}" for i in range(60)]  # 20 articles of 3 rows each
    folds = assign_folds(groups, salt="fakes")
    assert folds == assign_folds(groups, salt="fakes")
    assert assign_folds(list(reversed(groups)), salt="fakes") == list(reversed(folds))
    assert set(folds) == {0, 1, 2, 3, 4}
    by_group: dict[str, set[int]] = {}
    for g, f in zip(groups, folds, strict=True):
        by_group.setdefault(g, set()).add(f)
    assert all(len(fs) == 1 for fs in by_group.values())  # an article is never split
    assert sorted(folds.count(k) for k in range(5)) == [12] * 5  # 4 articles per fold
    assert assign_folds(groups, salt="wad") != folds  # each set gets its own deal


def _memorize(items: Sequence[DevArticle]) -> dict[str, int]:
    """A real (if useless) fit: remember every training article's gold toll."""
    return {a.key: a.gold.killed for a in items if isinstance(a.gold, WadGold)}


def _recall(model: dict[str, int], item: DevArticle) -> Prediction:
    return Prediction([_event(model.get(item.key, -1))])


def test_cross_validation_never_predicts_an_article_with_a_model_that_saw_it() -> None:
    arts = wad_articles([_wad(f"w{i}", i + 1) for i in range(20)])
    folds = assign_folds([a.group for a in arts], salt="wad")
    seen: list[set[str]] = []

    def fit(items: Sequence[DevArticle]) -> dict[str, int]:
        seen.append({a.key for a in items})
        return _memorize(items)

    cv = cross_validated(arts, folds, fit, _recall)
    fitted_model = _memorize(arts)
    fitted = [_recall(fitted_model, a) for a in arts]
    assert len(seen) == 5 and all(len(s) == 16 for s in seen)  # four folds of four each
    cv_score = score_wad(arts, {a.key: p for a, p in zip(arts, cv, strict=True)})
    fitted_score = score_wad(arts, {a.key: p for a, p in zip(arts, fitted, strict=True)})
    assert cv_score.value("killed exact") == 0.0  # memorizing generalises to nothing
    assert fitted_score.value("killed exact") == 1.0  # ... while looking perfect on what it saw


# ---------------------------------------------------------------- end to end, without the model


def _no_entities(batch: Sequence[NormalizedArticle]) -> list[ArticleEntities]:
    """The entity stage with nothing found: the run's other stages stay real."""
    return [{**a, "actors": [], "places": []} for a in batch]  # type: ignore[typeddict-unknown-key]


def test_evaluate_caches_entities_and_scores_each_set(tmp_path: Path) -> None:
    eval_dir = tmp_path / "eval"
    eval_dir.mkdir()
    wad = [_wad("w1", 6) | {"text": "Gunmen killed six villagers in Borno on Monday."}, _wad("w2", 0)]
    hrd = [_hrd("h1", "Nigeria", None, "2021", "03", None)]
    for name, rows in (("fakes", [_fakes("r1", 1, 4)]), ("wad", wad), ("hrd", hrd)):
        (eval_dir / f"{name}_dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    loads: list[int] = []

    def entities_batch() -> Any:
        loads.append(1)
        return _no_entities

    first = evaluate(("fakes", "wad", "hrd"), eval_dir, tmp_path / "cache", "m", entities_batch, None)
    assert loads == [1]
    second = evaluate(("fakes", "wad", "hrd"), eval_dir, tmp_path / "cache", "m", entities_batch, None)
    assert loads == [1]  # the second run reads the cache: no model load
    wad_score = next(r.shipped for r in second.results if r.set == "wad")
    assert wad_score is not None and (wad_score.articles, wad_score.failed) == (2, {})
    assert [m.name for m in wad_score.measures] == ["killed exact", "country", "first-level division"]
    assert not first.selector and "missing" in first.notes[0]
    assert [r.set for r in first.results] == ["fakes", "wad", "hrd"]


def test_evaluate_command_scores_a_wad_predictions_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from workers.cli_batch import evaluate_command

    gold, pred = tmp_path / "wad.jsonl", tmp_path / "pred.jsonl"
    gold.write_text("".join(json.dumps(_wad(k, 2)) + "\n" for k in ("w1", "w2")))
    pred.write_text(json.dumps({"id": "w1", "events": [_event(2, "NG", "Borno State")]}) + "\n")
    result = CliRunner().invoke(evaluate_command, ["--gold", str(gold), "--pred", str(pred), "--json"])
    assert result.exit_code == 0, result.output
    measures = {m["measure"]: m["shipped"] for m in json.loads(result.output)["sets"]["wad"]["measures"]}
    assert measures == {"killed exact": 0.5, "country": 0.5, "first-level division": 0.5}  # w2: no prediction


def test_cache_fingerprint_follows_code_data_and_model_but_not_the_evaluation(tmp_path: Path) -> None:
    from workers.evaluation.prepare import fingerprint

    files = (
        ("stages/entities.py", "x = 1"),
        ("stages/events.py", "z = 1"),
        ("data/terms.jsonl", "{}"),
        ("evaluation/run.py", "y = 1"),
    )
    for rel, text in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    base = fingerprint("m", tmp_path)
    assert fingerprint("m", tmp_path) == base and fingerprint("other", tmp_path) != base
    (tmp_path / "evaluation" / "run.py").write_text("y = 2")  # runs after entities: same cache
    (tmp_path / "stages" / "events.py").write_text("z = 2")  # so does the events stage
    assert fingerprint("m", tmp_path) == base
    (tmp_path / "data" / "terms.jsonl").write_text('{"a": 1}')
    changed = fingerprint("m", tmp_path)
    assert changed != base
    (tmp_path / "stages" / "entities.py").write_text("x = 2")
    assert fingerprint("m", tmp_path) != changed
