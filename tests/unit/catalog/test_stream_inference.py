"""Schema inference from sampled events, key suggestion and which streams count as internal."""

from __future__ import annotations

import pytest

from streammesh.catalog.streams import _fields, infer_json_schema, is_internal_stream, suggest_key
from streammesh.contracts.model import SchemaSpec
from streammesh.schemas import load_schema


def test_scalar_types_and_required_fields():
    schema = infer_json_schema([{"id": "a", "n": 1, "ok": True, "x": 1.5}, {"id": "b", "n": 2, "ok": False}])
    assert schema["type"] == "object"
    assert schema["properties"] == {
        "id": {"type": "string"},
        "n": {"type": "integer"},
        "ok": {"type": "boolean"},
        "x": {"type": "number"},
    }
    assert schema["required"] == ["id", "n", "ok"]  # x is missing from one sample


def test_integers_and_floats_widen_to_number_and_null_makes_it_nullable():
    schema = infer_json_schema([{"v": 1, "note": "a"}, {"v": 2.5, "note": None}])
    assert schema["properties"]["v"] == {"type": "number"}
    assert schema["properties"]["note"] == {"type": ["string", "null"]}
    assert schema["required"] == ["v", "note"]  # present (even as null) in every sample


@pytest.mark.parametrize(
    "value", ["2026-11-02T10:00:00Z", "2026-11-02T10:00:00.123+01:00", "2026-11-02 10:00:00", "2026-11-02T10:00"]
)
def test_iso_timestamps_get_date_time_format(value):
    assert infer_json_schema([{"at": value}])["properties"]["at"] == {"type": "string", "format": "date-time"}


def test_a_single_non_timestamp_string_drops_the_format():
    assert "format" not in infer_json_schema([{"at": "2026-11-02T10:00:00Z"}, {"at": "yesterday"}])["properties"]["at"]


def test_nested_objects_and_arrays():
    schema = infer_json_schema(
        [
            {"customer": {"id": "C1", "address": {"city": "Lyon"}}, "lines": [{"sku": "S1", "qty": 1}], "tags": ["a"]},
            {"customer": {"id": "C2"}, "lines": [{"sku": "S2", "qty": 2, "gift": True}], "tags": []},
        ]
    )
    customer = schema["properties"]["customer"]
    assert customer["type"] == "object" and customer["required"] == ["id"]
    assert customer["properties"]["address"]["properties"]["city"] == {"type": "string"}
    lines = schema["properties"]["lines"]
    assert lines["type"] == "array"
    assert lines["items"]["properties"]["qty"] == {"type": "integer"}
    assert lines["items"]["required"] == ["sku", "qty"]
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    paths = [f["path"] for f in _fields(schema)]
    assert paths == [
        "customer",
        "customer.id",
        "customer.address",
        "customer.address.city",
        "lines",
        "lines[].sku",
        "lines[].qty",
        "lines[].gift",
        "tags",
    ]


def test_empty_arrays_and_no_samples():
    assert infer_json_schema([{"xs": []}])["properties"]["xs"] == {"type": "array", "items": {}}
    assert infer_json_schema([]) == {}


def test_inferred_schema_is_a_valid_contract_schema_that_accepts_the_samples():
    samples = [
        {"id": "a", "at": "2026-11-02T10:00:00Z", "amount": 3, "meta": {"src": "web"}, "x": None},
        {"id": "b", "at": "2026-11-03T10:00:00Z", "amount": 4.5, "meta": {"src": "app"}, "x": 1},
    ]
    schema = load_schema(SchemaSpec(format="json-schema", definition=infer_json_schema(samples)))
    assert all(schema.validate(s) == [] for s in samples)
    assert schema.validate({"id": 1, "at": "x", "amount": 1, "meta": {"src": "web"}, "x": None})  # wrong type


def test_fields_mark_nullable_and_date_time():
    fields = {
        f["path"]: f
        for f in _fields(
            infer_json_schema([{"at": "2026-11-02T10:00:00Z", "n": None}, {"at": "2026-11-02T10:00:00Z", "n": 2}])
        )
    }
    assert fields["at"] == {"path": "at", "type": "date-time", "required": True}
    assert fields["n"]["type"] == "integer?"


def test_suggested_key_matches_record_keys():
    values = [{"order_id": "O1", "customer_id": "C1", "n": 1}, {"order_id": "O2", "customer_id": "C1", "n": 2}]
    assert suggest_key(values, ["O1", "O2"]) == ["order_id"]
    assert suggest_key(values, [None, None]) == []
    assert suggest_key(values, ["x", "y"]) == []
    assert suggest_key([{"n": 7, "user_id": 7}], ["7"]) == ["user_id"]  # the *id field wins a tie


@pytest.mark.parametrize(
    ("name", "internal"),
    [
        ("sales.orders", False),
        ("sales.orders.dlq", True),
        ("__consumer_offsets", True),
        ("_schemas", True),
        ("app-agg-changelog", True),
        ("app-x-repartition", True),
        ("web.clicks", False),
    ],
)
def test_internal_streams(name, internal):
    assert is_internal_stream(name) is internal
