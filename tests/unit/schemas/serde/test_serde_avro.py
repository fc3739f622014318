"""Avro codec: fastavro's schemaless encoding, resolution to a reader's schema, and clear errors."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastavro import schemaless_writer

from streammesh.schemas.avro_format import AvroSchema
from streammesh.schemas.codecs import CodecError, codec_for
from streammesh.schemas.codecs.avro import AvroCodec
from tests.unit.schemas.serde.samples import ORDER_AVRO

Avro = Callable[[Any], AvroSchema]

NESTED: dict[str, Any] = {
    "type": "record",
    "name": "Shipment",
    "namespace": "fulfilment",
    "fields": [
        {"name": "id", "type": "string"},
        {
            "name": "address",
            "type": {
                "type": "record",
                "name": "Address",
                "fields": [{"name": "city", "type": "string"}, {"name": "zip", "type": ["null", "string"]}],
            },
        },
        {
            "name": "parcels",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Parcel",
                    "fields": [
                        {"name": "weight_g", "type": "int"},
                        {"name": "tags", "type": {"type": "array", "items": "string"}},
                    ],
                },
            },
        },
        {"name": "attributes", "type": {"type": "map", "values": "long"}},
        {"name": "carrier", "type": {"type": "enum", "name": "Carrier", "symbols": ["DHL", "UPS", "POST"]}},
        {"name": "return_to", "type": ["null", "Address"], "default": None},
        {"name": "checksum", "type": {"type": "fixed", "name": "Md5", "size": 4}},
        {"name": "raw", "type": "bytes"},
        {"name": "insured", "type": "boolean"},
        {"name": "ratio", "type": "float"},
    ],
}

LOGICAL: dict[str, Any] = {
    "type": "record",
    "name": "Payment",
    "fields": [
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "time", "type": {"type": "int", "logicalType": "time-millis"}},
    ],
}


def _shipment() -> dict[str, Any]:
    return {
        "id": "shp-1",
        "address": {"city": "Lyon", "zip": None},
        "parcels": [{"weight_g": 1200, "tags": ["fragile"]}, {"weight_g": 5, "tags": []}],
        "attributes": {"floor": 3, "big": 2**40},
        "carrier": "UPS",
        "return_to": {"city": "Gent", "zip": "9000"},
        "checksum": b"\x01\x02\x03\x04",
        "raw": b"\x00\xff",
        "insured": True,
        "ratio": 0.5,
    }


def test_round_trip_nested_records_arrays_maps_enums_unions(avro: Avro) -> None:
    schema = avro(NESTED)
    codec = codec_for(schema)
    value = _shipment()
    assert codec.decode(codec.encode(value)) == value


def test_null_union_branch(avro: Avro) -> None:
    codec = codec_for(avro(NESTED))
    value = {**_shipment(), "return_to": None}
    assert codec.decode(codec.encode(value))["return_to"] is None


def test_logical_types_as_fastavro_handles_them(avro: Avro) -> None:
    codec = codec_for(avro(LOGICAL))
    at = dt.datetime(2024, 5, 1, 12, 30, 15, 123000, tzinfo=dt.UTC)
    value = {
        "at": at,
        "at_us": dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=dt.UTC),
        "day": dt.date(2024, 5, 1),
        "amount": Decimal("1234.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "time": dt.time(8, 15, 0, 250000),
    }
    assert codec.decode(codec.encode(value)) == value
    # a uuid given as text reads back as a UUID
    assert codec.decode(codec.encode({**value, "id": "12345678-1234-5678-1234-567812345678"}))["id"] == value["id"]


def test_payload_is_exactly_fastavros_schemaless_bytes(avro: Avro) -> None:
    schema = avro(ORDER_AVRO)
    value = {"order_id": "o-1", "amount": 9.5, "quantity": 2, "currency": "GBP", "note": "x"}
    raw = io.BytesIO()
    schemaless_writer(raw, schema.parsed, value)
    assert codec_for(schema).encode(value) == raw.getvalue()
    assert codec_for(schema).framer(b"HDR")(value) == b"HDR" + raw.getvalue()


def test_codec_is_built_once_per_schema(avro: Avro) -> None:
    schema = avro(ORDER_AVRO)
    assert codec_for(schema) is codec_for(schema)
    assert isinstance(codec_for(schema), AvroCodec)


def test_event_reader_reads_after_the_header(avro: Avro) -> None:
    codec = codec_for(avro(ORDER_AVRO))
    value = {"order_id": "o-2", "amount": 1.0, "quantity": 1, "currency": "EUR", "note": None}
    data = b"\x00\x00\x00\x00\x01" + codec.encode(value)
    read = codec.event_reader(writer=codec.schema, reader=None)
    assert read(data) == value
    with pytest.raises(CodecError, match="1 bytes left"):
        read(data + b"\x00")
    with pytest.raises(CodecError, match="not valid Avro"):
        read(data[:8])


# --- resolution: decoded with the writer's schema, resolved to the reader's ---------------------


def _with_fields(*fields: dict[str, Any], name: str = "Order") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "shop", "fields": list(fields)}


def test_old_writer_new_reader_fills_defaulted_field(avro: Avro) -> None:
    v1 = avro(_with_fields({"name": "order_id", "type": "string"}))
    v2 = avro(
        _with_fields(
            {"name": "order_id", "type": "string"},
            {"name": "channel", "type": "string", "default": "web"},
            {"name": "coupon", "type": ["null", "string"], "default": None},
        )
    )
    payload = codec_for(v1).encode({"order_id": "o-9"})
    assert codec_for(v2).decode(payload, writer=v1, reader=v2) == {"order_id": "o-9", "channel": "web", "coupon": None}


def test_new_writer_old_reader_drops_removed_field(avro: Avro) -> None:
    v1 = avro(_with_fields({"name": "order_id", "type": "string"}))
    channel = {"name": "channel", "type": "string", "default": "web"}
    v2 = avro(_with_fields({"name": "order_id", "type": "string"}, channel))
    payload = codec_for(v2).encode({"order_id": "o-9", "channel": "app"})
    assert codec_for(v1).decode(payload, writer=v2, reader=v1) == {"order_id": "o-9"}


@pytest.mark.parametrize(
    ("writer_type", "reader_type", "written", "read"),
    [
        ("int", "long", 7, 7),
        ("int", "double", 7, 7.0),
        ("long", "float", 2**20, float(2**20)),
        ("float", "double", 0.5, 0.5),
        ("string", "bytes", "hé", "hé".encode()),
        ("bytes", "string", b"ok", "ok"),
    ],
)
def test_promotions(avro: Avro, writer_type: str, reader_type: str, written: Any, read: Any) -> None:
    writer = avro(_with_fields({"name": "n", "type": writer_type}))
    reader = avro(_with_fields({"name": "n", "type": reader_type}))
    decoded = codec_for(reader).decode(codec_for(writer).encode({"n": written}), writer=writer, reader=reader)
    assert decoded == {"n": read}
    assert type(decoded["n"]) is type(read)


def test_enum_symbol_unknown_to_reader_takes_the_enum_default(avro: Avro) -> None:
    enum = {"type": "enum", "name": "Currency", "symbols": ["EUR", "USD", "CHF"]}
    writer = avro(_with_fields({"name": "c", "type": enum}))
    reader = avro(_with_fields({"name": "c", "type": {**enum, "symbols": ["EUR", "USD", "OTHER"], "default": "OTHER"}}))
    payload = codec_for(writer).encode({"c": "CHF"})
    assert codec_for(reader).decode(payload, writer=writer, reader=reader) == {"c": "OTHER"}


def test_field_renamed_through_an_alias(avro: Avro) -> None:
    writer = avro(_with_fields({"name": "customer", "type": "string"}))
    reader = avro(_with_fields({"name": "customer_id", "type": "string", "aliases": ["customer"]}))
    payload = codec_for(writer).encode({"customer": "c-1"})
    assert codec_for(reader).decode(payload, writer=writer, reader=reader) == {"customer_id": "c-1"}


def test_reader_that_cannot_read_the_writer_is_a_codec_error(avro: Avro) -> None:
    writer = avro(_with_fields({"name": "order_id", "type": "string"}))
    reader = avro(_with_fields({"name": "order_id", "type": "string"}, {"name": "channel", "type": "string"}))
    payload = codec_for(writer).encode({"order_id": "o-1"})
    with pytest.raises(CodecError, match="reader's Avro schema cannot read"):
        codec_for(reader).decode(payload, writer=writer, reader=reader)


# --- errors --------------------------------------------------------------------------------------


def test_missing_field_names_the_field(avro: Avro) -> None:
    with pytest.raises(CodecError, match="order_id: expected string"):
        codec_for(avro(ORDER_AVRO)).encode({"amount": 1.0, "quantity": 1, "currency": "EUR"})


def test_wrong_type_is_a_codec_error(avro: Avro) -> None:
    with pytest.raises(CodecError, match="does not fit Avro schema shop.Order: quantity: expected int, got .three."):
        codec_for(avro(ORDER_AVRO)).encode(
            {"order_id": "o", "amount": 1.0, "quantity": "three", "currency": "EUR", "note": None}
        )


def test_unknown_enum_symbol_on_encode(avro: Avro) -> None:
    with pytest.raises(CodecError, match="currency: expected enum Currency, got 'JPY'"):
        codec_for(avro(ORDER_AVRO)).encode({"order_id": "o", "amount": 1.0, "quantity": 1, "currency": "JPY"})


def test_non_dict_record(avro: Avro) -> None:
    with pytest.raises(CodecError, match="must be a dict of its fields, got list"):
        codec_for(avro(ORDER_AVRO)).encode(["o", 1.0])


def test_truncated_payload(avro: Avro) -> None:
    codec = codec_for(avro(ORDER_AVRO))
    payload = codec.encode({"order_id": "o-1", "amount": 1.0, "quantity": 1, "currency": "EUR", "note": "n"})
    with pytest.raises(CodecError, match="not valid Avro"):
        codec.decode(payload[:6])


def test_leftover_bytes_mean_the_wrong_writer_schema(avro: Avro) -> None:
    codec = codec_for(avro(ORDER_AVRO))
    payload = codec.encode({"order_id": "o-1", "amount": 1.0, "quantity": 1, "currency": "EUR", "note": None})
    with pytest.raises(CodecError, match="1 bytes left"):
        codec.decode(payload + b"\x00")


def test_decoding_with_a_schema_of_another_format(avro: Avro, json_schema: Callable[[Any], Any]) -> None:
    codec = codec_for(avro(ORDER_AVRO))
    with pytest.raises(CodecError, match="cannot be decoded with a json-schema schema"):
        codec.decode(b"\x00", writer=json_schema({"type": "object"}))
