"""JSON log lines: one object a line, with the stage and article id when known."""

from __future__ import annotations

import asyncio
import io
import json
import logging

from workers.logs import JsonLines, log_context, logging_config


def capture(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test-logs-{id(stream)}")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    return logger, stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_lines_carry_the_context_stage_and_article_and_null_outside_it() -> None:
    logger, stream = capture(JsonLines())
    with log_context("poll", "https://news.test/a.html"):
        logger.warning("dead-lettered %s", "a.html")
    logger.info("idle")
    first, second = lines(stream)
    assert first["stage"] == "poll" and first["article_id"] == "https://news.test/a.html"
    assert first["message"] == "dead-lettered a.html" and first["level"] == "WARNING"
    assert second["stage"] is None and second["article_id"] is None and second["logger"] == logger.name


def test_each_task_keeps_its_own_context() -> None:
    logger, stream = capture(JsonLines())

    async def handle(article: str) -> None:
        with log_context("poll", article):
            await asyncio.sleep(0.01)  # the other task runs meanwhile
            logger.info("done")

    async def both() -> None:
        await asyncio.gather(handle("a"), handle("b"))

    asyncio.run(both())
    assert sorted(str(line["article_id"]) for line in lines(stream)) == ["a", "b"]


def test_exceptions_are_kept_in_the_line() -> None:
    logger, stream = capture(JsonLines())
    try:
        raise ValueError("bad page")
    except ValueError:
        logger.exception("failed")
    (line,) = lines(stream)
    assert "ValueError: bad page" in str(line["exception"])


def test_the_dict_config_installs_the_formatter_on_stderr() -> None:
    config = logging_config("info", {"articles.raw": "normalize"})
    assert config["root"] == {"level": "INFO", "handlers": ["stderr"]}
    formatter = config["formatters"]["json"]
    assert formatter["()"] is JsonLines and formatter["stage_of_topic"] == {"articles.raw": "normalize"}
