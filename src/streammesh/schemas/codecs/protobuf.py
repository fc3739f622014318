"""Protobuf payloads, encoded by the protobuf runtime with descriptors built from ``.proto`` text.

Values are dicts shaped like the message (field names as declared in the ``.proto``). The
mapping between dicts and messages is the runtime's JSON mapping (``json_format``) with three
changes so that a consumer gets back what the producer sent (see :mod:`._proto_json`):

- **64-bit integers** (``int64``, ``uint64``, ``sint64``, ``fixed64``, ``sfixed64``, and the
  ``Int64Value`` / ``UInt64Value`` wrappers) are ``int`` both ways, never strings;
- **bytes** are ``bytes`` both ways (a base64 string is also accepted on encode, as in ProtoJSON);
- **map keys** keep their type (``int`` / ``bool`` keys, not strings).

Other choices, from ProtoJSON:

- **enums** decode to their value *name* (``"PAID"``); encode accepts the name or the number. A
  number the reader's enum does not declare (an open proto3 enum) decodes to that ``int``.
- **defaults**: fields without presence (plain proto3 scalars, enums, repeated, maps) are always
  present on decode, with their zero value when unset (``0``, ``""``, ``False``, first enum name,
  ``[]``, ``{}``), because proto3 cannot tell "sent 0" from "not sent". Fields *with* presence
  (message fields, ``oneof`` members, proto3 ``optional``, proto2 fields) are present only when
  set; ``None`` on encode means "not set".
- **well-known types** use their JSON forms: ``Timestamp`` is an RFC 3339 string
  (``"2024-05-01T12:00:00Z"``), ``Duration`` a string like ``"1.5s"``, ``Struct`` a dict,
  wrappers their plain value.
- **unknown fields** in a value are refused on encode (``ignore_unknown_fields=False``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, cast

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import DecodeError, EncodeError, Message

from streammesh.schemas.base import Schema
from streammesh.schemas.codecs._proto_json import Converters
from streammesh.schemas.codecs.base import BaseCodec, CodecError, codec_for
from streammesh.schemas.codecs.protobuf_descriptors import build_file, message_paths
from streammesh.schemas.protobuf_format import ProtobufSchema
from streammesh.schemas.wire import HEADER_SIZE, read_message_indexes

__all__ = ["ProtobufCodec"]


def _descriptor(message: Message | type[Message]) -> Descriptor:
    """A message's descriptor; the stubs also allow the upb runtime's class, which has the same API."""
    return cast(Descriptor, message.DESCRIPTOR)


# The option that prints fields without presence was renamed in protobuf 5.26
# (including_default_value_fields -> always_print_fields_with_no_presence); support both.
_TO_DICT_PARAMS = inspect.signature(json_format.MessageToDict).parameters
_TO_DICT_OPTIONS: dict[str, Any] = {"preserving_proto_field_name": True}
if "always_print_fields_with_no_presence" in _TO_DICT_PARAMS:
    _TO_DICT_OPTIONS["always_print_fields_with_no_presence"] = True
else:  # pragma: no cover - protobuf < 5.26
    _TO_DICT_OPTIONS["including_default_value_fields"] = True
if "unquote_int64_if_possible" in _TO_DICT_PARAMS:
    _TO_DICT_OPTIONS["unquote_int64_if_possible"] = True  # fewer strings for the converters to undo


class ProtobufCodec(BaseCodec):
    """Encodes dicts as the schema's value message (``schema.message``).

    Building the codec compiles the ``.proto`` text into descriptors in a private pool (see
    :mod:`.protobuf_descriptors`); message classes are created on first use.

    Attributes:
        full_name: the encoded message's full name (package included).
        message_class: the runtime class of the encoded message.
    """

    format = "protobuf"
    schema: ProtobufSchema

    def __init__(self, schema: Schema) -> None:
        super().__init__(schema)
        if not isinstance(schema, ProtobufSchema):
            raise CodecError(f"ProtobufCodec needs a ProtobufSchema (with .proto text), got {type(schema).__name__}")
        self.pool, self.file_proto, self.file = build_file(schema.text)
        package = self.file_proto.package
        self._paths = message_paths(self.file_proto)
        self._by_path = {path: name for name, path in self._paths.items()}
        self.full_name = f"{package}.{schema.message}" if package else schema.message
        self._classes: dict[str, type[Message]] = {}
        self._encoders = Converters(decode=False)
        self._decoders = Converters(decode=True)
        self.message_class = self.class_of(self.full_name)
        self._encode_convert = self._encoders.for_message(_descriptor(self.message_class))

    @property
    def message_indexes(self) -> list[int]:
        """Where the encoded message sits in its file, as written in the wire format."""
        return list(self._paths[self.full_name])

    def class_of(self, full_name: str) -> type[Message]:
        """The message class for ``full_name`` in this schema's pool."""
        cls = self._classes.get(full_name)
        if cls is None:
            descriptor: Descriptor = self.pool.FindMessageTypeByName(full_name)
            cls = self._classes[full_name] = message_factory.GetMessageClass(descriptor)
        return cls

    def message_at(self, message_indexes: Sequence[int]) -> str:
        """The full name of the message at ``message_indexes`` in this schema's file.

        Raises:
            CodecError: no message has that index path.
        """
        name = self._by_path.get(tuple(message_indexes))
        if name is None:
            raise CodecError(
                f"message indexes {list(message_indexes)} name no message in the writer's schema "
                f"(messages: {', '.join(f'{n} {list(p)}' for n, p in self._paths.items())}); the event does not "
                "match its schema id"
            )
        return name

    def to_message(self, value: Any) -> Message:
        """``value`` as an instance of the encoded message class.

        Raises:
            CodecError: a field is unknown or has the wrong type; the message says which.
        """
        if isinstance(value, Message):
            if value.DESCRIPTOR.full_name != self.full_name:
                raise CodecError(f"expected a {self.full_name} message, got a {value.DESCRIPTOR.full_name}")
            return value
        if not isinstance(value, dict):
            raise CodecError(f"a {self.full_name} value must be a dict of its fields, got {type(value).__name__}")
        if self._encode_convert is not None:
            value = self._encode_convert(value)
        msg = self.message_class()
        try:
            json_format.ParseDict(value, msg, ignore_unknown_fields=False)
        except (json_format.ParseError, TypeError, ValueError) as e:
            # the runtime appends the JSON (camelCase) names of all fields: noise for dict users
            reason = str(e).split("\n", 1)[0]
            raise CodecError(f"value does not fit Protobuf message {self.full_name}: {reason}") from None
        return msg

    def encode(self, value: Any) -> bytes:
        """Encode a dict (or a message of the right type) as Protobuf binary.

        Raises:
            CodecError: see :meth:`to_message`, or a proto2 required field is missing.
        """
        msg = self.to_message(value)
        try:
            return msg.SerializeToString()
        except EncodeError as e:  # a proto2 required field is missing
            raise CodecError(f"value does not fit Protobuf message {self.full_name}: {e}") from None

    def decode(
        self,
        payload: bytes | memoryview,
        *,
        writer: Schema | None = None,
        reader: Schema | None = None,
        message_indexes: Sequence[int] | None = None,
    ) -> dict[str, Any]:
        """Decode Protobuf binary into a dict (see the module docstring for the mapping).

        The message type is the one ``message_indexes`` names in the writer's file (default: the
        writer's value message). With a ``reader``, the bytes are parsed into the reader's
        message of the same name (or the reader's value message when the writer wrote its own
        value message): Protobuf resolves by field number, so fields the reader does not know
        are dropped and fields the writer did not send take their defaults.

        Raises:
            CodecError: the payload is not a valid encoding of that message.
        """
        writer_codec = self if writer is None or writer is self.schema else _protobuf_codec(writer)
        name = writer_codec.full_name if message_indexes is None else writer_codec.message_at(message_indexes)
        codec = writer_codec
        if reader is not None and reader is not writer_codec.schema:
            codec = _protobuf_codec(reader)
            if name == writer_codec.full_name and name not in codec._paths:
                name = codec.full_name
            elif name not in codec._paths:
                raise CodecError(f"the reader's schema has no message {name!r} to decode the event into")
        msg = codec.class_of(name)()
        try:
            # the runtime parses any buffer; the stubs say bytes, and copying a memoryview costs per event
            msg.ParseFromString(cast(bytes, payload))
        except (DecodeError, RuntimeError) as e:
            raise CodecError(f"payload is not a valid Protobuf {name} message: {e}") from None
        result = json_format.MessageToDict(msg, **_TO_DICT_OPTIONS)
        convert = codec._decoders.for_message(_descriptor(msg))
        return result if convert is None else convert(result)

    def event_reader(self, *, writer: Schema, reader: Schema | None) -> Callable[[bytes | bytearray | memoryview], Any]:
        """Read the message indexes after the header, then the message they name."""
        decode = self.decode

        def read(data: bytes | bytearray | memoryview) -> Any:
            indexes, pos = read_message_indexes(data, HEADER_SIZE)
            return decode(memoryview(data)[pos:], writer=writer, reader=reader, message_indexes=indexes)

        return read


def _protobuf_codec(schema: Schema) -> ProtobufCodec:
    codec = codec_for(schema)
    if not isinstance(codec, ProtobufCodec):
        raise CodecError(f"a Protobuf payload cannot be decoded with a {schema.format} schema")
    return codec
