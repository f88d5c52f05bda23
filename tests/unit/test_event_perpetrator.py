"""Event-level perpetrator choice: roles come from the parse; generic forces take the event's
country; unnamed doers give way to named ones."""

from __future__ import annotations

from workers.stages.event_perpetrator import (
    dominant_country,
    perpetrator_type,
    perpetrators,
    prosecuted_crime,
)
from workers.types import ActorKind, ActorMention, ActorRole, ArticleEntities, PlaceMention, Sentence


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


def _titled(title: str, actors: list[ActorMention]) -> ArticleEntities:
    ent = _entities(actors, [_place("NG", 0)])
    ent["title"] = title
    return ent


def test_prosecution_headline_names_the_accused_not_the_police() -> None:
    assert prosecuted_crime("Police arrest man for kidnapping of schoolgirls")
    assert prosecuted_crime("Court jails pair over murder of farmer")
    assert prosecuted_crime("Fugitive arrested in slaying of real estate agent")
    assert prosecuted_crime("Man charged over beheading of teacher")
    assert prosecuted_crime("Suspects arrested for assassination of rights lawyer")
    # the accused is a state agent, or the one arrested is a rights defender: the arrest is
    # the violation
    assert not prosecuted_crime("Two police officers arrested for kidnapping NGO worker")
    assert not prosecuted_crime("Journalist arrested, charged over report on murder")
    # a possessive names the victim, not the accused
    assert prosecuted_crime("Journalist's kidnapper loses appeal against sentence")
    assert not prosecuted_crime("Police arrest 20 protesters")


def test_law_enforcement_is_no_perpetrator_of_the_crime_it_prosecutes() -> None:
    police = _mention("police", None, "police", "perpetrator", 0)
    ent = _titled("Police arrest man for kidnapping of schoolgirls", [police])
    assert perpetrators(ent, {0})[0] is None
    assert perpetrator_type(ent, None, {0}) == "private"
    ent = _titled("Police arrest 20 protesters in Lagos", [police])
    assert perpetrators(ent, {0})[0] == "NGA_POL"
    assert perpetrator_type(ent, "NGA_POL", {0}) == "state_forces"


def test_unnamed_doers_of_the_lead_are_the_perpetrator_when_no_one_has_the_role() -> None:
    kidnappers = _mention("the kidnappers", "UNIDENTIFIED_ARMED", "unidentified", "mentioned", 1)
    ent = _titled("300 schoolgirls taken from their school", [kidnappers])
    assert perpetrators(ent, {0})[0] == "UNIDENTIFIED_ARMED"
    assert perpetrator_type(ent, None, {0}) == "non_state_armed"
    # a target or a speaker is not the doer
    speaking = _mention("the kidnappers", "UNIDENTIFIED_ARMED", "unidentified", "speaker", 1)
    ent = _titled("300 schoolgirls taken from their school", [speaking])
    assert perpetrators(ent, {0})[0] is None
    assert perpetrator_type(ent, None, {0}) == "unknown"


def test_perpetrator_type_follows_the_actor_kind() -> None:
    ent = _titled("Report", [_mention("the Taliban", "TALIBAN", "armed_group", "perpetrator", 0)])
    assert perpetrator_type(ent, "TALIBAN") == "non_state_armed"
    assert perpetrator_type(ent, "NGA_GOV") == "state_authority"
    assert perpetrator_type(ent, "UN") == "international"
    assert perpetrator_type(_titled("Workers locked out by management", []), None) == "private"
    assert perpetrator_type(_titled("The firm stood firmly by its workers", []), None) == "private"
    assert perpetrator_type(_titled("They stood firmly by their union", []), None) == "unknown"


def test_the_accused_of_a_prosecuted_killing_is_an_armed_non_state_doer() -> None:
    assert perpetrator_type(_titled("Court jails pair over murder of farmer", []), None) == "non_state_armed"
    assert perpetrator_type(_titled("Fugitive arrested in slaying of agent", []), None) == "non_state_armed"
    # a kidnapping or an assault: a private person
    assert perpetrator_type(_titled("Police arrest man for kidnapping of schoolgirls", []), None) == "private"
    assault = _titled("Court sentences pair for hammer attack on blogger", [])
    assert perpetrator_type(assault, None) == "private"


def _with_lead(title: str, sentences: list[str]) -> ArticleEntities:
    ent = _titled(title, [])
    ent["text"] = " ".join(sentences)
    bounds: list[Sentence] = []
    start = 0
    for s in sentences:
        bounds.append({"start": start, "end": start + len(s)})
        start += len(s) + 1
    ent["sentences"] = bounds
    return ent


