"""Avro payloads: fastavro's schemaless binary encoding, as Confluent's Avro serializers write it.

Values are dicts; logical types are as fastavro handles them (``timestamp-millis`` <->
timezone-aware ``datetime``, ``date`` <-> ``date``, ``decimal`` <-> ``Decimal``, ``uuid`` <->
``UUID``, writing accepts ``str`` too). Unions take the plain value (fastavro picks the branch);
keys a record does not declare are ignored on encode, as fastavro does. On decode, a reader
schema resolves the writer's data by the Avro specification's rules (defaults for added fields,
``int`` -> ``long`` -> ``float`` -> ``double`` promotion, enum defaults …), done by fastavro.

The hot path is fastavro's C extension called with schemas parsed once (the :class:`AvroSchema`'s
``parsed``); this module adds one ``BytesIO`` per call and the error wrapping. The wire header is
written into the same buffer before the payload so that a framed event is built with no extra copy.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError

from streammesh.schemas.avro_format import AvroSchema
from streammesh.schemas.base import Schema
from streammesh.schemas.codecs.base import BaseCodec, CodecError
from streammesh.schemas.wire import HEADER_SIZE

__all__ = ["AvroCodec"]

# What fastavro raises for a value that does not fit (missing field, wrong type, out of range).
_ENCODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, struct.error)
# What it raises for bytes that do not match the writer's schema, or an impossible resolution.
_READ_ERRORS = (
    SchemaResolutionError, EOFError, ValueError, TypeError, IndexError, KeyError, UnicodeDecodeError, struct.error,
)  # fmt: skip


class AvroCodec(BaseCodec):
    """Encodes with the schema's parsed Avro schema; decodes with a writer and optional reader schema."""

    format = "avro"
    schema: AvroSchema

    def __init__(self, schema: Schema) -> None:
        super().__init__(schema)
        self._parsed = self.schema.parsed  # BaseCodec.__init__ set self.schema, an AvroSchema

    def encode(self, value: Any) -> bytes:
        """Avro binary of ``value`` (no header).

        Raises:
            CodecError: the value does not fit the schema; fastavro's reason is quoted.
        """
        out = BytesIO()
        try:
            schemaless_writer(out, self._parsed, value)
        except _ENCODE_ERRORS as e:
            raise self._encode_error(value, e) from None
        return out.getvalue()

    def framer(self, header: bytes) -> Callable[[Any], bytes]:
        """Events as ``header`` then the Avro binary, written into one buffer (no concatenation)."""
        parsed, encode_error = self._parsed, self._encode_error

        def frame(value: Any) -> bytes:
            out = BytesIO()
            out.write(header)
            try:
                schemaless_writer(out, parsed, value)
            except _ENCODE_ERRORS as e:
                raise encode_error(value, e) from None
            return out.getvalue()

        return frame

    def _encode_error(self, value: Any, e: Exception) -> CodecError:
        name = self._parsed.get("name", "value") if isinstance(self._parsed, dict) else "value"
        if not isinstance(value, dict) and isinstance(self._parsed, dict) and self._parsed.get("type") == "record":
            return CodecError(f"an Avro record {name} must be a dict of its fields, got {type(value).__name__}")
        # fastavro's messages do not always name the field ("'JPY' is not in list"); on this
        # already-failing path, ask the validator, which gives field paths
        try:
            issues = self.schema.validate(value)
        except Exception:
            issues = []
        if issues:
            return CodecError(f"value does not fit Avro schema {name}: {'; '.join(str(i) for i in issues[:3])}")
        return CodecError(f"value does not fit Avro schema {name}: {type(e).__name__}: {e}")

    def decode(
        self,
        payload: bytes | memoryview,
        *,
        writer: Schema | None = None,
        reader: Schema | None = None,
        message_indexes: Sequence[int] | None = None,
    ) -> Any:
        """Read Avro binary written with ``writer`` (default: this codec's schema), resolved to ``reader``.

        Raises:
            CodecError: the payload is truncated, has bytes left over, or does not match the
                writer's schema; or the reader's schema cannot read the writer's data.
        """
        writer_parsed = self._parsed if writer is None or writer is self.schema else _parsed(writer)
        reader_parsed = None if reader is None or reader is writer else _parsed(reader)
        return _read(BytesIO(payload), len(payload), writer_parsed, reader_parsed)

    def event_reader(self, *, writer: Schema, reader: Schema | None) -> Callable[[bytes | bytearray | memoryview], Any]:
        """Read events after their 5-byte header, from the event's own buffer (no slicing)."""
        writer_parsed = self._parsed if writer is self.schema else _parsed(writer)
        reader_parsed = None if reader is None or reader is writer else _parsed(reader)
        if reader_parsed is not None and reader_parsed == writer_parsed:
            reader_parsed = None  # same schema: skip resolution (fastavro would compare on every call)

        def read(data: bytes | bytearray | memoryview) -> Any:
            buf = BytesIO(data)  # shares data's memory until written to
            buf.seek(HEADER_SIZE)
            try:  # _read inlined: this is the per-event path
                value = schemaless_reader(buf, writer_parsed, reader_parsed)
            except _READ_ERRORS as e:
                raise _decode_error(e) from None
            if buf.tell() != len(data):
                raise _leftover_error(len(data) - buf.tell())
            return value

        return read


def _read(buf: BytesIO, end: int, writer_parsed: Any, reader_parsed: Any) -> Any:
    try:
        value = schemaless_reader(buf, writer_parsed, reader_parsed)
    except _READ_ERRORS as e:
        raise _decode_error(e) from None
    if buf.tell() != end:
        raise _leftover_error(end - buf.tell())
    return value


def _decode_error(e: Exception) -> CodecError:
    if isinstance(e, SchemaResolutionError):
        return CodecError(f"the reader's Avro schema cannot read the writer's data: {e}")
    return CodecError(f"payload is not valid Avro for the writer's schema: {type(e).__name__}: {e}")


def _leftover_error(count: int) -> CodecError:
    # fastavro stops after one datum; leftover bytes mean the writer's schema is not the one used
    return CodecError(
        f"{count} bytes left after decoding with the writer's Avro schema; the event was not written with the "
        "schema its id names"
    )


def _parsed(schema: Schema) -> Any:
    if not isinstance(schema, AvroSchema):
        raise CodecError(f"an Avro payload cannot be decoded with a {schema.format} schema")
    return schema.parsed
