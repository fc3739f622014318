"""The root of every error streammesh raises on purpose.

Interfaces (CLI, REST, SDK) catch :class:`StreammeshError` and show its message as is, so every
subclass must carry a message a person can act on: what was wrong, the value received and the fix.
"""

from __future__ import annotations

__all__ = ["ConflictError", "NotFoundError", "StreammeshError", "ValidationError"]


class StreammeshError(Exception):
    """Base class of all deliberate streammesh errors.

    Attributes:
        hint: an optional next step for the user, shown under the message.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class NotFoundError(StreammeshError):
    """A named thing (product, team, topic, group) does not exist. Check the name with a list command."""


class ConflictError(StreammeshError):
    """The request contradicts the current state (already exists, wrong lifecycle step, stale version)."""


class ValidationError(StreammeshError):
    """Input was malformed or broke a rule; the message names the field and the fix."""
