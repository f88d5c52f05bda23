"""``conflictwire_attributes``: the model's attribute_ruler, compiled to array operations.

The model's ``attribute_ruler`` maps the tagger's fine tag to POS and morphology and applies
about 120 exceptions ("that"/WDT -> PRON, "has"/VBZ -> AUX with lemma "have", aux/auxpass
dependents -> AUX ...). spaCy runs it as a token ``Matcher`` and then sets every match in
Python, one ``Span`` per token: on the dev texts that cost as much as the parser (about 7 ms
of 40 per FA-KES article). This component reads the same patterns from the loaded ruler
and evaluates each one as a boolean mask over the doc's attribute arrays (``to_array``),
applies the masks in pattern order (a later pattern wins, as in spaCy, which sorts matches
by pattern index) and writes POS, MORPH and LEMMA back with one ``from_array``.

In: a ``Doc`` the tagger and parser have annotated. Out: the same ``Doc`` with the
attributes the ruler would set (the unit test checks identity against the ruler).

Supported pattern forms (all the English model uses): one or more token dicts over
``TAG``, ``LOWER``, ``DEP`` and ``IS_SPACE`` with a plain value or ``IN`` / ``NOT_IN`` /
``REGEX``. :func:`compile_ruler` returns ``None`` for anything else, and the pipeline then
keeps spaCy's ruler.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, POS, TAG  # type: ignore[import-not-found]
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc, Token

Mask = npt.NDArray[np.bool_]
Column = npt.NDArray[np.uint64]
TokenTest = Callable[[Column, Column, Column, Column], Mask]

_KEYS = {"TAG": TAG, "LOWER": LOWER, "DEP": DEP, "IS_SPACE": IS_SPACE}
_READ = (TAG, LOWER, DEP, IS_SPACE)  # columns of the array a mask reads
_WRITE = (POS, MORPH, LEMMA)  # what from_array writes back; anything else is set per token


@dataclass(frozen=True)
class _Rule:
    """One ruler pattern: a test per token of the pattern, the token it sets, what it sets."""

    tests: tuple[TokenTest, ...]
    index: int
    columns: tuple[tuple[int, int], ...]  # (column in _WRITE, value)
    others: dict[int, Any]  # attributes from_array does not write (TAG, DEP on whitespace)
    tag: int | None = None  # one-token pattern that asks for this fine tag: test only those tokens


class _Regex:
    """``REGEX`` on a string attribute, cached per hash (the same words recur)."""

    def __init__(self, pattern: str, strings: Any) -> None:
        self.pattern = re.compile(pattern)
        self.strings = strings
        self.seen: dict[int, bool] = {}

    def __call__(self, column: Column) -> Mask:
        seen, out = self.seen, np.zeros(len(column), dtype=bool)
        for i, h in enumerate(column.tolist()):
            hit = seen.get(h)
            if hit is None:
                hit = seen[h] = self.pattern.search(self.strings[h]) is not None
            out[i] = hit
        return out


def _test(key: str, value: Any, strings: Any) -> Callable[[Column], Mask] | None:
    """A mask function over one column for ``{key: value}``, or None if unsupported."""

    def code(v: Any) -> int:
        return int(v) if isinstance(v, bool) else int(strings.add(v)) if v else 0

    if isinstance(value, str | bool):
        target = np.uint64(code(value))
        return lambda col: col == target
    if isinstance(value, dict) and len(value) == 1:
        ((op, arg),) = value.items()
        if op in {"IN", "NOT_IN"} and isinstance(arg, list):
            values = np.array([code(v) for v in arg], dtype=np.uint64)
            if op == "IN":
                return lambda col: np.isin(col, values)
            return lambda col: ~np.isin(col, values)
        if op == "REGEX" and isinstance(arg, str) and key == "LOWER":
            return _Regex(arg, strings)
    return None


def _token_test(spec: dict[str, Any], strings: Any) -> TokenTest | None:
    parts: list[tuple[int, Callable[[Column], Mask]]] = []
    for key, value in spec.items():
        fn = _test(key, value, strings)
        if key not in _KEYS or fn is None:
            return None
        parts.append((_READ.index(_KEYS[key]), fn))

    def test(*cols: Column) -> Mask:
        mask = parts[0][1](cols[parts[0][0]])
        for col, fn in parts[1:]:
            mask &= fn(cols[col])
        return mask

    return test if parts else None


def compile_ruler(ruler: AttributeRuler) -> list[_Rule] | None:
    """The ruler's patterns as :class:`_Rule` s in its order, or None if one is unsupported."""
    strings = ruler.vocab.strings
    rules: list[_Rule] = []
    for i, entry in enumerate(ruler.patterns):
        attrs, index = ruler.attrs[i], ruler.indices[i]
        for pattern in cast(list[list[dict[str, Any]]], entry["patterns"]):  # alternatives share attrs, index
            tests = [_token_test(spec, strings) for spec in pattern]
            if not pattern or any(t is None for t in tests) or not -len(pattern) <= index < len(pattern):
                return None
            columns = tuple((_WRITE.index(a), int(v)) for a, v in attrs.items() if a in _WRITE)
            others = {a: v for a, v in attrs.items() if a not in _WRITE}
            tag = pattern[0].get("TAG") if len(pattern) == 1 else None
            tag_id = int(strings.add(tag)) if isinstance(tag, str) and tag else None
            rules.append(_Rule(tuple(t for t in tests if t), index % len(pattern), columns, others, tag_id))
    return rules


