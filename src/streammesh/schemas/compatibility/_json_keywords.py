"""JSON Schema keyword knowledge for the compatibility checker: which keywords constrain which types,
what a schema accepts at a glance, and how to follow local ``$ref`` and ``allOf``.

Kept apart from :mod:`.json_schema` so that the walk there reads as the rules, not the bookkeeping.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from streammesh.schemas.jsonschema_format import json_type

__all__ = [
    "ALL_TYPES",
    "ANNOTATIONS",
    "KEYWORD_TYPES",
    "LOWER_BOUNDS",
    "RULES",
    "UNANALYSED",
    "UPPER_BOUNDS",
    "accepts",
    "canon",
    "describe",
    "enum_values",
    "is_any",
    "json_type",
    "merge_all_of",
    "pointer",
    "property_schema",
    "types_of",
]

ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "$id",
        "$schema",
        "$anchor",
        "$defs",
        "definitions",
        "readOnly",
        "writeOnly",
        "deprecated",
        "format",
        "$dynamicAnchor",
        "contentEncoding",
        "contentMediaType",
    }
)
# keywords we do not reason about: a reader that adds or changes one is reported, conservatively
UNANALYSED = (
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "dependencies",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedProperties",
    "unevaluatedItems",
)
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
KEYWORD_TYPES = {
    "minimum": "number",
    "exclusiveMinimum": "number",
    "maximum": "number",
    "exclusiveMaximum": "number",
    "multipleOf": "number",
    "minLength": "string",
    "maxLength": "string",
    "pattern": "string",
    "minItems": "array",
    "maxItems": "array",
    "uniqueItems": "array",
    "minProperties": "object",
    "maxProperties": "object",
}


# the change as seen from old to new: a backward check finds the first id, a forward check the second
RULES: dict[str, tuple[str, str]] = {
    "type-narrowed": ("json.type-narrowed", "json.type-widened"),
    "type-changed": ("json.type-changed", "json.type-changed"),
    "enum": ("json.enum-narrowed", "json.enum-extended"),
    "constraint": ("json.constraint-tightened", "json.constraint-loosened"),
    "combined": ("json.combined-type-narrowed", "json.combined-type-extended"),
    "additional": ("json.additional-properties-narrowed", "json.additional-properties-extended"),
    "open-model": ("json.property-added-to-open-content-model", "json.property-removed-from-open-content-model"),
    "closed-model": ("json.property-removed-from-closed-content-model", "json.property-added-to-closed-content-model"),
    "required": ("json.required-added", "json.required-removed"),
}


def is_any(node: Any) -> bool:
    return node is True or (isinstance(node, dict) and not (set(node) - ANNOTATIONS))


def canon(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def enum_values(node: dict[str, Any]) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    values = node.get("enum")
    return list(values) if isinstance(values, list) else None


def types_of(node: dict[str, Any]) -> set[str] | None:
    """Declared types; when absent but an enum/const pins the values, the types of those values."""
    t = node.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return set(t)
    values = enum_values(node)
    return {json_type(v) for v in values} if values is not None else None


def accepts(reader_types: set[str], t: str) -> bool:
    return t in reader_types or (t == "integer" and "number" in reader_types)


def describe(node: Any) -> str:
    if node is False:
        return "nothing (false)"
    if is_any(node) or not isinstance(node, dict):
        return "any"
    values = enum_values(node)
    if values is not None:
        return "enum[" + ", ".join(orjson.dumps(v).decode() for v in values) + "]"
    for combo in ("anyOf", "oneOf"):
        if isinstance(node.get(combo), list):
            return f"{combo}[" + ", ".join(describe(b) for b in node[combo]) + "]"
    if "$ref" in node:
        return str(node["$ref"]).rsplit("/", 1)[-1]
    types = types_of(node)
    return "|".join(sorted(types)) if types else "any"


def pointer(root: Any, ref: str) -> Any:
    node = root
    for part in ref.removeprefix("#").strip("/").split("/") if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def property_schema(node: dict[str, Any], name: str) -> Any:
    """The schema a property ``name`` must satisfy: declared, matched by a pattern, or additionalProperties."""
    props = node.get("properties") or {}
    if name in props:
        return props[name]
    for pattern, sub in (node.get("patternProperties") or {}).items():
        if re.search(pattern, name):
            return sub
    return node.get("additionalProperties", True)


def merge_all_of(node: dict[str, Any], parts: list[Any]) -> dict[str, Any]:
    """Flatten a writer's ``allOf`` (documents satisfy every part): union properties and required."""
    merged = {k: v for k, v in node.items() if k != "allOf"}
    for part in parts:
        if not isinstance(part, dict):
            continue
        for k, v in part.items():
            if k == "properties":
                merged["properties"] = {**(merged.get("properties") or {}), **v}
            elif k == "required":
                merged["required"] = sorted({*(merged.get("required") or []), *v})
            else:
                merged.setdefault(k, v)
    return merged
