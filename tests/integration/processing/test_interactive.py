"""Push previews of live data and pull lookups on tables, without deploying anything."""

from __future__ import annotations

import threading
import time

from streammesh.processing.runtime import preview, pull
from streammesh.processing.sql import compile_sql
from tests.integration.processing.helpers import (
    BASE_MS,
    catalog_of,
    deploy,
    iso,
    orders_contract,
    produce,
    run,
)


def _order(i: int, customer: str, amount: float) -> dict:
    return {
        "order_id": f"O{i:04d}",
        "customer_id": customer,
        "amount": amount,
        "quantity": 1,
        "status": "placed",
        "channel": "web",
        "placed_at": iso(BASE_MS + i * 1000),
    }


def test_pull_query_returns_the_current_row_of_a_key(shop, state):
    shop.publish(orders_contract(partitions=2))
    table = deploy(
        shop,
        "CREATE TABLE analytics.spend AS SELECT customer_id, SUM(amount) AS spent, COUNT(*) AS n "
        "FROM shop.orders GROUP BY customer_id",
    )
    produce(shop, "shop.orders", [_order(i, f"C{i % 4}", 10.0) for i in range(20)])
    run(shop, table, state())
    query = compile_sql("SELECT * FROM analytics.spend WHERE customer_id = 'C1'", catalog_of(shop))
    assert query.mode == "pull"
    assert pull(shop, query) == [{"customer_id": "C1", "spent": 50.0, "n": 5}]
    produce(shop, "shop.orders", [_order(100, "C1", 1.5)])
    run(shop, table, state())
    assert pull(shop, query) == [{"customer_id": "C1", "spent": 51.5, "n": 6}]
    nobody = compile_sql("SELECT spent FROM analytics.spend WHERE customer_id = 'C9'", catalog_of(shop))
    assert pull(shop, nobody) == []


def test_preview_shows_live_rows_from_now_on(shop):
    shop.publish(orders_contract())
    produce(shop, "shop.orders", [_order(i, "C1", 500.0) for i in range(5)])  # history: not shown
    query = compile_sql(
        "SELECT order_id, amount * 2 AS doubled FROM shop.orders WHERE amount > 100 EMIT CHANGES LIMIT 3",
        catalog_of(shop),
    )

    def later() -> None:
        time.sleep(0.6)
        produce(shop, "shop.orders", [_order(10 + i, "C2", 50.0 + 100 * i) for i in range(5)])

    threading.Thread(target=later, daemon=True).start()
    started = time.monotonic()
    rows = list(preview(shop, query, seconds=10, max_rows=100))
    assert rows == [
        {"order_id": "O0011", "doubled": 300.0},
        {"order_id": "O0012", "doubled": 500.0},
        {"order_id": "O0013", "doubled": 700.0},
    ]
    assert time.monotonic() - started < 5, "stops at the LIMIT"


def test_preview_of_an_aggregation_stops_after_its_time(shop):
    shop.publish(orders_contract())
    query = compile_sql("SELECT customer_id, COUNT(*) AS n FROM shop.orders GROUP BY customer_id", catalog_of(shop))

    def later() -> None:
        time.sleep(0.4)
        produce(shop, "shop.orders", [_order(i, "C1", 5.0) for i in range(3)])

    threading.Thread(target=later, daemon=True).start()
    started = time.monotonic()
    rows = list(preview(shop, query, seconds=1.5, max_rows=100))
    assert 1.4 < time.monotonic() - started < 4
    assert rows and rows[-1] == {"customer_id": "C1", "n": 3}
