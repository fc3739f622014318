"""``Processor``: runs one derived product's query incrementally, exactly once, on micro-batches.

**The exactly-once protocol** (embedded log; the output stream has one writer, this app):

1. *Read.* From the checkpointed positions, each table source to its end, then up to ``batch_size``
   records of the FROM source. The batch is the range ``start..end`` per source partition.
2. *Compute* in a DuckDB transaction on the state file: the engine updates its state tables and
   returns the output events in a deterministic order (keyed events go where the log's murmur2
   partitioner puts them; keyless ones on partition ``batch % partitions``).
3. *Write ahead* ``intent.json`` (atomic rename): the batch number, its input ranges, the partitions
   taken as idle, and per output partition (output and dead-letter streams) its end offset before
   appending.
4. *Append* the outputs, then the dead letters.
5. *Commit* the same transaction with the checkpoint row: batch number, input end positions, output
   end offsets and counters. State, input positions and output positions move together or not at all.

After ``kill -9`` anywhere, a restart rolls the uncommitted transaction back (DuckDB's WAL keeps only
committed ones) and reads the checkpoint. If ``intent.json`` names the next batch, the crash happened
between 3 and 5: the processor re-reads *exactly* that batch's ranges and recomputes it from the same
state (the engine is deterministic), so it yields the same events per partition in the same order; it
places them on partitions as the log does, skips the first ``end_now - end_before`` events of each
partition (they are already on the log) and appends the rest, then commits. A crash before 3 leaves no intent for the next batch and nothing
appended; a crash after 5 leaves a stale intent, ignored. Output that grows behind the app's back
(another writer) stops it with :class:`OutputConflictError`.

**Shared output** (``shared_output=True``: partition tasks on Kafka, see :mod:`.partitioned`). Several
tasks append to the same output partitions, so end offsets no longer tell what *this* task appended.
Every event then carries a header ``sm.src = <product>/<task>:<batch>``; the intent keeps each
output partition's end offset from *before the first attempt* of the batch, and a replay reads the
output partitions from there, counts the events bearing its own tag (a prefix of what it would append:
the idempotent producer keeps a partition's order) and skips that many. The output therefore holds each
event once after any number of crashes, as long as one task has one owner at a time (the state file's
lock; see :mod:`.partitioned`). With a ``history`` (:mod:`.task_state`), intents go to the metadata
store instead of the intent file, one per batch, so that an owner on another machine can replay them from
the last stored snapshot; the last may be half-appended, the earlier ones were committed whole. With a
``transactional_id`` the appends of a batch form one Kafka transaction. ``partition`` restricts the FROM
source (and a stream-stream join's right side, co-partitioned) to one partition.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from streammesh.catalog.streams import dead_letter_stream
from streammesh.context import SupportsContext
from streammesh.log.base import FencedError, TopicSpec
from streammesh.processing.runtime.decoding import SourceDecoder
from streammesh.processing.runtime.engine import Engine, StepResult, check_supported
from streammesh.processing.runtime.errors import OutputConflictError, ProcessingError
from streammesh.processing.runtime.output import OutputBatch
from streammesh.processing.runtime.reading import SourceReader
from streammesh.processing.runtime.state import Checkpoint, Intent, StateStore
from streammesh.processing.runtime.task_state import TaskFencedError, TaskHistory
from streammesh.processing.sql.plan import Query
from streammesh.schemas import load_schema
from streammesh.schemas.wire import wire_header

__all__ = ["SOURCE_HEADER", "SUMMED_METRICS", "Processor", "StepStats", "already_written", "run_to_end"]

#: the header naming the task and batch that wrote an event (shared output, see the module docstring)
SOURCE_HEADER = "sm.src"
#: the counters of :meth:`Processor.metrics` that add up across tasks, instances and an app's products
SUMMED_METRICS = ("processed", "emitted", "late", "errors", "dead_lettered", "events_per_s", "lag")

_log = logging.getLogger(__name__)


def already_written(log: Any, topic: str, bases: dict[int, int], tag: tuple[str, bytes]) -> dict[int, int]:
    """Per partition, how many events from offset ``bases[p]`` on carry header ``tag``."""
    ends = log.end_offsets(topic)
    todo = {p: (b, ends[p]) for p, b in bases.items() if ends.get(p, 0) > b}
    counts: dict[int, int] = {}
    if not todo:
        return counts
    with log.consumer([topic], auto_offset_reset="latest", auto_commit=False) as consumer:
        for p, (b, _e) in todo.items():
            consumer.seek(topic, p, b)
        deadline = time.monotonic() + 60.0
        while any(consumer.position().get((topic, p), e) < e for p, (_b, e) in todo.items()):
            if time.monotonic() > deadline:
                raise ProcessingError(
                    f"{topic}: could not read back the events appended after offsets {bases}",
                    hint="check that the cluster is reachable, then restart the app",
                )
            for r in consumer.poll(max_records=10_000, timeout=0.2):
                if r.partition in todo and r.offset < todo[r.partition][1] and tag in r.headers:
                    counts[r.partition] = counts.get(r.partition, 0) + 1
    return counts


_gc_lock = threading.Lock()
_gc_users = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while any processor (thread) is in a micro-batch.

    A batch allocates hundreds of thousands of short-lived, acyclic objects (column values, fetched rows,
    records): the collector would scan the heap hundreds of times per batch for nothing (it doubled the
    engine's CPU time on Nexmark). Reference counting frees them; the collector runs after the batch.
    """
    global _gc_users, _gc_was_enabled
    with _gc_lock:
        if _gc_users == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_was_enabled:
                gc.enable()


