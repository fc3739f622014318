"""Exactly once: a processor killed with ``kill -9`` at random points and restarted ends with the batch
result, with no duplicates, and a crash between appending and checkpointing is repaired by replay."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from streammesh.processing.runtime import Processor
from streammesh.processing.runtime.processor import run_to_end
from tests.integration.processing.helpers import (
    BASE_MS,
    assert_matches_batch,
    customers_contract,
    deploy,
    drain,
    iso,
    orders_contract,
    payments_contract,
    produce,
)

WORKER = Path(__file__).with_name("crash_worker.py")

JOINED = (
    "CREATE STREAM analytics.orders_with_region AS SELECT o.order_id, o.amount, c.region FROM shop.orders o "
    "LEFT JOIN shop.customers c ON o.customer_id = c.customer_id WHERE o.quantity < 3"
)
WINDOWED = (
    "CREATE TABLE analytics.minutes AS SELECT o.customer_id, WINDOWSTART AS ws, COUNT(*) AS n, "
    "SUM(o.amount) AS total, LATEST_BY_OFFSET(c.region) AS region FROM shop.orders o "
    "LEFT JOIN shop.customers c ON o.customer_id = c.customer_id "
    "WINDOW TUMBLING (SIZE 1 MINUTE) GRACE PERIOD 20 SECONDS GROUP BY o.customer_id EMIT FINAL"
)


def _orders(start: int, count: int, rng: random.Random) -> list[dict]:
    out = []
    for i in range(start, start + count):
        at = BASE_MS + i * 1500 + rng.randint(-8000, 0)  # out of order, within grace
        out.append(
            {
                "order_id": f"O{i:05d}",
                "customer_id": f"C{rng.randrange(12)}",
                "amount": float(i % 50),
                "quantity": 1 + i % 4,
                "status": "placed",
                "channel": None,
                "placed_at": iso(at),
            }
        )
    return out


def _customers(version: int, at_ms: int) -> list[dict]:
    return [
        {
            "customer_id": f"C{i}",
            "label": f"c{i}",
            "region": f"r{(i + version) % 4}",
            "tier": version,
            "updated_at": iso(at_ms),
        }
        for i in range(10)
    ]


def _setup(shop) -> tuple:  # type: ignore[no-untyped-def]
    shop.publish(orders_contract(partitions=2))
    shop.publish(customers_contract(partitions=2))
    produce(shop, "shop.customers", _customers(0, BASE_MS - 60_000))
    return deploy(shop, JOINED), deploy(shop, WINDOWED)


def _check(shop, joined, windowed) -> None:  # type: ignore[no-untyped-def]
    expected = assert_matches_batch(shop, joined)
    assert len(list(shop.consumer(joined.name, from_beginning=True))) == len(expected)
    assert_matches_batch(shop, windowed)
    keys = Counter(e.key for e in shop.consumer(windowed.name, from_beginning=True))
    assert keys and max(keys.values()) == 1, "EMIT FINAL writes each window once"


PAIRED = (
    "CREATE TABLE analytics.paid AS SELECT o.customer_id, WINDOWSTART AS ws, COUNT(p.payment_id) AS payments, "
    "COUNT(*) AS n FROM shop.orders o LEFT JOIN shop.payments p WITHIN 1 MINUTE ON o.order_id = p.order_id "
    "WINDOW TUMBLING (SIZE 1 MINUTE) GRACE PERIOD 20 SECONDS GROUP BY o.customer_id EMIT FINAL"
)


def test_crash_between_append_and_checkpoint_is_repaired(shop, state):
    joined, windowed = _setup(shop)
    shop.publish(payments_contract())
    paired = deploy(shop, PAIRED)
    rng = random.Random(3)
    orders = _orders(0, 300, rng)
    produce(shop, "shop.orders", orders)
    produce(
        shop,
        "shop.payments",
        [
            {"payment_id": f"P{i}", "order_id": o["order_id"], "paid": 1.0, "method": None, "paid_at": o["placed_at"]}
            for i, o in enumerate(orders)
            if i % 3
        ],
    )
    for query in (joined, windowed, paired):
        proc = Processor(shop, query, app="x", state_dir=state(query.name), batch_size=25)
        # a remote log's first fetch may take a moment under load: wait for records rather than step empty
        proc.step(timeout=5)
        proc.step(timeout=5)
        commit = proc.state.commit

        def crash(ckpt):  # the outputs of batch 3 are on the log; the process dies before committing
            raise KeyboardInterrupt

        proc.state.commit = crash  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            proc.step(timeout=5)
        proc.state.commit = commit  # type: ignore[method-assign]
        proc.close()
        again = Processor(shop, query, app="x", state_dir=state(query.name), batch_size=25)
        # with shared output (Kafka) an intent is written only for a batch that appends something
        assert (again.replaying and again._replays[0].batch == 3) or (
            again.shared_output and again.state.read_intent() is None
        )
        drain(again)  # the runner of run() keeps its tasks' state elsewhere
        again.close()
    _check(shop, joined, windowed)
    assert_matches_batch(shop, paired)


@pytest.mark.slow
def test_kill_9_at_random_points(shop, state):
    joined, windowed = _setup(shop)
    rng = random.Random(7)
    produce(shop, "shop.orders", _orders(0, 2500, rng))  # more than the workers get through while alive
    sent, kills, replays = 2500, 0, 0
    trials = 20 if shop.config.log == "embedded" else 8  # a Kafka worker takes longer to start
    for trial in range(trials):
        workers = [
            subprocess.Popen(
                [sys.executable, str(WORKER), str(shop.workspace), str(state(q.name)), "10", q.name, q.sql],
                stdout=subprocess.PIPE,
                text=True,
            )
            for q in (joined, windowed)
        ]
        for w in workers:
            replays += w.stdout.readline().strip() == "replay"  # type: ignore[union-attr]
        produce(shop, "shop.orders", _orders(sent, 100, rng))  # more input arrives while they run
        sent += 100
        if trial % 3 == 1:  # and the table changes, valid from after every order sent so far: a change
            # back-dated before orders already joined would (rightly) not rewrite emitted rows, while the
            # batch reference would apply it, so the comparison needs forward-dated changes
            produce(shop, "shop.customers", _customers(trial, BASE_MS + sent * 1500))
        time.sleep(rng.uniform(0.05, 1.2))
        for w in workers:
            os.kill(w.pid, signal.SIGKILL)
            w.wait()
            w.stdout.close()  # type: ignore[union-attr]
            kills += 1
    assert kills == 2 * trials
    for q in (joined, windowed):  # the killed workers' app: on Kafka its history is in the metadata store
        run_to_end(shop, q, app="crash", state_dir=state(q.name), batch_size=50)
    _check(shop, joined, windowed)
    assert replays >= 1, "some kill should land between an append and its checkpoint"
