"""Bridge between Python values and the protobuf runtime's JSON mapping (``json_format``).

``json_format.ParseDict`` / ``MessageToDict`` implement ProtoJSON, whose choices suit JSON text,
not Python values: 64-bit integers become strings, bytes become base64 (and ``ParseDict`` even
base64-*decodes* a Python ``bytes`` value, silently corrupting it), and map keys become strings.
streammesh wants a consumer to get back what the producer sent, so per message type this module
precomputes small converters that touch only the fields that need it:

- encode: ``bytes`` values of ``bytes`` / ``BytesValue`` fields are base64-encoded for ``ParseDict``;
- decode: 64-bit integers (and ``Int64Value`` / ``UInt64Value``) back to ``int``, ``bytes`` fields
  back to ``bytes``, integer and boolean map keys back to ``int`` / ``bool``.

Message types with none of those fields (directly or below) get no converter and cost nothing.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

__all__ = ["Converters"]

Convert = Callable[[Any], Any]

_INT64 = {
    FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64,
}  # fmt: skip
_INT_KEYS = _INT64 | {
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_SFIXED32,
}  # fmt: skip
_INT64_WRAPPERS = {"google.protobuf.Int64Value", "google.protobuf.UInt64Value"}
_BYTES_WRAPPER = "google.protobuf.BytesValue"


def _is_repeated(f: FieldDescriptor) -> bool:
    # protobuf 7 removed FieldDescriptor.label in favour of is_repeated
    is_repeated = getattr(f, "is_repeated", None)
    if is_repeated is not None:
        return bool(is_repeated)
    return getattr(f, "label", None) == FieldDescriptor.LABEL_REPEATED


def _message_of(f: FieldDescriptor) -> Descriptor:
    """The message type of a ``TYPE_MESSAGE`` field (typed optional because other fields have none)."""
    message_type = f.message_type
    assert message_type is not None, f"{f.full_name} is not a message field"
    return message_type


def _to_int(v: Any) -> Any:
    return int(v) if isinstance(v, str) else v


def _b64_decode(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return base64.b64decode(v)
        except binascii.Error:
            return v
    return v


def _b64_encode(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(v).decode("ascii")
    return v


def _bool_key(k: Any) -> Any:
    return k == "true" if isinstance(k, str) else k


class Converters:
    """Per-message-type value converters for one descriptor pool, built lazily and memoised.

    Args:
        decode: build decode converters (after ``MessageToDict``) if true, encode converters
            (before ``ParseDict``) otherwise.
    """

    def __init__(self, *, decode: bool) -> None:
        self.decode = decode
        self._needs: dict[str, bool] = {}
        self._message: dict[str, Convert | None] = {}  # published converters, complete
        self._building: dict[str, Convert | None] = {}  # converters of the build in progress
        self._lock = threading.Lock()

    def for_message(self, d: Descriptor) -> Convert | None:
        """A function converting a dict of message type ``d`` (``None``: nothing to convert).

        Thread-safe: converters are built under a lock and published only once complete, so a
        concurrent decoder never sees a converter whose field list is still being filled.
        """
        try:
            return self._message[d.full_name]
        except KeyError:
            pass
        with self._lock:
            if d.full_name not in self._message:
                self._building = {}
                self._build(d)
                self._message.update(self._building)
                self._building = {}
            return self._message[d.full_name]

    def _build(self, d: Descriptor) -> Convert | None:
        name = d.full_name
        if name in self._message:
            return self._message[name]
        if name in self._building:  # a recursive type: its converter exists, its fields fill in later
            return self._building[name]
        if not self._needs_conversion(d):
            self._building[name] = None
            return None
        fields: list[tuple[str, Convert]] = []
        convert = self._building[name] = self._make_message(fields)
        for f in d.fields:
            conv = self._field(f)
            if conv is not None:
                fields.append((f.name, conv))
        return convert

    def _make_message(self, fields: list[tuple[str, Convert]]) -> Convert:
        if self.decode:  # MessageToDict's dicts are ours: convert in place

            def convert(v: Any) -> Any:
                if isinstance(v, dict):
                    for name, conv in fields:
                        item = v.get(name)
                        if item is not None:
                            v[name] = conv(item)
                return v

        else:  # the producer's dict is not ours: copy what changes

            def convert(v: Any) -> Any:
                if not isinstance(v, dict):
                    return v
                out = None
                for name, conv in fields:
                    item = v.get(name)
                    if item is not None:
                        new = conv(item)
                        if new is not item:
                            if out is None:
                                out = dict(v)
                            out[name] = new
                return v if out is None else out

        return convert

    def _leaf(self, f: FieldDescriptor) -> Convert | None:
        """Converter for one value of field ``f`` (not the repeated / map container)."""
        if f.type == FieldDescriptor.TYPE_BYTES:
            return _b64_decode if self.decode else _b64_encode
        if f.type in _INT64:
            return _to_int if self.decode else None
        if f.type == FieldDescriptor.TYPE_MESSAGE:
            message_type = _message_of(f)
            name = message_type.full_name
            if name == _BYTES_WRAPPER:
                return _b64_decode if self.decode else _b64_encode
            if name in _INT64_WRAPPERS:
                return _to_int if self.decode else None
            if name.startswith("google.protobuf."):
                return None  # other well-known types have their own JSON forms (strings, numbers, dicts)
            return self._build(message_type)
        return None

    def _field(self, f: FieldDescriptor) -> Convert | None:
        if f.type == FieldDescriptor.TYPE_MESSAGE and _message_of(f).GetOptions().map_entry:
            entry = _message_of(f)
            key_f, value_f = entry.fields_by_name["key"], entry.fields_by_name["value"]
            value_conv = self._leaf(value_f)
            key_conv: Convert | None = None
            if self.decode and key_f.type in _INT_KEYS:
                key_conv = int
            elif self.decode and key_f.type == FieldDescriptor.TYPE_BOOL:
                key_conv = _bool_key
            if key_conv is None and value_conv is None:
                return None
            kc: Convert = key_conv or (lambda k: k)
            vc: Convert = value_conv or (lambda v: v)
            return lambda m: {kc(k): vc(v) for k, v in m.items()} if isinstance(m, dict) else m
        leaf = self._leaf(f)
        if leaf is None:
            return None
        if _is_repeated(f):
            return lambda items: [leaf(x) for x in items] if isinstance(items, list) else items
        return leaf

    def _needs_conversion(self, d: Descriptor, visiting: frozenset[str] = frozenset()) -> bool:
        """Whether any field of ``d``, or of a message below it, needs converting (cycle-safe)."""
        cached = self._needs.get(d.full_name)
        if cached is not None:
            return cached
        if d.full_name in visiting:
            return False  # the cycle's other fields decide
        visiting = visiting | {d.full_name}
        result = False
        for f in d.fields:
            if f.type == FieldDescriptor.TYPE_BYTES or (self.decode and f.type in _INT64):
                result = True
            elif f.type == FieldDescriptor.TYPE_MESSAGE:
                message_type = _message_of(f)
                name = message_type.full_name
                if name == _BYTES_WRAPPER or (self.decode and name in _INT64_WRAPPERS):
                    result = True
                elif message_type.GetOptions().map_entry:
                    key = message_type.fields_by_name["key"]
                    if self.decode and (key.type in _INT_KEYS or key.type == FieldDescriptor.TYPE_BOOL):
                        result = True
                    else:
                        result = self._needs_conversion(message_type, visiting)
                elif not name.startswith("google.protobuf."):
                    result = self._needs_conversion(message_type, visiting)
            if result:
                break
        if result or not visiting - {d.full_name}:
            # a False found while an enclosing message is still being explored may be incomplete
            self._needs[d.full_name] = result
        return result
