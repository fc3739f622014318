"""Consumer groups shared by every process of a workspace, kept in ``<root>/groups.db`` (SQLite).

Why SQLite: members live in different processes with no broker to coordinate them, and the group
state (members with heartbeats, partition ownership, committed offsets) must change atomically.
Each change is one ``BEGIN IMMEDIATE`` transaction in WAL mode, so readers never block and writers
queue briefly (``busy_timeout``).

The protocol needs no leader. Every live member computes the same target assignment (Kafka's
round-robin over sorted member ids and sorted partitions) and, in its sync transaction, releases
the partitions it owns outside its target (committing its delivered positions in the same
transaction, so the next owner continues exactly there) and claims target partitions that are free.
Partitions of a member whose heartbeat is older than its session timeout are freed by whoever
syncs next. A ``generation`` counter changes whenever membership changes, so members notice a
rebalance with one cheap read instead of a write.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from streammesh.log.base.exceptions import GroupError
from streammesh.log.base.log import TopicPartition

_R = TypeVar("_R")

__all__ = [
    "GroupMember",
    "SyncResult",
    "all_committed",
    "forget_topic",
    "init_group_db",
    "new_member_id",
    "round_robin_assign",
    "write_committed",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY, generation INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS members (
    group_id TEXT NOT NULL, member_id TEXT NOT NULL, topics TEXT NOT NULL,
    heartbeat_ms INTEGER NOT NULL, session_timeout_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id));
CREATE TABLE IF NOT EXISTS owners (
    group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, member_id TEXT NOT NULL,
    PRIMARY KEY (group_id, topic, partition));
CREATE TABLE IF NOT EXISTS offsets (
    group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    committed_ms INTEGER NOT NULL, PRIMARY KEY (group_id, topic, partition));
"""


def _now_ms() -> int:
    return int(time.time() * 1000)


