"""The scorer's division matching: one division written two ways counts as the same division,
two divisions that share a word do not (``workers.evaluation.matching.same_division``)."""

from __future__ import annotations

import pytest

from workers.evaluation.matching import division_of_place, same_division


@pytest.mark.parametrize(
    ("gold", "predicted"),
    [
        ("Parwan", "Parvan"),  # transliterations: one consonant skeleton
        ("Uruzgan", "Oruzgan"),
        ("Nineveh", "Ninawa"),
        ("Sadah", "Saada"),
        ("Daleh", "Ad Dali"),
        ("North Kordofan", "Shamal Kurdufan"),  # compass words in another language
        ("Nord Kivu", "North Kivu"),
        ("Northern Darfur", "North Darfur"),
        ("Jakarta", "Jakarta Raya"),  # one name within the other
        ("Sughd", "Viloyati Sughd"),
        ("Jammu and Kashmir", "Kashmir"),
        ("FATA", "Federally Administered Tribal Areas"),  # an acronym
        ("ARMM", "Autonomous Region in Muslim Mindanao"),
        ("FCT", "Abuja Federal Capital Territory"),
        ("Kiev", "Kyiv City"),
    ],
)
def test_one_division_written_two_ways(gold: str, predicted: str) -> None:
    assert same_division(gold, predicted)


@pytest.mark.parametrize(
    ("gold", "predicted"),
    [
        ("South Darfur", "East Darfur"),  # compass words are compared as words
        ("Western Lakes", "Lakes"),
        ("Bujumbura", "Bujumbura Rural"),
        ("Darfur", "Central Darfur"),
        ("Kasai", "Kasai-Occidental"),
        ("Upper Nile", "Lower Nile"),
        ("Sanaa", "Saada"),
        ("Kaduna", "Katsina"),
        ("Mosul", "Ninawa"),
        ("FCT", "Federal Capital Territory of Brasilia and more"),
    ],
)
def test_two_divisions_that_share_a_word(gold: str, predicted: str) -> None:
    assert not same_division(gold, predicted)


@pytest.mark.parametrize(
    ("gold", "predicted", "country"),
    [
        ("Beni", "North Kivu", "CD"),  # a town for the division: GeoNames puts it in one division
        ("Mosul", "Ninawa", "IQ"),
        ("London", "England", "GB"),
        ("Soum", "Sahel", "BF"),  # a second-level division ("Province du Soum")
        ("Bankass cercle", "Mopti", "ML"),
        ("Leyte", "Eastern Visayas", "PH"),
    ],
)
def test_a_place_below_the_division_stands_for_its_division(gold: str, predicted: str, country: str) -> None:
    assert same_division(gold, predicted, country)


@pytest.mark.parametrize(
    ("gold", "predicted", "country"),
    [
        ("Beni", "Ituri", "CD"),  # the division it is in, not a neighbour
        ("Mosul", "Ninawa", None),  # no country: nothing to look the town up in
        ("Gao", "Mopti", "ML"),  # a division's own name is never read as its capital town
        ("Kasai", "Kasai-Central", "CD"),
    ],
)
def test_a_place_below_the_division_names_no_other(gold: str, predicted: str, country: str | None) -> None:
    assert not same_division(gold, predicted, country)


def test_division_of_place_is_none_for_a_division_or_an_ambiguous_name() -> None:
    assert division_of_place("Borno", "NG") is None  # a first-level division itself
    assert division_of_place("Mosul", "IQ") == "Ninawa"
    assert division_of_place("Northwest", "SY") is None  # unknown there


def test_a_former_division_split_by_compass_words_takes_its_parts() -> None:
    # Darfur is no division of Sudan today; its five states carry its name and a compass word
    assert same_division("Darfur", "Central Darfur", "SD")
    assert same_division("Darfur", "Eastern Darfur", "SD")
    assert not same_division("Darfur", "Central Darfur", None)
    # Kasai is a division of DR Congo: no part of another's stands for it
    assert not same_division("Kasai", "Kasai-Central", "CD")
    assert not same_division("Lakes", "Western Lakes")  # no country: no history to read


@pytest.mark.parametrize(
    ("gold", "predicted", "country"),
    [
        ("North West Frontier Province", "Khyber Pakhtunkhwa", "PK"),  # renamed
        ("Federal District", "Mexico City", "MX"),
        ("North Caribbean Coast", "Atlantico Norte (RAAN)", "NI"),
        ("Katanga", "Tanganyika", "CD"),  # split: the former division and a part of it
        ("Gbudwe", "Western Equatoria", "SS"),  # in either order
        ("Lakes", "Western Lakes", "SS"),
        ("Gao", "Menaka", "ML"),
        ("Occitanie", "Midi-Pyrenees", "FR"),  # merged
    ],
)
def test_a_division_and_its_former_name_or_parts(gold: str, predicted: str, country: str) -> None:
    assert same_division(gold, predicted, country)


@pytest.mark.parametrize(
    ("gold", "predicted", "country"),
    [
        ("Eastern Lakes", "Western Lakes", "SS"),  # two parts of one former division
        ("Tanganyika", "Haut-Katanga", "CD"),  # "Haut-Katanga" is not "Katanga"
        ("Lomami", "Sankuru", "CD"),
        ("Federal District", "Mexico City", "VE"),  # another country's history
    ],
)
def test_two_parts_of_a_former_division_are_not_one(gold: str, predicted: str, country: str) -> None:
    assert not same_division(gold, predicted, country)


@pytest.mark.parametrize(
    ("gold", "predicted"),
    [("El Gedaref", "Al Qadarif"), ("Hadramout", "Hadramawt")],  # qaf said "g"; "aw" for "ou"
)
def test_transliterations_of_qaf_and_aw(gold: str, predicted: str) -> None:
    assert same_division(gold, predicted)
