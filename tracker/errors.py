"""Errors services raise, each carrying a message a ministry user can read (Vietnamese)."""


class TrackerError(Exception):
    """Base class: `str(error)` is the Vietnamese message shown to the user."""


class NotFound(TrackerError):
    """The plan, unit, item or user asked for does not exist."""


class ValidationFailed(TrackerError):
    """Input breaks a rule; `problems` lists every problem found."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


class PermissionDenied(TrackerError):
    """The actor may not do this."""


class Conflict(TrackerError):
    """Someone changed the record since it was read."""


class DatabaseUnavailable(TrackerError):
    """The database could not finish the action (busy too long, or the connection was lost).

    Nothing of the action was written: the transaction was rolled back.
    """
