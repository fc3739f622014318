"""How record keys become bytes on the log, and decoded values become JSON for people and pipes.
(Values on the log use the Confluent wire format: see ``codecs``.)"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import orjson

__all__ = ["decode_key", "dump_json", "encode_key"]


def _json_default(value: Any) -> Any:
    """Decoded Avro/Protobuf values hold types JSON lacks: decimals as text (exact), bytes as
    base64, sets as lists."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dump_json(value: Any, *, indent: bool = False) -> bytes:
    """JSON for any decoded event value (datetimes as ISO-8601, see :func:`_json_default` for the rest)."""
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_INDENT_2 if indent else 0)


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
