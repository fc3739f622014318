"""Schemas: formats (JSON Schema, Avro, Protobuf) behind one seam, and loading a contract's schema."""

from __future__ import annotations

from streammesh.schemas.base import BaseSchemaFormat, Issue, RecordInvalidError, Schema, SchemaError, SchemaField
from streammesh.schemas.loading import load_schema

__all__ = ["BaseSchemaFormat", "Issue", "RecordInvalidError", "Schema", "SchemaError", "SchemaField", "load_schema"]
