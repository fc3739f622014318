"""Serde for schema'd events: one codec per schema format, framed in the Confluent wire format.

Producers hold a :class:`Serializer`, consumers a :class:`Deserializer`; both sit on
:func:`codec_for`, which gives each :class:`~streammesh.schemas.base.Schema` its codec (Avro via
fastavro, JSON Schema via orjson, Protobuf via the protobuf runtime with descriptors built from
``.proto`` text). The wire format itself is in :mod:`streammesh.schemas.wire`.
"""

from __future__ import annotations

from streammesh.schemas.codecs.base import (
    BaseCodec,
    Codec,
    CodecError,
    codec_for,
    codecs,
)
from streammesh.schemas.codecs.serializer import Deserializer, Serializer

__all__ = ["BaseCodec", "Codec", "CodecError", "Deserializer", "Serializer", "codec_for", "codecs"]