def new_member_id() -> str:
    """A member id unique across processes and hosts: ``host-pid-random``."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _connect(path: Path, *, fsync: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute(f"PRAGMA synchronous = {'FULL' if fsync else 'NORMAL'}")
    return conn


def init_group_db(path: Path) -> None:
    """Create the database and its tables (callers hold the log's root lock)."""
    conn = _connect(path, fsync=False)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(_SCHEMA)
    finally:
        conn.close()


def forget_topic(path: Path, topic: str) -> None:
    """Drop ownership and committed offsets of a deleted topic, so a re-created topic starts clean."""
    if not path.exists():
        return
    conn = _connect(path, fsync=False)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM owners WHERE topic = ?", (topic,))
        conn.execute("DELETE FROM offsets WHERE topic = ?", (topic,))
        conn.execute("COMMIT")
    finally:
        conn.close()


def all_committed(path: Path) -> dict[str, dict[TopicPartition, int]]:
    """Committed next offsets of every group, per group (empty when no group ever committed)."""
    if not path.exists():
        return {}
    conn = _connect(path, fsync=False)
    try:
        rows = conn.execute(
            "SELECT group_id, topic, partition, next_offset FROM offsets ORDER BY group_id, topic, partition"
        ).fetchall()
    finally:
        conn.close()
    found: dict[str, dict[TopicPartition, int]] = {}
    for group, topic, partition, offset in rows:
        found.setdefault(group, {})[(topic, partition)] = offset
    return found


def write_committed(path: Path, group: str, offsets: Mapping[TopicPartition, int], *, fsync: bool = False) -> None:
    """Commit ``offsets`` for ``group`` from outside it (callers made sure the database exists)."""
    conn = _connect(path, fsync=fsync)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO groups(group_id, generation) VALUES (?, 0) ON CONFLICT(group_id) DO NOTHING", (group,)
        )
        now = _now_ms()
        conn.executemany(
            "INSERT INTO offsets(group_id, topic, partition, next_offset, committed_ms) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, "
            "committed_ms = excluded.committed_ms",
            [(group, t, p, o, now) for (t, p), o in offsets.items()],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def round_robin_assign(
    members: Mapping[str, Iterable[str]], partitions: Mapping[str, int]
) -> dict[str, list[TopicPartition]]:
    """Kafka's ``RoundRobinAssignor``: deal sorted partitions to sorted members, skipping members
    not subscribed to a partition's topic. Every member computes the same answer from the same rows.

    Args:
        members: member id -> topics it subscribes to.
        partitions: topic -> partition count (unknown or deleted topics may be missing).
    """
    ids = sorted(members)
    subs = {m: set(members[m]) for m in ids}
    out: dict[str, list[TopicPartition]] = {m: [] for m in ids}
    topics = sorted({t for m in ids for t in subs[m]})
    cursor = 0
    for topic in topics:
        for p in range(partitions.get(topic, 0)):
            for step in range(len(ids)):
                m = ids[(cursor + step) % len(ids)]
                if topic in subs[m]:
                    out[m].append((topic, p))
                    cursor = (cursor + step + 1) % len(ids)
                    break
    return out


@dataclass
class SyncResult:
    """What one sync changed for this member.

    Attributes:
        owned: partitions this member owns after the sync.
        claimed: newly owned partitions with the group's committed offset (``None`` if never committed).
        lost: partitions this member believed it owned but another member holds now (it was presumed
            dead); nothing was committed for them.
        pending: target partitions still held by another live member (it releases them at its next sync).
        generation: the group's membership generation.
    """

    owned: set[TopicPartition]
    claimed: dict[TopicPartition, int | None] = field(default_factory=dict)
    lost: set[TopicPartition] = field(default_factory=set)
    pending: set[TopicPartition] = field(default_factory=set)
    generation: int = 0


class GroupMember:
    """One consumer's membership of a group (one SQLite connection; not shared between threads)."""

    def __init__(
        self,
        db_path: Path,
        group: str,
        topics: list[str],
        *,
        session_timeout_ms: int,
        partitions_of: Callable[[str], int],
        fsync: bool = False,
    ) -> None:
        self.group = group
        self.member_id = new_member_id()
        self.topics = sorted(set(topics))
        self.session_timeout_ms = session_timeout_ms
        self._partitions_of = partitions_of
        self._conn = _connect(db_path, fsync=fsync)

    def _tx(self, fn: Callable[[sqlite3.Connection], _R]) -> _R:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def _bump(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO groups(group_id, generation) VALUES (?, 1) "
            "ON CONFLICT(group_id) DO UPDATE SET generation = generation + 1",
            (self.group,),
        )

    def generation(self) -> int:
        """The group's membership generation (a read; no lock taken)."""
        row = self._conn.execute("SELECT generation FROM groups WHERE group_id = ?", (self.group,)).fetchone()
        return row[0] if row else 0

    def _owned_in_db(self, conn: sqlite3.Connection) -> set[TopicPartition]:
        rows = conn.execute(
            "SELECT topic, partition FROM owners WHERE group_id = ? AND member_id = ?", (self.group, self.member_id)
        )
        return {(t, p) for t, p in rows}

    def _write_offsets(self, conn: sqlite3.Connection, offsets: Mapping[TopicPartition, int]) -> None:
        now = _now_ms()
        conn.executemany(
            "INSERT INTO offsets(group_id, topic, partition, next_offset, committed_ms) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, "
            "committed_ms = excluded.committed_ms",
            [(self.group, t, p, o, now) for (t, p), o in offsets.items()],
        )

    def sync(self, believed: set[TopicPartition], positions: Mapping[TopicPartition, int] | None) -> SyncResult:
        """Heartbeat, expire dead members, release and claim partitions, in one transaction.

        Args:
            believed: partitions the consumer currently reads.
            positions: delivered positions to commit for owned partitions (auto-commit), or ``None``.
        """

        def run(conn: sqlite3.Connection) -> SyncResult:
            now = _now_ms()
            g = self.group
            joined = (
                conn.execute(
                    "SELECT 1 FROM members WHERE group_id = ? AND member_id = ?", (g, self.member_id)
                ).fetchone()
                is None
            )
            conn.execute(
                "INSERT INTO members(group_id, member_id, topics, heartbeat_ms, session_timeout_ms) VALUES (?,?,?,?,?) "
                "ON CONFLICT(group_id, member_id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms",
                (g, self.member_id, json.dumps(self.topics), now, self.session_timeout_ms),
            )
            expired = [
                m
                for (m,) in conn.execute(
                    "SELECT member_id FROM members WHERE group_id = ? AND heartbeat_ms + session_timeout_ms < ?",
                    (g, now),
                )
            ]
            for m in expired:
                conn.execute("DELETE FROM members WHERE group_id = ? AND member_id = ?", (g, m))
                conn.execute("DELETE FROM owners WHERE group_id = ? AND member_id = ?", (g, m))
            if joined or expired:
                self._bump(conn)
            members = {
                m: json.loads(t)
                for m, t in conn.execute("SELECT member_id, topics FROM members WHERE group_id = ?", (g,))
            }
            counts = {t: self._partitions_of(t) for t in {t for ts in members.values() for t in ts}}
            target = set(round_robin_assign(members, counts).get(self.member_id, []))
            owners = {
                (t, p): m
                for t, p, m in conn.execute("SELECT topic, partition, member_id FROM owners WHERE group_id = ?", (g,))
            }
            mine = {tp for tp, m in owners.items() if m == self.member_id}
            if positions:
                self._write_offsets(conn, {tp: o for tp, o in positions.items() if tp in mine})
            release = mine - target
            conn.executemany(
                "DELETE FROM owners WHERE group_id = ? AND topic = ? AND partition = ?", [(g, t, p) for t, p in release]
            )
            free = [tp for tp in sorted(target - mine) if tp not in owners]
            conn.executemany(
                "INSERT INTO owners(group_id, topic, partition, member_id) VALUES (?, ?, ?, ?)",
                [(g, t, p, self.member_id) for t, p in free],
            )
            committed = self._committed(conn, free)
            gen = conn.execute("SELECT generation FROM groups WHERE group_id = ?", (g,)).fetchone()
            owned = (mine - release) | set(free)
            return SyncResult(
                owned=owned,
                claimed={tp: committed.get(tp) for tp in free},
                lost=believed - mine,
                pending=target - owned,
                generation=gen[0] if gen else 0,
            )

        return self._tx(run)

    def _committed(self, conn: sqlite3.Connection, tps: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        out: dict[TopicPartition, int] = {}
        for t, p in tps:
            row = conn.execute(
                "SELECT next_offset FROM offsets WHERE group_id = ? AND topic = ? AND partition = ?", (self.group, t, p)
            ).fetchone()
            if row:
                out[(t, p)] = row[0]
        return out

    def commit(self, offsets: Mapping[TopicPartition, int], *, strict: bool) -> set[TopicPartition]:
        """Commit ``offsets`` for partitions this member owns; returns the ones it does not own.

        Raises:
            GroupError: ``strict`` and some partition is owned by another member (or by nobody).
        """

        def run(conn: sqlite3.Connection) -> set[TopicPartition]:
            mine = self._owned_in_db(conn)
            foreign = set(offsets) - mine
            if foreign and strict:
                names = ", ".join(f"{t}[{p}]" for t, p in sorted(foreign))
                raise GroupError(
                    f"cannot commit {names} for group {self.group!r}: this consumer no longer owns "
                    f"them (they were reassigned to another member)",
                    hint="poll again: the consumer rejoins and continues from the committed offsets",
                )
            self._write_offsets(conn, {tp: o for tp, o in offsets.items() if tp in mine})
            conn.execute(
                "UPDATE members SET heartbeat_ms = ? WHERE group_id = ? AND member_id = ?",
                (_now_ms(), self.group, self.member_id),
            )
            return foreign

        return self._tx(run)

    def committed(self, topics: Iterable[str]) -> dict[TopicPartition, int]:
        """Committed next offsets of the group for ``topics``."""
        wanted = set(topics)
        rows = self._conn.execute("SELECT topic, partition, next_offset FROM offsets WHERE group_id = ?", (self.group,))
        return {(t, p): o for t, p, o in rows if t in wanted}

    def leave(self, positions: Mapping[TopicPartition, int] | None) -> None:
        """Commit ``positions`` (owned ones), give up every partition and leave, in one transaction."""

        def run(conn: sqlite3.Connection) -> None:
            if positions:
                mine = self._owned_in_db(conn)
                self._write_offsets(conn, {tp: o for tp, o in positions.items() if tp in mine})
            g = self.group
            conn.execute("DELETE FROM owners WHERE group_id = ? AND member_id = ?", (g, self.member_id))
            if conn.execute("DELETE FROM members WHERE group_id = ? AND member_id = ?", (g, self.member_id)).rowcount:
                self._bump(conn)

        self._tx(run)

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()