def test_state_action_with_no_doer_named_is_a_state_authority() -> None:
    ent = _with_lead("Rights lawyer in custody", ["The lawyer was detained on Monday.", "He denies it."])
    assert perpetrator_type(ent, None, {0}) == "state_authority"
    ent = _with_lead("Poet summoned over his verses", [])
    assert perpetrator_type(ent, None) == "state_authority"
    # anywhere in the article: a state acted on someone
    lead = ["A union held a rally.", "Workers marched.", "They sang.", "Police spoke.", "Two were arrested."]
    assert perpetrator_type(_with_lead("Union rally in the capital", lead), None) == "state_authority"
    # nobody named, nothing only a state does: no doer at all
    calm = ["A union held a rally.", "Workers marched.", "They sang."]
    assert perpetrator_type(_with_lead("Union rally in the capital", calm), None) == "unknown"
    # the accused of a prosecuted crime and unnamed doers come first
    assert perpetrator_type(_with_lead("Man jailed for kidnapping of a boy", []), None) == "private"
    kidnappers = _mention("the kidnappers", "UNIDENTIFIED_ARMED", "unidentified", "mentioned", 1)
    ent = _with_lead("Activist abducted, later detained", ["Kidnappers took him.", "They called."])
    ent["actors"] = [kidnappers]
    assert perpetrator_type(ent, None, {0}) == "non_state_armed"


def test_a_private_employer_in_the_lead_is_the_doer_when_no_state_acted() -> None:
    lead = ["Workers walked out on Monday.", "The company plans to move the plant abroad."]
    assert perpetrator_type(_with_lead("Fury over plant relocation", lead), None) == "private"
    # a state action anywhere comes first; an employer after the lead does not count
    arrested = [*lead, "Two strikers were arrested."]
    assert perpetrator_type(_with_lead("Fury over plant relocation", arrested), None) == "state_authority"
    late = ["Workers walked out.", "They marched.", "They sang.", "The company said nothing."]
    assert perpetrator_type(_with_lead("Fury over plant relocation", late), None) == "unknown"


def test_a_headline_accusation_makes_the_doer_the_body_is_left_to_the_parse() -> None:
    # Title Case headlines are what the small model misparses; there the words decide
    rebels = _mention("rebels", "REBELS", "armed_group", "mentioned", -1)
    ent = _titled("rebels were responsible for the massacre", [rebels])
    assert perpetrators(ent, {0})[0] == "REBELS"
    # in the body a "mentioned" role from the parse stands
    in_body = _mention("rebels", "REBELS", "armed_group", "mentioned", 0)
    ent = _titled("Report", [in_body])
    ent["text"] = "rebels were responsible for the massacre"
    assert perpetrators(ent, {0})[0] is None


def test_with_no_doer_near_the_event_the_doers_named_elsewhere_give_the_type() -> None:
    ent = _entities(
        [
            _mention("the Taliban", "TALIBAN", "armed_group", "perpetrator", 30),
            _mention("Taliban fighters", "TALIBAN", "armed_group", "perpetrator", 41),
            _mention("police", None, "police", "perpetrator", 45),
            _mention("the Taliban", "TALIBAN", "armed_group", "target", 50),
        ],
        [],
    )
    ent["text"] = "Two activists were detained."
    assert perpetrator_type(ent, None, {0}) == "non_state_armed"


def test_the_state_counts_as_one_doer_and_takes_its_more_frequent_type() -> None:
    ent = _entities(
        [
            _mention("Boko Haram", "BOKO_HARAM", "armed_group", "perpetrator", 20),
            _mention("Boko Haram", "BOKO_HARAM", "armed_group", "perpetrator", 21),
            _mention("police", None, "police", "perpetrator", 22),
            _mention("the authorities", "AUTHORITIES", "government", "perpetrator", 23),
            _mention("the police", None, "police", "perpetrator", 24),
            _mention("Ali", None, "other", "perpetrator", 25),
        ],
        [],
    )
    assert perpetrator_type(ent, None, {0}) == "state_forces"


def test_a_private_crime_in_the_headline_outweighs_arrests_when_nobody_is_named() -> None:
    ent = _entities([], [])
    ent["title"] = "Police treat the case of the missing girl as a murder probe"
    ent["text"] = "A man was arrested on Tuesday."
    assert perpetrator_type(ent, None, {0}) == "private"
    # a state agent in the headline: the arrest may be the violation
    ent["title"] = "Officer held in murder probe"
    assert perpetrator_type(ent, None, {0}) == "state_authority"
    # no arrest, no trial: nothing tells of a doer
    ent["title"] = "A murder shocks the town"
    ent["text"] = "Residents gathered."
    assert perpetrator_type(ent, None, {0}) == "unknown"


def test_the_article_doers_overrule_the_perpetrator_kind_only_when_far_more_frequent() -> None:
    army = _mention("Nigerian troops", "NGA_MIL", "state_force", "perpetrator", 2)
    gunmen = [_mention("gunmen", "UNIDENTIFIED_ARMED", "unidentified", "perpetrator", s) for s in (5, 9)]
    ent = _entities([army, *gunmen], [])
    # two unnamed doers against one army mention: the report is about the gunmen
    assert perpetrator_type(ent, "NGA_MIL", {2}) == "non_state_armed"
    # as often as the army: the perpetrator's own kind
    ent = _entities([army, _mention("police", None, "police", "perpetrator", 4), *gunmen], [])
    assert perpetrator_type(ent, "NGA_MIL", {2}) == "state_forces"
    # a single other doer is not enough
    ent = _entities([gunmen[0]], [])
    assert perpetrator_type(ent, "NGA_MIL", {2}) == "state_forces"
