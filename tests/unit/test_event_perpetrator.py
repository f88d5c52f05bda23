"""Event-level perpetrator choice: roles come from the parse; generic forces take the event's
country; unnamed doers give way to named ones."""

from __future__ import annotations

from workers.stages.event_perpetrator import dominant_country, perpetrators
from workers.types import ActorKind, ActorMention, ActorRole, ArticleEntities, PlaceMention


def _mention(
    text: str, actor_id: str | None, kind: ActorKind, role: ActorRole, sentence: int
) -> ActorMention:
    return {
        "actor_id": actor_id,
        "text": text,
        "kind": kind,
        "role": role,
        "sentence": sentence,
        "start": 0,
        "end": len(text),
    }


def _place(country: str, sentence: int) -> PlaceMention:
    return {
        "text": country,
        "name": country,
        "admin1": None,
        "country": country,
        "lat": None,
        "lon": None,
        "sentence": sentence,
        "start": 0,
        "end": 2,
    }


def _entities(actors: list[ActorMention], places: list[PlaceMention]) -> ArticleEntities:
    return {
        "schema_version": 1,
        "id": "a",
        "source": "s",
        "url": None,
        "published_at": "2021-05-01",
        "title": "",
        "text": "",
        "sentences": [],
        "content_hash": "0" * 64,
        "actors": actors,
        "places": places,
    }


def test_generic_forces_are_the_forces_of_the_article_country() -> None:
    ent = _entities(
        [_mention("security forces", None, "state_force", "perpetrator", 0)],
        [_place("NG", 0), _place("NG", 2), _place("NE", 3)],
    )
    assert dominant_country(ent) == "NG"
    assert perpetrators(ent, {0})[0] == "NGA_MIL"
    assert perpetrators(ent, {0}, country="SY")[0] == "SYR_GOV"


def test_generic_police_without_a_country_is_the_generic_actor() -> None:
    ent = _entities([_mention("police", None, "police", "perpetrator", 0)], [])
    assert perpetrators(ent, {0})[0] == "POLICE"


def test_unnamed_doers_give_way_to_a_named_one() -> None:
    ent = _entities(
        [
            _mention("gunmen", "UNIDENTIFIED_ARMED", "unidentified", "perpetrator", 0),
            _mention("Boko Haram", "BOKO_HARAM", "armed_group", "perpetrator", 0),
        ],
        [],
    )
    assert perpetrators(ent, {0})[0] == "BOKO_HARAM"


def test_unnamed_doers_are_the_perpetrator_when_nobody_is_named() -> None:
    ent = _entities(
        [
            _mention("bandits", "UNIDENTIFIED_ARMED", "unidentified", "perpetrator", 0),
            _mention("Amnesty", "AMNESTY", "monitor", "speaker", 0),
        ],
        [],
    )
    assert perpetrators(ent, {0})[0] == "UNIDENTIFIED_ARMED"


def test_only_the_parse_role_or_an_agent_context_makes_a_perpetrator() -> None:
    ent = _entities([_mention("Nigerian army", "NGA_MIL", "state_force", "target", 0)], [])
    assert perpetrators(ent, {0})[0] is None
