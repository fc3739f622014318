"""The Confluent wire format: how a schema-encoded event's bytes are framed on the log.

Every value (and key, when it has a schema) written by streammesh starts with the same header as
the one Confluent's serializers write, so that moving a mesh from the embedded log to Kafka changes
nothing for producers and consumers, and standard Kafka tooling can read our streams::

    byte 0      magic byte, always 0
    bytes 1-4   schema id, unsigned 32-bit big-endian (the registry's global id)
    [Protobuf]  message indexes: which message of the .proto file the payload is
    rest        the payload (Avro binary, UTF-8 JSON, or Protobuf binary)

The Protobuf message indexes are the path from the file to the message (``[0]`` is the first
top-level message, ``[1, 0]`` the first message nested in the second one), written as a zig-zag
varint count followed by one zig-zag varint per index. The common ``[0]`` is written as a single
``0`` byte (a count of zero), exactly as Confluent's serializers do.

Example:
    >>> frame = decode_wire(encode_wire(7, b"payload", [1, 0]), protobuf=True)
    >>> frame.schema_id, frame.message_indexes, bytes(frame.payload)
    (7, [1, 0], b'payload')
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from streammesh.exceptions import ValidationError

__all__ = [
    "HEADER_SIZE",
    "MAGIC_BYTE",
    "WireFormatError",
    "WireFrame",
    "decode_wire",
    "encode_wire",
    "is_wire_format",
    "read_header",
    "read_message_indexes",
    "wire_header",
]

MAGIC_BYTE = 0
HEADER_SIZE = 5
"""Magic byte plus the 4-byte schema id."""

_HEADER = struct.Struct(">BI")
_MAX_SCHEMA_ID = 0xFFFFFFFF
# Confluent's readers refuse longer index arrays; so do we, so that a corrupt count cannot make
# us allocate a huge list.
_MAX_INDEXES = 100_000


class WireFormatError(ValidationError):
    """Bytes are not (valid) Confluent wire format, or a header cannot be written.

    Check that the producer used a schema-registry serializer (not a plain string or JSON
    producer) and that the topic is read with the right key/value deserializer.
    """


@dataclass(frozen=True, slots=True)
class WireFrame:
    """A decoded wire-format message.

    Attributes:
        schema_id: the registry id of the writer's schema.
        message_indexes: for Protobuf, the path of the payload's message in the writer's file;
            ``None`` for Avro and JSON Schema.
        payload: the bytes after the header, a zero-copy view when the input was ``bytes``.
    """

    schema_id: int
    message_indexes: list[int] | None
    payload: memoryview | bytes


def _zigzag_varint(value: int, out: bytearray) -> None:
    value = (value << 1) ^ (value >> 63)
    while value & ~0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def wire_header(schema_id: int, message_indexes: Sequence[int] | None = None) -> bytes:
    """The header bytes (magic byte, schema id, Protobuf indexes) that precede a payload.

    Serializers compute this once per schema and prepend it to every payload.

    Raises:
        WireFormatError: the schema id does not fit 32 unsigned bits, or the index list is empty
            or holds a negative index.
    """
    if not isinstance(schema_id, int) or isinstance(schema_id, bool) or not 0 <= schema_id <= _MAX_SCHEMA_ID:
        raise WireFormatError(f"schema id must be an integer in 0..{_MAX_SCHEMA_ID}, got {schema_id!r}")
    out = bytearray(_HEADER.pack(MAGIC_BYTE, schema_id))
    if message_indexes is not None:
        indexes = list(message_indexes)
        if not indexes:
            raise WireFormatError(
                "message_indexes is empty; give the path of the message in its .proto file, e.g. [0] for the first "
                "top-level message"
            )
        if any(not isinstance(i, int) or i < 0 for i in indexes):
            raise WireFormatError(f"message indexes must be non-negative integers, got {indexes!r}")
        if indexes == [0]:
            out.append(0)  # Confluent's shorthand: a count of 0 means [0]
        else:
            _zigzag_varint(len(indexes), out)
            for i in indexes:
                _zigzag_varint(i, out)
    return bytes(out)


def encode_wire(schema_id: int, payload: bytes, message_indexes: Sequence[int] | None = None) -> bytes:
    """Frame ``payload`` in the Confluent wire format.

    Args:
        schema_id: the registry id of the schema the payload was written with.
        payload: the encoded value (Avro binary, JSON text or Protobuf binary).
        message_indexes: for Protobuf only, the message's index path in its file (``[0]`` for
            the first top-level message); leave ``None`` for Avro and JSON Schema.

    Raises:
        WireFormatError: see :func:`wire_header`.
    """
    return wire_header(schema_id, message_indexes) + payload


def is_wire_format(data: bytes | bytearray | memoryview | None) -> bool:
    """Whether ``data`` could be wire format: a magic byte of 0 and room for a schema id.

    A cheap sniff for telling framed events from plain ones (for example JSON, which never
    starts with a 0 byte); it does not prove that the schema id exists.
    """
    return data is not None and len(data) >= HEADER_SIZE and data[0] == MAGIC_BYTE


def read_header(data: bytes | bytearray | memoryview) -> int:
    """The schema id of a wire-format message (the first step of :func:`decode_wire`).

    Raises:
        WireFormatError: ``data`` is too short or its magic byte is not 0.
    """
    if len(data) < HEADER_SIZE:
        if len(data) and data[0] != MAGIC_BYTE:
            _bad_magic(data[0])
        raise WireFormatError(
            f"{len(data)} bytes is too short for the Confluent wire format (magic byte and 4-byte schema id "
            f"need {HEADER_SIZE}); was the event written by a plain producer?"
        )
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC_BYTE:
        _bad_magic(magic)
    return schema_id


def _bad_magic(magic: int) -> None:
    raise WireFormatError(
        f"unknown magic byte {magic} (expected 0): this is not Confluent wire format; was it written by a plain "
        "producer?"
    )


def _read_zigzag(data: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise WireFormatError("the Protobuf message-index list is cut short (the event ends inside a varint)")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (value >> 1) ^ -(value & 1), pos
        shift += 7
        if shift > 63:
            raise WireFormatError("a Protobuf message index is longer than 64 bits; the event is corrupt")


def read_message_indexes(data: bytes | bytearray | memoryview, pos: int = HEADER_SIZE) -> tuple[list[int], int]:
    """Read a Protobuf message-index list starting at ``pos``.

    Returns:
        The indexes and the position of the first payload byte.

    Raises:
        WireFormatError: the list is truncated, its count is negative or implausibly large, or
            an index is negative.
    """
    count, pos = _read_zigzag(data, pos)
    if count == 0:
        return [0], pos
    if count < 0 or count > _MAX_INDEXES:
        raise WireFormatError(f"invalid Protobuf message-index count {count}; the event is corrupt or not Protobuf")
    indexes = []
    for _ in range(count):
        index, pos = _read_zigzag(data, pos)
        if index < 0:
            raise WireFormatError(f"negative Protobuf message index {index}; the event is corrupt")
        indexes.append(index)
    return indexes, pos


def decode_wire(data: bytes | bytearray | memoryview, *, protobuf: bool = False) -> WireFrame:
    """Split a wire-format message into schema id, message indexes and payload.

    Args:
        data: the event's bytes.
        protobuf: read the message-index list that Protobuf serializers write after the id.

    Raises:
        WireFormatError: see :func:`read_header` and :func:`read_message_indexes`.
    """
    schema_id = read_header(data)
    indexes: list[int] | None = None
    pos = HEADER_SIZE
    if protobuf:
        indexes, pos = read_message_indexes(data, pos)
    return WireFrame(schema_id, indexes, memoryview(data)[pos:])
