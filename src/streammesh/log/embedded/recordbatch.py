"""Reading batches back: header parsing, CRC checks and lazily decoded columns.

Replay speed is dominated by Python object creation, so nothing is decoded until asked for: a
:class:`RecordBatch` keeps the raw bytes and builds ``timestamps``, ``keys``, ``values`` and
``headers`` lists on first access, each with one C-level ``struct.unpack_from`` or one list
comprehension over offsets (no per-byte loops). :meth:`RecordBatch.records` turns the columns into
:class:`~streammesh.log.base.records.Record` objects for the per-record ``poll`` path.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator
from itertools import repeat
from typing import Any

import pyarrow as pa

from streammesh.log.base.exceptions import CorruptLogError, LogError
from streammesh.log.base.records import Headers, Record
from streammesh.log.embedded.batch import (
    FLAG_HEADERS,
    FLAG_NULL_KEYS,
    FLAG_NULL_VALUES,
    HEADER,
    HEADER_SIZE,
    VERSION,
    BatchHeader,
    Layout,
    decode_headers,
    layout,
    unpack_bitmap,
)

__all__ = ["RecordBatch", "check_batch", "iter_batches", "read_header"]

_MAX_BATCH = 1 << 31


def read_header(buf: bytes | memoryview, pos: int) -> BatchHeader:
    """Parse the 56-byte header at ``buf[pos]`` (the caller checks that enough bytes exist)."""
    return BatchHeader._make(HEADER.unpack_from(buf, pos))


def check_batch(buf: bytes | memoryview, pos: int, end: int, expected_offset: int | None = None) -> BatchHeader | None:
    """The header of the batch at ``pos`` when a complete, CRC-valid batch lies in ``buf[pos:end]``.

    Returns ``None`` for a torn or garbage batch: too short, bad length, version, CRC or (when
    ``expected_offset`` is given) a base offset that does not continue the partition.
    """
    if end - pos < HEADER_SIZE:
        return None
    h = read_header(buf, pos)
    if h.length < HEADER_SIZE or h.length & 7 or h.length >= _MAX_BATCH or pos + h.length > end:
        return None
    if h.version != VERSION or h.count <= 0:
        return None
    if expected_offset is not None and h.base_offset != expected_offset:
        return None
    if zlib.crc32(memoryview(buf)[pos + 16 : pos + h.length]) != h.crc:
        return None
    if layout(h.count, h.flags, h.key_bytes, h.value_bytes, h.header_bytes).end != h.length:
        return None
    return h


def iter_batches(
    buf: bytes, pos: int, end: int, *, where: str = "", verify: bool = True
) -> Iterator[tuple[int, BatchHeader]]:
    """Yield ``(position, header)`` of each complete batch in ``buf[pos:end]``, stopping at a partial one.

    Raises:
        CorruptLogError: ``verify`` is on and a complete batch fails its CRC (the bytes are below
            the durable end, so this is damage, not a write in progress). ``where`` names the file.
    """
    unpack = HEADER.unpack_from
    while end - pos >= HEADER_SIZE:
        h = BatchHeader._make(unpack(buf, pos))
        if h.length < HEADER_SIZE or h.length & 7:
            raise CorruptLogError(f"invalid batch length {h.length} at {where} position {pos}")
        if pos + h.length > end:
            return
        if verify and zlib.crc32(memoryview(buf)[pos + 16 : pos + h.length]) != h.crc:
            raise CorruptLogError(f"CRC mismatch in batch at {where} position {pos} (offset {h.base_offset})")
        yield pos, h
        pos += h.length


class RecordBatch:
    """Records ``lo..hi-1`` of one stored batch, decoded column by column on first access.

    The columnar replay path (:meth:`EmbeddedLogConsumer.poll_batches`) returns these; use the
    list attributes directly, or :meth:`records` for ``Record`` objects.

    Attributes:
        topic: topic name.
        partition: partition number.
        base_offset: offset of the first record in this view (``offsets[0]``).
        count: number of records in this view.
    """

    __slots__ = (
        "_buf",
        "_h",
        "_headers",
        "_hi",
        "_keys",
        "_lay",
        "_lo",
        "_pos",
        "_ts",
        "_values",
        "base_offset",
        "count",
        "partition",
        "topic",
    )

    def __init__(
        self,
        topic: str,
        partition: int,
        buf: bytes,
        pos: int,
        header: BatchHeader,
        lo: int = 0,
        hi: int | None = None,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self._buf = buf
        self._pos = pos
        self._h: BatchHeader | None = header  # None only in views made by from_columns
        self._lo = lo
        self._hi = header.count if hi is None else hi
        self.base_offset = header.base_offset + lo
        self.count = self._hi - lo
        self._lay: Layout | None = None
        self._ts: list[int] | None = None
        self._keys: list[bytes | None] | None = None
        self._values: list[bytes | None] | None = None
        self._headers: list[Headers] | None = None

    @classmethod
    def from_columns(
        cls,
        topic: str,
        partition: int,
        base_offset: int,
        timestamps: list[int],
        keys: list[bytes | None],
        values: list[bytes | None],
    ) -> RecordBatch:
        """A view over already decoded columns without headers (runs of one-record batches)."""
        self = cls.__new__(cls)
        self.topic, self.partition, self.base_offset, self.count = topic, partition, base_offset, len(values)
        self._buf, self._pos, self._h, self._lo, self._hi, self._lay = b"", 0, None, 0, len(values), None
        self._ts, self._keys, self._values, self._headers = timestamps, keys, values, None
        return self

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return f"RecordBatch({self.topic!r}, {self.partition}, offsets {self.base_offset}..{self.next_offset - 1})"

    @property
    def next_offset(self) -> int:
        """Offset after the last record of this view."""
        return self.base_offset + self.count

    def slice(self, lo: int, hi: int) -> RecordBatch:
        """A view of records ``lo..hi-1`` of this view (no bytes are copied)."""
        if self._h is None:
            return RecordBatch.from_columns(
                self.topic,
                self.partition,
                self.base_offset + lo,
                self.timestamps[lo:hi],  # the decoded columns from_columns was given
                self.keys[lo:hi],
                self.values[lo:hi],
            )
        return RecordBatch(self.topic, self.partition, self._buf, self._pos, self._h, self._lo + lo, self._lo + hi)

    def _stored(self) -> BatchHeader:
        """The stored batch's header (only views made by :meth:`from_columns` have none, nor need one)."""
        h = self._h
        assert h is not None
        return h

    def _layout(self) -> Layout:
        if self._lay is None:
            h = self._stored()
            self._lay = layout(h.count, h.flags, h.key_bytes, h.value_bytes, h.header_bytes)
        return self._lay

    @property
    def offsets(self) -> range:
        """Offsets of the records (contiguous within a batch)."""
        return range(self.base_offset, self.base_offset + self.count)

    @property
    def timestamps(self) -> list[int]:
        """Timestamps in milliseconds."""
        if self._ts is None:
            start = self._pos + self._layout().timestamps + 8 * self._lo
            self._ts = list(struct.unpack_from(f"<{self.count}q", self._buf, start))
        return self._ts

    def _binary(self, offsets_at: int, data_at: int, size: int, validity_at: int) -> list[bytes | None]:
        lo, hi, base = self._lo, self._hi, self._pos
        offs = struct.unpack_from(f"<{hi - lo + 1}i", self._buf, base + offsets_at + 4 * lo)
        data = self._buf[base + data_at : base + data_at + size]
        out: list[bytes | None] = [data[a:b] for a, b in zip(offs, offs[1:])]  # noqa: RUF007 (faster than pairwise)
        if validity_at >= 0:
            valid = unpack_bitmap(self._buf, base + validity_at, lo, hi)
            out = [x if ok else None for x, ok in zip(out, valid)]
        return out

    @property
    def keys(self) -> list[bytes | None]:
        """Keys, ``None`` for keyless records."""
        if self._keys is None:
            lay = self._layout()
            self._keys = self._binary(lay.key_offsets, lay.key_data, self._stored().key_bytes, lay.key_validity)
        return self._keys

    @property
    def values(self) -> list[bytes | None]:
        """Values, ``None`` for tombstones."""
        if self._values is None:
            lay = self._layout()
            self._values = self._binary(
                lay.value_offsets, lay.value_data, self._stored().value_bytes, lay.value_validity
            )
        return self._values

    def value_array(self) -> pa.Array:
        """The values as an Arrow binary array over the batch's own bytes (no copy, no object per record):
        the stream processor decodes whole columns from it."""
        if self._h is None:
            return pa.array(self._values, pa.binary())
        lay, h, base = self._layout(), self._h, self._pos
        buf = pa.py_buffer(self._buf)
        validity = None if lay.value_validity < 0 else buf.slice(base + lay.value_validity, (h.count + 7) >> 3)
        whole = pa.Array.from_buffers(
            pa.binary(),
            h.count,
            [
                validity,
                buf.slice(base + lay.value_offsets, 4 * (h.count + 1)),
                buf.slice(base + lay.value_data, h.value_bytes),
            ],
        )
        return whole.slice(self._lo, self.count)

    def timestamp_array(self) -> pa.Array:
        """The timestamps as an Arrow int64 array over the batch's own bytes."""
        if self._h is None:
            return pa.array(self._ts, pa.int64())
        start = self._pos + self._layout().timestamps + 8 * self._lo
        return pa.Array.from_buffers(
            pa.int64(), self.count, [None, pa.py_buffer(self._buf).slice(start, 8 * self.count)]
        )

    @property
    def headers(self) -> list[Headers]:
        """Headers per record (``()`` when none)."""
        if self._headers is None:
            if self._h is None or not self._h.flags & FLAG_HEADERS:
                self._headers = [()] * self.count
            else:
                lay = self._layout()
                raw = self._binary(lay.header_offsets, lay.header_data, self._h.header_bytes, -1)
                self._headers = [decode_headers(r) if r else () for r in raw]
        return self._headers

    @property
    def has_nulls(self) -> bool:
        """Whether any key or value in the stored batch is null."""
        if self._h is None:
            return None in self.keys or None in self.values
        return bool(self._h.flags & (FLAG_NULL_KEYS | FLAG_NULL_VALUES))

    @property
    def stored_range(self) -> tuple[int, int]:
        """``(lo, hi)``: which records of the stored batch this view covers."""
        return self._lo, self._hi

    def records(self) -> list[Record]:
        """``Record`` objects for this view, in offset order."""
        n, topic, part = self.count, self.topic, self.partition
        args: list[Iterable[Any]] = [
            repeat(topic, n),
            repeat(part, n),
            self.offsets,
            self.timestamps,
            self.keys,
            self.values,
        ]
        if self._h is not None and self._h.flags & FLAG_HEADERS:
            args.append(self.headers)
        return list(map(Record, *args))

    def arrow_buffers(self) -> dict[str, memoryview | None]:
        """Raw little-endian sections of the whole stored batch, shaped for ``pyarrow.Array.from_buffers``.

        Offsets and validity cover the whole stored batch; this view is :attr:`stored_range` of it
        (use ``Array.slice``). Absent sections (no headers, no nulls) are ``None``.
        """
        if self._h is None:
            raise LogError("this view was decoded from one-record batches; use its lists instead of buffers")
        h, lay, mv, p = self._h, self._layout(), memoryview(self._buf), self._pos
        n, off_len = h.count, 4 * (h.count + 1)

        def sec(at: int, size: int) -> memoryview | None:
            return None if at < 0 else mv[p + at : p + at + size]

        bitmap = (n + 7) >> 3
        return {
            "timestamps": sec(lay.timestamps, 8 * n),
            "key_offsets": sec(lay.key_offsets, off_len),
            "key_data": sec(lay.key_data, h.key_bytes),
            "key_validity": sec(lay.key_validity, bitmap),
            "value_offsets": sec(lay.value_offsets, off_len),
            "value_data": sec(lay.value_data, h.value_bytes),
            "value_validity": sec(lay.value_validity, bitmap),
            "header_offsets": sec(lay.header_offsets, off_len),
            "header_data": sec(lay.header_data, h.header_bytes),
        }
