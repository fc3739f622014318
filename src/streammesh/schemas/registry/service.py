"""The schema registry: subjects, versions, global ids and compatibility, as Confluent's registry
defines them, over the metadata store. Products register their value schema under
``<stream>-value``; standard Kafka clients use the same registry through the REST routes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson

from streammesh.contracts.model import SchemaSpec
from streammesh.model.registry import FORMAT_OF_TYPE, SchemaReference, StoredSchema, SubjectVersion
from streammesh.plugins import schema_formats
from streammesh.schemas.base import Schema, SchemaError
from streammesh.schemas.compatibility import COMPATIBILITY_LEVELS, CompatibilityResult, check_compatibility
from streammesh.schemas.registry.exceptions import (
    IncompatibleSchemaError,
    InvalidCompatibilityLevelError,
    InvalidSchemaError,
    InvalidVersionError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from streammesh.schemas.registry.port import BaseSchemaStore
from streammesh.schemas.registry.proto_text import descriptor_to_proto_text, looks_like_serialized_descriptor
from streammesh.schemas.registry.references import inline_avro_references

__all__ = ["DEFAULT_COMPATIBILITY", "SchemaRegistry", "contract_schema_text", "format_for_type", "subject_for"]

DEFAULT_COMPATIBILITY = "BACKWARD"


def subject_for(stream: str, part: str = "value") -> str:
    """The subject of a stream's value (or key) schema, by Confluent's TopicNameStrategy."""
    return f"{stream}-{part}"


def format_for_type(schema_type: str | None) -> str:
    """streammesh format name of a Confluent ``schemaType`` (absent means AVRO)."""
    key = (schema_type or "AVRO").upper()
    if key not in FORMAT_OF_TYPE:
        raise InvalidSchemaError(f"unknown schemaType {schema_type!r}; valid: {', '.join(FORMAT_OF_TYPE)}")
    return FORMAT_OF_TYPE[key]


def _definition(fmt: str, text: str) -> Any:
    if fmt == "protobuf":
        return descriptor_to_proto_text(text) if looks_like_serialized_descriptor(text) else text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise InvalidSchemaError(f"the {fmt} schema is not valid JSON: {e}") from None


def contract_schema_text(spec: SchemaSpec) -> tuple[str, str]:
    """A contract's schema as the registry keeps it: ``(format, text)``."""
    if spec.definition is None:
        raise InvalidSchemaError(f"schema file {spec.file!r} was not read; load the contract with load_contract()")
    if isinstance(spec.definition, str):
        return spec.format, spec.definition
    return spec.format, orjson.dumps(spec.definition).decode()


def canonical_text(fmt: str, text: str) -> str:
    """The text that identifies a schema: JSON with sorted keys and no spaces, or .proto text without
    trailing spaces and blank lines. Two registrations with equal canonical text share one id."""
    definition = _definition(fmt, text)
    if fmt == "protobuf":
        return "\n".join(line.rstrip() for line in str(definition).splitlines() if line.strip())
    return orjson.dumps(definition, option=orjson.OPT_SORT_KEYS).decode()


@lru_cache(maxsize=1024)
def _parse(fmt: str, canonical: str) -> Schema:
    definition = canonical if fmt == "protobuf" else orjson.loads(canonical)
    try:
        return schema_formats.get(fmt)().load(definition)
    except SchemaError as e:
        raise InvalidSchemaError(f"invalid {fmt} schema: {e.message}") from None


