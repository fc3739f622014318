"""The codec seam: one class per schema format turns values into payload bytes and back.

A codec is bound to one :class:`~streammesh.schemas.base.Schema` (the one it encodes with) and
keeps whatever that format needs precomputed (parsed Avro schemas, Protobuf message classes), so
the per-event path does no parsing. :func:`codec_for` builds a schema's codec once and returns
the same object afterwards. Codecs are looked up by the schema's ``format`` name in
:data:`codecs`, a lazy plug-in registry like the schema formats', so a third-party schema format
can ship its codec under the entry-point group ``streammesh.schema_codecs``.

Codecs deal with payloads; :meth:`BaseCodec.framer` and :meth:`BaseCodec.event_reader` give the
:class:`~streammesh.schemas.codecs.serializer.Serializer` and ``Deserializer`` per-schema closures
for whole wire-format events, so the hot path has no dispatch left but the library call.
"""

from __future__ import annotations

import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from streammesh.exceptions import ValidationError
from streammesh.plugins import PluginNotFoundError, Registry
from streammesh.schemas.base import Schema
from streammesh.schemas.wire import HEADER_SIZE

__all__ = ["BaseCodec", "Codec", "CodecError", "codec_for", "codecs"]


class CodecError(ValidationError):
    """A value cannot be encoded with its schema, or a payload cannot be decoded with the writer's.

    On encode, fix the value (the message names the field and the expected type) or validate it
    first with ``schema.validate``. On decode, the event is corrupt or was written with a
    different schema than its id says.
    """


class BaseCodec(ABC):
    """Encodes values of one schema to payload bytes and decodes payloads written with any schema
    of the same format.

    Subclasses set :attr:`format` and implement :meth:`encode` and :meth:`decode`. They must be
    safe to share between threads: a serializer is typically shared by a whole process.

    Attributes:
        schema: the schema this codec encodes with.
    """

    format: ClassVar[str]

    def __init__(self, schema: Schema) -> None:
        if schema.format != self.format:
            raise CodecError(f"{type(self).__name__} encodes {self.format} schemas, got a {schema.format} schema")
        self.schema = schema

    @property
    def message_indexes(self) -> list[int] | None:
        """The wire-format message indexes of the encoded message (Protobuf only, else ``None``)."""
        return None

    @abstractmethod
    def encode(self, value: Any) -> bytes:
        """Encode ``value`` with :attr:`schema` into payload bytes (no wire header).

        Raises:
            CodecError: the value does not fit the schema; the message says where.
        """

    @abstractmethod
    def decode(
        self,
        payload: bytes | memoryview,
        *,
        writer: Schema | None = None,
        reader: Schema | None = None,
        message_indexes: Sequence[int] | None = None,
    ) -> Any:
        """Decode a payload written with ``writer``'s schema, resolved to ``reader``'s.

        Args:
            payload: the bytes after the wire header.
            writer: the schema the payload was written with (default: this codec's schema).
            reader: the schema the caller expects; formats that support schema resolution (Avro)
                convert the value to it, Protobuf parses the bytes into the reader's message.
                ``None`` decodes with the writer's schema as is.
            message_indexes: Protobuf only: which message of the writer's file the payload is.

        Raises:
            CodecError: the payload is corrupt or does not match the writer's schema.
        """

    def framer(self, header: bytes) -> Callable[[Any], bytes]:
        """A function turning a value into a whole event: ``header`` then the encoded value.

        Serializers call the function this returns once per event, so codecs override it with a
        closure over everything precomputed (Avro writes the payload straight after the header,
        JSON concatenates): the per-event path is then one Python call above the library.
        """
        encode = self.encode
        return lambda value: header + encode(value)

    def event_reader(self, *, writer: Schema, reader: Schema | None) -> Callable[[bytes | bytearray | memoryview], Any]:
        """A function decoding a whole wire-format event whose header names ``writer``.

        Deserializers build one per writer schema id and call it for every event with that id
        (the header is already checked). The default skips the 5-byte header; Protobuf also
        reads the message indexes; Avro reads at an offset without slicing.
        """
        decode = self.decode

        def read(data: bytes | bytearray | memoryview) -> Any:
            return decode(memoryview(data)[HEADER_SIZE:], writer=writer, reader=reader)

        return read


Codec = BaseCodec
"""Alias: what :func:`codec_for` returns."""

codecs: Registry[type[BaseCodec]] = Registry("schema_codecs")
codecs.register_lazy("avro", "streammesh.schemas.codecs.avro:AvroCodec")
codecs.register_lazy("json-schema", "streammesh.schemas.codecs.json_schema:JsonSchemaCodec")
codecs.register_lazy("protobuf", "streammesh.schemas.codecs.protobuf:ProtobufCodec")

# Codecs hold derived state only, so they live exactly as long as their schema object.
_cache: weakref.WeakKeyDictionary[Schema, BaseCodec] = weakref.WeakKeyDictionary()
_lock = threading.RLock()  # reentrant: a codec may build the codec of a schema it refers to


def codec_for(schema: Schema) -> BaseCodec:
    """The codec of ``schema``, built on first use and reused afterwards.

    Raises:
        CodecError: no codec is registered for the schema's format (the message lists them).
        SchemaError: the schema cannot be turned into an encoder (for example a ``.proto`` that
            imports a file other than a well-known type).
    """
    codec = _cache.get(schema)
    if codec is not None:
        return codec
    try:
        cls = codecs.get(schema.format)
    except PluginNotFoundError:
        raise CodecError(
            f"no codec for schema format {schema.format!r}; formats with codecs: {', '.join(codecs.names())}"
        ) from None
    with _lock:
        codec = _cache.get(schema)
        if codec is None:
            codec = cls(schema)
            _cache[schema] = codec
    return codec
