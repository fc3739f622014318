"""The sample derived products of the Larkspur demo: each a business objective and its streaming SQL.

They run over the demo organisation's source-aligned products (``streammesh.demo``), are compiled by the
test-suite on every run, and are explained in ``docs/sql.md``; ``streammesh demo`` deploys them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SAMPLES", "SampleQuery", "sample"]


@dataclass(frozen=True, slots=True)
class SampleQuery:
    """A derived product of the demo: who owns it, why it exists and the statement that defines it."""

    name: str
    owner: str
    objective: str
    #: a script: one ``CREATE`` statement, or several whose last one creates ``name`` (the others create
    #: the intermediate products it reads)
    sql: str


SAMPLES: tuple[SampleQuery, ...] = (
    SampleQuery(
        name="analytics.orders_with_region",
        owner="@analytics-team",
        objective="Regional sales reporting needs each order with the customer's sales region, country and "
        "loyalty tier, without copying the customers' personal data.",
        sql="""CREATE STREAM analytics.orders_with_region AS
SELECT o.order_id, o.customer_id, o.status, o.channel, o.currency, o.total,
       c.region, c.country, c.loyalty_tier, o.updated_at
FROM sales.orders o
LEFT JOIN customers.profiles c ON o.customer_id = c.customer_id""",
    ),
    SampleQuery(
        name="sales.high_value_orders",
        owner="@sales-team",
        objective="The fraud and VIP-service desk reviews every placed order worth 1,000 or more, or with 20 "
        "or more units, within minutes of checkout.",
        sql="""CREATE STREAM sales.high_value_orders AS
SELECT order_id, customer_id, channel, currency, total, item_count, delivery_country, placed_at
FROM sales.orders
WHERE status = 'placed' AND (total >= 1000 OR item_count >= 20)""",
    ),
    SampleQuery(
        name="analytics.revenue_by_category",
        owner="@analytics-team",
        objective="Merchandising follows revenue, units and orders per product category and currency, hour by "
        "hour; an hour is final ten minutes after it ends.",
        sql="""CREATE TABLE analytics.revenue_by_category AS
SELECT category, currency, WINDOWSTART AS hour_start, WINDOWEND AS hour_end,
       SUM(line_total) AS revenue, SUM(quantity) AS units, COUNT_DISTINCT(order_id) AS orders
FROM sales.order_lines
WINDOW TUMBLING (SIZE 1 HOUR) GRACE PERIOD 10 MINUTES
GROUP BY category, currency
EMIT FINAL""",
    ),
    SampleQuery(
        name="customers.dach_customers",
        owner="@customers-team",
        objective="The DACH regional team may only see its own customers: a table of the current profile of "
        "every customer in the DACH region, still classified as personal data.",
        sql="""CREATE TABLE customers.dach_customers AS
SELECT customer_id, first_name, last_name, email, phone, address, country, preferred_language,
       loyalty_tier, marketing_opt_in, status, updated_at
FROM customers.profiles
WHERE region = 'DACH'""",
    ),
    SampleQuery(
        name="analytics.shrinkage_watch",
        owner="@analytics-team",
        objective="Loss prevention compares, per warehouse, SKU and day, the units that left for customer "
        "orders with the invoices finance raised and the returns booked back in: units shipped but "
        "never invoiced, and write-offs, point at shrinkage.",
        sql="""CREATE STREAM analytics.dispatches_invoiced AS
SELECT d.dispatch_id, d.warehouse_id, d.sku, d.quantity, d.reason, d.order_id, d.shipment_id,
       r.invoice_id, d.dispatched_at
FROM warehouse.goods_dispatched d
LEFT JOIN finance.accounts_receivable r WITHIN 2 DAYS ON d.order_id = r.order_id
WHERE r.entry_type IS NULL OR r.entry_type = 'invoice';

CREATE TABLE analytics.shrinkage_watch AS
SELECT d.warehouse_id, d.sku,
       SUM(d.quantity) AS units_dispatched,
       SUM(CASE WHEN d.reason = 'customer_order' AND d.invoice_id IS NULL THEN d.quantity ELSE 0 END)
         AS units_not_invoiced,
       SUM(CASE WHEN d.reason <> 'customer_order' THEN d.quantity ELSE 0 END) AS units_written_off,
       SUM(COALESCE(g.quantity, 0)) AS units_returned,
       SUM(g.quantity * g.unit_cost) AS returned_cost
FROM analytics.dispatches_invoiced d
LEFT JOIN warehouse.goods_received g WITHIN (0 SECONDS, 14 DAYS)
  ON d.shipment_id = g.shipment_id AND d.sku = g.sku
WINDOW TUMBLING (SIZE 1 DAY) GRACE PERIOD 14 DAYS
GROUP BY d.warehouse_id, d.sku
EMIT CHANGES;""",
    ),
)


def sample(name: str) -> SampleQuery:
    """The sample defining product ``name``.

    Raises:
        KeyError: no such sample; the message lists them.
    """
    for s in SAMPLES:
        if s.name == name:
            return s
    raise KeyError(f"no sample {name!r}; samples: {', '.join(s.name for s in SAMPLES)}")
