"""A partition task's history in the metadata store, so an instance on *any* machine can take the task over.

A task's local state (its DuckDB file, see :mod:`.state`) is a cache. What makes it recoverable elsewhere
is kept in the metadata store every instance shares (PostgreSQL in production):

* **Batches.** Before appending a micro-batch's outputs, the task records the batch's *intent* (input
  ranges, output end offsets before the first attempt, idle partitions) under ``(app, product, task,
  batch)``. The engine is deterministic, so the recorded intents are enough to recompute the state batch
  by batch from any earlier state, and the output tags (``sm.src``) let a replay skip what already reached
  the log. The primary key admits one writer per batch number: an instance whose batch was taken by
  another owner learns it at once (:class:`TaskFencedError`) and lets the task go.
* **Snapshots.** Every ``snapshot_every_s`` after a commit, and when the task is closed, the state tables
  are exported (DuckDB ``EXPORT DATABASE``, Parquet) and stored in one row; the batches it covers are
  deleted, so the history stays short.

A new owner opens its local state (or an empty one), takes the snapshot instead when it is newer, then
replays the recorded batches after it (:meth:`TaskHistory.pending`); the last may be half-appended, which
the tags sort out. This is Kafka Streams' changelog idea with the metadata store as the changelog and
whole snapshots instead of row deltas (the operators' tables are DuckDB tables, not key-value stores).

The remaining window is a *zombie*: an owner that lost its partitions while stalled between recording a
batch and appending it can still append after the new owner replayed that batch. Kafka transactions fence
such a producer; without them the group's session timeout (the zombie's polls stop) keeps it short.
"""

from __future__ import annotations

import io
import logging
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from streammesh.processing.runtime.errors import IncompatibleStateError, ProcessingError
from streammesh.processing.runtime.state import Intent, StateStore

__all__ = ["TaskFencedError", "TaskHistory", "pack_state", "unpack_state"]

_log = logging.getLogger(__name__)


class TaskFencedError(ProcessingError):
    """Another instance recorded this task's next batch first: it owns the task now."""


def pack_state(state: StateStore) -> bytes:
    """The state tables of ``state`` as one blob: DuckDB's Parquet export, zipped (committed data only)."""
    with tempfile.TemporaryDirectory(prefix="sm-snapshot-") as tmp:
        target = Path(tmp) / "export"
        state.con.execute(f"EXPORT DATABASE '{target}' (FORMAT parquet)")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:  # Parquet is compressed already
            for f in sorted(target.iterdir()):
                z.write(f, f.name)
        return buf.getvalue()


def unpack_state(state: StateStore, data: bytes) -> None:
    """Replace every table of ``state`` with the blob's (see :func:`pack_state`)."""
    with tempfile.TemporaryDirectory(prefix="sm-restore-") as tmp:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            z.extractall(tmp)
        state.reset()
        state.con.execute(f"IMPORT DATABASE '{tmp}'")


class TaskHistory:
    """One task's batches and snapshot in the metadata store (module docstring).

    Args:
        store: the mesh's metadata store.
        snapshot_every_s: the least time between two snapshots while the task runs.
    """

    def __init__(
        self, store: Any, *, app: str, product: str, task: str, fingerprint: str, snapshot_every_s: float = 30.0
    ) -> None:
        self.store, self.app, self.product, self.task = store, app, product, task
        self.fingerprint, self.snapshot_every_s = fingerprint, snapshot_every_s
        self._snapshot_at = time.monotonic()
        self._snapshot_batch = -1

    @property
    def _key(self) -> tuple[str, str, str]:
        return self.app, self.product, self.task

    def _check(self, fingerprint: str, what: str) -> None:
        if fingerprint != self.fingerprint:
            raise IncompatibleStateError(
                f"the metadata store holds {what} of app {self.app!r} task {self.task} for another query "
                f"(fingerprint {fingerprint}, this one is {self.fingerprint})",
                hint="deploy the new query under a new app name, or delete the old app to reprocess its inputs",
            )

    def restore(self, state: StateStore) -> None:
        """Replace the local state with the stored snapshot when that is newer than the local checkpoint."""
        row = self.store.task_snapshot(*self._key)
        if row is None:
            return
        fingerprint, batch, data = row
        self._check(fingerprint, "a snapshot")
        self._snapshot_batch = batch
        local = state.checkpoint().batch
        if batch > local:
            _log.info(
                "%s task %s: restoring the snapshot of batch %d (local state at batch %d, %d bytes)",
                self.product,
                self.task,
                batch,
                local,
                len(data),
            )
            unpack_state(state, data)

    def pending(self, after: int) -> list[Intent]:
        """The recorded batches after the local checkpoint ``after``, to replay in order.

        Raises:
            ProcessingError: the history has a gap (its batches were removed while local state lagged).
        """
        intents = []
        for _batch, fingerprint, data in self.store.task_batches(*self._key, after=after):
            self._check(fingerprint, "batches")
            intents.append(Intent.from_dict(data))
        if intents and intents[0].batch != after + 1:
            raise ProcessingError(
                f"app {self.app!r} task {self.task}: the metadata store records batches from "
                f"{intents[0].batch}, but the state here stops at batch {after} and no snapshot covers the gap",
                hint="delete the app's local state folder so the task restarts from the stored snapshot",
            )
        return intents

    def record(self, intent: Intent) -> None:
        """Record ``intent`` before its outputs are appended.

        Raises:
            TaskFencedError: another owner recorded this batch: stop working on the task.
        """
        if not self.store.add_task_batch(*self._key, intent.batch, self.fingerprint, intent.to_dict()):
            raise TaskFencedError(
                f"app {self.app!r} task {self.task}: batch {intent.batch} was recorded by "
                f"another instance, which owns the task now"
            )

    def snapshot(self, state: StateStore, batch: int, *, force: bool = False) -> bool:
        """Store a snapshot of the committed state at ``batch`` if one is due (or ``force``); True if taken."""
        now = time.monotonic()
        if (
            batch == 0
            or batch <= self._snapshot_batch
            or (not force and now - self._snapshot_at < self.snapshot_every_s)
        ):
            return False
        saved = self.store.save_task_snapshot(*self._key, self.fingerprint, batch, pack_state(state))
        self._snapshot_at, self._snapshot_batch = now, batch
        return saved
