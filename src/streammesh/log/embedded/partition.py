"""Reading one partition: locating offsets and timestamps, fetching batches below the durable end.

Readers take no lock. They trust the memory-mapped durable file (see ``segment.py``) as their high
watermark, read segment bytes with ``os.pread`` and locate offsets and timestamps through the sparse
index, so a seek reads a few KiB instead of the whole partition. Appending, recovery and retention
live in :class:`streammesh.log.embedded.writer.PartitionWriter`, a subclass.
"""

from __future__ import annotations

import os
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from pathlib import Path

from streammesh.log.base.exceptions import CorruptLogError
from streammesh.log.embedded.batch import HEADER_SIZE, BatchHeader, layout
from streammesh.log.embedded.recordbatch import RecordBatch, iter_batches, read_header
from streammesh.log.embedded.segment import (
    INDEX_ENTRY,
    MIN_TIMESTAMP,
    DurableFile,
    DurableState,
    IndexEntry,
    index_path,
    list_segments,
    pread_exact,
    read_index,
    segment_path,
)

__all__ = ["SCAN_CHUNK", "Cursor", "PartitionReader"]

SCAN_CHUNK = 64 * 1024
_SINGLE_KEY_AT = layout(1, 0, 0, 0, 0).key_data  # 72
_MAX_READ_FDS = 16


class Cursor:
    """Where a reader continues in the files: the segment and position of its next unread batch.

    ``seg == -1`` means "unknown": the next fetch locates the wanted offset through the index.
    """

    __slots__ = ("pos", "seg")

    def __init__(self) -> None:
        self.seg = -1
        self.pos = 0

    def reset(self) -> None:
        """Forget the file position (after a seek)."""
        self.seg = -1
        self.pos = 0


