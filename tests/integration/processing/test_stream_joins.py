"""Stream-stream joins (WITHIN): pairs within the interval, out-of-order input within the grace, LEFT rows
once no partner can come, late rows dead-lettered; incremental equals the batch reference."""

from __future__ import annotations

import random

import pytest

from streammesh.processing.runtime import (
    UnsupportedQueryError,
    batch_result,
    run_to_end,
)
from tests.integration.processing.helpers import (
    BASE_MS,
    assert_matches_batch,
    deploy,
    iso,
    orders_contract,
    payments_contract,
    produce,
    run,
    shuffled_locally,
)


def _data(n: int = 240, seed: int = 4) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    orders, payments = [], []
    for i in range(n):
        at = BASE_MS + i * 2000
        orders.append(
            {
                "order_id": f"O{i:04d}",
                "customer_id": f"C{i % 9}",
                "amount": 10.0 + i % 40,
                "quantity": 1 + i % 3,
                "status": "placed",
                "channel": None,
                "placed_at": iso(at),
            }
        )
        for k in range(rng.choice([0, 1, 1, 2])):  # some orders unpaid, some paid twice
            delay = rng.choice([-15_000, 5_000, 40_000, 100_000, 200_000])  # the last is outside WITHIN
            payments.append(
                {
                    "payment_id": f"P{i:04d}{k}",
                    "order_id": f"O{i:04d}",
                    "paid": 10.0 + k,
                    "method": rng.choice(["card", None]),
                    "paid_at": iso(at + delay),
                }
            )
    payments.sort(key=lambda p: p["paid_at"])
    return shuffled_locally(orders, window=8, seed=seed), shuffled_locally(payments, window=8, seed=seed + 1)


@pytest.mark.parametrize("kind", ["JOIN", "LEFT JOIN"])
@pytest.mark.parametrize("batch_size", [7, 50])
def test_pairs_within_the_interval(shop, state, kind, batch_size):
    shop.publish(orders_contract(partitions=2))
    shop.publish(payments_contract())
    orders, payments = _data()
    query = deploy(
        shop,
        "CREATE STREAM analytics.paid_orders AS SELECT o.order_id, o.amount, p.payment_id, p.paid, "
        f"p.method FROM shop.orders o {kind} shop.payments p WITHIN (30 SECONDS, 2 MINUTES) "
        "ON o.order_id = p.order_id WHERE o.quantity < 3",
    )
    # the two streams arrive in interleaved chunks, runs in between
    for i in range(0, len(orders), 60):
        produce(shop, "shop.orders", orders[i : i + 60])
        produce(
            shop,
            "shop.payments",
            [
                p
                for p in payments
                if orders[i]["placed_at"]
                <= p["paid_at"]
                < (orders[i + 60]["placed_at"] if i + 60 < len(orders) else "9")
            ],
        )
        run(shop, query, state(), batch_size=batch_size)
    rows = assert_matches_batch(shop, query)
    matched = [r for r in rows if r["payment_id"] is not None]
    assert matched and all(r["payment_id"].startswith(r["order_id"].replace("O", "P")) for r in matched)
    if kind == "LEFT JOIN":
        assert any(r["payment_id"] is None for r in rows), "unpaid orders appear once their interval has passed"
    assert shop.dead_letters("analytics.paid_orders") == []


def test_windowed_aggregation_over_a_stream_join_with_late_rows(shop, state):
    shop.publish(orders_contract(partitions=1))
    shop.publish(payments_contract(partitions=1))
    orders, payments = _data(seed=9)
    late = {"payment_id": "PLATE", "order_id": "O0001", "paid": 1.0, "method": None, "paid_at": iso(BASE_MS)}
    query = deploy(
        shop,
        "CREATE TABLE analytics.paid_per_minute AS SELECT o.customer_id, WINDOWSTART AS ws, "
        "COUNT(*) AS n, SUM(p.paid) AS paid, COUNT(p.payment_id) AS payments FROM shop.orders o "
        "LEFT JOIN shop.payments p WITHIN 2 MINUTES ON o.order_id = p.order_id "
        "WINDOW TUMBLING (SIZE 1 MINUTE) GRACE PERIOD 3 MINUTES GROUP BY o.customer_id EMIT FINAL",
    )
    produce(shop, "shop.orders", orders)
    produce(shop, "shop.payments", [*payments, late])
    run(shop, query, state(), batch_size=20)
    assert_matches_batch(shop, query)
    dead = shop.dead_letters("analytics.paid_per_minute")
    assert [d["value"]["payment_id"] for d in dead] == ["PLATE"] and "join" in dead[0]["reason"]


def test_chained_stream_joins_are_refused_with_a_way_out(demo_mesh, unique, state):
    query = deploy(
        demo_mesh,
        f"CREATE STREAM {unique('analytics.chain')} AS SELECT l.order_id, o.total, c.region "
        "FROM sales.order_lines l JOIN sales.orders o WITHIN 1 HOUR ON l.order_id = o.order_id "
        "JOIN customers.profiles c ON l.customer_id = c.customer_id",
    )
    with pytest.raises(UnsupportedQueryError, match="only join"):
        run_to_end(demo_mesh, query, app="chain", state_dir=state())
    with pytest.raises(UnsupportedQueryError):
        batch_result(demo_mesh, query)
