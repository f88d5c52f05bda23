"""Where an event happened, on hand-built entities (no model): landmarks, borders, agents."""

from __future__ import annotations

from collections.abc import Sequence

from tests.support.articles import hand_made_entities
from workers.stages.event_place import (
    court,
    dateline,
    dominant_country,
    event_place,
    killing_country,
    landmark,
    neighbour,
    title_country,
)
from workers.types import ActorMention, ArticleEntities, PlaceMention


def _entities(text: str, places: list[PlaceMention]) -> ArticleEntities:
    return hand_made_entities(text, places=places)


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


def _titled(
    title: str, text: str, places: Sequence[tuple[str, str, str | None, str]], actors: list[str]
) -> ArticleEntities:
    """Entities with a title; ``places`` (segment "title"/"text", surface, admin1, country) and
    the country-named ``actors`` are placed at their first occurrence (title first)."""
    ent = _entities(text, [])
    ent["title"] = title
    sentences = ent["sentences"]

    def where(surface: str, in_title: bool) -> tuple[int, int]:
        if in_title:
            return -1, title.index(surface)
        start = text.index(surface)
        return next(i for i, s in enumerate(sentences) if s["start"] <= start < s["end"]), start

    for seg, surface, admin1, cc in places:
        idx, start = where(surface, seg == "title")
        ent["places"].append(
            {
                "text": surface,
                "name": surface,
                "admin1": admin1,
                "country": cc,
                "lat": None,
                "lon": None,
                "sentence": idx,
                "start": start,
                "end": start + len(surface),
            }
        )
    for surface in actors:
        for in_title in (True, False):
            if (title if in_title else text).find(surface) < 0:
                continue
            idx, start = where(surface, in_title)
            mention: ActorMention = {
                "actor_id": surface.upper()[:3],
                "text": surface,
                "kind": "state_force",
                "role": "mentioned",
                "sentence": idx,
                "start": start,
                "end": start + len(surface),
            }
            ent["actors"].append(mention)
    ent["places"].sort(key=lambda p: (p["sentence"], p["start"]))
    return ent


def test_a_country_acting_in_the_title_sets_the_articles_country() -> None:
    # more mentions of the neighbour than of the country's own places: the title decides
    title = "Qatar shuts down 12 recruitment agencies"
    text = (
        "Qatar has shut down 12 recruitment agencies. Talks were held in Doha on Sunday. "
        "Offices in Dubai and Abu Dhabi were also named."
    )
    ent = _titled(
        title,
        text,
        [
            ("text", "Doha", "Baladiyat ad Dawhah", "QA"),
            ("text", "Dubai", "Dubai", "AE"),
            ("text", "Abu Dhabi", "Abu Dhabi", "AE"),
        ],
        ["Qatar"],
    )
    assert dominant_country(ent) == "AE"
    assert title_country(ent) == "QA"
    chosen = event_place(ent, 0, None)
    assert chosen is not None and chosen["country"] == "QA"


def test_a_title_naming_two_countries_decides_nothing() -> None:
    # "US" names no scene by itself, but with it the title names two countries
    title = "US sanctions Iran over plot to kidnap journalist"
    text = "The US Treasury imposed sanctions on Iran. The plot was foiled in New York."
    ent = _titled(
        title,
        text,
        [("title", "Iran", None, "IR"), ("text", "Iran", None, "IR"), ("text", "New York", "New York", "US")],
        ["US"],
    )
    assert title_country(ent) is None


def test_a_based_place_or_one_the_lead_does_not_name_is_no_title_country() -> None:
    title = "Gang threatens workers from Ohio-based charity"
    text = "A gang in Haiti holds 17 missionaries. Their charity is in Ohio."
    ent = _titled(
        title,
        text,
        [("title", "Ohio", "Ohio", "US"), ("text", "Haiti", None, "HT"), ("text", "Ohio", "Ohio", "US")],
        [],
    )
    assert title_country(ent) is None
    title = "Chief detained over murder in Benin"
    text = "A chief was detained by the Edo State police. He was held in Warri."
    ent = _titled(
        title,
        text,
        [
            ("title", "Benin", None, "BJ"),
            ("text", "Edo State", "Edo", "NG"),
            ("text", "Warri", "Delta", "NG"),
        ],
        [],
    )
    assert title_country(ent) is None


