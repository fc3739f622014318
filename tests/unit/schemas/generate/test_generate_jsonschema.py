"""JSON Schema keywords respected on purpose: enums, ranges, patterns, const, formats, combinators, $ref."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from streammesh.schemas import Schema
from streammesh.schemas.generation import generate_values
from tests.unit.schemas.generate.helpers import NOW

EVERYTHING: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Everything",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "code",
        "sku",
        "cust",
        "kind",
        "qty",
        "price",
        "step",
        "even",
        "nick",
        "tags",
        "when",
        "day",
        "contact",
        "site",
        "ref",
        "ip",
        "fixed",
        "choice",
        "money",
        "addr",
        "meta",
        "maybe",
        "pair",
    ],
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "sku": {"type": "string", "pattern": "^SKU-\\d{4}$"},
        "cust": {"type": "string", "pattern": "^C\\d{6}$"},
        "kind": {"enum": ["alpha", "beta", "gamma"]},
        "qty": {"type": "integer", "minimum": 10, "maximum": 20},
        "price": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "step": {"type": "number", "multipleOf": 0.25, "minimum": 0, "maximum": 10},
        "even": {"type": "integer", "multipleOf": 2, "minimum": 3, "maximum": 9},
        "nick": {"type": "string", "minLength": 5, "maxLength": 8},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 3, "uniqueItems": True},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "contact": {"type": "string", "format": "email"},
        "site": {"type": "string", "format": "uri"},
        "ref": {"type": "string", "format": "uuid"},
        "ip": {"type": "string", "format": "ipv4"},
        "fixed": {"const": "v1"},
        "choice": {"oneOf": [{"type": "integer"}, {"type": "string", "format": "date"}]},
        "money": {"anyOf": [{"$ref": "#/$defs/Money"}, {"type": "null"}]},
        "addr": {"$ref": "#/$defs/Address"},
        "meta": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
        "maybe": {"type": ["string", "null"]},
        "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}], "items": False},
        "note": {"type": "string", "maxLength": 30},
        "rank": {"type": "integer", "minimum": -5, "maximum": -1},
    },
    "$defs": {
        "Money": {
            "type": "object",
            "additionalProperties": False,
            "required": ["amount", "currency"],
            "properties": {
                "amount": {"type": "number", "minimum": 0},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            },
        },
        "Address": {
            "type": "object",
            "required": ["city", "country"],
            "properties": {
                "city": {"type": "string"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "line2": {"type": "string"},
            },
        },
    },
}


@pytest.fixture(scope="module")
def values(json_schema: Callable[[dict[str, Any]], Schema]) -> list[dict[str, Any]]:
    return list(generate_values(json_schema(EVERYTHING), 300, seed=21, now=NOW))


def test_values_pass_the_stricter_format_checking_validator(values: list[dict[str, Any]]) -> None:
    strict = Draft202012Validator(EVERYTHING, format_checker=FormatChecker())
    errors = [e.message for v in values for e in strict.iter_errors(v)]
    assert errors == []


def test_patterns(values: list[dict[str, Any]]) -> None:
    for v in values:
        assert re.fullmatch(r"[A-Z]{3}", v["code"])
        assert re.fullmatch(r"SKU-\d{4}", v["sku"])
        assert re.fullmatch(r"C\d{6}", v["cust"])
    assert len({v["code"] for v in values}) > 200


def test_enum_values_are_all_used_and_nothing_else(values: list[dict[str, Any]]) -> None:
    assert set(Counter(v["kind"] for v in values)) == {"alpha", "beta", "gamma"}


def test_ranges_inclusive_exclusive_and_multiples(values: list[dict[str, Any]]) -> None:
    qty = [v["qty"] for v in values]
    assert min(qty) == 10 and max(qty) == 20 and all(isinstance(q, int) for q in qty)
    assert all(0 < v["price"] < 1 for v in values)
    assert all(0 <= v["step"] <= 10 and (v["step"] * 4).is_integer() for v in values)
    assert {v["even"] for v in values} == {4, 6, 8}
    assert all(-5 <= v["rank"] <= -1 for v in values if "rank" in v)


def test_lengths_and_arrays(values: list[dict[str, Any]]) -> None:
    for v in values:
        assert 5 <= len(v["nick"]) <= 8
        assert 2 <= len(v["tags"]) <= 3 and len(set(v["tags"])) == len(v["tags"])
        assert len(v.get("note", "")) <= 30
        assert isinstance(v["pair"][0], int) and isinstance(v["pair"][1], bool) and len(v["pair"]) == 2


def test_formats(values: list[dict[str, Any]]) -> None:
    for v in values:
        assert datetime.fromisoformat(v["when"]).tzinfo is not None and v["when"].endswith("Z")
        date.fromisoformat(v["day"])
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", v["contact"])
        assert v["site"].startswith("https://")
        assert uuid.UUID(v["ref"]).version == 4
        assert not ipaddress.IPv4Address(v["ip"]).is_private


def test_const_one_of_any_of_and_refs(values: list[dict[str, Any]]) -> None:
    assert {v["fixed"] for v in values} == {"v1"}
    kinds = Counter(type(v["choice"]).__name__ for v in values)
    assert set(kinds) == {"int", "str"}
    money = [v["money"] for v in values]
    assert any(m is None for m in money) and sum(m is not None for m in money) > 200
    assert all(re.fullmatch(r"[A-Z]{3}", m["currency"]) for m in money if m)
    assert all(re.fullmatch(r"[A-Z]{2}", v["addr"]["country"]) for v in values)


def test_maps_and_nullable_and_optional(values: list[dict[str, Any]]) -> None:
    assert all(1 <= len(v["meta"]) <= 3 and all(x >= 0 for x in v["meta"].values()) for v in values)
    nulls = sum(v["maybe"] is None for v in values)
    assert 15 < nulls < 100
    present = sum("note" in v for v in values)
    assert 180 < present < 290, "optional properties are present most of the time, not always"
    line2 = sum("line2" in v["addr"] for v in values)
    assert 0 < line2 < 300


def test_all_of_merges_parts(json_schema: Callable[[dict[str, Any]], Schema]) -> None:
    schema = json_schema(
        {
            "$defs": {
                "Base": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "string", "format": "uuid"}},
                }
            },
            "allOf": [
                {"$ref": "#/$defs/Base"},
                {"required": ["score"], "properties": {"score": {"type": "integer", "minimum": 90}}},
            ],
            "unevaluatedProperties": False,
        }
    )
    for v in generate_values(schema, 100, seed=1):
        assert schema.validate(v) == []
        assert uuid.UUID(v["id"]) and v["score"] >= 90


def test_recursive_schemas_terminate(json_schema: Callable[[dict[str, Any]], Schema]) -> None:
    schema = json_schema(
        {
            "type": "object",
            "required": ["name", "children"],
            "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
        }
    )
    for v in generate_values(schema, 20, seed=2):
        assert schema.validate(v) == []


def test_one_of_with_overlapping_branches_picks_a_value_matching_exactly_one(
    json_schema: Callable[[dict[str, Any]], Schema],
) -> None:
    schema = json_schema(
        {"oneOf": [{"type": "number", "minimum": 0, "maximum": 100}, {"type": "integer", "minimum": 50, "maximum": 60}]}
    )
    for v in generate_values(schema, 200, seed=8):
        assert schema.validate(v) == []


def test_scalars_at_the_top_level(json_schema: Callable[[dict[str, Any]], Schema]) -> None:
    schema = json_schema({"type": "string", "pattern": "^(GB|DE|FR)-[a-z0-9]{2,5}$"})
    values = list(generate_values(schema, 100, seed=3))
    assert all(re.fullmatch(r"(GB|DE|FR)-[a-z0-9]{2,5}", v) for v in values)
    assert {v[:2] for v in values} == {"GB", "DE", "FR"}
