"""Every error a user can make: the message, the position (line, column) and the suggested fix."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streammesh.exceptions import ValidationError
from streammesh.processing.sql import SqlError

J = "JOIN customers.profiles c ON o.customer_id = c.customer_id"

# (sql, message fragment, (line, column), hint fragment)
CASES = [
    # syntax
    ("CREATE STREAM a.b AS SELECT order_id,, total FROM sales.orders", "unexpected ','", (1, 37), "extra comma"),
    (
        "CREATE STREAM a.b AS SELECT order_id FROM sales.orders\nWHERE (total > 1",
        "syntax error: expecting )",
        (2, 16),
        "docs/sql.md",
    ),
    ("SELECT order_id FROM sales.orders WHERE status = 'placed", "unterminated quoted text", (1, 50), "single quotes"),
    ("CREATE STREAM a.b SELECT 1", "expected AS", (1, 19), "CREATE STREAM name AS SELECT"),
    ("CREATE VIEW a.b AS SELECT 1", "expected STREAM or TABLE", (1, 8), "CREATE STREAM name"),
    ("DELETE FROM sales.orders", "'DELETE' statements are not supported", (1, 1), "CREATE STREAM"),
    (
        "CREATE TABLE a.b AS SELECT category, COUNT(*) AS n FROM sales.order_lines\n"
        "WINDOW TUMBLING (SIZE 1 FORTNIGHT) GROUP BY category",
        "expected a time unit",
        (2, 25),
        "WINDOW TUMBLING",
    ),
    (
        "CREATE TABLE a.b AS SELECT category, COUNT(*) AS n FROM sales.order_lines WINDOW HOPPING (SIZE 1 HOUR) "
        "GROUP BY category",
        "a HOPPING window needs advance",
        (1, 75),
        "ADVANCE BY",
    ),
    (
        "CREATE STREAM a.b WITH (KAFKA_TOPIC = 'x') AS SELECT order_id FROM sales.orders",
        "unknown property 'KAFKA_TOPIC'",
        (1, 25),
        "TIMESTAMP",
    ),
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o WITHIN 1 HOUR",
        "WITHIN belongs to a JOIN",
        (1, 60),
        "JOIN other_stream",
    ),
    # unknown names
    ("SELECT order_id FROM sales.ordrs", "unknown product 'sales.ordrs'", (1, 22), "did you mean 'sales.orders'"),
    ("SELECT * FROM nonsense", "unknown product 'nonsense'", (1, 15), "products in the catalog: catalog.products"),
    ("SELECT o.totl FROM sales.orders o", "unknown column 'totl' in sales.orders (o)", (1, 8), "did you mean 'total'"),
    ("SELECT o.xyzzy FROM sales.orders o", "unknown column 'xyzzy'", (1, 8), "columns of sales.orders: order_id, "),
    ("SELECT x.total FROM sales.orders o", "unknown source 'x'", (1, 8), "sources in scope: o"),
    (
        f"SELECT o.order_id, region2 FROM sales.orders o {J}",
        "unknown column 'region2'",
        (1, 20),
        "did you mean 'c.region'",
    ),
    (
        f"SELECT customer_id FROM sales.orders o {J}",
        "column 'customer_id' is ambiguous: it is in o (sales.orders) and c (customers.profiles)",
        (1, 8),
        "qualify it as o.customer_id or c.customer_id",
    ),
    (
        "SELECT o.items.sku FROM sales.orders o",
        "'items.sku' is inside the array 'items'",
        (1, 8),
        "whole array o.items",
    ),
    (
        "CREATE STREAM a.b WITH (TIMESTAMP = 'placd_at') AS SELECT order_id FROM sales.orders",
        "TIMESTAMP field 'placd_at' is not in sales.orders",
        (1, 25),
        "did you mean 'placed_at'",
    ),
    # types
    (
        "CREATE TABLE a.b AS SELECT category, SUM(category) AS s FROM sales.order_lines GROUP BY category",
        "SUM needs a number, but order_lines.category is text",
        (1, 42),
        "COUNT(order_lines.category) counts values",
    ),
    (
        "SELECT order_id FROM sales.orders WHERE status = 5",
        "type mismatch: cannot compare orders.status (text) with 5",
        (1, 41),
        "orders.status = '5'",
    ),
    (
        "SELECT order_id, status * 2 AS x FROM sales.orders",
        "'*' needs numbers, but orders.status is text",
        (1, 18),
        "CONCAT",
    ),
    ("SELECT order_id FROM sales.orders WHERE total", "WHERE needs a true/false condition", (1, 41), "compare it"),
    (
        "SELECT UPPER(total) AS x FROM sales.orders",
        "UPPER needs text, but orders.total is a number",
        (1, 14),
        "CAST(orders.total AS STRING)",
    ),
    ("SELECT FOO(total) AS x FROM sales.orders", "unknown function FOO", (1, 8), "did you mean 'FLOOR'"),
    ("SELECT CAST(total AS BLOB) AS x FROM sales.orders", "cannot CAST to BLOB", (1, 22), "cast to STRING"),
    (
        "SELECT DATE_TRUNC('fortnight', placed_at) AS x FROM sales.orders",
        "unknown time unit 'FORTNIGHT'",
        (1, 8),
        "HOUR",
    ),
    # joins
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o JOIN customers.profiles c ON o.customer_id = c.email",
        "join not on a key: customers.profiles is a table keyed by customer_id, but it uses c.email",
        (1, 105),
        "join on <left column> = c.customer_id",
    ),
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o\n  JOIN payments.payments p ON o.order_id = p.order_id",
        "joining two streams needs WITHIN: payments.payments is a stream",
        (2, 8),
        "WITHIN 1 HOUR",
    ),
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o JOIN customers.profiles c WITHIN 1 HOUR "
        "ON o.customer_id = c.customer_id",
        "WITHIN applies to stream-stream joins",
        (1, 86),
        "remove WITHIN",
    ),
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o JOIN customers.profiles c ON o.total > 1",
        "ON supports only equalities",
        (1, 89),
        "move other conditions to WHERE",
    ),
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o JOIN customers.profiles c ON o.customer_id = o.order_id",
        "each ON condition must compare c (customers.profiles) with a source joined before it",
        (1, 89),
        "o.key = c.key",
    ),
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o JOIN customers.profiles c ON o.total = c.customer_id",
        "type mismatch: cannot compare o.total (a number) with c.customer_id (text)",
        (1, 89),
        "CAST(o.total",
    ),
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o RIGHT JOIN customers.profiles c "
        "ON o.customer_id = c.customer_id",
        "RIGHT joins are not supported",
        (1, 60),
        "LEFT JOIN",
    ),
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o FULL OUTER JOIN customers.profiles c "
        "ON o.customer_id = c.customer_id",
        "FULL joins are not supported",
        (1, 60),
        "LEFT JOIN",
    ),
    (
        "CREATE STREAM a.b AS SELECT o.order_id FROM sales.orders o CROSS JOIN customers.profiles c",
        "CROSS joins are not supported",
        (1, 60),
        "LEFT JOIN",
    ),
    (
        "SELECT o.order_id FROM sales.orders o, customers.profiles c",
        "a JOIN needs an ON condition",
        (1, 40),
        "ON a.key",
    ),
    (
        "SELECT o.order_id FROM sales.orders o JOIN customers.profiles c USING (customer_id)",
        "JOIN … USING is not supported",
        (1, 65),
        "ON a.key = b.key",
    ),
    (
        "SELECT o.order_id FROM sales.orders o JOIN customers.profiles o ON o.customer_id = o.customer_id",
        "alias 'o' is used twice",
        (1, 63),
        "own alias",
    ),
    # aggregation and shape
    (
        "CREATE TABLE a.b AS SELECT SUM(total) AS s FROM sales.orders",
        "aggregate SUM(orders.total) without GROUP BY",
        (1, 28),
        "add GROUP BY",
    ),
    (
        "CREATE TABLE a.b AS SELECT order_id, total FROM sales.orders",
        "a TABLE needs GROUP BY: sales.orders is a stream",
        (1, 14),
        "CREATE STREAM",
    ),
    (
        "CREATE TABLE a.b AS SELECT category,\n  sku, SUM(line_total) AS s FROM sales.order_lines GROUP BY category",
        "order_lines.sku in SELECT is neither in GROUP BY nor aggregated (GROUP BY: order_lines.category)",
        (2, 3),
        "LATEST_BY_OFFSET(order_lines.sku)",
    ),
    (
        "CREATE TABLE a.b AS SELECT COUNT(*) AS n FROM sales.order_lines GROUP BY category",
        "GROUP BY order_lines.category must also be selected",
        (1, 74),
        "add order_lines.category to the SELECT list",
    ),
    (
        "CREATE STREAM a.b AS SELECT category, COUNT(*) AS n FROM sales.order_lines GROUP BY category",
        "aggregate COUNT is not allowed in SELECT",
        (1, 39),
        "aggregations make a TABLE",
    ),
    (
        "CREATE STREAM a.b AS SELECT order_id FROM sales.orders GROUP BY order_id",
        "a STREAM cannot GROUP BY",
        (1, 56),
        "CREATE TABLE",
    ),
    (
        "CREATE STREAM a.b AS SELECT order_id FROM sales.orders WINDOW TUMBLING (SIZE 1 HOUR)",
        "a STREAM cannot have a WINDOW",
        (1, 56),
        "CREATE TABLE name AS SELECT … WINDOW",
    ),
    (
        "CREATE TABLE a.b AS SELECT category, COUNT(*) AS n FROM sales.order_lines GROUP BY category EMIT FINAL",
        "EMIT FINAL is not possible in a query without WINDOW",
        (1, 93),
        "add WINDOW",
    ),
    (
        "SELECT order_id FROM sales.orders WHERE SUM(total) > 5",
        "aggregate SUM is not allowed in WHERE",
        (1, 41),
        "HAVING",
    ),
    (
        "CREATE TABLE a.b AS SELECT category, SUM(MAX(quantity)) AS s FROM sales.order_lines GROUP BY category",
        "aggregate MAX cannot be nested inside SUM",
        (1, 42),
        "aggregate the column directly",
    ),
    (
        "CREATE TABLE a.b AS SELECT category, COUNT(*) AS n FROM sales.order_lines GRACE PERIOD 1 HOUR GROUP BY category",
        "GRACE PERIOD needs a WINDOW",
        (1, 75),
        "WINDOW TUMBLING",
    ),
    (
        "CREATE STREAM a.b AS SELECT order_id, total * 2 FROM sales.orders",
        "name the computed column orders.total * 2",
        (1, 39),
        "AS some_name",
    ),
    (
        "CREATE STREAM a.b AS SELECT order_id, total AS order_id FROM sales.orders",
        "output column 'order_id' appears twice",
        (1, 39),
        "rename one",
    ),
    (
        "CREATE STREAM a.b AS SELECT order_id FROM sales.orders PARTITION BY customer_id",
        "PARTITION BY orders.customer_id must also be selected",
        (1, 69),
        "add orders.customer_id to the SELECT list",
    ),
    (
        "CREATE TABLE a.b AS SELECT category, COUNT(*) AS n FROM sales.order_lines GROUP BY category PARTITION BY category",
        "PARTITION BY is only for a STREAM",
        (1, 93),
        "remove PARTITION BY",
    ),
    (
        "SELECT WINDOWSTART AS ws, order_id FROM sales.orders",
        "WINDOWSTART is only defined in a windowed TABLE",
        (1, 8),
        "add a WINDOW",
    ),
    (
        f"SELECT ROWTIME AS t FROM sales.orders o {J}",
        "ROWTIME is ambiguous in a join",
        (1, 8),
        "o.ROWTIME or c.ROWTIME",
    ),
    # unsupported constructs
    (
        "CREATE STREAM a.b AS SELECT order_id FROM (SELECT * FROM sales.orders)",
        "subqueries are not supported",
        (1, 44),
        "its own STREAM or TABLE",
    ),
    (
        "SELECT order_id FROM sales.orders WHERE order_id IN (SELECT order_id FROM sales.order_lines)",
        "subqueries are not supported",
        (1, 54),
        "JOIN",
    ),
    (
        "CREATE STREAM a.b AS SELECT order_id FROM sales.orders UNION SELECT order_id FROM sales.order_lines",
        "UNION is not supported",
        (1, 56),
        "one STREAM per input",
    ),
    (
        "CREATE STREAM a.b AS SELECT order_id FROM sales.orders ORDER BY order_id",
        "ORDER BY is not supported in a persistent query",
        (1, 56),
        "remove ORDER BY",
    ),
    (
        "SELECT order_id FROM sales.orders ORDER BY order_id",
        "ORDER BY is not supported in a streaming query",
        (1, 35),
        "remove ORDER BY",
    ),
    (
        "CREATE STREAM a.b AS SELECT order_id FROM sales.orders LIMIT 3",
        "LIMIT is not supported in a persistent query",
        (1, 56),
        "plain SELECT",
    ),
    (
        "CREATE STREAM a.b AS SELECT DISTINCT order_id FROM sales.orders",
        "SELECT DISTINCT is not supported",
        (1, 29),
        "GROUP BY",
    ),
    (
        "CREATE STREAM a.b AS SELECT order_id, ROW_NUMBER() OVER (PARTITION BY customer_id) AS n FROM sales.orders",
        "window functions (OVER …) are not supported",
        (1, 39),
        "WINDOW clause",
    ),
    ("WITH x AS (SELECT * FROM sales.orders) SELECT * FROM x", "common table expressions", (1, 1), "its own STREAM"),
    (
        "SELECT o.items[1] AS first FROM sales.orders o",
        "indexing an array (x[i]) is not supported",
        (1, 8),
        "sales.order_lines",
    ),
    ("SELECT order_id FROM sales.orders, UNNEST(items)", "UNNEST is not supported", (1, 43), "one record per item"),
    ("SELECT * FROM sales.orders TABLESAMPLE (10 PERCENT)", "SAMPLE is not supported on a product", (1, 15), "WHERE"),
    ("SELECT order_id FROM sales.orders EMIT", "EMIT needs CHANGES or FINAL", (1, 35), "EMIT CHANGES"),
    ("SELECT order_id FROM sales.orders LIMIT 5 OFFSET 2", "OFFSET is not supported", (1, 50), "docs/sql.md"),
    # names
    (
        "CREATE STREAM high_value AS SELECT order_id FROM sales.orders",
        "the product name 'high_value' needs a domain",
        (1, 15),
        "analytics.high_value",
    ),
    (
        "CREATE STREAM Sales.HighValue AS SELECT order_id FROM sales.orders",
        "'Sales.HighValue' is not a valid product name",
        (1, 15),
        "snake_case",
    ),
    (
        "CREATE STREAM sales.orders AS SELECT order_id FROM sales.order_lines",
        "'sales.orders' already exists as a source-aligned product",
        (1, 15),
        "another name",
    ),
]


@pytest.mark.parametrize(("sql", "message", "position", "hint"), CASES, ids=[c[1][:48] for c in CASES])
def test_error_names_problem_position_and_fix(
    error_of: Callable[[str], SqlError], sql: str, message: str, position: tuple[int, int], hint: str
) -> None:
    err = error_of(sql)
    assert isinstance(err, ValidationError)
    assert message in err.message
    assert (err.line, err.column) == position, str(err)
    assert err.hint and hint in err.hint


def test_error_text_shows_the_line_with_a_caret(error_of: Callable[[str], SqlError]) -> None:
    err = error_of("SELECT order_id\nFROM sales.orders o\nWHERE o.totl > 100")
    assert str(err).splitlines() == [
        "line 3, column 7: unknown column 'totl' in sales.orders (o)",
        "  WHERE o.totl > 100",
        "        ^^^^^^",
        "  hint: did you mean 'total' or 'subtotal'?",
    ]
    assert err.length == 6


def test_script_errors_are_located_in_the_script(error_of: Callable[[str], SqlError]) -> None:
    err = error_of(
        "CREATE STREAM a.ok AS SELECT order_id FROM sales.orders;\n\nCREATE STREAM a.bad AS SELECT nope FROM a.ok;"
    )
    assert (err.line, err.column, err.message) == (3, 31, "unknown column 'nope' in a.ok (ok)")


def test_time_of_computation_is_refused_for_replayability(error_of: Callable[[str], SqlError]) -> None:
    err = error_of("SELECT order_id, CURRENT_TIMESTAMP AS seen FROM sales.orders")
    assert err.message == "CURRENT_TIMESTAMP is not supported: a result must not depend on when it is computed"
    assert err.hint and "ROWTIME" in err.hint
