"""``EmbeddedLogConsumer``: reads partitions alone or as a member of a cross-process group.

Reading takes no lock: each assigned partition has a file cursor and a small buffer of fetched
batches; ``poll`` re-reads the memory-mapped durable ends and sleeps in short steps while nothing
is new. Group membership is driven by ``poll`` (no background thread): it heartbeats, commits what
the previous poll returned (``auto_commit``) and follows rebalances. Spending longer than
``session_timeout_ms`` between polls lets other members take this consumer's partitions.
Not thread-safe: use one consumer per thread.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

from streammesh.log.base.exceptions import GroupError, LogError
from streammesh.log.base.log import BaseLogConsumer, TopicPartition
from streammesh.log.base.records import OffsetReset, Record
from streammesh.log.embedded.groups import GroupMember
from streammesh.log.embedded.partition import Cursor, PartitionReader
from streammesh.log.embedded.recordbatch import RecordBatch

if TYPE_CHECKING:
    from streammesh.log.embedded.log import EmbeddedLog

__all__ = ["EmbeddedLogConsumer"]

POLL_STEP = 0.02  # seconds between looks at the durable ends while waiting
_GENERATION_CHECK = 0.05  # seconds between cheap "did membership change?" reads


class _Assigned:
    """One partition this consumer reads: delivered position, file cursor, fetched-not-delivered batches."""

    __slots__ = ("cursor", "part", "pending", "position")

    def __init__(self, part: PartitionReader, position: int) -> None:
        self.part = part
        self.position = position
        self.cursor = Cursor()
        self.pending: deque[RecordBatch] = deque()

    def move(self, offset: int) -> None:
        self.position = offset
        self.cursor.reset()
        self.pending = deque()


class EmbeddedLogConsumer(BaseLogConsumer):
    """Consumer of an :class:`EmbeddedLog` (create it with :meth:`EmbeddedLog.consumer`)."""

    def __init__(
        self,
        log: EmbeddedLog,
        topics: list[str],
        *,
        group: str | None,
        auto_offset_reset: OffsetReset,
        auto_commit: bool,
        session_timeout_ms: int,
        fetch_max_bytes: int,
    ) -> None:
        if auto_offset_reset not in ("earliest", "latest"):
            raise LogError(f"auto_offset_reset must be 'earliest' or 'latest', got {auto_offset_reset!r}")
        if session_timeout_ms <= 0:
            raise LogError(f"session_timeout_ms must be positive, got {session_timeout_ms}")
        self._log = log
        self.topics = sorted(set(topics))
        self.group = group
        self.auto_commit = auto_commit and group is not None
        self._reset = auto_offset_reset
        self._fetch_max = fetch_max_bytes
        self._assigned: dict[TopicPartition, _Assigned] = {}
        self._order: list[TopicPartition] = []
        self._rr = 0
        self._closed = False
        self._member: GroupMember | None = None
        self._committed_positions: dict[TopicPartition, int] = {}
        if group is None:
            for topic in self.topics:
                for p in range(log.partitions_for(topic)):
                    self._add((topic, p), None)
            return
        self._member = GroupMember(
            log.groups_db,
            group,
            self.topics,
            session_timeout_ms=session_timeout_ms,
            partitions_of=log.partitions_for,
            fsync=log.fsync,
        )
        self._heartbeat = min(session_timeout_ms / 4000, 1.0)
        self._next_sync = 0.0
        self._next_gen_check = 0.0
        self._generation = -1
        self._pending_claims = True

    # -- assignment --------------------------------------------------------------------------------
    def _add(self, tp: TopicPartition, committed: int | None) -> None:
        part = self._log.partition(*tp)
        if committed is None:
            start = part.begin_offset() if self._reset == "earliest" else part.end_offset()
        else:
            start = min(max(committed, part.begin_offset()), part.end_offset())
        self._assigned[tp] = _Assigned(part, start)
        self._order = sorted(self._assigned)

    def _drop(self, tps: set[TopicPartition]) -> None:
        for tp in tps:
            self._assigned.pop(tp, None)
            self._committed_positions.pop(tp, None)
        self._order = sorted(self._assigned)

    def _sync(self) -> None:
        """Heartbeat + auto-commit + rebalance in one transaction."""
        member = self._member
        assert member is not None
        positions = self._uncommitted() if self.auto_commit else None
        res = member.sync(set(self._assigned), positions)
        if positions:
            self._committed_positions.update(positions)
        gone = (set(self._assigned) - res.owned) | res.lost
        self._drop(gone)
        for tp, committed in res.claimed.items():
            self._add(tp, committed)
            self._committed_positions[tp] = self._assigned[tp].position
        self._generation = res.generation
        self._pending_claims = bool(res.pending)  # re-sync soon: the holder releases at its next sync
        now = time.monotonic()
        self._next_sync = now + self._heartbeat
        self._next_gen_check = now + (POLL_STEP if self._pending_claims else _GENERATION_CHECK)

    def _uncommitted(self) -> dict[TopicPartition, int]:
        done = self._committed_positions
        return {tp: a.position for tp, a in self._assigned.items() if done.get(tp) != a.position}

    def _group_tick(self, member: GroupMember, *, commit: bool) -> None:
        now = time.monotonic()
        due = now >= self._next_sync or (self._pending_claims and now >= self._next_gen_check)
        if not due and now >= self._next_gen_check:
            self._next_gen_check = now + _GENERATION_CHECK
            due = member.generation() != self._generation
        if due:
            self._sync()
        elif commit and self.auto_commit:
            positions = self._uncommitted()
            if positions:
                lost = member.commit(positions, strict=False)
                self._committed_positions.update(positions)
                if lost:
                    self._drop(lost)

    # -- polling -----------------------------------------------------------------------------------
    def poll(self, *, max_records: int = 500, timeout: float = 0.0) -> list[Record]:
        """Up to ``max_records`` records, waiting up to ``timeout`` s for at least one.

        With a group and ``auto_commit``, first commits the positions the previous poll reached.
        """
        out: list[Record] = []
        for view in self._poll(max_records, timeout):
            out += view.records()
        return out

    def poll_batches(self, *, max_records: int = 100_000, timeout: float = 0.0) -> list[RecordBatch]:
        """Like :meth:`poll` but columnar: :class:`RecordBatch` views whose ``offsets``,
        ``timestamps``, ``keys``, ``values`` lists are built on first access (the fast replay path)."""
        return self._poll(max_records, timeout)

    def _poll(self, max_records: int, timeout: float) -> list[RecordBatch]:
        if self._closed:
            raise LogError("the consumer is closed")
        if max_records <= 0:
            raise LogError(f"max_records must be positive, got {max_records}")
        deadline = time.monotonic() + timeout
        if self._member is not None:
            self._group_tick(self._member, commit=True)
        while True:
            out = self._collect(max_records)
            if out:
                return out
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            time.sleep(min(POLL_STEP, left))
            if self._member is not None:
                self._group_tick(self._member, commit=False)

    def _collect(self, max_records: int) -> list[RecordBatch]:
        order = self._order
        k = len(order)
        if not k:
            return []
        start = self._rr % k
        self._rr = start + 1
        out: list[RecordBatch] = []
        want = max_records
        assigned = self._assigned
        fetch_max = self._fetch_max
        for i in range(k):
            a = assigned[order[(start + i) % k]]
            pending = a.pending
            while want:
                if not pending:
                    part = a.part
                    st = part.state()
                    if a.position >= st.next_offset:
                        break
                    pending = a.pending = deque(part.fetch(a.position, a.cursor, fetch_max, st))
                    if not pending:
                        break
                view = pending[0]
                if view.count <= want:
                    pending.popleft()
                else:
                    pending[0] = view.slice(want, view.count)
                    view = view.slice(0, want)
                out.append(view)
                want -= view.count
                a.position = view.next_offset
            if not want:
                break
        return out

    # -- positions ---------------------------------------------------------------------------------
    def assignment(self) -> list[TopicPartition]:
        """Partitions this consumer currently reads (with a group: after the latest poll)."""
        return list(self._order)

    def position(self) -> dict[TopicPartition, int]:
        """Next offset to be returned, per assigned partition."""
        return {tp: a.position for tp, a in self._assigned.items()}

    def _get(self, topic: str, partition: int) -> _Assigned:
        a = self._assigned.get((topic, partition))
        if a is None:
            raise LogError(
                f"{topic}[{partition}] is not assigned to this consumer; assigned: "
                f"{', '.join(f'{t}[{p}]' for t, p in self._order) or 'none (poll first to join the group)'}"
            )
        return a

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Continue ``partition`` from ``offset``, clamped to the retained range."""
        a = self._get(topic, partition)
        a.move(min(max(offset, a.part.begin_offset()), a.part.end_offset()))

    def seek_to_beginning(self) -> None:
        """Continue every assigned partition from its earliest retained offset."""
        for a in self._assigned.values():
            a.move(a.part.begin_offset())

    def seek_to_end(self) -> None:
        """Continue every assigned partition after its last record."""
        for a in self._assigned.values():
            a.move(a.part.end_offset())

    def seek_to_timestamp(self, timestamp_ms: int) -> None:
        """Continue every assigned partition from its first record with timestamp >= ``timestamp_ms``."""
        for a in self._assigned.values():
            a.move(a.part.offset_for_timestamp(timestamp_ms))

    # -- commits -----------------------------------------------------------------------------------
    def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None:
        """Commit ``offsets`` (next offsets to read) or the current positions, for the group.

        Raises:
            GroupError: no group, or a partition is no longer owned by this member.
        """
        if self._member is None:
            raise GroupError(
                "this consumer has no group, so there is nothing to commit offsets for",
                hint="pass group='...' to consumer() to commit and resume",
            )
        todo = dict(offsets) if offsets is not None else self.position()
        self._member.commit(todo, strict=True)
        self._committed_positions.update({tp: o for tp, o in todo.items() if tp in self._assigned})

    def committed(self) -> dict[TopicPartition, int]:
        """The group's committed offsets for this consumer's topics (empty without a group)."""
        return {} if self._member is None else self._member.committed(self.topics)

    def lag(self) -> dict[TopicPartition, int]:
        """Records between the current position and the end, per assigned partition."""
        return {tp: a.part.end_offset() - a.position for tp, a in self._assigned.items()}

    def close(self) -> None:
        """Commit (auto-commit), leave the group so partitions move at once, release the database."""
        if self._closed:
            return
        self._closed = True
        if self._member is not None:
            try:
                self._member.leave(self.position() if self.auto_commit else None)
            finally:
                self._member.close()
        self._assigned.clear()
        self._order = []

    def __repr__(self) -> str:
        return f"EmbeddedLogConsumer(topics={self.topics!r}, group={self.group!r})"
