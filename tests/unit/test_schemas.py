"""Every topic has a versioned schema; every example payload in schemas/examples validates against it,
and every payload under an ``invalid/`` folder is rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers import codec, schemas

EXAMPLES = schemas.schemas_dir() / "examples"


def example_files(valid: bool) -> list[Path]:
    files = sorted(EXAMPLES.glob("*/*.json") if valid else EXAMPLES.glob("*/invalid/*.json"))
    return files


def schema_of(example: Path) -> tuple[str, int]:
    folder = example.parent.parent.name if example.parent.name == "invalid" else example.parent.name
    name, version = folder.rsplit(".v", 1)
    return name, int(version)


@pytest.mark.parametrize("topic", schemas.TOPIC_SCHEMAS)
def test_each_topic_has_a_schema_and_at_least_one_example(topic: str) -> None:
    assert schemas.schema_path(topic).is_file()
    assert list(EXAMPLES.glob(f"{topic}.v1/*.json")), f"no example payload for {topic}"


@pytest.mark.parametrize("example", example_files(valid=True), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_examples_validate(example: Path) -> None:
    name, version = schema_of(example)
    schemas.validate(name, codec.loads(example.read_bytes()), version)


@pytest.mark.parametrize(
    "example", example_files(valid=False), ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_invalid_examples_are_rejected_with_a_reason(example: Path) -> None:
    name, version = schema_of(example)
    with pytest.raises(schemas.SchemaViolation, match=f"does not match {name} v{version}"):
        schemas.validate(name, codec.loads(example.read_bytes()), version)


def test_unknown_schema_is_a_lookup_error() -> None:
    with pytest.raises(LookupError):
        schemas.validate("no.such.topic", {})


def test_decode_is_the_boundary_size_then_json_then_schema() -> None:
    good = (EXAMPLES / "articles.raw.v1" / "minimal.json").read_bytes()
    assert schemas.decode("articles.raw", good, 512 * 1024) == codec.loads(good)
    with pytest.raises(codec.MessageTooLarge):
        schemas.decode("articles.raw", good, len(good) - 1)
    with pytest.raises(codec.DecodeError, match="no value"):
        schemas.decode("articles.raw", None, 512 * 1024)
    with pytest.raises(codec.DecodeError, match="not valid JSON"):
        schemas.decode("articles.raw", b"{", 512 * 1024)
    with pytest.raises(schemas.SchemaViolation):
        schemas.decode("articles.raw", b"{}", 512 * 1024)


def _mutations(payload: object) -> list[object]:
    """Each way of breaking (or not) one spot of a payload: the spot dropped, emptied, retyped."""
    if isinstance(payload, dict):
        out: list[object] = []
        for key, value in payload.items():
            out.append({k: v for k, v in payload.items() if k != key})
            for replacement in (None, "", -1, [], {"unexpected": 1}):
                out.append({**payload, key: replacement})
            out.extend({**payload, key: inner} for inner in _mutations(value))
        out.append({**payload, "unexpected_field": 1})
        return out
    if isinstance(payload, list) and payload:
        return [[inner, *payload[1:]] for inner in _mutations(payload[0])] + [[]]
    return []


@pytest.mark.parametrize("example", example_files(valid=True), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_compiled_check_and_jsonschema_agree_on_every_mutation(example: Path) -> None:
    name, version = schema_of(example)
    reference = schemas.validator(name, version)
    for mutated in _mutations(codec.loads(example.read_bytes()))[:400]:
        expected_valid = not any(True for _ in reference.iter_errors(mutated))
        try:
            schemas.validate(name, mutated, version)
            valid = True
        except schemas.SchemaViolation:
            valid = False
        assert valid == expected_valid, mutated
