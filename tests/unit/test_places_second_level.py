"""Second-level divisions, regions and towns the gazetteer reads beyond GeoNames' cities
(``workers/data/places/second_level.csv``, ``workers/data/place_aliases.csv``)."""

from __future__ import annotations

import pytest

from workers.gazetteer.places import PlaceContext, resolve_in_context


def _in(cc: str) -> PlaceContext:
    return PlaceContext(cc, frozenset({cc}))


@pytest.mark.parametrize(
    ("text", "cc", "admin1"),
    [
        ("Masisi", "CD", "North Kivu"),  # a territory
        ("Quissanga district", "MZ", "Cabo Delgado"),
        ("Palma District", "MZ", "Cabo Delgado"),  # not Palma de Mallorca in Mozambique
        ("Kech District's", "PK", "Balochistan"),
        ("Jos North", "NG", "Plateau"),  # a local government area
        ("Hodan", "SO", "Banaadir"),  # a district of Mogadishu
        ("Kamashie Zone", "ET", "Benishangul-Gumuz"),  # "zone" is a qualifier like "district"
        ("Western Gonder Zone", "ET", "Amhara"),
    ],
)
def test_a_second_level_division_is_a_place_of_its_division(text: str, cc: str, admin1: str) -> None:
    entry = resolve_in_context(text, _in(cc))
    assert entry is not None and (entry.country, entry.admin1) == (cc, admin1)


def test_a_second_level_division_is_read_in_its_country_only() -> None:
    entry = resolve_in_context("Palma", _in("ES"))
    assert entry is not None and entry.country == "ES"


def test_a_district_named_as_its_seat_keeps_the_towns_coordinates() -> None:
    entry = resolve_in_context("Ziarat", _in("PK"))
    assert entry is not None and entry.admin1 == "Balochistan" and entry.lat is not None


@pytest.mark.parametrize(
    ("text", "cc", "admin1"),
    [
        ("Darfur", "SD", "Darfur"),  # the region of the five Darfur states
        ("the Jabal Marra", "SD", "Darfur"),
        ("Taji", "IQ", "Baghdad"),  # towns cities500 lacks
        ("Shirqat", "IQ", "Salah ad Din"),
        ("Green Zone", "IQ", "Baghdad"),
        ("Minembwe", "CD", "South Kivu"),
        ("Bambo", "CD", "North Kivu"),
    ],
)
def test_curated_regions_and_towns(text: str, cc: str, admin1: str) -> None:
    entry = resolve_in_context(text, _in(cc))
    assert entry is not None and (entry.country, entry.admin1) == (cc, admin1)
