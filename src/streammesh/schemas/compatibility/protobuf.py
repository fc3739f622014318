"""Protobuf compatibility with Confluent Schema Registry's semantics: wire compatibility by field number.

Protobuf data carries field numbers and wire types, not names, so the rules (Protocol Buffers language
guide, "Updating A Message Type", as Confluent's ``SchemaDiff`` applies them) are about numbers and types:

* a field's number keeps a wire-compatible type: int32/uint32/int64/uint64/bool (and enums) together;
  sint32/sint64; fixed32/sfixed32; fixed64/sfixed64; string/bytes; float; double. Scalar <-> message <->
  map changes break, and so does a message field whose message type is renamed;
* renaming a field is compatible (names are not on the wire); a number reused by a field with another
  name *and* an incompatible type is reported as ``protobuf.field-number-reused``;
* adding or removing a field is compatible, but a number (or name) the old schema ``reserved`` must not
  come back; removing a field from a oneof, proto2 ``required`` fields appearing or disappearing, moving
  several existing fields into one oneof, or moving one into an existing oneof break;
* repeated <-> singular is compatible for string, bytes and messages, not for numeric (packable) types;
* enum value changes are compatible (proto3 enums keep unknown numbers); removing a message type is not,
  since records in the Confluent wire format name their message type (so *adding* one is
  forward-incompatible, as in Confluent Schema Registry).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, cast

from proto_schema_parser import ast
from proto_schema_parser.parser import Parser

from streammesh.schemas.base import Schema
from streammesh.schemas.compatibility.result import Direction, Incompatibility, PairContext, join_path

__all__ = ["WIRE_GROUPS", "can_read"]

WIRE_GROUPS: dict[str, str] = {
    **dict.fromkeys(("int32", "int64", "uint32", "uint64", "bool"), "varint"),
    **dict.fromkeys(("sint32", "sint64"), "zigzag varint"),
    **dict.fromkeys(("fixed32", "sfixed32"), "fixed32"),
    **dict.fromkeys(("fixed64", "sfixed64"), "fixed64"),
    **dict.fromkeys(("string", "bytes"), "length-delimited"),
    "float": "float",
    "double": "double",
}
"""Scalar type -> group; types in one group read each other's values (enums count as ``varint``)."""
_MAX_NUMBER = 536_870_911


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    number: int
    kind: str  # scalar | message | map
    type: str  # scalar name, enum/message local name; for maps the value type
    repeated: bool = False
    required: bool = False
    oneof: str | None = None
    key: str | None = None

    @property
    def group(self) -> str:
        return WIRE_GROUPS.get(self.type, "varint")  # enums travel as varints

    def describe(self) -> str:
        if self.kind == "map":
            return f"map<{self.key}, {self.type}>"
        return f"repeated {self.type}" if self.repeated else self.type


@lru_cache(maxsize=256)
def _package(text: str) -> str:
    parsed = Parser().parse(text)
    return next((el.name for el in parsed.file_elements if isinstance(el, ast.Package)), "")


class _ProtobufSchemaLike(Protocol):
    """What a ``protobuf`` format schema carries (see ``ProtobufSchema``)."""

    message: str
    messages: dict[str, Any]
    enums: dict[str, Any]
    text: str


class _Proto:
    """One parsed ``.proto`` file: its messages and enums by local name, and field type resolution."""

    def __init__(self, schema: Schema) -> None:
        if schema.format != "protobuf":
            raise ValueError(f"protobuf.can_read needs Protobuf schemas, got {schema.format!r}")
        proto = cast(_ProtobufSchemaLike, schema)  # the format check above vouches for these attributes
        self.root: str = proto.message
        self.messages: dict[str, Any] = proto.messages
        self.enums: dict[str, Any] = proto.enums
        self.package = _package(proto.text)

    def resolve(self, scope: str, type_name: str) -> tuple[str, str]:
        """``(kind, local name)``: kind is scalar, enum or message (unknown imported types count as messages)."""
        t = type_name.lstrip(".")
        if t in WIRE_GROUPS:
            return "scalar", t
        if self.package and t.startswith(self.package + "."):
            t = t[len(self.package) + 1 :]
        parts = scope.split(".")
        for i in range(len(parts), -1, -1):
            candidate = ".".join([*parts[:i], t])
            if candidate in self.messages:
                return "message", candidate
            if candidate in self.enums:
                return "enum", candidate
        return "message", t

    def fields(self, message: str) -> dict[int, _Field]:
        """A message's fields by number (oneof members included): the wire identifies fields by number."""
        out: dict[int, _Field] = {}
        for el in self.messages[message].elements:
            members = el.elements if isinstance(el, ast.OneOf) else [el]
            oneof = el.name if isinstance(el, ast.OneOf) else None
            for f in members:
                if isinstance(f, ast.MapField):
                    value = self.resolve(message, f.value_type)[1]
                    out[f.number] = _Field(f.name, f.number, "map", value, key=f.key_type)
                elif isinstance(f, ast.Field):
                    kind, name = self.resolve(message, f.type)
                    out[f.number] = _Field(
                        f.name,
                        f.number,
                        "message" if kind == "message" else "scalar",
                        name,
                        repeated=f.cardinality == ast.FieldCardinality.REPEATED,
                        required=f.cardinality == ast.FieldCardinality.REQUIRED,
                        oneof=oneof,
                    )
        return out

    def reserved(self, message: str) -> tuple[list[tuple[int, int]], set[str]]:
        """Reserved number ranges (inclusive) and names: what a removed field left behind."""
        ranges: list[tuple[int, int]] = []
        names: set[str] = set()
        for el in self.messages[message].elements:
            if isinstance(el, ast.Reserved):
                names.update(n.strip("\"'") for n in el.names)
                for r in el.ranges:
                    lo, _, hi = str(r).partition(" to ")
                    ranges.append((int(lo), _MAX_NUMBER if hi.strip() == "max" else int(hi or lo)))
        return ranges, names

    def is_message_type(self, name: str) -> bool:
        """Whether a resolved local name is a message (declared here or imported), not a scalar or enum."""
        return name not in WIRE_GROUPS and name not in self.enums