class PartitionReader:
    """The read side of one partition directory, shared by all consumers of one ``EmbeddedLog``."""

    def __init__(self, directory: Path, topic: str, number: int) -> None:
        self.dir = directory
        self.topic = topic
        self.number = number
        self.where = f"partition {number} of topic {topic!r}"
        self._durable = DurableFile(directory / "durable")
        self._fd_lock = threading.Lock()
        self._rfds: dict[int, int] = {}
        self._sizes: dict[int, int] = {}
        self._seg_max: dict[int, int] = {}
        self._segments: list[int] = list_segments(directory)
        self._index: dict[int, list[IndexEntry]] = {}

    # -- durable state -------------------------------------------------------------------------
    def state(self) -> DurableState:
        """The published durable state (recovering it under the lock if it was lost)."""
        st = self._durable.read()
        return st if st is not None else self._lost_state()

    def _lost_state(self) -> DurableState:
        raise CorruptLogError(f"the durable file of {self.where} is unreadable: open the log for writing to rebuild it")

    def end_offset(self) -> int:
        """Offset the next record will get."""
        return self.state().next_offset

    def begin_offset(self) -> int:
        """Earliest retained offset (the first segment's base; end offset when nothing is retained)."""
        st = self.state()
        segs = self.published(st, refresh=True)
        return min(segs[0], st.next_offset) if segs else st.next_offset

    # -- segments and index --------------------------------------------------------------------
    def segments(self, *, refresh: bool = False) -> list[int]:
        """Base offsets of the segment files, ascending (cached; ``refresh`` lists the directory)."""
        if refresh or not self._segments:
            self._segments = list_segments(self.dir)
        return self._segments

    def published(self, st: DurableState, *, refresh: bool = False) -> list[int]:
        """Segments readers may use: up to the active one. A file past it was created by a writer
        that died before publishing it; the next roll deletes it."""
        segs = self.segments(refresh=refresh)
        if not segs or segs[-1] < st.active_base:
            segs = self.segments(refresh=True)
        if segs and segs[-1] > st.active_base:
            segs = segs[: bisect_right(segs, st.active_base)]
        return segs

    def _read_fd(self, seg: int) -> int:
        fd = self._rfds.get(seg)
        if fd is None:
            with self._fd_lock:
                fd = self._rfds.get(seg)
                if fd is None:
                    if len(self._rfds) >= _MAX_READ_FDS:
                        old = min(self._rfds)
                        os.close(self._rfds.pop(old))
                    fd = self._rfds[seg] = os.open(segment_path(self.dir, seg), os.O_RDONLY)
        return fd

    def _forget_segment(self, seg: int) -> None:
        with self._fd_lock:
            fd = self._rfds.pop(seg, None)
            if fd is not None:
                os.close(fd)
        self._sizes.pop(seg, None)
        self._index.pop(seg, None)
        self._seg_max.pop(seg, None)

    def _limit(self, seg: int, st: DurableState) -> int:
        """Readable bytes of segment ``seg``: the durable end if active, else its (fixed) size."""
        if seg == st.active_base:
            return st.end_pos
        size = self._sizes.get(seg)
        if size is None:
            size = self._sizes[seg] = os.fstat(self._read_fd(seg)).st_size
        return size

    def index(self, seg: int, st: DurableState) -> list[IndexEntry]:
        """Index entries of ``seg`` that point below its readable limit."""
        entries = self._index.get(seg)
        if entries is None or seg == st.active_base:
            known = entries or []
            entries = known + read_index(index_path(self.dir, seg), len(known) * INDEX_ENTRY.size)
            self._index[seg] = entries
        limit = self._limit(seg, st)
        if entries and entries[-1].position >= limit:
            entries = [e for e in entries if e.position < limit]
        return entries

    def scan_headers(self, seg: int, pos: int, limit: int) -> Iterator[tuple[int, BatchHeader]]:
        """Headers of the batches of ``seg`` from ``pos`` to ``limit``, reading 64 KiB at a time."""
        fd = self._read_fd(seg)
        while limit - pos >= HEADER_SIZE:
            buf = pread_exact(fd, min(SCAN_CHUNK, limit - pos), pos)
            p = 0
            while len(buf) - p >= HEADER_SIZE:
                h = read_header(buf, p)
                if h.length < HEADER_SIZE or h.length & 7:
                    raise CorruptLogError(
                        f"invalid batch length {h.length} in {self.where}, "
                        f"file {segment_path(self.dir, seg)} position {pos + p}"
                    )
                yield pos + p, h
                p += h.length
            if p == 0 and len(buf) < HEADER_SIZE:
                return
            pos += p

    def segment_max_timestamp(self, seg: int, st: DurableState) -> int:
        """Largest timestamp stored in ``seg`` (cached for closed segments)."""
        if seg == st.active_base:
            return st.seg_max_ts
        mx = self._seg_max.get(seg)
        if mx is None:
            entries = self.index(seg, st)
            start = entries[-1] if entries else IndexEntry(seg, 0, MIN_TIMESTAMP)
            mx = start.max_ts_before
            for _, h in self.scan_headers(seg, start.position, self._limit(seg, st)):
                mx = max(mx, h.max_timestamp)
            self._seg_max[seg] = mx
        return mx

    # -- locating --------------------------------------------------------------------------------
    def locate(self, offset: int, st: DurableState) -> tuple[int, int]:
        """``(segment, position)`` of the batch holding ``offset`` (or of the end when past it)."""
        if offset >= st.next_offset:
            return st.active_base, st.end_pos
        segs = self.published(st)
        if not segs or offset < segs[0]:
            segs = self.published(st, refresh=True)
        i = max(bisect_right(segs, offset) - 1, 0)
        for seg in segs[i:]:
            entries = self.index(seg, st)
            j = bisect_right([e.offset for e in entries], offset) - 1
            start = entries[j].position if j >= 0 else 0
            for pos, h in self.scan_headers(seg, start, self._limit(seg, st)):
                if pos == start and j >= 0 and h.base_offset != entries[j].offset:
                    self._index.pop(seg, None)  # stale index (a recovery rewrote it): scan the segment
                    found = self._scan_for(seg, offset, st)
                    if found is not None:
                        return found
                    break
                if h.base_offset + h.count > offset:
                    return seg, pos
            if seg >= st.active_base:
                break
        return st.active_base, st.end_pos

    def _scan_for(self, seg: int, offset: int, st: DurableState) -> tuple[int, int] | None:
        for pos, h in self.scan_headers(seg, 0, self._limit(seg, st)):
            if h.base_offset + h.count > offset:
                return seg, pos
        return None

    def offset_for_timestamp(self, timestamp_ms: int) -> int:
        """First offset whose timestamp >= ``timestamp_ms`` (the end offset when none)."""
        st = self.state()
        for seg in self.published(st, refresh=True):
            try:
                if self.segment_max_timestamp(seg, st) < timestamp_ms:
                    continue
                entries = self.index(seg, st)
                j = bisect_left([e.max_ts_before for e in entries], timestamp_ms) - 1
                start = entries[j].position if j >= 0 else 0
                for pos, h in self.scan_headers(seg, start, self._limit(seg, st)):
                    if h.max_timestamp >= timestamp_ms:
                        batch = self._read_batch(seg, pos, h)
                        for i, ts in enumerate(batch.timestamps):
                            if ts >= timestamp_ms:
                                return h.base_offset + i
            except FileNotFoundError:  # deleted by retention meanwhile: it was older anyway
                self._forget_segment(seg)
        return st.next_offset

    def _read_batch(self, seg: int, pos: int, h: BatchHeader) -> RecordBatch:
        buf = pread_exact(self._read_fd(seg), h.length, pos)
        for _, checked in iter_batches(buf, 0, len(buf), where=str(segment_path(self.dir, seg))):
            return RecordBatch(self.topic, self.number, buf, 0, checked)
        raise CorruptLogError(f"batch at {segment_path(self.dir, seg)} position {pos} is truncated")

    # -- fetching --------------------------------------------------------------------------------
    def fetch(self, offset: int, cursor: Cursor, max_bytes: int, st: DurableState | None = None) -> list[RecordBatch]:
        """Batches from ``offset`` on (about ``max_bytes`` worth, at least one batch when any exists).

        The first view starts at ``offset`` (or at the earliest retained offset if ``offset`` was
        deleted by retention). ``cursor`` is advanced past the returned batches.
        """
        st = st or self.state()
        if offset >= st.next_offset:
            return []
        try:
            return self._fetch(offset, cursor, max_bytes, st)
        except FileNotFoundError:  # a segment was deleted by retention: continue from the earliest
            for seg in list(self._rfds):
                self._forget_segment(seg)
            self.segments(refresh=True)
            cursor.reset()
            return self._fetch(max(offset, self.begin_offset()), cursor, max_bytes, st)

    def _fetch(self, offset: int, cursor: Cursor, max_bytes: int, st: DurableState) -> list[RecordBatch]:
        if cursor.seg < 0:
            cursor.seg, cursor.pos = self.locate(offset, st)
        limit = self._limit(cursor.seg, st)
        while cursor.pos >= limit:
            if cursor.seg >= st.active_base:
                return []
            segs = self.published(st)
            k = bisect_right(segs, cursor.seg)
            if k >= len(segs):
                segs = self.published(st, refresh=True)
                k = bisect_right(segs, cursor.seg)
                if k >= len(segs):
                    return []
            cursor.seg, cursor.pos = segs[k], 0
            limit = self._limit(cursor.seg, st)
        fd = self._read_fd(cursor.seg)
        buf = pread_exact(fd, min(max_bytes, limit - cursor.pos), cursor.pos)
        if len(buf) >= HEADER_SIZE:
            first = read_header(buf, 0).length
            if first > len(buf) and cursor.pos + first <= limit:
                buf = pread_exact(fd, first, cursor.pos)
        views: list[RecordBatch] = []
        used = 0
        where = str(segment_path(self.dir, cursor.seg))
        topic, number = self.topic, self.number
        stamps: list[int] = []  # a run of one-record batches (one-by-one appends), decoded eagerly
        keys: list[bytes | None] = []
        values: list[bytes | None] = []
        run_base = 0
        for pos, h in iter_batches(buf, 0, len(buf), where=where):
            used = pos + h.length
            if h.base_offset + h.count <= offset:
                continue
            if h.count == 1 and not h.flags:
                # Layout of a 1-record batch: timestamp at 56, key offsets at 64, key bytes at 72,
                # then value offsets (8 bytes) and value bytes; the timestamp is in the header.
                if not stamps:
                    run_base = h.base_offset
                key_at = pos + _SINGLE_KEY_AT
                value_at = key_at + ((h.key_bytes + 7) & ~7) + 8
                stamps.append(h.first_timestamp)
                keys.append(buf[key_at : key_at + h.key_bytes])
                values.append(buf[value_at : value_at + h.value_bytes])
                continue
            if stamps:
                views.append(RecordBatch.from_columns(topic, number, run_base, stamps, keys, values))
                stamps, keys, values = [], [], []
            lo = offset - h.base_offset if offset > h.base_offset else 0
            views.append(RecordBatch(topic, number, buf, pos, h, lo))
        if stamps:
            views.append(RecordBatch.from_columns(topic, number, run_base, stamps, keys, values))
        if not used:
            raise CorruptLogError(f"no complete batch at {where} position {cursor.pos} below the durable end {limit}")
        cursor.pos += used
        return views

    def close(self) -> None:
        """Close file descriptors and the durable mapping."""
        with self._fd_lock:
            for fd in self._rfds.values():
                os.close(fd)
            self._rfds.clear()
        self._durable.close()
