"""How record keys become bytes on the log. (Values use the Confluent wire format: see ``codecs``.)"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["encode_key", "decode_key"]


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
