"""How values and keys become bytes on the log.

Today values are JSON (orjson); the schema registry will switch products to the Confluent wire
format (magic byte, schema id, Avro/JSON/Protobuf payload) behind this same seam.
"""

from __future__ import annotations

from typing import Any

import orjson

from streammesh.exceptions import ValidationError

__all__ = ["JsonSerde", "encode_key", "decode_key"]


class JsonSerde:
    """UTF-8 JSON values."""

    name = "json"

    @staticmethod
    def encode(value: Any) -> bytes:
        try:
            return orjson.dumps(value)
        except TypeError as e:
            raise ValidationError(f"value cannot be written as JSON: {e}") from None

    @staticmethod
    def decode(data: bytes | None) -> Any:
        return None if data is None else orjson.loads(data)


def encode_key(key: Any) -> bytes | None:
    """Keys are text on the log: strings as UTF-8, numbers as their decimal form, composites as JSON."""
    if key is None:
        return None
    if isinstance(key, bytes):
        return key
    if isinstance(key, str):
        return key.encode()
    if isinstance(key, bool) or not isinstance(key, (int, float)):
        return orjson.dumps(key)
    return str(key).encode()


def decode_key(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "replace")
