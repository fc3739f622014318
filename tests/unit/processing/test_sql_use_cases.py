"""The demo's sample derived products, compiled over the demo catalog: plan, output schema, lineage,
classifications, SLA and quality, each asserted on data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streammesh.contracts.model import Contract
from streammesh.governance import check_contract
from streammesh.processing.sql import (
    ProductInfo,
    Query,
    SqlCatalog,
    compile_script,
    compile_sql,
    derive,
    derived_contract,
    derived_product,
)
from streammesh.processing.sql.samples import SAMPLES, sample


def schema(q: Query) -> list[tuple[str, str, bool]]:
    return [(f.name, f.type, f.nullable) for f in q.output_schema]


def edges(q: Query, catalog: SqlCatalog) -> set[tuple[str, str, str | None, str]]:
    return {(e.product, e.field, e.output, e.kind) for e in derive(q, catalog).edges}


def test_orders_with_region_is_a_left_stream_table_join(catalog: SqlCatalog) -> None:
    q = compile_sql(sample("analytics.orders_with_region").sql, catalog)
    assert (q.kind, q.name, q.inputs) == (
        "stream",
        "analytics.orders_with_region",
        ("sales.orders", "customers.profiles"),
    )
    j = q.join
    assert j is not None
    assert (j.kind, j.mode, j.within, j.source.role, j.source.key) == (
        "left",
        "stream-table",
        None,
        "table",
        ("customer_id",),
    )
    assert [e.sql for e in j.left_keys] == ["o.customer_id"] and [e.sql for e in j.right_keys] == ["c.customer_id"]
    assert schema(q) == [
        ("order_id", "string", False),
        ("customer_id", "string", False),
        ("status", "string", False),
        ("channel", "string", False),
        ("currency", "string", False),
        ("total", "double", False),
        # a LEFT JOIN's right side may be missing: its fields become nullable
        ("region", "string", True),
        ("country", "string", True),
        ("loyalty_tier", "string", True),
        ("updated_at", "timestamp", False),
    ]
    assert (q.key_fields, q.timestamp_field) == (("order_id",), "updated_at")
    assert [c.path for c in q.source("c").columns] == ["region", "country", "loyalty_tier", "customer_id", "updated_at"]
    assert q.source("o").timestamp.field == "updated_at" and q.source("o").timestamp.origin == "contract"
    assert edges(q, catalog) == {
        *(
            ("sales.orders", f, f, "identity")
            for f in ("order_id", "customer_id", "status", "channel", "currency", "total", "updated_at")
        ),
        *(("customers.profiles", f, f, "identity") for f in ("region", "country", "loyalty_tier")),
        ("sales.orders", "customer_id", None, "join-key"),
        ("customers.profiles", "customer_id", None, "join-key"),
    }
    d = derive(q, catalog)
    assert d.classifications == {}  # the PII of customers.profiles is left behind
    assert (d.sla.tier, d.sla.availability, d.sla.freshness, d.sla.time_to_restore) == (
        "tier-1",
        99.9,
        timedelta(minutes=5),
        timedelta(hours=4),
    )
    assert d.sla.limited_by["freshness"] == ("customers.profiles",)
    assert d.quality == "authoritative"
    js = q.json_schema()
    assert js["properties"]["region"] == {
        "type": ["string", "null"],
        "description": "Sales region the market belongs to, as used in regional reporting. From customers.profiles.region.",
    }
    assert js["properties"]["updated_at"]["format"] == "date-time" and js["required"][0] == "order_id"


def test_high_value_orders_filters_and_records_filter_lineage(catalog: SqlCatalog) -> None:
    q = compile_sql(sample("sales.high_value_orders").sql, catalog)
    assert q.filter is not None
    assert q.filter.sql == "orders.status = 'placed' AND (orders.total >= 1000 OR orders.item_count >= 20)"
    assert q.filter.to_duckdb() == (
        '"orders__status" = \'placed\' AND ("orders__total" >= 1000 OR "orders__item_count" >= 20)'
    )
    assert (q.sources[0].alias, q.key_fields, q.joins, q.group_by) == ("orders", ("order_id",), (), ())
    assert schema(q)[-1] == ("placed_at", "timestamp", False)
    assert q.timestamp_field is None  # event time is updated_at, which is not selected
    e = edges(q, catalog)
    assert {x for x in e if x[3] == "filter"} == {
        ("sales.orders", "status", None, "filter"),
        ("sales.orders", "total", None, "filter"),
        ("sales.orders", "item_count", None, "filter"),
    }
    assert ("sales.orders", "total", "total", "identity") in e
    d = derive(q, catalog)
    assert (d.sla.tier, d.sla.freshness, d.sla.time_to_restore, d.quality) == (
        "tier-1",
        timedelta(minutes=1),
        timedelta(hours=2),
        "authoritative",
    )


def test_revenue_per_category_per_hour_is_a_windowed_table(catalog: SqlCatalog) -> None:
    q = compile_sql(sample("analytics.revenue_by_category").sql, catalog)
    assert q.kind == "table" and q.window is not None
    assert (q.window.kind, q.window.size_ms, q.window.advance_ms, q.window.grace_ms) == (
        "tumbling",
        3_600_000,
        3_600_000,
        600_000,
    )
    assert q.emit == "final"
    assert [k.sql for k in q.group_by] == ["order_lines.category", "order_lines.currency"]
    assert [(a.function, a.column, a.call.to_duckdb()) for a in q.aggregates] == [
        ("SUM", "$agg0", 'SUM("order_lines__line_total")'),
        ("SUM", "$agg1", 'SUM("order_lines__quantity")'),
        ("COUNT_DISTINCT", "$agg2", 'COUNT(DISTINCT "order_lines__order_id")'),
    ]
    assert [(p.name, p.final.to_duckdb()) for p in q.projections] == [
        ("category", '"$key0"'),
        ("currency", '"$key1"'),
        ("hour_start", '"$window_start"'),
        ("hour_end", '"$window_end"'),
        ("revenue", '"$agg0"'),
        ("units", '"$agg1"'),
        ("orders", '"$agg2"'),
    ]
    assert schema(q) == [
        ("category", "string", False),
        ("currency", "string", False),
        ("hour_start", "timestamp", False),
        ("hour_end", "timestamp", False),
        ("revenue", "double", False),
        ("units", "int", False),
        ("orders", "int", False),
    ]
    assert q.key_fields == ("category", "currency", "hour_start")
    e = edges(q, catalog)
    assert ("sales.order_lines", "line_total", "revenue", "aggregation") in e
    assert ("sales.order_lines", "placed_at", "hour_start", "transformation") in e
    assert ("sales.order_lines", "category", "category", "identity") in e
    d = derive(q, catalog)
    # EMIT FINAL: a result is only readable when the hour and its grace period are over
    assert d.sla.freshness == timedelta(minutes=1) + timedelta(hours=1, minutes=10)
    assert d.sla.window_delay == timedelta(hours=1, minutes=10)
    assert (
        q.output("revenue").description
        == "Aggregated as SUM(order_lines.line_total) over sales.order_lines.line_total."
    )


def test_pull_query_by_key_on_the_derived_table(catalog: SqlCatalog) -> None:
    script = (
        sample("analytics.revenue_by_category").sql
        + ";\nSELECT * FROM revenue_by_category WHERE category = 'Toys & Games';"
    )
    create, pull = compile_script(script, catalog)
    assert (pull.kind, pull.mode, pull.name) == ("select", "pull", None)
    assert pull.inputs == ("analytics.revenue_by_category",)
    assert pull.lookup == (("category", "Toys & Games"),)
    assert [f.name for f in pull.output_schema] == [f.name for f in create.output_schema]
    push = compile_sql("SELECT order_id, total FROM sales.orders WHERE total > 100 EMIT CHANGES LIMIT 5", catalog)
    assert (push.mode, push.limit, push.emit) == ("push", 5, "changes")


def test_one_regions_customers_stay_personal_data(catalog: SqlCatalog) -> None:
    q = compile_sql(sample("customers.dach_customers").sql, catalog)
    assert (q.kind, q.key_fields, q.timestamp_field, q.sources[0].role) == (
        "table",
        ("customer_id",),
        "updated_at",
        "stream",
    )
    assert q.filter is not None and q.filter.to_duckdb() == "\"profiles__region\" = 'DACH'"
    d = derive(q, catalog)
    assert d.classifications == {
        "first_name": "pii",
        "last_name": "pii",
        "email": "pii",
        "phone": "pii",
        "address": "pii",
    }
    phone = next(c for c in d.field_classes if c.field == "phone")
    assert phone.sources == (("customers.profiles", "phone", "pii"),) and not phone.deidentified
    assert ("customers.profiles", "region", None, "filter") in edges(q, catalog)
    assert (d.sla.tier, d.sla.availability, d.sla.freshness, d.quality) == (
        "tier-1",
        99.9,
        timedelta(minutes=5),
        "authoritative",
    )
    assert q.output("address").type == "record" and q.json_schema()["properties"]["address"]["type"] == "object"


def _script(catalog: SqlCatalog, name: str) -> tuple[list[Query], SqlCatalog]:
    """A sample's statements and the catalog as its last statement sees it (with the earlier products)."""
    queries = compile_script(sample(name).sql, catalog)
    for q in queries[:-1]:
        catalog = catalog.with_product(derived_product(q, derive(q, catalog)))
    return queries, catalog


