"""Values for Protobuf messages, as dicts keyed by field name (the shape ``ProtobufSchema.validate`` checks).

Supported: every scalar (integer widths and signedness respected), enums (by value name, skipping the
zero ``*_UNSPECIFIED`` value when others exist), nested and imported-by-scope messages, ``repeated``
(1-4 items), ``map<K, V>`` (1-3 entries), ``oneof`` (exactly one member set), proto2 ``required`` (always
set), and the well-known Timestamp / Duration / wrapper types in their JSON mapping. Singular fields are
sometimes left unset, as proto3 writers do for default values. Field comments feed the realistic-value
hints, like Avro ``doc`` and JSON Schema ``description``.
"""

from __future__ import annotations

import re
from typing import Any

from proto_schema_parser import ast

from streammesh.schemas.generation.context import Context, iso_timestamp
from streammesh.schemas.generation.rules import FieldRule
from streammesh.schemas.generation.semantic import instant_ms, singular
from streammesh.schemas.generation.values import (
    NumberSpec,
    item_count,
    make_bool,
    make_bytes,
    make_number,
    make_string,
    string_spec,
    tighter,
)
from streammesh.schemas.protobuf_format import ProtobufSchema

__all__ = ["ProtobufValues"]

_MAX_DEPTH = 8
_INTS: dict[str, tuple[int, int]] = {
    **dict.fromkeys(("int32", "sint32", "sfixed32"), (-(2**31), 2**31 - 1)),
    **dict.fromkeys(("uint32", "fixed32"), (0, 2**32 - 1)),
    **dict.fromkeys(("int64", "sint64", "sfixed64"), (-(2**63), 2**63 - 1)),
    **dict.fromkeys(("uint64", "fixed64"), (0, 2**64 - 1)),
}
_WRAPPERS = {
    "DoubleValue": "double",
    "FloatValue": "float",
    "Int64Value": "int64",
    "UInt64Value": "uint64",
    "Int32Value": "int32",
    "UInt32Value": "uint32",
    "BoolValue": "bool",
    "StringValue": "string",
    "BytesValue": "bytes",
}
_OMIT = object()


def _docs(message: Any) -> dict[str, str]:
    """Field name -> its comments (the ones just above it and the one trailing on its line)."""
    docs: dict[str, str] = {}
    pending: list[str] = []
    last: str | None = None

    def text(c: Any) -> str:
        return c.text.strip().removeprefix("//").removeprefix("/*").removesuffix("*/").strip()

    def visit(elements: list[Any]) -> None:
        nonlocal pending, last
        for el in elements:
            if isinstance(el, ast.Comment):
                if el.inline and last is not None:
                    docs[last] = f"{docs.get(last, '')} {text(el)}".strip()
                else:
                    pending.append(text(el))
            elif isinstance(el, (ast.Field, ast.MapField)):
                docs[el.name] = " ".join(pending)
                pending, last = [], el.name
            elif isinstance(el, ast.OneOf):
                visit(el.elements)
            else:
                pending, last = [], None

    visit(message.elements)
    return docs


