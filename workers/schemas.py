"""JSON Schemas of the topics: load once, validate payloads.

In: a topic's logical name (``articles.raw``) and version, and a decoded payload.
Out: nothing when it conforms; :class:`SchemaViolation` naming the first few
problems (path and message) when it does not.

The schemas live in the repository's ``schemas/`` folder (a wheel carries them as
``workers/_schemas``), one file per topic and version: ``<topic>.v<N>.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

from workers import codec

TOPIC_SCHEMAS = (
    "articles.raw",
    "articles.normalized",
    "articles.entities",
    "events.enriched",
    "articles.dead-letter",
    "actors.counts",
    "feeds.state",
)


class SchemaViolation(ValueError):
    """A payload does not conform to its topic's schema."""


def schemas_dir() -> Path:
    source_tree = Path(__file__).resolve().parents[1] / "schemas"
    if source_tree.is_dir():
        return source_tree
    return Path(__file__).resolve().parent / "_schemas"


def schema_path(name: str, version: int = 1) -> Path:
    return schemas_dir() / f"{name}.v{version}.json"


@cache
def validator(name: str, version: int = 1) -> Draft202012Validator:
    path = schema_path(name, version)
    if not path.is_file():
        raise LookupError(f"no schema {name} v{version} at {path}")
    schema = codec.loads(path.read_bytes())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


# keywords fastjsonschema (drafts 4-7) does not know: a schema using one is checked by jsonschema only
_NOT_COMPILABLE = (b'"unevaluatedProperties"', b'"unevaluatedItems"', b'"dependentSchemas"')


@cache
def compiled(name: str, version: int = 1) -> Callable[[Any], Any] | None:
    """The schema compiled to Python (about 20x faster on our payloads), or None when it
    uses a keyword the compiler does not know."""
    validator(name, version)  # a missing schema is a LookupError; the schema is checked once
    text = schema_path(name, version).read_bytes()
    if any(keyword in text for keyword in _NOT_COMPILABLE):
        return None
    schema = codec.loads(text)
    schema.pop("$id", None)  # our ids are not URLs; every $ref is local (#/$defs/...)
    return fastjsonschema.compile(schema)


def validate(name: str, payload: Any, version: int = 1) -> None:
    """Nothing when ``payload`` conforms; :class:`SchemaViolation` naming the problems.

    The compiled check decides; jsonschema, slower, only runs to describe a failure."""
    fast = compiled(name, version)
    if fast is not None:
        try:
            fast(payload)
            return
        except fastjsonschema.JsonSchemaValueException as exc:
            first_problem = exc.message
    else:
        first_problem = None
    errors = sorted(validator(name, version).iter_errors(payload), key=lambda e: list(e.absolute_path))
    if errors:
        problems = "; ".join(
            f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message[:200]}" for e in errors[:5]
        )
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        raise SchemaViolation(f"does not match {name} v{version}: {problems}{more}")
    if first_problem is not None:  # the two disagree only on formats: the compiled one is stricter
        raise SchemaViolation(f"does not match {name} v{version}: {first_problem[:200]}")


def decode(topic: str, value: bytes | None, max_bytes: int) -> Any:
    """The boundary of every agent: bytes off a topic -> a payload that conforms to the topic's schema.

    In: the topic's logical name, the message value, the size limit
    (``Settings.max_message_bytes``). Out: the decoded payload. Raises
    :class:`workers.codec.MessageTooLarge` for a value over the limit (checked
    before parsing), :class:`workers.codec.DecodeError` for no value or bad JSON,
    :class:`SchemaViolation` for a payload that breaks the schema.
    """
    if value is None:
        raise codec.DecodeError("empty message (no value)")
    payload = codec.loads_bounded(value, max_bytes)
    validate(topic, payload)
    return payload
