"""The schema registry (Confluent-compatible semantics) over the metadata store."""

from streammesh.model.registry import SchemaReference, StoredSchema, SubjectVersion
from streammesh.schemas.registry.exceptions import (
    IncompatibleSchemaError,
    InvalidCompatibilityLevelError,
    InvalidSchemaError,
    InvalidVersionError,
    RegistryError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from streammesh.schemas.registry.service import DEFAULT_COMPATIBILITY, SchemaRegistry, format_for_type, subject_for

__all__ = [
    "DEFAULT_COMPATIBILITY",
    "IncompatibleSchemaError",
    "InvalidCompatibilityLevelError",
    "InvalidSchemaError",
    "InvalidVersionError",
    "RegistryError",
    "SchemaNotFoundError",
    "SchemaReference",
    "SchemaRegistry",
    "StoredSchema",
    "SubjectNotFoundError",
    "SubjectVersion",
    "VersionNotFoundError",
    "format_for_type",
    "subject_for",
]
