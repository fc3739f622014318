"""The records that travel through a log, shaped like Kafka's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Headers", "OffsetReset", "OutgoingRecord", "Record", "RecordPosition", "TopicSpec"]

Headers = tuple[tuple[str, bytes], ...]
OffsetReset = Literal["earliest", "latest"]


@dataclass(slots=True)
class Record:
    """One event read from a partition. ``value=None`` is a tombstone (deletes the key when compacted)."""

    topic: str
    partition: int
    offset: int
    timestamp: int  # milliseconds since the Unix epoch
    key: bytes | None
    value: bytes | None
    headers: Headers = ()


@dataclass(slots=True)
class OutgoingRecord:
    """One event to append. ``partition=None`` lets the log's partitioner choose from the key;
    ``timestamp=None`` means the append time."""

    value: bytes | None
    key: bytes | None = None
    headers: Headers = ()
    timestamp: int | None = None
    partition: int | None = None


@dataclass(slots=True, frozen=True)
class RecordPosition:
    """Where an appended record landed: its acknowledgement."""

    topic: str
    partition: int
    offset: int
    timestamp: int


@dataclass(slots=True, frozen=True)
class TopicSpec:
    """How a topic is laid out and kept.

    Attributes:
        partitions: number of partitions, fixed at creation.
        retention_ms: delete events older than this; ``None`` keeps them forever (the default: replay).
        compacted: keep at least the latest value per key (table-like products).
    """

    name: str
    partitions: int = 1
    retention_ms: int | None = None
    compacted: bool = False
    config: dict[str, str] = field(default_factory=dict)
