"""Nexmark q0, q1, q2, q3 and q5 as Bytewax dataflows on streammesh's embedded log: the comparison of issue 4.

Issue 4 asks for the same computation in another Python stream processor, measured in the same run.
Quix Streams needs a Kafka broker; Bytewax (``bytewax`` 0.21, the ``bench`` extra) runs in-process, so
each query here is a Bytewax dataflow doing what streammesh's processor does, end to end, on the same log:

* **Input**: :class:`LogSource`, a ``FixedPartitionedSource`` with one Bytewax partition per partition of
  the source product's stream. Each partition has its own embedded-log consumer (``poll_batches`` of up
  to ``batch`` records, columnar) placed on its log partition, decodes every value with the SDK decoder
  (``streammesh.schemas.decoding.value_decoder``: fastavro, writer schema found by id, ``date_time`` as an
  aware ``datetime``; the decode the plain-loop baseline uses) and emits the dicts. A partition ends
  (``StopIteration``) when a poll finds nothing: the source is caught up, as when the engine's step
  reads nothing. Its snapshot is the next offset, so the source could resume with recovery on.
* **Computation** with Bytewax operators: ``map`` (q0, q1), ``filter`` + ``map`` (q2); q3 merges two
  inputs keyed by person id into a ``stateful_flat_map`` that keeps each person's versions (the table)
  and joins each auction of category 10 to the version valid at its event time; q5 is
  ``windowing.count_window`` with a ``SlidingWindower`` (10 s, offset 2 s, aligned to the epoch) and an
  ``EventClock`` on ``date_time``.
* **Output**: :class:`LogSink`, a ``DynamicSink`` whose partition encodes each row with orjson behind
  the 5-byte Confluent wire header and appends ``OutgoingRecord`` batches of ``batch`` rows to a
  3-partition topic (the log places them by key with murmur2, like the engine's output). Rows and keys
  are byte for byte the engine's (ISO timestamps; q5 keyed by ``[auction, starttime]``).

Flows run with ``bytewax.testing.run_main``: one worker in the calling thread, so ``time.process_time()``
around it measures all the CPU they use. The cyclic GC stays on (Bytewax's default).

Semantics, compared with streammesh's SQL (see ``docs/sql.md``):

* **q3**: streammesh reads table sources to their end before each batch of the stream and joins each
  auction to the person version valid at its event time (the newest at or before it). Here the auction
  input waits (its partitions return no items) until every person partition has reached the end, through
  a shared :class:`TableGate`, then each auction picks the same version. Joining the latest person
  whatever its time would not do: Nexmark lets an auction name a seller registered a few milliseconds
  later, which the temporal join leaves out (1 auction in 458 on 60,000 events).
* **q5**: streammesh keeps one watermark per *log partition* (largest event time seen minus grace, 0 here)
  and closes a window when it ends at or before the smallest of them, so windows still open at the end of
  the log are not emitted. Bytewax's ``EventClock`` keeps its watermark per *key* (its windowing state is
  per key) and closes every window at EOF. The clock here is made deterministic: ``now_getter`` is a
  constant, so the watermark is exactly the key's largest event time (no system-time drift), and
  ``to_system_utc`` returns ``None``, so no wake-up runs on wall-clock time; windows close when a later bid
  of the same auction arrives, or at EOF. Bytewax therefore writes every window holding a bid, and the
  windows ending at or before streammesh's final watermark are exactly streammesh's rows
  (:func:`closed_by_watermark` counts them). A bid older than its key's watermark is late in Bytewax for
  all its windows (streammesh: only for windows already ended at its partition's watermark); Nexmark's
  timeline is in order, so neither sees late bids.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any

import bytewax.operators as op
import orjson
from bytewax.dataflow import Dataflow
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.operators import windowing as win
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from bytewax.testing import run_main

from streammesh.log.base import OutgoingRecord, TopicSpec
from streammesh.schemas import load_schema
from streammesh.schemas.decoding import value_decoder
from streammesh.schemas.wire import wire_header
from streammesh.sdk.mesh import Mesh

__all__ = ["BYTEWAX_VERSION", "FlowStats", "LogSink", "LogSource", "TableGate", "closed_by_watermark", "run_flow"]

BYTEWAX_VERSION: str = metadata.version("bytewax")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
WINDOW = timedelta(seconds=10)
ADVANCE = timedelta(seconds=2)
STATES = frozenset({"OR", "ID", "CA"})

Row = dict[str, Any]
Out = tuple[bytes, Row]  # (log key, output row): what reaches the sink


@dataclass
class FlowStats:
    """What one flow did: records read, rows appended, late bids (q5), largest event time per source partition."""

    read: int = 0
    emitted: int = 0
    late: int = 0
    max_ts: dict[tuple[str, int], int] = field(default_factory=dict)


def iso(dt: datetime) -> str:
    """``2024-01-01T00:00:00.000Z``, how the engine renders a timestamp in JSON, from an aware UTC datetime
    (``isoformat`` is ≈ 40 % cheaper than ``strftime`` here)."""
    return dt.isoformat(timespec="milliseconds")[:-6] + "Z"


# -- input ------------------------------------------------------------------------------------------------------
class TableGate:
    """Holds a stream's partitions back until every partition of a table input has been read to its end
    (what streammesh's processor does before joining a batch of the stream)."""

    def __init__(self, table_partitions: int) -> None:
        self.pending = table_partitions

    @property
    def open(self) -> bool:
        return self.pending <= 0

    def table_partition_done(self) -> None:
        self.pending -= 1


class _LogPartition(StatefulSourcePartition[Row, int]):
    """One log partition: poll columnar batches, keep this partition's values, decode them."""

    def __init__(
        self,
        mesh: Mesh,
        stream: str,
        partition: int,
        start: int,
        decode: Callable[[bytes | None], Any],
        batch: int,
        stats: FlowStats,
        gate: TableGate | None,
        is_table: bool,
    ) -> None:
        self._consumer = mesh.log.consumer([stream], auto_commit=False)
        self._consumer.seek_to_end()  # the other partitions are read by their own Bytewax partitions
        self._consumer.seek(stream, partition, start)
        self._stream, self._partition, self._next = stream, partition, start
        self._decode, self._batch, self._stats = decode, batch, stats
        self._gate, self._is_table = gate, is_table

    def next_batch(self) -> list[Row]:
        if self._gate is not None and not self._is_table and not self._gate.open:
            return []  # auctions wait for the person table
        views = self._consumer.poll_batches(max_records=self._batch)
        if not views:  # caught up: end of this partition
            if self._gate is not None and self._is_table:
                self._gate.table_partition_done()
            raise StopIteration
        decode, out = self._decode, []
        for v in views:
            if v.partition != self._partition:
                continue  # appended to another partition since this one started
            out += map(decode, v.values)
            self._next = v.next_offset
            key = (self._stream, self._partition)
            self._stats.max_ts[key] = max(self._stats.max_ts.get(key, -1 << 62), max(v.timestamps))
        self._stats.read += len(out)
        return out

    def snapshot(self) -> int:
        return self._next

    def close(self) -> None:
        self._consumer.close()


class LogSource(FixedPartitionedSource[Row, int]):
    """A data product's stream as a Bytewax input: one partition per log partition, values decoded to dicts
    with the SDK decoder. With ``gate``, a table input opens it at its end and a stream input waits for it."""

    def __init__(
        self,
        mesh: Mesh,
        product: str,
        *,
        batch: int,
        stats: FlowStats,
        gate: TableGate | None = None,
        is_table: bool = False,
    ) -> None:
        p = mesh.product(product)
        self.mesh, self.stream, self.batch, self.stats = mesh, p.stream, batch, stats
        self.gate, self.is_table = gate, is_table
        self.partitions = mesh.log.topic_spec(p.stream).partitions
        self.decode = value_decoder(mesh.registry, load_schema(p.contract.schema_))

    def list_parts(self) -> list[str]:
        return [str(p) for p in range(self.partitions)]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _LogPartition:
        return _LogPartition(
            self.mesh,
            self.stream,
            int(for_part),
            resume_state or 0,
            self.decode,
            self.batch,
            self.stats,
            self.gate,
            self.is_table,
        )


# -- output -----------------------------------------------------------------------------------------------------
class _LogSinkPartition(StatelessSinkPartition[Out]):
    def __init__(self, mesh: Mesh, topic: str, header: bytes, batch: int, stats: FlowStats) -> None:
        self._log, self._topic, self._header, self._batch, self._stats = mesh.log, topic, header, batch, stats
        self._pending: list[OutgoingRecord] = []

    def write_batch(self, items: list[Out]) -> None:
        header, dumps = self._header, orjson.dumps
        self._pending += [OutgoingRecord(header + dumps(row), key) for key, row in items]
        if len(self._pending) >= self._batch:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._log.append(self._topic, self._pending)
            self._stats.emitted += len(self._pending)
            self._pending = []

    def close(self) -> None:
        self._flush()


class LogSink(DynamicSink[Out]):
    """Appends ``(key, row)`` items to ``topic`` as orjson behind the wire header, ``batch`` records per append."""

    def __init__(self, mesh: Mesh, topic: str, *, header: bytes, batch: int, stats: FlowStats) -> None:
        self.mesh, self.topic, self.header, self.batch, self.stats = mesh, topic, header, batch, stats

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _LogSinkPartition:
        return _LogSinkPartition(self.mesh, self.topic, self.header, self.batch, self.stats)


class _CountSink(DynamicSink[Any]):
    """Counts the items it receives (q5's late bids)."""

    def __init__(self, stats: FlowStats) -> None:
        self.stats = stats

    def build(self, step_id: str, worker_index: int, worker_count: int) -> StatelessSinkPartition[Any]:
        stats = self.stats

        class _Part(StatelessSinkPartition[Any]):
            def write_batch(self, items: list[Any]) -> None:
                stats.late += len(items)

        return _Part()


# -- the queries ------------------------------------------------------------------------------------------------
def _q0(e: Row) -> Out:
    return str(e["auction"]).encode(), {
        "auction": e["auction"],
        "bidder": e["bidder"],
        "price": e["price"],
        "channel": e["channel"],
        "url": e["url"],
        "date_time": iso(e["date_time"]),
        "extra": e["extra"],
    }


def _q1(e: Row) -> Out:
    # price * 908 / 1000, not * 0.908: DuckDB computes `price * 0.908` as a DECIMAL, then renders the double
    return str(e["auction"]).encode(), {
        "auction": e["auction"],
        "bidder": e["bidder"],
        "price": e["price"] * 908 / 1000,
        "date_time": iso(e["date_time"]),
        "extra": e["extra"],
    }


def _q2(e: Row) -> Out:
    return str(e["auction"]).encode(), {"auction": e["auction"], "price": e["price"]}


Version = tuple[int, str, str, str]  # a person's event time (epoch ms), name, city, state


def _ms(dt: datetime) -> int:
    """Epoch milliseconds. State holds ints, not ``datetime``s: Bytewax deep-copies every key's state when it
    snapshots (at each epoch's end, recovery or not), and a version holding a ``datetime`` costs ≈ 4x one
    of ints there (13 against 3.4 µs)."""
    return (dt - EPOCH) // _MS


def _person_version(p: Row) -> tuple[str, tuple[str, Version]]:
    return str(p["id"]), ("p", (_ms(p["date_time"]), p["name"], p["city"], p["state"]))


def _auction_by_seller(a: Row) -> tuple[str, tuple[str, tuple[int, int]]]:
    return str(a["seller"]), ("a", (_ms(a["date_time"]), a["id"]))


def _join_person(versions: list[Version] | None, item: tuple[str, Any]) -> tuple[list[Version] | None, Iterable[Out]]:
    """The q3 temporal table join, per person id: a person adds a version; an auction meets the version valid
    at its event time (the newest at or before it; on equal times the later one), like streammesh's join."""
    kind, value = item
    if kind == "p":
        if versions is None:
            versions = []
        versions.append(value)
        return versions, ()
    if versions is None:
        return None, ()
    at, auction = value
    best = None
    for v in versions:
        if v[0] <= at and (best is None or v[0] >= best[0]):
            best = v
    if best is None or best[3] not in STATES:
        return versions, ()
    return versions, ((str(auction).encode(), {"name": best[1], "city": best[2], "state": best[3], "id": auction}),)


def _q5_row(item: tuple[str, tuple[int, int]]) -> Out:
    auction, (window_id, count) = item
    start = EPOCH + ADVANCE * window_id
    starttime = iso(start)
    row = {"auction": int(auction), "num": count, "starttime": starttime, "endtime": iso(start + WINDOW)}
    return orjson.dumps([row["auction"], starttime]), row


def _constant_now() -> datetime:
    return EPOCH


def _no_wakeup(_t: datetime) -> None:
    return None


def build_flow(mesh: Mesh, name: str, topic: str, *, header: bytes, batch: int, stats: FlowStats) -> Dataflow:
    """The Bytewax dataflow of Nexmark ``name`` (q0, q1, q2, q3 or q5), writing to ``topic``."""
    flow = Dataflow(f"nexmark_{name}")
    sink = LogSink(mesh, topic, header=header, batch=batch, stats=stats)
    if name == "q3":
        gate = TableGate(mesh.log.topic_spec(mesh.product("nexmark.person").stream).partitions)
        persons = op.input(
            "persons", flow, LogSource(mesh, "nexmark.person", batch=batch, stats=stats, gate=gate, is_table=True)
        )
        auctions = op.input("auctions", flow, LogSource(mesh, "nexmark.auction", batch=batch, stats=stats, gate=gate))
        people = op.map("version_by_id", persons, _person_version)
        cat10 = op.filter("category_10", auctions, lambda a: a["category"] == 10)
        sellers = op.map("by_seller", cat10, _auction_by_seller)
        keyed = op.merge("table_and_stream", people, sellers)
        joined = op.stateful_flat_map("join_person_as_of", keyed, _join_person)
        op.output("out", op.key_rm("unkey", joined), sink)
        return flow
    bids = op.input("bids", flow, LogSource(mesh, "nexmark.bid", batch=batch, stats=stats))
    if name == "q0":
        rows = op.map("project", bids, _q0)
    elif name == "q1":
        rows = op.map("to_euros", bids, _q1)
    elif name == "q2":
        rows = op.map("project", op.filter("every_123rd", bids, lambda e: e["auction"] % 123 == 0), _q2)
    elif name == "q5":
        clock: win.EventClock[Row] = win.EventClock(
            lambda e: e["date_time"],
            wait_for_system_duration=timedelta(0),
            now_getter=_constant_now,
            to_system_utc=_no_wakeup,
        )
        windower = win.SlidingWindower(length=WINDOW, offset=ADVANCE, align_to=EPOCH)
        counted = win.count_window("bids_per_auction", bids, clock, windower, lambda e: str(e["auction"]))
        rows = op.map("window_row", counted.down, _q5_row)
        op.output("late", counted.late, _CountSink(stats))
    else:
        raise ValueError(f"no Bytewax flow for {name!r}")
    op.output("out", rows, sink)
    return flow


def run_flow(mesh: Mesh, name: str, run_id: str, batch: int) -> dict[str, Any]:
    """Run Nexmark ``name`` as a Bytewax flow until its sources are caught up; CPU and wall seconds, counts.

    The output goes to a new topic ``bench.bytewax.<name>.<run_id>`` (3 partitions)."""
    topic = f"bench.bytewax.{name}.{run_id}"
    mesh.log.create_topic(TopicSpec(topic, partitions=3))
    stats = FlowStats()
    flow = build_flow(mesh, name, topic, header=wire_header(1), batch=batch, stats=stats)
    cpu, wall = time.process_time(), time.perf_counter()
    run_main(flow)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "read": stats.read,
        "emitted": stats.emitted,
        "late": stats.late,
        "cpu": cpu,
        "wall": wall,
        "topic": topic,
        "max_ts": dict(stats.max_ts),
    }


def closed_by_watermark(mesh: Mesh, result: dict[str, Any]) -> int:
    """q5: how many of the flow's rows streammesh would have emitted, i.e. windows ending at or before the
    smallest per-partition watermark (largest event time of each bid partition; grace 0). Reads the output."""
    watermark = min(result["max_ts"].values())
    consumer = mesh.log.consumer([result["topic"]], auto_commit=False)
    closed = 0
    try:
        while views := consumer.poll_batches(max_records=100_000):
            for v in views:
                for value in v.values:
                    end = datetime.strptime(orjson.loads(value[5:])["endtime"], "%Y-%m-%dT%H:%M:%S.%fZ")
                    closed += int(end.replace(tzinfo=UTC).timestamp() * 1000) <= watermark
    finally:
        consumer.close()
    return closed
