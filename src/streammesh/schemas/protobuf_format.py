"""Protobuf definitions (``.proto`` text) parsed with ``proto-schema-parser``.

Values are checked structurally against the message's fields (types, repeated, maps, nested
messages, enums). Encoding with the protobuf runtime arrives with the schema registry.
"""

from __future__ import annotations

from typing import Any

from proto_schema_parser import ast
from proto_schema_parser.parser import Parser

from streammesh.schemas.base import BaseSchemaFormat, Issue, Schema, SchemaError, SchemaField

__all__ = ["ProtobufFormat", "ProtobufSchema"]

_INTS = {"int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64"}
_SCALARS: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(_INTS, (int,)),
    "double": (int, float),
    "float": (int, float),
    "bool": (bool,),
    "string": (str,),
    "bytes": (bytes, str),
}


def _index(elements: list[Any], prefix: str, messages: dict[str, Any], enums: dict[str, Any]) -> None:
    for el in elements:
        if isinstance(el, ast.Message):
            messages[prefix + el.name] = el
            _index(el.elements, f"{prefix}{el.name}.", messages, enums)
        elif isinstance(el, ast.Enum):
            enums[prefix + el.name] = el


class ProtobufSchema(Schema):
    format = "protobuf"

    def __init__(self, text: str, message: str | None) -> None:
        try:
            parsed = Parser().parse(text)
        except Exception as e:  # the parser raises its own error types with line/column
            raise SchemaError(f"invalid .proto definition: {e}") from None
        self.text = text
        self.messages: dict[str, Any] = {}
        self.enums: dict[str, Any] = {}
        _index(parsed.file_elements, "", self.messages, self.enums)
        top = [el.name for el in parsed.file_elements if isinstance(el, ast.Message)]
        if not top:
            raise SchemaError("the .proto definition declares no message")
        name = message or top[0]
        if name not in self.messages:
            raise SchemaError(f"message {name!r} is not declared; declared: {', '.join(sorted(self.messages))}")
        self.message = name
        self._fields: list[SchemaField] = []
        self._walk(name, "", 0)

    def _resolve(self, scope: str, type_name: str) -> tuple[str, str] | None:
        """Find a message or enum named ``type_name`` as seen from message ``scope`` (inner scopes first)."""
        parts = scope.split(".")
        for i in range(len(parts), -1, -1):
            candidate = ".".join([*parts[:i], type_name]) if i else type_name
            if candidate in self.messages:
                return "message", candidate
            if candidate in self.enums:
                return "enum", candidate
        return None

    def _fields_of(self, message: str) -> list[Any]:
        out = []
        for el in self.messages[message].elements:
            if isinstance(el, (ast.Field, ast.MapField)):
                out.append(el)
            elif isinstance(el, ast.OneOf):
                out.extend(e for e in el.elements if isinstance(e, ast.Field))
        return out

    def _walk(self, message: str, prefix: str, depth: int) -> None:
        if depth > 16:
            return
        for f in self._fields_of(message):
            path = prefix + f.name
            if isinstance(f, ast.MapField):
                self._fields.append(SchemaField(path, f"map<{f.key_type},{f.value_type}>"))
                continue
            repeated = f.cardinality == ast.FieldCardinality.REPEATED
            self._fields.append(SchemaField(path, f"repeated {f.type}" if repeated else f.type))
            resolved = self._resolve(message, f.type)
            if resolved and resolved[0] == "message":
                self._walk(resolved[1], path + ("[]." if repeated else "."), depth + 1)

    @property
    def fields(self) -> list[SchemaField]:
        return self._fields

    def validate(self, value: Any) -> list[Issue]:
        issues: list[Issue] = []
        self._check_message(self.message, value, "", issues, 0)
        return issues

    def _check_message(self, message: str, value: Any, prefix: str, issues: list[Issue], depth: int) -> None:
        if not isinstance(value, dict):
            issues.append(Issue(prefix.rstrip(".") or "$", f"expected message {message}, got {type(value).__name__}"))
            return
        known = {f.name: f for f in self._fields_of(message)}
        for name, v in value.items():
            f = known.get(name)
            if f is None:
                issues.append(Issue(prefix + name, f"no such field in message {message}"))
            elif v is not None and depth < 16:
                self._check_field(message, f, v, prefix + name, issues, depth)

    def _check_field(self, scope: str, f: Any, v: Any, path: str, issues: list[Issue], depth: int) -> None:
        if isinstance(f, ast.MapField):
            if not isinstance(v, dict):
                issues.append(Issue(path, f"expected a map, got {type(v).__name__}"))
            else:
                for k, item in v.items():
                    self._check_value(scope, f.value_type, item, f"{path}.{k}", issues, depth)
            return
        if f.cardinality == ast.FieldCardinality.REPEATED:
            if not isinstance(v, list):
                issues.append(Issue(path, f"expected a list (repeated {f.type}), got {type(v).__name__}"))
                return
            for i, item in enumerate(v):
                self._check_value(scope, f.type, item, f"{path}[{i}]", issues, depth)
            return
        self._check_value(scope, f.type, v, path, issues, depth)

    def _check_value(self, scope: str, type_name: str, v: Any, path: str, issues: list[Issue], depth: int) -> None:
        allowed = _SCALARS.get(type_name)
        if allowed is not None:
            if not isinstance(v, allowed) or (bool not in allowed and isinstance(v, bool)):
                issues.append(Issue(path, f"expected {type_name}, got {v!r}"))
            return
        resolved = self._resolve(scope, type_name)
        if resolved is None:
            return  # a well-known or imported type we cannot see: accept
        kind, full = resolved
        if kind == "enum":
            names = {e.name for e in self.enums[full].elements if isinstance(e, ast.EnumValue)}
            numbers = {e.number for e in self.enums[full].elements if isinstance(e, ast.EnumValue)}
            if v not in names and v not in numbers:
                issues.append(Issue(path, f"{v!r} is not a value of enum {type_name} ({', '.join(sorted(names))})"))
        else:
            self._check_message(full, v, path + ".", issues, depth + 1)


class ProtobufFormat(BaseSchemaFormat):
    name = "protobuf"
    file_suffixes = (".proto",)

    def load(self, definition: Any, *, message: str | None = None) -> ProtobufSchema:
        if not isinstance(definition, str):
            raise SchemaError("a protobuf schema must be .proto text (use a YAML block scalar '|' or 'file:')")
        return ProtobufSchema(definition, message)
