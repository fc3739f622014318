"""Errors only the HTTP layer raises: request preconditions and bodies the API cannot read.

They subclass the domain errors, so the one handler in :mod:`streammesh.api.errors` maps them like any
other; the status code they need is the class attribute ``status``.
"""

from __future__ import annotations

from streammesh.exceptions import ConflictError, ValidationError

__all__ = ["BadRequestError", "PayloadTooLargeError", "PreconditionFailedError", "UnsupportedMediaTypeError"]


class PreconditionFailedError(ConflictError):
    """``If-Match`` named a revision that is no longer current: someone else changed the product.

    GET the product again (its ``ETag`` is the current revision), re-apply the change and retry.
    """

    status = 412


class UnsupportedMediaTypeError(ValidationError):
    """The request body's ``Content-Type`` is not one this route reads; the message lists those it does."""

    status = 415


class PayloadTooLargeError(ValidationError):
    """The request carries more than the route accepts at once; split it into smaller requests."""

    status = 413


class BadRequestError(ValidationError):
    """The body cannot be read at all (not JSON, not YAML, wrong encoding); the message says where."""

    status = 400
