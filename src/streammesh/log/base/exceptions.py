"""Errors of the log layer."""

from __future__ import annotations

from streammesh.exceptions import ConflictError, NotFoundError, StreammeshError

__all__ = ["CorruptLogError", "FencedError", "GroupError", "LogError", "TopicExistsError", "TopicNotFoundError"]


class LogError(StreammeshError):
    """Something went wrong reading or writing the event log."""


class TopicNotFoundError(LogError, NotFoundError):
    """The topic does not exist: publish the product (which creates its stream) or check the name."""


class TopicExistsError(LogError, ConflictError):
    """A topic of that name exists with a different layout; pick another name or delete the old one."""


class GroupError(LogError):
    """A consumer-group operation was refused, e.g. a commit for a partition that moved to another
    member. Poll again: the consumer rejoins and continues from the group's committed offsets."""


class CorruptLogError(LogError):
    """Bytes on disk do not form a valid batch below the durable end of a partition. The message names
    the file and position; restore that file from a backup, the rest of the log is unaffected."""


class FencedError(LogError):
    """A newer writer with the same transactional id took over: this one must stop writing (its open
    transaction is aborted by the broker)."""