class SchemaRegistry:
    """Registers and serves schemas; enforces each subject's compatibility level."""

    def __init__(self, store: BaseSchemaStore) -> None:
        self.store = store

    # -- parsing -------------------------------------------------------------------------------
    def parse(self, fmt: str, text: str, references: Sequence[SchemaReference] = ()) -> Schema:
        """Parse registry text (protobuf may come as a base64 descriptor; Avro references are inlined).

        Raises:
            InvalidSchemaError: the text does not parse in ``fmt`` (code 42201), or a reference
                names a subject version that does not exist.
        """
        if references and fmt == "avro":
            text = inline_avro_references(text, tuple(references), self._resolve_reference)
        try:
            return _parse(fmt, canonical_text(fmt, text))
        except SchemaError as e:
            raise InvalidSchemaError(e.message) from None

    def _resolve_reference(self, ref: SchemaReference) -> StoredSchema:
        try:
            return self.version(ref.subject, ref.version).schema
        except (SubjectNotFoundError, VersionNotFoundError):
            raise InvalidSchemaError(
                f"reference {ref.name!r} names {ref.subject} version {ref.version}, "
                "which is not registered; register it first"
            ) from None

    def _parsed(self, stored: StoredSchema) -> Schema:
        return self.parse(stored.format, stored.text, stored.references)

    def schema_object(self, schema_id: int) -> Schema:
        """The parsed schema of a global id (what a deserializer needs)."""
        return self._parsed(self.by_id(schema_id))

    @staticmethod
    def _fingerprint(fmt: str, text: str) -> str:
        return hashlib.sha256(f"{fmt}\n{canonical_text(fmt, text)}".encode()).hexdigest()

    # -- registration --------------------------------------------------------------------------
    def register(
        self, subject: str, text: str, *, fmt: str = "avro", references: Sequence[SchemaReference] = ()
    ) -> SubjectVersion:
        """Register ``text`` under ``subject``, or return the version it already has.

        Raises:
            InvalidSchemaError: the schema does not parse.
            IncompatibleSchemaError: it breaks the subject's compatibility level (every break listed).
        """
        schema = self.parse(fmt, text, references)
        if fmt == "protobuf" and looks_like_serialized_descriptor(text):
            text = descriptor_to_proto_text(text)
        fingerprint = self._fingerprint(fmt, text)
        current = self.store.subject_versions(subject)
        for sv in current:
            if self._fingerprint(sv.schema.format, sv.schema.text) == fingerprint:
                return sv
        if current:
            result = self.check(subject, schema, current)
            if not result.compatible:
                level = self.compatibility(subject)
                raise IncompatibleSchemaError(
                    f"schema being registered is incompatible with an earlier schema for subject '{subject}' "
                    f"({level}): " + "; ".join(str(i) for i in result.issues[:10]),
                    result.issues,
                    hint="make the change compatible, or publish it as a new major version (a new stream)",
                )
        version, _created = self.store.add_subject_version(subject, fmt, text, fingerprint, references)
        return version

    def register_contract_schema(self, product: Any) -> SubjectVersion:
        """Register a product's contract schema under ``<stream>-value`` (idempotent)."""
        fmt, text = contract_schema_text(product.contract.schema_)
        return self.register(subject_for(product.stream or product.contract.name), text, fmt=fmt)

    def check(
        self,
        subject: str,
        schema: Schema,
        previous: Sequence[SubjectVersion] | None = None,
        *,
        level: str | None = None,
    ) -> CompatibilityResult:
        """Would ``schema`` be accepted under ``subject``'s level (against ``previous`` versions)?"""
        history = list(previous if previous is not None else self.store.subject_versions(subject))
        parsed = [self._parsed(sv.schema) for sv in history]
        return check_compatibility(schema, parsed, level or self.compatibility(subject))

    def lookup(self, subject: str, text: str, *, fmt: str = "avro") -> SubjectVersion:
        """The version of ``subject`` holding ``text`` (Confluent's POST /subjects/{subject})."""
        versions = self._versions_or_404(subject)
        self.parse(fmt, text)  # an invalid schema is a 42201, not a 40403
        fingerprint = self._fingerprint(fmt, text)
        for sv in versions:
            if self._fingerprint(sv.schema.format, sv.schema.text) == fingerprint:
                return sv
        raise SchemaNotFoundError(f"schema not found under subject '{subject}'")

    # -- reading -------------------------------------------------------------------------------
    def by_id(self, schema_id: int) -> StoredSchema:
        stored = self.store.schema_by_id(schema_id)
        if stored is None:
            raise SchemaNotFoundError(f"schema {schema_id} not found")
        return stored

    def subjects(self, *, include_deleted: bool = False) -> list[str]:
        return self.store.subjects(include_deleted=include_deleted)

    def _versions_or_404(self, subject: str, *, include_deleted: bool = False) -> list[SubjectVersion]:
        versions = self.store.subject_versions(subject, include_deleted=include_deleted)
        if not versions:
            raise SubjectNotFoundError(f"subject '{subject}' not found")
        return versions

    def versions(self, subject: str, *, include_deleted: bool = False) -> list[int]:
        return [sv.version for sv in self._versions_or_404(subject, include_deleted=include_deleted)]

    def version(self, subject: str, version: int | str, *, include_deleted: bool = False) -> SubjectVersion:
        """A subject's version by number, or ``latest`` (also ``-1``)."""
        versions = self._versions_or_404(subject, include_deleted=include_deleted)
        number = _version_number(version)
        if number == -1:
            return versions[-1]
        for sv in versions:
            if sv.version == number:
                return sv
        raise VersionNotFoundError(f"version {number} not found for subject '{subject}'")

    def latest(self, subject: str) -> SubjectVersion | None:
        versions = self.store.subject_versions(subject)
        return versions[-1] if versions else None

    # -- deletion ------------------------------------------------------------------------------
    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        versions = self.versions(subject, include_deleted=permanent)
        return self.store.delete_versions(subject, versions, permanent=permanent)

    def delete_version(self, subject: str, version: int | str, *, permanent: bool = False) -> int:
        sv = self.version(subject, version, include_deleted=permanent)
        self.store.delete_versions(subject, [sv.version], permanent=permanent)
        return sv.version

    # -- compatibility levels ------------------------------------------------------------------
    def compatibility(self, subject: str | None = None) -> str:
        """The level in force: the subject's own, else the global one, else BACKWARD."""
        if subject is not None:
            own = self.store.get_compatibility(subject)
            if own:
                return own
        return self.store.get_compatibility(None) or DEFAULT_COMPATIBILITY

    def set_compatibility(self, level: str | None, subject: str | None = None) -> str | None:
        if level is not None:
            level = level.upper()
            if level not in COMPATIBILITY_LEVELS:
                raise InvalidCompatibilityLevelError(
                    f"invalid compatibility level {level!r}; valid: {', '.join(COMPATIBILITY_LEVELS)}"
                )
        self.store.set_compatibility(subject, level)
        return level


def _version_number(version: int | str) -> int:
    if isinstance(version, str):
        if version.lower() == "latest":
            return -1
        if not version.lstrip("-").isdigit():
            raise InvalidVersionError(f"version {version!r} must be a positive integer or 'latest'")
        version = int(version)
    if version == -1 or version >= 1:
        return version
    raise InvalidVersionError(f"version {version} must be a positive integer or 'latest'")
