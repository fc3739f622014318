"""``EmbeddedLog``: the default event log, kept in a folder on local disk.

Layout of ``root``::

    lock                 flock()ed while topics are created or deleted
    groups.db            consumer groups (SQLite, see ``groups.py``)
    topics/<topic>/      topic.json + one directory per partition (see ``segment.py``)
    tmp/                 scratch space for atomic topic creation and deletion

Any number of processes may open the same root at once: producers, consumers, the server.
Retention (``TopicSpec.retention_ms``) deletes whole closed segments, oldest first, whenever a
segment rolls or :meth:`EmbeddedLog.enforce_retention` is called; it is infinite by default.
Compaction (``TopicSpec.compacted``) is recorded but not applied yet; the batch format reserves a
flag for the offset gaps it will leave.
"""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import TypeVar, cast

import pyarrow as pa

from streammesh.log.base.capabilities import LogCapabilities
from streammesh.log.base.exceptions import (
    LogError,
    TopicExistsError,
    TopicNotFoundError,
)
from streammesh.log.base.log import BaseLog, TopicPartition
from streammesh.log.base.records import Headers, OffsetReset, OutgoingRecord, TopicSpec
from streammesh.log.embedded.batch import encode_arrow_batch, encode_batch
from streammesh.log.embedded.consumer import EmbeddedLogConsumer
from streammesh.log.embedded.groups import all_committed, forget_topic, init_group_db, write_committed
from streammesh.log.embedded.partition import Cursor
from streammesh.log.embedded.positions import AppendResult, Run
from streammesh.log.embedded.recordbatch import RecordBatch
from streammesh.log.embedded.segment import fsync_dir
from streammesh.log.embedded.topics import (
    DEFAULT_INDEX_INTERVAL,
    DEFAULT_SEGMENT_BYTES,
    config_int,
    read_spec,
    unknown_topic,
    validate_topic_name,
    write_spec,
)
from streammesh.log.embedded.writer import PartitionWriter, create_partition
from streammesh.log.partitioner import KeyPartitioner

__all__ = ["EmbeddedLog"]

T = TypeVar("T")


def _group(parts: list[int]) -> list[tuple[int, list[int]]]:
    """``(partition, indexes of its records)`` for each distinct partition, in partition order."""
    buckets: dict[int, list[int]] = {p: [] for p in sorted(set(parts))}
    for i, p in enumerate(parts):
        buckets[p].append(i)
    return list(buckets.items())


class _Topic:
    """An open topic: its spec, lazily opened partitions and its partitioners."""

    def __init__(self, log: EmbeddedLog, spec: TopicSpec, directory: Path) -> None:
        self.spec = spec
        self.dir = directory
        self.count = spec.partitions
        self.keyed = KeyPartitioner(spec.partitions)
        self.sticky = random.randrange(spec.partitions)
        self._log = log
        self._parts: list[PartitionWriter | None] = [None] * spec.partitions
        self._lock = threading.Lock()

    def partition(self, number: int) -> PartitionWriter:
        part = self._parts[number]
        if part is None:
            with self._lock:
                part = self._parts[number]
                if part is None:
                    part = self._parts[number] = PartitionWriter(
                        self.dir / str(number),
                        self.spec.name,
                        number,
                        fsync=self._log.fsync,
                        segment_bytes=config_int(self.spec, "segment.bytes", self._log.segment_bytes),
                        index_interval=config_int(self.spec, "index.interval.bytes", self._log.index_interval),
                        retention_ms=self.spec.retention_ms,
                    )
        return part

    def next_sticky(self) -> int:
        """Partition for the keyless records of one append (Kafka's sticky partitioner, per call)."""
        p = self.sticky = (self.sticky + 1) % self.count
        return p

    def close(self) -> None:
        for part in self._parts:
            if part is not None:
                part.close()


