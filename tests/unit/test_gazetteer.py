"""Actor and place gazetteers: aliases, spelling variants, apostrophes, governorates."""

from __future__ import annotations

import pytest

from workers.gazetteer import actor, all_actors, category_of, resolve_actor, resolve_place
from workers.gazetteer.actors import CATEGORIES, surface_variants
from workers.gazetteer.places import SYRIAN_GOVERNORATES, skeleton


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hay’et Tahrir al-Sham", "HTS"),  # typographic apostrophe
        ("Hay'et Tahrir al-Sham", "HTS"),
        ("Hayat Tahrir Al Sham", "HTS"),
        ("HTS", "HTS"),
        ("CENTCOM", "USA"),
        ("the United States", "USA"),
        ("U.S.", "USA"),
        ("Washington", None),  # a metonym: only in context
        ("US-led coalition", "COALITION"),
        ("the Kremlin", "RUS"),
        ("Russia's", "RUS"),  # possessive
        ("Russian defence ministry", "RUS"),
        ("regime forces", "SYR_GOV"),
        ("Assad regime", "SYR_GOV"),
        ("Syrian Arab Army", "SYR_GOV"),
        ("Islamic State", "ISIS"),
        ("Daesh", "ISIS"),
        ("ISIL", "ISIS"),
        ("Jabhat Fateh al-Sham", "NUSRA"),
        ("al-Nusra Front", "NUSRA"),
        ("Failaq al Sham", "FAILAQ_AL_SHAM"),
        ("Failaq al-Sham", "FAILAQ_AL_SHAM"),
        ("National Front for Liberation", "NLF"),
        ("Hizballah", "HEZBOLLAH"),
        ("People’s Protection Units", "YPG"),
        ("Syrian Democratic Forces", "SDF"),
        ("\u201cSyrian Observatory for Human Rights\u201d", "SOHR"),
        ("Syria Civil Defence", "WHITE_HELMETS"),
        ("Hurras al-Din", "HURRAS_AL_DEEN"),
        ("rebels", "REBELS"),
        ("Hayat Tahrir al-Shaam", "HTS"),  # fuzzy: a close spelling
        ("Bernard Smith", None),
    ],
)
def test_resolve_actor(text: str, expected: str | None) -> None:
    entry = resolve_actor(text)
    assert (entry.id if entry else None) == expected


def test_demonyms_and_metonyms_only_when_asked() -> None:
    assert resolve_actor("Russian") is None
    found = resolve_actor("Russian", forms=("alias", "demonym"))
    assert found is not None and found.id == "RUS"
    found = resolve_actor("Damascus", forms=("alias", "metonym"))
    assert found is not None and found.id == "SYR_GOV"


def test_gazetteer_is_consistent() -> None:
    actors = all_actors()
    for required in (
        "USA",
        "COALITION",
        "RUS",
        "SYR_GOV",
        "TUR",
        "IRN",
        "ISR",
        "HTS",
        "NUSRA",
        "ISIS",
        "SDF",
    ):
        assert required in actors
    assert all(a.category is None or a.category in CATEGORIES for a in actors.values())
    assert actor("SANA").kind == "monitor"
    assert category_of("HEZBOLLAH") == category_of("IRN") == "syrian government or russian troops"
    assert category_of("HTS") == "al-nusra front"
    assert category_of("YPG") == category_of("SDF") == "self administration forces"
    assert category_of("USA") == category_of("COALITION") == "international coalition forces"
    assert category_of(None) is None
    with pytest.raises(KeyError):
        actor("NOBODY")


def test_surface_variants_cover_apostrophes_and_hyphens() -> None:
    forms = surface_variants("Hay'et Tahrir al-Sham")
    assert {"Hay'et Tahrir al-Sham", "Hay’et Tahrir al-Sham", "Hay'et Tahrir al Sham"} <= forms


