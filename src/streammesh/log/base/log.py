"""The ``Log`` port: what services may ask of an event log, whichever backend serves it.

Adapters (``log/embedded``, ``log/kafka``) implement these classes; nothing above the log
layer imports an adapter directly, it asks :data:`streammesh.plugins.log_backends` for one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, Self

from streammesh.log.base.capabilities import LogCapabilities
from streammesh.log.base.columns import RecordColumns, runs_of
from streammesh.log.base.records import OffsetReset, OutgoingRecord, Record, RecordPosition, TopicSpec

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["BaseLog", "BaseLogConsumer", "LogTransaction", "TopicPartition"]

TopicPartition = tuple[str, int]


class BaseLogConsumer(ABC):
    """Reads records from one or more topics, alone or as a member of a consumer group.

    Without a group the consumer is assigned every partition of its topics. With a group, the
    partitions are shared among the group's live members (in any process) and positions are
    committed so that a restarted member resumes where the group left off.
    """

    @abstractmethod
    def poll(self, *, max_records: int = 500, timeout: float = 0.0) -> list[Record]:
        """Return up to ``max_records`` records from assigned partitions, waiting up to ``timeout``
        seconds for at least one. With a group, first commits what the previous poll returned when
        ``auto_commit`` is on, and takes part in rebalancing."""

    def poll_batches(self, *, max_records: int = 100_000, timeout: float = 0.0) -> Sequence[RecordColumns]:
        """Like :meth:`poll`, as runs of consecutive records per partition, column by column (the stream
        processor's read path). This default regroups :meth:`poll`'s records; an adapter with a columnar
        storage format returns its own views (and declares ``native_columns``)."""
        return runs_of(self.poll(max_records=max_records, timeout=timeout))

    @abstractmethod
    def assignment(self) -> list[TopicPartition]:
        """Partitions this consumer currently reads."""

    @abstractmethod
    def position(self) -> dict[TopicPartition, int]:
        """Next offset to be returned, per assigned partition."""

    @abstractmethod
    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Continue ``partition`` from ``offset`` (clamped to the partition's bounds)."""

    @abstractmethod
    def seek_to_beginning(self) -> None:
        """Continue every assigned partition from its earliest retained offset."""

    @abstractmethod
    def seek_to_end(self) -> None:
        """Continue every assigned partition after its last record (only new records)."""

    @abstractmethod
    def seek_to_timestamp(self, timestamp_ms: int) -> None:
        """Continue every assigned partition from its first record with timestamp >= ``timestamp_ms``."""

    @abstractmethod
    def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None:
        """Commit ``offsets`` (next offset to read) for the group, or the current positions.

        Raises:
            GroupError: this member no longer owns a partition it tries to commit (it was reassigned).
        """

    @abstractmethod
    def committed(self) -> dict[TopicPartition, int]:
        """The group's committed offsets for this consumer's topics."""

    @abstractmethod
    def lag(self) -> dict[TopicPartition, int]:
        """Records between the current position and the end, per assigned partition."""

    @abstractmethod
    def close(self) -> None:
        """Commit (if auto-commit is on), leave the group so partitions move at once, release files."""

    def __iter__(self) -> Iterator[Record]:
        """Yield records forever, polling with a short wait; stop with ``break`` or ``close()``."""
        while True:
            yield from self.poll(timeout=0.5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class LogTransaction(ABC):
    """A writer whose appends between :meth:`begin` and :meth:`commit` become visible all together or not
    at all, and which a newer writer with the same id fences (Kafka's transactional producer).

    Raises (every method):
        FencedError: a newer writer with the same id exists; stop writing.
    """

    @abstractmethod
    def begin(self) -> None: ...

    @abstractmethod
    def append(self, topic: str, records: Sequence[OutgoingRecord]) -> None:
        """Append as :meth:`BaseLog.append` places records, inside the open transaction; they are durable
        (and their positions known) only once :meth:`commit` returns."""

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def abort(self) -> None:
        """Drop the open transaction's appends (never raises: an abort is what follows a failure)."""

    @abstractmethod
    def close(self) -> None: ...


class BaseLog(ABC):
    """A Kafka-shaped event log: topics of ordered, keyed, partitioned, replayable records."""

    #: what this backend can do (see :class:`LogCapabilities`); adapters override it
    capabilities: ClassVar[LogCapabilities] = LogCapabilities()

    @classmethod
    def from_config(cls, url: str, workspace: Path, *, fsync: bool = False) -> Self:
        """Open the log a mesh's ``log`` setting names (``embedded``, ``kafka://HOST:PORT``...).

        The mesh builds every backend through this one signature, so it never needs to know which
        backend it opens; an adapter takes what concerns it (a folder in ``workspace``, the URL).
        """
        raise NotImplementedError(
            f"{cls.__name__} cannot be opened from a mesh configuration: "
            f"it needs a from_config(url, workspace, *, fsync) classmethod"
        )

    @abstractmethod
    def create_topic(self, spec: TopicSpec) -> None:
        """Create a topic; a no-op when it exists with the same partition count.

        Raises:
            ConflictError: the topic exists with a different number of partitions.
        """

    @abstractmethod
    def delete_topic(self, name: str) -> None:
        """Delete a topic and its records (used for dead drafts and tests, never for published products)."""

    @abstractmethod
    def topics(self) -> list[str]:
        """Names of all topics, sorted."""

    @abstractmethod
    def topic_spec(self, name: str) -> TopicSpec:
        """The topic's layout. Raises TopicNotFoundError."""

    @abstractmethod
    def append(self, topic: str, records: Sequence[OutgoingRecord]) -> Sequence[RecordPosition]:
        """Append records and return once they are durable, in the order given.

        The positions come back as a sequence (a list, or a lazily built equivalent: building a
        ``RecordPosition`` per record can cost more than writing it).

        Records without a partition are placed by the key like Kafka's default partitioner
        (murmur2 of the key bytes, positive modulo partition count); keyless records are spread
        round-robin. Raises TopicNotFoundError.
        """

    def append_columns(
        self, topic: str, partition: int, *, keys: pa.Array, values: pa.Array, timestamps: pa.Array
    ) -> int:
        """Append one partition's records given as Arrow columns and return once they are durable; returns
        how many were appended.

        The stream processor's output path: a micro-batch's events arrive from DuckDB as Arrow columns, and
        an adapter may write them without a Python object per event (the embedded log does). This default
        builds records and calls :meth:`append`.

        Args:
            keys: binary (or null) keys; values: binary values, null for tombstones;
            timestamps: int64 milliseconds since the epoch, never null.
        """
        records = [
            OutgoingRecord(v, k, (), t, partition)
            for k, v, t in zip(keys.to_pylist(), values.to_pylist(), timestamps.to_pylist())
        ]
        if records:
            self.append(topic, records)
        return len(records)

    @abstractmethod
    def begin_offsets(self, topic: str) -> dict[int, int]:
        """Earliest retained offset per partition."""

    @abstractmethod
    def end_offsets(self, topic: str) -> dict[int, int]:
        """Offset the next appended record will get, per partition (Kafka's high watermark)."""

    @abstractmethod
    def offsets_for_timestamp(self, topic: str, timestamp_ms: int) -> dict[int, int]:
        """Per partition, the first offset whose timestamp >= ``timestamp_ms`` (end offset if none)."""

    def group_offsets(self) -> dict[str, dict[TopicPartition, int]]:
        """Committed offsets (next offset to read) of every consumer group that committed any, per group.

        For operators and migrations; a group's own members read theirs with ``consumer.committed()``.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot list consumer groups' offsets")

    def set_group_offsets(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit ``offsets`` for ``group`` from outside the group (a reset or a migration); the group
        should have no live members, which would overwrite them with their own positions.

        Raises:
            GroupError: the log refused the offsets (e.g. the group has live members).
        """
        raise NotImplementedError(f"{type(self).__name__} cannot set consumer groups' offsets")

    @abstractmethod
    def consumer(
        self,
        topics: Sequence[str],
        *,
        group: str | None = None,
        auto_offset_reset: OffsetReset = "earliest",
        auto_commit: bool = True,
        session_timeout_ms: int = 10_000,
    ) -> BaseLogConsumer:
        """Open a consumer. ``auto_offset_reset`` applies where the group has no committed offset
        (or always, without a group)."""

    def transactional(self, transactional_id: str) -> LogTransaction | None:
        """A transactional writer with this id (fencing every earlier one), or None when the log has no
        transactions: the embedded log needs none, its apps have a single writer per output stream."""
        return None

    @abstractmethod
    def close(self) -> None:
        """Release files and connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
