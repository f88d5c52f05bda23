"""Pure processing stages: typed dicts in, typed dicts out; no I/O, no clock, no Faust.

Every stage signals bad input with :class:`StageError` (or a subclass), which the
wiring turns into a dead letter.
"""

from workers.stages.errors import StageError

__all__ = ["StageError"]
