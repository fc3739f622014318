"""Benchmark of streammesh's serde against the raw libraries, run in the same invocation.

Usage::

    .venv/bin/python benchmarks/schemas/bench_serde.py --events 200000

Prints two markdown tables.

1. **Throughput** (events/s) of streammesh's ``Serializer.serialize`` / ``Deserializer.deserialize``
   (codec + Confluent wire header, writer schema looked up by id) against the bare library call
   on the same ~100-byte records:

   * Avro (the target: ≥ 0.8x): ``BytesIO()`` + ``fastavro.schemaless_writer(buf, parsed, record)``
     + ``getvalue()``; ``fastavro.schemaless_reader(BytesIO(payload), parsed[, reader_parsed])``.
   * JSON Schema (for information): ``orjson.dumps`` / ``orjson.loads``.
   * Protobuf (for information): ``json_format.ParseDict`` + ``SerializeToString`` /
     ``ParseFromString`` + ``json_format.MessageToDict`` (with the codec's options) on the same
     message class.

2. **Validation on produce**: events/s of ``serialize`` alone and of ``schema.validate(value)``
   followed by ``serialize`` (what a producer does when it checks records structurally).

The inputs are generated up front and frozen out of the cyclic GC's view (``gc.freeze``). Rates
are measured in CPU time (``time.process_time``) so that a busy machine stealing the CPU does not
skew one side; each case alternates streammesh and baseline on slices of 10,000 events and counts
each slice's best time over ``--repeat`` rounds.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import sys
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from typing import Any

from machine import machine

if importlib.util.find_spec("streammesh") is None:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import orjson
from fastavro import schemaless_reader, schemaless_writer
from google.protobuf import json_format

from streammesh.schemas.avro_format import AvroFormat
from streammesh.schemas.base import Schema
from streammesh.schemas.codecs import Deserializer, Serializer, codec_for
from streammesh.schemas.codecs.protobuf import _TO_DICT_OPTIONS, ProtobufCodec
from streammesh.schemas.jsonschema_format import JsonSchemaFormat
from streammesh.schemas.protobuf_format import ProtobufFormat

ENUMS = {"currency": ["EUR", "USD", "GBP"], "status": ["PLACED", "PAID", "SHIPPED", "CANCELLED"]}
AVRO_V1: dict[str, Any] = {
    "type": "record",
    "name": "Order",
    "namespace": "sales",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer_id", "type": "string"},
        {"name": "customer_email", "type": "string"},
        {"name": "sku", "type": "string"},
        {"name": "quantity", "type": "int"},
        {"name": "unit_price", "type": "double"},
        {"name": "total", "type": "double"},
        {"name": "currency", "type": {"type": "enum", "name": "Currency", "symbols": ENUMS["currency"]}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ENUMS["status"]}},
        {"name": "channel", "type": "string"},
        {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "coupon", "type": ["null", "string"], "default": None},
    ],
}
# v2 adds a defaulted field and promotes quantity int -> long: decoding v1 events resolves both
AVRO_V2: dict[str, Any] = {
    **AVRO_V1,
    "fields": [
        *({**f, "type": "long"} if f["name"] == "quantity" else f for f in AVRO_V1["fields"]),
        {"name": "region", "type": "string", "default": "unknown"},
    ],
}
JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [f["name"] for f in AVRO_V1["fields"] if f["name"] != "coupon"],
    "additionalProperties": False,
    "properties": {
        "order_id": {"type": "string"},
        "customer_id": {"type": "string"},
        "customer_email": {"type": "string", "format": "email"},
        "sku": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1},
        "unit_price": {"type": "number"},
        "total": {"type": "number"},
        "currency": {"enum": ENUMS["currency"]},
        "status": {"enum": ENUMS["status"]},
        "channel": {"type": "string"},
        "placed_at": {"type": "integer"},
        "coupon": {"type": ["string", "null"]},
    },
}
PROTO = """
syntax = "proto3";
package sales;
enum Currency { EUR = 0; USD = 1; GBP = 2; }
enum Status { PLACED = 0; PAID = 1; SHIPPED = 2; CANCELLED = 3; }
message Order {
  string order_id = 1;
  string customer_id = 2;
  string customer_email = 3;
  string sku = 4;
  int32 quantity = 5;
  double unit_price = 6;
  double total = 7;
  Currency currency = 8;
  Status status = 9;
  string channel = 10;
  int64 placed_at = 11;
  optional string coupon = 12;
}
"""


def make_records(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` distinct order events whose Avro encoding is about 100 bytes."""
    rnd = random.Random(seed)
    first = ["ada", "grace", "alan", "edsger", "barbara", "donald", "frances", "ken"]
    last = ["lovelace", "hopper", "turing", "dijkstra", "liskov", "knuth", "allen", "thompson"]
    out = []
    for i in range(n):
        qty = rnd.randint(1, 9)
        price = round(rnd.uniform(1, 500), 2)
        out.append(
            {
                "order_id": f"ord-{i:010d}",
                "customer_id": f"cust-{rnd.randrange(100_000):05d}",
                "customer_email": f"{rnd.choice(first)}.{rnd.choice(last)}{rnd.randrange(100)}@example.com",
                "sku": f"SKU-{rnd.randrange(10_000):05d}-{rnd.choice('ABCDEFGH')}",
                "quantity": qty,
                "unit_price": price,
                "total": round(qty * price, 2),
                "currency": rnd.choice(ENUMS["currency"]),
                "status": rnd.choice(ENUMS["status"]),
                "channel": rnd.choice(["web", "mobile-app", "store", "partner-api"]),
                "placed_at": 1_700_000_000_000 + rnd.randrange(10**10),
                "coupon": rnd.choice([None, None, f"SPRING-{rnd.randrange(100):02d}"]),
            }
        )
    return out


