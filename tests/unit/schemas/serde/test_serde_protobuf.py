"""Protobuf codec: descriptors built from .proto text without protoc, the dict mapping, and indexes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry.common.protobuf import _create_index_array
from google.protobuf import descriptor_pb2

from streammesh.schemas.base import SchemaError
from streammesh.schemas.codecs import CodecError, codec_for
from streammesh.schemas.codecs.protobuf import ProtobufCodec
from streammesh.schemas.codecs.protobuf_descriptors import file_descriptor_from_text
from streammesh.schemas.protobuf_format import ProtobufSchema
from tests.unit.schemas.serde.samples import ORDER_PROTO

Proto = Callable[..., ProtobufSchema]

FULL_ORDER: dict[str, Any] = {
    "order_id": 2**63 - 1,
    "customer_id": "cust-42",
    "items": [{"sku": "a-1", "quantity": 2, "ship_to": {"city": "Lyon"}}, {"sku": "b-2", "quantity": 1}],
    "counts": {"a-1": 2, "b-2": 1},
    "status": "PAID",
    "card": "4111-xxxx",
    "note": "leave at the door",
    "placed_at": "2024-05-01T12:00:00Z",
    "big": 2**64 - 1,
    "delta": -(2**63),
    "by_line": {1: {"sku": "a-1", "quantity": 2}, 2**40: {"sku": "b-2", "quantity": 0}},
    "blob": b"\x00\xff\x10",
    "maybe_count": 2**60 + 1,
    "amount": 12.5,
    "gift": True,
}


def _order(proto: Proto, message: str | None = None) -> ProtobufCodec:
    codec = codec_for(proto(ORDER_PROTO, message))
    assert isinstance(codec, ProtobufCodec)
    return codec


def test_round_trip_keeps_what_the_producer_sent(proto: Proto) -> None:
    codec = _order(proto)
    decoded = codec.decode(codec.encode(FULL_ORDER))
    # nested messages without all fields come back with their zero values
    expected = {**FULL_ORDER, "items": [FULL_ORDER["items"][0], {"sku": "b-2", "quantity": 1}]}
    assert decoded == expected


def test_int64_family_comes_back_as_int(proto: Proto) -> None:
    codec = _order(proto)
    decoded = codec.decode(codec.encode({"order_id": 2**62 + 1, "big": 2**64 - 1, "delta": -5, "maybe_count": 7}))
    got = (decoded["order_id"], decoded["big"], decoded["delta"], decoded["maybe_count"])
    assert got == (2**62 + 1, 2**64 - 1, -5, 7)
    assert all(type(decoded[k]) is int for k in ("order_id", "big", "delta", "maybe_count"))


def test_bytes_come_back_as_bytes_and_base64_text_is_accepted(proto: Proto) -> None:
    codec = _order(proto)
    assert codec.decode(codec.encode({"blob": b"\x01\x02"}))["blob"] == b"\x01\x02"
    assert codec.decode(codec.encode({"blob": "AQI="}))["blob"] == b"\x01\x02"
    assert codec.decode(codec.encode({"token": bytearray(b"\xfe")}))["token"] == b"\xfe"


def test_the_producers_dict_is_not_modified(proto: Proto) -> None:
    value = {"blob": b"\x01", "items": [{"sku": "x"}]}
    _order(proto).encode(value)
    assert value == {"blob": b"\x01", "items": [{"sku": "x"}]}


def test_map_keys_keep_their_type(proto: Proto) -> None:
    codec = _order(proto)
    decoded = codec.decode(codec.encode({"by_line": {3: {"sku": "s"}}, "counts": {"k": 1}}))
    assert list(decoded["by_line"]) == [3]
    assert decoded["counts"] == {"k": 1}


def test_fields_without_presence_are_always_present(proto: Proto) -> None:
    codec = _order(proto)
    decoded = codec.decode(codec.encode({}))
    assert decoded == {
        "order_id": 0, "customer_id": "", "items": [], "counts": {}, "status": "STATUS_UNKNOWN", "big": 0,
        "delta": 0, "by_line": {}, "blob": b"", "amount": 0.0, "gift": False,
    }  # fmt: skip
    # fields with presence (message, oneof member, proto3 optional, wrapper) only when set
    assert not {"card", "token", "note", "placed_at", "maybe_count"} & decoded.keys()


def test_proto3_optional_keeps_an_explicit_empty_value(proto: Proto) -> None:
    codec = _order(proto)
    assert codec.decode(codec.encode({"note": ""}))["note"] == ""


def test_none_means_not_set(proto: Proto) -> None:
    codec = _order(proto)
    assert "placed_at" not in codec.decode(codec.encode({"placed_at": None, "order_id": 1}))


def test_enums_by_name_or_number_decode_to_names(proto: Proto) -> None:
    codec = _order(proto)
    assert codec.decode(codec.encode({"status": "PLACED"}))["status"] == "PLACED"
    assert codec.decode(codec.encode({"status": 2}))["status"] == "PAID"
    # an open proto3 enum keeps numbers it does not know; they decode as the number
    assert codec.decode(codec.encode({"status": 9}))["status"] == 9


def test_oneof_keeps_the_member_that_was_set(proto: Proto) -> None:
    codec = _order(proto)
    decoded = codec.decode(codec.encode({"token": b"tok"}))
    assert decoded["token"] == b"tok" and "card" not in decoded
    with pytest.raises(CodecError, match='multiple "payment" oneof fields'):
        codec.encode({"card": "c", "token": b"t"})


def test_nested_message_as_the_value_message(proto: Proto) -> None:
    codec = _order(proto, "Order.Item")
    assert codec.full_name == "shop.v1.Order.Item"
    assert codec.decode(codec.encode({"sku": "s", "ship_to": {"city": "Gent"}})) == {
        "sku": "s",
        "quantity": 0,
        "ship_to": {"city": "Gent"},
    }


def test_recursive_message_with_int64(proto: Proto) -> None:
    text = 'syntax = "proto3"; message Node { int64 id = 1; repeated Node children = 2; map<int32, Node> by_pos = 3; }'
    codec = codec_for(proto(text))
    value = {"id": 2**60, "children": [{"id": 2, "children": [{"id": 3}]}], "by_pos": {1: {"id": 2**55}}}
    decoded = codec.decode(codec.encode(value))
    assert decoded["children"][0]["children"][0]["id"] == 3
    assert decoded["by_pos"] == {1: {"id": 2**55, "children": [], "by_pos": {}}}
    assert decoded["id"] == 2**60


def test_proto2_required_defaults_and_presence(proto: Proto) -> None:
    text = """
    syntax = "proto2";
    package legacy;
    message Reading {
      required string sensor = 1;
      optional int32 scale = 2 [default = 10];
      optional Unit unit = 3 [default = CELSIUS];
      repeated sint64 values = 4 [packed = true];
      enum Unit { KELVIN = 0; CELSIUS = 1; }
    }
    """
    codec = codec_for(proto(text))
    value = {"sensor": "t1", "values": [-1, 2**40]}
    assert codec.decode(codec.encode(value)) == value  # scale and unit have presence: absent
    message = codec.class_of("legacy.Reading")()
    assert (message.scale, message.unit) == (10, 1)
    with pytest.raises(CodecError, match="missing required fields: sensor"):
        codec.encode({"scale": 1})


# --- message indexes ----------------------------------------------------------------------------

INDEXED = """
syntax = "proto3";
package idx;
message First { int32 a = 1; }
message Second {
  map<string, string> labels = 1;   // its entry message is nested type 0
  message Inner { message Deeper { int32 d = 1; } }
  message Other {}
}
message Third {}
"""


@pytest.mark.parametrize(
    ("message", "indexes"),
    [
        ("First", [0]),
        ("Second", [1]),
        ("Second.Inner", [1, 1]),  # after the LabelsEntry map entry, as protoc orders nested types
        ("Second.Inner.Deeper", [1, 1, 0]),
        ("Second.Other", [1, 2]),
        ("Third", [2]),
    ],
)
def test_message_indexes_match_confluents_computation(proto: Proto, message: str, indexes: list[int]) -> None:
    codec = codec_for(proto(INDEXED, message))
    assert isinstance(codec, ProtobufCodec)
    assert codec.message_indexes == indexes
    assert _create_index_array(codec.message_class.DESCRIPTOR) == indexes
    assert codec.message_at(indexes) == f"idx.{message}"


def test_decode_picks_the_message_its_indexes_name(proto: Proto) -> None:
    writer = proto(INDEXED, "Second.Inner.Deeper")
    payload = codec_for(writer).encode({"d": 5})
    first = codec_for(proto(INDEXED, "First"))
    assert first.decode(payload, writer=writer, message_indexes=[1, 1, 0]) == {"d": 5}


def test_indexes_naming_no_message(proto: Proto) -> None:
    codec = _order(proto)
    with pytest.raises(CodecError, match=r"message indexes \[7\] name no message"):
        codec.decode(b"", message_indexes=[7])


# --- resolution to a reader's schema --------------------------------------------------------------


def test_reader_with_an_added_field_gets_its_default_and_drops_removed_ones(proto: Proto) -> None:
    v1 = proto('syntax = "proto3"; package s; message Order { string id = 1; int64 legacy = 2; }')
    v2 = proto('syntax = "proto3"; package s; message Order { string id = 1; reserved 2; string channel = 3; }')
    payload = codec_for(v1).encode({"id": "o-1", "legacy": 9})
    assert codec_for(v2).decode(payload, writer=v1, reader=v2, message_indexes=[0]) == {"id": "o-1", "channel": ""}


def test_reader_without_the_writers_message(proto: Proto) -> None:
    writer = proto(INDEXED, "First")
    reader = proto('syntax = "proto3"; package idx; message First { int32 a = 1; }')
    payload = codec_for(writer).encode({"a": 1})
    with pytest.raises(CodecError, match="reader's schema has no message 'idx.Third'"):
        codec_for(reader).decode(payload, writer=writer, reader=reader, message_indexes=[2])


# --- descriptors built without protoc -----------------------------------------------------------


def test_descriptor_has_map_entries_synthetic_oneofs_and_reserved_ranges() -> None:
    fd = file_descriptor_from_text(
        'syntax = "proto3"; package p; message M { map<string, int64> item_counts = 1; optional string note = 2; '
        'oneof pay { string card = 3; } reserved 10 to 12, 20 to max; reserved "old"; }'
    )
    m = fd.message_type[0]
    entry = m.nested_type[0]
    assert (entry.name, entry.options.map_entry) == ("ItemCountsEntry", True)
    assert [f.name for f in entry.field] == ["key", "value"]
    assert m.field[0].type_name == ".p.M.ItemCountsEntry"
    assert m.field[0].label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
    assert [o.name for o in m.oneof_decl] == ["pay", "_note"]  # synthetic oneofs after real ones
    assert m.field[1].proto3_optional and m.field[1].oneof_index == 1
    assert [(r.start, r.end) for r in m.reserved_range] == [(10, 13), (20, 536_870_912)]
    assert list(m.reserved_name) == ["old"]


GOOGLE_PROTOS = [
    "google/rpc/context/attribute_context.proto",  # nested messages with maps
    "google/gapic/metadata/gapic_metadata.proto",  # map entries before nested messages
    "google/rpc/error_details.proto",  # proto3 optional, repeated nested messages
    "google/type/datetime.proto",  # oneof, imported well-known types
    "google/type/phone_number.proto",
    "google/logging/type/http_request.proto",
]


def _comparable(fd: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    """The parts that decide the encoding (protoc also records options, json names, source info)."""
    fd = descriptor_pb2.FileDescriptorProto.FromString(fd.SerializeToString())
    for name in ("name", "options", "source_code_info", "service", "extension"):
        fd.ClearField(name)

    def clean(messages: Any) -> None:
        for m in messages:
            if not m.options.map_entry:
                m.ClearField("options")
            for f in m.field:
                f.ClearField("json_name")
                f.ClearField("options")
            for e in m.enum_type:
                e.ClearField("options")
            clean(m.nested_type)

    clean(fd.message_type)
    for e in fd.enum_type:
        e.ClearField("options")
    return fd


@pytest.mark.parametrize("path", GOOGLE_PROTOS)
def test_descriptor_equals_what_protoc_generated(path: str) -> None:
    """googleapis-common-protos ships .proto files next to the protoc output compiled from them."""
    module = pytest.importorskip(path[:-6].replace("/", ".") + "_pb2")
    text = (Path(module.__file__).parent / Path(path).name).read_text()
    protoc = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(protoc)
    assert _comparable(file_descriptor_from_text(text)) == _comparable(protoc)


def test_schema_versions_with_the_same_names_live_side_by_side(proto: Proto) -> None:
    v1 = codec_for(proto('syntax = "proto3"; package s; message A { int32 x = 1; }'))
    v2 = codec_for(proto('syntax = "proto3"; package s; message A { string x = 1; }'))
    assert v1.decode(v1.encode({"x": 1})) == {"x": 1}
    assert v2.decode(v2.encode({"x": "1"})) == {"x": "1"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('syntax = "proto3"; message A { Missing m = 1; }', "unknown type 'Missing' in field A.m"),
        ('syntax = "proto3"; import "acme/common.proto"; message A {}', "import 'acme/common.proto' cannot be"),
        ('syntax = "proto2"; message A { optional group G = 1 { optional int32 x = 2; } }', "groups are not supported"),
        ('syntax = "proto3"; message A { int32 a = 1; int32 b = 1; }', "not valid"),
        ('syntax = "proto3"; message A { required int32 a = 1; }', "'required' is not allowed in proto3"),
        ('syntax = "proto2"; message A { int32 a = 1; }', "needs a label"),
    ],
)
def test_unsupported_or_invalid_definitions(proto: Proto, text: str, error: str) -> None:
    with pytest.raises(SchemaError, match=error):
        codec_for(proto(text))


# --- encode errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"nope": 1}, 'no field named "nope"'),
        ({"order_id": "twelve"}, "Failed to parse order_id field"),
        ({"status": "LOST"}, "Invalid enum value LOST"),
        ({"items": [{"sku": 5}]}, "Failed to parse items field"),
        (["not", "a", "dict"], "must be a dict of its fields, got list"),
    ],
)
def test_values_that_do_not_fit(proto: Proto, value: Any, error: str) -> None:
    with pytest.raises(CodecError, match=error):
        _order(proto).encode(value)


def test_corrupt_payload(proto: Proto) -> None:
    with pytest.raises(CodecError, match="not a valid Protobuf shop.v1.Order"):
        _order(proto).decode(b"\x0a\xff\xff")


def test_codec_does_not_need_confluent_kafka() -> None:
    code = (
        "import sys; import streammesh.schemas.codecs.protobuf, streammesh.schemas.codecs.avro, "
        "streammesh.schemas.codecs.json_schema; assert 'confluent_kafka' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