@pytest.mark.parametrize(
    ("text", "admin1"),
    [
        ("Idleb", "Idlib"),
        ("northern Idlib province", "Idlib"),
        ("Raqa", "Raqqa"),
        ("ar-Raqqah", "Raqqa"),
        ("Rakka", "Raqqa"),
        ("Deir ez-Zor", "Deir ez-Zor"),
        ("Deir al-Zour", "Deir ez-Zor"),
        ("Deir Ezzor", "Deir ez-Zor"),
        ("Deir el-Zour", "Deir ez-Zor"),
        ("Hasakeh", "Hasakah"),
        ("Hassakeh", "Hasakah"),
        ("Al-Hasakah", "Hasakah"),
        ("Deraa", "Daraa"),
        ("Dara’a", "Daraa"),
        ("Lattakia", "Latakia"),
        ("Lattakieh", "Latakia"),
        ("Tartous", "Tartus"),
        ("Homs countryside", "Homs"),
        ("Hama", "Hama"),
        ("Aleppo", "Aleppo"),
        ("Aleppos", "Aleppo"),  # possessive without its apostrophe
        ("Damascus", "Damascus"),
        ("Damascus countryside", "Rif Dimashq"),
        ("Eastern Ghouta", "Rif Dimashq"),
        ("Douma", "Rif Dimashq"),
        ("Quneitra", "Quneitra"),
        ("Sweida", "As-Suwayda"),
    ],
)
def test_place_variants_resolve_to_governorate(text: str, admin1: str) -> None:
    place = resolve_place(text)
    assert place is not None and place.country == "SY"
    assert place.admin1 == admin1
    assert place.admin1 in SYRIAN_GOVERNORATES
    assert place.lat is not None and place.lon is not None


@pytest.mark.parametrize(
    ("text", "admin1"),
    [
        ("Khan Sheikhoun", "Idlib"),
        ("Maaret al-Numan", "Idlib"),
        ("Jabal al Dweila", "Idlib"),
        ("al-Kaseeh", "Idlib"),
        ("Saraqib", "Idlib"),
        ("Manbij", "Aleppo"),
        ("Kobane", "Aleppo"),
        ("Sheikh Maqsoud", "Aleppo"),
        ("Palmyra", "Homs"),
        ("Qardaha", "Latakia"),
        ("Al Mayadin", "Deir ez-Zor"),  # shipped GeoNames row
        ("Qamishli", "Hasakah"),
        ("Tabqa", "Raqqa"),
        ("Jaramana", "Rif Dimashq"),
        ("Yarmouk camp", "Damascus"),
    ],
)
def test_towns_and_neighbourhoods_resolve_to_governorate(text: str, admin1: str) -> None:
    place = resolve_place(text)
    assert place is not None and place.admin1 == admin1


def test_countries_and_foreign_places() -> None:
    for name, cc in (("Syria", "SY"), ("Iraq", "IQ"), ("Turkey", "TR"), ("Lebanon", "LB"), ("Jordan", "JO")):
        place = resolve_place(name)
        assert place is not None and place.country == cc and place.admin1 is None
    moscow = resolve_place("Moscow")
    assert moscow is not None and moscow.country == "RU"
    assert resolve_place("qwertyuiop") is None
    assert resolve_place("") is None


def test_skeleton_absorbs_transliteration() -> None:
    assert skeleton("hasakeh") == skeleton("hassakah") == skeleton("al hasaka")


@pytest.mark.parametrize("text", ["Zahraa", "al-Zahraa", "Shaar", "al-Shaar"])
def test_names_shared_by_two_governorates_resolve_without_one(text: str) -> None:
    # al-Zahraa: a district of Aleppo and of Homs; al-Shaar: an Aleppo district and the gas field near Homs
    place = resolve_place(text)
    assert place is not None and place.country == "SY" and place.admin1 is None


@pytest.mark.parametrize(
    ("text", "admin1"),
    [
        ("Shaar gas field", "Homs"),
        ("Shaer", "Homs"),
        ("Zahra neighborhood", "Homs"),
        ("the Syrian capital", "Damascus"),
    ],
)
def test_qualified_forms_of_shared_names_still_resolve(text: str, admin1: str) -> None:
    place = resolve_place(text)
    assert place is not None and place.admin1 == admin1


def test_short_names_are_not_fuzzy_matched() -> None:
    # a short unknown name must not land on a similar-looking town in another governorate
    for text in ("Namar", "Zahr", "Shar"):
        place = resolve_place(text)
        assert place is None or place.name.lower().replace("-", " ").endswith(text.lower())


@pytest.mark.parametrize(("text", "admin1"), [("Kobaninorth", "Aleppo"), ("Idlibsouth", "Idlib")])
def test_direction_glued_to_a_syrian_place_by_a_scrape(text: str, admin1: str) -> None:
    place = resolve_place(text)
    assert place is not None and place.admin1 == admin1


def test_a_bare_direction_word_is_no_place() -> None:
    for text in ("Northwest", "Southeast", "Eastern"):
        place = resolve_place(text)
        assert place is None or place.admin1 is None
