"""Drills (issue 9): the real worker on a real broker, disturbed mid-stream, compared with a clean run.

Every drill feeds the same corpus (the five seeds and 60 FA-KES dev articles, see
``tests/support/drills.py``) to a fresh app and worker, does something a production system
lives through (kill -9, a rebalance, a paused or restarted broker, a replay, hostile input),
waits until everything is committed and quiet, and compares the final counts
(``actors.counts`` latest per key) and events (``events.enriched`` highest version per
event id, compared by content: version numbers count an id's publications in one stream) with
one clean run of the same input, shared by the module. Each must find 0 lost, 0 double-counted
and 0 conflicting versions (one event id and version published twice with different content).

They run with ``make drills`` (``pytest --drills``), not in the default ``make test``: about
12 minutes on a 2-core machine. ``python -m tests.support.drill_runs --runs 3`` runs them
several times and prints the drill x run table.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.drills import (
    Outcome,
    assert_all,
    compare,
    drill_corpus,
    pipeline,
    recorded,
)
from tests.support.tansu import TansuBroker, moto_s3
from workers import codec

pytestmark = pytest.mark.drill  # the broker mark comes with the kafka_bootstrap fixture (conftest)

SEED_RESENT = "001_4230a031e6ff8aa2"  # another outlet's report of seed 000's US strike (gold.json)
FUTURE_ID = "drill-future-dated"
FUTURE_ARTICLE = {
    "id": FUTURE_ID,
    "title": "US drone strike kills three militants near Sarmada",
    "body": (
        "A US drone strike hit a car near the town of Sarmada in Idlib province on Monday, killing "
        "three militants, a local monitor said.\n\nThe car was destroyed and its passengers were "
        "not identified."
    ),
    "source": "Drill Wire",
    "url": None,
    "published_at": "9999-12-31T12:00:00+00:00",
}
_GOOD = {
    "title": "Shelling reported in Hama countryside",
    "body": "Shelling was reported on Monday in the countryside of Hama province, a monitor said.",
    "source": "Drill Wire",
    "url": None,
    "published_at": "2017-05-02T10:00:00+00:00",
}
# Only the hostile-content drill's article names France: its counts are checked on their own.
EXPONENT_ACTOR = "FRA"


@pytest.fixture(scope="module")
def corpus() -> list[tuple[bytes, bytes]]:
    return drill_corpus()


# DRILL_KEEP=<folder>: keep every drill's scratch folder (worker logs, state) there for a post-mortem
KEEP = os.environ.get("DRILL_KEEP")


def _scratch(prefix: str) -> contextlib.AbstractContextManager[str]:
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        return contextlib.nullcontext(tempfile.mkdtemp(prefix=prefix, dir=KEEP))
    return tempfile.TemporaryDirectory(prefix=prefix)


@pytest.fixture
def scratch(request: pytest.FixtureRequest) -> Iterator[Path]:
    with _scratch(f"cw-drill-{request.node.name[-40:]}-") as folder:
        yield Path(folder)


def clean_run(bootstrap: str, corpus: list[tuple[bytes, bytes]]) -> Outcome:
    with (
        _scratch("cw-drill-clean-") as folder,
        pipeline(bootstrap, Path(folder)) as run,
    ):
        run.start_worker()
        run.publish(corpus)
        run.settle()
        return run.outcome()


@pytest.fixture(scope="module")
def clean(kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]]) -> Outcome:
    """The clean run every drill compares with: one worker, the corpus once, nothing disturbed."""
    return clean_run(kafka_bootstrap, corpus)


def at_fraction(clean: Outcome, fraction: float) -> int:
    """How many events.enriched messages make ``fraction`` of the clean run's."""
    return max(1, math.ceil(clean.enriched_messages * fraction))


def test_drill_a_second_clean_run_gives_the_same_events_and_counts(
    kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]], clean: Outcome
) -> None:
    name = "clean run again"
    with recorded(name):
        again = clean_run(kafka_bootstrap, corpus)
    result = compare(name, clean, again)
    result.other += [
        f"clean run: {v} published with {n} different contents" for v, n in clean.conflicts.items()
    ]
    assert_all(result)


def test_drill_the_same_input_spread_over_a_minute_gives_the_same_result(
    kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path
) -> None:
    """Only the arrival times differ from the clean run (the join drill feeds its input this way)."""
    name = "input spread over 60 s"
    with recorded(name), pipeline(kafka_bootstrap, scratch) as run:
        run.start_worker()
        run.publish_slowly(corpus, seconds=60).join()
        run.settle()
        outcome = run.outcome()
    assert_all(compare(name, clean, outcome))


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9], ids=["10pct", "50pct", "90pct"])
def test_drill_kill_9_mid_stream_then_restart(
    kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path, fraction: float
) -> None:
    name = f"kill -9 at {fraction:.0%}"
    with recorded(name), pipeline(kafka_bootstrap, scratch) as run:
        worker = run.start_worker()
        run.publish(corpus)
        run.wait_for_events(at_fraction(clean, fraction))
        run.kill(worker)
        run.start_worker()
        run.settle()
        outcome = run.outcome()
    assert_all(compare(name, clean, outcome))


