"""The ``conflictwire`` command line.

conflictwire run [PATH...]      the main job: broker (embedded unless KAFKA_BOOTSTRAP_SERVERS),
                                worker, ingest, print events as they arrive, then counts
conflictwire worker             the Faust worker (all agents, tables, HTTP views)
conflictwire ingest PATH...     publish .txt / .jsonl / .json files or directories to articles.raw
conflictwire tail TOPIC         print a topic as JSON lines
conflictwire counts             current per-actor counts (from actors.counts)
conflictwire extract / evaluate batch extraction without Kafka, and its scoring
conflictwire poll FEED_URL...   RSS/Atom feeds -> article pages -> articles.raw, every --every seconds
conflictwire export             the current events as CSV, GeoJSON or JSON Lines

Every command starts by removing the environment variables Faust would read at
import time (:func:`workers.settings.scrub_faust_environment`), so settings come
from ``workers.settings`` alone; every Kafka client gets the security options of
``Settings.kafka_client_options()``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import logging.config
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from workers import codec, export, ingest, kafka_io, logs
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


_LOG_FORMAT = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    help="json: one JSON object a line, with the stage and article id (default: the settings').",
)


def _log_format(settings: Settings, chosen: str | None) -> str:
    return chosen or settings.log_format


@main.command()
@_LOG_FORMAT
def worker(log_format: str | None) -> None:
    """Run the Faust worker: agents, tables, HTTP views, /metrics, /healthz, /readyz and the dashboard."""
    import faust

    from workers.app import build_app
    from workers.web import register_service_views, stage_of_topic

    settings = _settings()
    _bootstrap(settings)
    (settings.data_dir / settings.app_id).mkdir(parents=True, exist_ok=True)
    conflictwire = build_app(settings)
    register_service_views(conflictwire.app, settings, model_loaded=lambda: conflictwire.nlp_pool.loaded)
    options: dict[str, Any] = {"loglevel": settings.log_level}
    if _log_format(settings, log_format) == "json":
        options["logging_config"] = logs.logging_config(settings.log_level, stage_of_topic(settings))
    faust.Worker(conflictwire.app, **options).execute_from_commandline()


def _feed_urls(urls: tuple[str, ...], feeds_file: Path | None) -> list[str]:
    listed = list(urls)
    if feeds_file is not None:
        for line in feeds_file.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                listed.append(line)
    return list(dict.fromkeys(listed))


@main.command()
@click.argument("feed_urls", nargs=-1)
@click.option(
    "--feeds",
    "feeds_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of feed URLs, one a line (# starts a comment).",
)
@click.option("--every", default=300.0, show_default=True, help="Seconds from one round to the next.")
@click.option("--once", is_flag=True, help="Poll every feed once, then exit.")
@click.option("--timeout", default=20.0, show_default=True, help="Seconds per HTTP request.")
@click.option("--per-host", default=2, show_default=True, help="Concurrent requests per host.")
@click.option("--max-attempts", default=3, show_default=True, help="Transient failures before a dead letter.")
@click.option(
    "--metrics-port", type=int, help="Serve Prometheus metrics on this port (CONFLICTWIRE_WEB_HOST)."
)
@_LOG_FORMAT
def poll(
    feed_urls: tuple[str, ...],
    feeds_file: Path | None,
    every: float,
    once: bool,
    timeout: float,
    per_host: int,
    max_attempts: int,
    metrics_port: int | None,
    log_format: str | None,
) -> None:
    """Poll RSS/Atom feeds; publish each new item's article to articles.raw (see README, "Live feeds")."""
    from workers.feeds.poller import PollerConfig, serve

    settings = _settings()
    urls = _feed_urls(feed_urls, feeds_file)
    if not urls:
        raise click.UsageError("no feeds: give FEED_URL... or --feeds FILE")
    if _log_format(settings, log_format) == "json":
        logging.config.dictConfig(logs.logging_config(settings.log_level))
    else:
        logging.basicConfig(level=settings.log_level.upper())
    config = PollerConfig(
        feeds=tuple(urls),
        bootstrap=_bootstrap(settings),
        raw_topic=settings.topics.raw,
        state_topic=settings.topics.feeds_state,
        dead_letter_topic=settings.topics.dead_letter,
        client=settings.kafka_client_options(),
        partitions=settings.partitions,
        timeout=timeout,
        per_host=per_host,
        max_attempts=max_attempts,
        max_bytes=settings.max_message_bytes,
    )
    # SIGINT and SIGTERM end the current round's waiting, then the poller closes its connections
    asyncio.run(
        serve(config, every=every, once=once, metrics_port=metrics_port, metrics_host=settings.web_host)
    )


@main.command(name="export")
@click.option("--format", "fmt", type=click.Choice(export.FORMATS), default="csv", show_default=True)
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only events dated on or after DATE."
)
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout)."
)
def export_command(fmt: str, since: datetime | None, output: Path | None) -> None:
    """The current events (latest version of each) from events.enriched, in ACLED-like columns."""
    settings = _settings()

    async def collect() -> list[tuple[bytes | None, bytes | None]]:
        client = settings.kafka_client_options()
        reader = kafka_io.read_topic(_bootstrap(settings), settings.topics.enriched, client=client)
        return [(record.key, record.value) async for record in reader]

    table = export.rows(export.fold(asyncio.run(collect())), since.date() if since else None)
    text = export.render(table, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    click.echo(f"exported {len(table)} event(s) as {fmt}" + (f" to {output}" if output else ""), err=True)


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
