"""Partition-parallel processing: an app's instances share a Kafka consumer group and split the work.

**Tasks.** A statement's work is cut into *tasks*, one per partition of its FROM source (Kafka Streams'
model). Task ``p`` reads partition ``p`` of the FROM stream (and of a stream-stream join's right side), reads
table sources whole, and has its own :class:`~.processor.Processor` with its own state directory
``<app state>/<product>/p<p>`` (the DuckDB file with the checkpoint, and the intent file). A task is
independent of the others because its input is *co-partitioned*: every record that can meet a given group
or join key is in the same partition number. That holds when the FROM source is keyed by fields that are all
grouped by (aggregations) or are the join's ON fields (stream-stream joins, on inputs with the same partition
count); stateless queries, stream-table joins and table copies need nothing. A statement that is not
co-partitioned runs as **one task** (``all``) over every partition, owned by whoever owns partition 0: it
still fails over, it just does not scale; :func:`parallelism` says why and how to re-key the input upstream
(``PARTITION BY`` in a ``CREATE STREAM``).

**Ownership.** Each instance (worker process) joins the consumer group ``streammesh-app.<app>.<product>``
on the FROM stream; the group assigns its partitions, so partition ``p`` assigned = task ``p`` owned. The
same consumer reads the owned partitions and feeds each task its records (:class:`PartitionFeed`). When an
instance dies, the group (after ``session.timeout.ms``) gives its partitions to the survivors, who open the
tasks' state directories and resume from their checkpoints.

**Where a task's state lives.** Locally, in the app's state folder (a DuckDB file per task), as a cache;
durably, in the metadata store every instance shares (:mod:`.task_state`): each batch's intent is recorded
there before its outputs are appended, and a snapshot of the state tables every ``snapshot_every_s`` and when
a task is closed (a rebalance hands it on cleanly). A new owner, on this machine or another, takes the newer
of its local state and the stored snapshot and replays the recorded batches after it. Recording a batch
number admits one owner, so a member that lost its partitions without noticing stops at its next batch
(:class:`~.task_state.TaskFencedError`); on one machine DuckDB's lock on the state file also keeps the new
owner waiting until the previous one lets go.

**Guarantee.** Tasks append to shared output partitions, so the processor tags each event with its task and
batch and a replay skips what it finds already appended (see :mod:`.processor`, *shared output*): an input
record's effects reach the output once. Where the cluster has transactions, each task also appends a batch
in one transaction under its own ``transactional.id`` (``<group>.<task>``): readers see a batch whole or not
at all, a crash's half-written batch is aborted rather than completed, and a new owner's
``init_transactions`` fences a former owner that has not noticed it lost the task, which closes the one
window the tags leave open. Where the cluster refuses transactions, the tags alone make the output
idempotent (at-least-once processing), and the app's status says which guarantee is in force. The group's
committed offsets follow the tasks' checkpoints so the usual lag tools show the app's progress; the
checkpoints, not the group offsets, decide where a task resumes.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path
from typing import Any, Self

import duckdb

from streammesh.context import SupportsContext
from streammesh.log.base import RecordRun, runs_of
from streammesh.processing.runtime.errors import UnsupportedQueryError
from streammesh.processing.runtime.processor import SUMMED_METRICS, Processor, StepStats
from streammesh.processing.runtime.reading import SourceReader
from streammesh.processing.runtime.state import fingerprint
from streammesh.processing.runtime.task_state import TaskFencedError, TaskHistory
from streammesh.processing.sql.plan import Query

__all__ = ["GUARANTEES", "PartitionFeed", "PartitionedRunner", "group_id", "guarantee", "parallelism"]

_log = logging.getLogger(__name__)

#: what each processing mode promises, as ``apps status`` and the docs state it
GUARANTEES = {
    "single": "exactly-once (one instance; state, input positions and output offsets checkpointed together)",
    "transactional": "exactly-once (Kafka transactions: a batch's outputs commit together and a former owner "
    "of a task is fenced; task state recovered from the metadata store)",
    "partitioned": "at-least-once processing, idempotent output (each event tagged with its task and batch; "
    "a replay after a crash skips what is already on the log)",
}


def partitioned_mode(mesh: SupportsContext) -> bool:
    """Whether the mesh's apps run as partition tasks in consumer groups: on every log whose exactly-once
    protocol is not a single writer per stream (the embedded log's apps run as one instance)."""
    return not mesh.context.log_capabilities.single_writer


def guarantee(mesh: SupportsContext) -> str:
    """The processing guarantee the mesh's apps aim for; on Kafka a running app reports the one in force
    (idempotent output where the cluster refuses transactions)."""
    ctx = mesh.context
    return GUARANTEES["transactional" if partitioned_mode(ctx) else "single"]


def group_id(app: str, product: str) -> str:
    return f"streammesh-app.{app}.{product}"


def _bare(expr: Any, alias: str) -> str | None:
    """The field path when ``expr`` is a bare field of source ``alias``."""
    if expr.is_column and len(expr.refs) == 1 and expr.refs[0].alias == alias:
        return expr.refs[0].path
    return None


def parallelism(mesh: SupportsContext, query: Query) -> tuple[int, str]:
    """How many tasks ``query`` runs as, and why: the FROM source's partition count when the input is
    co-partitioned (see the module docstring), else 1 with the reason and the fix."""
    ctx = mesh.context
    first = query.sources[0]
    partitions = ctx.log.topic_spec(ctx.catalog.get(first.product).stream).partitions
    if partitions == 1:
        return 1, f"{first.product} has one partition"
    key = set(first.key)
    rekey = (
        f"re-key it upstream: CREATE STREAM <name> AS SELECT * FROM {first.product} PARTITION BY <the "
        f"grouping or join fields>, then read that stream"
    )
    if query.aggregating:
        grouped = {_bare(e, first.alias) for e in query.group_by}
        if not key or not key <= grouped:
            return 1, (
                f"{first.product} is keyed by {', '.join(first.key) or 'nothing'}, so the groups of "
                f"GROUP BY {', '.join(e.sql for e in query.group_by)} span partitions; {rekey}"
            )
    for j in query.joins:
        if j.mode != "stream-stream":
            continue
        right = j.source
        left_fields = tuple(_bare(e, first.alias) for e in j.left_keys)
        right_fields = tuple(_bare(e, right.alias) for e in j.right_keys)
        other = ctx.log.topic_spec(ctx.catalog.get(right.product).stream).partitions
        if (
            set(left_fields) != key
            or set(right_fields) != set(right.key)
            or other != partitions
            or [left_fields.index(k) for k in first.key] != [right_fields.index(k) for k in right.key]
        ):
            return 1, (
                f"the join of {first.product} (keyed by {', '.join(first.key) or 'nothing'}, {partitions} "
                f"partitions) and {right.product} (keyed by {', '.join(right.key) or 'nothing'}, {other} "
                f"partitions) is not on both keys with equal partition counts; {rekey}"
            )
    return partitions, f"{first.product} has {partitions} partitions, co-partitioned"


def require_parallel(mesh: SupportsContext, query: Query) -> int:
    """The task count, or :class:`UnsupportedQueryError` naming the fix when the input is not co-partitioned."""
    ctx = mesh.context
    n, why = parallelism(ctx, query)
    first = query.sources[0]
    if n == 1 and ctx.log.topic_spec(ctx.catalog.get(first.product).stream).partitions > 1:
        raise UnsupportedQueryError(
            f"{query.name} cannot run partition-parallel: {why.split(';')[0]}", hint=why.split("; ", 1)[-1]
        )
    return n


class PartitionFeed:
    """The FROM source of one partition task: records pushed by the runner's group consumer, read by the
    task's processor through the :class:`~.reading.SourceReader` interface."""

    def __init__(self, runner: PartitionedRunner, stream: str, partition: int) -> None:
        self.runner, self.stream, self.partition = runner, stream, partition
        self.next = runner.log.begin_offsets(stream)[partition]  # what the processor reads next
        self.fed = self.next  # what the consumer delivers next
        self.runs: deque[RecordRun] = deque()
        self.lag_hint = 0

    @property
    def pending(self) -> int:
        return sum(r.count for r in self.runs)

    def push(self, run: RecordRun) -> None:
        if run.next_offset <= self.fed:
            return
        if run.base_offset < self.fed:
            run = run.slice(self.fed - run.base_offset, run.count)
        self.runs.append(run)
        self.fed = run.next_offset

    def positions(self) -> dict[int, int]:
        return {self.partition: self.next}

    def seek(self, positions: dict[int, int]) -> None:
        if self.partition in positions:
            self.next = self.fed = positions[self.partition]
            self.runs.clear()
            self.runner.seek(self.partition, self.next)

    def lag(self) -> int:
        return self.lag_hint

    def read(self, max_records: int, timeout: float) -> list[RecordRun]:
        out: list[RecordRun] = []
        n = 0
        while self.runs and n < max_records:
            run = self.runs.popleft()
            if n + run.count > max_records:
                self.runs.appendleft(run.slice(max_records - n, run.count))
                run = run.slice(0, max_records - n)
            out.append(run)
            n += run.count
            self.next = run.next_offset
        return out

    def read_all(self, **_kw: Any) -> list[RecordRun]:
        return self.read(1 << 62, 0.0)

    def read_range(self, ranges: dict[int, tuple[int, int]]) -> list[Any]:
        """A replay's exact range, read with a reader of its own (the group consumer keeps its place)."""
        reader = SourceReader(self.runner.log, self.stream, from_end=True)
        try:
            views = reader.read_range(ranges)
        finally:
            reader.close()
        if self.partition in ranges:
            self.seek({self.partition: ranges[self.partition][1]})
        return views

    def close(self) -> None:
        self.runs.clear()


class _Task:
    __slots__ = ("feed", "name", "processor")

    def __init__(self, name: str, processor: Processor, feed: PartitionFeed | None) -> None:
        self.name, self.processor, self.feed = name, processor, feed


class PartitionedRunner:
    """Runs one statement's tasks for the partitions this instance owns (module docstring).

    Args:
        group: join the app's consumer group (instances share the partitions); ``False`` owns every partition
            (tests, benchmarks and ``run_to_end``: one process, no group to form).
        session_timeout_ms: how long the group waits for a silent member before handing its partitions on.
    """

    def __init__(
        self,
        mesh: SupportsContext,
        query: Query,
        *,
        app: str,
        state_dir: Path,
        batch_size: int = 50_000,
        group: bool = True,
        session_timeout_ms: int = 6_000,
        snapshot_every_s: float = 30.0,
    ) -> None:
        ctx = mesh.context
        self.ctx, self.query, self.app, self.root, self.batch_size = ctx, query, app, state_dir, batch_size
        self.log = ctx.log
        self.stream = ctx.catalog.get(query.sources[0].product).stream
        self.tasks_total, self.why = parallelism(ctx, query)
        self.single = self.tasks_total == 1
        self.consumer = self.log.consumer(
            [self.stream],
            group=group_id(app, str(query.name)) if group else None,
            auto_offset_reset="earliest",
            auto_commit=False,
            session_timeout_ms=session_timeout_ms,
        )
        self.grouped = group
        self.snapshot_every_s = snapshot_every_s
        self.tasks: dict[int, _Task] = {}
        self._blocked: dict[int, float] = {}
        self._commit_at = 0.0
        self._lag_at = 0.0
        self.owned: frozenset[int] = frozenset()

    # -- ownership -----------------------------------------------------------------------------------
    def seek(self, partition: int, offset: int) -> None:
        self.consumer.seek(self.stream, partition, offset)

    def _open(self, p: int) -> _Task:
        name = "all" if self.single else f"p{p}"
        feed = None if self.single else PartitionFeed(self, self.stream, p)
        history = TaskHistory(
            self.ctx.store,
            app=self.app,
            product=str(self.query.name),
            task=name,
            fingerprint=fingerprint(self.query.sql),
            snapshot_every_s=self.snapshot_every_s,
        )
        proc = Processor(
            self.ctx,
            self.query,
            app=self.app,
            state_dir=self.root / name,
            batch_size=self.batch_size,
            partition=None if self.single else p,
            feed=feed,
            shared_output=True,
            task=name,
            history=history,
            transactional_id=f"{group_id(self.app, str(self.query.name))}.{name}",
        )
        if feed is not None:  # the checkpoint decides where the task resumes, not the group's offsets
            self.seek(p, feed.next)
        return _Task(name, proc, feed)

    def _sync(self) -> None:
        owned = frozenset(p for _t, p in self.consumer.assignment())
        if owned != self.owned:
            _log.info("%s: partitions %s owned (was %s)", self.query.name, sorted(owned), sorted(self.owned))
        self.owned = owned
        wanted = ({0} & owned) if self.single else owned
        for p in [p for p in self.tasks if p not in wanted]:
            self.tasks.pop(p).processor.close()
        now = time.monotonic()
        for p in sorted(wanted - set(self.tasks)):
            if self._blocked.get(p, 0.0) > now:
                continue
            try:
                self.tasks[p] = self._open(p)
            except duckdb.IOException as e:  # the previous owner still holds the state file: wait for it
                _log.info("%s task %s: state still locked (%s); retrying", self.query.name, p, e)
                self._blocked[p] = now + 0.5

    # -- running -------------------------------------------------------------------------------------
    def step(self, *, timeout: float = 0.2) -> StepStats:
        """Poll the group, hand records to the tasks, run a micro-batch of each task that has work."""
        t0 = time.perf_counter()
        busy = any(t.feed is not None and t.feed.pending for t in self.tasks.values())
        # up to a batch per owned task: each task's micro-batch stays about batch_size records
        want = self.batch_size * (1 if self.single else max(1, len(self.tasks)))
        records = self.consumer.poll(max_records=want, timeout=0.0 if busy else timeout)
        self._sync()
        if not self.single:
            for run in runs_of(records):
                task = self.tasks.get(run.partition)
                if task is not None and task.feed is not None:
                    task.feed.push(run)
            self._skip_gaps()
        read = emitted = late = 0
        for p, task in list(self.tasks.items()):
            try:
                stats = task.processor.step(timeout=0.0)
            except TaskFencedError as e:  # another instance took the task over: let go, reopen if still ours
                _log.warning("%s", e)
                self.tasks.pop(p).processor.close()
                self._blocked[p] = time.monotonic() + 1.0
                continue
            read, emitted, late = read + stats.read, emitted + stats.emitted, late + stats.late
        self._housekeeping()
        return StepStats(read, emitted, late, self.lag(), time.perf_counter() - t0)

    def _skip_gaps(self) -> None:
        """Move idle feeds past offsets that hold no record (a transactional writer's commit markers, or
        compacted records): the consumer's position is past them, the feed's last record is not, and a
        feed stuck before them would count them as lag forever."""
        position = self.consumer.position()
        for p, task in self.tasks.items():
            feed = task.feed
            if feed is not None and not feed.runs and position.get((self.stream, p), 0) > feed.fed == feed.next:
                feed.next = feed.fed = position[(self.stream, p)]

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._lag_at >= 1.0 and not self.single:
            self._lag_at = now
            ends = self.log.end_offsets(self.stream)
            for p, task in self.tasks.items():
                if task.feed is not None:
                    task.feed.lag_hint = max(0, ends.get(p, 0) - task.feed.next)
        if self.grouped and now - self._commit_at >= 1.0 and not self.single:
            self._commit_at = now
            offsets = {
                (self.stream, p): t.feed.next
                for p, t in self.tasks.items()
                if t.feed is not None and (self.stream, p) in self.consumer.position()
            }
            if offsets:
                try:
                    self.consumer.commit(offsets)
                except Exception as e:
                    _log.info("%s: committing group offsets failed: %s", self.query.name, e)

    def run(self, stop: Any, *, on_step: Any = None) -> None:
        while not stop.is_set():
            stats = self.step(timeout=0.2)
            if on_step is not None:
                on_step(stats)

    def lag(self) -> int:
        return sum(t.processor._step_lag() for t in self.tasks.values())

    def caught_up(self) -> bool:
        """Every task has read its sources to their end, with nothing buffered or left to replay."""
        if not self.tasks or any(
            t.processor.replaying or (t.feed is not None and t.feed.pending) for t in self.tasks.values()
        ):
            return False
        if not self.single and set(self.tasks) != self.owned:
            return False
        ends = self.log.end_offsets(self.stream) if not self.single else {}
        for p, t in self.tasks.items():
            if t.feed is not None and t.feed.next < ends.get(p, 0):
                return False
            if any(r is not t.feed and r.lag() > 0 for r in t.processor.readers.values()):
                return False
        return True

    def metrics(self) -> dict[str, Any]:
        """Counters summed over the owned tasks, the tasks and partitions owned, the mode's guarantee."""
        total: dict[str, Any] = {"app": self.app, "product": self.query.name, **dict.fromkeys(SUMMED_METRICS, 0)}
        last = []
        for t in self.tasks.values():
            m = t.processor.metrics()
            for k in SUMMED_METRICS:
                total[k] += m.get(k) or 0
            if m.get("last_checkpoint"):
                last.append(m["last_checkpoint"])
        total["last_checkpoint"] = max(last, default=None)
        total["tasks"] = sorted(t.name for t in self.tasks.values())
        total["partitions"] = sorted(self.owned)
        total["parallelism"] = f"{self.tasks_total} task{'s' if self.tasks_total != 1 else ''}: {self.why}"
        transactional = bool(self.tasks) and all(t.processor.txn is not None for t in self.tasks.values())
        total["guarantee"] = GUARANTEES["transactional" if transactional else "partitioned"]
        return total

    def close(self) -> None:
        for t in self.tasks.values():
            t.processor.close()
        self.tasks.clear()
        self.consumer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
