"""The ``conflictwire`` command line.

conflictwire run [PATH...]      the main job: broker (embedded unless KAFKA_BOOTSTRAP_SERVERS),
                                worker, ingest, print events as they arrive, then counts
conflictwire worker             the Faust worker (all agents, tables, HTTP views)
conflictwire ingest PATH...     publish .txt / .jsonl / .json files or directories to articles.raw
conflictwire tail TOPIC         print a topic as JSON lines
conflictwire counts             current per-actor counts (from actors.counts)
conflictwire extract / evaluate batch extraction without Kafka, and its scoring

Every command starts by removing the environment variables Faust would read at
import time (:func:`workers.settings.scrub_faust_environment`), so settings come
from ``workers.settings`` alone; every Kafka client gets the security options of
``Settings.kafka_client_options()``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import sys
from pathlib import Path
from typing import Any

import click

from workers import codec, ingest, kafka_io
from workers.cli_batch import evaluate_command, extract_command
from workers.settings import Settings, SettingsError, load_settings, scrub_faust_environment


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc


def _bootstrap(settings: Settings) -> str:
    if not settings.bootstrap_servers:
        raise click.UsageError(
            "KAFKA_BOOTSTRAP_SERVERS is not set (only `conflictwire run` starts a broker of its own)"
        )
    return settings.bootstrap_servers


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """conflictwire: conflict news in, structured and counted events out."""
    # before any command imports faust, which reads these at import time
    scrub_faust_environment()


@main.command()
def worker() -> None:
    """Run the Faust worker: every agent, the count tables and the HTTP views."""
    import faust

    from workers.app import build_app

    settings = _settings()
    _bootstrap(settings)
    (settings.data_dir / settings.app_id).mkdir(parents=True, exist_ok=True)
    conflictwire = build_app(settings)
    faust.Worker(conflictwire.app, loglevel=settings.log_level).execute_from_commandline()


@main.command(name="ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--published-at", help="Publication time for .txt files (default: the file's mtime).")
def ingest_command(paths: tuple[Path, ...], published_at: str | None) -> None:
    """Publish articles to articles.raw: .txt (first line the title), .jsonl, .json, or directories."""
    settings = _settings()
    oversized: list[ingest.Oversized] = []
    try:
        messages = list(
            ingest.messages(
                list(paths),
                published_at=published_at,
                max_bytes=settings.max_message_bytes,
                oversized=oversized,
            )
        )
    except (ingest.IngestError, OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from exc
    client = settings.kafka_client_options()
    sent = asyncio.run(kafka_io.publish(_bootstrap(settings), settings.topics.raw, messages, client=client))
    click.echo(f"published {sent} message(s) to {settings.topics.raw}", err=True)
    for skipped in oversized:
        click.echo(
            f"not sent: {skipped.where} is {skipped.size} bytes, over the limit of "
            f"{settings.max_message_bytes} (CONFLICTWIRE_MAX_MESSAGE_BYTES)",
            err=True,
        )
    if oversized:
        sys.exit(1)


def _render(record: kafka_io.Record) -> dict[str, Any]:
    if record.value is None:
        value: Any = None
    else:
        try:
            value = codec.loads(record.value)
        except codec.DecodeError:
            value = {"undecodable_base64": base64.b64encode(record.value).decode()}
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": record.key.decode(errors="replace") if record.key is not None else None,
        "headers": {k: v.decode(errors="replace") for k, v in record.headers},
        "value": value,
    }


@main.command()
@click.argument("topic")
@click.option("-f", "--follow", is_flag=True, help="Keep waiting for new messages.")
@click.option("--values-only", is_flag=True, help="Print only the message values.")
def tail(topic: str, follow: bool, values_only: bool) -> None:
    """Print TOPIC (a logical name such as events.enriched, or any topic) as JSON lines."""
    settings = _settings()
    name = settings.topics.all().get(topic, topic)

    async def go() -> None:
        client = settings.kafka_client_options()
        async for record in kafka_io.read_topic(_bootstrap(settings), name, follow=follow, client=client):
            shown = _render(record)
            click.echo(codec.dumps(shown["value"] if values_only else shown).decode())

    asyncio.run(go())


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object {actor_id: counts}.")
def counts(as_json: bool) -> None:
    """Current per-actor counts, read from the compacted actors.counts topic."""
    from workers.runner import final_counts, format_counts

    settings = _settings()
    current = asyncio.run(final_counts(settings, _bootstrap(settings)))
    click.echo(codec.dumps(current).decode() if as_json else format_counts(current))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help='One JSON line per event, then {"counts": ...}.')
@click.option("--timeout", default=600.0, show_default=True, help="Give up after this many seconds.")
@click.option("--published-at", help="Publication time for .txt files (default: the file's mtime).")
def run(paths: tuple[Path, ...], as_json: bool, timeout: float, published_at: str | None) -> None:
    """The main job: ingest PATHS (default: the bundled samples), print events and counts."""
    from workers.runner import JobFailed, run_job

    logging.basicConfig(level=logging.WARNING)
    try:
        code = run_job(_settings(), list(paths), sys.stdout, as_json, timeout, published_at)
    except KeyboardInterrupt:
        click.echo("interrupted: worker and broker stopped", err=True)
        code = 130
    except (JobFailed, ingest.IngestError) as exc:
        click.echo(f"error: {exc}", err=True)
        code = 1
    sys.exit(code)


main.add_command(extract_command, name="extract")
main.add_command(evaluate_command, name="evaluate")

if __name__ == "__main__":
    main()