SLICE = 10_000


def cpu_seconds(fn: Callable[[Any], Any], values: list[Any]) -> float:
    """CPU time of ``fn`` over ``values``: time spent descheduled on a shared machine does not count."""
    t0 = time.process_time()
    for v in values:
        fn(v)
    return time.process_time() - t0


def pair(
    ours: Callable[[Any], Any], ours_in: list[Any], raw: Callable[[Any], Any], raw_in: list[Any], repeat: int
) -> tuple[float, float]:
    """Events/s of ``ours`` and ``raw``: slices of ``SLICE`` events alternate between the two, and
    each slice counts with its best CPU time over ``repeat`` rounds, so drift and noise hit both alike."""
    starts = range(0, len(ours_in), SLICE)
    best_ours, best_raw = [float("inf")] * len(starts), [float("inf")] * len(starts)
    for _ in range(repeat):
        for i, at in enumerate(starts):
            best_ours[i] = min(best_ours[i], cpu_seconds(ours, ours_in[at : at + SLICE]))
            best_raw[i] = min(best_raw[i], cpu_seconds(raw, raw_in[at : at + SLICE]))
    return len(ours_in) / sum(best_ours), len(raw_in) / sum(best_raw)


def avro_cases(records: list[dict[str, Any]], repeat: int) -> list[tuple[str, float, float]]:
    v1, v2 = AvroFormat().load(AVRO_V1), AvroFormat().load(AVRO_V2)
    parsed, parsed_v2 = v1.parsed, v2.parsed

    def raw_write(record: dict[str, Any]) -> bytes:
        buf = BytesIO()
        schemaless_writer(buf, parsed, record)
        return buf.getvalue()

    ser = Serializer(1, v1)
    events = [ser.serialize(r) for r in records]
    payloads = [raw_write(r) for r in records]
    assert all(e[5:] == p for e, p in zip(events, payloads))
    lookup = {1: v1, 2: v2}.__getitem__
    plain, resolving = Deserializer(lookup), Deserializer(lookup, reader=v2)

    return [
        ("Avro encode (Serializer vs schemaless_writer)", *pair(ser.serialize, records, raw_write, records, repeat)),
        ("Avro decode (Deserializer vs schemaless_reader)", *pair(
            plain.deserialize, events, lambda p: schemaless_reader(BytesIO(p), parsed, None), payloads, repeat)),
        ("Avro decode v1 -> reader v2 (resolution)", *pair(
            resolving.deserialize, events, lambda p: schemaless_reader(BytesIO(p), parsed, parsed_v2), payloads,
            repeat)),
    ]  # fmt: skip


