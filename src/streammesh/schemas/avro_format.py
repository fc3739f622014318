"""Avro definitions, parsed and validated with ``fastavro``."""

from __future__ import annotations

from typing import Any

import orjson
from fastavro import parse_schema
from fastavro.validation import ValidationError as AvroValidationError
from fastavro.validation import validate as avro_validate

from streammesh.schemas.base import BaseSchemaFormat, Issue, Schema, SchemaError, SchemaField

__all__ = ["AvroFormat", "AvroSchema"]


def _type_name(t: Any) -> str:
    if isinstance(t, str):
        return t.rsplit(".", 1)[-1]
    if isinstance(t, list):
        return "|".join(_type_name(x) for x in t)
    if isinstance(t, dict):
        if "logicalType" in t:
            return f"{t['type']}({t['logicalType']})"
        kind = t.get("type")
        if kind == "array":
            return f"array<{_type_name(t['items'])}>"
        if kind == "map":
            return f"map<{_type_name(t['values'])}>"
        if kind in ("record", "enum", "fixed"):
            return f"{kind} {str(t.get('name', '')).rsplit('.', 1)[-1]}".strip()
        return _type_name(kind)
    return "any"


def _record_of(t: Any, named: dict[str, Any]) -> dict[str, Any] | None:
    """The record inside ``t``: itself, a record named earlier, or the non-null branch of a union."""
    if isinstance(t, dict) and t.get("type") == "record":
        return t
    if isinstance(t, str):
        return named.get(t)
    if isinstance(t, list):
        branches = [b for b in t if b != "null"]
        return _record_of(branches[0], named) if len(branches) == 1 else None
    return None


def _walk(
    record: dict[str, Any],
    prefix: str,
    out: list[SchemaField],
    prefixes: dict[str, str],
    named: dict[str, Any],
    depth: int = 0,
) -> None:
    """Flatten a record's fields; ``named`` collects records by full name so that later uses of a
    name (fastavro keeps only the name after the first definition) are walked too."""
    if depth > 16:
        return
    prefixes.setdefault(str(record.get("name", "")), prefix)
    named.setdefault(str(record.get("name", "")), record)
    for f in record.get("fields", []):
        path = f"{prefix}{f['name']}"
        t = f["type"]
        nullable = isinstance(t, list) and "null" in t
        out.append(SchemaField(path, _type_name(t), not nullable and "default" not in f, f.get("doc")))
        inner = _record_of(t, named)
        if inner is not None:
            _walk(inner, path + ".", out, prefixes, named, depth + 1)
        elif isinstance(t, dict) and t.get("type") == "array":
            item = _record_of(t["items"], named)
            if item is not None:
                _walk(item, path + "[].", out, prefixes, named, depth + 1)


class AvroSchema(Schema):
    format = "avro"

    def __init__(self, definition: Any) -> None:
        self.definition = definition
        try:
            self.parsed = parse_schema(definition)
        except Exception as e:  # fastavro raises several exception types for bad schemas
            raise SchemaError(f"invalid Avro schema: {e}") from None
        fields: list[SchemaField] = []
        # fastavro names a failing field by its record's full name; map those names to field paths
        self._prefixes: dict[str, str] = {}
        if isinstance(self.parsed, dict) and self.parsed.get("type") == "record":
            _walk(self.parsed, "", fields, self._prefixes, {})
        self._fields = fields

    @property
    def fields(self) -> list[SchemaField]:
        return self._fields

    def validate(self, value: Any) -> list[Issue]:
        if avro_validate(value, self.parsed, raise_errors=False):
            return []  # the common case; collecting issues costs more
        try:
            avro_validate(value, self.parsed, raise_errors=True)
        except AvroValidationError as e:
            issues = []
            for err in e.errors:
                record, _, name = str(getattr(err, "field", "") or "").rpartition(".")
                path = (self._prefixes.get(record, "") + name) or "$"
                datum = getattr(err, "datum", None)
                issues.append(Issue(path, f"expected {_type_name(getattr(err, 'schema', '?'))}, got {datum!r}"))
            return issues
        return []


class AvroFormat(BaseSchemaFormat):
    name = "avro"
    file_suffixes = (".avsc",)

    def load(self, definition: Any, *, message: str | None = None) -> AvroSchema:
        if isinstance(definition, (str, bytes)):
            try:
                definition = orjson.loads(definition)
            except orjson.JSONDecodeError as e:
                raise SchemaError(f"Avro schema is not valid JSON: {e}") from None
        return AvroSchema(definition)
