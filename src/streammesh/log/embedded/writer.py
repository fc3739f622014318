"""Appending to one partition from any number of processes: lock, catch up, write, publish.

Each append holds an exclusive ``flock`` on the partition's ``lock`` file while it

1. reads the durable state (what every other writer has published),
2. checks the active segment's size: bytes past the durable end come from a writer that died
   mid-append; complete CRC-valid batches there are adopted, a torn tail is truncated,
3. rolls to a new segment when the batch would not fit,
4. writes the batch with one ``pwritev`` at the durable end (``fdatasync`` when ``fsync=True``),
5. adds a sparse-index entry every ``index_interval`` bytes,
6. publishes the new durable state. Only then does ``append`` return: the acknowledgement.

Durability: the batch is in the page cache before the acknowledgement, so it survives ``kill -9``
of any process. With ``fsync=True`` the segment is ``fdatasync``-ed first, so it also survives a
power cut; the durable file itself is not synced because recovery (run by the first writer or
reader to open the partition) re-adopts valid batches past a stale durable end.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from streammesh.log.base.exceptions import CorruptLogError
from streammesh.log.embedded.batch import HEADER_SIZE, EncodedBatch
from streammesh.log.embedded.partition import PartitionReader
from streammesh.log.embedded.recordbatch import check_batch, read_header
from streammesh.log.embedded.segment import (
    INDEX_ENTRY,
    MIN_TIMESTAMP,
    DurableFile,
    DurableState,
    IndexEntry,
    fsync_dir,
    index_path,
    list_segments,
    pread_exact,
    pwrite_all,
    read_index,
    rewrite_index,
    segment_path,
)

__all__ = ["PartitionWriter", "create_partition"]

T = TypeVar("T")
_RECOVERY_CHUNK = 4 << 20
_OPEN_WRITERS: weakref.WeakSet[PartitionWriter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child shares its parent's open file descriptions, and ``flock`` locks belong to
    those, so parent and child would not exclude each other: give the child its own descriptors."""
    for writer in list(_OPEN_WRITERS):
        writer._forget_inherited()


os.register_at_fork(after_in_child=_after_fork_in_child)


def create_partition(directory: Path) -> None:
    """Lay out an empty partition: first segment (base 0), durable file, lock file."""
    directory.mkdir(parents=True)
    segment_path(directory, 0).touch()
    (directory / "lock").touch()
    DurableFile.initial(directory / "durable")


