"""Stream-table joins: each stream row joins the table version valid at its event time, whatever the
micro-batches; updates that arrive later apply to later rows only; tombstones delete."""

from __future__ import annotations

import pytest

from tests.integration.processing.helpers import (
    BASE_MS,
    assert_matches_batch,
    customers_contract,
    deploy,
    iso,
    orders_contract,
    output_rows,
    produce,
    run,
)


@pytest.mark.parametrize("kind", ["JOIN", "LEFT JOIN"])
def test_demo_orders_enriched_with_customers(demo_mesh, unique, state, kind):
    query = deploy(
        demo_mesh,
        f"CREATE STREAM {unique('analytics.orders_region')} AS "
        "SELECT o.order_id, o.total, c.region, c.address.city AS city, c.loyalty_tier, "
        f"o.updated_at FROM sales.orders o {kind} customers.profiles c "
        "ON o.customer_id = c.customer_id WHERE o.total > 20",
    )
    run(demo_mesh, query, state(), batch_size=50)
    expected = assert_matches_batch(demo_mesh, query)
    assert any(r["region"] is not None for r in expected)


def test_two_tables_one_of_them_avro(demo_mesh, unique, state):
    query = deploy(
        demo_mesh,
        f"CREATE STREAM {unique('analytics.lines_enriched')} AS "
        "SELECT l.order_id, l.line, p.brand, p.price_eur, c.region FROM sales.order_lines l "
        "LEFT JOIN catalog.products p ON l.sku = p.sku "
        "LEFT JOIN customers.profiles c ON l.customer_id = c.customer_id",
    )
    run(demo_mesh, query, state(), batch_size=50)
    expected = assert_matches_batch(demo_mesh, query)
    assert sum(r["brand"] is not None for r in expected) > len(expected) / 2


def _customer(cid: str, region: str, at_ms: int, tier: int = 1) -> dict:
    return {"customer_id": cid, "label": f"Customer {cid}", "region": region, "tier": tier, "updated_at": iso(at_ms)}


def _order(i: int, cid: str, at_ms: int) -> dict:
    return {
        "order_id": f"O{i:04d}",
        "customer_id": cid,
        "amount": 10.0 + i,
        "quantity": 1 + i % 3,
        "status": "placed",
        "channel": None,
        "placed_at": iso(at_ms),
    }


@pytest.mark.parametrize("kind", ["JOIN", "LEFT JOIN"])
def test_table_updates_arriving_later_apply_to_later_rows(shop, state, kind):
    shop.publish(orders_contract(partitions=2))
    shop.publish(customers_contract(partitions=2))
    query = deploy(
        shop,
        f"CREATE STREAM analytics.orders_with_region AS SELECT o.order_id, o.amount, c.region, c.tier "
        f"FROM shop.orders o {kind} shop.customers c ON o.customer_id = c.customer_id",
    )
    minute = 60_000
    produce(shop, "shop.customers", [_customer(f"C{i}", "north", BASE_MS + i) for i in range(5)])
    produce(shop, "shop.orders", [_order(i, f"C{i % 7}", BASE_MS + minute + i * 1000) for i in range(40)])
    run(shop, query, state(), batch_size=7)
    # later: C1 moves south, C5 and C6 register (their earlier orders stay unmatched), C2 is deleted (a
    # tombstone has no event time: it deletes from its record timestamp on)
    produce(
        shop,
        "shop.customers",
        [
            _customer("C1", "south", BASE_MS + 10 * minute, tier=2),
            _customer("C5", "west", BASE_MS + 10 * minute),
            _customer("C6", "east", BASE_MS + 10 * minute),
            ("C2", None, BASE_MS + 10 * minute),
        ],
    )
    produce(shop, "shop.orders", [_order(100 + i, f"C{i % 7}", BASE_MS + 20 * minute + i * 1000) for i in range(40)])
    run(shop, query, state(), batch_size=7)
    expected = assert_matches_batch(shop, query)
    regions = {(r["order_id"], r["region"]) for r in output_rows(shop, query)}
    assert ("O0001", "north") in regions and ("O0101", "south") in regions
    assert (("O0005", None) in regions) == (kind == "LEFT JOIN")  # C5 registered after this order
    assert ("O0105", "west") in regions
    c2_late = [r for r in expected if r["order_id"] == "O0102"]
    assert c2_late == ([] if kind == "JOIN" else [{"order_id": "O0102", "amount": 112.0, "region": None, "tier": None}])
