"""A processor's durable state: one DuckDB file holding the operators' tables and the checkpoint, and
a small write-ahead *intent* file next to it.

Why one file: a checkpoint must commit state, input positions and output positions together. DuckDB
commits all tables of a file in one transaction (its WAL), so the checkpoint row is simply one more
table updated in the same transaction as the aggregates and join tables.

Why a separate intent file: the intent must be durable *before* the outputs are appended, while the
batch's state changes stay uncommitted until *after*; it is written with a rename (atomic) and read
only at start-up. See :mod:`streammesh.processing.runtime.processor` for the whole protocol.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson

from streammesh.processing.runtime.errors import IncompatibleStateError

__all__ = ["Checkpoint", "Intent", "StateStore", "connect_duckdb", "fingerprint"]

STATE_FILE = "state.duckdb"
INTENT_FILE = "intent.json"


def connect_duckdb(path: Path | None = None, *, threads: int = 1) -> Any:
    """A DuckDB connection in UTC. One thread by default: micro-batches are small, a processor is one
    core's worth of work (scale out with partitions), and single-threaded plans keep row order stable."""
    con = duckdb.connect(str(path) if path is not None else ":memory:", config={"threads": threads})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = true")
    return con


def fingerprint(sql: str) -> str:
    """Identifies the query a state directory belongs to (whitespace-insensitive)."""
    return hashlib.sha256(" ".join(sql.split()).encode()).hexdigest()[:16]


@dataclass
class Checkpoint:
    """What the last committed micro-batch reached.

    Attributes:
        batch: number of the last committed batch (0: none yet).
        positions: ``alias -> partition -> next offset`` per input source.
        outputs: ``topic -> partition -> end offset`` of the output and dead-letter streams after the batch.
        counters: processed, emitted, late and errors since the start.
    """

    batch: int = 0
    positions: dict[str, dict[int, int]] = field(default_factory=dict)
    outputs: dict[str, dict[int, int]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    committed_ms: int | None = None


@dataclass
class Intent:
    """The write-ahead record of a batch being appended: exactly which input it read (``alias ->
    partition -> (start, end)``), where its outputs start (``topic -> partition -> (base, 0)``) and which
    source partitions it took as idle (``alias -> partitions``)."""

    batch: int
    ranges: dict[str, dict[int, tuple[int, int]]]
    outputs: dict[str, dict[int, tuple[int, int]]]
    idle: dict[str, list[int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The intent as JSON values (partition numbers as string keys); :meth:`from_dict` reads it back."""
        pairs = lambda d: {str(p): list(r) for p, r in d.items()}  # noqa: E731
        return {
            "batch": self.batch,
            "ranges": {a: pairs(v) for a, v in self.ranges.items()},
            "outputs": {t: pairs(v) for t, v in self.outputs.items()},
            "idle": self.idle,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Intent:
        """The intent :meth:`to_dict` gave, as written to JSON and read back."""
        pairs = lambda d: {int(p): (r[0], r[1]) for p, r in d.items()}  # noqa: E731
        return cls(
            int(raw["batch"]),
            {a: pairs(v) for a, v in raw["ranges"].items()},
            {t: pairs(v) for t, v in raw["outputs"].items()},
            {a: list(ps) for a, ps in raw.get("idle", {}).items()},
        )


def _int_keys(d: dict[str, Any]) -> dict[int, Any]:
    return {int(k): v for k, v in d.items()}


class StateStore:
    """The DuckDB state file and intent file of one app (``state_dir``), or an in-memory store.

    Raises:
        IncompatibleStateError: ``state_dir`` holds the state of another query.
    """

    def __init__(self, state_dir: Path | None, *, query_sql: str, fsync: bool = False) -> None:
        self.dir = state_dir
        self.fsync = fsync
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
        self.con = connect_duckdb(state_dir / STATE_FILE if state_dir is not None else None)
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS sm_checkpoint (id INTEGER PRIMARY KEY, fingerprint VARCHAR, "
            "batch BIGINT, positions JSON, outputs JSON, counters JSON, committed_ms BIGINT)"
        )
        row = self.con.execute("SELECT fingerprint FROM sm_checkpoint WHERE id = 0").fetchone()
        self.fingerprint = fingerprint(query_sql)
        if row is not None and row[0] != self.fingerprint:
            raise IncompatibleStateError(
                f"the state in {state_dir} belongs to another query (fingerprint {row[0]}, this one is "
                f"{self.fingerprint})",
                hint="deploy the new query under a new app name, or delete the old app's state to reprocess "
                "its inputs from the beginning",
            )

    def checkpoint(self) -> Checkpoint:
        row = self.con.execute(
            "SELECT batch, positions, outputs, counters, committed_ms FROM sm_checkpoint WHERE id = 0"
        ).fetchone()
        if row is None:
            return Checkpoint()
        positions = {a: _int_keys(v) for a, v in orjson.loads(row[1]).items()}
        outputs = {t: _int_keys(v) for t, v in orjson.loads(row[2]).items()}
        return Checkpoint(row[0], positions, outputs, orjson.loads(row[3]), row[4])

    def begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def rollback(self) -> None:
        try:
            self.con.execute("ROLLBACK")
        except duckdb.Error:
            pass

    def commit(self, ckpt: Checkpoint) -> None:
        """Write the checkpoint row and commit the open transaction (state changes included)."""
        ckpt.committed_ms = int(time.time() * 1000)

        def dump(v):
            return orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS).decode()

        self.con.execute(
            "INSERT OR REPLACE INTO sm_checkpoint VALUES (0, ?, ?, ?, ?, ?, ?)",
            [
                self.fingerprint,
                ckpt.batch,
                dump(ckpt.positions),
                dump(ckpt.outputs),
                dump(ckpt.counters),
                ckpt.committed_ms,
            ],
        )
        self.con.execute("COMMIT")

    # -- the write-ahead intent --------------------------------------------------------------------
    def write_intent(self, intent: Intent) -> None:
        if self.dir is None:
            return
        path = self.dir / INTENT_FILE
        tmp = path.with_suffix(".tmp")
        data = orjson.dumps(intent.to_dict())
        with open(tmp, "wb") as f:
            f.write(data)
            if self.fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)

    def read_intent(self) -> Intent | None:
        if self.dir is None or not (self.dir / INTENT_FILE).exists():
            return None
        return Intent.from_dict(orjson.loads((self.dir / INTENT_FILE).read_bytes()))

    def reset(self) -> None:
        """Drop every table (before a snapshot's tables replace them, see :mod:`.task_state`)."""
        for (name,) in self.con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall():
            self.con.execute(f'DROP TABLE "{name.replace(chr(34), chr(34) * 2)}"')

    def close(self) -> None:
        self.con.close()