class ProtobufValues:
    """Builds one value at a time for a :class:`ProtobufSchema`."""

    def __init__(self, schema: ProtobufSchema, ctx: Context) -> None:
        self.schema = schema
        self.ctx = ctx
        self._docs = {name: _docs(m) for name, m in schema.messages.items()}
        match = re.search(r"^\s*package\s+([\w.]+)\s*;", schema.text, re.MULTILINE)
        self._package = match.group(1) if match else ""

    def build(self) -> dict[str, Any]:
        return self._message(self.schema.message, "", 0)

    def _resolve(self, scope: str, type_name: str) -> tuple[str, str] | None:
        name = type_name.lstrip(".")
        if self._package and name.startswith(self._package + "."):
            name = name[len(self._package) + 1 :]
        return self.schema._resolve(scope, name)

    def _message(self, full: str, path: str, depth: int) -> dict[str, Any]:
        ctx = self.ctx
        msg = self.schema.messages[full]
        docs = self._docs[full]
        owner = full.rsplit(".", 1)[-1]
        out: dict[str, Any] = {}
        for el in msg.elements:
            if isinstance(el, ast.OneOf):
                members = [f for f in el.elements if isinstance(f, ast.Field)]
                forced = [f for f in members if (r := ctx.rule(_join(path, f.name))) is not None and r.required]
                if members:
                    f = ctx.pick(forced or members)
                    self._set(out, full, f, path, docs, owner, depth)
                continue
            if not isinstance(el, (ast.Field, ast.MapField)):
                continue
            rule = ctx.rule(_join(path, el.name))
            required = getattr(el, "cardinality", None) == ast.FieldCardinality.REQUIRED
            if (
                required
                or (rule is not None and rule.required)
                or (depth <= _MAX_DEPTH and ctx.chance(ctx.optional_rate))
            ):
                self._set(out, full, el, path, docs, owner, depth)
        return out

    def _set(
        self, out: dict[str, Any], scope: str, f: Any, path: str, docs: dict[str, str], owner: str, depth: int
    ) -> None:
        ctx = self.ctx
        p = _join(path, f.name)
        doc = docs.get(f.name, "")
        if isinstance(f, ast.MapField):
            entries = {}
            for _ in range(ctx.rng.randint(1, 3)):
                key = self._map_key(f.key_type)
                v = self._typed(scope, f.value_type, f"{p}.*", singular(f.name), "", owner, depth)
                if v is not _OMIT:
                    entries[key] = v
            out[f.name] = entries
            return
        if f.cardinality == ast.FieldCardinality.REPEATED:
            rule = ctx.rule(p)
            n = item_count(ctx, *(rule.lengths(0, None) if rule else (0, None)))
            items = [self._typed(scope, f.type, f"{p}[]", singular(f.name), doc, owner, depth) for _ in range(n)]
            out[f.name] = [v for v in items if v is not _OMIT]
            return
        v = self._typed(scope, f.type, p, f.name, doc, owner, depth)
        if v is not _OMIT:
            out[f.name] = v

    def _map_key(self, key_type: str) -> Any:
        if key_type == "string":
            return self.ctx.faker("en_US").word() + str(self.ctx.rng.randint(1, 99))
        if key_type == "bool":
            return self.ctx.chance(0.5)
        lo, hi = _INTS.get(key_type, (0, 1000))
        return self.ctx.rng.randint(max(lo, 0), min(hi, 1000))

    def _typed(self, scope: str, type_name: str, path: str, name: str, doc: str, owner: str, depth: int) -> Any:
        ctx, rule = self.ctx, self.ctx.rule(path)
        scalar = self._scalar(type_name, rule, name, doc, owner)
        if scalar is not _OMIT:
            return scalar
        resolved = self._resolve(scope, type_name)
        if resolved is None:
            return self._well_known(type_name, rule, name, doc, owner)
        kind, full = resolved
        if kind == "enum":
            values = [e for e in self.schema.enums[full].elements if isinstance(e, ast.EnumValue)]
            if rule is not None and rule.non_null_enum:
                return ctx.pick(rule.non_null_enum)
            meaningful = [e for e in values if e.number != 0] or values
            return ctx.pick(meaningful).name
        if depth > _MAX_DEPTH:
            return {}
        return self._message(full, path, depth + 1)

    def _scalar(self, type_name: str, rule: FieldRule | None, name: str, doc: str, owner: str) -> Any:
        ctx = self.ctx
        if rule is not None and rule.non_null_enum and type_name in (*_INTS, "double", "float", "string", "bool"):
            return ctx.pick(rule.non_null_enum)
        if type_name in _INTS or type_name in ("double", "float"):
            lo, hi = _INTS.get(type_name, (None, None))
            return make_number(
                ctx,
                NumberSpec(
                    name=name,
                    integer=type_name in _INTS,
                    minimum=tighter(lo, rule.min if rule else None, max),
                    maximum=tighter(hi, rule.max if rule else None, min),
                ),
            )
        if type_name == "bool":
            return make_bool(ctx, name)
        if type_name == "string":
            return make_string(ctx, string_spec(rule, name=name, doc=doc, owner=owner))
        if type_name == "bytes":
            return make_bytes(ctx)
        return _OMIT

    def _well_known(self, type_name: str, rule: FieldRule | None, name: str, doc: str, owner: str) -> Any:
        """Google's well-known types in their JSON mapping; other unknown (imported) types stay unset."""
        short = type_name.lstrip(".").removeprefix("google.protobuf.")
        if short == "Timestamp":
            return iso_timestamp(instant_ms(self.ctx, name))
        if short == "Duration":
            return f"{self.ctx.rng.randint(1, 3600)}s"
        if short in _WRAPPERS:
            return self._scalar(_WRAPPERS[short], rule, name, doc, owner)
        if short == "Empty":
            return {}
        return _OMIT


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
