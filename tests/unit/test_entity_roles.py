"""Role rules of the entity stage on hand-built parses (spaCy's own test style): what a rule
decides does not depend on what the small model happens to parse."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Doc, Span

from workers.stages.entities import owner_of_generic, role_of

_VOCAB = spacy.blank("en").vocab


def _doc(
    words: list[str], heads: list[int], deps: list[str], pos: list[str], tags: list[str] | None = None
) -> Doc:
    return Doc(_VOCAB, words=words, heads=heads, deps=deps, pos=pos, tags=tags or [""] * len(words))


def test_subject_of_a_detention_verb_is_the_perpetrator() -> None:
    # "Police arrested the journalist"
    doc = _doc(
        ["Police", "arrested", "the", "journalist"],
        [1, 1, 3, 1],
        ["nsubj", "ROOT", "det", "dobj"],
        ["NOUN", "VERB", "DET", "NOUN"],
        ["NNS", "VBD", "DT", "NN"],
    )
    assert role_of(Span(doc, 0, 1, label="POLICE")) == "perpetrator"
    assert role_of(Span(doc, 3, 4, label="CIVILIANS")) == "target"


def test_one_who_threatens_a_person_is_the_perpetrator_not_a_speaker() -> None:
    # "Gunmen threatened the activist": a threat is a violation (HRDsAttack 'threats'), not speech
    doc = _doc(
        ["Gunmen", "threatened", "the", "activist"],
        [1, 1, 3, 1],
        ["nsubj", "ROOT", "det", "dobj"],
        ["NOUN", "VERB", "DET", "NOUN"],
        ["NNS", "VBD", "DT", "NN"],
    )
    assert role_of(Span(doc, 0, 1, label="UNIDENTIFIED_ARMED")) == "perpetrator"
    assert role_of(Span(doc, 3, 4, label="CIVILIANS")) == "target"


def test_agent_of_a_passive_detention_is_the_perpetrator() -> None:
    # "The activist was detained by soldiers"
    doc = _doc(
        ["The", "activist", "was", "detained", "by", "soldiers"],
        [1, 3, 3, 3, 3, 4],
        ["det", "nsubjpass", "auxpass", "ROOT", "agent", "pobj"],
        ["DET", "NOUN", "AUX", "VERB", "ADP", "NOUN"],
        ["DT", "NN", "VBD", "VBN", "IN", "NNS"],
    )
    assert role_of(Span(doc, 5, 6, label="SECURITY_FORCES")) == "perpetrator"


def test_headline_passive_of_a_detention_makes_a_target() -> None:
    # "Bandits arrested": no auxiliary, no object -> the subject suffered it
    doc = _doc(["Bandits", "arrested"], [1, 1], ["nsubj", "ROOT"], ["NOUN", "VERB"], ["NNS", "VBN"])
    assert role_of(Span(doc, 0, 1, label="UNIDENTIFIED_ARMED")) == "target"


def test_a_court_sentencing_is_the_perpetrator() -> None:
    # "A court sentenced the blogger"
    doc = _doc(
        ["A", "court", "sentenced", "the", "blogger"],
        [1, 2, 2, 4, 2],
        ["det", "nsubj", "ROOT", "det", "dobj"],
        ["DET", "NOUN", "VERB", "DET", "NOUN"],
        ["DT", "NN", "VBD", "DT", "NN"],
    )
    assert role_of(Span(doc, 0, 2, label="AUTHORITIES")) == "perpetrator"


def test_a_monitor_is_never_the_perpetrator() -> None:
    # "Amnesty attacked the decision": a monitor does not do violence
    doc = _doc(
        ["Amnesty", "attacked", "the", "decision"],
        [1, 1, 3, 1],
        ["nsubj", "ROOT", "det", "dobj"],
        ["PROPN", "VERB", "DET", "NOUN"],
        ["NNP", "VBD", "DT", "NN"],
    )
    assert role_of(Span(doc, 0, 1, label="AMNESTY")) == "mentioned"


@pytest.mark.parametrize(
    ("words", "owner_span", "owner", "expected"),
    [
        (["the", "United", "States", "military"], (0, 3), "USA", "USA"),
        (["Nigeria", "'s", "police"], (0, 1), "NGA_MIL", "NGA_MIL"),
        (["Russia", "and", "police"], (0, 1), "RUS", None),  # not adjacent: another actor
        (["gunmen", "police"], (0, 1), "UNIDENTIFIED_ARMED", None),  # no state to own the force
    ],
)
def test_a_generic_force_right_after_a_state_is_that_state(
    words: list[str], owner_span: tuple[int, int], owner: str, expected: str | None
) -> None:
    doc = _doc(words, list(range(len(words))), ["dep"] * len(words), ["NOUN"] * len(words))
    previous = Span(doc, *owner_span, label=owner)
    generic = Span(
        doc, len(words) - 1, len(words), label="POLICE" if words[-1] == "police" else "SECURITY_FORCES"
    )
    assert owner_of_generic(generic, previous) == expected


def test_the_one_behind_an_attack_is_the_perpetrator() -> None:
    # headline "Rebels behind chemical attack"
    doc = _doc(
        ["Rebels", "behind", "chemical", "attack"],
        [0, 0, 3, 1],
        ["ROOT", "prep", "amod", "pobj"],
        ["NOUN", "ADP", "ADJ", "NOUN"],
    )
    assert role_of(Span(doc, 0, 1, label="REBELS")) == "perpetrator"
    # "The army was behind the raid"
    doc = _doc(
        ["The", "army", "was", "behind", "the", "raid"],
        [1, 2, 2, 2, 5, 3],
        ["det", "nsubj", "ROOT", "prep", "det", "pobj"],
        ["DET", "NOUN", "AUX", "ADP", "DET", "NOUN"],
    )
    assert role_of(Span(doc, 1, 2, label="SECURITY_FORCES")) == "perpetrator"
    # "The army was behind the times": no attack, no doer
    doc = _doc(
        ["The", "army", "was", "behind", "the", "times"],
        [1, 2, 2, 2, 5, 3],
        ["det", "nsubj", "ROOT", "prep", "det", "pobj"],
        ["DET", "NOUN", "AUX", "ADP", "DET", "NOUN"],
    )
    assert role_of(Span(doc, 1, 2, label="SECURITY_FORCES")) == "mentioned"


@pytest.mark.parametrize(("thing", "role"), [("strike", "perpetrator"), ("delay", "mentioned")])
def test_the_one_responsible_for_an_attack_is_the_perpetrator(thing: str, role: str) -> None:
    # "Moscow was responsible for the strike" / "... for the delay"
    doc = _doc(
        ["Moscow", "was", "responsible", "for", "the", thing],
        [1, 1, 1, 2, 5, 3],
        ["nsubj", "ROOT", "acomp", "prep", "det", "pobj"],
        ["PROPN", "AUX", "ADJ", "ADP", "DET", "NOUN"],
    )
    assert role_of(Span(doc, 0, 1, label="RUS")) == role


def test_responsible_after_the_noun_and_held_accountable() -> None:
    # "militants responsible for the murder"
    doc = _doc(
        ["militants", "responsible", "for", "the", "murder"],
        [0, 0, 1, 4, 2],
        ["ROOT", "amod", "prep", "det", "pobj"],
        ["NOUN", "ADJ", "ADP", "DET", "NOUN"],
    )
    assert role_of(Span(doc, 0, 1, label="ARMED_UNSPECIFIED")) == "perpetrator"
    # "They hold the regime accountable for the attacks" (a small clause: regime <- accountable)
    doc = _doc(
        ["They", "hold", "the", "regime", "accountable", "for", "the", "attacks"],
        [1, 1, 3, 4, 1, 4, 7, 5],
        ["nsubj", "ROOT", "det", "nsubj", "ccomp", "prep", "det", "pobj"],
        ["PRON", "VERB", "DET", "NOUN", "ADJ", "ADP", "DET", "NOUN"],
    )
    assert role_of(Span(doc, 3, 4, label="SYR_GOV")) == "perpetrator"


def test_using_a_weapon_qualified_by_an_attack_word_is_an_attack() -> None:
    # "Assad used chemical weapons": "use" counts as an attack verb when an attack word
    # qualifies its object
    doc = _doc(
        ["Assad", "used", "chemical", "weapons"],
        [1, 1, 3, 1],
        ["nsubj", "ROOT", "amod", "dobj"],
        ["PROPN", "VERB", "ADJ", "NOUN"],
        ["NNP", "VBD", "JJ", "NNS"],
    )
    assert role_of(Span(doc, 0, 1, label="SYR_GOV")) == "perpetrator"
    doc = _doc(
        ["Assad", "used", "new", "words"],
        [1, 1, 3, 1],
        ["nsubj", "ROOT", "amod", "dobj"],
        ["PROPN", "VERB", "ADJ", "NOUN"],
        ["NNP", "VBD", "JJ", "NNS"],
    )
    assert role_of(Span(doc, 0, 1, label="SYR_GOV")) == "mentioned"


def test_responsibility_is_read_on_the_actor_before_climbing_its_phrase() -> None:
    # "the accountability of terrorists responsible for the murder": the actor's own modifier
    # makes it the doer, though its phrase hangs on "accountability of"
    doc = _doc(
        ["the", "accountability", "of", "terrorists", "responsible", "for", "the", "murder"],
        [1, 1, 1, 2, 3, 4, 7, 5],
        ["det", "ROOT", "prep", "pobj", "amod", "prep", "det", "pobj"],
        ["DET", "NOUN", "ADP", "NOUN", "ADJ", "ADP", "DET", "NOUN"],
    )
    assert role_of(Span(doc, 3, 4, label="ARMED_UNSPECIFIED")) == "perpetrator"


def test_the_one_whose_crackdown_or_repression_it_is_is_the_perpetrator() -> None:
    # "the regime's crackdown on activists": a violation noun rights monitors count, like "raid"
    doc = _doc(
        ["the", "regime", "'s", "crackdown", "on", "activists"],
        [1, 3, 1, 3, 3, 4],
        ["det", "poss", "case", "ROOT", "prep", "pobj"],
        ["DET", "NOUN", "PART", "NOUN", "ADP", "NOUN"],
        ["DT", "NN", "POS", "NN", "IN", "NNS"],
    )
    assert role_of(Span(doc, 1, 2, label="AUTHORITIES")) == "perpetrator"
    # "repression by the security services"
    doc = _doc(
        ["repression", "by", "the", "security", "services"],
        [0, 0, 4, 4, 1],
        ["ROOT", "prep", "det", "compound", "pobj"],
        ["NOUN", "ADP", "DET", "NOUN", "NOUN"],
        ["NN", "IN", "DT", "NN", "NNS"],
    )
    assert role_of(Span(doc, 2, 5, label="SECURITY_FORCES")) == "perpetrator"


def test_threats_from_a_group_are_its_act_a_threat_from_it_is_a_danger() -> None:
    # "She received death threats from the Taliban": the Taliban threatened her
    doc = _doc(
        ["She", "received", "death", "threats", "from", "the", "Taliban"],
        [1, 1, 3, 1, 3, 6, 4],
        ["nsubj", "ROOT", "compound", "dobj", "prep", "det", "pobj"],
        ["PRON", "VERB", "NOUN", "NOUN", "ADP", "DET", "PROPN"],
        ["PRP", "VBD", "NN", "NNS", "IN", "DT", "NNP"],
    )
    assert role_of(Span(doc, 6, 7, label="TALIBAN")) == "perpetrator"
    # "Xinjiang faces a threat from militants": a danger the state names, no act of theirs
    doc = _doc(
        ["Xinjiang", "faces", "a", "threat", "from", "militants"],
        [1, 1, 3, 1, 3, 4],
        ["nsubj", "ROOT", "det", "dobj", "prep", "pobj"],
        ["PROPN", "VERB", "DET", "NOUN", "ADP", "NOUN"],
        ["NNP", "VBZ", "DT", "NN", "IN", "NNS"],
    )
    assert role_of(Span(doc, 5, 6, label="ARMED_UNSPECIFIED")) == "mentioned"
