"""Turn a serialized ``FileDescriptorProto`` back into ``.proto`` text.

Confluent's Protobuf serializers register schemas as base64 descriptors (and ask for them back in
that form with ``format=serialized``); streammesh keeps every schema as readable ``.proto`` text,
so descriptors are printed on the way in.
"""

from __future__ import annotations

import base64
import binascii

from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError

from streammesh.schemas.base import SchemaError

__all__ = ["descriptor_to_proto_text", "looks_like_serialized_descriptor"]

_F = descriptor_pb2.FieldDescriptorProto
_TYPES = {
    _F.TYPE_DOUBLE: "double",
    _F.TYPE_FLOAT: "float",
    _F.TYPE_INT64: "int64",
    _F.TYPE_UINT64: "uint64",
    _F.TYPE_INT32: "int32",
    _F.TYPE_FIXED64: "fixed64",
    _F.TYPE_FIXED32: "fixed32",
    _F.TYPE_BOOL: "bool",
    _F.TYPE_STRING: "string",
    _F.TYPE_BYTES: "bytes",
    _F.TYPE_UINT32: "uint32",
    _F.TYPE_SFIXED32: "sfixed32",
    _F.TYPE_SFIXED64: "sfixed64",
    _F.TYPE_SINT32: "sint32",
    _F.TYPE_SINT64: "sint64",
}


def looks_like_serialized_descriptor(text: str) -> bool:
    """Base64 text without the tokens every .proto file has (``syntax``/``message``/``=``/``;``)."""
    stripped = text.strip()
    return bool(stripped) and not any(ch in stripped for ch in " ;{}\n") and len(stripped) % 4 == 0


def _type_name(field: descriptor_pb2.FieldDescriptorProto, package: str) -> str:
    if field.type in (_F.TYPE_MESSAGE, _F.TYPE_ENUM):
        name = field.type_name.lstrip(".")
        return name[len(package) + 1 :] if package and name.startswith(package + ".") else name
    return _TYPES[field.type]


def _message(msg: descriptor_pb2.DescriptorProto, package: str, proto3: bool, indent: str) -> list[str]:
    lines = [f"{indent}message {msg.name} {{"]
    inner = indent + "  "
    maps = {n.name: n for n in msg.nested_type if n.options.map_entry}
    for nested in msg.nested_type:
        if not nested.options.map_entry:
            lines += _message(nested, package, proto3, inner)
    for enum in msg.enum_type:
        lines += _enum(enum, inner)
    oneofs: dict[int, list[str]] = {}
    for field in msg.field:
        entry_name = field.type_name.rsplit(".", 1)[-1]
        if field.type == _F.TYPE_MESSAGE and field.label == _F.LABEL_REPEATED and entry_name in maps:
            entry = maps[entry_name]
            key, value = entry.field[0], entry.field[1]
            line = f"map<{_type_name(key, package)}, {_type_name(value, package)}> {field.name} = {field.number};"
        else:
            label = ""
            if field.label == _F.LABEL_REPEATED:
                label = "repeated "
            elif field.proto3_optional:
                label = "optional "
            elif not proto3 and field.label == _F.LABEL_REQUIRED:
                label = "required "
            elif not proto3 and not field.HasField("oneof_index"):
                label = "optional "
            line = f"{label}{_type_name(field, package)} {field.name} = {field.number};"
        if field.HasField("oneof_index") and not field.proto3_optional:
            oneofs.setdefault(field.oneof_index, []).append(line)
        else:
            lines.append(inner + line)
    for index, members in oneofs.items():
        lines.append(f"{inner}oneof {msg.oneof_decl[index].name} {{")
        lines += [f"{inner}  {m}" for m in members]
        lines.append(f"{inner}}}")
    for r in msg.reserved_range:
        lines.append(f"{inner}reserved {r.start}" + (f" to {r.end - 1}" if r.end - 1 > r.start else "") + ";")
    if msg.reserved_name:
        lines.append(f"{inner}reserved " + ", ".join(f'"{n}"' for n in msg.reserved_name) + ";")
    lines.append(f"{indent}}}")
    return lines


def _enum(enum: descriptor_pb2.EnumDescriptorProto, indent: str) -> list[str]:
    return (
        [f"{indent}enum {enum.name} {{"] + [f"{indent}  {v.name} = {v.number};" for v in enum.value] + [f"{indent}}}"]
    )


def descriptor_to_proto_text(encoded: str) -> str:
    """``.proto`` text for a base64-encoded, serialized ``FileDescriptorProto``.

    Raises:
        SchemaError: the text is not base64 of a file descriptor.
    """
    try:
        raw = base64.b64decode(encoded.strip().encode("ascii"), validate=True)
        fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
    except (binascii.Error, ValueError, DecodeError) as e:
        raise SchemaError(f"PROTOBUF schema is neither .proto text nor a base64 file descriptor: {e}") from None
    proto3 = fd.syntax == "proto3"
    lines = [f'syntax = "{fd.syntax or "proto2"}";']
    if fd.package:
        lines.append(f"package {fd.package};")
    lines += [f'import "{dep}";' for dep in fd.dependency]
    for enum in fd.enum_type:
        lines += _enum(enum, "")
    for msg in fd.message_type:
        lines += _message(msg, fd.package, proto3, "")
    return "\n".join(lines) + "\n"
