"""The port the schema registry persists through.

It is part of the metadata store (:class:`~streammesh.store.base.BaseMetadataStore` implements it), declared
here so that the registry does not depend on the store package.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from streammesh.model.registry import SchemaReference, StoredSchema, SubjectVersion

__all__ = ["BaseSchemaStore"]


class BaseSchemaStore(ABC):
    """Persists schemas (global ids), subject versions and compatibility settings."""

    @abstractmethod
    def add_subject_version(
        self, subject: str, fmt: str, text: str, fingerprint: str, references: Sequence[SchemaReference]
    ) -> tuple[SubjectVersion, bool]:
        """Register ``text`` under ``subject`` atomically: reuse the global id of an identical schema
        (same fingerprint), and the existing version when the subject already has it.

        Returns:
            the subject version, and whether it is new.
        """

    @abstractmethod
    def schema_by_id(self, schema_id: int) -> StoredSchema | None: ...

    @abstractmethod
    def subjects(self, *, include_deleted: bool = False) -> list[str]: ...

    @abstractmethod
    def subject_versions(self, subject: str, *, include_deleted: bool = False) -> list[SubjectVersion]:
        """Versions of a subject, oldest first."""

    @abstractmethod
    def versions_of_schema(self, schema_id: int) -> list[tuple[str, int]]:
        """``(subject, version)`` pairs that use a schema id."""

    @abstractmethod
    def delete_versions(self, subject: str, versions: Sequence[int], *, permanent: bool) -> list[int]:
        """Soft-delete (or, when already soft-deleted and ``permanent``, remove) versions."""

    @abstractmethod
    def get_compatibility(self, subject: str | None) -> str | None:
        """The level set for ``subject`` (``None``: the global one), or None when unset."""

    @abstractmethod
    def set_compatibility(self, subject: str | None, level: str | None) -> None:
        """Set, or with ``level=None`` clear, a compatibility level."""
