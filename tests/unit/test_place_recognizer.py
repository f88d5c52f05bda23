"""The place component's rules on hand-built docs: what they read does not depend on the model.

Each doc is built from words and entity labels (as spaCy's own tests build them), so a rule
is tested on the structure it reads, not on what the small model happens to tag.
"""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from workers.gazetteer.places import PlaceContext, country_entry
from workers.nlp.components import (
    PlaceRecognizer,
    _admin_hint,
    _capitals,
    _with_located_names,
    place_context,
    place_of,
)

NIGERIA = PlaceContext("NG", frozenset({"NG"}))


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.blank("en")


def _doc(nlp: Language, words: list[str], ents: list[str] | None = None) -> Doc:
    doc = Doc(nlp.vocab, words=words, ents=ents or ["O"] * len(words))
    doc.spans["actors"] = []
    return doc


def test_an_administrative_word_after_or_before_the_name(nlp: Language) -> None:
    doc = _doc(nlp, ["attack", "in", "Plateau", "State", "and", "the", "state", "of", "Borno"])
    assert _admin_hint(doc[2:3])
    assert _admin_hint(doc[8:9])
    assert not _admin_hint(doc[0:1])


def test_demonyms_and_country_names_set_the_dominant_country(nlp: Language) -> None:
    words = ["Afghan", "officials", "said", "a", "bomb", "hit", "Kabul", "near", "Pakistan"]
    doc = _doc(nlp, words, ["B-NORP", "O", "O", "O", "O", "O", "B-GPE", "O", "B-GPE"])
    spans = [Span(doc, 6, 7, label="GPE"), Span(doc, 8, 9, label="GPE")]
    ctx = place_context(doc, spans)
    # Afghan (1) + Kabul (1) outweigh one mention of Pakistan (a country name: 2) only on the tie's order
    assert ctx.country == "AF"
    assert {"AF", "PK"} <= ctx.countries


def test_a_named_division_is_context_for_its_towns(nlp: Language) -> None:
    doc = _doc(nlp, ["in", "Jalalabad", "in", "Uttar", "Pradesh", ",", "India"])
    spans = [Span(doc, 1, 2, label="GPE"), Span(doc, 3, 5, label="GPE"), Span(doc, 6, 7, label="GPE")]
    ctx = place_context(doc, spans)
    assert ctx.country == "IN"
    assert ("IN", "Uttar Pradesh") in ctx.admin1s


def test_a_name_after_a_locative_word_is_a_place_of_the_articles_country(nlp: Language) -> None:
    # the model tagged the town as an organisation; the words and the gazetteer say a place
    doc = _doc(nlp, ["gunmen", "struck", "in", "Konduga", "on", "Monday"], ["O", "O", "O", "B-ORG", "O", "O"])
    found = _with_located_names(doc, [], NIGERIA)
    assert [s.text for s in found] == ["Konduga"]
    # before the article's country is known, a town only one country has is still a place ...
    assert [s.text for s in _with_located_names(doc, [], None)] == ["Konduga"]
    # ... but not a small town of several countries' names (Khar: Pakistan's, and Haar in Bavaria)
    doc = _doc(nlp, ["gunmen", "struck", "in", "Khar", "on", "Monday"], ["O", "O", "O", "B-ORG", "O", "O"])
    assert _with_located_names(doc, [], None) == []


def test_the_capital_of_the_country_named_before_it(nlp: Language) -> None:
    doc = _doc(
        nlp,
        ["bombs", "in", "the", "Iraqi", "capital", "killed", "nine"],
        ["O", "O", "O", "B-NORP", "O", "O", "O"],
    )
    spans = _capitals(doc, [], PlaceContext())
    assert len(spans) == 1 and spans[0].text == "Iraqi capital"
    entry = place_of(spans[0])
    assert entry is not None and (entry.country, entry.admin1) == ("IQ", "Baghdad")