def json_cases(records: list[dict[str, Any]], repeat: int) -> list[tuple[str, float, float]]:
    schema = JsonSchemaFormat().load(JSON_SCHEMA)
    ser, de = Serializer(2, schema), Deserializer({2: schema}.__getitem__)
    events = [ser.serialize(r) for r in records]
    payloads = [orjson.dumps(r) for r in records]
    return [
        ("JSON Schema encode (vs orjson.dumps)", *pair(ser.serialize, records, orjson.dumps, records, repeat)),
        ("JSON Schema decode (vs orjson.loads)", *pair(de.deserialize, events, orjson.loads, payloads, repeat)),
    ]  # fmt: skip


def protobuf_cases(records: list[dict[str, Any]], repeat: int) -> list[tuple[str, float, float]]:
    schema = ProtobufFormat().load(PROTO, message="Order")
    codec = codec_for(schema)
    assert isinstance(codec, ProtobufCodec)
    cls = codec.message_class
    values = [{k: v for k, v in r.items() if v is not None} for r in records]
    ser, de = Serializer(3, schema), Deserializer({3: schema}.__getitem__)
    events = [ser.serialize(v) for v in values]

    def raw_encode(value: dict[str, Any]) -> bytes:
        msg = cls()
        json_format.ParseDict(value, msg)
        return msg.SerializeToString()

    payloads = [raw_encode(v) for v in values]

    def raw_decode(payload: bytes) -> dict[str, Any]:
        msg = cls()
        msg.ParseFromString(payload)
        return json_format.MessageToDict(msg, **_TO_DICT_OPTIONS)  # the same options as the codec

    return [
        ("Protobuf encode (vs ParseDict + SerializeToString)", *pair(
            ser.serialize, values, raw_encode, values, repeat)),
        ("Protobuf decode (vs ParseFromString + MessageToDict)", *pair(
            de.deserialize, events, raw_decode, payloads, repeat)),
    ]  # fmt: skip


def validation_cases(records: list[dict[str, Any]], repeat: int) -> list[tuple[str, float, float, float]]:
    rows = []
    schemas: list[tuple[str, Schema]] = [
        ("Avro", AvroFormat().load(AVRO_V1)),
        ("JSON Schema", JsonSchemaFormat().load(JSON_SCHEMA)),
    ]
    for label, schema in schemas:
        ser = Serializer(9, schema)
        serialize, validate = ser.serialize, schema.validate
        assert not any(validate(r) for r in records[:1000])

        def checked(
            value: dict[str, Any], _v: Callable[[Any], Any] = validate, _s: Callable[[Any], bytes] = serialize
        ) -> bytes:
            if _v(value):
                raise ValueError(value)
            return _s(value)

        plain, with_check = pair(serialize, records, checked, records, repeat)
        alone = len(records) / sum(
            min(cpu_seconds(validate, records[at : at + SLICE]) for _ in range(repeat))
            for at in range(0, len(records), SLICE)
        )
        rows.append((label, plain, with_check, alone))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="events per case (Avro and JSON)")
    parser.add_argument(
        "--protobuf-events",
        type=int,
        default=None,
        help="events per Protobuf and validation case (default: events / 4; they are slower)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    args = parser.parse_args()
    records = make_records(args.events)
    slow = records[: args.protobuf_events or max(1, args.events // 4)]
    gc.collect()
    gc.freeze()
    size = sum(len(codec_for(AvroFormat().load(AVRO_V1)).encode(r)) for r in records[:1000]) / min(1000, len(records))

    rows = [*avro_cases(records, args.repeat), *json_cases(records, args.repeat)]
    pb_rows = protobuf_cases(slow, args.repeat)
    validation = validation_cases(slow, args.repeat)

    print(f"machine: {machine()}; Avro payload {size:.0f} bytes on average\n")
    print("| case | events | streammesh (events/s) | baseline (events/s) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for label, ours, raw in rows:
        print(f"| {label} | {len(records):,} | {ours:,.0f} | {raw:,.0f} | {ours / raw:.2f}x |")
    for label, ours, raw in pb_rows:
        print(f"| {label} | {len(slow):,} | {ours:,.0f} | {raw:,.0f} | {ours / raw:.2f}x |")
    print()
    print(
        "| validation on produce | events | serialize only (events/s) | validate + serialize (events/s) "
        "| validate alone (events/s) | throughput kept |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, plain, checked, alone in validation:
        print(f"| {label} | {len(slow):,} | {plain:,.0f} | {checked:,.0f} | {alone:,.0f} | {checked / plain:.2f}x |")


if __name__ == "__main__":
    main()