def test_drill_a_second_worker_joins_then_one_is_killed(
    kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path
) -> None:
    name = "2nd worker joins, 1st killed"
    with recorded(name), pipeline(kafka_bootstrap, scratch) as run:
        first = run.start_worker()
        feeding = run.publish_slowly(corpus, seconds=60)
        run.wait_for_events(at_fraction(clean, 0.15))
        run.start_worker()
        run.wait_for_members(2)  # the rebalance has happened while input still flows
        run.kill(first)
        feeding.join()
        run.settle()
        outcome = run.outcome()
    assert_all(compare(name, clean, outcome))


def test_drill_broker_paused_30_seconds(
    corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path
) -> None:
    """A broker of its own (SIGSTOP must not freeze the other tests' broker)."""
    name = "broker paused 30 s"
    with recorded(name), TansuBroker() as broker, pipeline(broker.bootstrap, scratch) as run:
        run.start_worker()
        run.publish(corpus)
        run.wait_for_events(at_fraction(clean, 0.3))
        broker.pause()
        time.sleep(30)
        broker.resume()
        run.settle()
        outcome = run.outcome()
    assert_all(compare(name, clean, outcome))


def test_drill_broker_restart_with_persistent_storage(
    corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path
) -> None:
    """The embedded broker on S3 storage (moto on loopback) keeps topics and offsets over a restart."""
    name = "broker restart (s3 storage)"
    with (
        recorded(name),
        moto_s3() as s3_env,
        TansuBroker("s3://tansu/", s3_env) as broker,
        pipeline(broker.bootstrap, scratch) as run,
    ):
        run.start_worker()
        run.publish(corpus)
        run.wait_for_events(at_fraction(clean, 0.4))
        broker.restart()
        run.settle(stall=300)
        outcome = run.outcome()
    assert_all(compare(name, clean, outcome))


def test_drill_full_reingest_moves_nothing(
    kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path
) -> None:
    name = "full re-ingest"
    with recorded(name), pipeline(kafka_bootstrap, scratch) as run:
        run.start_worker()
        run.publish(corpus)
        run.settle()
        run.publish(corpus)
        run.settle()
        outcome = run.outcome()
    assert_all(compare(name, clean, outcome))


def _published_at(message: tuple[bytes, bytes]) -> str:
    return str(codec.loads(message[1])["published_at"])


def test_drill_out_of_order_replay_moves_nothing(
    kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path
) -> None:
    """The corpus again, newest first: every older report arrives after newer ones it already saw."""
    name = "out-of-order replay"
    newest_first = sorted(corpus, key=_published_at, reverse=True)
    with recorded(name), pipeline(kafka_bootstrap, scratch) as run:
        run.start_worker()
        run.publish(corpus)
        run.settle()
        run.publish(newest_first)
        run.settle()
        outcome = run.outcome()
    assert_all(compare(name, clean, outcome))


def test_drill_future_dated_article_then_a_seed_resent(
    kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path
) -> None:
    """An article dated 9999-12-31, then seed 001 re-sent byte for byte: nothing may move, and the
    far-future article is a dead letter (published_at more than a day ahead)."""
    [resent] = [m for m in corpus if m[0].decode() == SEED_RESENT]
    future = (FUTURE_ID.encode(), codec.dumps(FUTURE_ARTICLE))
    with recorded("future date: seed re-sent"), pipeline(kafka_bootstrap, scratch) as run:
        run.start_worker()
        run.publish(corpus)
        run.settle()
        run.publish([future])
        run.settle()
        before = run.outcome()
        run.publish([resent])
        run.settle()
        after = run.outcome()
    replay = compare("future date: seed re-sent", before, after, reference="the state before the re-send")
    rejected = compare("future date: dead letter", clean, after, ignore_articles=[FUTURE_ID])
    if not [d for d in after.dead_letters if d.get("key") == FUTURE_ID and d.get("reason")]:
        rejected.other.append("the article dated 9999-12-31 was not dead-lettered")
    assert_all(replay, rejected)


