"""Where an event happened, on hand-built entities (no model): landmarks, borders, agents."""

from __future__ import annotations

from workers.stages.event_place import dominant_country, event_place, landmark, neighbour
from workers.stages.normalize import split_sentences
from workers.types import ArticleEntities, PlaceMention


def _entities(text: str, places: list[PlaceMention]) -> ArticleEntities:
    return {
        "schema_version": 1,
        "id": "art-1",
        "source": "test",
        "url": None,
        "published_at": "2019-09-02",
        "title": "Report",
        "text": text,
        "sentences": split_sentences(text),
        "content_hash": "a" * 64,
        "actors": [],
        "places": places,
    }


def _place(
    text: str, surface: str, admin1: str | None, country: str, name: str | None = None
) -> PlaceMention:
    start = text.index(surface)
    return {
        "text": surface,
        "name": name or surface,
        "admin1": admin1,
        "country": country,
        "lat": None,
        "lon": None,
        "sentence": 0,
        "start": start,
        "end": start + len(surface),
    }


def test_a_landmark_the_event_is_measured_from_does_not_place_it() -> None:
    text = "A bomber blew himself up in a cafe in Moqdadiyah, northeast of Baghdad, killing seven people."
    places = [_place(text, "Moqdadiyah", "Diyala", "IQ"), _place(text, "Baghdad", "Baghdad", "IQ")]
    ent = _entities(text, places)
    assert landmark(ent, places[1]) and not landmark(ent, places[0])
    chosen = event_place(ent, 0, None, near=text.index("seven"))
    assert chosen is not None and chosen["admin1"] == "Diyala"


def test_a_landmark_alone_still_places_the_event() -> None:
    text = "A bomb went off in a town 30 km south of Baghdad, killing five people."
    places = [_place(text, "Baghdad", "Baghdad", "IQ")]
    chosen = event_place(_entities(text, places), 0, None, near=text.index("five"))
    assert chosen is not None and chosen["admin1"] == "Baghdad"


def test_the_far_side_of_a_border_is_not_the_articles_country() -> None:
    text = "Militants attacked a camp in Ngala, Borno, near the border with Cameroon, killing 20 people."
    places = [
        _place(text, "Ngala", "Borno", "NG"),
        _place(text, "Borno", "Borno", "NG"),
        _place(text, "Cameroon", None, "CM"),
    ]
    ent = _entities(text, places)
    assert neighbour(ent, places[2]) and not neighbour(ent, places[0])
    assert dominant_country(ent) == "NG"


def test_a_country_named_only_as_an_agent_gives_the_country() -> None:
    text = "Bolivian authorities said the explosions killed 12 people."
    place = _place(text, "Bolivian", None, "BO", name="Bolivia")
    chosen = event_place(_entities(text, [place]), 0, None, near=text.index("12"))
    assert chosen is not None and chosen["country"] == "BO" and chosen["admin1"] is None
