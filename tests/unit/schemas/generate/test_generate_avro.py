"""Avro types respected on purpose: primitives, enums, fixed, unions, maps, arrays and logical types; the
values also survive fastavro's binary encoder, which is stricter than its validator (decimal scale)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer

from streammesh.schemas import Schema
from streammesh.schemas.generation import generate_values
from tests.unit.schemas.generate.helpers import DAY_MS, NOW, NOW_MS

EVERYTHING = {
    "type": "record",
    "name": "Everything",
    "namespace": "com.example.test",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "small", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "ratio", "type": "float"},
        {"name": "score", "type": "double"},
        {"name": "blob", "type": "bytes"},
        {"name": "label", "type": "string"},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["ALPHA", "BETA", "GAMMA"]}},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 16}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {
            "name": "fixed_amount",
            "type": {"type": "fixed", "name": "Amt", "size": 5, "logicalType": "decimal", "precision": 10, "scale": 3},
        },
        {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "happened_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "happened_at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "time_of_day", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {
            "name": "home",
            "type": {
                "type": "record",
                "name": "Place",
                "fields": [{"name": "city", "type": "string"}, {"name": "country", "type": "string"}],
            },
        },
        {"name": "work", "type": ["null", "Place"], "default": None},
        {"name": "either", "type": ["null", "string", "int"], "default": None},
    ],
}


@pytest.fixture(scope="module")
def schema(avro_schema: Callable[[Any], Schema]) -> Schema:
    return avro_schema(EVERYTHING)


@pytest.fixture(scope="module")
def values(schema: Schema) -> list[dict[str, Any]]:
    return list(generate_values(schema, 300, seed=31, now=NOW))


def test_values_validate_and_round_trip_through_the_binary_encoding(
    schema: Schema, values: list[dict[str, Any]]
) -> None:
    parsed = schema.parsed  # type: ignore[attr-defined]
    for v in values:
        assert schema.validate(v) == []
        buf = io.BytesIO()
        schemaless_writer(buf, parsed, v)
        buf.seek(0)
        back = schemaless_reader(buf, parsed)
        assert back["amount"] == v["amount"] and back["kind"] == v["kind"]


def test_primitive_widths_and_enums(values: list[dict[str, Any]]) -> None:
    for v in values:
        assert -(2**31) <= v["small"] < 2**31 and isinstance(v["small"], int)
        assert isinstance(v["flag"], bool) and isinstance(v["blob"], bytes) and len(v["hash"]) == 16
    assert {v["kind"] for v in values} == {"ALPHA", "BETA", "GAMMA"}


def test_decimals_have_the_declared_scale_and_fit_the_precision(values: list[dict[str, Any]]) -> None:
    for v in values:
        assert isinstance(v["amount"], Decimal) and v["amount"].as_tuple().exponent == -2
        assert len(v["amount"].as_tuple().digits) <= 9
        assert v["fixed_amount"].as_tuple().exponent == -3


def test_logical_times_are_recent_epoch_values(values: list[dict[str, Any]]) -> None:
    for v in values:
        assert NOW_MS - 31 * DAY_MS <= v["happened_at"] <= NOW_MS
        assert NOW_MS - 31 * DAY_MS <= v["happened_at_us"] // 1000 <= NOW_MS
        assert NOW_MS // DAY_MS - 31 <= v["day"] <= NOW_MS // DAY_MS
        assert 0 <= v["time_of_day"] < DAY_MS
        assert uuid.UUID(v["ref"])


def test_arrays_maps_records_and_unions(values: list[dict[str, Any]]) -> None:
    assert {len(v["tags"]) for v in values} == {1, 2, 3, 4}
    assert {len(v["attrs"]) for v in values} == {1, 2, 3}
    assert all(set(v["home"]) == {"city", "country"} for v in values)
    work = [v["work"] for v in values]
    assert any(w is None for w in work) and any(isinstance(w, dict) for w in work)
    either = {type(v["either"]).__name__ for v in values}
    assert either == {"NoneType", "str", "int"}


def test_recursive_records_terminate(avro_schema: Callable[[Any], Schema]) -> None:
    schema = avro_schema(
        {
            "type": "record",
            "name": "Node",
            "fields": [{"name": "value", "type": "int"}, {"name": "next", "type": ["null", "Node"], "default": None}],
        }
    )
    for v in generate_values(schema, 50, seed=1):
        assert schema.validate(v) == []


def test_a_non_record_top_level_schema(avro_schema: Callable[[Any], Schema]) -> None:
    schema = avro_schema({"type": "array", "items": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}})
    for v in generate_values(schema, 20, seed=1):
        assert schema.validate(v) == [] and 1 <= len(v) <= 4
