"""JSON Schema (draft 2020-12) definitions, checked and validated with the ``jsonschema`` library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError as JsonSchemaDefinitionError

from streammesh.schemas.base import BaseSchemaFormat, Issue, Schema, SchemaError, SchemaField

__all__ = ["JsonSchema", "JsonSchemaFormat", "json_type"]


def json_type(value: Any) -> str:
    """The JSON Schema type of a decoded JSON value (``integer`` for ints, never for bools)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "string")


def _type_name(node: dict[str, Any]) -> str:
    t = node.get("type")
    if isinstance(t, list):
        return "|".join(str(x) for x in t)
    if t == "array":
        items = node.get("items")
        return f"array<{_type_name(items)}>" if isinstance(items, dict) else "array"
    if t is None:
        if "enum" in node:
            return "enum"
        if "$ref" in node:
            return node["$ref"].rsplit("/", 1)[-1]
        for combo in ("anyOf", "oneOf"):
            if combo in node:
                return "|".join(_type_name(x) for x in node[combo] if isinstance(x, dict))
        return "any"
    fmt = node.get("format")
    return f"{t}({fmt})" if fmt else str(t)


def _walk(node: dict[str, Any], prefix: str, out: list[SchemaField], depth: int = 0) -> None:
    if depth > 16 or not isinstance(node, dict):
        return
    required = set(node.get("required", []))
    for name, sub in (node.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        out.append(SchemaField(path, _type_name(sub), name in required, sub.get("description")))
        if sub.get("type") == "object" or "properties" in sub:
            _walk(sub, path + ".", out, depth + 1)
        elif sub.get("type") == "array" and isinstance(sub.get("items"), dict):
            _walk(sub["items"], path + "[].", out, depth + 1)


def _fast_check(definition: dict[str, Any]) -> Callable[[Any], bool] | None:
    """A compiled yes/no validator (jsonschema-rs, Rust) for the hot path; the ``jsonschema``
    library still explains failures, so messages do not depend on which engine said no."""
    try:
        return jsonschema_rs.validator_for(definition).is_valid
    except Exception:
        return None


class JsonSchema(Schema):
    format = "json-schema"

    def __init__(self, definition: dict[str, Any]) -> None:
        self.definition = definition
        self._validator = Draft202012Validator(definition)
        self._is_valid = _fast_check(definition)
        fields: list[SchemaField] = []
        _walk(definition, "", fields)
        self._fields = fields

    @property
    def fields(self) -> list[SchemaField]:
        return self._fields

    def validate(self, value: Any) -> list[Issue]:
        if self._is_valid is not None and self._is_valid(value):
            return []  # the common case, ~200x cheaper than collecting issues in Python
        issues = []
        for err in self._validator.iter_errors(value):
            path = ".".join(str(p) for p in err.absolute_path) or "$"
            issues.append(Issue(path, err.message))
        return sorted(issues, key=lambda i: i.path)


class JsonSchemaFormat(BaseSchemaFormat):
    name = "json-schema"
    file_suffixes = (".json", ".schema.json")

    def load(self, definition: Any, *, message: str | None = None) -> JsonSchema:
        if isinstance(definition, (str, bytes)):
            try:
                definition = orjson.loads(definition)
            except orjson.JSONDecodeError as e:
                raise SchemaError(f"JSON Schema is not valid JSON: {e}") from None
        if not isinstance(definition, dict):
            raise SchemaError("a JSON Schema must be an object, e.g. {type: object, properties: {...}}")
        try:
            Draft202012Validator.check_schema(definition)
        except JsonSchemaDefinitionError as e:
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            raise SchemaError(f"invalid JSON Schema at {where}: {e.message}") from None
        return JsonSchema(definition)