def _article(article_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": article_id, **_GOOD, **fields}


def malformed_inputs() -> dict[str, bytes]:
    """Article id (the message key) -> a value the worker must dead-letter with a reason."""
    not_utf8 = codec.dumps(_article("bad-not-utf8", title="TITLE")).replace(b"TITLE", b"caf\xe9 \xff\xfe")
    deep = b'{"id": "bad-deep", "body": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    wide = "".join(chr(0x4E00 + i % 20_000) for i in range(400_000))  # 3 bytes each in UTF-8
    return {
        "bad-malformed": b'{"id": "bad-malformed", "title": "unterminated',
        "bad-types": codec.dumps(
            {"id": "bad-types", "title": 42, "body": ["x"], "source": None, "url": 5, "published_at": 2017}
        ),
        "bad-missing": codec.dumps({"id": "bad-missing", "title": "A title and nothing else"}),
        "bad-empty-body": codec.dumps(_article("bad-empty-body", body="")),
        "bad-not-utf8": not_utf8,
        "bad-deep": deep,
        "bad-date": codec.dumps(_article("bad-date", published_at="2017-02-30T12:00:00+00:00")),
        "bad-20mb": codec.dumps(
            _article("bad-20mb", body=("Shelling was reported again. " * 700_000)[:20_000_000])
        ),
        "bad-1.2mb": codec.dumps(_article("bad-1.2mb", body=wide)),
    }


def _missing_letters(outcome: Outcome, ids: list[str]) -> list[str]:
    keyed = {d.get("key"): d for d in outcome.dead_letters}
    return [f"{i}: no dead letter with a reason" for i in ids if not (keyed.get(i) or {}).get("reason")]


def test_drill_bad_input_matrix(
    kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path
) -> None:
    """Malformed input between two halves of the corpus: each a dead letter, the rest flows on."""
    name = "bad-input matrix"
    bad = malformed_inputs()
    half = len(corpus) // 2
    with recorded(name), pipeline(kafka_bootstrap, scratch) as run:
        run.start_worker()
        run.publish(corpus[:half])
        run.publish([(key.encode(), value) for key, value in bad.items()])
        run.publish(corpus[half:])
        run.settle()
        outcome = run.outcome()
    result = compare(name, clean, outcome, ignore_articles=list(bad))
    result.other += _missing_letters(outcome, list(bad))
    assert_all(result)


def hostile_content() -> dict[str, dict[str, Any]]:
    """Valid articles whose content is hostile: 10,000 numbers, and a figure with an exponent."""
    numbers = " ".join(str(n) for n in range(1, 10_001))
    exponent = (
        "French jets struck the city of Raqqa in Raqqa province on Monday. 10^100 people were killed "
        "in the strike, a monitor said."
    )
    return {
        "hostile-numbers": _article(
            "hostile-numbers", title="Figures", body=f"Reference figures: {numbers}."
        ),
        "hostile-exponent": _article("hostile-exponent", title="French jets strike Raqqa", body=exponent),
    }


def _absurd_figures(outcome: Outcome, article_id: str) -> list[str]:
    """Figures the worker took from an article that states no plausible count (none is right)."""
    found = []
    for event in outcome.events.values():
        if article_id in {s["article_id"] for s in event.get("sources", [])}:
            for field in ("killed", "injured"):
                quantity = event.get(field) or {}
                if quantity.get("low") is not None or quantity.get("high") is not None:
                    found.append(f"{article_id}: {event['event_id']} {field}={quantity}")
    return found


def test_drill_hostile_content(
    kafka_bootstrap: str, corpus: list[tuple[bytes, bytes]], clean: Outcome, scratch: Path
) -> None:
    """Each hostile article is a dead letter or yields no figure; good articles after it keep flowing."""
    name = "hostile content"
    hostile = hostile_content()
    half = len(corpus) // 2
    with recorded(name), pipeline(kafka_bootstrap, scratch) as run:
        run.start_worker()
        run.publish(corpus[:half])
        run.publish([(key.encode(), codec.dumps(article)) for key, article in hostile.items()])
        run.publish(corpus[half:])
        run.settle()
        outcome = run.outcome()
    result = compare(name, clean, outcome, ignore_actors=[EXPONENT_ACTOR], ignore_articles=list(hostile))
    letters = {d.get("key") for d in outcome.dead_letters if d.get("reason")}
    for article_id in hostile:
        if article_id not in letters:
            result.other += _absurd_figures(outcome, article_id)
    killed = outcome.totals(EXPONENT_ACTOR).get("killed_low", 0)
    if killed:
        result.other.append(f"{EXPONENT_ACTOR} counts {killed} killed from '10^100 people were killed'")
    assert_all(result)


def test_the_matrix_inputs_are_what_they_claim() -> None:
    """The matrix's inputs are what they claim to be (sizes, invalid UTF-8, depth)."""
    bad = malformed_inputs()
    assert len(bad["bad-20mb"]) > 20_000_000
    assert 1_150_000 < len(bad["bad-1.2mb"]) < 1_300_000
    with pytest.raises(UnicodeDecodeError):
        bad["bad-not-utf8"].decode("utf-8")
    assert bad["bad-deep"].count(b"[") == 10_000
