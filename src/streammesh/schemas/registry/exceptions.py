"""Registry errors, carrying the Confluent Schema Registry error code and HTTP status of each."""

from __future__ import annotations

from typing import Any

from streammesh.exceptions import ConflictError, NotFoundError, ValidationError

__all__ = [
    "IncompatibleSchemaError",
    "InvalidCompatibilityLevelError",
    "InvalidSchemaError",
    "InvalidVersionError",
    "RegistryError",
    "SchemaNotFoundError",
    "SubjectNotFoundError",
    "VersionNotFoundError",
]


class RegistryError:
    """Mixin: ``error_code`` and ``http_status`` as Confluent's registry reports them."""

    error_code: int = 50001
    http_status: int = 500


class SubjectNotFoundError(RegistryError, NotFoundError):
    """No such subject: list them with GET /subjects (subjects are ``<stream>-value``)."""

    error_code, http_status = 40401, 404


class VersionNotFoundError(RegistryError, NotFoundError):
    """The subject has no such version: list them with GET /subjects/{subject}/versions."""

    error_code, http_status = 40402, 404


class SchemaNotFoundError(RegistryError, NotFoundError):
    """No schema with that id, or the schema is not registered under the subject."""

    error_code, http_status = 40403, 404


class InvalidSchemaError(RegistryError, ValidationError):
    """The schema text does not parse in its format; the message quotes the parser."""

    error_code, http_status = 42201, 422


class InvalidVersionError(RegistryError, ValidationError):
    """A version must be a positive integer or ``latest``."""

    error_code, http_status = 42202, 422


class InvalidCompatibilityLevelError(RegistryError, ValidationError):
    """Unknown compatibility level; the message lists the valid ones."""

    error_code, http_status = 42203, 422


class IncompatibleSchemaError(RegistryError, ConflictError):
    """The schema breaks the subject's compatibility level; ``issues`` explains every break."""

    error_code, http_status = 409, 409

    def __init__(self, message: str, issues: list[Any], *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.issues = issues
