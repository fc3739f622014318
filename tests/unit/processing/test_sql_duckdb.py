"""DuckDB rendering: the plan's expressions, filters, joins and aggregates run in DuckDB over columns named
by the plan's convention and give the expected values. Skipped when duckdb is not installed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from streammesh.processing.sql import Query
from streammesh.processing.sql.samples import sample

pytest.importorskip("duckdb", reason="duckdb is not installed; pip install duckdb to run the rendering tests")

Batch = Callable[[Query, dict[str, list[dict[str, Any]]]], list[dict[str, Any]]]


def order(
    n: int,
    *,
    customer: str = "C000001",
    total: float = 100.0,
    status: str = "placed",
    items: int = 1,
    at: str = "2024-05-01T10:15:00Z",
    promo: str | None = None,
) -> dict[str, Any]:
    return {
        "order_id": f"O{n:08d}",
        "customer_id": customer,
        "status": status,
        "channel": "web",
        "currency": "EUR",
        "total": total,
        "discount": 5.0,
        "item_count": items,
        "promo_code": promo,
        "delivery_country": "DE",
        "placed_at": at,
        "updated_at": at,
    }


ORDER = order(1, total=1234.5, items=3, at="2024-05-01T10:15:30Z", promo=" spring-24 ")

SCALARS = [
    ("UPPER(o.channel)", "WEB"),
    ("LOWER('ÀB')", "àb"),
    ("CONCAT(o.channel, '-', o.item_count)", "web-3"),
    ("o.channel || '/' || o.currency", "web/EUR"),
    ("SUBSTRING(o.order_id, 2, 3)", "000"),
    ("LENGTH(o.order_id)", 9),
    ("TRIM(o.promo_code)", "spring-24"),
    ("REPLACE(o.channel, 'w', 'W')", "Web"),
    ("o.total - o.discount", 1229.5),
    ("o.item_count / 2", 1.5),
    ("o.item_count % 2", 1),
    ("-o.total", -1234.5),
    ("ABS(-o.item_count)", 3),
    ("ROUND(o.total / 7, 2)", 176.36),
    ("DATE_TRUNC('hour', o.placed_at)", datetime(2024, 5, 1, 10)),
    ("FLOOR(o.placed_at TO DAY)", datetime(2024, 5, 1)),
    ("EXTRACT(MINUTE FROM o.placed_at)", 15),
    ("o.placed_at + INTERVAL '1' HOUR", datetime(2024, 5, 1, 11, 15, 30)),
    ("o.ROWTIME", datetime(2024, 5, 1, 10, 15, 30)),
    ("CASE WHEN o.total > 1000 THEN 'big' WHEN o.total > 100 THEN 'mid' ELSE 'small' END", "big"),
    ("COALESCE(o.cancel_reason, 'none')", "none"),
    ("CAST(o.item_count AS STRING)", "3"),
    ("CAST('12.5' AS DOUBLE)", 12.5),
    ("CAST('x' AS INT)", None),
    ("CAST('2024-05-01T12:00:00+02:00' AS TIMESTAMP)", datetime(2024, 5, 1, 10)),
    ("PARSE_TIMESTAMP('2024-05-01T12:00:00+02:00')", datetime(2024, 5, 1, 10)),
    ("PARSE_TIMESTAMP('01/05/2024 09:30', '%d/%m/%Y %H:%M')", datetime(2024, 5, 1, 9, 30)),
    ("FROM_UNIXTIME(1714557600000)", datetime(2024, 5, 1, 10)),
    ("HASH(o.customer_id)", hashlib.sha256(b"C000001").hexdigest()),
    ("MASK('Ab1-x Z')", "Xxn-x-X"),
    ("o.item_count IN (1, 2, 3)", True),
    ("o.total BETWEEN 1000 AND 2000", True),
    ("o.order_id LIKE 'O%'", True),
    ("o.channel ILIKE 'W%'", True),
    ("CEIL(o.total)", 1235.0),
    ("o.placed_at > '2024-05-01T10:00:00Z'", True),
    ("o.placed_at < TIMESTAMP '2024-05-01 10:00:00'", False),
    ("EXTRACT(DOW FROM o.placed_at)", 3),
    ("COALESCE(o.discount, o.item_count)", 5.0),
    ("o.promo_code IS NULL", False),
    ("NOT o.total > 5", False),
]


@pytest.mark.parametrize(("expression", "expected"), SCALARS, ids=[s[0] for s in SCALARS])
def test_scalar_expressions_run_in_duckdb(
    compile_one: Callable[[str], Query], batch: Batch, expression: str, expected: Any
) -> None:
    q = compile_one(f"SELECT {expression} AS v FROM sales.orders o")
    rows = batch(q, {"o": [ORDER | {"cancel_reason": None}]})
    value = rows[0]["v"]
    assert value == pytest.approx(expected) if isinstance(expected, float) else value == expected, q.projections[
        0
    ].expr.to_duckdb()


def test_filter_and_projection_of_high_value_orders(compile_one: Callable[[str], Query], batch: Batch) -> None:
    q = compile_one(sample("sales.high_value_orders").sql)
    rows = batch(
        q,
        {
            "orders": [
                order(1, total=999.0),
                order(2, total=1000.0),
                order(3, items=25),
                order(4, total=5000.0, status="cancelled"),
            ]
        },
    )
    assert [(r["order_id"], r["total"], r["item_count"]) for r in rows] == [
        ("O00000002", 1000.0, 1),
        ("O00000003", 100.0, 25),
    ]


def test_stream_table_join_takes_the_latest_profile(compile_one: Callable[[str], Query], batch: Batch) -> None:
    q = compile_one(sample("analytics.orders_with_region").sql)
    profiles = [
        {
            "customer_id": "C000001",
            "region": "UK & Ireland",
            "country": "GB",
            "loyalty_tier": "none",
            "updated_at": "2024-05-01T09:00:00Z",
        },
        {
            "customer_id": "C000001",
            "region": "DACH",
            "country": "DE",
            "loyalty_tier": "gold",
            "updated_at": "2024-05-01T09:30:00Z",
        },
        {
            "customer_id": "C000002",
            "region": "France",
            "country": "FR",
            "loyalty_tier": "silver",
            "updated_at": "2024-05-01T09:00:00Z",
        },
    ]
    rows = batch(q, {"o": [order(1), order(2, customer="C000002"), order(3, customer="C999999")], "c": profiles})
    assert [(r["order_id"], r["region"], r["country"], r["loyalty_tier"]) for r in rows] == [
        ("O00000001", "DACH", "DE", "gold"),
        ("O00000002", "France", "FR", "silver"),
        ("O00000003", None, None, None),
    ]


def test_hourly_revenue_per_category(compile_one: Callable[[str], Query], batch: Batch) -> None:
    q = compile_one(sample("analytics.revenue_by_category").sql)

    def line(order_id: str, category: str, qty: int, price: float, at: str, currency: str = "EUR") -> dict[str, Any]:
        return {
            "order_id": order_id,
            "category": category,
            "quantity": qty,
            "line_total": qty * price,
            "currency": currency,
            "placed_at": at,
        }

    rows = batch(
        q,
        {
            "order_lines": [
                line("O1", "Toys & Games", 2, 10.0, "2024-05-01T10:05:00Z"),
                line("O1", "Toys & Games", 1, 5.0, "2024-05-01T10:05:00Z"),
                line("O2", "Toys & Games", 1, 20.0, "2024-05-01T10:59:59Z"),
                line("O3", "Toys & Games", 3, 1.0, "2024-05-01T11:00:00Z"),
                line("O4", "Books", 1, 12.0, "2024-05-01T10:30:00Z", "GBP"),
            ]
        },
    )
    assert [
        (r["category"], r["currency"], r["hour_start"].hour, r["hour_end"].hour, r["revenue"], r["units"], r["orders"])
        for r in rows
    ] == [
        ("Books", "GBP", 10, 11, 12.0, 1, 1),
        ("Toys & Games", "EUR", 10, 11, 45.0, 4, 2),
        ("Toys & Games", "EUR", 11, 12, 3.0, 3, 1),
    ]


def test_aggregates_with_having_over_key_and_aggregate_columns(
    compile_one: Callable[[str], Query], batch: Batch
) -> None:
    q = compile_one("""CREATE TABLE analytics.customer_stats AS
        SELECT customer_id, COUNT(*) AS n, MIN(total) AS lo, MAX(total) AS hi, AVG(total) AS mean,
               LATEST_BY_OFFSET(promo_code) AS last_promo, EARLIEST_BY_OFFSET(order_id) AS first_order,
               TOPK(total, 2) AS top2, UPPER(customer_id) || ':' || CAST(COUNT(*) AS STRING) AS label
        FROM sales.orders GROUP BY customer_id HAVING COUNT(*) > 1""")
    assert [a.function for a in q.aggregates] == [
        "COUNT",
        "MIN",
        "MAX",
        "AVG",
        "LATEST_BY_OFFSET",
        "EARLIEST_BY_OFFSET",
        "TOPK",
    ]
    assert q.having_final is not None and q.having_final.to_duckdb() == '"$agg0" > 1'
    rows = batch(
        q,
        {
            "orders": [
                order(1, total=10.0, promo="A"),
                order(2, total=30.0, promo="B"),
                order(3, total=20.0),
                order(4, customer="C000002"),
            ]
        },
    )
    assert rows == [
        {
            "customer_id": "C000001",
            "n": 3,
            "lo": 10.0,
            "hi": 30.0,
            "mean": 20.0,
            "last_promo": "B",
            "first_order": "O00000001",
            "top2": [30.0, 20.0],
            "label": "C000001:3",
        }
    ]


def test_hopping_windows_count_each_event_in_every_window(compile_one: Callable[[str], Query], batch: Batch) -> None:
    q = compile_one("""CREATE TABLE analytics.views_per_country AS
        SELECT country, COUNT(*) AS views FROM web.page_views
        WINDOW HOPPING (SIZE 10 MINUTES, ADVANCE BY 5 MINUTES) GROUP BY country""")
    views = [{"country": "DE", "viewed_at": t} for t in ("2024-05-01T10:01:00Z", "2024-05-01T10:06:00Z")]
    rows = batch(q, {"page_views": views})
    got = sorted((r["window_start"].strftime("%H:%M"), r["window_end"].strftime("%H:%M"), r["views"]) for r in rows)
    assert got == [("09:55", "10:05", 1), ("10:00", "10:10", 2), ("10:05", "10:15", 1)]


def test_one_regions_customers_with_masked_phone(compile_one: Callable[[str], Query], batch: Batch) -> None:
    q = compile_one("""CREATE TABLE customers.dach_contacts AS
        SELECT customer_id, MASK(phone) AS phone, address.city AS city FROM customers.profiles WHERE region = 'DACH'""")
    rows = batch(
        q,
        {
            "profiles": [
                {
                    "customer_id": "C1",
                    "phone": "+49 30 1234",
                    "region": "DACH",
                    "address": {"city": "Berlin"},
                    "updated_at": "2024-05-01T09:00:00Z",
                },
                {
                    "customer_id": "C2",
                    "phone": None,
                    "region": "France",
                    "address": {"city": "Lyon"},
                    "updated_at": "2024-05-01T09:00:00Z",
                },
            ]
        },
    )
    assert rows == [{"customer_id": "C1", "phone": "-nn-nn-nnnn", "city": "Berlin"}]
    columns = {c.path: c.column for c in q.source("profiles").columns}
    assert columns == {
        "region": "profiles__region",
        "customer_id": "profiles__customer_id",
        "phone": "profiles__phone",
        "address.city": "profiles__address.city",
        "updated_at": "profiles__updated_at",
    }
