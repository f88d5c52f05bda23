"""Near-duplicate articles: text in, a MinHash signature out; two signatures in, their resemblance out.

A signature is the datasketch MinHash of the text's word 3-shingles, kept as a plain
list of ints so that it can live in a Faust table and go through JSON. Syndicated
copies and light rewrites of one report share most of their shingles, so their
estimated Jaccard resemblance stays high; different reports of the same event share
few. The scheme and seed are pinned: signatures stored in a table must stay comparable
with ones made after a library upgrade.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, cast

from datasketch import LeanMinHash, MinHash

from workers.stages.errors import StageError

SHINGLE_WORDS = 3
DEFAULT_NUM_PERM = 64
_SEED = 1
_SCHEME = "affine32"  # 32-bit hash values: small ints, exact in any JSON reader
_WORD = re.compile(r"\w+")


def shingles(text: str) -> list[str]:
    """The distinct word 3-shingles of case-folded text, punctuation and spacing ignored.

    A text shorter than three words is one shingle of all its words.
    """
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if not words:
        raise StageError("cannot sign a text without words")
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words)]
    seen = dict.fromkeys(
        " ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
    )
    return list(seen)


@functools.cache
def _permutations(num_perm: int) -> Any:
    """The MinHash permutations of the pinned seed and scheme, drawn once (MinHash draws them
    from a freshly seeded generator on every construction: a tenth of a signature's cost)."""
    return MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME).permutations


def make_signature(text: str, num_perm: int = DEFAULT_NUM_PERM) -> list[int]:
    """MinHash signature of ``text`` (title and body) as ``num_perm`` ints."""
    if not isinstance(text, str):
        raise StageError("the text to sign must be a string")
    if num_perm < 1:
        raise StageError("num_perm must be positive")
    minhash = MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME, permutations=_permutations(num_perm))
    minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
    return cast(list[int], minhash.hashvalues.tolist())  # uint64 -> plain ints


def check_signature(value: object) -> list[int]:
    """A signature read back from the wire: a non-empty list of non-negative ints."""
    if not isinstance(value, list) or not value:
        raise StageError("a signature must be a non-empty list of integers")
    if set(map(type, value)) == {int} and min(value) >= 0:
        return list(value)  # the common case (plain ints off JSON), checked in C
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise StageError("a signature must hold non-negative integers only")
    return list(value)


def resemblance(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard resemblance of the shingle sets behind two signatures (0.0 to 1.0)."""
    if len(a) != len(b) or not a:
        raise StageError("signatures of different lengths cannot be compared")
    left = LeanMinHash(seed=_SEED, hashvalues=list(a), scheme=_SCHEME)
    right = LeanMinHash(seed=_SEED, hashvalues=list(b), scheme=_SCHEME)
    return float(left.jaccard(right))
