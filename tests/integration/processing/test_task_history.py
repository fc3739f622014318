"""A partition task's history in the metadata store: an instance with none of the task's local state (another
machine) takes it over from the stored snapshot and recorded batches, mid-batch crash included, and the
output equals the batch result with every event once; two owners cannot record the same batch; a late
snapshot never replaces a newer one; state of another query is refused."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from streammesh.processing.runtime.errors import IncompatibleStateError
from streammesh.processing.runtime.partitioned import PartitionedRunner
from streammesh.processing.runtime.processor import SOURCE_HEADER
from streammesh.processing.runtime.state import Intent, StateStore
from streammesh.processing.runtime.task_state import TaskFencedError, TaskHistory, pack_state, unpack_state
from streammesh.sdk.mesh import Mesh
from tests.integration.processing.helpers import (
    BASE_MS,
    assert_matches_batch,
    deploy,
    iso,
    orders_contract,
    produce,
    shuffled_locally,
)
from tests.stores import every_store

pytestmark = [pytest.mark.parametrize("log_backend", ["kafka"], indirect=True), every_store]


def _orders(n: int, *, seed: int = 5) -> list[tuple[str, dict]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        oid = f"O{i % 60:03d}"
        out.append(
            (
                oid,
                {
                    "order_id": oid,
                    "customer_id": f"C{rng.randrange(5)}",
                    "amount": float(i % 30),
                    "quantity": 1 + i % 3,
                    "status": "placed",
                    "channel": None,
                    "placed_at": iso(BASE_MS + i * 500),
                },
            )
        )
    return shuffled_locally(out, window=10)


def _crash_in_a_task(runner: PartitionedRunner) -> int:
    """Step ``runner`` until one of its tasks dies between appending a batch's outputs and committing it
    (after a few committed batches); abandon every task as ``kill -9`` would: no snapshot, no release."""
    victim = None
    while victim is None:
        runner.step(timeout=0.1)
        victim = next((p for p, t in runner.tasks.items() if t.processor.ckpt.batch >= 2), None)

    def crash(ckpt: object) -> None:
        raise KeyboardInterrupt

    runner.tasks[victim].processor.state.commit = crash  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        for _ in range(1000):
            runner.step(timeout=0.1)
    for t in runner.tasks.values():
        t.processor.history = None  # a crash takes no snapshot
        t.processor.state.rollback()
    runner.close()
    return victim


@pytest.mark.parametrize("snapshot_every_s", [0.0, 3600.0], ids=["snapshot-every-batch", "replay-every-batch"])
def test_an_instance_without_local_state_takes_tasks_over_from_the_metadata_store(
    shop: Mesh, state, log_backend: str, snapshot_every_s: float
) -> None:
    shop.publish(orders_contract(partitions=3))
    produce(shop, "shop.orders", _orders(600))
    totals = deploy(
        shop,
        "CREATE TABLE analytics.order_totals AS SELECT order_id, COUNT(*) AS n, "
        "SUM(amount) AS total FROM shop.orders GROUP BY order_id",
    )
    first = PartitionedRunner(
        shop,
        totals,
        app="x",
        state_dir=state("machine-a"),
        batch_size=40,
        group=False,
        snapshot_every_s=snapshot_every_s,
    )
    victim = _crash_in_a_task(first)
    recorded = shop.store.task_batches("x", "analytics.order_totals", f"p{victim}", after=0)
    # snapshots after every batch leave only the half-done batch to replay; without, the whole history is there
    assert [b for b, _f, _i in recorded] == ([3] if snapshot_every_s == 0 else [1, 2, 3])
    produce(shop, "shop.orders", _orders(150, seed=9))  # more arrives while no one runs the app
    with PartitionedRunner(
        shop,
        totals,
        app="x",
        state_dir=state("machine-b"),
        batch_size=40,
        group=False,
        snapshot_every_s=snapshot_every_s,
    ) as second:
        while not second.caught_up():
            second.step(timeout=0.05)
    # the counts only add up if machine B started from machine A's state, not from nothing
    assert len(assert_matches_batch(shop, totals)) == 60
    assert shop.store.task_batches("x", "analytics.order_totals", f"p{victim}", after=0) == []  # closed: snapshot


def test_a_copy_taken_over_mid_batch_holds_every_event_once(shop: Mesh, state, log_backend: str) -> None:
    shop.publish(orders_contract(partitions=2))
    produce(shop, "shop.orders", _orders(300))
    copy = deploy(shop, "CREATE STREAM analytics.copy AS SELECT order_id, amount, placed_at FROM shop.orders")
    first = PartitionedRunner(
        shop, copy, app="x", state_dir=state("a"), batch_size=25, group=False, snapshot_every_s=3600.0
    )
    victim = _crash_in_a_task(first)
    with PartitionedRunner(shop, copy, app="x", state_dir=state("b"), batch_size=25, group=False) as second:
        second._sync()
        assert second.tasks[victim].processor.replaying  # the half-appended batch is recomputed first
        while not second.caught_up():
            second.step(timeout=0.05)
    events = list(shop.consumer("analytics.copy", from_beginning=True))
    copies = Counter((e.value["order_id"], e.value["placed_at"]) for e in events)
    assert len(copies) == 300 and max(copies.values()) == 1
    assert all(dict(e.headers).get(SOURCE_HEADER, b"").startswith(b"analytics.copy/p") for e in events)


def _history(mesh: Mesh, fingerprint: str = "f1") -> TaskHistory:
    return TaskHistory(mesh.store, app="x", product="analytics.copy", task="p0", fingerprint=fingerprint)


def test_two_owners_cannot_record_the_same_batch_and_a_late_snapshot_loses(
    shop: Mesh, tmp_path: Path, log_backend: str
) -> None:
    one, other = _history(shop), _history(shop)
    intent = Intent(1, {"o": {0: (0, 10)}}, {"analytics.copy": {0: (0, 0)}}, {"o": []})
    one.record(intent)
    with pytest.raises(TaskFencedError, match="batch 1 was recorded by another instance"):
        other.record(intent)
    one.record(Intent(2, {"o": {0: (10, 20)}}, {}, {}))
    assert [i.batch for i in other.pending(0)] == [1, 2] and other.pending(0)[0] == intent
    state = StateStore(tmp_path / "s", query_sql="SELECT 1")
    state.con.execute("CREATE TABLE t (k VARCHAR PRIMARY KEY, j JSON, b BLOB, s STRUCT(a INT, l VARCHAR[]))")
    state.con.execute("INSERT INTO t VALUES ('a', '{\"x\": 1}', 'xy'::BLOB, {'a': 1, 'l': ['q']})")
    assert one.snapshot(state, 2, force=True)
    assert other.pending(0) == []  # the snapshot covers both batches
    assert not other.snapshot(state, 1, force=True)  # an older owner's snapshot does not replace it
    assert shop.store.task_snapshot("x", "analytics.copy", "p0")[1] == 2  # type: ignore[index]
    elsewhere = StateStore(tmp_path / "s2", query_sql="SELECT 1")
    unpack_state(elsewhere, pack_state(state))
    assert elsewhere.con.execute("SELECT * FROM t").fetchall() == [("a", '{"x": 1}', b"xy", {"a": 1, "l": ["q"]})]
    with pytest.raises(IncompatibleStateError, match="another query"):
        _history(shop, "f2").restore(elsewhere)
    state.close()
    elsewhere.close()
    assert shop.store.delete_task_state("x") == 1 and shop.store.task_snapshot("x", "analytics.copy", "p0") is None


def test_a_former_owner_that_wakes_up_mid_batch_is_fenced_and_appends_nothing(
    shop: Mesh, state, log_backend: str
) -> None:
    # the zombie: A recorded its batch, stalled before appending; B took the task over and recomputed that
    # batch; when A wakes, the transaction B started has fenced it
    shop.publish(orders_contract(partitions=1))
    produce(shop, "shop.orders", _orders(120))
    copy = deploy(shop, "CREATE STREAM analytics.copy AS SELECT order_id, amount, placed_at FROM shop.orders")
    a = PartitionedRunner(shop, copy, app="x", state_dir=state("a"), batch_size=30, group=False)
    for _ in range(100):  # until the first batch is in (the consumer's first fetch takes a moment)
        a.step(timeout=0.2)
        if a.tasks[0].processor.ckpt.batch >= 1:
            break
    zombie = a.tasks[0].processor
    assert zombie.txn is not None and zombie.ckpt.batch >= 1
    took_over: list[int] = []
    stalled = zombie._append_all

    def stall_then_wake(*args: object) -> None:
        with PartitionedRunner(shop, copy, app="x", state_dir=state("b"), batch_size=30, group=False) as b:
            while not b.caught_up():
                b.step(timeout=0.05)
            took_over.append(b.tasks[0].processor.ckpt.batch)
        stalled(*args)  # type: ignore[arg-type]

    zombie._append_all = stall_then_wake  # type: ignore[method-assign]
    a.step(timeout=0.5)  # fenced: the task is let go, nothing appended
    assert took_over and 0 not in a.tasks
    for t in a.tasks.values():
        t.processor.history = None
    a.close()
    events = list(shop.consumer("analytics.copy", from_beginning=True))
    copies = Counter((e.value["order_id"], e.value["placed_at"]) for e in events)
    assert len(copies) == 120 and max(copies.values()) == 1