def test_shrinkage_watch_joins_three_streams_in_two_statements(catalog: SqlCatalog) -> None:
    (inv, q), seen = _script(catalog, "analytics.shrinkage_watch")
    assert inv.name == "analytics.dispatches_invoiced" and inv.kind == "stream"
    assert inv.inputs == ("warehouse.goods_dispatched", "finance.accounts_receivable")
    (r,) = inv.joins
    assert (r.kind, r.mode, r.within.before_ms, r.within.after_ms) == (
        "left",
        "stream-stream",
        172_800_000,
        172_800_000,
    )
    assert inv.output("invoice_id").nullable
    assert q.inputs == ("analytics.dispatches_invoiced", "warehouse.goods_received")
    (g,) = q.joins
    assert (g.mode, g.within.before_ms, g.within.after_ms) == ("stream-stream", 0, 1_209_600_000)
    assert [(a.sql, b.sql) for a, b in zip(g.left_keys, g.right_keys)] == [
        ("d.shipment_id", "g.shipment_id"),
        ("d.sku", "g.sku"),
    ]
    assert (q.window.kind, q.window.grace_ms, q.emit) == ("tumbling", 1_209_600_000, "changes")
    assert q.key_fields == ("warehouse_id", "sku", "window_start")
    assert [f.name for f in q.output_schema][-2:] == ["window_start", "window_end"]  # added to a windowed table
    assert q.output("returned_cost").nullable and not q.output("units_returned").nullable
    d = derive(q, seen)
    assert d.classifications == {"returned_cost": "confidential"}  # unit_cost is commercially sensitive
    assert (d.sla.tier, d.sla.availability, d.sla.freshness, d.sla.time_to_restore) == (
        "tier-2",
        99.5,
        timedelta(minutes=15),
        timedelta(hours=8),
    )
    assert d.quality == "curated"
    e = edges(inv, catalog)
    assert {x for x in e if x[3] == "join-key"} == {
        ("warehouse.goods_dispatched", "order_id", None, "join-key"),
        ("finance.accounts_receivable", "order_id", None, "join-key"),
    }
    assert ("finance.accounts_receivable", "invoice_id", "invoice_id", "identity") in e
    assert ("finance.accounts_receivable", "entry_type", None, "filter") in e
    e = edges(q, seen)
    assert ("analytics.dispatches_invoiced", "invoice_id", "units_not_invoiced", "aggregation") in e
    assert ("warehouse.goods_received", "shipment_id", None, "join-key") in e
    assert ("analytics.dispatches_invoiced", "dispatched_at", "window_start", "transformation") in e


@pytest.mark.parametrize("s", SAMPLES, ids=lambda s: s.name)
def test_each_sample_yields_a_publishable_contract(catalog: SqlCatalog, s) -> None:
    queries, catalog = _script(catalog, s.name)
    q = queries[-1]
    d = derive(q, catalog)
    c = derived_contract(q, d, owner=s.owner, description=s.objective, acknowledge_sla=True)
    assert isinstance(c, Contract) and c.name == s.name and c.domain == s.name.split(".")[0]
    assert c.key == list(q.key_fields) and c.compacted == (q.kind == "table")
    assert c.classifications == dict(d.classifications) and c.quality == d.quality
    assert check_contract(c, teams=[s.owner]) == []
    # the contract's JSON Schema reads back into the same fields and types
    back = ProductInfo.from_contract(c)
    assert [(f.path, f.type, f.nullable) for f in back.top_level()] == schema(q)
