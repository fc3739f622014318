"""JSON Schema payloads: the value as UTF-8 JSON text, as Confluent's JSON Schema serializers write it.

Encoding uses orjson, which also writes ``datetime``, ``date``, ``UUID``, dataclasses and enums
(as ISO 8601 strings, strings and their values), so a producer can send the same Python values
it would send to an Avro product. Decoding returns plain JSON values (dicts, lists, str, int,
float, bool, None); JSON Schema has no schema resolution, so a reader schema changes nothing.
Whether a value fits the schema is checked by ``schema.validate`` on produce, not here: encoding
is the hot path and the check is optional there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from streammesh.schemas.base import Schema
from streammesh.schemas.codecs.base import BaseCodec, CodecError
from streammesh.schemas.wire import HEADER_SIZE

__all__ = ["JsonSchemaCodec"]


class JsonSchemaCodec(BaseCodec):
    """UTF-8 JSON payloads for JSON Schema products."""

    format = "json-schema"

    def encode(self, value: Any) -> bytes:
        """``value`` as compact UTF-8 JSON.

        Raises:
            CodecError: the value holds something JSON cannot represent (the type is named).
        """
        try:
            return orjson.dumps(value)
        except orjson.JSONEncodeError as e:
            raise CodecError(f"value cannot be written as JSON: {e}") from None

    def framer(self, header: bytes) -> Callable[[Any], bytes]:
        dumps = orjson.dumps

        def frame(value: Any) -> bytes:
            try:
                return header + dumps(value)
            except orjson.JSONEncodeError as e:
                raise CodecError(f"value cannot be written as JSON: {e}") from None

        return frame

    def decode(
        self,
        payload: bytes | memoryview,
        *,
        writer: Schema | None = None,
        reader: Schema | None = None,
        message_indexes: Sequence[int] | None = None,
    ) -> Any:
        """Parse the UTF-8 JSON payload.

        Raises:
            CodecError: the payload is not valid UTF-8 JSON.
        """
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError as e:
            raise CodecError(f"payload is not valid UTF-8 JSON: {e}") from None

    def event_reader(self, *, writer: Schema, reader: Schema | None) -> Callable[[bytes | bytearray | memoryview], Any]:
        loads = orjson.loads

        def read(data: bytes | bytearray | memoryview) -> Any:
            try:
                return loads(data[HEADER_SIZE:])  # a 100-byte copy is cheaper than a memoryview here
            except orjson.JSONDecodeError as e:
                raise CodecError(f"payload is not valid UTF-8 JSON: {e}") from None

        return read
