"""The worker as a service: /metrics moves as articles flow, probes answer, the dashboard shows counts.

One worker process (``conflictwire worker``, as in production) runs for the module; the five
seed articles and one undecodable message go in after a first scrape, a second scrape must
show the difference. The dashboard is loaded in Debian's headless Chromium through Playwright.
"""

from __future__ import annotations

import asyncio
import io
import json
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.unit.seeds import load_gold, load_seeds
from workers import codec, kafka_io
from workers.broker import create_topics
from workers.runner import Progress, free_port, log_tail, topic_partitions, watch, worker_process
from workers.settings import Settings, load_settings

pytestmark = pytest.mark.broker

CHROMIUM = Path("/usr/bin/chromium")
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base: str) -> Samples:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@dataclass
class Service:
    settings: Settings
    base: str
    before: Samples
    after: Samples
    gold: dict[str, Any]
    ready_before: tuple[int, Any]


def wait_ready(base: str, timeout: float = 120.0) -> tuple[int, Any]:
    deadline, last = time.monotonic() + timeout, (0, None)
    while time.monotonic() < deadline:
        try:
            last = get_json(f"{base}/readyz")
        except OSError:
            last = (0, None)  # not listening yet
        if last[0] == 200:
            return last
        time.sleep(0.5)
    return last


@pytest.fixture(scope="module")
def service(kafka_bootstrap: str) -> Iterator[Service]:
    seeds = load_seeds()
    if not seeds:
        pytest.skip("the shared seed corpus is not beside the repository")
    run_id = uuid.uuid4().hex[:8]
    settings = replace(
        load_settings({}), bootstrap_servers=kafka_bootstrap, app_id=f"cw-svc-{run_id}", web_port=free_port()
    )
    settings = replace(settings, topics=type(settings.topics)(prefix=f"svc-{run_id}."))
    partitions, compacted = topic_partitions(settings)
    create_topics(kafka_bootstrap, partitions, compacted=compacted)
    messages = [(a["id"].encode(), codec.dumps(a)) for a in seeds.values()] + [(b"garbage-1", b"not json {")]
    base = f"http://{settings.web_host}:{settings.web_port}"
    with tempfile.TemporaryDirectory() as scratch:
        log_path = Path(scratch) / "worker.log"
        with worker_process(replace(settings, data_dir=Path(scratch)), kafka_bootstrap, log_path) as worker:
            ready = wait_ready(base)
            if ready[0] != 200:
                pytest.fail(f"worker never ready: {ready}\n{log_tail(log_path, 60)}")
            before = scrape(base)
            progress = Progress(len(messages), datetime.now(UTC), {k.decode() for k, _ in messages})
            asyncio.run(kafka_io.publish(kafka_bootstrap, settings.topics.raw, messages))
            try:
                asyncio.run(watch(settings, kafka_bootstrap, progress, io.StringIO(), False, 300.0, worker))
            except Exception as exc:
                pytest.fail(f"pipeline did not finish: {exc}\n{log_tail(log_path, 60)}")
            yield Service(settings, base, before, scrape(base), load_gold(), ready)


def test_probes_answer_and_readiness_names_its_reasons(service: Service) -> None:
    status, body = get_json(f"{service.base}/healthz")
    assert status == 200 and body == {"alive": True}
    status, body = service.ready_before
    assert status == 200 and body["ready"] and body["tables_recovered"] and body["assigned_partitions"] > 0
    assert body["model_loaded"] is True


def test_metrics_move_as_articles_flow(service: Service) -> None:
    before, after = service.before, service.after
    raw = service.settings.topics.raw

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved("conflictwire_messages_in_total", stage="normalize", topic=raw) == 6
    assert (
        moved("conflictwire_messages_out_total", stage="normalize", topic=service.settings.topics.normalized)
        == 5
    )
    assert (
        moved("conflictwire_messages_out_total", stage="entities", topic=service.settings.topics.entities)
        == 5
    )
    assert moved("conflictwire_messages_in_total", stage="count") >= 5
    assert moved("conflictwire_messages_out_total", stage="table") > 0  # changelog writes
    assert moved("conflictwire_dead_letters_total", stage="normalize", reason="DecodeError") == 1
    assert moved("conflictwire_events_total", type="airstrike", change="new") >= 2
    assert moved("conflictwire_nlp_batch_size_count") >= 1
    assert moved("conflictwire_nlp_batch_size_sum") == 5
    assert moved("conflictwire_nlp_batch_seconds_sum") > 0
    for stage in ("normalize", "entities", "events", "identify", "contribute", "count"):
        assert moved("conflictwire_stage_seconds_count", stage=stage) > 0, stage
        assert moved("conflictwire_stage_latency_seconds_count", stage=stage) > 0, stage
    assert value(after, "conflictwire_assigned_partitions") > 0
    assert total(after, "conflictwire_table_keys") > total(before, "conflictwire_table_keys")
    lags = {labels: v for (name, labels), v in after.items() if name == "conflictwire_consumer_lag"}
    assert lags and all(v >= 0 for v in lags.values())
    assert value(after, "process_resident_memory_bytes") > 100 * 2**20  # the model is loaded


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_dashboard_shows_the_seed_counts_without_console_errors(service: Service) -> None:
    from playwright.sync_api import sync_playwright

    expected = service.gold["expected_actor_counts_after_all_five"]
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(f"{service.base}/")
            for actor in ("USA", "RUS", "SYR_GOV"):
                row = page.locator(f'#counts tbody tr[data-actor="{actor}"]')
                row.wait_for(timeout=30_000)
                cells = row.locator("td").all_inner_texts()
                assert [int(c) for c in cells[1:3]] == [
                    expected[actor]["events"],
                    expected[actor]["killed_low"],
                ]
            page.locator("#events tbody tr").first.wait_for()
            assert page.locator("#events tbody mark").count() >= 1  # evidence sentences, highlighted
            assert page.locator("#chart svg rect.killed").count() >= 1
            page.locator('#counts th[data-key="killed_low"]').click()
            first = page.locator("#counts tbody tr").first.get_attribute("data-actor")
            killed = {
                a: c["killed_low"] for a, c in get_json(f"{service.base}/api/dashboard")[1]["actors"].items()
            }
            assert killed[first or ""] == max(killed.values())
        finally:
            browser.close()
    assert errors == []


def test_export_writes_the_current_events(service: Service, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from workers.cli import main

    env = {**service.settings.to_env(), "KAFKA_BOOTSTRAP_SERVERS": service.settings.bootstrap_servers or ""}
    runner = CliRunner()
    out = tmp_path / "events.csv"
    result = runner.invoke(main, ["export", "--format", "csv", "--output", str(out)], env=env)
    assert result.exit_code == 0, result.output
    rows = out.read_text().splitlines()
    events = get_json(f"{service.base}/api/dashboard")[1]["events"]
    assert rows[0].startswith("event_id,version,date,") and len(rows) - 1 == len(events)
    result = runner.invoke(main, ["export", "--format", "geojson", "--since", "2000-01-01"], env=env)
    collection = json.loads(result.stdout)
    actors = {f["properties"]["actor1"] for f in collection["features"]}
    actors |= {a for f in collection["features"] for a in f["properties"]["assoc_actor1"].split("; ") if a}
    assert actors >= {"USA", "RUS", "SYR_GOV"}  # SYR_GOV as co-perpetrator of a joint strike
    assert any(f["geometry"] and f["geometry"]["type"] == "Point" for f in collection["features"])
