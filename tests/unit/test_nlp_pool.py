"""The NLP process pool: the same entities as in process, and a dead process costs no article.

One pool of two processes for the module (a forkserver preloading the real model, as in the
worker); dev articles from ../shared/eval (skipped without them).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.nlp_faults import CRASH_MARK, RAISE_MARK, crash_on_marked
from workers import codec
from workers.app import run_nlp
from workers.batch import to_raw
from workers.evaluation.devsets import find_eval_dir
from workers.nlp_pool import NlpPool, NlpPoolClosed, NlpProcessDied, extract_batch
from workers.settings import load_settings
from workers.stages.normalize import normalize
from workers.types import NormalizedArticle

pytestmark = pytest.mark.model

MODEL = load_settings({}).spacy_model


def dev_articles(n: int) -> list[NormalizedArticle]:
    eval_dir = find_eval_dir(Path(__file__))
    if eval_dir is None:
        pytest.skip("no shared/eval beside the repository")
    articles: dict[str, NormalizedArticle] = {}
    for raw in (eval_dir / "fakes_dev.jsonl").read_bytes().splitlines():
        line = codec.loads(raw)
        articles.setdefault(line["text"], normalize(to_raw(line)))
        if len(articles) == n:
            break
    return list(articles.values())


def renamed(article: NormalizedArticle, suffix: str) -> NormalizedArticle:
    return {**article, "id": article["id"] + suffix}


@pytest.fixture(scope="module")
def articles() -> list[NormalizedArticle]:
    return dev_articles(8)


@pytest.fixture(scope="module")
def expected(articles: list[NormalizedArticle]) -> dict[str, Any]:
    """What the entities stage gives in this process, by article id."""
    return {a["id"]: e for a, e in zip(articles, extract_batch(MODEL, articles), strict=True)}


@pytest.fixture
async def pool() -> AsyncIterator[NlpPool]:
    pool = NlpPool(MODEL, 2, task=crash_on_marked)
    await pool.start()
    try:
        yield pool
    finally:
        pool.close()


async def test_the_pool_gives_exactly_the_entities_of_the_in_process_stage(
    pool: NlpPool, articles: list[NormalizedArticle], expected: dict[str, Any]
) -> None:
    assert len(pool.pids()) == 2 and os.getpid() not in pool.pids()
    assert pool.loaded  # every process ran its initializer (the model) before start() returned
    halves = await asyncio.gather(pool.extract(articles[:4]), pool.extract(articles[4:]))
    got = halves[0] + halves[1]
    assert [e["id"] for e in got] == [a["id"] for a in articles]
    assert got == [expected[a["id"]] for a in articles]


async def test_in_process_mode_runs_the_same_task_without_processes(
    articles: list[NormalizedArticle], expected: dict[str, Any]
) -> None:
    local = NlpPool(MODEL, 0)
    assert local.in_process and local.slots == 1 and not local.loaded
    await local.start()
    assert local.loaded
    assert await local.extract(articles[:2]) == [expected[a["id"]] for a in articles[:2]]
    local.close()
    assert not local.loaded  # /readyz turns 503 as the agent shuts down
    with pytest.raises(NlpPoolClosed):
        await local.extract(articles[:1])


async def test_an_article_that_kills_its_process_is_the_only_one_lost_to_the_batch(
    pool: NlpPool, articles: list[NormalizedArticle], expected: dict[str, Any]
) -> None:
    batch = [*articles[:3], renamed(articles[3], CRASH_MARK), *articles[4:6]]
    other = articles[6:]  # in flight at the same time: the death breaks it too
    results, innocent = await asyncio.gather(run_nlp(pool, batch), run_nlp(pool, other))
    assert pool.restarts >= 1
    assert isinstance(results[3], NlpProcessDied)
    spared = [expected[a["id"]] for a in batch if a is not batch[3]]
    assert [r for i, r in enumerate(results) if i != 3] == spared
    assert innocent == [expected[a["id"]] for a in other]
    # and the pool works on afterwards, with fresh processes
    assert await pool.extract(articles[:1]) == [expected[articles[0]["id"]]]


async def test_a_process_killed_from_outside_fails_the_batch_then_the_retry_succeeds(
    pool: NlpPool, articles: list[NormalizedArticle], expected: dict[str, Any]
) -> None:
    os.kill(pool.pids()[0], signal.SIGKILL)
    await asyncio.sleep(0.3)  # the executor notices the death and marks itself broken
    results = await run_nlp(pool, articles[:4])
    assert results == [expected[a["id"]] for a in articles[:4]]


async def test_an_ordinary_exception_names_its_article_and_spares_the_rest(
    pool: NlpPool, articles: list[NormalizedArticle], expected: dict[str, Any]
) -> None:
    batch = [articles[0], renamed(articles[1], RAISE_MARK), articles[2]]
    results = await run_nlp(pool, batch)
    assert isinstance(results[1], ValueError)
    assert [results[0], results[2]] == [expected[articles[0]["id"]], expected[articles[2]["id"]]]
    assert pool.restarts == 0
