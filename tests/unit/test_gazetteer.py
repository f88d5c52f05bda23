"""Actor gazetteer: aliases, spelling variants, apostrophes (places: test_places.py)."""

from __future__ import annotations

import pytest

from workers.gazetteer import actor, all_actors, category_of, resolve_actor
from workers.gazetteer.actors import surface_variants


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hay’et Tahrir al-Sham", "HTS"),  # typographic apostrophe
        ("Hay'et Tahrir al-Sham", "HTS"),
        ("Hayat Tahrir Al Sham", "HTS"),
        ("HTS", "HTS"),
        ("CENTCOM", "USA"),
        ("the United States", "USA"),
        ("U.S.", "USA"),
        ("Washington", None),  # a metonym: only in context
        ("US-led coalition", "COALITION"),
        ("the Kremlin", "RUS"),
        ("Russia's", "RUS"),  # possessive
        ("Russian defence ministry", "RUS"),
        ("regime forces", "SECURITY_FORCES"),
        ("Assad regime", "SYR_GOV"),
        ("Syrian Arab Army", "SYR_GOV"),
        ("Islamic State", "ISIS"),
        ("Daesh", "ISIS"),
        ("ISIL", "ISIS"),
        ("Jabhat Fateh al-Sham", "NUSRA"),
        ("al-Nusra Front", "NUSRA"),
        ("Failaq al Sham", "FAILAQ_AL_SHAM"),
        ("Failaq al-Sham", "FAILAQ_AL_SHAM"),
        ("National Front for Liberation", "NLF"),
        ("Hizballah", "HEZBOLLAH"),
        ("People’s Protection Units", "YPG"),
        ("Syrian Democratic Forces", "SDF"),
        ("\u201cSyrian Observatory for Human Rights\u201d", "SOHR"),
        ("Syria Civil Defence", "WHITE_HELMETS"),
        ("Hurras al-Din", "HURRAS_AL_DEEN"),
        ("rebels", "REBELS"),
        ("Hayat Tahrir al-Shaam", "HTS"),  # fuzzy: a close spelling
        ("Bernard Smith", None),
    ],
)
def test_resolve_actor(text: str, expected: str | None) -> None:
    entry = resolve_actor(text)
    assert (entry.id if entry else None) == expected


def test_demonyms_and_metonyms_only_when_asked() -> None:
    assert resolve_actor("Russian") is None
    found = resolve_actor("Russian", forms=("alias", "demonym"))
    assert found is not None and found.id == "RUS"
    found = resolve_actor("Damascus", forms=("alias", "metonym"))
    assert found is not None and found.id == "SYR_GOV"


def test_gazetteer_is_consistent() -> None:
    actors = all_actors()
    for required in (
        "USA",
        "COALITION",
        "RUS",
        "SYR_GOV",
        "TUR",
        "IRN",
        "ISR",
        "HTS",
        "NUSRA",
        "ISIS",
        "SDF",
    ):
        assert required in actors
    assert actor("SANA").kind == "monitor"
    assert category_of("HEZBOLLAH") == category_of("IRN") == "syrian government or russian troops"
    assert category_of("HTS") == "al-nusra front"
    assert category_of("YPG") == category_of("SDF") == "self administration forces"
    assert category_of("USA") == category_of("COALITION") == "international coalition forces"
    assert category_of(None) is None
    with pytest.raises(KeyError):
        actor("NOBODY")


def test_surface_variants_cover_apostrophes_and_hyphens() -> None:
    forms = surface_variants("Hay'et Tahrir al-Sham")
    assert {"Hay'et Tahrir al-Sham", "Hay’et Tahrir al-Sham", "Hay'et Tahrir al Sham"} <= forms