def test_the_capital_of_a_country_named_as_a_place_before_it(nlp: Language) -> None:
    doc = _doc(
        nlp,
        ["fighting", "in", "Libya", "'s", "capital", "killed", "21"],
        ["O", "O", "B-GPE", "O", "O", "O", "O"],
    )
    country = Span(doc, 2, 3, label="GPE")
    country._.place = country_entry("LY")
    spans = _capitals(doc, [country], PlaceContext("LY", frozenset({"LY"})))
    assert len(spans) == 1 and spans[0].text == "capital"
    entry = place_of(spans[0])
    assert entry is not None and (entry.country, entry.admin1) == ("LY", "Tripoli")


def test_a_capital_named_right_after_is_left_to_its_name(nlp: Language) -> None:
    doc = _doc(nlp, ["the", "Afghan", "capital", "Kabul"], ["O", "B-NORP", "O", "B-GPE"])
    assert _capitals(doc, [], PlaceContext()) == []


def test_the_recognizer_reads_a_homonym_in_the_articles_country(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["Nigerian", "police", "said", "gunmen", "attacked", "villages", "in", "Niger", "State", "."]
    doc = _doc(nlp, words, ["B-NORP", "O", "O", "O", "O", "O", "O", "B-GPE", "O", "O"])
    doc = recognizer(doc)
    places = {s.text: place_of(s) for s in doc.spans["places"]}
    entry = places.get("Niger") or places.get("Niger State")
    assert entry is not None and (entry.country, entry.admin1) == ("NG", "Niger")


def test_an_armed_group_of_one_country_sets_the_scene(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["Boko", "Haram", "fighters", "killed", "nine", "farmers", "near", "Rann", "."]
    doc = _doc(nlp, words, ["B-ORG", "I-ORG", "O", "O", "O", "O", "O", "B-GPE", "O"])
    doc.spans["actors"] = [Span(doc, 0, 3, label="BOKO_HARAM")]
    doc = recognizer(doc)
    entry = place_of(doc.spans["places"][0])
    assert entry is not None and (entry.name, entry.country, entry.admin1) == ("Rann", "NG", "Borno")


def test_an_armed_group_alone_places_the_article_in_its_country(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    doc = _doc(nlp, ["Taliban", "fighters", "killed", "five", "civilians"], ["B-ORG", "O", "O", "O", "O"])
    doc.spans["actors"] = [Span(doc, 0, 2, label="TALIBAN")]
    doc = recognizer(doc)
    entry = place_of(doc.spans["places"][0])
    assert entry is not None and (entry.kind, entry.country) == ("country", "AF")


def test_a_demonym_that_leads_a_force_does_not_set_the_scene(nlp: Language) -> None:
    words = ["Saudi", "-", "led", "strikes", "killed", "22", ",", "Yemeni", "officials", "said"]
    ents = ["B-NORP", "O", "O", "O", "O", "O", "O", "B-NORP", "O", "O"]
    ctx = place_context(_doc(nlp, words, ents), [])
    assert ctx.country == "YE"


def test_a_village_only_one_country_has_decides_when_nothing_else_does(nlp: Language) -> None:
    doc = _doc(nlp, ["revolt", "north", "of", "Qayyara"], ["O", "O", "O", "B-GPE"])
    assert place_context(doc, [Span(doc, 3, 4, label="GPE")]).country == "IQ"


def test_a_name_before_a_settlement_noun_is_a_place(nlp: Language) -> None:
    doc = _doc(nlp, ["strikes", "on", "rebel", "-", "held", "Ibb", "city"], ["O"] * 5 + ["B-PRODUCT", "O"])
    found = _with_located_names(doc, [], PlaceContext("YE", frozenset({"YE"})))
    assert [s.text for s in found] == ["Ibb"]


def test_the_surname_of_a_person_named_in_full_is_no_place(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["Daniel", "Pearl", "was", "killed", "in", "Karachi", ".", "Pearl", "was", "a", "reporter"]
    ents = ["B-PERSON", "I-PERSON", "O", "O", "O", "B-GPE", "O", "B-GPE", "O", "O", "O"]
    doc = recognizer(_doc(nlp, words, ents))
    assert [s.text for s in doc.spans["places"]] == ["Karachi"]


def test_a_place_is_read_in_the_division_or_country_it_is_said_to_be_in(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["killed", "in", "Kosa", "Qala", "village", "in", "Faryab", "province"]
    doc = _doc(nlp, words, ["O", "O", "O", "B-GPE", "O", "O", "B-GPE", "O"])
    doc = recognizer(doc)
    places = {s.text: place_of(s) for s in doc.spans["places"]}
    # no Qala of Afghanistan in the gazetteer: not the Maltese council of that name, but a
    # village of the province the words put it in
    qala = places.get("Qala")
    assert qala is not None and (qala.country, qala.admin1) == ("AF", "Faryab")
    entry = places.get("Faryab") or places.get("Faryab province")
    assert entry is not None and entry.country == "AF"


def test_a_foreign_capital_inside_a_named_country_is_no_reading(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["violence", "near", "the", "village", "of", "Bangui", "in", "Niger"]
    doc = recognizer(_doc(nlp, words, ["O"] * 5 + ["B-GPE", "O", "B-GPE"]))
    places = {s.text: place_of(s) for s in doc.spans["places"]}
    assert places["Bangui"] is None
    assert places["Niger"] is not None and places["Niger"].country == "NE"


def test_a_town_named_twice_counts_once_for_its_country(nlp: Language) -> None:
    words = ["Ruwa", "attack", ".", "Ruwa", "in", "Nasarawa", "State"]
    doc = _doc(nlp, words, ["B-GPE", "O", "O", "B-GPE", "O", "B-GPE", "O"])
    spans = [Span(doc, 0, 1, label="GPE"), Span(doc, 3, 4, label="GPE"), Span(doc, 5, 7, label="GPE")]
    ctx = place_context(doc, spans)
    assert ctx.country == "NG" and "ZW" not in ctx.countries


def test_a_country_across_the_border_does_not_set_the_scene(nlp: Language) -> None:
    words = ["Nigerian", "troops", "in", "a", "town", "bordering", "Cameroon"]
    doc = _doc(nlp, words, ["B-NORP", "O", "O", "O", "O", "O", "B-GPE"])
    assert place_context(doc, [Span(doc, 6, 7, label="GPE")]).country == "NG"
    words = ["near", "the", "border", "with", "Nigeria", ",", "in", "Niger"]
    doc = _doc(nlp, words, ["O", "O", "O", "O", "B-GPE", "O", "O", "B-GPE"])
    spans = [Span(doc, 4, 5, label="GPE"), Span(doc, 7, 8, label="GPE")]
    assert place_context(doc, spans).country == "NE"


def test_a_country_in_a_water_name_is_no_place(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["bodies", "from", "Lake", "Chad", "in", "Cameroon", "and", "the", "Gulf", "of", "Guinea"]
    ents = ["O", "O", "B-LOC", "I-LOC", "O", "B-GPE", "O", "O", "O", "O", "B-GPE"]
    doc = recognizer(_doc(nlp, words, ents))
    found = [(s.text, e.country if (e := place_of(s)) else None) for s in doc.spans["places"]]
    assert found == [("Cameroon", "CM")]


def test_a_town_named_after_a_lake_is_still_a_place(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    doc = _doc(nlp, ["shooting", "in", "Salt", "Lake", "City", "and", "Lake", "Charles"])
    doc = recognizer(doc)
    countries = {e.country for s in doc.spans["places"] if (e := place_of(s)) is not None}
    assert countries <= {"US"}


def test_a_persons_first_name_is_no_town(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["an", "ally", "of", "President", "Vladimir", "Putin", "in", "Hungary"]
    doc = _doc(nlp, words, ["O", "O", "O", "O", "B-PERSON", "I-PERSON", "O", "B-GPE"])
    doc.spans["actors"] = [Span(doc, 4, 6, label="RUS", kb_id="alias")]
    doc = recognizer(doc)
    assert [s.text for s in doc.spans["places"]] == ["Hungary"]


def test_every_name_of_a_country_is_looked_for_in_any_case(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["Police", "in", "eSwatini", "arrested", "activists", ";", "Swaziland", "'s", "king"]
    doc = _doc(nlp, words, ["O", "O", "B-ORG", "O", "O", "O", "B-PERSON", "O", "O"])
    doc = recognizer(doc)
    found = [(s.text, e.country if (e := place_of(s)) else None) for s in doc.spans["places"]]
    assert found == [("eSwatini", "SZ"), ("Swaziland", "SZ")]


def test_the_seat_of_an_organisation_does_not_set_the_scene(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["a", "judge", "shot", "in", "Kabul", "city", ",", "the"]
    words += ["Pakistan", "-", "based", "agency", "said"]
    ents = ["O"] * 4 + ["B-GPE"] + ["O"] * 3 + ["B-GPE"] + ["O"] * 4
    doc = recognizer(_doc(nlp, words, ents))
    places = {s.text: place_of(s) for s in doc.spans["places"]}
    # Kabul is not read inside Pakistan, and Pakistan is no country the article is set in
    kabul = places.get("Kabul")
    assert kabul is not None and kabul.country == "AF"
    spans = [Span(doc, 4, 5, label="GPE"), Span(doc, 8, 9, label="GPE")]
    assert place_context(doc, spans).country == "AF"


def test_the_country_of_a_foreign_mission_does_not_set_the_scene(nlp: Language) -> None:
    words = ["the", "Saudi", "consulate", "in", "Istanbul", ".", "The", "Saudi", "consulate", "denied"]
    doc = _doc(nlp, words, ["O", "B-NORP", "O", "O", "B-GPE", "O", "O", "B-NORP", "O", "O"])
    assert place_context(doc, [Span(doc, 4, 5, label="GPE")]).country == "TR"
    words = ["protesters", "burned", "the", "Iran", "consulate", "in", "Najaf"]
    doc = _doc(nlp, words, ["O", "O", "O", "B-GPE", "O", "O", "B-GPE"])
    spans = [Span(doc, 3, 4, label="GPE"), Span(doc, 6, 7, label="GPE")]
    assert place_context(doc, spans).country == "IQ"


def test_a_division_named_after_its_type_word_and_of(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    doc = recognizer(_doc(nlp, ["fighting", "in", "the", "state", "of", "Rivers", "left", "ten", "dead"]))
    found = {s.text: place_of(s) for s in doc.spans["places"]}
    rivers = found.get("Rivers")
    assert rivers is not None and rivers.kind == "admin1" and rivers.country == "NG"


def test_phrase_patterns_match_as_the_docs_they_stand_for(nlp: Language) -> None:
    """Hash arrays (what the recognizers add, one Doc at a time) find what Doc patterns find."""
    from spacy.matcher import PhraseMatcher

    from workers.nlp.components import phrase_patterns

    names = ["Kafr Zita", "Deir ez-Zor", "al-Bab", "", "UN"]
    text = nlp.make_doc("Shelling hit kafr zita and Deir ez-Zor, then AL-BAB; the UN and un said so.")
    for exact, attr in ((False, "LOWER"), (True, "ORTH")):
        from_docs, from_hashes = PhraseMatcher(nlp.vocab, attr=attr), PhraseMatcher(nlp.vocab, attr=attr)
        from_docs.add("P", [nlp.make_doc(n) for n in names])
        patterns = phrase_patterns(nlp, names, exact=exact)
        assert len(patterns) == 4  # the empty name gives no pattern, as an empty Doc gives none
        from_hashes.add("P", patterns)  # type: ignore[arg-type]
        assert from_hashes(text) == from_docs(text) != []


def test_the_place_of_a_dateline_in_capitals(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["Record", "executions", "\n\n", "RIYADH", ":", "Saudi", "Arabia", "said"]
    doc = recognizer(_doc(nlp, words, ["O"] * 5 + ["B-GPE", "I-GPE", "O"]))
    places = {s.text: place_of(s) for s in doc.spans["places"]}
    riyadh = places.get("RIYADH")
    assert riyadh is not None and riyadh.country == "SA"


def test_a_word_in_capitals_that_names_no_place_is_no_dateline(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["Title", "\n\n", "UPDATE", ":", "police", "said"]
    doc = recognizer(_doc(nlp, words))
    assert list(doc.spans["places"]) == []


def test_a_city_everyone_knows_stays_where_it_is(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["raids", "in", "Chicago", ",", "the", "Twin", "Cities", "in", "Minnesota"]
    doc = recognizer(_doc(nlp, words, ["O", "O", "B-GPE", "O", "O", "O", "O", "O", "B-GPE"]))
    places = {s.text: place_of(s) for s in doc.spans["places"]}
    chicago = places.get("Chicago")
    assert chicago is not None and (chicago.country, chicago.admin1) == ("US", "Illinois")


def test_a_town_of_one_country_places_an_article_that_names_none(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["an", "ambush", "on", "a", "highway", "near", "Bacalar", "."]
    # the small model took the town for a person (and knows no country in the text)
    doc = recognizer(_doc(nlp, words, ["O"] * 6 + ["B-PERSON", "O"]))
    places = {s.text: place_of(s) for s in doc.spans["places"]}
    bacalar = places.get("Bacalar")
    assert bacalar is not None and (bacalar.country, bacalar.admin1) == ("MX", "Quintana Roo")


def test_a_hamlet_named_like_a_word_is_no_place(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    doc = recognizer(_doc(nlp, ["the", "bill", "stalled", "in", "Congress", "."], ["O"] * 4 + ["B-ORG", "O"]))
    assert list(doc.spans["places"]) == []


def test_a_peoples_name_taken_for_a_place_names_their_country(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["A", "Slovak", "journalist", "was", "shot", "near", "Urugbam", "in", "Southern", "Africa"]
    ents = ["O", "B-GPE", "O", "O", "O", "O", "B-GPE", "O", "B-LOC", "I-LOC"]
    doc = recognizer(_doc(nlp, words, ents))
    places = {s.text: place_of(s) for s in doc.spans["places"]}
    slovak = places.get("Slovak")
    assert slovak is not None and slovak.country == "SK"
    # a country's code inside a word and a region named after a country are no people's names
    assert places.get("Urugbam") is None and places.get("Southern Africa") is None


def test_a_name_after_the_township_of_is_a_place(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["killed", "in", "the", "township", "of", "Coban", ",", "north", "of", "the", "capital"]
    doc = recognizer(_doc(nlp, words, ["O"] * 5 + ["B-ORG"] + ["O"] * 5))
    places = {s.text: place_of(s) for s in doc.spans["places"]}
    coban = places.get("Coban")
    assert coban is not None and (coban.country, coban.admin1) == ("GT", "Alta Verapaz")


def test_a_hyphenated_name_is_read_whole_when_it_is_known(nlp: Language) -> None:
    recognizer = PlaceRecognizer(nlp)
    words = ["in", "Tongov", "district", "of", "Katsina", "-", "Ala", "Local", "Government", "Area"]
    spaces = [True, True, True, True, False, False, True, True, True, False]
    doc = Doc(nlp.vocab, words=words, spaces=spaces, ents=["O"] * len(words))
    doc.spans["actors"] = []
    places = {s.text: place_of(s) for s in recognizer(doc).spans["places"]}
    whole = places.get("Katsina-Ala")
    assert "Katsina" not in places and whole is not None and whole.admin1 == "Benue"
    # a border between two countries is no compound name: each stays itself
    words = ["Blast", "at", "Syria", "-", "Turkey", "border"]
    doc = Doc(nlp.vocab, words=words, spaces=[True, True, False, False, True, False])
    doc.ents = [Span(doc, 2, 3, label="GPE"), Span(doc, 4, 5, label="GPE")]
    doc.spans["actors"] = []
    assert [s.text for s in recognizer(doc).spans["places"]] == ["Syria", "Turkey"]
