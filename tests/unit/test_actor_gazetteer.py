"""Actor gazetteer: generated state forces, theatre armed groups, unidentified and generic actors,
and the two evaluation mappings that say how the annotators class each actor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest

from workers.gazetteer.actors import (
    actor,
    all_actors,
    derived_demonym,
    normalize_key,
    resolve_actor,
    state_force_id,
)
from workers.types import ActorKind

MAPPINGS = Path(__file__).resolve().parents[2] / "workers" / "data" / "evaluation"


@pytest.mark.parametrize(
    ("name", "demonym"),
    [
        ("Nigeria", "Nigerian"),
        ("Mexico", "Mexican"),
        ("Sudan", "Sudanese"),
        ("Afghanistan", "Afghan"),
        ("Italy", "Italian"),
        ("Egypt", "Egyptian"),
        ("Kenya", "Kenyan"),
        ("Mali", "Malian"),
        ("Uruguay", "Uruguayan"),
        ("South Sudan", "South Sudanese"),
        ("Bahamas", ""),
    ],
)
def test_demonym_rules(name: str, demonym: str) -> None:
    assert derived_demonym(name) == demonym


@pytest.mark.parametrize(
    ("text", "actor_id", "kind"),
    [
        ("Mexican police", "MEX_POL", "police"),
        ("Nigeria's police", "NGA_POL", "police"),
        ("Afghan authorities", "AFG_GOV", "government"),
        ("Myanmar junta", "MMR_MIL", "state_force"),
        ("Tatmadaw", "MMR_MIL", "state_force"),
        ("Congolese army", None, None),  # a demonym names the military only before a force noun in text
        ("ISWAP", "ISWAP", "armed_group"),
        ("Ansar Allah", "HOUTHIS", "armed_group"),
        ("al-Shabab", "AL_SHABAAB", "armed_group"),
        ("Jama'at Nusrat al-Islam wal-Muslimin", "JNIM", "armed_group"),
        ("Tehrik-e-Taliban Pakistan", "TTP", "armed_group"),
        ("Jalisco New Generation Cartel", "CJNG", "criminal_group"),
        ("Wagner Group", "WAGNER", "pro_government_militia"),
        ("unknown gunmen", "UNIDENTIFIED_ARMED", "unidentified"),
        ("bandits", "UNIDENTIFIED_ARMED", "unidentified"),
        ("herdsmen", "UNIDENTIFIED_ARMED", "unidentified"),
        ("pirates", "CRIMINAL_GROUP", "criminal_group"),  # sea piracy: kidnapped crews
        ("security agencies", "SECURITY_FORCES", "state_force"),  # generic: the country from context
        ("UN peacekeepers", "UN_PEACEKEEPERS", "international_org"),
    ],
)
def test_names_resolve_to_an_actor_and_its_kind(text: str, actor_id: str | None, kind: str | None) -> None:
    entry = resolve_actor(text, fuzzy=False)
    assert (entry.id if entry else None) == actor_id
    assert (entry.kind if entry else None) == kind


def test_generated_military_is_named_by_demonyms_and_country_names() -> None:
    nga = actor("NGA_MIL")
    assert nga.country == "NG" and nga.kind == "state_force"
    assert {"Nigerian", "Nigeria"} <= set(nga.demonyms)
    assert "Nigerien" in actor("NER_MIL").demonyms  # Niger's demonym is not Nigeria's


def test_a_demonym_or_name_belongs_to_one_country() -> None:
    owners: dict[str, str] = {}
    for entry in all_actors().values():
        if entry.country is None:
            continue
        for name in entry.demonyms:
            assert owners.setdefault(normalize_key(name), entry.id) == entry.id


@pytest.mark.parametrize(
    ("country", "kind", "actor_id"),
    [
        ("NG", "police", "NGA_POL"),
        ("AF", "state_force", "AFG_MIL"),
        ("MX", "government", "MEX_GOV"),
        ("SY", "police", "SYR_GOV"),  # a hand-written actor stands for all of its state's forces
        ("US", "state_force", "USA"),
        ("RU", "government", "RUS"),
        ("NG", "pro_government_militia", None),
        ("ZZ", "state_force", None),
        (None, "state_force", None),
    ],
)
def test_state_force_id(country: str | None, kind: str, actor_id: str | None) -> None:
    assert state_force_id(country, kind) == actor_id


def test_generic_actors_carry_a_kind_and_no_country() -> None:
    for ident, kind in [
        ("SECURITY_FORCES", "state_force"),
        ("POLICE", "police"),
        ("AUTHORITIES", "government"),
    ]:
        entry = actor(ident)
        assert entry.generic and entry.kind == kind and entry.country is None
    found = resolve_actor("security forces")
    assert found is not None and found.id == "SECURITY_FORCES"


def test_seed_ids_are_kept() -> None:
    for ident in ("USA", "RUS", "SYR_GOV", "IRN", "HTS", "HURRAS_AL_DEEN", "ANSAR_AL_TAWHID"):
        assert ident in all_actors()


@pytest.mark.parametrize("name", ["fakes_actor_categories.json", "hrd_perpetrator_types.json"])
def test_evaluation_mappings_name_known_actors_and_kinds(name: str) -> None:
    data = json.loads((MAPPINGS / name).read_text(encoding="utf-8"))
    assert set(data["by_actor"]) <= set(all_actors())
    assert set(data["by_kind"]) <= set(get_args(ActorKind))
    assert isinstance(data["none"], str)


def test_every_kind_has_an_hrd_type() -> None:
    data = json.loads((MAPPINGS / "hrd_perpetrator_types.json").read_text(encoding="utf-8"))
    assert set(data["by_kind"]) == set(get_args(ActorKind))
    labels = {
        "state actor",
        "other state actors",
        "other actors with permissions",
        "other actors without permissions",
        "other non-state actors",
        "regional orgs",
        "insufficient info",
    }
    assert set(data["by_kind"].values()) | {data["none"]} <= labels
