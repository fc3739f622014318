"""The vectorised Avro decoder yields exactly what the per-record decoder yields, and refuses what it cannot
read (a torn or foreign record, an unsupported schema) instead of guessing."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime

import pyarrow as pa
import pytest
from fastavro import parse_schema, schemaless_writer

from streammesh.processing.runtime.avro_columns import compile_decoder
from streammesh.processing.runtime.avro_vector import compile_vector_decoder

SCHEMA = parse_schema(
    {
        "type": "record",
        "name": "V",
        "namespace": "x",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "small", "type": "int"},
            {"name": "name", "type": "string"},
            {"name": "maybe", "type": ["null", "string"]},
            {"name": "maybe_last", "type": ["double", "null"]},
            {"name": "flag", "type": "boolean"},
            {"name": "ratio", "type": "float"},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B", "C"]}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "fix", "type": {"type": "fixed", "name": "F", "size": 3}},
            {"name": "skipped", "type": "string"},
            {
                "name": "addr",
                "type": {
                    "type": "record",
                    "name": "Addr",
                    "fields": [{"name": "city", "type": "string"}, {"name": "zip", "type": ["null", "int"]}],
                },
            },
            {"name": "opt_addr", "type": ["null", "Addr"]},
            {"name": "never", "type": ["null", "long"]},
        ],
    }
)

WANTED = [
    "id",
    "small",
    "name",
    "maybe",
    "maybe_last",
    "flag",
    "ratio",
    "kind",
    "at",
    "day",
    "addr.city",
    "addr.zip",
    "opt_addr.city",
    "opt_addr.zip",
    "never",
    "missing",
]
TYPES = [
    "int",
    "int",
    "string",
    "string",
    "double",
    "boolean",
    "double",
    "string",
    "timestamp",
    "date",
    "string",
    "int",
    "string",
    "int",
    "int",
    "int",
]


def _value(rng: random.Random) -> dict:
    return {
        "id": rng.randint(-(2**62), 2**62),
        "small": rng.randint(-70000, 70000),
        "name": "é" * rng.randint(0, 3) + "x" * rng.randint(0, 40),
        "maybe": rng.choice([None, "yes", ""]),
        "maybe_last": rng.choice([None, 1.5, -2.25, 1e300]),
        "flag": rng.random() < 0.5,
        "ratio": rng.choice([0.5, -3.25]),
        "kind": rng.choice("ABC"),
        "at": datetime.fromtimestamp(rng.randint(0, 2_000_000_000), UTC),
        "day": rng.randint(0, 20000),
        "fix": b"abc",
        "skipped": "s" * rng.randint(0, 200),
        "addr": {"city": rng.choice(["Bern", "Zürich"]), "zip": rng.choice([None, 3000, 8001])},
        "opt_addr": rng.choice([None, {"city": "Zug", "zip": None}, {"city": "Chur", "zip": 7000}]),
        "never": None,
    }


def _encode(value: dict, schema=SCHEMA) -> bytes:
    buf = io.BytesIO()
    buf.write(b"\x00\x00\x00\x00\x07")
    schemaless_writer(buf, schema, value)
    return buf.getvalue()


def _per_record(values: list[bytes]) -> list[list]:
    dec = compile_decoder(SCHEMA, WANTED, {"missing": 42})
    assert dec is not None
    columns: list[list] = [[] for _ in WANTED]
    errors: list = []
    dec.decode(values, columns, errors)
    assert errors == []
    return columns


def test_vector_columns_equal_the_per_record_decoder():
    rng = random.Random(11)
    values = [_encode(_value(rng)) for _ in range(500)]
    vec = compile_vector_decoder(SCHEMA, WANTED, TYPES, {"missing": 42})
    assert vec is not None
    arrays = vec.decode(values)
    assert arrays is not None
    expected = _per_record(values)
    for path, array, column in zip(WANTED, arrays, expected):
        assert isinstance(array, pa.Array)
        got = array.to_pylist()
        if path == "ratio":
            got = [float(x) for x in got]
        assert got == column, path
    assert vec.raw == tuple("ms" if p == "at" else "days" if p == "day" else "value" for p in WANTED)
    assert arrays[WANTED.index("never")].null_count == 500


@pytest.mark.parametrize("damage", ["truncate", "extra", "garbage"])
def test_a_damaged_record_refuses_the_batch(damage):
    rng = random.Random(2)
    values = [_encode(_value(rng)) for _ in range(50)]
    bad = values[17]
    values[17] = {"truncate": bad[:-3], "extra": bad + b"\x00", "garbage": bad[:5] + b"\xff" * 40}[damage]
    vec = compile_vector_decoder(SCHEMA, WANTED, TYPES)
    assert vec is not None and vec.decode(values) is None


def test_invalid_utf8_refuses_the_batch():
    rng = random.Random(4)
    value = _value(rng)
    value["name"] = "abc"
    raw = bytearray(_encode(value))
    at = raw.index(b"abc")
    raw[at] = 0xFF
    vec = compile_vector_decoder(SCHEMA, WANTED, TYPES)
    assert vec is not None and vec.decode([bytes(raw)] * 40) is None


@pytest.mark.parametrize(
    "field",
    [
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "wide", "type": ["null", "long", "string"]},
        {"name": "blob", "type": "bytes"},
    ],
)
def test_shapes_it_cannot_vectorise_are_left_to_the_per_record_decoder(field):
    schema = parse_schema({"type": "record", "name": "W", "fields": [{"name": "id", "type": "long"}, field]})
    assert compile_vector_decoder(schema, ["id"], ["int"]) is None


def test_a_column_of_another_sql_type_is_left_to_the_per_record_decoder():
    assert compile_vector_decoder(SCHEMA, ["name"], ["int"]) is None
