"""Normalize and entities for the dev articles, once per code version, cached on disk.

In: :class:`~workers.evaluation.devsets.DevArticle` values, a spaCy model name and a cache
folder. Out: per article key a :class:`Prepared`: its ``ArticleEntities``, or the error
that stopped it (an article that fails a stage is scored as wrong, never aborts a run).

The spaCy pass is the slow part of an evaluation, so its results are kept under
``<cache>/<fingerprint>/<set>.jsonl``. The fingerprint hashes the model name, the spaCy version and every
file that can change entities: the stages up to entities, the spaCy components, the gazetteers,
``workers/data/**`` (except the evaluation's mappings and the selector's model, which run after
entities), ``batch.py`` and ``types.py``. Within a fingerprint an entry
is reused only for the same input article (its hash is stored with it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from workers import codec
from workers.evaluation.devsets import DevArticle
from workers.stages.normalize import normalize
from workers.types import ArticleEntities, NormalizedArticle, RawArticle

WORKERS_DIR = Path(__file__).resolve().parent.parent
# folders under workers/ and workers/data/ left out: they run after entities (the scorer, the
# selector's training code and its model file), so changing them keeps the cache
_NOT_ENTITY_INPUTS = ("evaluation", "training", "models")
_ENTITY_CODE = ("nlp", "gazetteer", "batch.py", "types.py", "codec.py")
# the stages that run up to entities (and what they import); the later ones read the cache
_ENTITY_STAGES = ("normalize.py", "entities.py", "dates.py", "errors.py")
BATCH = 32
KEEP_FINGERPRINTS = 3  # older cache folders are removed ...
PRUNE_AFTER_SECONDS = 3600  # ... once no run has written to them for this long

EntitiesBatch = Callable[[Sequence[NormalizedArticle]], list[ArticleEntities]]


@dataclass(frozen=True)
class Prepared:
    entities: ArticleEntities | None
    error: str | None = None


def _entity_inputs(root: Path) -> Iterator[Path]:
    """The files entities depend on: the stages, the spaCy components, the gazetteers and
    their data (the worker's wiring, the CLI and the evaluation itself do not count)."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if not path.is_file() or "__pycache__" in rel:
            continue
        if rel[0] == "data" and len(rel) > 1 and rel[1] in _NOT_ENTITY_INPUTS:
            continue
        if rel[:1] == ("stages",) and rel[-1] not in _ENTITY_STAGES:
            continue
        if rel[0] in ("data", "stages") or (rel[0] in _ENTITY_CODE and path.suffix == ".py"):
            yield path


def fingerprint(model: str, root: Path = WORKERS_DIR) -> str:
    """Hash of the model name, the installed spaCy version and the code and data files entities
    depend on (another spaCy release may parse differently, so its entities are not reused)."""
    digest = hashlib.sha256(model.encode())
    digest.update(version("spacy").encode())
    for path in _entity_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def input_hash(raw: RawArticle) -> str:
    return hashlib.sha256(codec.dumps(dict(raw))).hexdigest()[:16]


def _read_cache(path: Path) -> dict[str, dict[str, object]]:
    if not path.is_file():
        return {}
    out: dict[str, dict[str, object]] = {}
    for line in path.read_bytes().splitlines():
        try:
            obj = codec.loads(line)
        except codec.DecodeError:
            continue  # a line cut short by an interrupted run: recomputed
        if isinstance(obj, dict) and isinstance(obj.get("key"), str):
            out[obj["key"]] = obj
    return out


def _run(articles: Sequence[DevArticle], entities_batch: EntitiesBatch) -> dict[str, Prepared]:
    """normalize + entities for each article; a failing article gets its error, not a crash."""
    out: dict[str, Prepared] = {}
    good: list[tuple[str, NormalizedArticle]] = []
    for art in articles:
        try:
            good.append((art.key, normalize(art.raw)))
        except Exception as exc:  # any failure is a result to count, not a reason to stop
            out[art.key] = Prepared(None, f"normalize: {type(exc).__name__}: {exc}")
    try:
        ents = entities_batch([a for _, a in good])
        out.update({k: Prepared(e) for (k, _), e in zip(good, ents, strict=True)})
    except Exception:
        for key, one in good:  # find the article the batch choked on; the others go through
            try:
                out[key] = Prepared(entities_batch([one])[0])
            except Exception as exc:
                out[key] = Prepared(None, f"entities: {type(exc).__name__}: {exc}")
    return out


def _write_atomic(path: Path, lines: Sequence[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)  # a concurrent run may have pruned it
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(b"".join(lines))
    tmp.replace(path)


def _prune(cache_dir: Path, keep: str) -> None:
    """Remove cache folders beyond the newest ``KEEP_FINGERPRINTS`` that no run touched lately."""
    dirs = sorted((d for d in cache_dir.iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime)
    stale = time.time() - PRUNE_AFTER_SECONDS
    for old in [d for d in dirs if d.name != keep][: max(0, len(dirs) - KEEP_FINGERPRINTS)]:
        if old.stat().st_mtime < stale:
            shutil.rmtree(old, ignore_errors=True)


def prepare(
    set_name: str,
    articles: Sequence[DevArticle],
    cache_dir: Path,
    version: str,
    entities_batch: Callable[[], EntitiesBatch],
    progress: Callable[[int], None] | None = None,
) -> dict[str, Prepared]:
    """Entities of ``articles`` by key, reused from ``cache_dir/version/set_name.jsonl``.

    ``entities_batch`` is called (to load the model) only when something must be computed.
    """
    path = cache_dir / version / f"{set_name}.jsonl"
    cached = _read_cache(path)
    out: dict[str, Prepared] = {}
    todo: list[DevArticle] = []
    for art in articles:
        hit = cached.get(art.key)
        if hit is not None and hit.get("input") == input_hash(art.raw):
            ent, err = hit.get("entities"), hit.get("error")
            out[art.key] = Prepared(ent if isinstance(ent, dict) else None, str(err) if err else None)  # type: ignore[arg-type]
        else:
            todo.append(art)
    if progress is not None and len(out):
        progress(len(out))
    if not todo:
        if out:  # a read counts as use: _prune goes by the folder's mtime, which reading leaves old
            os.utime(path.parent)
        return out
    run = entities_batch()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as sink:  # appended as it goes: an interrupted run keeps its work
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            done = _run(chunk, run)
            out.update(done)
            sink.write(b"".join(_cache_line(a, done[a.key]) for a in chunk))
            sink.flush()
            if progress is not None:
                progress(len(chunk))
    _write_atomic(path, [_cache_line(a, out[a.key]) for a in articles])
    _prune(cache_dir, version)
    return out


def _cache_line(art: DevArticle, prepared: Prepared) -> bytes:
    return codec.dumps_line(
        {"key": art.key, "input": input_hash(art.raw), "entities": prepared.entities, "error": prepared.error}
    )
