"""What the schema registry keeps: schemas with global ids, and subjects' versions of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FORMAT_OF_TYPE", "REGISTRY_TYPES", "TYPE_OF_FORMAT", "SchemaReference", "StoredSchema", "SubjectVersion"]

#: Confluent's ``schemaType`` names and streammesh's format names
FORMAT_OF_TYPE = {"AVRO": "avro", "JSON": "json-schema", "PROTOBUF": "protobuf"}
TYPE_OF_FORMAT = {v: k for k, v in FORMAT_OF_TYPE.items()}
REGISTRY_TYPES = tuple(FORMAT_OF_TYPE)


@dataclass(frozen=True, slots=True)
class SchemaReference:
    """A named import of another registered schema (Confluent's ``references``)."""

    name: str
    subject: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class StoredSchema:
    """A schema under its global id; the same text registered under two subjects keeps one id."""

    id: int
    format: str
    text: str
    references: tuple[SchemaReference, ...] = field(default=())

    @property
    def schema_type(self) -> str:
        return TYPE_OF_FORMAT.get(self.format, self.format.upper())


@dataclass(frozen=True, slots=True)
class SubjectVersion:
    """Version ``version`` of ``subject`` is schema ``schema``."""

    subject: str
    version: int
    schema: StoredSchema
    deleted: bool = False
