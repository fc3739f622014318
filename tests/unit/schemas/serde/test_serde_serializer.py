"""Serializer / Deserializer: wire-framed events, writer schemas by id, resolution to a reader."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from streammesh.exceptions import NotFoundError
from streammesh.schemas.base import Schema
from streammesh.schemas.codecs import CodecError, Deserializer, Serializer
from streammesh.schemas.wire import WireFormatError, decode_wire
from tests.factories import ORDERS_SCHEMA
from tests.unit.schemas.serde.samples import ORDER_AVRO, ORDER_PROTO

ORDER = {"order_id": "o-1", "amount": 9.5, "quantity": 2, "currency": "EUR", "note": None}


class CountingLookup:
    """A schema registry reduced to its id -> schema map, counting calls."""

    def __init__(self, schemas: dict[int, Schema]) -> None:
        self.schemas = schemas
        self.calls: list[int] = []

    def __call__(self, schema_id: int) -> Schema:
        self.calls.append(schema_id)
        return self.schemas[schema_id]


def test_avro_event_is_header_then_payload(avro: Callable[[Any], Schema]) -> None:
    schema = avro(ORDER_AVRO)
    event = Serializer(258, schema).serialize(ORDER)
    assert event[:5] == b"\x00\x00\x00\x01\x02"
    assert Deserializer(CountingLookup({258: schema})).deserialize(event) == ORDER


def test_json_schema_round_trip(json_schema: Callable[[Any], Schema]) -> None:
    schema = json_schema(ORDERS_SCHEMA)
    event = Serializer(3, schema).serialize({"order_id": "o-1", "total": 1})
    assert event == b'\x00\x00\x00\x00\x03{"order_id":"o-1","total":1}'
    assert Deserializer(CountingLookup({3: schema})).deserialize(event) == {"order_id": "o-1", "total": 1}


def test_protobuf_event_carries_message_indexes(proto: Callable[..., Schema]) -> None:
    item = proto(ORDER_PROTO, "Order.Item")
    ser = Serializer(11, item)
    event = ser.serialize({"sku": "s-1", "quantity": 3})
    frame = decode_wire(event, protobuf=True)
    # Order.nested_type is [CountsEntry, ByLineEntry, Item, Address]: map entries count
    assert (frame.schema_id, frame.message_indexes) == (11, [0, 2])
    assert ser.header == b"\x00\x00\x00\x00\x0b\x04\x00\x04"
    assert Deserializer(CountingLookup({11: item})).deserialize(event) == {"sku": "s-1", "quantity": 3}


def test_protobuf_first_message_uses_the_one_byte_index(proto: Callable[..., Schema]) -> None:
    assert Serializer(1, proto(ORDER_PROTO)).header == b"\x00\x00\x00\x00\x01\x00"


def test_events_of_several_messages_of_one_file(proto: Callable[..., Schema]) -> None:
    order, refund = proto(ORDER_PROTO, "Order"), proto(ORDER_PROTO, "Refund")
    # a stream written with the registry's record-name strategy: one id per message schema
    de = Deserializer(CountingLookup({1: order, 2: refund}))
    assert de.deserialize(Serializer(2, refund).serialize({"order_id": 5})) == {"order_id": 5}
    assert de.deserialize(Serializer(1, order).serialize({"customer_id": "c"}))["customer_id"] == "c"


def test_writer_schemas_are_looked_up_once_per_id(avro: Callable[[Any], Schema]) -> None:
    schema = avro(ORDER_AVRO)
    lookup = CountingLookup({1: schema, 2: schema})
    de = Deserializer(lookup)
    for schema_id in (1, 1, 2, 1, 2):
        de.deserialize(Serializer(schema_id, schema).serialize(ORDER))
    assert lookup.calls == [1, 2]
    assert de.writer_schema(1) is schema


def test_every_version_is_resolved_to_the_reader(avro: Callable[[Any], Schema]) -> None:
    fields = [{"name": "id", "type": "string"}, {"name": "n", "type": "int"}]
    v1 = avro({"type": "record", "name": "Order", "fields": fields})
    v2 = avro(
        {
            "type": "record",
            "name": "Order",
            "fields": [
                {"name": "id", "type": "string"},
                {"name": "n", "type": "long"},
                {"name": "channel", "type": "string", "default": "web"},
            ],
        }
    )
    de = Deserializer(CountingLookup({1: v1, 2: v2}), reader=v2)
    assert de.deserialize(Serializer(1, v1).serialize({"id": "a", "n": 1})) == {"id": "a", "n": 1, "channel": "web"}
    assert de.deserialize(Serializer(2, v2).serialize({"id": "b", "n": 2, "channel": "app"})) == {
        "id": "b",
        "n": 2,
        "channel": "app",
    }


def test_tombstones_stay_none(avro: Callable[[Any], Schema]) -> None:
    assert Deserializer(CountingLookup({})).deserialize(None) is None


def test_plain_json_event_is_not_wire_format(avro: Callable[[Any], Schema]) -> None:
    with pytest.raises(WireFormatError, match="unknown magic byte 123.*plain producer"):
        Deserializer(CountingLookup({})).deserialize(b'{"order_id": "o-1"}')


def test_unknown_schema_id(avro: Callable[[Any], Schema]) -> None:
    with pytest.raises(CodecError, match="schema id 99 is not registered"):
        Deserializer(CountingLookup({})).deserialize(b"\x00\x00\x00\x00\x63\x02")


def test_lookup_errors_of_our_own_pass_through(avro: Callable[[Any], Schema]) -> None:
    def lookup(schema_id: int) -> Schema:
        raise NotFoundError(f"no schema with id {schema_id}")

    with pytest.raises(NotFoundError, match="no schema with id 5"):
        Deserializer(lookup).deserialize(b"\x00\x00\x00\x00\x05\x02")


def test_reader_of_another_format(avro: Callable[[Any], Schema], json_schema: Callable[[Any], Schema]) -> None:
    schema = avro(ORDER_AVRO)
    de = Deserializer(CountingLookup({1: schema}), reader=json_schema(ORDERS_SCHEMA))
    with pytest.raises(CodecError, match="avro schema id 1 cannot be read with a json-schema reader"):
        de.deserialize(Serializer(1, schema).serialize(ORDER))


def test_value_that_does_not_fit_is_refused_on_serialize(avro: Callable[[Any], Schema]) -> None:
    with pytest.raises(CodecError, match="quantity: expected int"):
        Serializer(1, avro(ORDER_AVRO)).serialize({**ORDER, "quantity": "two"})


def test_invalid_schema_id(avro: Callable[[Any], Schema]) -> None:
    with pytest.raises(WireFormatError, match="schema id must be an integer"):
        Serializer(-1, avro(ORDER_AVRO))


def test_shared_between_threads(avro: Callable[[Any], Schema]) -> None:
    schema = avro(ORDER_AVRO)
    ser, de = Serializer(1, schema), Deserializer(CountingLookup({1: schema}))
    failures: list[Any] = []

    def work(n: int) -> None:
        for i in range(300):
            value = {**ORDER, "order_id": f"o-{n}-{i}", "quantity": i}
            if de.deserialize(ser.serialize(value)) != value:
                failures.append(value)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
