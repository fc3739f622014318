"""``apps validate``, ``lineage`` and ``sql`` on a real demo mesh."""

from __future__ import annotations

import threading
import time

import orjson
import pytest

from tests.integration.apps.conftest import HIGH_VALUE, read_all

pytestmark = pytest.mark.timeout(180)

ENRICHED = """CREATE STREAM analytics.orders_with_region AS
SELECT o.order_id, o.customer_id, o.total, c.region, c.email
FROM sales.orders o
LEFT JOIN customers.profiles c ON o.customer_id = c.customer_id;

CREATE TABLE analytics.orders_per_region AS
SELECT region, COUNT(*) AS orders, SUM(total) AS revenue
FROM analytics.orders_with_region
GROUP BY region;
"""


def test_validate_prints_contracts_without_deploying(cli, mesh, script):
    result = cli("apps", "validate", str(script(ENRICHED, "enriched.sql")), "--owner", "@analytics-team")
    out = result.output
    assert "analytics.orders_with_region" in out and "analytics.orders_per_region" in out
    assert "pii" in out  # c.email stays personal data
    assert "tier-" in out and "SLA" in out  # the derived SLA
    assert "join-key" in out and "identity" in out and "aggregation" in out
    assert "every policy passes" in out
    assert mesh.store.get_product("analytics.orders_with_region") is None  # nothing deployed
    assert mesh.store.list_apps() == []


def test_validate_shows_the_error_position_with_a_caret(cli, script):
    bad = script("CREATE STREAM sales.big AS\nSELECT order_id, total\nFROM sales.orders WHERE totl > 100;\n", "bad.sql")
    result = cli("apps", "validate", str(bad), "--owner", "@sales-team", ok=False)
    assert result.exit_code == 1
    err = result.stderr
    assert "bad.sql, line 3, column 25: unknown column 'totl'" in err
    lines = err.splitlines()
    source = next(i for i, line in enumerate(lines) if "FROM sales.orders WHERE totl > 100" in line)
    caret = lines[source + 1]
    assert caret.index("^") == lines[source].index("totl") and caret.count("^") == 4
    assert "did you mean 'total'" in err


def test_validate_reports_policy_violations(cli, script):
    # the owner must be a registered team
    result = cli("apps", "validate", str(script(HIGH_VALUE)), "--owner", "@nobody", ok=False)
    assert result.exit_code == 1 and "owner-registered" in result.stderr


def test_lineage_upstream_downstream_and_fields(cli, script):
    cli("apps", "deploy", str(script(ENRICHED, "enriched.sql")), "--owner", "@analytics-team", "--no-start")

    up = cli("lineage", "analytics.orders_per_region", "--upstream").output
    assert "analytics.orders_with_region" in up and "sales.orders" in up and "customers.profiles" in up
    assert "derived by app enriched" in up and "source-aligned" in up

    down = cli("lineage", "customers.profiles", "--downstream").output
    assert "analytics.orders_with_region" in down and "analytics.orders_per_region" in down
    assert "reads" not in down

    both = cli("lineage", "analytics.orders_with_region").output
    assert "reads" in both and "feeds" in both

    fields = cli("lineage", "analytics.orders_with_region", "--upstream", "--fields").output
    assert "region" in fields and "customers.profiles.region" in fields
    assert "identity" in fields and "join-key" in fields
    fields_down = cli("lineage", "sales.orders", "--downstream", "--fields").output
    assert "sales.orders.total" in fields_down

    result = cli("lineage", "sales.ordrs", ok=False)
    assert result.exit_code == 1 and "no data product named 'sales.ordrs'" in result.stderr
    result = cli("lineage", "sales.orders", "--upstream", "--downstream", ok=False)
    assert result.exit_code == 1


def test_sql_pull_query(cli, mesh):
    customer = read_all(mesh, "customers.profiles")[-1].value
    result = cli(
        "sql",
        f"SELECT customer_id, region FROM customers.profiles WHERE customer_id = '{customer['customer_id']}'",
        "--json",
    )
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert rows == [{"customer_id": customer["customer_id"], "region": customer["region"]}]
    table = cli(
        "sql", f"SELECT customer_id, region FROM customers.profiles WHERE customer_id = '{customer['customer_id']}'"
    ).output
    assert customer["customer_id"] in table and "1 row" in table


def test_sql_push_preview_prints_live_rows(cli, mesh):
    template = read_all(mesh, "sales.orders")[0].value
    stop = threading.Event()

    def produce() -> None:
        i = 0
        with mesh.producer("sales.orders", linger=0) as producer:
            while not stop.is_set():
                order = {**template, "order_id": f"O{80_000_000 + i}", "total": 777.0}
                producer.send(order["order_id"], order)
                producer.flush()
                i += 1
                time.sleep(0.05)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        result = cli(
            "sql", "SELECT order_id, total FROM sales.orders WHERE total = 777", "--seconds", "20", "--limit", "3"
        )
    finally:
        stop.set()
        thread.join(5)
    rows = [orjson.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 3 and all(r["total"] == 777 and r["order_id"].startswith("O8") for r in rows)


def test_sql_refuses_create_and_shows_errors(cli):
    result = cli("sql", "CREATE STREAM sales.x AS SELECT order_id FROM sales.orders", ok=False)
    assert result.exit_code == 1 and "apps deploy" in result.stderr
    result = cli("sql", "SELECT totl FROM sales.orders", ok=False)
    assert result.exit_code == 1 and "line 1, column 8: unknown column 'totl'" in result.stderr
    assert "^^^^" in result.stderr
