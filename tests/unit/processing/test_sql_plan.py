"""Plan semantics: keys, event time, name resolution conveniences, scripts and the type mapping."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streammesh.processing.sql import (
    Query,
    SqlCatalog,
    SqlError,
    compile_script,
    compile_sql,
)
from streammesh.processing.sql.types import from_schema_type


def test_partition_by_rekeys_a_stream(compile_one: Callable[[str], Query]) -> None:
    q = compile_one(
        "CREATE STREAM analytics.orders_by_customer AS SELECT customer_id AS cid, order_id, total "
        "FROM sales.orders PARTITION BY cid"
    )
    assert [e.sql for e in q.partition_by] == ["orders.customer_id"]
    assert q.key_fields == ("cid",)


def test_event_time_property_overrides_the_contract(compile_one: Callable[[str], Query]) -> None:
    q = compile_one(
        "CREATE STREAM analytics.x WITH (TIMESTAMP = 'placed_at') AS SELECT order_id, ROWTIME AS t FROM sales.orders"
    )
    ts = q.sources[0].timestamp
    assert (ts.field, ts.origin, ts.type) == ("placed_at", "property", "timestamp")
    assert q.properties == (("TIMESTAMP", "placed_at"),)
    assert q.projections[1].expr.to_duckdb() == '"orders__$rowtime"'
    assert q.output("t").type == "timestamp"
    j = compile_one(
        "CREATE STREAM analytics.y WITH (TIMESTAMP = 'c.created_at') AS SELECT o.order_id, c.region "
        "FROM sales.orders o JOIN customers.profiles c ON o.customer_id = c.customer_id"
    )
    assert (j.source("o").timestamp.field, j.source("c").timestamp.field) == ("updated_at", "created_at")
    assert "created_at" in [c.path for c in j.source("c").columns]


def test_names_resolve_case_insensitively_and_by_product_name(compile_one: Callable[[str], Query]) -> None:
    q = compile_one('SELECT ORDER_ID, Orders.Total, "sales.orders".status FROM SALES.ORDERS')
    assert [p.expr.sql for p in q.projections] == ["orders.order_id", "orders.total", "orders.status"]
    assert [p.name for p in q.projections] == ["order_id", "total", "status"]  # the schema's spelling
    assert q.mode == "push"


def test_group_by_an_output_alias_and_a_computed_key(compile_one: Callable[[str], Query]) -> None:
    q = compile_one("""CREATE TABLE analytics.daily AS
        SELECT DATE_TRUNC('day', placed_at) AS day, channel, SUM(total) AS revenue
        FROM sales.orders GROUP BY day, channel""")
    assert [k.sql for k in q.group_by] == ["DATE_TRUNC('DAY', orders.placed_at)", "orders.channel"]
    assert q.key_fields == ("day", "channel")
    assert [p.final.to_duckdb() for p in q.projections] == ['"$key0"', '"$key1"', '"$agg0"']
    assert q.group_by[0].to_duckdb() == "DATE_TRUNC('DAY', \"orders__placed_at\")"


def test_session_window_and_select_push_query(compile_one: Callable[[str], Query]) -> None:
    q = compile_one(
        "SELECT session_id, COUNT(*) AS views, WINDOWSTART AS started FROM web.page_views "
        "WINDOW SESSION (30 MINUTES) GROUP BY session_id EMIT CHANGES"
    )
    assert (q.kind, q.mode, q.window.kind, q.window.gap_ms, q.window.size_ms) == (
        "select",
        "push",
        "session",
        1_800_000,
        None,
    )
    assert q.key_fields == ("session_id", "started")
    assert [f.name for f in q.output_schema] == ["session_id", "views", "started", "window_end"]


def test_stream_table_join_against_a_derived_table_in_the_same_script(
    compile_all: Callable[[str], list[Query]],
) -> None:
    stats, enriched = compile_all("""
        CREATE TABLE analytics.customer_orders AS
          SELECT customer_id, COUNT(*) AS orders, SUM(total) AS spent FROM sales.orders GROUP BY customer_id;
        CREATE STREAM analytics.orders_with_history AS
          SELECT o.order_id, o.total, s.orders, s.spent
          FROM sales.orders o JOIN analytics.customer_orders s ON o.customer_id = s.customer_id;""")
    assert stats.key_fields == ("customer_id",)
    assert (enriched.join.mode, enriched.join.source.role, enriched.join.source.key) == (
        "stream-table",
        "table",
        ("customer_id",),
    )
    assert enriched.output("spent").type == "double"


def test_table_over_a_compacted_product_is_keyed_by_its_key(compile_one: Callable[[str], Query]) -> None:
    q = compile_one(
        "CREATE TABLE catalog.electronics AS SELECT sku, name, price_eur FROM catalog.products "
        "WHERE category = 'Electronics' AND active"
    )
    assert (q.kind, q.key_fields, q.group_by) == ("table", ("sku",), ())


def test_default_domain_names_an_unqualified_product(catalog: SqlCatalog) -> None:
    q = compile_sql(
        "CREATE STREAM big_orders AS SELECT order_id FROM sales.orders WHERE total > 500",
        catalog,
        default_domain="analytics",
    )
    assert q.name == "analytics.big_orders"


def test_compile_sql_takes_exactly_one_statement(catalog: SqlCatalog) -> None:
    with pytest.raises(SqlError, match="expected one statement, got several") as info:
        compile_sql("SELECT order_id FROM sales.orders; SELECT sku FROM catalog.products", catalog)
    assert (info.value.line, info.value.column) == (1, 35)
    assert len(compile_script("SELECT order_id FROM sales.orders; SELECT sku FROM catalog.products;", catalog)) == 2


def test_star_expands_every_top_level_field_and_plain_select_names_expressions(
    compile_one: Callable[[str], Query],
) -> None:
    q = compile_one("SELECT *, line_total * 2 FROM sales.order_lines")
    assert [f.name for f in q.output_schema] == [
        "order_id",
        "line",
        "customer_id",
        "sku",
        "category",
        "quantity",
        "unit_price",
        "line_total",
        "currency",
        "channel",
        "placed_at",
        "col2",
    ]
    assert q.output("placed_at").description == (
        "When the order was placed (UTC, ISO-8601); the event time. From sales.order_lines.placed_at."
    )


def test_input_columns_are_what_the_executor_decodes(compile_one: Callable[[str], Query]) -> None:
    q = compile_one(
        "CREATE STREAM analytics.x AS SELECT o.order_id FROM sales.orders o "
        "JOIN customers.profiles c ON o.customer_id = c.customer_id WHERE c.region = 'DACH'"
    )
    assert [(c.path, c.column, c.type) for c in q.source("o").columns] == [
        ("order_id", "o__order_id", "string"),
        ("customer_id", "o__customer_id", "string"),
        ("updated_at", "o__updated_at", "timestamp"),
    ]
    assert [c.path for c in q.source("c").columns] == ["region", "customer_id", "updated_at"]


@pytest.mark.parametrize(
    ("schema_type", "expected"),
    [
        ("string", ("string", False)),
        ("string|null", ("string", True)),
        ("null|string", ("string", True)),
        ("string(date-time)", ("timestamp", False)),
        ("string(date)", ("date", False)),
        ("string(email)", ("string", False)),
        ("integer", ("int", False)),
        ("int32", ("int", False)),
        ("long(timestamp-millis)", ("timestamp", False)),
        ("int(date)", ("date", False)),
        ("number", ("double", False)),
        ("double|null", ("double", True)),
        ("integer|number", ("double", False)),
        ("boolean", ("boolean", False)),
        ("bool", ("boolean", False)),
        ("object", ("record", False)),
        ("record Address", ("record", False)),
        ("map<string,int64>", ("record", False)),
        ("array<object>", ("array", False)),
        ("repeated Item", ("array", False)),
        ("enum ParcelStatus", ("string", False)),
        ("enum", ("string", False)),
        ("bytes(decimal)", ("double", False)),
        ("string|integer", ("any", False)),
        ("Mystery", ("any", False)),
        ("null", ("any", True)),
    ],
)
def test_schema_types_map_to_sql_types(schema_type: str, expected: tuple[str, bool]) -> None:
    assert from_schema_type(schema_type) == expected


def test_protobuf_enums_are_strings(catalog: SqlCatalog) -> None:
    payments = catalog.get("payments.payments")
    assert payments is not None
    assert (payments.field("method").type, payments.field("attempt").type) == ("string", "int")  # type: ignore[union-attr]
