"""The schema seam: every format turns a definition into a :class:`Schema` that lists its fields and
checks values structurally. The full registry, serde and compatibility rules build on this seam."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from streammesh.exceptions import ValidationError

__all__ = ["BaseSchemaFormat", "Issue", "RecordInvalidError", "Schema", "SchemaError", "SchemaField"]


class SchemaError(ValidationError):
    """A schema definition is not valid in its format; the message quotes the parser's complaint."""


class RecordInvalidError(ValidationError):
    """A value does not fit its product's schema. ``issues`` lists each field path and reason."""

    def __init__(self, product: str, issues: list[Issue], *, index: int | None = None) -> None:
        where = f" (record {index})" if index is not None else ""
        lines = "; ".join(str(i) for i in issues[:5]) + (f"; and {len(issues) - 5} more" if len(issues) > 5 else "")
        super().__init__(
            f"value for {product!r}{where} does not fit its schema: {lines}",
            hint=f"run 'streammesh products show {product}' to see the schema",
        )
        self.issues = issues
        self.index = index


@dataclass(frozen=True, slots=True)
class SchemaField:
    """One field of a schema, flattened: nested records give dotted paths (``customer.email``) and
    array items a ``[]`` suffix (``items[].sku``)."""

    path: str
    type: str
    required: bool = False
    doc: str | None = None

    @property
    def name(self) -> str:
        """The last path segment: what a person would call the field."""
        return self.path.rsplit(".", 1)[-1].removesuffix("[]")


@dataclass(frozen=True, slots=True)
class Issue:
    """Why a value failed validation, at which field path (``$`` is the whole value)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class Schema(ABC):
    """A parsed schema of some format."""

    format: ClassVar[str]

    @property
    @abstractmethod
    def fields(self) -> list[SchemaField]:
        """All fields, nested ones flattened, in declaration order."""

    @abstractmethod
    def validate(self, value: Any) -> list[Issue]:
        """Structural problems of ``value`` (empty when it fits)."""

    def field_paths(self) -> set[str]:
        return {f.path for f in self.fields}

    def top_level(self) -> list[str]:
        """Names of top-level fields (what a projection may select)."""
        return [f.path for f in self.fields if "." not in f.path and not f.path.endswith("[]")]


class BaseSchemaFormat(ABC):
    """A schema format plug-in (registered in :data:`streammesh.plugins.schema_formats`)."""

    name: ClassVar[str]
    file_suffixes: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def load(self, definition: Any, *, message: str | None = None) -> Schema:
        """Parse ``definition``.

        Raises:
            SchemaError: the definition is invalid; the message says where and why.
        """
