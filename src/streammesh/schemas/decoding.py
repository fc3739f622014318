"""Decoding a product's values: wire-format bytes with their writer's schema, read as the reader's schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from streammesh.schemas.base import Schema
from streammesh.schemas.codecs import Deserializer
from streammesh.schemas.registry import SchemaRegistry
from streammesh.schemas.wire import is_wire_format

__all__ = ["value_decoder"]


def value_decoder(registry: SchemaRegistry, reader: Schema) -> Callable[[bytes | None], Any]:
    """Decode wire-format values with their writer's schema resolved to ``reader``; values written
    before the registry existed (plain JSON) still decode."""
    deserializer = Deserializer(registry.schema_object, reader)

    def decode(data: bytes | None) -> Any:
        if data is None:
            return None
        if is_wire_format(data):
            return deserializer.deserialize(data)
        return orjson.loads(data)

    return decode