class AttributeSetter:
    """Applies compiled ruler patterns to a doc (see the module docstring)."""

    def __init__(self, rules: list[_Rule]) -> None:
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        read = np.asarray(doc.to_array(list(_READ)), dtype=np.uint64)
        cols = tuple(np.ascontiguousarray(read[:, j]) for j in range(len(_READ)))
        out = np.asarray(doc.to_array(list(_WRITE)), dtype=np.uint64)
        per_token: list[tuple[int, dict[int, Any]]] = []
        by_tag = _tokens_by_value(cols[0])
        tag_cols: dict[int, tuple[Column, ...]] = {}  # the columns cut to one tag's tokens
        for rule in self.rules:
            width = len(rule.tests)
            if width > n:
                continue
            if rule.tag is not None:  # most patterns name one tag: test the few tokens that have it
                where = by_tag.get(rule.tag)
                if where is None:
                    continue
                sub = tag_cols.get(rule.tag)
                if sub is None:
                    sub = tag_cols[rule.tag] = tuple(c[where] for c in cols)
                hits = where[rule.tests[0](*sub)]
                if not len(hits):
                    continue
            else:
                mask = rule.tests[0](*(c[: n - width + 1] for c in cols))
                for k in range(1, width):
                    mask &= rule.tests[k](*(c[k : n - width + 1 + k] for c in cols))
                if not mask.any():
                    continue
                hits = np.flatnonzero(mask) + rule.index
            for col, value in rule.columns:
                out[hits, col] = value
            if rule.others:
                per_token.extend((int(i), rule.others) for i in hits)
        doc.from_array(list(_WRITE), out)  # type: ignore[arg-type]
        for i, attrs in per_token:  # whitespace tokens only in the English model; order kept
            for attr, value in attrs.items():
                _set(doc[i], attr, value)
        return doc


def _tokens_by_value(column: Column) -> dict[int, npt.NDArray[np.intp]]:
    """Token indices per value of ``column`` (ascending within each value)."""
    order = np.argsort(column, kind="stable")
    values, starts = np.unique(column[order], return_index=True)
    ends = [*starts.tolist()[1:], len(column)]
    return {v: order[a:b] for v, a, b in zip(values.tolist(), starts.tolist(), ends, strict=True)}


def _set(token: Token, attr: int, value: Any) -> None:
    """TAG or DEP on one token, through the public setters (their hashes are in the store)."""
    name = {TAG: "tag", DEP: "dep"}.get(attr)
    if name is None:
        raise ValueError(f"conflictwire_attributes cannot set attribute {attr}")
    setattr(token, name, value)
