"""The on-disk batch: a CRC-checked header followed by Arrow-shaped columns.

Why columns: replay and the SQL engine want whole columns (timestamps, keys, values), and a later
issue can hand these sections to ``pyarrow`` zero-copy: every section starts 8-byte aligned,
offsets are little-endian ``int32[n+1]`` and null masks are Arrow validity bitmaps (LSB first).

Layout (little-endian; positions relative to the batch start, sections padded to 8 bytes)::

    0  length u32       total bytes of the batch, padding included
    4  crc    u32       zlib.crc32 of bytes [16, length): everything but length, crc, base offset
    8  base_offset i64  offset of the first record; outside the CRC so the writer can assign it
                        under the partition lock without re-hashing (Kafka's v2 batches do the same)
    16 count i32, version u16, flags u16, first_timestamp i64, max_timestamp i64,
       key_bytes u32, value_bytes u32, header_bytes u32, reserved u32
    56 timestamps int64[n] | key offsets int32[n+1] | key bytes | value offsets int32[n+1] |
       value bytes | [header offsets int32[n+1] | header bytes] | [key validity] | [value validity]

Flags say which optional sections exist. ``FLAG_OFFSET_DELTAS`` is reserved for compaction, which
will leave gaps in a batch's offsets (an ``int32[n]`` delta column after the bitmaps).
"""

from __future__ import annotations

import struct
import zlib
from itertools import accumulate
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from streammesh.log.base.exceptions import LogError
from streammesh.log.base.records import Headers

__all__ = [
    "FLAG_HEADERS",
    "FLAG_NULL_KEYS",
    "FLAG_NULL_VALUES",
    "FLAG_OFFSET_DELTAS",
    "HEADER",
    "HEADER_SIZE",
    "MAX_SECTION_BYTES",
    "PREFIX",
    "VERSION",
    "BatchHeader",
    "EncodedBatch",
    "Layout",
    "decode_headers",
    "encode_arrow_batch",
    "encode_batch",
    "encode_headers",
    "layout",
    "pack_bitmap",
    "unpack_bitmap",
]

HEADER = struct.Struct("<IIqiHHqqIIII")
PREFIX = struct.Struct("<IIq")
_BODY_HEADER = struct.Struct("<iHHqqIIII")
HEADER_SIZE = HEADER.size  # 56
VERSION = 1
FLAG_HEADERS = 1
FLAG_NULL_KEYS = 2
FLAG_NULL_VALUES = 4
FLAG_OFFSET_DELTAS = 8  # reserved for compaction
MAX_SECTION_BYTES = 0x7FFF_FFFF  # int32 offsets, as in Arrow's (non-large) binary arrays
_PAD = bytes(8)
_HNAME = struct.Struct("<H")
_HVALUE = struct.Struct("<i")


class BatchHeader(NamedTuple):
    """The fixed 56-byte header of a batch, as stored."""

    length: int
    crc: int
    base_offset: int
    count: int  # type: ignore[assignment]  # the stored field's name; shadows tuple.count, which nobody calls here
    version: int
    flags: int
    first_timestamp: int
    max_timestamp: int
    key_bytes: int
    value_bytes: int
    header_bytes: int
    reserved: int


class EncodedBatch(NamedTuple):
    """A batch ready to write: the prefix (length, crc, base offset) followed by ``parts``.

    The sections stay separate buffers: ``os.pwritev`` writes them in one call and the CRC is
    chained over them, so the batch is never copied into one big bytes object first.
    """

    parts: list[bytes | memoryview]
    crc: int
    length: int
    count: int  # type: ignore[assignment]  # the record count; shadows tuple.count, which nobody calls here
    first_timestamp: int
    max_timestamp: int

    def buffers(self, base_offset: int) -> list[bytes | memoryview]:
        """The buffers to write for a batch whose first record gets ``base_offset``."""
        return [PREFIX.pack(self.length, self.crc, base_offset), *self.parts]

    def frame(self, base_offset: int) -> bytes:
        """The whole batch as one bytes object (tests and tools)."""
        return b"".join(self.buffers(base_offset))


class Layout(NamedTuple):
    """Start of every section of a batch, relative to the batch start."""

    timestamps: int
    key_offsets: int
    key_data: int
    value_offsets: int
    value_data: int
    header_offsets: int  # -1 when the batch has no headers
    header_data: int
    key_validity: int  # -1 when every key is present
    value_validity: int  # -1 when every value is present
    end: int


def _pad8(n: int) -> int:
    return (n + 7) & ~7


