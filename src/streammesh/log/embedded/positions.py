"""Acknowledgements of an append, built only when someone looks at them.

Why lazy: ``RecordPosition`` is a frozen dataclass and building one costs ~0.45 µs, about four
times what the raw write of a 100-byte record costs per record (see ``benchmarks/README.md``).
Batch producers rarely inspect every position, so an :class:`AppendResult` stores one run per
partition (partition, first offset, timestamps) and materialises ``RecordPosition`` objects on
first access; iteration, indexing, ``len`` and comparison with lists behave like the list it stands for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import repeat
from typing import Any, NamedTuple, overload

from streammesh.log.base.records import RecordPosition

__all__ = ["AppendResult", "Run"]


class Run(NamedTuple):
    """Records of one append that went to one partition.

    Attributes:
        partition: the partition.
        base_offset: offset of the run's first record (the run's offsets are contiguous).
        timestamps: timestamp of each record of the run.
        indexes: position of each record in the appended sequence; ``None`` when the run is the
            whole append, in order.
    """

    partition: int
    base_offset: int
    timestamps: list[int]
    indexes: list[int] | None


class AppendResult(Sequence[RecordPosition]):
    """The positions of one append, in the order the records were given."""

    __slots__ = ("_count", "_items", "runs", "topic")

    def __init__(self, topic: str, runs: list[Run], count: int) -> None:
        self.topic = topic
        self.runs = runs
        self._count = count
        self._items: list[RecordPosition] | None = None

    @property
    def offsets(self) -> dict[int, tuple[int, int]]:
        """``partition -> (first offset, number of records)`` without building any position."""
        return {r.partition: (r.base_offset, len(r.timestamps)) for r in self.runs}

    def _all(self) -> list[RecordPosition]:
        items = self._items
        if items is None:
            topic = self.topic
            if len(self.runs) == 1 and self.runs[0].indexes is None:
                r = self.runs[0]
                n = len(r.timestamps)
                items = list(
                    map(
                        RecordPosition,
                        repeat(topic, n),
                        repeat(r.partition, n),
                        range(r.base_offset, r.base_offset + n),
                        r.timestamps,
                    )
                )
            else:
                slots: list[Any] = [None] * self._count
                for r in self.runs:
                    order = r.indexes if r.indexes is not None else range(len(r.timestamps))
                    for j, (i, ts) in enumerate(zip(order, r.timestamps)):
                        slots[i] = RecordPosition(topic, r.partition, r.base_offset + j, ts)
                items = slots
            self._items = items
        return items

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, i: int) -> RecordPosition: ...

    @overload
    def __getitem__(self, i: slice) -> list[RecordPosition]: ...

    def __getitem__(self, i: int | slice) -> RecordPosition | list[RecordPosition]:
        return self._all()[i]

    def __iter__(self) -> Iterator[RecordPosition]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AppendResult):
            return self._all() == other._all()
        if isinstance(other, (list, tuple)):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # unhashable (it defines __eq__); typeshed types __hash__ as a method

    def __repr__(self) -> str:
        return f"AppendResult({self._all()!r})"

    def __add__(self, other: Sequence[RecordPosition]) -> list[RecordPosition]:
        return self._all() + list(other)

    def __radd__(self, other: Sequence[RecordPosition]) -> list[RecordPosition]:
        return list(other) + self._all()
