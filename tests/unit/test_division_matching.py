"""The scorer's division matching: one division written two ways counts as the same division,
two divisions that share a word do not (``workers.evaluation.matching.same_division``)."""

from __future__ import annotations

import pytest

from workers.evaluation.matching import same_division


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
