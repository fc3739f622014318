"""Pure helpers of the producer: keys from key fields, event times from the timestamp field."""

from __future__ import annotations

import pytest

from streammesh.contracts.durations import format_duration, parse_duration
from streammesh.exceptions import ValidationError
from streammesh.schemas.keys import event_time_ms, key_of
from streammesh.schemas.serde import encode_key


def test_key_of_single_composite_and_nested():
    value = {"order_id": "O1", "line": 3, "customer": {"id": "C9"}}
    assert key_of(value, ["order_id"]) == "O1"
    assert key_of(value, ["order_id", "line"]) == ["O1", 3]
    assert key_of(value, ["customer.id"]) == "C9"
    assert key_of(value, []) is None
    assert encode_key(["O1", 3]) == b'["O1",3]' and encode_key(42) == b"42" and encode_key("é") == "é".encode()


def test_event_time_from_iso_and_epochs():
    assert event_time_ms({"t": "2026-11-22T10:00:00Z"}, "t") == 1795341600000
    assert event_time_ms({"t": 1795341600000}, "t") == 1795341600000
    assert event_time_ms({"t": 1795341600}, "t") == 1795341600000
    assert event_time_ms({"t": None}, "t") is None and event_time_ms({"t": 1}, None) is None
    with pytest.raises(ValidationError, match="not an ISO-8601 time"):
        event_time_ms({"t": "yesterday"}, "t")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("7d", 604800),
        ("2w", 1209600),
        ("PT5M", 300),
        ("P1DT2H", 93600),
        (90, 90),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("bad", ["soon", "5 parsecs", "", "P", True])
def test_parse_duration_rejects_with_examples(bad):
    with pytest.raises(ValueError, match="write e.g.|boolean"):
        parse_duration(bad)


def test_format_duration_round_trips():
    for text in ["500ms", "30s", "5m", "1h30m", "30d"]:
        assert format_duration(parse_duration(text)) == text


def test_dump_json_handles_decoded_avro_and_protobuf_types():
    from datetime import UTC, datetime
    from decimal import Decimal

    import orjson

    from streammesh.schemas.serde import dump_json

    value = {
        "price": Decimal("12.50"),
        "blob": b"\x00\x01",
        "tags": {"b", "a"},
        "at": datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
    }
    assert orjson.loads(dump_json(value)) == {
        "price": "12.50",
        "blob": "AAE=",
        "tags": ["a", "b"],
        "at": "2026-11-22T10:00:00+00:00",
    }
    with pytest.raises(TypeError):
        dump_json({"x": object()})


def test_key_extractor_matches_key_of():
    from streammesh.schemas.keys import key_extractor

    value = {"order_id": "O1", "line": 3, "customer": {"id": "C9"}}
    for fields in (["order_id"], ["order_id", "line"], ["customer.id"], ["missing"]):
        assert key_extractor(fields)(value) == key_of(value, fields)
    assert key_extractor(["order_id"])("not a dict") is None
