"""What the stage benchmarks share: the dev articles' cached entities and a module as it was at
a git revision (for A/B runs of the working copy against it).

``cached_entities`` reads the three dev sets (``shared/eval`` beside the repository, found as the
tests find it) with their entities from the evaluation cache (``$CONFLICTWIRE_DATA_DIR/eval-cache``);
a missing entry aborts: run ``conflictwire evaluate`` once first.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workers.evaluation.devsets import SetName, find_eval_dir, load_set
from workers.evaluation.prepare import fingerprint, prepare
from workers.settings import load_settings
from workers.types import ArticleEntities

ROOT = Path(__file__).resolve().parent.parent


def cached_entities(names: Iterable[SetName]) -> list[ArticleEntities]:
    """The cached entities of the dev sets ``names``, in set and file order (articles without
    entities left out)."""
    eval_dir = find_eval_dir(ROOT)
    if eval_dir is None:
        raise SystemExit("no shared/eval folder with the dev sets beside the repository")
    settings = load_settings()

    def no_model() -> Any:
        raise SystemExit("entities not cached for this code version: run `conflictwire evaluate` once")

    out: list[ArticleEntities] = []
    version = fingerprint(settings.spacy_model)
    for name in names:
        arts = load_set(name, eval_dir)
        prepared = prepare(name, arts, Path(settings.data_dir) / "eval-cache", version, no_model)
        out.extend(ent for a in arts if (ent := prepared[a.key].entities) is not None)
    return out


def module_at(rev: str, path: str, name: str, replace: tuple[str, str] | None = None) -> types.ModuleType:
    """The module of repository file ``path`` as it is at git revision ``rev``, registered as
    ``name`` (``replace``: one (old, new) text substitution first, e.g. to point an import at
    another such module)."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    if replace:
        source = source.replace(*replace)
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    mod.__file__ = str(ROOT / path)
    sys.modules[name] = mod
    exec(compile(source, str(ROOT / path), "exec"), mod.__dict__)
    return mod
