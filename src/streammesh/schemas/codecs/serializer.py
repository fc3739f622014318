"""Serializer and Deserializer: values to Confluent wire-format events and back.

These are what producers and consumers hold: a :class:`Serializer` per (schema id, schema) a
producer writes with, a :class:`Deserializer` per consumer, which learns writer schemas by id on
first sight (through a lookup function, usually the schema registry) and resolves every event to
the consumer's reader schema when it has one. Bytes are identical to what Confluent's
``AvroSerializer`` / ``JSONSerializer`` / ``ProtobufSerializer`` write, so either side can be a
standard Kafka client.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from typing import Any

from streammesh.schemas.base import Schema
from streammesh.schemas.codecs.base import BaseCodec, CodecError, codec_for
from streammesh.schemas.wire import HEADER_SIZE, read_header, wire_header

__all__ = ["Deserializer", "Serializer"]

_unpack_header = struct.Struct(">BI").unpack_from


class Serializer:
    """Encodes values with one registered schema and frames them in the wire format.

    Thread-safe; build one per schema and reuse it: the header and the codec are computed once,
    and :attr:`serialize` is then a closure straight over the format library.

    Args:
        schema_id: the id the registry gave ``schema``.
        schema: the schema to write with.

    Raises:
        WireFormatError: ``schema_id`` is not a valid 32-bit id.

    Example:
        >>> ser = Serializer(42, schema)                     # doctest: +SKIP
        >>> event = ser.serialize({"order_id": "o-1", "amount": 9.5})  # doctest: +SKIP
        >>> event[:5]                                        # doctest: +SKIP
        b'\\x00\\x00\\x00\\x00*'
    """

    serialize: Callable[[Any], bytes]
    """``serialize(value) -> bytes``: the wire-format event for ``value``.

    A closure built by the codec (:meth:`BaseCodec.framer`) rather than a method, so that an event
    costs one Python call above the format library. Raises :class:`CodecError` when the value
    does not fit the schema; the message says where.
    """

    def __init__(self, schema_id: int, schema: Schema) -> None:
        self.schema_id = schema_id
        self.schema = schema
        self.codec: BaseCodec = codec_for(schema)
        self.header = wire_header(schema_id, self.codec.message_indexes)
        self.serialize = self.codec.framer(self.header)

    def __repr__(self) -> str:
        return f"Serializer(schema_id={self.schema_id}, format={self.schema.format!r})"


class Deserializer:
    """Decodes wire-format events written with any schema the lookup knows.

    Writer schemas are fetched once per id and cached, with a decoding function built for each.
    With a ``reader`` schema, every value is resolved to it (Avro's resolution rules; Protobuf
    by field number), so a consumer sees one shape however many schema versions the stream
    holds. Thread-safe.

    Args:
        lookup: returns the schema registered under an id; called once per new id. It should
            raise :class:`~streammesh.exceptions.NotFoundError` for an unknown id (a ``KeyError``
            is turned into a :class:`CodecError`).
        reader: the schema the consumer expects, or ``None`` to get values as written.

    Example:
        >>> de = Deserializer(registry.schema_by_id, reader=contract_schema)  # doctest: +SKIP
        >>> de.deserialize(event)                                             # doctest: +SKIP
        {'order_id': 'o-1', 'amount': 9.5, 'currency': 'EUR'}
    """

    __slots__ = ("_lock", "_readers", "_writers", "lookup", "reader")

    def __init__(self, lookup: Callable[[int], Schema], reader: Schema | None = None) -> None:
        self.lookup = lookup
        self.reader = reader
        self._writers: dict[int, Schema] = {}
        self._readers: dict[int, Callable[[bytes | bytearray | memoryview], Any]] = {}
        self._lock = threading.Lock()

    def writer_schema(self, schema_id: int) -> Schema:
        """The writer's schema for ``schema_id`` (looked up once, then cached)."""
        self._reader_for(schema_id)
        return self._writers[schema_id]

    def _reader_for(self, schema_id: int) -> Callable[[bytes | bytearray | memoryview], Any]:
        read = self._readers.get(schema_id)
        if read is not None:
            return read
        try:
            schema = self.lookup(schema_id)
        except KeyError:
            raise CodecError(
                f"schema id {schema_id} is not registered; the event was written against another registry"
            ) from None
        if self.reader is not None and self.reader.format != schema.format:
            raise CodecError(
                f"event written with {schema.format} schema id {schema_id} cannot be read with a "
                f"{self.reader.format} reader schema"
            )
        read = codec_for(schema).event_reader(writer=schema, reader=self.reader)
        with self._lock:
            self._writers[schema_id] = schema
            self._readers[schema_id] = read
        return read

    def deserialize(self, data: bytes | bytearray | memoryview | None) -> Any:
        """The value of a wire-format event (``None`` for ``None``: a tombstone stays a tombstone).

        Raises:
            WireFormatError: the bytes are not wire format (e.g. written by a plain producer).
            CodecError: unknown schema id, or a payload that does not match its writer's schema.
        """
        if data is None:
            return None
        if len(data) < HEADER_SIZE or data[0]:
            read_header(data)  # raises the right WireFormatError
        schema_id = _unpack_header(data)[1]
        read = self._readers.get(schema_id) or self._reader_for(schema_id)
        return read(data)

    def __repr__(self) -> str:
        return f"Deserializer(known_ids={sorted(self._writers)}, reader={self.reader!r})"
