"""streammesh and Confluent's serializers read each other's bytes, through ``streammesh serve``."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import json_format
from google.protobuf.message_factory import GetMessageClass

from streammesh.log.base import OutgoingRecord
from streammesh.schemas.codecs.protobuf_descriptors import build_file
from tests.factories import ORDERS_SCHEMA, contract_dict
from tests.servers import serve

AVRO_ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer_email", "type": "string"},
        {"name": "total", "type": "double"},
        {"name": "items", "type": {"type": "array", "items": "string"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
PROTO_ORDER = """syntax = "proto3";
package shop;
// An order, as the shop's checkout emits it.
message Order {
  string order_id = 1;
  string customer_email = 2;
  double total = 3;
  repeated string items = 4;
  int64 placed_at = 5;
}
"""
VALUES = {
    "avro": [
        {
            "order_id": f"O{i}",
            "customer_email": f"c{i}@example.com",
            "total": i * 1.5,
            "items": ["a", "b"],
            "note": None if i % 2 else "gift",
        }
        for i in range(5)
    ],
    "json-schema": [
        {
            "order_id": f"O{i}",
            "customer_id": "C1",
            "customer_email": f"c{i}@example.com",
            "total": i * 1.5,
            "status": "placed",
        }
        for i in range(5)
    ],
    "protobuf": [
        {
            "order_id": f"O{i}",
            "customer_email": f"c{i}@example.com",
            "total": i * 1.5,
            "items": ["a"],
            "placed_at": 1_795_000_000_000 + i,
        }
        for i in range(5)
    ],
}


def _contract(fmt: str) -> dict:
    definition = {"avro": AVRO_ORDER, "json-schema": ORDERS_SCHEMA, "protobuf": PROTO_ORDER}[fmt]
    return contract_dict(schema={"format": fmt, "definition": definition}, timestamp_field=None)


def _proto_class():
    _pool, _proto, file = build_file(PROTO_ORDER)
    return GetMessageClass(file.message_types_by_name["Order"])


def _confluent(fmt: str, client: SchemaRegistryClient):
    """(serialize(dict) -> bytes, deserialize(bytes) -> dict) made of Confluent's own classes."""
    if fmt == "avro":
        ser = AvroSerializer(client, json.dumps(AVRO_ORDER), conf={"auto.register.schemas": True})
        de = AvroDeserializer(client)
        return ser, de
    if fmt == "json-schema":
        ser = JSONSerializer(json.dumps(ORDERS_SCHEMA), client)
        de = JSONDeserializer(json.dumps(ORDERS_SCHEMA), schema_registry_client=client)
        return ser, de
    cls = _proto_class()
    ser = ProtobufSerializer(cls, client, {"use.deprecated.format": False})
    de = ProtobufDeserializer(cls, {"use.deprecated.format": False})
    return (
        lambda v, ctx: ser(json_format.ParseDict(v, cls()), ctx),
        lambda b, ctx: json_format.MessageToDict(
            de(b, ctx), preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        ),
    )


def _normal(fmt: str, value: dict) -> dict:
    if fmt == "protobuf":  # protobuf's JSON mapping writes int64 as a string
        return {**value, "placed_at": int(value["placed_at"])}
    return value


@pytest.mark.parametrize("fmt", ["avro", "json-schema", "protobuf"])
def test_confluent_reads_what_streammesh_writes_and_back(mesh, fmt):
    mesh.publish(_contract(fmt))
    values = VALUES[fmt]
    with serve(mesh.workspace) as url:
        client = SchemaRegistryClient({"url": url})
        serialize, deserialize = _confluent(fmt, client)
        ctx = SerializationContext("sales.orders", MessageField.VALUE)

        # streammesh writes; Confluent's deserializer reads the bytes from the log
        with mesh.producer("sales.orders") as p:
            for v in values:
                p.send(None, v)
        with mesh.log.consumer(["sales.orders"]) as raw:
            records = raw.poll(max_records=100, timeout=1.0)
        decoded = sorted((_normal(fmt, deserialize(r.value, ctx)) for r in records), key=lambda v: v["order_id"])
        assert decoded == values

        # Confluent's serializer writes; streammesh's consumer decodes
        mesh.log.append(
            "sales.orders", [OutgoingRecord(value=serialize(v, ctx), key=v["order_id"].encode()) for v in values]
        )
        seen = [_normal(fmt, e.value) for e in mesh.consumer("sales.orders", from_beginning=True)]
        assert sorted(seen, key=lambda v: v["order_id"]) == sorted(values * 2, key=lambda v: v["order_id"])
