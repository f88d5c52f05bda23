"""Normalize stage: boilerplate stripping on the seeds, sentence spans, hashing, errors, and
the FA-KES eval texts (one long line each) going through without losing text."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from workers import schemas
from workers.ingest import SAMPLES, text_file_article
from workers.stages import normalize as stage
from workers.stages.errors import StageError
from workers.stages.normalize import (
    MAX_BODY_CHARS,
    MAX_SENTENCE_CHARS,
    MAX_SENTENCES,
    content_hash,
    normalize,
    split_sentences,
)
from workers.types import NormalizedArticle, RawArticle

from .seeds import eval_file, load_gold, load_seeds

SEEDS = load_seeds()
GOLD: dict[str, Any] = load_gold().get("articles", {})
EVAL = eval_file()
needs_seeds = pytest.mark.skipif(not SEEDS, reason="shared/corpus/seeds not found")
needs_eval = pytest.mark.skipif(EVAL is None, reason="shared/eval/fakes_dev.jsonl not found")

# gold.json writes notes in a trailing parenthesis ("... (caption, appears twice)") and elides
# with "..."; "$5bn (£3.8bn)" shows a parenthesis can also be text, so the note is dropped
# only when the whole string is not found.
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)\s*$")


def article(body: str, title: str = "Air strikes hit Idlib", **extra: Any) -> RawArticle:
    raw: dict[str, Any] = {
        "id": "a-1",
        "title": title,
        "body": body,
        "source": "Test Wire",
        "url": None,
        "published_at": "2019-08-31T12:00:00+00:00",
    }
    raw.update(extra)
    return raw  # type: ignore[return-value]


def sentences_of(out: NormalizedArticle) -> list[str]:
    return [out["text"][s["start"] : s["end"]] for s in out["sentences"]]


def pieces(phrase: str, haystack: str) -> list[str]:
    """The parts of a gold phrase to look for: the phrase itself, or its "..." pieces."""
    for candidate in (phrase, _TRAILING_NOTE.sub("", phrase)):
        parts = [p.strip() for p in candidate.split("...") if p.strip()]
        if all(p in haystack for p in parts):
            return parts
    return [p.strip() for p in _TRAILING_NOTE.sub("", phrase).split("...") if p.strip()]


def kept_share(before: str, after: str) -> float:
    """Share of non-space characters kept (whitespace changes are not losses)."""
    return len("".join(after.split())) / len("".join(before.split()))


# ------------------------------------------------------------------ seeds


@needs_seeds
@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_output_matches_the_normalized_schema(name: str) -> None:
    out = normalize(SEEDS[name])
    schemas.validate("articles.normalized", out)
    assert out["schema_version"] == 1
    assert out["id"] == SEEDS[name]["id"]
    assert out["language"] == "en"
    assert "\n\n" in out["text"] and "\n\n\n" not in out["text"]


@needs_seeds
@pytest.mark.parametrize("name", sorted(n for n in GOLD if GOLD[n].get("boilerplate_to_strip")))
def test_seed_boilerplate_is_stripped_and_listed(name: str) -> None:
    out = normalize(SEEDS[name])
    paragraphs = out["text"].split("\n\n")
    for item in GOLD[name]["boilerplate_to_strip"]:
        for piece in pieces(item, "\n".join(out["removed"])):
            assert any(piece in line for line in out["removed"]), f"{piece!r} not in removed"
            if len(piece.split()) > 2:
                assert piece not in out["text"], f"{piece!r} left in text"
            else:  # "AP", "News": short words may occur in sentences, not as a paragraph
                assert piece not in paragraphs, f"{piece!r} left as a paragraph"


@needs_seeds
def test_every_read_more_line_of_a_seed_is_removed() -> None:
    for raw in SEEDS.values():
        out = normalize(raw)
        assert "READ MORE" not in out["text"]
        expected = [line.strip() for line in raw["body"].splitlines() if line.strip().startswith("READ MORE")]
        got = [line for line in out["removed"] if line.startswith("READ MORE")]
        assert len(got) == len(expected)


@needs_seeds
@pytest.mark.parametrize("name", sorted(GOLD))
def test_seed_evidence_and_background_figures_survive(name: str) -> None:
    out = normalize(SEEDS[name])
    phrases = [
        quantity["evidence"]
        for event in GOLD[name]["events"]
        for field in ("killed", "injured")
        if (quantity := event.get(field))
    ]
    # caption dates live in photo captions, which are stripped on purpose
    phrases += [
        figure["text"]
        for figure in GOLD[name]["background_figures_not_casualties"]
        if figure["kind"] != "caption_date"
    ]
    assert phrases
    for phrase in phrases:
        for piece in pieces(phrase, out["text"]):
            assert piece in out["text"], f"{piece!r} lost from {name}"


@needs_seeds
def test_seed_subheadings_and_short_sentences_are_kept() -> None:
    by_stem = {Path(n).stem[:3]: normalize(a) for n, a in SEEDS.items()}
    assert "Hurras al-Deen targeted" in by_stem["000"]["text"].split("\n\n")
    assert 'He called it a "crime" by Russia.' in by_stem["004"]["text"]
    assert "But the truce remained shaky." in by_stem["004"]["text"]


@needs_seeds
def test_seed_characters_are_kept_except_boilerplate() -> None:
    for raw in SEEDS.values():
        out = normalize(raw)
        # what is not in text was listed as removed or promoted to the title
        promoted = [out["title"]] if out["title"] in raw["body"] else []
        lost = [*out["removed"], *promoted]
        before = len("".join(raw["body"].split()))
        after = len("".join(out["text"].split())) + len("".join("".join(lost).split()))
        assert abs(before - after) <= 5, raw["id"]
        assert kept_share(raw["body"], out["text"]) > 0.75  # 004 is one fifth READ MORE links


@needs_seeds
def test_junk_title_is_replaced_by_the_headline_above_the_body() -> None:
    name = next(n for n, a in SEEDS.items() if a["title"] == "fbpx")
    out = normalize(SEEDS[name])
    assert out["title"] == "Airstrikes in Idlib intensify"
    assert out["removed"][0] == "fbpx"


@needs_seeds
def test_seed_quotes_are_ascii() -> None:
    for raw in SEEDS.values():
        out = normalize(raw)
        assert not set(out["text"] + out["title"]) & set("‘’“”\u00a0")


# ------------------------------------------------------------------ characters and lines


def test_unicode_cleanup_keeps_meaning() -> None:
    body = (
        "The\u00a0raid\u200b killed \u201cat least 40\u201d fighters, the monitor\u2019s chief said.\r\n"
        "Of\ufb01cials said the strike was 3\u00bd km from the bor\u00adder \u2013 near km\u00b2 42.\r\n"
    )
    out = normalize(article(body))
    assert out["text"] == (
        'The raid killed "at least 40" fighters, the monitor\'s chief said.\n\n'
        "Officials said the strike was 3\u00bd km from the border \u2013 near km\u00b2 42."
    )


def test_whitespace_collapses_and_paragraphs_join_with_blank_lines() -> None:
    body = "  First   paragraph\there.  \n\n\n\n   Second paragraph.   \n"
    assert normalize(article(body))["text"] == "First paragraph here.\n\nSecond paragraph."


def test_hard_wrapped_lines_are_joined() -> None:
    body = (
        "The Syrian Observatory for Human Rights said at least seven people were killed\n"
        "by shells that hit the market\n"
        "on Monday morning.\n"
        "Reporting by Jane Doe; Editing by John Roe"
    )
    out = normalize(article(body))
    assert out["text"] == (
        "The Syrian Observatory for Human Rights said at least seven people were killed by shells "
        "that hit the market on Monday morning."
    )
    assert out["removed"] == ["Reporting by Jane Doe; Editing by John Roe"]


def test_caption_widget_and_label_lines_are_stripped() -> None:
    body = "\n".join(
        [
            "Breaking news",
            "Share",
            "aleppo shelling",
            "Smoke over Aleppo on Monday. Photo: Reuters/Omar Sanadiki",
            "Shells hit a school in Aleppo on Monday, killing four pupils, state media said.",
            "A boy walks past a damaged building in Aleppo (Photo: AFP)",
            "Aleppo map - Syria",
            "Families fled",
            "Hundreds of families left the district overnight, residents said.",
            "Read more: Why Aleppo matters",
            "Loading\u2026",
            "Advertisement",
            "With agencies: Reuters, AFP",
            "Tags",
        ]
    )
    out = normalize(article(body))
    assert out["text"] == (
        "Shells hit a school in Aleppo on Monday, killing four pupils, state media said.\n\n"
        "Families fled\n\n"
        "Hundreds of families left the district overnight, residents said."
    )
    assert len(out["removed"]) == 11


def test_caption_over_a_credit_line_and_repeated_captions_are_stripped() -> None:
    caption = "Men carry a wounded boy in Douma, Syria, February 3, 2018."
    body = "\n".join(
        [
            "Standfirst about the raid on Douma.",
            "",
            "A rescuer lifts debris",
            "Getty Images",
            "",
            "Air raids on Douma killed 11 people on Saturday, the monitor said.",
            "",
            caption,
            "",
            "The toll is expected to rise as rescuers dig through the rubble.",
            caption,
        ]
    )
    out = normalize(article(body))
    assert caption not in out["text"] and out["removed"].count(caption) == 2
    assert "A rescuer lifts debris" in out["removed"] and "Getty Images" in out["removed"]
    assert "killed 11 people" in out["text"]


def test_a_junk_title_without_a_headline_above_the_body_is_kept() -> None:
    out = normalize(article("Shells hit the market on Monday.", title="News"))
    assert out["title"] == "News" and out["removed"] == []


def test_a_paragraph_over_an_uncaptioned_credit_is_kept() -> None:
    body = "Shells hit the market.\nFive people died in the town.\nAFP\nRescuers searched the rubble."
    out = normalize(article(body))
    assert "Five people died in the town." in out["text"]
    assert out["removed"] == ["AFP"]


def test_a_repeated_long_paragraph_keeps_its_first_copy() -> None:
    paragraph = " ".join(["The offensive has displaced hundreds of thousands of people in the province."] * 6)
    out = normalize(article(f"{paragraph}\n\nMore fighting is expected.\n\n{paragraph}"))
    assert out["text"].count(paragraph) == 1
    assert out["removed"] == [paragraph]


def test_a_long_single_line_is_never_boilerplate() -> None:
    line = "Source: " + "residents said shells fell on the market and killed two people " * 12
    out = normalize(article(line))
    assert out["removed"] == []


def test_the_headline_repeated_in_the_body_is_stripped() -> None:
    out = normalize(
        article("Air strikes hit Idlib\n\nJets struck the city on Monday.", title="Air strikes hit Idlib")
    )
    assert out["text"] == "Jets struck the city on Monday."


def test_inline_footer_of_a_one_line_text_is_cut() -> None:
    body = "Seven people were killed in Aleppo on Monday, the agency said. Read Also"
    out = normalize(article(body))
    assert out["text"] == "Seven people were killed in Aleppo on Monday, the agency said."
    assert out["removed"] == ["Read Also"]


def test_fields_pass_through_and_language_defaults() -> None:
    out = normalize(article("Text.", url="https://example.org/a", language="ar"))
    assert (out["url"], out["language"], out["source"]) == ("https://example.org/a", "ar", "Test Wire")
    assert normalize(article("Text."))["language"] == "en"
    assert normalize(article("Text.", source="   "))["source"] == "unknown"


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"body": ""}, "body is empty"),
        ({"body": " \n\u200b\u00a0\n\t"}, "body is empty"),
        ({"body": "Loading...\nREAD MORE: elsewhere\n[ssba]"}, "boilerplate"),
        ({"id": "  "}, "id is empty"),
        ({"body": None}, "'body' must be a string"),
        ({"published_at": "last Tuesday"}, "published_at is not an ISO date"),
        ({"published_at": 20190831}, "'published_at' must be a string"),
        ({"title": 5}, "'title' must be a string"),
        ({"url": 5}, "url"),
    ],
)
def test_bad_input_raises_stage_error(changes: dict[str, Any], message: str) -> None:
    raw = article("Shells hit the town.")
    raw.update(changes)  # type: ignore[typeddict-item]
    with pytest.raises(StageError, match=re.escape(message)):
        normalize(raw)


# ------------------------------------------------------------------ no title, no date, bounds


@pytest.mark.parametrize("title", ["", " \u200b ", None])
def test_missing_title_takes_the_first_sentence(title: str | None) -> None:
    raw = article("Gunmen killed two farmers in Zamfara. Police said the attackers fled.", title="")
    if title is None:
        del raw["title"]  # type: ignore[misc]
    else:
        raw["title"] = title
    out = normalize(raw)
    assert out["title"] == "Gunmen killed two farmers in Zamfara."
    assert out["text"].startswith("Gunmen killed two farmers")  # the body keeps its first sentence
    schemas.validate("articles.normalized", out)


def test_published_at_in_the_future_is_a_stage_error() -> None:
    now = dt.datetime(2019, 8, 31, 12, 0, tzinfo=dt.UTC)
    with pytest.raises(StageError, match="published_at in the future"):
        normalize(article("Shells hit the town.", published_at="2019-09-01T12:00:01+00:00"), now=now)
    with pytest.raises(StageError, match="published_at in the future"):
        normalize(article("Shells hit the town.", published_at="9999-12-31"), now=now)
    # up to a day ahead is a time zone, not a mistake; a naive time is UTC
    assert normalize(article("Shells hit the town.", published_at="2019-09-01T11:00:00"), now=now)
    assert normalize(article("Shells hit the town.", published_at="2019-09-01"), now=now)


def test_missing_published_at_is_inferred_from_the_text() -> None:
    raw = article("KABUL, 3 March 2021 - Gunmen shot a journalist on Tuesday. He died on 2 March 2021.")
    del raw["published_at"]  # type: ignore[misc]
    out = normalize(raw)
    assert out["published_at"] == "2021-03-03"
    assert out.get("published_at_inferred") is True
    schemas.validate("articles.normalized", out)
    # no date in the text: the processing time's date, and without one nothing
    raw["body"] = "Gunmen shot a journalist on Tuesday."
    assert normalize(raw, now=dt.datetime(2021, 3, 4, 8, 0, tzinfo=dt.UTC))["published_at"] == "2021-03-04"
    assert normalize(raw)["published_at"] == ""
    assert "published_at_inferred" not in normalize(article("Shells hit the town."))


def test_an_over_long_sentence_is_split_and_sentences_are_capped() -> None:
    words = "word " * 100_000  # 500,000 characters without a stop
    out = normalize(article(words))
    assert len(out["text"]) <= MAX_BODY_CHARS
    assert all(s["end"] - s["start"] <= MAX_SENTENCE_CHARS for s in out["sentences"])
    assert out["removed"][0].startswith("[body cut at")
    check_spans(out)
    many = normalize(article(" ".join(f"Line {i} was read." for i in range(MAX_SENTENCES + 50))))
    assert len(many["sentences"]) == MAX_SENTENCES
    assert many["text"].endswith(f"Line {MAX_SENTENCES - 1} was read.")
    assert any(r.startswith(f"[text cut after {MAX_SENTENCES} sentences") for r in many["removed"])
    check_spans(many)


# ------------------------------------------------------------------ sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Lt. Col. John Smith of the U.S. Army said the strike was lawful. Dr. Ahmed disagreed.",
            ["Lt. Col. John Smith of the U.S. Army said the strike was lawful.", "Dr. Ahmed disagreed."],
        ),
        (
            "Mr. Assad met Gen. Ali on Jan. 5 in Damascus. No. 3 brigade was there.",
            ["Mr. Assad met Gen. Ali on Jan. 5 in Damascus.", "No. 3 brigade was there."],
        ),
        ("The envoy left the U.S. The talks failed.", ["The envoy left the U.S.", "The talks failed."]),
        ("U.S. officials said U.N. staff left.", ["U.S. officials said U.N. staff left."]),
        (
            "Donors pledged $5bn (£3.8bn) on Tuesday. The money goes to Jordan.",
            ["Donors pledged $5bn (£3.8bn) on Tuesday.", "The money goes to Jordan."],
        ),
        (
            '"We will respond," he said. "This is a crime." Officials left.',
            ['"We will respond," he said.', '"This is a crime."', "Officials left."],
        ),
        (
            '"What is the purpose? STOP!" Mr Trump wrote in a post. Then he left.',
            ['"What is the purpose?', 'STOP!" Mr Trump wrote in a post.', "Then he left."],
        ),
        (
            "He arrived at 3 p.m. on Monday. The raid began at 4 a.m. The toll rose.",
            ["He arrived at 3 p.m. on Monday.", "The raid began at 4 a.m.", "The toll rose."],
        ),
        (
            "Sites were hit... Rescuers came. Is it over? Nobody knows!",
            ["Sites were hit...", "Rescuers came.", "Is it over?", "Nobody knows!"],
        ),
        ("A heading without a stop\n\nThe body.", ["A heading without a stop", "The body."]),
        (
            "Wed 19 Apr 2017 Aleppo bomb blast kills six Syrian state TV. A bomb killed six people.",
            ["Wed 19 Apr 2017 Aleppo bomb blast kills six Syrian state TV.", "A bomb killed six people."],
        ),
    ],
)
def test_sentence_splitting(text: str, expected: list[str]) -> None:
    assert [text[s["start"] : s["end"]] for s in split_sentences(text)] == expected


def test_a_paragraph_always_ends_a_sentence() -> None:
    out = normalize(article("The army said on Monday that its troops had taken the town of\n\nSaraqib."))
    assert sentences_of(out) == ["The army said on Monday that its troops had taken the town of", "Saraqib."]


def check_spans(out: NormalizedArticle) -> None:
    """Spans are ordered, trimmed, inside one paragraph, and cover every non-space character."""
    text, covered, previous_end = out["text"], 0, 0
    for span in out["sentences"]:
        piece = text[span["start"] : span["end"]]
        assert span["start"] >= previous_end and piece and piece == piece.strip()
        assert "\n" not in piece
        covered += len("".join(piece.split()))
        previous_end = span["end"]
    assert covered == len("".join(text.split()))


@needs_seeds
def test_seed_sentence_spans_cover_the_text() -> None:
    for raw in SEEDS.values():
        out = normalize(raw)
        check_spans(out)
        assert len(out["sentences"]) >= 10


# ------------------------------------------------------------------ hash


def test_content_hash_ignores_whitespace_and_case() -> None:
    one = normalize(article("Shells hit the town.\n\nFive people died.", title="Shelling in Hama"))
    two = normalize(
        article("  Shells  hit the town.\r\n\r\n\r\nFive\u00a0people died. ", title=" SHELLING in  hama ")
    )
    assert one["content_hash"] == two["content_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", one["content_hash"])
    three = normalize(article("Shells hit the town.\n\nSix people died.", title="Shelling in Hama"))
    assert three["content_hash"] != one["content_hash"]
    assert content_hash("A", "b c") == content_hash("a", "B\n\nc")


def test_normalize_is_deterministic() -> None:
    raw = article("Shells hit the town on Monday.\n\nREAD MORE: other news\n\nFive people died.")
    assert normalize(raw) == normalize(raw)


# ------------------------------------------------------------------ rule file


def test_every_rule_has_kind_pattern_and_why() -> None:
    path = Path(stage.__file__).resolve().parents[1] / "data" / "boilerplate.jsonl"
    rules = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert rules
    for rule in rules:
        assert set(rule) == {"kind", "pattern", "why"} and rule["why"].strip()
        if rule["kind"] in ("line", "credit", "tail", "inline"):
            re.compile(rule["pattern"].replace("{agency}", "AFP"))
    assert stage._rules().lines  # the loaded form compiles too


# ------------------------------------------------------------------ eval texts (FA-KES)


def eval_rows() -> list[dict[str, Any]]:
    assert EVAL is not None
    return [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]


def eval_article(row: dict[str, Any]) -> RawArticle:
    return {
        "id": row["id"],
        "title": row["title"],
        "body": row["text"],
        "source": row["source"],
        "url": None,
        "published_at": row["date"],
    }


@needs_eval
def test_eval_texts_normalize_without_losing_text() -> None:
    rows = eval_rows()
    assert len(rows) > 100
    before = after = 0
    for row in rows:
        out = normalize(eval_article(row))
        schemas.validate("articles.normalized", out)
        check_spans(out)
        share = kept_share(row["text"], out["text"])
        # below 90 % only where a site footer (related headlines, menus) was cut off the end
        footer_cut = any(
            _is_footer(row["text"], item, out["removed"]) and len(item) > 80 for item in out["removed"]
        )
        assert share > (0.5 if footer_cut else 0.85), (row["id"], out["removed"])
        before += len("".join(row["text"].split()))
        after += len("".join(out["text"].split()))
        # datelines such as "Wed 19 Apr 2017 ..." or "Posted on July 20 2016 by ..." stay put
        # (a photo caption right after one goes, the dateline stays)
        dateline = re.match(r"[^.!?]{0,40}?\b\d{0,2}(?:19|20)\d\d\s", row["text"])
        prefix = dateline.group() if dateline else " ".join(row["text"].split())[:40]
        assert out["text"].startswith(prefix.strip())
    assert after / before > 0.95


def _is_footer(text: str, item: str, removed: list[str]) -> bool:
    """``item`` was cut off the end: only other removed items (cut before it) follow it."""
    if item not in text:
        return False
    rest = text[text.rfind(item) + len(item) :]
    for other in removed:
        rest = rest.replace(other, "")
    return not re.sub(r"[\s.]", "", rest)


_CAPTION_CREDIT = re.compile(r"\((?:[\w ]{0,40}\s)?(?:photo|agencies)\)$", re.IGNORECASE)


@needs_eval
def test_eval_removed_items_are_footers_only() -> None:
    for row in eval_rows():
        out = normalize(eval_article(row))
        for item in out["removed"]:
            footer = _is_footer(row["text"], item, out["removed"])
            # long removals are footers, photo captions with their credit, topic-tag runs, or photo
            # credits with a glued related headline
            assert (
                len(item.split()) <= 15
                or footer
                or _CAPTION_CREDIT.search(item)
                or item.startswith(("Tags ", "AP Photo ", "REUTERS", "Sputnik "))
            ), (row["id"], item)
            assert footer or item in row["text"]


# ------------------------------------------------------------------ bundled samples


SAMPLE_FILES = sorted(SAMPLES.glob("sample_*.txt"))


def test_there_are_six_samples_with_a_readme() -> None:
    assert len(SAMPLE_FILES) == 6
    assert (SAMPLES / "README.md").is_file()


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.stem)
def test_sample_junk_is_stripped(path: Path) -> None:
    raw = text_file_article(path, "2024-05-01")
    assert 150 <= len(path.read_text(encoding="utf-8").split()) <= 350
    out = normalize(raw)  # type: ignore[arg-type]
    schemas.validate("articles.normalized", out)
    assert not re.search(r"READ MORE|Source:|\[File|\[Photo|/ AFP|\(Photo", out["text"])
    assert len(out["removed"]) >= 3


def test_samples_carry_the_reports_the_demo_needs() -> None:
    texts = {p.stem: normalize(text_file_article(p, "2024-05-01"))["text"] for p in SAMPLE_FILES}  # type: ignore[arg-type]
    joined = "\n".join(texts.values())
    assert "at least 12 fighters were killed" in texts["sample_01_us_strike_idlib"]
    assert "since 2011 has killed more than 380,000" in joined
    assert "dozens" in texts["sample_04_isis_car_bomb_deir_ez_zor"]


# ------------------------------------------------------------------ furniture run into one-line texts


def test_topic_tag_run_is_cut_up_to_the_body() -> None:
    body = (
        "3 August 2015 A warplane crashed over Ariha on Monday a monitoring group said. "
        "Tags Syria Idlib Ariha Assad war Government air raids in a northwestern town killed 27 people. "
        "Later more raids followed."
    )
    out = normalize(article(body))
    assert "Tags" not in out["text"]
    assert "said. Government air raids in a northwestern town killed 27 people." in out["text"]
    assert "Tags Syria Idlib Ariha Assad war" in out["removed"]


@pytest.mark.parametrize(
    ("tags", "body_start"),
    [
        ("Tags Syria Aleppo Azaz Rebels Car Bomb Islamic State", "At least 20 people were killed."),
        ("Tags Aleppo Syria Hizbollah", "Four Hizballah members were killed."),
        ("Tags Syria Aleppo Castello road Syrian Observatory for Human Rights", "At least 31 died."),
        ("Tags Idlib Russia Syria", "Anti-government activists say airstrikes hit a market."),
    ],
)
def test_tag_run_ends_at_a_sentence_starter_or_before_prose(tags: str, body_start: str) -> None:
    out = normalize(article(f"Five people were killed on Monday. {tags} {body_start}"))
    assert out["text"] == f"Five people were killed on Monday. {body_start}"
    assert tags in out["removed"]


def test_a_sentence_mentioning_tags_is_kept() -> None:
    body = "Five people were killed on Monday. Tags on the bodies named the victims as local men."
    assert normalize(article(body))["text"] == body


def test_photo_caption_with_credit_is_cut_but_a_dateline_stays() -> None:
    body = (
        "3 Apr 2017 Relatives try to identify bodies of the victims. (TRT World and Agencies) "
        "Air strikes by the regime killed at least 22 civilians on Monday."
    )
    out = normalize(article(body))
    assert out["text"] == "3 Apr 2017 Air strikes by the regime killed at least 22 civilians on Monday."
    assert "Relatives try to identify bodies of the victims. (TRT World and Agencies)" in out["removed"]


@pytest.mark.parametrize(
    "footer",
    [
        " Reporting by Oliver Holmes; Editing by John Stonestreet "
        "Our Standards:The Thomson Reuters Trust Principles.",
        " ... 11 Tags Bashar al-Assad chemical weapons Damascus Community standardsDiscussion Comment via "
        "FacebookComment via Sputnik News",
        " Source TRTWorld and agencies Related News Iraqs vote violations | The global gag rule. Follow us. "
        "Privacy Policy Cookie Policy",
        " (Source: Syrian Coalitions Media Office) Twitter",
        " This article is an edited translation from our Arabic edition.",
        " (With AFP and Reuters) Last Update: Thursday 22 August 2013 KSA 01:41 - GMT 22:41 99",
    ],
)
def test_site_footers_glued_to_one_line_texts_are_cut(footer: str) -> None:
    body = "Regime shells killed five people in Douma on Monday, the monitor said."
    out = normalize(article(body + footer))
    assert out["text"] == body


@pytest.mark.parametrize(
    ("glued", "resumes"),
    [
        (
            "AP Photo Hassan Ammar Libyas Security Forces Find Burial Sites of Over 20 Executed Christians",
            "According to Konashenkov Russian military intelligence found their posts.",
        ),
        (
            "REUTERS Social Media Website Blast Occurs Near Bus Convoy to Aleppo Over 20 Dead",
            "The explosion hit the Rashidin area.",
        ),
        ("REUTERS/Bassam Khabieh", "Assads officials have said they would never use poison gas."),
    ],
)
def test_photo_credit_with_a_glued_headline_is_cut(glued: str, resumes: str) -> None:
    lead = "Five people were killed in the attack, Konashenkov said."
    out = normalize(article(f"{lead} {glued} {resumes}"))
    assert out["text"] == f"{lead} {resumes}"
    assert glued in out["removed"]


def test_a_sentence_opening_with_an_agency_name_is_kept() -> None:
    body = "Five people were killed on Monday. AFP reported that the town was shelled again. Sputnik said so."
    assert normalize(article(body))["text"] == body


def test_tail_needle_is_a_literal_every_match_contains() -> None:
    from workers.stages.normalize import _needle

    needle = _needle(r"[^.!?\"]*\btags\b[^.!?\"]*?community standards")
    assert needle is not None and needle.search("TAGS: Syria, ... Community Standards")
    assert _needle(r"\s*(?:\.{3}\s*\d*)\s*") is None  # no literal of four characters: always searched
    assert _needle(r"read also|see more") is None  # an alternation requires neither branch


def test_tail_with_needle_still_cut() -> None:
    text = "Troops shelled the town on Monday, killing four people. Tags: Syria, Idlib Community standards"
    paragraphs = [text]
    removed: list[str] = []
    from workers.stages.normalize import _cut_tails, _rules

    _cut_tails(paragraphs, _rules(), removed)
    assert paragraphs == ["Troops shelled the town on Monday, killing four people."]
