"""The one error type a stage raises for input it cannot process."""


class StageError(ValueError):
    """Input that a stage rejects; the message says why in plain words."""
