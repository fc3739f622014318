"""Records read column by column: the shape in which stream processors take a log's records.

A log adapter may return its own zero-copy views from :meth:`~streammesh.log.base.BaseLogConsumer.poll_batches`
(the embedded log's record batches); every other adapter gets :class:`RecordRun` built from ``poll()``. Both
offer the same attributes, and Arrow columns of values and timestamps, so readers never ask which one they hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from streammesh.log.base.records import Record

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["RecordColumns", "RecordRun", "runs_of"]


class RecordColumns(Protocol):
    """Consecutive records of one partition as columns."""

    topic: str
    partition: int
    base_offset: int

    @property
    def count(self) -> int: ...

    @property
    def next_offset(self) -> int: ...

    @property
    def offsets(self) -> range: ...

    @property
    def timestamps(self) -> list[int]: ...

    @property
    def keys(self) -> list[bytes | None]: ...

    @property
    def values(self) -> list[bytes | None]: ...

    def slice(self, lo: int, hi: int) -> RecordColumns:
        """Records ``lo..hi-1`` of this view (positions within it)."""
        ...

    def value_array(self) -> pa.Array:
        """The values as an Arrow binary array (null for tombstones)."""
        ...

    def timestamp_array(self) -> pa.Array:
        """The timestamps as an Arrow int64 array."""
        ...


@dataclass
class RecordRun:
    """Consecutive records of one partition held as Python lists (built from ``poll()``)."""

    topic: str
    partition: int
    base_offset: int
    timestamps: list[int]
    keys: list[bytes | None]
    values: list[bytes | None]

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def offsets(self) -> range:
        return range(self.base_offset, self.base_offset + self.count)

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.count

    def slice(self, lo: int, hi: int) -> RecordRun:
        return RecordRun(
            self.topic,
            self.partition,
            self.base_offset + lo,
            self.timestamps[lo:hi],
            self.keys[lo:hi],
            self.values[lo:hi],
        )

    def value_array(self) -> pa.Array:
        import pyarrow as pa

        return pa.array(self.values, pa.binary())

    def timestamp_array(self) -> pa.Array:
        import pyarrow as pa

        return pa.array(self.timestamps, pa.int64())


def runs_of(records: Sequence[Record]) -> list[RecordRun]:
    """``records`` regrouped into runs of consecutive offsets of one partition, in the order given."""
    out: list[RecordRun] = []
    for r in records:
        last = out[-1] if out else None
        if last is None or last.partition != r.partition or last.next_offset != r.offset:
            last = RecordRun(r.topic, r.partition, r.offset, [], [], [])
            out.append(last)
        last.timestamps.append(r.timestamp)
        last.keys.append(r.key)
        last.values.append(r.value)
    return out
