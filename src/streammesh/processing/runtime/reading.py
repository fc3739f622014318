"""Reading a source product for a processor: micro-batches from the log, or exactly a recorded range.

A processor reads each source with its own log consumer and no consumer group (it checkpoints its own
positions, atomically with its state). Reads use the embedded log's columnar ``poll_batches`` when the
adapter has them natively, else the port's default built from ``poll`` (the log declares which, and whether
it is remote: see :class:`~streammesh.log.base.LogCapabilities`).

A partition task (:mod:`.partitioned`) reads only some partitions of a source (``only``): the other
partitions are moved to their end and whatever still arrives there is dropped. ``read_all`` (table sources)
reads up to the end offsets asked of the log at the call: a Kafka consumer's zero-timeout poll only returns
what it has fetched so far, and a table must be complete before the stream records that join it.
"""

from __future__ import annotations

import time
from typing import Any

from streammesh.log.base import BaseLog, RecordColumns

__all__ = ["SourceReader"]


class SourceReader:
    """One source's consumer: positions, micro-batch reads and exact-range re-reads."""

    def __init__(
        self, log: BaseLog, stream: str, *, from_end: bool = False, only: frozenset[int] | None = None
    ) -> None:
        self.log = log
        self.stream = stream
        self.only = only
        self.consumer = log.consumer(
            [stream], auto_offset_reset="latest" if from_end or only is not None else "earliest", auto_commit=False
        )
        self._remote = log.capabilities.remote
        if only is not None and not from_end:
            begins = log.begin_offsets(stream)
            for p in only:
                self.consumer.seek(stream, p, begins[p])

    def _poll(self, max_records: int, timeout: float) -> list[RecordColumns]:
        views = list(self.consumer.poll_batches(max_records=max_records, timeout=timeout))
        if self.only is not None:
            views = [v for v in views if v.partition in self.only]
        return views

    def positions(self) -> dict[int, int]:
        return {p: off for (_t, p), off in self.consumer.position().items() if self.only is None or p in self.only}

    def seek(self, positions: dict[int, int]) -> None:
        for p, off in positions.items():
            self.consumer.seek(self.stream, p, off)

    def lag(self) -> int:
        return sum(n for (_t, p), n in self.consumer.lag().items() if self.only is None or p in self.only)

    def read(self, max_records: int, timeout: float) -> list[Any]:
        """Up to ``max_records`` records, waiting up to ``timeout`` s for the first."""
        return self._poll(max_records, timeout)

    def read_all(self, *, chunk: int = 50_000, limit: int = 1_000_000) -> list[Any]:
        """Everything available now (up to ``limit`` records)."""
        out: list[Any] = []
        n = 0
        if self._remote:  # an empty poll may only mean the fetch is under way
            ends = self.log.end_offsets(self.stream)
            deadline = time.monotonic() + 30.0
            while n < limit:
                pos = self.positions()
                if all(pos.get(p, e) >= e for p, e in ends.items() if self.only is None or p in self.only):
                    break
                if time.monotonic() > deadline:
                    raise LookupError(
                        f"{self.stream}: could not read up to the end offsets {ends} within 30 s (reached {pos})"
                    )
                views = self._poll(min(chunk, limit - n), 0.1)
                out += views
                n += sum(v.count for v in views)
        # what is on the log now (embedded), or fetched beyond the end offsets (a broker may report them late)
        while n < limit:
            views = self._poll(min(chunk, limit - n), 0.0)
            if not views:
                break
            out += views
            n += sum(v.count for v in views)
        return out

    def read_range(self, ranges: dict[int, tuple[int, int]]) -> list[Any]:
        """Exactly the records ``start <= offset < end`` of each partition in ``ranges``; afterwards the
        consumer stands at each range's end."""
        self.seek({p: start for p, (start, _end) in ranges.items()})
        todo = {p: end for p, (start, end) in ranges.items() if end > start}
        out: list[Any] = []
        while todo:
            views = self._poll(100_000, 1.0)
            if not views:
                missing = ", ".join(f"{p}: {self.positions().get(p)} < {e}" for p, e in todo.items())
                raise LookupError(f"{self.stream}: records recorded for replay are gone ({missing})")
            for v in views:
                end = todo.get(v.partition)
                if end is None or v.base_offset >= end:
                    continue
                if v.next_offset > end:
                    v = v.slice(0, end - v.base_offset)
                out.append(v)
                if v.next_offset >= end:
                    del todo[v.partition]
        self.seek({p: end for p, (_start, end) in ranges.items()})
        return out

    def close(self) -> None:
        self.consumer.close()