def layout(count: int, flags: int, key_bytes: int, value_bytes: int, header_bytes: int) -> Layout:
    """Where each section of a batch starts; pure arithmetic on header fields."""
    offsets_len = _pad8(4 * (count + 1))
    ts = HEADER_SIZE
    ko = ts + 8 * count
    kd = ko + offsets_len
    vo = kd + _pad8(key_bytes)
    vd = vo + offsets_len
    pos = vd + _pad8(value_bytes)
    ho = hd = kv = vv = -1
    if flags & FLAG_HEADERS:
        ho, hd = pos, pos + offsets_len
        pos = hd + _pad8(header_bytes)
    bitmap_len = _pad8((count + 7) >> 3)
    if flags & FLAG_NULL_KEYS:
        kv, pos = pos, pos + bitmap_len
    if flags & FLAG_NULL_VALUES:
        vv, pos = pos, pos + bitmap_len
    return Layout(ts, ko, kd, vo, vd, ho, hd, kv, vv, pos)


def pack_bitmap(valid: list[bool]) -> bytes:
    """Arrow validity bitmap: bit ``i`` (LSB first) set when item ``i`` is not null."""
    out = bytearray((len(valid) + 7) >> 3)
    for i, ok in enumerate(valid):
        if ok:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)


def unpack_bitmap(buf: bytes | memoryview, pos: int, lo: int, hi: int) -> list[bool]:
    """Validity of items ``lo..hi-1`` from the bitmap starting at ``buf[pos]``."""
    return [bool((buf[pos + (i >> 3)] >> (i & 7)) & 1) for i in range(lo, hi)]


def encode_headers(headers: Headers) -> bytes:
    """One record's headers: repeated ``u16 name length, name (UTF-8), i32 value length, value``.

    A value length of -1 encodes a ``None`` value (Kafka allows null header values).
    """
    parts: list[bytes] = []
    for name, value in headers:
        raw = name.encode()
        parts += (_HNAME.pack(len(raw)), raw)
        if value is None:
            parts.append(_HVALUE.pack(-1))
        else:
            parts += (_HVALUE.pack(len(value)), bytes(value))
    return b"".join(parts)


def _valid_headers(headers: Headers) -> bool:
    try:
        return all(
            isinstance(k, str) and (v is None or isinstance(v, (bytes, bytearray, memoryview))) for k, v in headers
        )
    except (TypeError, ValueError):
        return False


def decode_headers(raw: bytes) -> Headers:
    """Inverse of :func:`encode_headers`."""
    out: list[tuple[str, bytes]] = []
    pos, end = 0, len(raw)
    while pos < end:
        (nlen,) = _HNAME.unpack_from(raw, pos)
        name = raw[pos + 2 : pos + 2 + nlen].decode()
        pos += 2 + nlen
        (vlen,) = _HVALUE.unpack_from(raw, pos)
        pos += 4
        if vlen < 0:
            out.append((name, None))  # type: ignore[arg-type]
        else:
            out.append((name, raw[pos : pos + vlen]))
            pos += vlen
    return tuple(out)


def _column(items: list, what: str) -> tuple[bytes, bytes, int, bytes | None]:
    """Offsets, data and size of a binary column; validity bitmap when it holds ``None``."""
    n = len(items)
    bitmap = None
    try:
        offsets = struct.pack(f"<{n + 1}i", 0, *accumulate(map(len, items)))
    except TypeError:
        valid = [x is not None for x in items]
        items = [b"" if x is None else x for x in items]
        bitmap = pack_bitmap(valid)
        try:
            offsets = struct.pack(f"<{n + 1}i", 0, *accumulate(map(len, items)))
        except TypeError:
            bad = next(type(x).__name__ for x in items if not isinstance(x, (bytes, bytearray, memoryview)))
            raise LogError(f"record {what}s must be bytes or None; got {bad}") from None
    except struct.error:
        raise LogError(f"record {what}s of one append exceed 2 GiB; append fewer records at once") from None
    try:
        data = b"".join(items)
    except TypeError:
        bad = next(type(x).__name__ for x in items if not isinstance(x, (bytes, bytearray, memoryview)))
        raise LogError(f"record {what}s must be bytes or None; got {bad}") from None
    return offsets, data, len(data), bitmap


_Column = tuple[bytes, bytes | memoryview, int, bytes | None]


def _arrow_column(array: pa.Array, what: str) -> _Column:
    """The same sections as :func:`_column`, read from a binary Arrow array without copying its data."""
    n = len(array)
    if pa.types.is_null(array.type):
        return bytes(4 * (n + 1)), b"", 0, bytes((n + 7) >> 3)
    if not (pa.types.is_binary(array.type) or pa.types.is_string(array.type)):
        raise LogError(f"record {what}s must be a binary Arrow array; got {array.type}")
    _validity, offsets_buf, data_buf = array.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=n + 1, offset=4 * array.offset)
    lo, hi = int(offsets[0]), int(offsets[-1])
    data = memoryview(data_buf)[lo:hi] if data_buf is not None and hi > lo else b""
    bitmap = None
    if array.null_count:
        bitmap = np.packbits(np.asarray(array.is_valid(), dtype=bool), bitorder="little").tobytes()
    return (offsets - lo if lo else offsets).tobytes(), data, hi - lo, bitmap


