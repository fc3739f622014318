"""Files of one partition: segments, their sparse indexes and the "durable end" file.

A partition directory holds::

    00000000000000000000.log   segment: batches back to back, named by its first offset
    00000000000000000000.idx   sparse index of that segment (advisory, rebuilt if lost)
    durable                    high watermark readers trust (two CRC-checked slots)
    lock                       flock()ed by writers

Why a separate durable file: a batch becomes visible only after it is completely written, so
readers never parse half-written bytes, without taking any lock. It is memory-mapped, so readers
check it with a memory read instead of a system call per poll; writers store it in the slot not
used last, so a reader always finds one complete slot even while a writer is storing the other.
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "INDEX_ENTRY",
    "MIN_TIMESTAMP",
    "DurableFile",
    "DurableState",
    "IndexEntry",
    "append_index",
    "fsync_dir",
    "index_path",
    "list_segments",
    "pread_exact",
    "pwrite_all",
    "read_index",
    "rewrite_index",
    "segment_path",
]

MIN_TIMESTAMP = -(1 << 63)
_SLOT = struct.Struct("<Qqqqqq")  # seq, next_offset, end_pos, active_base, seg_max_ts, last_index_pos
_CRC = struct.Struct("<I")
_SLOT_SIZE = 64
_FILE_SIZE = 2 * _SLOT_SIZE
INDEX_ENTRY = struct.Struct("<qqq")  # base offset of a batch, its file position, max timestamp before it


class DurableState(NamedTuple):
    """What is durable in a partition: readers read up to ``end_pos`` of segment ``active_base``.

    Attributes:
        seq: publication counter (picks the newer of the two slots).
        next_offset: offset the next record gets (Kafka's high watermark / log end offset).
        end_pos: bytes of the active segment that hold complete, published batches.
        active_base: base offset (file name) of the segment being appended to.
        seg_max_ts: largest timestamp in the active segment (index entries record it).
        last_index_pos: file position of the active segment's latest index entry.
    """

    seq: int
    next_offset: int
    end_pos: int
    active_base: int
    seg_max_ts: int
    last_index_pos: int


class IndexEntry(NamedTuple):
    """A sparse index point: batch ``offset`` starts at ``position``; ``max_ts_before`` is the
    largest timestamp of all records before it in the segment (monotone, so it can be bisected)."""

    offset: int
    position: int
    max_ts_before: int


def segment_path(directory: Path, base: int) -> Path:
    """Segment file of ``base`` (zero-padded so names sort like offsets)."""
    return directory / f"{base:020d}.log"


def index_path(directory: Path, base: int) -> Path:
    """Index file of segment ``base``."""
    return directory / f"{base:020d}.idx"


def list_segments(directory: Path) -> list[int]:
    """Base offsets of the segment files, ascending."""
    return sorted(int(n[:-4]) for n in os.listdir(directory) if n.endswith(".log") and n[:-4].isdigit())


def read_index(path: Path, start: int = 0) -> list[IndexEntry]:
    """Whole entries of an index file from byte ``start`` (a torn last entry is ignored)."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            raw = f.read()
    except FileNotFoundError:
        return []
    usable = len(raw) - len(raw) % INDEX_ENTRY.size
    return [IndexEntry(*e) for e in INDEX_ENTRY.iter_unpack(raw[:usable])]


def append_index(path: Path, entry: IndexEntry) -> None:
    """Add one entry (a single ``O_APPEND`` write)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, INDEX_ENTRY.pack(*entry))
    finally:
        os.close(fd)


def rewrite_index(path: Path, entries: list[IndexEntry]) -> None:
    """Replace an index file (recovery drops entries past a truncated tail)."""
    tmp = path.with_suffix(".idx.tmp")
    tmp.write_bytes(b"".join(INDEX_ENTRY.pack(*e) for e in entries))
    os.replace(tmp, path)


def pread_exact(fd: int, size: int, pos: int) -> bytes:
    """``os.pread`` that retries short reads; returns fewer bytes only at end of file."""
    data = os.pread(fd, size, pos)
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = os.pread(fd, size - got, pos + got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def pwrite_all(fd: int, buffers: list[bytes | memoryview], pos: int) -> None:
    """Write ``buffers`` at ``pos`` with one ``pwritev`` call (looping only on a short write)."""
    total = sum(map(len, buffers))
    done = os.pwritev(fd, buffers, pos)
    if done < total:
        rest = b"".join(buffers)[done:]
        while rest:
            n = os.pwrite(fd, rest, pos + done)
            done += n
            rest = rest[n:]


def fsync_dir(directory: Path) -> None:
    """Make a created, renamed or deleted directory entry durable (power loss)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableFile:
    """The memory-mapped ``durable`` file of a partition (see the module docstring)."""

    __slots__ = ("_fd", "_map", "path")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if os.fstat(self._fd).st_size < _FILE_SIZE:
            os.ftruncate(self._fd, _FILE_SIZE)  # zero slots read as invalid, i.e. "recover"
        self._map = mmap.mmap(self._fd, _FILE_SIZE)

    @staticmethod
    def initial(path: Path) -> None:
        """Create the file for an empty partition whose first segment has base offset 0."""
        df = DurableFile(path)
        try:
            df.write(DurableState(1, 0, 0, 0, MIN_TIMESTAMP, 0))
        finally:
            df.close()

    def read(self) -> DurableState | None:
        """The newest valid slot, or ``None`` when neither slot is valid (lost after a power cut)."""
        raw = self._map[:_FILE_SIZE]  # one copy: unpack and CRC-check the very same bytes
        a = _SLOT.unpack_from(raw, 0)
        b = _SLOT.unpack_from(raw, _SLOT_SIZE)
        order = ((a, 0), (b, _SLOT_SIZE)) if a[0] >= b[0] else ((b, _SLOT_SIZE), (a, 0))
        for slot, at in order:
            if slot[0] and _CRC.unpack_from(raw, at + _SLOT.size)[0] == zlib.crc32(raw[at : at + _SLOT.size]):
                return DurableState._make(slot)
        return None

    def write(self, state: DurableState) -> None:
        """Publish ``state`` (its ``seq`` must exceed the current one) into the older slot."""
        raw = _SLOT.pack(*state)
        at = (state.seq & 1) * _SLOT_SIZE
        self._map[at : at + _SLOT.size + 4] = raw + _CRC.pack(zlib.crc32(raw))

    def sync(self) -> None:
        """Flush the mapping to disk (``fsync=True`` logs)."""
        self._map.flush()

    def close(self) -> None:
        """Unmap and close."""
        try:
            self._map.close()
        finally:
            os.close(self._fd)
