"""Byte compatibility with Confluent's own serializers, offline.

confluent-kafka ships an in-memory schema registry (``mock://`` URLs, its
``MockSchemaRegistryClient``) for exactly this: its real ``AvroSerializer``, ``JSONSerializer``
and ``ProtobufSerializer`` run against it without a server. Nothing of streammesh is replaced:
our :class:`Serializer` / :class:`Deserializer` read and write the same bytes, and our lookup turns
the registry's schema strings into streammesh schemas with the real format plug-ins. (The round
trip against ``streammesh serve`` itself lives in the integration tests.)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from confluent_kafka.schema_registry import Schema as RegistrySchema
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import (
    ProtobufDeserializer,
    ProtobufSerializer,
)
from confluent_kafka.serialization import MessageField, SerializationContext

from streammesh.schemas.avro_format import AvroFormat
from streammesh.schemas.base import Schema
from streammesh.schemas.codecs import Deserializer, Serializer, codec_for
from streammesh.schemas.codecs.protobuf import ProtobufCodec
from streammesh.schemas.jsonschema_format import JsonSchemaFormat
from streammesh.schemas.wire import decode_wire
from tests.factories import ORDERS_SCHEMA
from tests.unit.schemas.serde.samples import ORDER_AVRO, ORDER_PROTO

CTX = SerializationContext("sales.orders", MessageField.VALUE)
ORDER = {"order_id": "o-7", "amount": 19.99, "quantity": 3, "currency": "USD", "note": "gift"}
JSON_ORDER = {"order_id": "o-7", "customer_id": "c-1", "total": 19.99, "status": "paid", "currency": "EUR"}


@pytest.fixture
def registry() -> SchemaRegistryClient:
    """Confluent's in-memory registry client, unique per test."""
    return SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})


def lookup_from(registry: SchemaRegistryClient) -> Callable[[int], Schema]:
    """Our side of the lookup: the registry's schema string through streammesh's format plug-ins."""
    formats = {"AVRO": AvroFormat(), "JSON": JsonSchemaFormat()}

    def lookup(schema_id: int) -> Schema:
        registered = registry.get_schema(schema_id)
        return formats[registered.schema_type or "AVRO"].load(registered.schema_str)

    return lookup


def test_avro_bytes_are_identical(registry: SchemaRegistryClient) -> None:
    theirs = AvroSerializer(registry, orjson.dumps(ORDER_AVRO).decode())(ORDER, CTX)
    schema_id = decode_wire(theirs).schema_id
    ours = Serializer(schema_id, AvroFormat().load(ORDER_AVRO)).serialize(ORDER)
    assert ours == theirs


def test_avro_we_read_theirs_and_they_read_ours(registry: SchemaRegistryClient) -> None:
    theirs = AvroSerializer(registry, orjson.dumps(ORDER_AVRO).decode())(ORDER, CTX)
    assert Deserializer(lookup_from(registry)).deserialize(theirs) == ORDER

    schema_id = registry.register_schema("other-value", RegistrySchema(orjson.dumps(ORDER_AVRO).decode(), "AVRO"))
    ours = Serializer(schema_id, AvroFormat().load(ORDER_AVRO)).serialize({**ORDER, "note": None})
    assert AvroDeserializer(registry)(ours, CTX) == {**ORDER, "note": None}


def test_avro_resolution_of_their_old_events_to_our_new_reader(registry: SchemaRegistryClient) -> None:
    old = {**ORDER_AVRO, "fields": [f for f in ORDER_AVRO["fields"] if f["name"] != "note"]}
    new = {**ORDER_AVRO, "fields": [*ORDER_AVRO["fields"], {"name": "channel", "type": "string", "default": "web"}]}
    theirs = AvroSerializer(registry, orjson.dumps(old).decode())({k: v for k, v in ORDER.items() if k != "note"}, CTX)
    reader = AvroFormat().load(new)
    assert Deserializer(lookup_from(registry), reader=reader).deserialize(theirs) == {
        **ORDER,
        "note": None,
        "channel": "web",
    }


def test_json_schema_both_ways(registry: SchemaRegistryClient) -> None:
    schema_str = orjson.dumps(ORDERS_SCHEMA).decode()
    theirs = JSONSerializer(schema_str, registry)(JSON_ORDER, CTX)
    assert Deserializer(lookup_from(registry)).deserialize(theirs) == JSON_ORDER

    schema_id = decode_wire(theirs).schema_id
    ours = Serializer(schema_id, JsonSchemaFormat().load(ORDERS_SCHEMA)).serialize(JSON_ORDER)
    # same header; the payload differs only in whitespace (their json.dumps writes ", " and ": ")
    assert ours[:5] == theirs[:5]
    assert orjson.loads(ours[5:]) == orjson.loads(theirs[5:])
    assert JSONDeserializer(schema_str)(ours, CTX) == JSON_ORDER


@pytest.mark.parametrize(
    ("message", "indexes", "value"),
    [
        ("Order", [0], {"order_id": 5, "items": [{"sku": "a"}], "by_line": {1: {"sku": "b"}}, "status": "PAID"}),
        ("Refund", [1], {"order_id": 2**40}),
        ("Order.Item", [0, 2], {"sku": "a", "quantity": 2, "ship_to": {"city": "Gent"}}),
    ],
)
def test_protobuf_bytes_are_identical(
    registry: SchemaRegistryClient, proto: Callable[..., Schema], message: str, indexes: list[int], value: Any
) -> None:
    schema = proto(ORDER_PROTO, message)
    codec = codec_for(schema)
    assert isinstance(codec, ProtobufCodec)
    serializer = ProtobufSerializer(codec.message_class, registry, {"use.deprecated.format": False})
    theirs = serializer(codec.to_message(value), CTX)
    frame = decode_wire(theirs, protobuf=True)
    assert frame.message_indexes == indexes
    assert Serializer(frame.schema_id, schema).serialize(value) == theirs


def test_protobuf_we_read_theirs_and_they_read_ours(
    registry: SchemaRegistryClient, proto: Callable[..., Schema]
) -> None:
    schema = proto(ORDER_PROTO, "Order.Item")
    codec = codec_for(schema)
    assert isinstance(codec, ProtobufCodec)
    value = {"sku": "s-9", "quantity": 4, "ship_to": {"city": "Porto"}}
    theirs = ProtobufSerializer(codec.message_class, registry, {"use.deprecated.format": False})(
        codec.to_message(value), CTX
    )
    schema_id = decode_wire(theirs, protobuf=True).schema_id
    # the registry stores their schema as a serialized descriptor; we know its .proto text
    assert Deserializer({schema_id: schema}.__getitem__).deserialize(theirs) == value

    ours = Serializer(schema_id, schema).serialize(value)
    message = ProtobufDeserializer(codec.message_class, {"use.deprecated.format": False})(ours, CTX)
    assert (message.sku, message.quantity, message.ship_to.city) == ("s-9", 4, "Porto")


def test_confluents_protobuf_reader_accepts_our_nested_indexes(
    registry: SchemaRegistryClient, proto: Callable[..., Any]
) -> None:
    deeper = proto(
        'syntax = "proto3"; package d; message A {} message B { message C { message D { int64 n = 1; } } }', "B.C.D"
    )
    codec = codec_for(deeper)
    assert isinstance(codec, ProtobufCodec)
    ours = Serializer(1, deeper).serialize({"n": 2**50})
    assert decode_wire(ours, protobuf=True).message_indexes == [1, 0, 0]
    assert ProtobufDeserializer(codec.message_class, {"use.deprecated.format": False})(ours, CTX).n == 2**50
