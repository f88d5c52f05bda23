"""Files -> raw-article messages: text files, JSON Lines (passed on byte for byte), directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers import codec, ingest, schemas


def test_text_file_becomes_a_valid_raw_article(tmp_path: Path) -> None:
    path = tmp_path / "strike.txt"
    path.write_text(
        "Strike hits camp\n\nA strike hit a camp on Monday.\n\nSource: Example Wire\n", encoding="utf-8"
    )
    [(key, value)] = list(ingest.messages([path], published_at="2024-03-12T10:00:00+00:00"))
    article = codec.loads(value)
    schemas.validate("articles.raw", article)
    assert key == b"strike"
    assert article["title"] == "Strike hits camp"
    assert article["body"].startswith("A strike hit a camp on Monday.")
    assert article["source"] == "Example Wire"
    assert article["published_at"] == "2024-03-12T10:00:00+00:00"


def test_text_file_without_a_date_uses_its_modification_time(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Title\nBody.", encoding="utf-8")
    article = codec.loads(next(ingest.messages([path]))[1])
    schemas.validate("articles.raw", article)


def test_jsonl_lines_pass_through_unchanged_even_when_malformed(tmp_path: Path) -> None:
    good = (
        b'{"id": "x1", "title": "T", "body": "B", "source": "s", "url": null, "published_at": "2024-01-01"}'
    )
    path = tmp_path / "feed.jsonl"
    path.write_bytes(good + b"\n\n{broken json\n")
    out = list(ingest.messages([path]))
    assert out == [(b"x1", good), (None, b"{broken json")]


def test_batch_format_lines_are_translated(tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    path.write_text('{"id": "e1", "title": "T", "text": "Body.", "source": "s", "date": "2017-04-19"}\n')
    [(key, value)] = list(ingest.messages([path]))
    article = codec.loads(value)
    schemas.validate("articles.raw", article)
    assert key == b"e1" and article["body"] == "Body." and article["published_at"] == "2017-04-19"


def test_directories_are_walked_in_name_order_and_other_files_skipped(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("B title\nB body.")
    (tmp_path / "a.txt").write_text("A title\nA body.")
    (tmp_path / "notes.md").write_text("ignored")
    assert [key for key, _ in ingest.messages([tmp_path])] == [b"a", b"b"]


def test_unsupported_or_missing_paths_are_errors(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(ingest.IngestError, match="unsupported"):
        list(ingest.messages([tmp_path / "x.csv"]))
    with pytest.raises(ingest.IngestError, match="no such file"):
        list(ingest.messages([tmp_path / "nope.txt"]))


def test_bundled_samples_are_readable_articles() -> None:
    found = list(ingest.messages([ingest.SAMPLES]))
    assert len(found) >= 5
    for _, value in found:
        schemas.validate("articles.raw", codec.loads(value))


def test_messages_over_the_size_limit_are_reported_not_sent(tmp_path: Path) -> None:
    small = b'{"id": "s1", "title": "T", "body": "B"}'
    huge = b'{"id": "h1", "title": "T", "body": "' + b"x" * 5000 + b'"}'
    (tmp_path / "feed.jsonl").write_bytes(small + b"\n" + huge + b"\n")
    (tmp_path / "one.json").write_bytes(huge)
    (tmp_path / "long.txt").write_text("Title\n" + "word " * 2000)
    oversized: list[ingest.Oversized] = []
    sent = list(ingest.messages([tmp_path], max_bytes=4096, oversized=oversized))
    assert sent == [(b"s1", small)]
    assert sorted(oversized) == sorted(
        [
            ingest.Oversized(f"{tmp_path / 'feed.jsonl'}:2", len(huge)),
            ingest.Oversized(str(tmp_path / "one.json"), len(huge)),
            ingest.Oversized(str(tmp_path / "long.txt"), (tmp_path / "long.txt").stat().st_size),
        ]
    )
    # without a limit everything goes, as before
    assert len(list(ingest.messages([tmp_path]))) == 4
