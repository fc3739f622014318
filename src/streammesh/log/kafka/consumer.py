"""``KafkaEventLogConsumer``: the port's consumer on a confluent-kafka ``Consumer``.

Why positions are tracked here rather than asked of librdkafka: the port promises exact numbers
(``position()``, ``lag()``) right after a seek or a rebalance, before anything was fetched, when
librdkafka still answers "invalid offset". So every assignment is resolved to explicit offsets
(the group's committed offset, else the reset policy's begin or end) and handed to ``assign``.

Auto-commit keeps the embedded log's meaning: what a poll returned is committed from the next poll
on (librdkafka's periodic commit of offsets this class stores at the start of each poll), when
partitions are revoked in a rebalance (so the next owner continues exactly there) and on close.
Without a group the consumer reads every partition of its topics under a private, never-committed
group id (librdkafka requires one). Not thread-safe: use one consumer per thread.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Iterable
from operator import attrgetter
from typing import TYPE_CHECKING, Literal, cast

from confluent_kafka import Consumer, KafkaError, KafkaException, Message
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streammesh.log.base.exceptions import GroupError, LogError
from streammesh.log.base.log import BaseLogConsumer, TopicPartition
from streammesh.log.base.records import OffsetReset, Record
from streammesh.log.kafka.errors import translate
from streammesh.log.kafka.records import FetchedMessage, KafkaRecord
from streammesh.log.kafka.settings import SettingValue

if TYPE_CHECKING:
    from streammesh.log.kafka.log import KafkaEventLog

__all__ = ["KafkaEventLogConsumer"]


def _tp(topic: str, partition: int, offset: int | None = None) -> KafkaTopicPartition:
    return KafkaTopicPartition(topic, partition) if offset is None else KafkaTopicPartition(topic, partition, offset)


def _names(tps: Iterable[TopicPartition]) -> str:
    return ", ".join(f"{t}[{p}]" for t, p in sorted(tps))


_topic_partition, _offset = attrgetter("topic", "partition"), attrgetter("offset")

#: prefix of the group ids of group-less consumers (they commit nothing; admin listings leave them out)
PRIVATE_GROUP = "streammesh-reader-"


class KafkaEventLogConsumer(BaseLogConsumer):
    """Consumer of a :class:`KafkaEventLog` (create it with :meth:`KafkaEventLog.consumer`)."""

    def __init__(
        self,
        log: KafkaEventLog,
        topics: list[str],
        *,
        group: str | None,
        auto_offset_reset: OffsetReset,
        auto_commit: bool,
        session_timeout_ms: int,
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
        self._positions: dict[TopicPartition, int] = {}
        self._stored: dict[TopicPartition, int] = {}
        self._closed = False
        own: dict[str, SettingValue] = {
            "group.id": group if group is not None else f"{PRIVATE_GROUP}{uuid.uuid4().hex}",
            "enable.auto.commit": self.auto_commit,
            "enable.auto.offset.store": False,
            "auto.offset.reset": auto_offset_reset,
            "session.timeout.ms": session_timeout_ms,
            "heartbeat.interval.ms": max(100, min(3000, session_timeout_ms // 4)),
            # an end-of-partition event carries the end offset: past offsets no record is read from (a
            # transaction's commit marker, compacted records), which the last record's offset cannot tell
            "enable.partition.eof": True,
        }
        self._consumer = Consumer(log.consumer_config(**own))
        if group is None:
            tps = [(t, p) for t in self.topics for p in range(log.partitions_for(t))]
            self._positions = self._reset_positions(tps)
            self._consumer.assign([_tp(t, p, o) for (t, p), o in self._positions.items()])
        self._subscribed = group is None  # a group member joins at its first poll, as on the embedded log

    def _fail(self, exc: BaseException, doing: str) -> LogError:
        return translate(exc, servers=self._log.servers, doing=doing, group=self.group)

    # -- assignment --------------------------------------------------------------------------------
    def _offsets(
        self, tps: Iterable[TopicPartition], which: Literal["begin", "end"] | int
    ) -> dict[TopicPartition, int]:
        """Begin offsets, end offsets or the offsets for timestamp ``which`` of ``tps``, one request per topic."""
        tps = list(tps)
        out: dict[TopicPartition, int] = {}
        for topic in sorted({t for t, _ in tps}):
            if which == "begin":
                found = self._log.begin_offsets(topic)
            elif which == "end":
                found = self._log.end_offsets(topic)
            else:
                found = self._log.offsets_for_timestamp(topic, which)
            out.update({(topic, p): o for p, o in found.items()})
        return {tp: out[tp] for tp in tps if tp in out}

    def _reset_positions(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return self._offsets(tps, "begin" if self._reset == "earliest" else "end") if tps else {}

    def _on_assign(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        """New partitions from a rebalance: start each at the group's committed offset, else the reset policy."""
        try:
            committed = consumer.committed(partitions, timeout=self._log.timeout)
        except KafkaException as e:
            raise self._fail(e, "reading committed offsets") from None
        starts = {(c.topic, c.partition): c.offset for c in committed if c.offset >= 0}
        starts.update(self._reset_positions([(c.topic, c.partition) for c in committed if c.offset < 0]))
        self._positions.update(starts)
        self._stored.update({(c.topic, c.partition): c.offset for c in committed if c.offset >= 0})
        consumer.assign([_tp(t, p, o) for (t, p), o in starts.items()])

    def _on_revoke(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        """Partitions leave in a rebalance: commit where this member stopped, then forget them."""
        gone = [(p.topic, p.partition) for p in partitions]
        if self.auto_commit:
            try:
                self._commit_now({tp: self._positions[tp] for tp in gone if tp in self._positions})
            except KafkaException:
                pass  # the group moved on already: the next owner re-reads from the last commit
        self._forget(gone)

    def _on_lost(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        """Partitions lost without a clean handover (session expired): nothing may be committed for them."""
        self._forget([(p.topic, p.partition) for p in partitions])

    def _forget(self, tps: Iterable[TopicPartition]) -> None:
        for tp in tps:
            self._positions.pop(tp, None)
            self._stored.pop(tp, None)

    # -- polling -----------------------------------------------------------------------------------
    def _commit_now(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit synchronously. With auto-commit the offsets are stored first as well, or librdkafka's
        next automatic commit (at the latest, on close) would put its older stored offsets back."""
        if not offsets:
            return
        tps = [_tp(*tp, o) for tp, o in offsets.items()]
        if self.auto_commit:
            try:
                self._consumer.store_offsets(offsets=tps)
            except KafkaException:
                pass  # not assigned (any more): the commit below says so when it matters
        self._consumer.commit(offsets=tps, asynchronous=False)
        self._stored.update(offsets)

    def _store(self) -> None:
        """Hand the positions reached so far to librdkafka's auto-commit."""
        todo = {tp: o for tp, o in self._positions.items() if self._stored.get(tp) != o}
        if todo:
            try:
                self._consumer.store_offsets(offsets=[_tp(*tp, o) for tp, o in todo.items()])
                self._stored.update(todo)
            except KafkaException:
                pass  # a partition is being revoked: the revoke handler commits it

    def poll(self, *, max_records: int = 500, timeout: float = 0.0) -> list[Record]:
        """Up to ``max_records`` records, waiting up to ``timeout`` s for at least one.

        With a group, takes part in rebalancing; with ``auto_commit``, first stores the positions the
        previous poll reached for committing.
        """
        if self._closed:
            raise LogError("the consumer is closed")
        if max_records <= 0:
            raise LogError(f"max_records must be positive, got {max_records}")
        consumer = self._consumer
        if not self._subscribed:
            # joining here, not in __init__, lets a consumer opened only to read committed() stay out
            # of the group (it would hold partitions without ever reading them)
            consumer.subscribe(self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost)
            self._subscribed = True
        if self.auto_commit:
            self._store()
        out = self._read(max_records)
        deadline = time.monotonic() + timeout
        while not out and timeout > 0:  # end-of-partition events are no records: wait on until the deadline
            left = deadline - time.monotonic()
            first = consumer.poll(left) if left > 0 else None
            if first is None:
                break
            out = self._read(max_records, first)
        return out

    def _read(self, max_records: int, first: Message | None = None) -> list[Record]:
        """Records of the messages librdkafka has fetched (after ``first``), without waiting.

        The collector is paused meanwhile: messages and records form no cycles, and the collections
        their allocation would trigger (one per 700 objects) also rescan, once promoted, the records
        callers still hold from earlier polls; measured, they cost about as much as building the records.
        """
        paused = gc.isenabled()
        gc.disable()
        try:
            if first is None:
                msgs = self._consumer.consume(max_records, 0)
            else:
                msgs = [first, *self._consumer.consume(max_records - 1, 0)] if max_records > 1 else [first]
            return self._records(cast("list[FetchedMessage]", msgs)) if msgs else []
        finally:
            if paused:
                gc.enable()

    def _records(self, msgs: list[FetchedMessage]) -> list[Record]:
        out: list[Record] = []
        ends: list[FetchedMessage] = []
        append = out.append
        for m in msgs:
            err = m.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    ends.append(m)
                    continue
                if err.retriable() and not err.fatal():
                    continue
                raise translate(
                    KafkaException(err), servers=self._log.servers, doing="reading", topic=m.topic(), group=self.group
                )
            # one pass per message: a pass per field (map over Message.value...) measured slower, each
            # walking the batch's scattered messages again
            append(KafkaRecord(m.topic(), m.partition(), m.offset(), m.timestamp()[1], m.key(), m.value(), m))
        # next offsets: the last record per partition wins (C-level getters: cheaper than a comprehension)
        last = dict(zip(map(_topic_partition, out), map(_offset, out)))
        self._positions.update({tp: o + 1 for tp, o in last.items()})
        for m in ends:  # at the end: the position is the end offset, even where no record fills the gap
            tp = (m.topic(), m.partition())
            if tp in self._positions and m.offset() > self._positions[tp]:
                self._positions[tp] = m.offset()
        return out

    # -- positions ---------------------------------------------------------------------------------
    def assignment(self) -> list[TopicPartition]:
        """Partitions this consumer currently reads (with a group: after the latest poll)."""
        return sorted(self._positions)

    def position(self) -> dict[TopicPartition, int]:
        """Next offset to be returned, per assigned partition."""
        return dict(self._positions)

    def _move(self, targets: dict[TopicPartition, int]) -> None:
        for (topic, partition), offset in targets.items():
            try:
                self._consumer.seek(_tp(topic, partition, offset))
            except KafkaException as e:
                raise self._fail(e, f"seeking {topic}[{partition}] to offset {offset}") from None
            self._positions[(topic, partition)] = offset

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Continue ``partition`` from ``offset``, clamped to the retained range."""
        tp = (topic, partition)
        if tp not in self._positions:
            raise LogError(
                f"{topic}[{partition}] is not assigned to this consumer; assigned: "
                f"{_names(self._positions) or 'none (poll first to join the group)'}"
            )
        begin, end = self._offsets([tp], "begin")[tp], self._offsets([tp], "end")[tp]
        self._move({tp: min(max(offset, begin), end)})

    def seek_to_beginning(self) -> None:
        """Continue every assigned partition from its earliest retained offset."""
        self._move(self._offsets(self._positions, "begin"))

    def seek_to_end(self) -> None:
        """Continue every assigned partition after its last record."""
        self._move(self._offsets(self._positions, "end"))

    def seek_to_timestamp(self, timestamp_ms: int) -> None:
        """Continue every assigned partition from its first record with timestamp >= ``timestamp_ms``."""
        self._move(self._offsets(self._positions, int(timestamp_ms)))

    # -- commits -----------------------------------------------------------------------------------
    def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None:
        """Commit ``offsets`` (next offsets to read) or the current positions, for the group.

        Raises:
            GroupError: no group, or a partition is no longer assigned to this member.
        """
        if self.group is None:
            raise GroupError(
                "this consumer has no group, so there is nothing to commit offsets for",
                hint="pass group='...' to consumer() to commit and resume",
            )
        todo = dict(offsets) if offsets is not None else self.position()
        foreign = set(todo) - set(self._positions)
        if foreign:
            raise GroupError(
                f"cannot commit {_names(foreign)} for group {self.group!r}: this consumer no longer owns "
                f"them (they were reassigned to another member)",
                hint="poll again: the consumer rejoins and continues from the committed offsets",
            )
        try:
            self._commit_now(todo)
        except KafkaException as e:
            raise self._fail(e, f"committing offsets of {_names(todo)}") from None

    def committed(self) -> dict[TopicPartition, int]:
        """The group's committed offsets for this consumer's topics (empty without a group)."""
        if self.group is None:
            return {}
        tps = [_tp(t, p) for t in self.topics for p in range(self._log.partitions_for(t))]
        try:
            found = self._consumer.committed(tps, timeout=self._log.timeout)
        except KafkaException as e:
            raise self._fail(e, "reading committed offsets") from None
        return {(c.topic, c.partition): c.offset for c in found if c.offset >= 0}

    def lag(self) -> dict[TopicPartition, int]:
        """Records between the current position and the end, per assigned partition."""
        ends = self._offsets(self._positions, "end")
        return {tp: max(0, ends[tp] - o) for tp, o in self._positions.items() if tp in ends}

    def close(self) -> None:
        """Commit the positions (auto-commit), leave the group so partitions move at once."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.auto_commit:
                try:
                    self._commit_now(self._positions)
                except KafkaException:
                    pass  # partitions already moved: the group re-reads from the last commit (at-least-once)
        finally:
            self._consumer.close()
            self._positions.clear()

    def __repr__(self) -> str:
        return f"KafkaEventLogConsumer(topics={self.topics!r}, group={self.group!r})"