def test_a_killing_abroad_in_the_tolls_sentence_places_the_event_there() -> None:
    # the title sets the report in France, but the toll is of a killing in Syria
    title = "Former commander on trial in France"
    text = (
        "The former commander is on trial in Paris for fraud. "
        "Some 300 people were killed in the massacre in Hama, rights groups say."
    )
    places = [
        ("title", "France", None, "FR"),
        ("text", "Paris", "Ile-de-France", "FR"),
        ("text", "Hama", "Hama", "SY"),
    ]
    ent = _titled(title, text, places, [])
    assert title_country(ent) == "FR"
    near = text.index("300")
    assert killing_country(ent, 1, near, ent["places"]) == "SY"
    chosen = event_place(ent, 1, None, near=near)
    assert chosen is not None and chosen["country"] == "SY" and chosen["admin1"] == "Hama"


def test_a_toll_of_no_killing_or_no_toll_keeps_the_reports_country() -> None:
    # bodies found are no killing told; without a toll the violent sentence abroad is an aside
    title = "Police find 41 migrants alive in truck in Greece"
    text = (
        "Police found 41 migrants alive in a truck near Xanthi. "
        "It came days after 39 bodies were discovered in a truck near London."
    )
    places = [
        ("title", "Greece", None, "GR"),
        ("text", "Xanthi", "East Macedonia and Thrace", "GR"),
        ("text", "London", "England", "GB"),
    ]
    ent = _titled(title, text, places, [])
    assert killing_country(ent, 1, text.index("39"), ent["places"]) is None
    chosen = event_place(ent, 1, None, near=text.index("39"))
    assert chosen is not None and chosen["country"] == "GR"
    text = "Police found 41 migrants in Xanthi. Two men were shot dead in London last year."
    places = [
        ("title", "Greece", None, "GR"),
        ("text", "Xanthi", "East Macedonia and Thrace", "GR"),
        ("text", "London", "England", "GB"),
    ]
    ent = _titled(title, text, places, [])
    assert killing_country(ent, 1, None, ent["places"]) is None


def test_without_a_toll_the_lead_places_an_event_told_late_as_violent() -> None:
    # the arrest in the lead is the event; the first violent sentence, far on, is about another place
    text = (
        "A photographer was arrested by police in New York. "
        "His agency protested. "
        "He had been held for ten hours in a jail in New York. "
        "The protests began after a man was killed by police in Minnesota."
    )
    places = [
        ("text", "New York", "New York", "US"),
        ("text", "Minnesota", "Minnesota", "US"),
    ]
    ent = _titled("Photographer arrested", text, places, [])
    second = text.index("New York", text.index("jail"))
    ent["places"].insert(1, {**ent["places"][0], "sentence": 2, "start": second, "end": second + 8})
    chosen = event_place(ent, 3, None)
    assert chosen is not None and chosen["admin1"] == "New York"
    # with a toll in that sentence, the sentence's place it is
    chosen = event_place(ent, 3, None, near=text.index("a man"))
    assert chosen is not None and chosen["admin1"] == "Minnesota"


def test_the_court_that_tries_a_case_does_not_place_it() -> None:
    text = (
        "Police stand guard at a court in Beijing. "
        "The justice department of Henan Province revoked the lawyer's license."
    )
    places = [("text", "Beijing", "Beijing", "CN"), ("text", "Henan Province", "Henan", "CN")]
    ent = _titled("Lawyer loses license", text, places, [])
    assert court(ent, ent["places"][0]) and not court(ent, ent["places"][1])
    chosen = event_place(ent, -1, None)
    assert chosen is not None and chosen["admin1"] == "Henan"
    # "pre-trial detention in" is a detention, not a court
    text = "He has been held in pre-trial detention in Zhodzina."
    ent = _titled("Blogger jailed", text, [("text", "Zhodzina", "Minsk", "BY")], [])
    assert not court(ent, ent["places"][0])


def test_a_dateline_loses_a_tie() -> None:
    text = "ISLAMABAD: The leader was arrested in Peshawar on Monday. Nine others were held."
    places = [("text", "ISLAMABAD", "Islamabad", "PK"), ("text", "Peshawar", "Khyber Pakhtunkhwa", "PK")]
    ent = _titled("Leader arrested", text, places, [])
    assert dateline(ent, ent["places"][0]) and not dateline(ent, ent["places"][1])
    chosen = event_place(ent, -1, None)
    assert chosen is not None and chosen["admin1"] == "Khyber Pakhtunkhwa"
    # named more than the other place, the dateline's town still wins
    text = "BANGKOK — A journalist was detained in Bangkok. He was held in Samut Prakan."
    places = [
        ("text", "BANGKOK", "Bangkok", "TH"),
        ("text", "Bangkok", "Bangkok", "TH"),
        ("text", "Samut Prakan", "Samut Prakan", "TH"),
    ]
    ent = _titled("Journalist detained", text, places, [])
    assert dateline(ent, ent["places"][0])
    chosen = event_place(ent, -1, None)
    assert chosen is not None and chosen["admin1"] == "Bangkok"
