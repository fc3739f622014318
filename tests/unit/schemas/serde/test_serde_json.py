"""JSON Schema codec: UTF-8 JSON payloads."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from streammesh.schemas.codecs import CodecError, codec_for
from streammesh.schemas.codecs.json_schema import JsonSchemaCodec
from streammesh.schemas.jsonschema_format import JsonSchema
from tests.factories import ORDERS_SCHEMA

JsonSchemaOf = Callable[[Any], JsonSchema]


def test_round_trip_nested_values(json_schema: JsonSchemaOf) -> None:
    codec = codec_for(json_schema(ORDERS_SCHEMA))
    assert isinstance(codec, JsonSchemaCodec)
    value = {"order_id": "o-1", "total": 12.5, "lines": [{"sku": "a", "qty": 2}], "meta": {"gift": True, "note": None}}
    assert codec.decode(codec.encode(value)) == value


def test_payload_is_compact_utf8_json(json_schema: JsonSchemaOf) -> None:
    codec = codec_for(json_schema(ORDERS_SCHEMA))
    assert codec.encode({"city": "Zürich", "n": 1}) == '{"city":"Zürich","n":1}'.encode()
    assert codec.framer(b"\x00\x00\x00\x00\x01")([1]) == b"\x00\x00\x00\x00\x01[1]"


def test_python_values_json_cannot_hold_natively(json_schema: JsonSchemaOf) -> None:
    codec = codec_for(json_schema(ORDERS_SCHEMA))
    at = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    payload = codec.encode({"placed_at": at, "id": uuid.UUID(int=1), "day": dt.date(2024, 5, 1)})
    assert codec.decode(payload) == {
        "placed_at": "2024-05-01T12:00:00+00:00",
        "id": "00000000-0000-0000-0000-000000000001",
        "day": "2024-05-01",
    }


def test_decode_from_a_view_and_a_whole_event(json_schema: JsonSchemaOf) -> None:
    codec = codec_for(json_schema(ORDERS_SCHEMA))
    data = b"\x00\x00\x00\x00\x02" + b'{"a":1}'
    assert codec.decode(memoryview(data)[5:]) == {"a": 1}
    assert codec.event_reader(writer=codec.schema, reader=None)(data) == {"a": 1}


def test_unencodable_value(json_schema: JsonSchemaOf) -> None:
    with pytest.raises(CodecError, match="cannot be written as JSON"):
        codec_for(json_schema(ORDERS_SCHEMA)).encode({"x": object()})


def test_invalid_payload(json_schema: JsonSchemaOf) -> None:
    with pytest.raises(CodecError, match="not valid UTF-8 JSON"):
        codec_for(json_schema(ORDERS_SCHEMA)).decode(b"\xff{")