class PartitionWriter(PartitionReader):
    """Read and append side of one partition (see the module docstring for the protocol)."""

    def __init__(
        self,
        directory: Path,
        topic: str,
        number: int,
        *,
        fsync: bool,
        segment_bytes: int,
        index_interval: int,
        retention_ms: int | None,
    ) -> None:
        super().__init__(directory, topic, number)
        self.fsync = fsync
        self.segment_bytes = segment_bytes
        self.index_interval = index_interval
        self.retention_ms = retention_ms
        self._tlock = threading.Lock()
        self._lock_fd = -1
        self._wfd = -1
        self._wbase = -1
        self._ifd = -1
        _OPEN_WRITERS.add(self)
        self._check_tail()

    def _forget_inherited(self) -> None:
        self._tlock = threading.Lock()
        for fd in (self._lock_fd, self._wfd, self._ifd):
            if fd >= 0:
                os.close(fd)
        self._lock_fd = self._wfd = self._ifd = self._wbase = -1

    # -- locking ---------------------------------------------------------------------------------
    def locked(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` holding this partition's write lock (threads of this process and other processes)."""
        with self._tlock:
            if self._lock_fd < 0:
                self._lock_fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                return fn()
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _check_tail(self) -> None:
        """At open: recover if the durable state is lost or bytes lie past it and no writer is active."""
        st = self._durable.read()
        try:
            size = os.stat(segment_path(self.dir, st.active_base)).st_size if st else -1
        except FileNotFoundError:
            size = -1
        if st is None or size != st.end_pos:
            self.locked(self._writable_state)

    def _lost_state(self) -> DurableState:
        return self.locked(self._writable_state)

    # -- the append protocol ---------------------------------------------------------------------
    def append(self, batch: EncodedBatch) -> int:
        """Append ``batch`` and return its base offset once it is durable and visible."""
        with self._tlock:  # the body of locked(), inlined: this is the hot path
            if self._lock_fd < 0:
                self._lock_fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            lock_fd = self._lock_fd
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            try:
                st = self._writable_state()
                pos = st.end_pos
                if pos and pos + batch.length > self.segment_bytes:
                    st = self._roll(st)
                    pos = 0
                base = st.next_offset
                pwrite_all(self._wfd, batch.buffers(base), pos)
                if self.fsync:
                    os.fdatasync(self._wfd)
                last_index = st.last_index_pos
                if pos - last_index >= self.index_interval:
                    os.write(self._ifd, INDEX_ENTRY.pack(base, pos, st.seg_max_ts))
                    last_index = pos
                seg_max = max(st.seg_max_ts, batch.max_timestamp)
                self._durable.write(
                    DurableState(
                        st.seq + 1, base + batch.count, pos + batch.length, st.active_base, seg_max, last_index
                    )
                )
                return base
            finally:
                fcntl.flock(lock_fd, fcntl.LOCK_UN)

    def _open_active(self, base: int) -> None:
        if self._wbase == base:
            return
        self._close_writer()
        self._wfd = os.open(segment_path(self.dir, base), os.O_RDWR)
        self._ifd = os.open(index_path(self.dir, base), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._wbase = base

    def _close_writer(self) -> None:
        for fd in (self._wfd, self._ifd):
            if fd >= 0:
                os.close(fd)
        self._wfd = self._ifd = self._wbase = -1

    def _writable_state(self) -> DurableState:
        """Durable state after catching up with other writers (call with the lock held)."""
        st = self._durable.read()
        if st is None:
            return self._recover(None)
        try:
            self._open_active(st.active_base)
        except FileNotFoundError:
            return self._recover(st)
        if os.fstat(self._wfd).st_size != st.end_pos:
            return self._recover(st)
        return st

    # -- recovery ----------------------------------------------------------------------------------
    def _recover(self, st: DurableState | None) -> DurableState:
        """Adopt complete batches past the durable end, truncate a torn tail, republish."""
        self._close_writer()
        segs = list_segments(self.dir)
        if not segs:
            raise CorruptLogError(f"{self.where} has no segment files in {self.dir}")
        seq = st.seq if st else 0
        if (
            st is None
            or st.active_base not in segs
            or os.path.getsize(segment_path(self.dir, st.active_base)) < st.end_pos
        ):
            base = st.active_base if st is not None and st.active_base in segs else segs[-1]
            st = DurableState(seq, base, 0, base, MIN_TIMESTAMP, 0)  # rescan this segment from its start
            rewrite_index(index_path(self.dir, base), [])
        while True:
            self._open_active(st.active_base)
            st = self._adopt(st)
            later = [s for s in segs if s > st.active_base]
            if not later:
                break
            if later[0] != st.next_offset:
                raise CorruptLogError(
                    f"{self.where}: segment {segment_path(self.dir, later[0])} does not continue "
                    f"{segment_path(self.dir, st.active_base)} (which ends at offset {st.next_offset})"
                )
            st = DurableState(st.seq, st.next_offset, 0, later[0], MIN_TIMESTAMP, 0)
        st = st._replace(seq=seq + 1)
        self._durable.write(st)
        self._segments = segs
        self._index.pop(st.active_base, None)
        return st

    def _adopt(self, st: DurableState) -> DurableState:
        """Scan the active segment from the durable end, adopting each valid batch that continues it."""
        fd = self._wfd
        size = os.fstat(fd).st_size
        pos, nxt, mx, last_index = st.end_pos, st.next_offset, st.seg_max_ts, st.last_index_pos
        new_entries: list[IndexEntry] = []
        while pos < size:
            buf = pread_exact(fd, min(_RECOVERY_CHUNK, size - pos), pos)
            if len(buf) >= HEADER_SIZE:  # a single batch larger than the chunk: read it whole
                need = read_header(buf, 0).length
                if len(buf) < need <= size - pos:
                    buf = pread_exact(fd, need, pos)
            p = 0
            while (h := check_batch(buf, p, len(buf), nxt)) is not None:
                if pos + p - last_index >= self.index_interval:
                    new_entries.append(IndexEntry(nxt, pos + p, mx))
                    last_index = pos + p
                nxt += h.count
                mx = max(mx, h.max_timestamp)
                p += h.length
            if p == 0:
                break
            pos += p
        if new_entries:
            os.write(self._ifd, b"".join(INDEX_ENTRY.pack(*e) for e in new_entries))
        if pos < size:
            os.ftruncate(fd, pos)  # torn tail of a writer that died mid-append
            ipath = index_path(self.dir, st.active_base)
            entries = read_index(ipath)
            if entries and entries[-1].position >= pos:
                self._close_writer()
                rewrite_index(ipath, [e for e in entries if e.position < pos])
                self._open_active(st.active_base)
        return DurableState(st.seq, nxt, pos, st.active_base, mx, last_index)

    # -- segments and retention ------------------------------------------------------------------
    def _roll(self, st: DurableState) -> DurableState:
        for seg in list_segments(self.dir):
            if seg > st.active_base:  # made by a writer that died before publishing it: never visible
                segment_path(self.dir, seg).unlink()
                index_path(self.dir, seg).unlink(missing_ok=True)
        base = st.next_offset
        os.close(os.open(segment_path(self.dir, base), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644))
        if self.fsync:
            fsync_dir(self.dir)
        self._open_active(base)
        self._segments = list_segments(self.dir)
        if self.retention_ms is not None:
            self._delete_expired(base, int(time.time() * 1000) - self.retention_ms)
        return DurableState(st.seq, base, 0, base, MIN_TIMESTAMP, 0)

    def _delete_expired(self, active: int, cutoff_ms: int) -> None:
        """Delete whole closed segments whose newest record is older than ``cutoff_ms`` (oldest first)."""
        st = DurableState(0, 0, 0, active, MIN_TIMESTAMP, 0)
        deleted = False
        for seg in list_segments(self.dir):
            if seg >= active or self.segment_max_timestamp(seg, st) >= cutoff_ms:
                break
            self._forget_segment(seg)
            segment_path(self.dir, seg).unlink(missing_ok=True)
            index_path(self.dir, seg).unlink(missing_ok=True)
            deleted = True
        if deleted:
            if self.fsync:
                fsync_dir(self.dir)
            self._segments = list_segments(self.dir)

    def enforce_retention(self) -> None:
        """Apply ``retention_ms`` now (also done automatically whenever a segment rolls)."""
        retention_ms = self.retention_ms
        if retention_ms is None:
            return

        def run() -> None:
            st = self._writable_state()
            self._delete_expired(st.active_base, int(time.time() * 1000) - retention_ms)

        self.locked(run)

    def close(self) -> None:
        """Close writer descriptors, then the read side."""
        with self._tlock:
            self._close_writer()
            if self._lock_fd >= 0:
                os.close(self._lock_fd)
                self._lock_fd = -1
        super().close()