class EmbeddedLog(BaseLog):
    """A Kafka-shaped event log in a local folder, safe for many processes at once.

    Args:
        root: the folder (created if missing), usually ``<workspace>/log``.
        fsync: ``fdatasync`` every append before acknowledging it. Off, an acknowledged append
            survives the crash or ``kill -9`` of any process (it is in the OS page cache); on, it
            also survives a power cut or kernel crash, at the cost of one disk flush per append.
        segment_bytes: roll to a new segment file after about this many bytes (topic config
            ``segment.bytes`` overrides it).
        index_interval_bytes: bytes between sparse-index entries (topic config ``index.interval.bytes``).
    """

    capabilities = LogCapabilities(native_columns=True, single_writer=True, group_admin=True)

    def __init__(
        self,
        root: Path | str,
        *,
        fsync: bool = False,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        index_interval_bytes: int = DEFAULT_INDEX_INTERVAL,
    ) -> None:
        self.root = Path(root).expanduser().absolute()
        self.fsync = fsync
        self.segment_bytes = segment_bytes
        self.index_interval = index_interval_bytes
        self._topics_dir = self.root / "topics"
        self._topics_dir.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)
        self._open: dict[str, _Topic] = {}
        self._lock = threading.Lock()
        self._groups_ready = False
        self._closed = False

    @classmethod
    def from_config(cls, url: str, workspace: Path, *, fsync: bool = False) -> EmbeddedLog:
        """The log of a mesh whose ``log`` setting is ``embedded``: the folder ``<workspace>/log``
        (``url`` names the backend only; the signature is shared with the Kafka log)."""
        return cls(Path(workspace) / "log", fsync=fsync)

    def __repr__(self) -> str:
        return f"EmbeddedLog({str(self.root)!r}, fsync={self.fsync})"

    # -- topics ------------------------------------------------------------------------------------
    def _root_locked(self, fn: Callable[[], T]) -> T:
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return fn()
        finally:
            os.close(fd)

    def _topic(self, name: str) -> _Topic:
        t = self._open.get(name)
        if t is not None:
            return t
        if self._closed:
            raise LogError(f"{self!r} is closed")
        directory = self._topics_dir / validate_topic_name(name)
        try:
            spec = read_spec(directory)
        except FileNotFoundError:
            raise unknown_topic(name, self._topics_dir) from None
        with self._lock:
            return self._open.setdefault(name, _Topic(self, spec, directory))

    def create_topic(self, spec: TopicSpec) -> None:
        """Create a topic with ``spec.partitions`` empty partitions; a no-op if it exists alike.

        Raises:
            InvalidTopicError: the name breaks Kafka's naming rules.
            TopicExistsError: it exists with a different number of partitions.
        """
        validate_topic_name(spec.name)
        if not isinstance(spec.partitions, int) or spec.partitions < 1:
            raise LogError(f"topic {spec.name!r}: partitions must be a positive integer, got {spec.partitions!r}")
        target = self._topics_dir / spec.name

        def create() -> None:
            if (target / "topic.json").exists():
                existing = read_spec(target)
                if existing.partitions != spec.partitions:
                    raise TopicExistsError(
                        f"topic {spec.name!r} exists with {existing.partitions} partitions, not {spec.partitions}",
                        hint="partition counts are fixed at creation; use another name or delete the old topic",
                    )
                return
            scratch = self.root / "tmp" / f"create-{uuid.uuid4().hex}"
            scratch.mkdir(parents=True)
            for p in range(spec.partitions):
                create_partition(scratch / str(p))
            write_spec(scratch, spec)
            if target.exists():  # a leftover without topic.json (crash during delete)
                shutil.rmtree(target)
            os.rename(scratch, target)
            if self.fsync:
                fsync_dir(self._topics_dir)

        self._root_locked(create)

    def delete_topic(self, name: str) -> None:
        """Delete a topic, its records and its groups' offsets. Other processes must not be using it."""
        validate_topic_name(name)
        target = self._topics_dir / name

        def delete() -> None:
            if not (target / "topic.json").exists():
                raise unknown_topic(name, self._topics_dir)
            with self._lock:
                t = self._open.pop(name, None)
            if t is not None:
                t.close()
            trash = self.root / "tmp" / f"delete-{uuid.uuid4().hex}"
            os.rename(target, trash)
            shutil.rmtree(trash, ignore_errors=True)
            forget_topic(self.root / "groups.db", name)

        self._root_locked(delete)

    def topics(self) -> list[str]:
        """Names of all topics, sorted."""
        return sorted(n for n in os.listdir(self._topics_dir) if (self._topics_dir / n / "topic.json").exists())

    def topic_spec(self, name: str) -> TopicSpec:
        """The topic's layout. Raises TopicNotFoundError."""
        return self._topic(name).spec

    def partitions_for(self, name: str) -> int:
        """Partition count of ``name``, 0 when it does not exist (used by group assignment)."""
        try:
            return self._topic(name).count
        except TopicNotFoundError:
            return 0

    def partition(self, topic: str, number: int) -> PartitionWriter:
        """The open partition ``number`` of ``topic``.

        Raises:
            TopicNotFoundError: no such topic.
            LogError: ``number`` is out of range; the message gives the partition count.
        """
        t = self._topic(topic)
        if not isinstance(number, int) or not 0 <= number < t.count:
            raise LogError(
                f"partition {number!r} is out of range for topic {topic!r}, which has {t.count} "
                f"partition{'s' if t.count != 1 else ''} (0..{t.count - 1})"
            )
        return t.partition(number)

    # -- appending ---------------------------------------------------------------------------------
    def append(self, topic: str, records: Sequence[OutgoingRecord]) -> AppendResult:
        """Append records; returns once every one is durable (see ``fsync``), positions in input order.

        Keyed records go where Kafka's default partitioner puts them; the keyless records of one call
        share one partition, the next call's go to the next partition (Kafka's sticky partitioner).
        Each partition receives one batch, written with one system call.

        Raises:
            TopicNotFoundError: unknown topic.
            LogError: an explicit partition is out of range, or a key/value is not bytes.
        """
        t = self._topic(topic)
        n = len(records)
        if n == 0:
            return AppendResult(topic, [], 0)
        keys = [r.key for r in records]
        values = [r.value for r in records]
        given = [r.timestamp for r in records]
        all_headers = [r.headers for r in records]
        headers: list[Headers] | None = None if all_headers.count(()) == n else all_headers
        stamps: list[int]
        if given.count(None) == n:
            stamps = [int(time.time() * 1000)] * n
        elif None in given:
            now = int(time.time() * 1000)
            stamps = [now if s is None else s for s in given]
        else:
            stamps = cast("list[int]", given)  # just checked: no None among them
        explicit = [r.partition for r in records]
        if explicit.count(None) == n:
            if t.count == 1:
                return self._append_run(t, 0, keys, values, stamps, headers, n)
            if keys.count(None) == n:
                return self._append_run(t, t.next_sticky(), keys, values, stamps, headers, n)
            placed = t.keyed.place(keys)
            if None in placed:  # keyless records among keyed ones: one sticky partition for them
                sticky = t.next_sticky()
                parts = [sticky if p is None else p for p in placed]
            else:
                parts = cast("list[int]", placed)  # just checked: no None among them
        else:
            parts = self._place(t, keys, explicit)
        first = parts[0]
        if parts.count(first) == n:
            return self._append_run(t, first, keys, values, stamps, headers, n)
        runs = []
        for p, idx in _group(parts):
            pick = itemgetter(*idx) if len(idx) > 1 else lambda seq, i=idx[0]: (seq[i],)
            sub_stamps = list(pick(stamps))
            batch = encode_batch(
                list(pick(keys)), list(pick(values)), sub_stamps, None if headers is None else list(pick(headers))
            )
            runs.append(Run(p, t.partition(p).append(batch), sub_stamps, idx))
        return AppendResult(topic, runs, n)

    def append_columns(
        self, topic: str, partition: int, *, keys: pa.Array, values: pa.Array, timestamps: pa.Array
    ) -> int:
        """One batch straight from Arrow columns (see :meth:`BaseLog.append_columns`): no record objects."""
        t = self._topic(topic)
        if not isinstance(partition, int) or not 0 <= partition < t.count:
            raise LogError(
                f"partition {partition!r} is out of range for topic {topic!r}, which has {t.count} "
                f"partition{'s' if t.count != 1 else ''} (0..{t.count - 1})"
            )
        if len(values) == 0:
            return 0
        t.partition(partition).append(encode_arrow_batch(keys, values, timestamps))
        return len(values)

    def _append_run(
        self, t: _Topic, p: int, keys: list, values: list, stamps: list[int], headers: list | None, n: int
    ) -> AppendResult:
        base = t.partition(p).append(encode_batch(keys, values, stamps, headers))
        return AppendResult(t.spec.name, [Run(p, base, stamps, None)], n)

    def _place(self, t: _Topic, keys: list, explicit: list) -> list[int]:
        count, keyed = t.count, t.keyed
        sticky = -1
        parts = []
        for k, p in zip(keys, explicit):
            if p is None:
                if k is not None:
                    p = keyed(k)
                else:
                    if sticky < 0:
                        sticky = t.next_sticky()
                    p = sticky
            elif not isinstance(p, int) or not 0 <= p < count:
                raise LogError(
                    f"partition {p!r} is out of range for topic {t.spec.name!r}, which has {count} "
                    f"partition{'s' if count != 1 else ''} (0..{count - 1})"
                )
            parts.append(p)
        return parts

    # -- offsets -----------------------------------------------------------------------------------
    def begin_offsets(self, topic: str) -> dict[int, int]:
        """Earliest retained offset per partition."""
        t = self._topic(topic)
        return {p: t.partition(p).begin_offset() for p in range(t.count)}

    def end_offsets(self, topic: str) -> dict[int, int]:
        """Offset the next appended record will get, per partition (Kafka's high watermark)."""
        t = self._topic(topic)
        return {p: t.partition(p).end_offset() for p in range(t.count)}

    def offsets_for_timestamp(self, topic: str, timestamp_ms: int) -> dict[int, int]:
        """Per partition, the first offset whose timestamp >= ``timestamp_ms`` (end offset if none)."""
        t = self._topic(topic)
        return {p: t.partition(p).offset_for_timestamp(timestamp_ms) for p in range(t.count)}

    def read_batches(
        self, topic: str, partition: int, offset: int = 0, *, max_bytes: int = 1 << 20
    ) -> list[RecordBatch]:
        """Columnar read of about ``max_bytes`` from ``offset`` (for tools and replay; no consumer needed)."""
        part = self.partition(topic, partition)
        return part.fetch(max(offset, part.begin_offset()), Cursor(), max_bytes)

    def enforce_retention(self, topic: str) -> None:
        """Delete closed segments older than the topic's ``retention_ms`` now (also done on every roll)."""
        t = self._topic(topic)
        for p in range(t.count):
            t.partition(p).enforce_retention()

    # -- consumers ---------------------------------------------------------------------------------
    def consumer(
        self,
        topics: Sequence[str],
        *,
        group: str | None = None,
        auto_offset_reset: OffsetReset = "earliest",
        auto_commit: bool = True,
        session_timeout_ms: int = 10_000,
        fetch_max_bytes: int = 1 << 20,
    ) -> EmbeddedLogConsumer:
        """Open a consumer; with ``group``, partitions are shared with the group's other members in
        any process. ``fetch_max_bytes`` bounds each read of a partition (at least one batch is read)."""
        names = [topics] if isinstance(topics, str) else list(topics)
        if not names:
            raise LogError("a consumer needs at least one topic")
        for name in names:
            self._topic(name)
        if group is not None and not self._groups_ready:
            self._root_locked(lambda: init_group_db(self.groups_db))
            self._groups_ready = True
        return EmbeddedLogConsumer(
            self,
            names,
            group=group,
            auto_offset_reset=auto_offset_reset,
            auto_commit=auto_commit,
            session_timeout_ms=session_timeout_ms,
            fetch_max_bytes=fetch_max_bytes,
        )

    def group_offsets(self) -> dict[str, dict[TopicPartition, int]]:
        """Committed offsets of every consumer group of this log, per group."""
        return all_committed(self.groups_db)

    def set_group_offsets(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit ``offsets`` for ``group`` from outside it (topics must exist)."""
        for topic, _ in offsets:
            self._topic(topic)
        if not self._groups_ready:
            self._root_locked(lambda: init_group_db(self.groups_db))
            self._groups_ready = True
        write_committed(self.groups_db, group, offsets, fsync=self.fsync)

    @property
    def groups_db(self) -> Path:
        """Path of the consumer-group database."""
        return self.root / "groups.db"

    def close(self) -> None:
        """Close every open partition; the log object cannot be used afterwards."""
        with self._lock:
            self._closed = True
            opened, self._open = self._open, {}
        for t in opened.values():
            t.close()
