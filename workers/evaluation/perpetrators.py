"""Perpetrator labels of a dev set: our actor ids and kinds mapped to the annotators' classes.

In: ``workers/data/evaluation/<set>.json`` = ``{"by_actor": {actor_id: label},
"by_kind": {actor_kind: label}, "by_type": {perpetrator_type: label}, "none": label}``
(``by_type`` optional). Out: :class:`PerpetratorLabels`, whose
:meth:`~PerpetratorLabels.label` gives the class of a predicted perpetrator: its id's label,
else its kind's label (kind from the actor gazetteer, else from the article's mention), else
the ``none`` label, which is also the label of no perpetrator at all;
:meth:`~PerpetratorLabels.label_event` gives an event's class: its perpetrator's ``by_actor``
label, else the label of its ``perpetrator_type`` (the kind of doer the report is about: the
perpetrator's kind unless the whole article names doers of another type far more often; with
no perpetrator read from the text: "the accused", "gunmen") if ``by_type`` has it, else its
perpetrator's label, else ``none``.

The mapping belongs to the evaluation, not to the gazetteer: the classes are the annotators'.
When a set's file is missing, FA-KES falls back to the ``category`` fields of
``workers/data/actors.jsonl`` (none = "unknown") and HRDsAttack to an empty mapping (every
prediction gets the none label).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workers.gazetteer.actors import all_actors

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MAPPINGS_DIR = DATA_DIR / "evaluation"
ACTORS_FILE = DATA_DIR / "actors.jsonl"
FAKES_FILE = MAPPINGS_DIR / "fakes_actor_categories.json"
HRD_FILE = MAPPINGS_DIR / "hrd_perpetrator_types.json"
FAKES_UNKNOWN = "unknown"
# HRDsAttack's null perpetrator type: the article mentions no perpetrator
HRD_NONE = "no perpetrator mentioned"


@dataclass(frozen=True)
class PerpetratorLabels:
    by_actor: Mapping[str, str] = field(default_factory=dict)
    by_kind: Mapping[str, str] = field(default_factory=dict)
    none: str = FAKES_UNKNOWN
    by_type: Mapping[str, str] = field(default_factory=dict)

    def label_event(
        self, event: Mapping[str, object] | None, mention_kinds: Mapping[str, str] | None = None
    ) -> str:
        """The class of an event (None = no event): its perpetrator's ``by_actor`` label, else
        its ``perpetrator_type``'s (the type of the doer the report is about, which the stage
        reads from the perpetrator's kind and the doers the whole article names; "unknown" is
        no type when a perpetrator is named), else its perpetrator's label, else the ``none``
        label."""
        if event is None:
            return self.none
        actor_id = event.get("perpetrator")
        kind = str(event.get("perpetrator_type"))
        if isinstance(actor_id, str):
            if actor_id in self.by_actor or kind == "unknown" or kind not in self.by_type:
                return self.label(actor_id, mention_kinds)
            return self.by_type[kind]
        return self.by_type.get(kind, self.none)

    def label(self, actor_id: str | None, mention_kinds: Mapping[str, str] | None = None) -> str:
        """The class of a perpetrator id (None = no perpetrator); ``mention_kinds``: id -> kind
        read from the article, used for ids the gazetteer does not list."""
        if actor_id is None:
            return self.none
        if actor_id in self.by_actor:
            return self.by_actor[actor_id]
        entry = all_actors().get(actor_id)
        kind = entry.kind if entry is not None else (mention_kinds or {}).get(actor_id)
        if kind is not None and kind in self.by_kind:
            return self.by_kind[kind]
        return self.none


def read_labels(path: Path) -> PerpetratorLabels:
    """A mapping file as :class:`PerpetratorLabels`; ValueError when its shape is wrong."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("none"), str):
        raise ValueError(f"{path}: expected an object with by_actor, by_kind and none")
    by_actor, by_kind = raw.get("by_actor") or {}, raw.get("by_kind") or {}
    by_type = raw.get("by_type") or {}
    if not all(isinstance(m, dict) for m in (by_actor, by_kind, by_type)):
        raise ValueError(f"{path}: by_actor, by_kind and by_type must be objects")
    return PerpetratorLabels(
        {str(k): str(v) for k, v in by_actor.items()},
        {str(k): str(v) for k, v in by_kind.items()},
        raw["none"],
        {str(k): str(v) for k, v in by_type.items()},
    )


def fakes_labels(path: Path = FAKES_FILE) -> PerpetratorLabels:
    """FA-KES perpetrator categories from the mapping file."""
    return read_labels(path)


def hrd_labels(path: Path = HRD_FILE) -> PerpetratorLabels:
    """HRDsAttack perpetrator types from the mapping file."""
    return read_labels(path)