class _Checker:
    """Compares two files message by message, field number by field number, recording every break."""

    def __init__(self, reader: _Proto, writer: _Proto, ctx: PairContext) -> None:
        self.r, self.w, self.ctx = reader, writer, ctx
        self.compared: set[tuple[str, str]] = set()
        self.backward = ctx.direction == "backward"

    def run(self) -> None:
        for name in self.w.messages:
            if name not in self.r.messages:
                self._message_removed(name)
        self.message(self.r.root, self.w.root, "$")  # what a consumer decodes with vs what was written
        for name in self.w.messages:
            if name in self.r.messages and (name, name) not in self.compared:
                self.message(name, name, name)

    def _message_removed(self, name: str) -> None:
        if self.backward:
            msg = (
                f"message '{name}' was removed: old records may be written as (or hold) a {name}; "
                "keep the message and deprecate its fields instead"
            )
        else:
            msg = (
                f"message '{name}' is new: consumers on the old schema do not know it, so records written as "
                f"a {name} cannot be read by them (Confluent treats adding a message type as forward-"
                "incompatible); declare new message types in a referenced schema or use BACKWARD"
            )
        self.ctx.add(name, "protobuf.message-removed", msg, reader=None, writer=f"message {name}")

    def message(self, r_name: str, w_name: str, path: str) -> None:
        if (r_name, w_name) in self.compared:
            return
        self.compared.add((r_name, w_name))
        rf, wf = self.r.fields(r_name), self.w.fields(w_name)
        self._oneof_moves(rf, wf, path)
        for number in sorted({*rf, *wf}):
            r_field, w_field = rf.get(number), wf.get(number)
            if r_field is not None and w_field is not None:
                self.field(r_name, r_field, w_name, w_field, path)
            elif w_field is not None:
                self._only_in_writer(w_field, rf, path)
            elif r_field is not None and r_field.required:
                self._required(r_field, path, in_new=self.backward)
        new_fields, old_fields = (rf, wf) if self.backward else (wf, rf)
        old_ranges, old_names = (self.w if self.backward else self.r).reserved(w_name if self.backward else r_name)
        old_field_names = {f.name for f in old_fields.values()}
        for f in new_fields.values():
            where = join_path(path, f.name)
            if f.number not in old_fields and any(lo <= f.number <= hi for lo, hi in old_ranges):
                msg = (
                    f"field '{f.name}' uses number {f.number}, which the old schema reserves (a removed field "
                    "had it, and old data may still hold that field); give it a fresh number"
                )
                self.ctx.issues.append(
                    Incompatibility(
                        where,
                        f"reserved {f.number}",
                        f"{f.describe()} = {f.number}",
                        "protobuf.reserved-number-reused",
                        msg,
                        self.ctx.direction,
                    )
                )
            if f.name in old_names and f.name not in old_field_names:
                msg = (
                    f"field name '{f.name}' is reserved in the old schema (JSON and text formats would misread "
                    "it); choose another name"
                )
                self.ctx.issues.append(
                    Incompatibility(
                        where,
                        f'reserved "{f.name}"',
                        f.describe(),
                        "protobuf.reserved-name-reused",
                        msg,
                        self.ctx.direction,
                    )
                )

    def _only_in_writer(self, w_field: _Field, rf: dict[int, _Field], path: str) -> None:
        if w_field.required:
            self._required(w_field, path, in_new=not self.backward)
        elif w_field.oneof is not None:
            where = join_path(path, w_field.name)
            if self.backward:
                msg = (
                    f"field '{w_field.name}' (number {w_field.number}) was removed from oneof '{w_field.oneof}': "
                    "old data that set it would read as an unset oneof; keep the field"
                )
            else:
                msg = (
                    f"field '{w_field.name}' (number {w_field.number}) was added to oneof '{w_field.oneof}': "
                    "consumers on the old schema see the oneof as unset when new data sets it"
                )
            self.ctx.add(where, "protobuf.oneof-field-removed", msg, reader=None, writer=w_field.describe())

    def _required(self, f: _Field, path: str, *, in_new: bool) -> None:
        rule = "protobuf.required-field-added" if in_new else "protobuf.required-field-removed"
        msg = (
            f"proto2 required field '{f.name}' (number {f.number}) was {'added' if in_new else 'removed'}: "
            "data without it fails to parse; make it optional"
        )
        old, new = (None, f"required {f.type}") if in_new else (f"required {f.type}", None)
        self.ctx.issues.append(Incompatibility(join_path(path, f.name), old, new, rule, msg, self.ctx.direction))

    def _oneof_moves(self, rf: dict[int, _Field], wf: dict[int, _Field], path: str) -> None:
        oneofs: dict[str, list[_Field]] = {}
        for f in rf.values():
            if f.oneof is not None:
                oneofs.setdefault(f.oneof, []).append(f)
        for oneof, members in oneofs.items():
            moved = [f.name for f in members if f.number in wf and wf[f.number].oneof is None]
            existing = [f.name for f in members if f.number in wf and wf[f.number].oneof is not None]
            verb = "into" if self.backward else "out of"
            if len(moved) > 1:
                rule = "protobuf.fields-moved-into-oneof"
                msg = (
                    f"fields {', '.join(moved)} were moved {verb} oneof '{oneof}': data setting several of them "
                    "keeps only one; move at most one existing field into a new oneof"
                )
            elif moved and existing:
                rule = "protobuf.field-moved-into-existing-oneof"
                msg = (
                    f"field '{moved[0]}' was moved {verb} oneof '{oneof}' beside existing members "
                    f"{', '.join(existing)}: data setting both keeps only one; use a new oneof"
                )
            else:
                continue
            self.ctx.add(join_path(path, oneof), rule, msg, reader=f"oneof {oneof}", writer=None)

    def field(self, r_scope: str, r: _Field, w_scope: str, w: _Field, path: str) -> None:
        new = r if self.backward else w
        where = join_path(path, new.name)
        if r.kind != w.kind:
            self._changed(where, r, w, "protobuf.field-kind-changed", f"a {w.kind} cannot be read as a {r.kind}")
        elif r.kind == "map":
            if WIRE_GROUPS.get(r.key or "") != WIRE_GROUPS.get(w.key or ""):
                self._changed(where, r, w, "protobuf.field-type-changed", "map keys are not wire-compatible")
            elif self._values_differ(r, w):
                self._changed(where, r, w, "protobuf.field-type-changed", "map values are not wire-compatible")
            elif r.type in self.r.messages and w.type in self.w.messages:
                self.message(r.type, w.type, f"{where}{{}}")
        elif r.kind == "message":
            if r.type != w.type:
                self._changed(where, r, w, "protobuf.field-type-changed", f"message {w.type} is not {r.type}")
            elif r.type in self.r.messages and w.type in self.w.messages:
                self.message(r.type, w.type, f"{where}[]" if new.repeated else where)
        elif r.group != w.group:
            self._changed(where, r, w, "protobuf.field-type-changed", f"{w.group} and {r.group} differ on the wire")
        elif r.repeated != w.repeated and r.group != "length-delimited":
            old, new_ = self.ctx.old_new(r.describe(), w.describe())
            msg = (
                f"field '{new.name}' (number {r.number}) changed from {old} to {new_}: packed repeated "
                f"{r.type} values cannot be read as a single value or back; keep the label, or add a new field"
            )
            self.ctx.add(where, "protobuf.field-label-changed", msg, reader=r.describe(), writer=w.describe())

    def _values_differ(self, r: _Field, w: _Field) -> bool:
        r_msg, w_msg = self.r.is_message_type(r.type), self.w.is_message_type(w.type)
        if r_msg or w_msg:
            return not (r_msg and w_msg and r.type == w.type)
        return r.group != w.group

    def _changed(self, where: str, r: _Field, w: _Field, rule: str, why: str) -> None:
        old_f, new_f = (w, r) if self.backward else (r, w)
        if old_f.name != new_f.name:
            rule = "protobuf.field-number-reused"
            msg = (
                f"field number {r.number} is reused: it was '{old_f.name}' ({old_f.describe()}) and is now "
                f"'{new_f.name}' ({new_f.describe()}), and {why}; give '{new_f.name}' a fresh number and add "
                f"`reserved {r.number};`"
            )
        else:
            msg = (
                f"field '{new_f.name}' (number {r.number}) changed from {old_f.describe()} to "
                f"{new_f.describe()}: {why}; {self.ctx.breaks}. Add a new field with a new number and reserve "
                f"{r.number}"
            )
        self.ctx.add(where, rule, msg, reader=r.describe(), writer=w.describe())


def can_read(reader: Schema, writer: Schema, *, direction: Direction = "backward") -> list[Incompatibility]:
    """Why a consumer parsing with ``reader`` would misread protobuf data written with ``writer`` (empty: it can).

    Args:
        reader: the schema the consumer parses with.
        writer: the schema the data was written with.
        direction: ``backward`` when the reader is the new schema, ``forward`` when it is an old one.
    """
    ctx = PairContext(direction)
    _Checker(_Proto(reader), _Proto(writer), ctx).run()
    return ctx.issues
