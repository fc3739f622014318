"""Schema references: a schema that uses named types registered under other subjects.

Avro references are resolved by inlining each referenced named type where it is first used, which
gives a standalone schema every Avro tool understands. JSON Schema and Protobuf references are
recorded and served back to clients, but their definitions are not resolved when streammesh
itself parses the schema (a ``$ref`` or ``import`` it cannot see is accepted as is).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from streammesh.model.registry import SchemaReference, StoredSchema
from streammesh.schemas.registry.exceptions import InvalidSchemaError

__all__ = ["inline_avro_references"]

_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def _full_name(node: dict[str, Any], namespace: str | None) -> str:
    name = str(node.get("name", ""))
    ns = node.get("namespace", namespace)
    return name if "." in name or not ns else f"{ns}.{name}"


def _named_types(definition: Any, namespace: str | None, out: dict[str, Any]) -> None:
    """Collect ``full name -> definition`` of every named type declared in ``definition``."""
    if isinstance(definition, list):
        for branch in definition:
            _named_types(branch, namespace, out)
    elif isinstance(definition, dict):
        kind = definition.get("type")
        if kind in ("record", "error", "enum", "fixed"):
            full = _full_name(definition, namespace)
            out.setdefault(full, definition)
            namespace = full.rpartition(".")[0] or None
        for field in definition.get("fields", []) if kind in ("record", "error") else []:
            _named_types(field.get("type"), namespace, out)
        for key in ("items", "values"):
            if key in definition:
                _named_types(definition[key], namespace, out)
        if isinstance(kind, (dict, list)):
            _named_types(kind, namespace, out)


def _inline(node: Any, named: dict[str, Any], defined: set[str], namespace: str | None) -> Any:
    if isinstance(node, str):
        if node in _PRIMITIVES:
            return node
        full = node if "." in node or not namespace else f"{namespace}.{node}"
        for candidate in (full, node):
            if candidate in named and candidate not in defined:
                defined.add(candidate)
                target = named[candidate]
                return _inline(target, named, defined, candidate.rpartition(".")[0] or None)
        return node
    if isinstance(node, list):
        return [_inline(branch, named, defined, namespace) for branch in node]
    if isinstance(node, dict):
        kind = node.get("type")
        out = dict(node)
        if kind in ("record", "error", "enum", "fixed"):
            full = _full_name(node, namespace)
            defined.add(full)
            namespace = full.rpartition(".")[0] or None
        if kind in ("record", "error"):
            out["fields"] = [
                {**f, "type": _inline(f.get("type"), named, defined, namespace)} for f in node.get("fields", [])
            ]
        for key in ("items", "values"):
            if key in node:
                out[key] = _inline(node[key], named, defined, namespace)
        if isinstance(kind, (str, dict, list)) and kind not in ("record", "error", "enum", "fixed", "array", "map"):
            out["type"] = _inline(kind, named, defined, namespace)
        return out
    return node


def inline_avro_references(
    text: str, references: tuple[SchemaReference, ...], resolve: Callable[[SchemaReference], StoredSchema]
) -> str:
    """``text`` with every named type from ``references`` (recursively) inlined at first use."""
    named: dict[str, Any] = {}

    def collect(refs: tuple[SchemaReference, ...], seen: set[tuple[str, int]]) -> None:
        for ref in refs:
            if (ref.subject, ref.version) in seen:
                continue
            seen.add((ref.subject, ref.version))
            stored = resolve(ref)
            collect(stored.references, seen)
            try:
                _named_types(orjson.loads(stored.text), None, named)
            except orjson.JSONDecodeError:
                raise InvalidSchemaError(f"referenced schema {ref.subject} v{ref.version} is not JSON") from None

    collect(references, set())
    try:
        definition = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise InvalidSchemaError(f"the avro schema is not valid JSON: {e}") from None
    return orjson.dumps(_inline(definition, named, set(), None)).decode()