@dataclass
class StepStats:
    """One micro-batch: records read, events emitted, late records, lag left, seconds spent."""

    read: int
    emitted: int
    late: int
    lag: int
    duration_s: float


class Processor:
    """Runs ``query`` (a ``CREATE STREAM|TABLE``) into its output product, checkpointing in ``state_dir``.

    The output product (``query.name``) must be published (deploying publishes its derived contract).
    ``batch_size`` caps the records of the FROM source per micro-batch: a live app reads what has arrived, so
    the cap only matters while catching up, where large batches amortise the per-batch commit and DuckDB's
    per-statement costs (Nexmark q0: ≈ 300,000 events/s per core with 10,000, ≈ 460,000 with 50,000).

    Example:
        >>> proc = Processor(ctx, query, app="orders-with-region", state_dir=Path("state"))  # doctest: +SKIP
        >>> proc.run(stop_event)                                                             # doctest: +SKIP
    """

    def __init__(
        self,
        mesh: SupportsContext,
        query: Query,
        *,
        app: str,
        state_dir: Path,
        batch_size: int = 50_000,
        partition: int | None = None,
        feed: Any = None,
        shared_output: bool | None = None,
        task: str = "all",
        history: TaskHistory | None = None,
        transactional_id: str | None = None,
    ) -> None:
        ctx = mesh.context
        if query.name is None:
            raise ProcessingError(
                "only CREATE STREAM|TABLE statements run as processors",
                hint="preview a plain SELECT with preview(), or look a table up with pull()",
            )
        check_supported(query)
        self.ctx, self.query, self.app, self.batch_size = ctx, query, app, max(1, batch_size)
        if shared_output is None:
            from streammesh.processing.runtime.partitioned import partitioned_mode

            shared_output = partitioned_mode(ctx)
        self.partition, self.shared_output, self.task = partition, shared_output or partition is not None, task
        self.product = ctx.catalog.get(query.name)
        self.stream = self.product.stream
        log = ctx.log
        self.partitions = log.topic_spec(self.stream).partitions
        schema_id = ctx.registry.register_contract_schema(self.product).schema.id
        self.dead_stream = dead_letter_stream(self.stream)
        if self.dead_stream not in log.topics():
            log.create_topic(TopicSpec(self.dead_stream, partitions=1))
        self.dead_partitions = log.topic_spec(self.dead_stream).partitions
        self.state = StateStore(Path(state_dir), query_sql=query.sql, fsync=ctx.config.fsync)
        self.history = history
        if history is not None:
            history.restore(self.state)
        #: Kafka transactions for the outputs (None: the log has none, or no id was given); starting them
        #: aborts and fences whatever a previous owner of the task left open
        self.txn = log.transactional(transactional_id) if transactional_id and self.shared_output else None
        self.source_streams = {s.alias: ctx.catalog.get(s.product).stream for s in query.sources}
        first = query.sources[0]
        # the sources a partition task reads one partition of: the FROM stream and a stream-stream join's right
        self.restricted: dict[str, frozenset[int]] = (
            {}
            if partition is None
            else {s.alias: frozenset([partition]) for s in query.sources if s is first or s.role == "stream"}
        )
        self.source_partitions = {a: log.topic_spec(t).partitions for a, t in self.source_streams.items()}
        self.engine = Engine(
            query,
            self.state.con,
            header=wire_header(schema_id),
            partitions=self.partitions,
            source_partitions={
                a: len(self.restricted[a]) if a in self.restricted else n for a, n in self.source_partitions.items()
            },
        )
        self.readers: dict[str, SourceReader] = {}
        self.decoders: dict[str, SourceDecoder] = {}
        self._busy: dict[str, set[int]] = {}
        self._lag_at, self._lag = 0.0, 0
        for s in query.sources:
            product = ctx.catalog.get(s.product)
            self.readers[s.alias] = (
                feed
                if s is first and feed is not None
                else SourceReader(log, product.stream, only=self.restricted.get(s.alias))
            )
            keys = s.role == "table" or (s is first and query.kind == "table" and not query.aggregating)
            self.decoders[s.alias] = SourceDecoder(
                ctx.registry, load_schema(product.contract.schema_), s.columns, keys=keys
            )
        self.ckpt = self.state.checkpoint()
        for alias, reader in self.readers.items():
            reader.seek(self.ckpt.positions.get(alias, {}))
        #: batches to recompute before reading on: the one a crash interrupted, or a history's tail
        self._replays: deque[Intent] = deque()
        if history is not None:
            self._replays.extend(history.pending(self.ckpt.batch))
        elif (intent := self.state.read_intent()) is not None and intent.batch == self.ckpt.batch + 1:
            self._replays.append(intent)
        self._started = time.monotonic()
        self._recent: list[tuple[float, int]] = []

    # -- one micro-batch ---------------------------------------------------------------------------
    def step(self, *, timeout: float = 0.2) -> StepStats:
        """Read, compute, write and checkpoint one micro-batch (see the module docstring)."""
        with _gc_paused():
            return self._step(timeout)

    def _step(self, timeout: float) -> StepStats:
        t0 = time.perf_counter()
        first = self.query.sources[0].alias
        replay = self._replays[0] if self._replays else None
        views: dict[str, list[Any]] = {}
        ranges: dict[str, dict[int, tuple[int, int]]] = {}
        if replay is not None:
            idle = {a: frozenset(ps) for a, ps in replay.idle.items()}
            for alias, reader in self.readers.items():
                views[alias] = reader.read_range(replay.ranges.get(alias, {}))
                ranges[alias] = replay.ranges.get(alias, {})
        else:
            idle = self._idle()
            starts = {alias: reader.positions() for alias, reader in self.readers.items()}
            # tables to their end first (updates already on the log are seen), then a batch of each stream
            for s in sorted(self.query.sources, key=lambda s: s.role != "table"):
                reader = self.readers[s.alias]
                views[s.alias] = reader.read_all() if s.role == "table" else reader.read(self.batch_size, 0.0)
            if not any(views.values()):
                views[first] = self.readers[first].read(self.batch_size, timeout)
            for alias, reader in self.readers.items():
                after = reader.positions()
                ranges[alias] = {p: (starts[alias].get(p, after[p]), after[p]) for p in after}
        if not any(views.values()) and replay is None:
            return StepStats(0, 0, 0, self._step_lag(), time.perf_counter() - t0)
        decoded = {alias: self.decoders[alias].decode(v) for alias, v in views.items()}
        batch = self.ckpt.batch + 1
        self.state.begin()
        try:
            result = self.engine.process(batch, decoded, idle=idle)
            emitted = self._write(batch, ranges, idle, result, replay)
        except BaseException:
            self.state.rollback()
            raise
        if replay is not None:
            self._replays.popleft()
        self._recent.append((time.monotonic(), result.read))
        return StepStats(result.read, emitted, result.late, self._step_lag(), time.perf_counter() - t0)

    def _step_lag(self) -> int:
        """The lag reported with a step: exact on the embedded log (cheap there), at most 1 s old otherwise
        (on Kafka each lag is a request per source)."""
        if not self.shared_output:
            return self.lag()
        now = time.monotonic()
        if now - self._lag_at >= 1.0:
            self._lag_at, self._lag = now, self.lag()
        return self._lag

    def _idle(self) -> dict[str, frozenset[int]]:
        """Per source, the partitions (of those read) that have never held a record (they would otherwise hold
        windows and join buffers open forever). Once a partition held a record it is never idle again, so the
        log is asked only while some partition still looks empty."""
        out: dict[str, frozenset[int]] = {}
        for alias, stream in self.source_streams.items():
            mine = self.restricted.get(alias, frozenset(range(self.source_partitions[alias])))
            busy = self._busy.setdefault(alias, set())
            if mine <= busy:
                out[alias] = frozenset()
                continue
            ends = self.ctx.log.end_offsets(stream)
            busy.update(p for p, e in ends.items() if e > 0)
            out[alias] = frozenset(p for p, e in ends.items() if e == 0 and p in mine)
        return out

    def _write(
        self,
        batch: int,
        ranges: dict[str, dict[int, tuple[int, int]]],
        idle: dict[str, frozenset[int]],
        result: StepResult,
        replay: Intent | None,
    ) -> int:
        log, ckpt = self.ctx.log, self.ckpt
        dead = OutputBatch.from_lists(
            [v for v, _h, _t in result.dead],
            [t for _v, _h, t in result.dead],
            fixed_partition=batch % self.dead_partitions,
            headers=[tuple(h) for _v, h, _t in result.dead],
        )
        planned = {self.stream: (result.outputs, self.partitions), self.dead_stream: (dead, self.dead_partitions)}
        if self.shared_output:
            return self._write_shared(batch, ranges, idle, result, replay, planned, len(dead))
        bases: dict[str, dict[int, int]] = {}
        skips: dict[str, dict[int, int]] = {}
        for topic, (out, partitions) in planned.items():
            now = log.end_offsets(topic)
            base = {p: ckpt.outputs.get(topic, {}).get(p, now[p]) for p in now}
            bases[topic] = base
            extra = {p: now[p] - base[p] for p in now if now[p] != base[p]}
            if extra and replay is None:
                p = next(iter(extra))
                raise OutputConflictError(
                    f"{topic} partition {p} holds {extra[p]} more events than app {self.app!r} wrote "
                    f"(end offset {now[p]}, checkpointed {base[p]})",
                    hint="stop the other writer; a derived product has exactly one app",
                )
            if extra:
                counts = out.counts(partitions)
                bad = [p for p, n in extra.items() if not 0 <= n <= counts.get(p, 0)]
                if bad:
                    raise OutputConflictError(
                        f"{topic} partition {bad[0]} holds {extra[bad[0]]} events after the checkpoint, but the "
                        f"replayed batch {batch} has only {counts.get(bad[0], 0)} for it",
                        hint="another writer appends to this product; stop it, then restart the app",
                    )
            skips[topic] = extra
        self._write_intent(batch, ranges, bases, idle)
        ends: dict[str, dict[int, int]] = {}
        for topic, (out, partitions) in planned.items():
            written = out.append_to(log, topic, partitions, skip=skips[topic])
            # after a replay whose events were all already appended there is nothing to append, but the
            # end has still moved past the checkpoint
            ends[topic] = log.end_offsets(topic) if written or skips[topic] else bases[topic]
        self._commit(batch, ranges, result, ends, len(dead))
        return len(result.outputs)

    def _write_intent(
        self,
        batch: int,
        ranges: dict[str, dict[int, tuple[int, int]]],
        bases: dict[str, dict[int, int]],
        idle: dict[str, frozenset[int]],
    ) -> None:
        """Step 3 of the protocol: the batch, its input ranges, the output ends before appending, idle partitions."""
        intent = Intent(
            batch,
            ranges,
            {t: {p: (o, 0) for p, o in b.items()} for t, b in bases.items()},
            {a: sorted(ps) for a, ps in idle.items()},
        )
        if self.history is not None:
            self.history.record(intent)
        else:
            self.state.write_intent(intent)

    def _commit(
        self,
        batch: int,
        ranges: dict[str, dict[int, tuple[int, int]]],
        result: StepResult,
        ends: dict[str, dict[int, int]],
        dead: int,
    ) -> None:
        ckpt = self.ckpt
        positions = {a: {p: end for p, (_s, end) in r.items()} for a, r in ranges.items()}
        merged = {a: {**ckpt.positions.get(a, {}), **pos} for a, pos in positions.items()}
        counters = dict(ckpt.counters)
        for name, n in (
            ("processed", result.read),
            ("emitted", len(result.outputs)),
            ("late", result.late),
            ("errors", result.errors),
            ("dead_lettered", dead),
        ):
            counters[name] = counters.get(name, 0) + n
        new = Checkpoint(batch, merged, ends, counters)
        self.state.commit(new)
        self.ckpt = new

    # -- shared output (partition tasks) -----------------------------------------------------------
    def _write_shared(
        self,
        batch: int,
        ranges: dict[str, dict[int, tuple[int, int]]],
        idle: dict[str, frozenset[int]],
        result: StepResult,
        replay: Intent | None,
        planned: dict[str, tuple[OutputBatch, int]],
        dead: int,
    ) -> int:
        """Intent, tagged appends and checkpoint when other tasks write the same output (module docstring)."""
        log = self.ctx.log
        tag = (SOURCE_HEADER, f"{self.query.name}/{self.task}:{batch}".encode())
        todo = {t: v for t, v in planned.items() if len(v[0])}
        skips: dict[str, dict[int, int]] = {}
        if replay is not None and len(self._replays) > 1:  # a later batch is recorded: this one was committed
            todo = {}
        elif replay is not None:  # the first attempt's bases: a second crash must still find the first's events
            bases = {t: {p: o for p, (o, _n) in replay.outputs.get(t, {}).items()} for t in todo}
            skips = {t: already_written(log, t, bases[t], tag) for t in todo}
        else:
            bases = {t: log.end_offsets(t) for t in todo}
            if todo or self.history is not None:  # a history records every batch: each one changes the state
                self._write_intent(batch, ranges, bases, idle)
        try:
            self._append_all(todo, skips, tag)
        except FencedError as e:
            raise TaskFencedError(f"{self.query.name} task {self.task}: {e.message}", hint=e.hint) from e
        self._commit(batch, ranges, result, {}, dead)
        if self.history is not None:
            self.history.snapshot(self.state, batch)
        return len(result.outputs)

    def _append_all(
        self, todo: dict[str, tuple[OutputBatch, int]], skips: dict[str, dict[int, int]], tag: tuple[str, bytes]
    ) -> None:
        """Append a batch's outputs: in one Kafka transaction when there is one (all visible or none)."""
        if self.txn is None or not todo:
            for topic, (out, partitions) in todo.items():
                out.append_to(self.ctx.log, topic, partitions, skip=skips.get(topic), tag=tag)
            return
        self.txn.begin()
        try:
            for topic, (out, partitions) in todo.items():
                out.append_to(self.txn, topic, partitions, skip=skips.get(topic), tag=tag)
            self.txn.commit()
        except BaseException:
            self.txn.abort()
            raise

    # -- running -----------------------------------------------------------------------------------
    def run(self, stop: threading.Event, *, on_step: Callable[[StepStats], None] | None = None) -> None:
        """Process micro-batches until ``stop`` is set (each step waits up to 0.2 s for new records)."""
        while not stop.is_set():
            stats = self.step(timeout=0.2)
            if on_step is not None:
                on_step(stats)

    def lag(self) -> int:
        """Records on the sources' logs not processed yet."""
        return sum(r.lag() for r in self.readers.values())

    def metrics(self) -> dict[str, Any]:
        """Counters since the state was created, throughput over the last minute, lag, last checkpoint."""
        now = time.monotonic()
        self._recent = [(t, n) for t, n in self._recent if now - t <= 60.0]
        span = min(60.0, max(now - self._started, 1e-6))
        c = self.ckpt.counters
        last = (
            datetime.fromtimestamp(self.ckpt.committed_ms / 1000, UTC).isoformat(timespec="milliseconds")
            if self.ckpt.committed_ms
            else None
        )
        return {
            "app": self.app,
            "product": self.query.name,
            "batch": self.ckpt.batch,
            "processed": c.get("processed", 0),
            "emitted": c.get("emitted", 0),
            "late": c.get("late", 0),
            "errors": c.get("errors", 0),
            "dead_lettered": c.get("dead_lettered", 0),
            "events_per_s": sum(n for _t, n in self._recent) / span,
            "lag": self.lag(),
            "last_checkpoint": last,
        }

    @property
    def replaying(self) -> bool:
        """Recorded batches are still to be recomputed before new input is read."""
        return bool(self._replays)

    def close(self) -> None:
        """Close the readers and the state; with a history, first store a snapshot for the next owner."""
        if self.history is not None:
            try:
                self.history.snapshot(self.state, self.ckpt.batch, force=True)
            except Exception as e:
                _log.warning("%s task %s: storing the state snapshot failed: %s", self.query.name, self.task, e)
        for r in self.readers.values():
            r.close()
        if self.txn is not None:
            self.txn.close()
        self.state.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_to_end(mesh: SupportsContext, query: Query, *, app: str, state_dir: Path, batch_size: int = 50_000) -> int:
    """Process until caught up with the inputs; return how many events were emitted (tests, benchmarks).

    On a partitioned log (Kafka) this runs every partition task of the statement in this process (no
    consumer group), with the tasks' state under ``state_dir`` as a deployed app keeps it."""
    ctx = mesh.context
    total = 0
    from streammesh.processing.runtime.partitioned import PartitionedRunner, partitioned_mode

    if partitioned_mode(ctx):
        with PartitionedRunner(ctx, query, app=app, state_dir=state_dir, batch_size=batch_size, group=False) as runner:
            while True:
                stats = runner.step(timeout=0.05)
                total += stats.emitted
                if stats.read == 0 and runner.caught_up():
                    return total
    with Processor(ctx, query, app=app, state_dir=state_dir, batch_size=batch_size) as proc:
        while True:
            stats = proc.step(timeout=0.0)
            total += stats.emitted
            if stats.read == 0 and not proc.replaying:
                return total
