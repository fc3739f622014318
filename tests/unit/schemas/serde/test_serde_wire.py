"""The Confluent wire format: header layout, Protobuf message indexes, and errors a person can act on."""

from __future__ import annotations

import io

import pytest
from confluent_kafka.schema_registry.common.serde import SchemaId

from streammesh.exceptions import ValidationError
from streammesh.schemas.wire import (
    WireFormatError,
    decode_wire,
    encode_wire,
    is_wire_format,
    read_message_indexes,
    wire_header,
)


def test_header_is_magic_zero_then_big_endian_schema_id() -> None:
    assert encode_wire(1, b"xyz") == b"\x00\x00\x00\x00\x01xyz"
    assert encode_wire(0x01020304, b"") == b"\x00\x01\x02\x03\x04"
    assert encode_wire(0xFFFFFFFF, b"p")[:5] == b"\x00\xff\xff\xff\xff"


def test_round_trip_without_indexes() -> None:
    frame = decode_wire(encode_wire(123456, b"\x02\x04payload"))
    assert frame.schema_id == 123456
    assert frame.message_indexes is None
    assert bytes(frame.payload) == b"\x02\x04payload"


def test_payload_is_a_view_not_a_copy() -> None:
    data = encode_wire(9, b"abc")
    frame = decode_wire(data)
    assert isinstance(frame.payload, memoryview)
    assert frame.payload.obj is data


def test_first_message_index_is_a_single_zero_byte() -> None:
    # Confluent's serializers write [0] (the first top-level message) as one 0 byte: a count of 0
    assert encode_wire(7, b"P", [0]) == b"\x00\x00\x00\x00\x07\x00P"
    frame = decode_wire(b"\x00\x00\x00\x00\x07\x00P", protobuf=True)
    assert frame.message_indexes == [0]
    assert bytes(frame.payload) == b"P"


@pytest.mark.parametrize(
    ("indexes", "encoded"),
    [
        ([1], b"\x02\x02"),  # count 1 -> zig-zag 2, index 1 -> 2
        ([0, 1], b"\x04\x00\x02"),
        ([1, 0], b"\x04\x02\x00"),
        ([0, 0], b"\x04\x00\x00"),  # only the single [0] is shortened
        ([2, 0, 3], b"\x06\x04\x00\x06"),
        ([64], b"\x02\x80\x01"),  # zig-zag 128 needs two varint bytes
        ([300], b"\x02\xd8\x04"),
    ],
)
def test_message_indexes_are_zigzag_varints(indexes: list[int], encoded: bytes) -> None:
    data = encode_wire(5, b"body", indexes)
    assert data == b"\x00\x00\x00\x00\x05" + encoded + b"body"
    frame = decode_wire(data, protobuf=True)
    assert (frame.message_indexes, bytes(frame.payload)) == (indexes, b"body")


@pytest.mark.parametrize("indexes", [[0], [1], [0, 1], [3, 2, 1], [127, 128], [5000, 0, 70000], list(range(40))])
def test_same_bytes_as_confluents_own_header_code(indexes: list[int]) -> None:
    """confluent-kafka's SchemaId writes and reads the header the serializers use."""
    theirs = SchemaId("PROTOBUF", 4242, message_indexes=indexes).id_to_bytes()
    assert wire_header(4242, indexes) == theirs
    parsed = SchemaId("PROTOBUF")
    rest = parsed.from_bytes(io.BytesIO(encode_wire(4242, b"tail", indexes)))
    assert (parsed.id, parsed.message_indexes, rest.read()) == (4242, indexes, b"tail")


def test_avro_and_json_header_matches_confluent() -> None:
    assert wire_header(77) == SchemaId("AVRO", 77).id_to_bytes()


def test_read_message_indexes_reports_payload_position() -> None:
    data = encode_wire(1, b"!", [4, 2])
    assert read_message_indexes(data) == ([4, 2], len(data) - 1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x00\x00\x00\x00\x01", True),
        (b"\x00\x00\x00\x00\x01payload", True),
        (b"\x00\x00\x00\x01", False),  # too short
        (b'{"a": 1}', False),  # plain JSON
        (b"", False),
        (None, False),
        (memoryview(b"\x00\x00\x00\x00\x02x"), True),
    ],
)
def test_is_wire_format(data: bytes | None, expected: bool) -> None:
    assert is_wire_format(data) is expected


def test_unknown_magic_byte_says_what_it_is() -> None:
    with pytest.raises(WireFormatError) as info:
        decode_wire(b'{"order_id": "o-1"}')
    message = str(info.value)
    assert "unknown magic byte 123" in message
    assert "not Confluent wire format" in message
    assert "plain producer" in message


def test_wire_format_error_is_a_validation_error() -> None:
    assert issubclass(WireFormatError, ValidationError)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00\x00\x01"])
def test_too_short(data: bytes) -> None:
    with pytest.raises(WireFormatError, match="too short"):
        decode_wire(data)


def test_short_data_with_wrong_magic_reports_the_magic() -> None:
    with pytest.raises(WireFormatError, match="unknown magic byte 1"):
        decode_wire(b"\x01\x00")


def test_missing_index_list_is_reported() -> None:
    with pytest.raises(WireFormatError, match="cut short"):
        decode_wire(b"\x00\x00\x00\x00\x01", protobuf=True)


def test_truncated_index_varint() -> None:
    with pytest.raises(WireFormatError, match="cut short"):
        decode_wire(b"\x00\x00\x00\x00\x01\x04\x02\x80", protobuf=True)  # count 2, then a varint that never ends


def test_negative_index_count() -> None:
    with pytest.raises(WireFormatError, match="invalid Protobuf message-index count -1"):
        decode_wire(b"\x00\x00\x00\x00\x01\x01rest", protobuf=True)


def test_implausible_index_count() -> None:
    with pytest.raises(WireFormatError, match="invalid Protobuf message-index count"):
        decode_wire(b"\x00\x00\x00\x00\x01" + b"\xfe\xff\xff\xff\x0f", protobuf=True)


def test_negative_index() -> None:
    with pytest.raises(WireFormatError, match="negative Protobuf message index -1"):
        decode_wire(b"\x00\x00\x00\x00\x01\x02\x01", protobuf=True)


def test_overlong_varint() -> None:
    with pytest.raises(WireFormatError, match="longer than 64 bits"):
        decode_wire(b"\x00\x00\x00\x00\x01" + b"\xff" * 11, protobuf=True)


@pytest.mark.parametrize("schema_id", [-1, 2**32, True, 1.0, "1"])
def test_schema_id_must_fit_32_unsigned_bits(schema_id: object) -> None:
    with pytest.raises(WireFormatError, match="schema id must be an integer"):
        encode_wire(schema_id, b"")  # type: ignore[arg-type]


def test_empty_index_list_is_refused() -> None:
    with pytest.raises(WireFormatError, match=r"e.g. \[0\] for the first top-level message"):
        encode_wire(1, b"", [])


def test_negative_index_is_refused_on_encode() -> None:
    with pytest.raises(WireFormatError, match="non-negative"):
        encode_wire(1, b"", [0, -2])
