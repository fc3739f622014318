"""Filters and projections run incrementally (micro-batches of 50) equal the batch reference."""

from __future__ import annotations

import pytest

from tests.integration.processing.helpers import (
    assert_matches_batch,
    deploy,
    output_rows,
    run,
)

QUERIES = {
    "filter": "SELECT order_id, customer_id, total, updated_at FROM sales.orders "
    "WHERE status = 'placed' AND (total >= 100 OR item_count >= 3)",
    "functions": "SELECT order_id, UPPER(channel) AS ch, CASE WHEN total > 200 THEN 'big' ELSE 'small' END AS size, "
    "COALESCE(promo_code, 'none') AS promo, CAST(total AS BIGINT) AS whole, "
    "ROUND(total * 1.19, 2) AS gross, HASH(customer_id) AS who, MASK(order_id) AS masked, "
    "EXTRACT(HOUR FROM placed_at) AS h, DATE_TRUNC('hour', placed_at) AS hour_start, "
    "LENGTH(order_id) AS n, SUBSTRING(order_id, 2, 4) AS part, CONCAT(currency, '-', status) AS cs, "
    "total / item_count AS per_item, items FROM sales.orders",
    "rekey": "SELECT customer_id, order_id, total FROM sales.orders PARTITION BY customer_id",
    "rowtime": "SELECT l.order_id, l.line, l.sku, l.line_total, l.ROWTIME AS t FROM sales.order_lines l "
    "WHERE l.quantity > 1",
    "table_copy": "CREATE TABLE {name} AS SELECT customer_id, region, loyalty_tier, address.city AS city, "
    "updated_at FROM customers.profiles WHERE region = 'DACH'",
}


@pytest.mark.parametrize("case", sorted(QUERIES))
def test_incremental_equals_batch(demo_mesh, unique, state, case):
    sql = QUERIES[case]
    name = unique(f"analytics.stateless_{case}")
    sql = sql.format(name=name) if "{name}" in sql else f"CREATE STREAM {name} AS {sql}"
    query = deploy(demo_mesh, sql)
    emitted = run(demo_mesh, query, state(), batch_size=50)
    expected = assert_matches_batch(demo_mesh, query)
    assert expected, "the query should select something"
    if query.kind == "stream":
        assert emitted == len(expected)


def test_rekeyed_stream_is_partitioned_by_the_new_key(demo_mesh, unique, state):
    query = deploy(
        demo_mesh,
        f"CREATE STREAM {unique('analytics.by_customer')} AS "
        "SELECT customer_id, order_id FROM sales.orders PARTITION BY customer_id",
    )
    run(demo_mesh, query, state())
    events = list(demo_mesh.consumer(query.name, from_beginning=True))
    assert events and all(e.key == e.value["customer_id"] for e in events)
    by_key: dict[str, set[int]] = {}
    for e in events:
        by_key.setdefault(e.key, set()).add(e.partition)
    assert all(len(parts) == 1 for parts in by_key.values())


def test_a_second_run_resumes_without_duplicates(demo_mesh, unique, state):
    query = deploy(
        demo_mesh,
        f"CREATE STREAM {unique('analytics.resume')} AS SELECT order_id, total FROM sales.orders WHERE total > 50",
    )
    first = run(demo_mesh, query, state(), batch_size=200)
    again = run(demo_mesh, query, state(), batch_size=200)
    assert first > 0 and again == 0
    assert len(output_rows(demo_mesh, query)) == first