def encode_arrow_batch(keys: pa.Array, values: pa.Array, timestamps: pa.Array) -> EncodedBatch:
    """Encode records given as Arrow columns (binary keys and values, int64 timestamps in ms) into one batch,
    reusing the arrays' buffers: the stream processor's output path, with no Python object per record.

    Raises:
        LogError: the columns differ in length or type, a timestamp is null, or a column exceeds 2 GiB.
    """
    n = len(values)
    if n == 0:
        raise LogError("cannot encode an empty batch")
    if len(keys) != n or len(timestamps) != n:
        raise LogError(f"keys ({len(keys)}), values ({n}) and timestamps ({len(timestamps)}) differ in length")
    if timestamps.null_count or not pa.types.is_integer(timestamps.type):
        raise LogError("record timestamps must be non-null integer milliseconds since the epoch")
    stamps = np.asarray(timestamps.cast(pa.int64()), dtype="<i8")
    return _encode(
        n,
        stamps.tobytes(),
        int(stamps[0]),
        int(stamps.max()),
        _arrow_column(keys, "key"),
        _arrow_column(values, "value"),
        None,
    )


def encode_batch(
    keys: list[bytes | None],
    values: list[bytes | None],
    timestamps: list[int],
    headers: list[Headers] | None = None,
) -> EncodedBatch:
    """Encode records (as columns) into one batch; the base offset is added at write time.

    Args:
        keys: one key per record, ``None`` for keyless records.
        values: one value per record, ``None`` for tombstones.
        timestamps: one timestamp (ms) per record.
        headers: one headers tuple per record, or ``None`` when no record has headers.

    Raises:
        LogError: a key or value is not bytes, or a column exceeds 2 GiB.
    """
    n = len(values)
    if n == 0:
        raise LogError("cannot encode an empty batch")
    keys_column = _column(keys, "key")
    values_column = _column(values, "value")
    ts_first = timestamps[0]
    try:
        if timestamps.count(ts_first) == n:
            ts_bytes = struct.pack("<q", ts_first) * n
            ts_max = ts_first
        else:
            ts_bytes = struct.pack(f"<{n}q", *timestamps)
            ts_max = max(timestamps)
    except (struct.error, TypeError):
        bad = next((t for t in timestamps if not isinstance(t, int) or not -(2**63) <= t < 2**63), ts_first)
        raise LogError(f"record timestamps must be integer milliseconds since the epoch; got {bad!r}") from None
    return _encode(n, ts_bytes, ts_first, ts_max, keys_column, values_column, headers)


def _encode(
    n: int, ts_bytes: bytes, ts_first: int, ts_max: int, keys: _Column, values: _Column, headers: list[Headers] | None
) -> EncodedBatch:
    """The batch's sections in layout order, its length and its CRC."""
    koffs, kdata, kb, kbitmap = keys
    voffs, vdata, vb, vbitmap = values
    flags = 0
    odd = b"\0\0\0\0" if n % 2 == 0 else b""  # offsets are 4(n+1) bytes: pad to 8 when n is even
    parts = [b"", ts_bytes, koffs, odd, kdata, _PAD[: -kb & 7], voffs, odd, vdata, _PAD[: -vb & 7]]
    hb = 0
    if headers is not None and headers.count(()) != n:
        flags |= FLAG_HEADERS
        try:
            encoded = [encode_headers(h) if h else b"" for h in headers]
        except (AttributeError, TypeError, ValueError):
            bad = next(h for h in headers if h and not _valid_headers(h))
            raise LogError(f"record headers must be a tuple of (str, bytes) pairs; got {bad!r}") from None
        hoffs, hdata, hb, _ = _column(encoded, "header")
        parts += (hoffs, odd, hdata, _PAD[: -hb & 7])
    bitmap_pad = _PAD[: -((n + 7) >> 3) & 7]
    if kbitmap is not None:
        flags |= FLAG_NULL_KEYS
        parts += (kbitmap, bitmap_pad)
    if vbitmap is not None:
        flags |= FLAG_NULL_VALUES
        parts += (vbitmap, bitmap_pad)
    parts[0] = _BODY_HEADER.pack(n, VERSION, flags, ts_first, ts_max, kb, vb, hb, 0)
    parts = [p for p in parts if p]
    crc = 0
    size = PREFIX.size
    for part in parts:
        crc = zlib.crc32(part, crc)
        size += len(part)
    return EncodedBatch(parts, crc, size, n, ts_first, ts_max)
