"""Errors of the streaming-SQL runtime, each saying what the operator should do."""

from __future__ import annotations

from streammesh.exceptions import ConflictError, StreammeshError, ValidationError

__all__ = ["IncompatibleStateError", "OutputConflictError", "ProcessingError", "UnsupportedQueryError"]


class ProcessingError(StreammeshError):
    """A processor cannot go on; the message names the product and the batch. Fix the cause, then
    restart the app: it resumes from its last checkpoint."""


class UnsupportedQueryError(ValidationError):
    """The plan uses a construct the runtime cannot execute yet; the hint says what to write instead."""


class IncompatibleStateError(ConflictError):
    """The app's state directory was written by a different query. Deploy under a new app name, or
    delete the old state to reprocess the inputs from the beginning."""


class OutputConflictError(ProcessingError):
    """The output stream holds more records than this app wrote: another writer appends to it. Give each
    derived product exactly one app."""
