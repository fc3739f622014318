"""The generated Avro column decoder reads what fastavro reads, for every shape it accepts."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime

import pytest
from fastavro import parse_schema, schemaless_writer

from streammesh.processing.runtime.avro_columns import compile_decoder

SCHEMA = parse_schema(
    {
        "type": "record",
        "name": "T",
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
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "attrs", "type": {"type": "map", "values": "long"}},
            {"name": "blob", "type": "bytes"},
            {"name": "fix", "type": {"type": "fixed", "name": "F", "size": 3}},
            {
                "name": "addr",
                "type": {
                    "type": "record",
                    "name": "Addr",
                    "fields": [{"name": "city", "type": "string"}, {"name": "zip", "type": ["null", "int"]}],
                },
            },
            {"name": "opt_addr", "type": ["null", "Addr"]},
            {"name": "wide", "type": ["null", "long", "string"]},
        ],
    }
)


def _value(rng: random.Random) -> dict:
    return {
        "id": rng.randint(-(2**62), 2**62),
        "small": rng.randint(-5, 300),
        "name": "é" * rng.randint(0, 3) + "x",
        "maybe": rng.choice([None, "yes", ""]),
        "maybe_last": rng.choice([None, 1.5, -2.25]),
        "flag": rng.random() < 0.5,
        "ratio": 0.5,
        "kind": rng.choice("ABC"),
        "at": datetime.fromtimestamp(rng.randint(0, 2_000_000_000), UTC),
        "day": rng.randint(0, 20000),
        "tags": ["a"] * rng.randint(0, 3),
        "attrs": {"k": 1} if rng.random() < 0.5 else {},
        "blob": b"\x00\x01",
        "fix": b"abc",
        "addr": {"city": "Bern", "zip": rng.choice([None, 3000])},
        "opt_addr": rng.choice([None, {"city": "Zug", "zip": None}]),
        "wide": rng.choice([None, 5, "s"]),
    }


def _encode(value: dict) -> bytes:
    buf = io.BytesIO()
    buf.write(b"\x00\x00\x00\x00\x07")
    schemaless_writer(buf, SCHEMA, value)
    return buf.getvalue()


def test_decoded_columns_equal_fastavro_values():
    rng = random.Random(5)
    values = [_value(rng) for _ in range(300)]
    wanted = [
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
        "blob",
        "missing",
    ]
    dec = compile_decoder(SCHEMA, wanted, {"missing": 42})
    assert dec is not None
    assert dec.raw[wanted.index("at")] == "ms" and dec.raw[wanted.index("day")] == "days"
    cols: list[list] = [[] for _ in wanted]
    errors: list = []
    dec.decode([_encode(v) for v in values], cols, errors)
    assert errors == []
    for i, v in enumerate(values):
        flat = {
            **v,
            "addr.city": v["addr"]["city"],
            "addr.zip": v["addr"]["zip"],
            "opt_addr.city": (v["opt_addr"] or {}).get("city"),
            "opt_addr.zip": (v["opt_addr"] or {}).get("zip"),
            "at": int(v["at"].timestamp() * 1000),
            "missing": 42,
        }
        for j, path in enumerate(wanted):
            expected = flat[path]
            assert cols[j][i] == pytest.approx(expected) if isinstance(expected, float) else cols[j][i] == expected, (
                path
            )


def test_broken_payloads_are_reported_not_decoded():
    good = _encode(_value(random.Random(1)))
    dec = compile_decoder(SCHEMA, ["id", "name"])
    cols: list[list] = [[], []]
    errors: list = []
    dec.decode([good, good[:12], good + b"\x00", good], cols, errors)  # type: ignore[union-attr]
    assert [i for i, _ in errors] == [1, 2]
    assert "bytes left" in errors[1][1]
    assert len(cols[0]) == len(cols[1]) == 2


@pytest.mark.parametrize("wanted", [["tags"], ["addr"], ["wide"], ["fix"]])
def test_shapes_it_cannot_take_fall_back(wanted):
    assert compile_decoder(SCHEMA, wanted) is None
