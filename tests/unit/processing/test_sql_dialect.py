"""The dialect layer: statements split, streaming clauses extracted with their positions, and the rest
handed to sqlglot with every character where it was."""

from __future__ import annotations

import pytest

from streammesh.processing.sql import SqlError, parse_statement, split_statements


def test_create_table_with_every_streaming_clause() -> None:
    sql = (
        "CREATE OR REPLACE TABLE analytics.rev WITH (TIMESTAMP = 'placed_at') AS\n"
        "SELECT category, COUNT(*) AS n FROM sales.order_lines\n"
        "WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 15 MINUTES) GRACE PERIOD 5 MINUTES\n"
        "WHERE currency = 'EUR' GROUP BY category HAVING COUNT(*) > 1 EMIT FINAL;"
    )
    s = parse_statement(sql)
    assert (s.kind, s.name, s.or_replace, s.emit) == ("table", "analytics.rev", True, "final")
    assert sql[s.name_span.start : s.name_span.end] == "analytics.rev"
    assert [(p.key, p.value) for p in s.properties] == [("TIMESTAMP", "placed_at")]
    assert s.window is not None
    assert (s.window.kind, s.window.size.ms, s.window.advance.ms, s.window.grace) == (
        "hopping",
        3_600_000,
        900_000,
        None,
    )
    assert sql[s.window.span.start : s.window.span.end] == "WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 15 MINUTES)"
    assert s.grace is not None and s.grace.ms == 300_000 and sql[s.grace.span.start : s.grace.span.end] == "5 MINUTES"
    assert s.select.sql() == (
        "SELECT category, COUNT(*) AS n FROM sales.order_lines WHERE currency = 'EUR' "
        "GROUP BY category HAVING COUNT(*) > 1"
    )


@pytest.mark.parametrize(
    ("clause", "kind", "size", "advance", "gap", "grace"),
    [
        ("WINDOW TUMBLING (SIZE 30 SECONDS)", "tumbling", 30_000, None, None, None),
        ("WINDOW TUMBLING (SIZE 1 DAY, GRACE PERIOD 0 SECONDS)", "tumbling", 86_400_000, None, None, 0),
        ("window session (30 minutes)", "session", None, None, 1_800_000, None),
        ("WINDOW SESSION (2 HOURS, GRACE PERIOD 10 MINUTES)", "session", None, None, 7_200_000, 600_000),
        ("WINDOW HOPPING (ADVANCE BY 500 MILLISECONDS, SIZE 1 SECOND)", "hopping", 1000, 500, None, None),
        ("WINDOW TUMBLING (SIZE 2 WEEKS)", "tumbling", 1_209_600_000, None, None, None),
    ],
)
def test_window_forms(
    clause: str, kind: str, size: int | None, advance: int | None, gap: int | None, grace: int | None
) -> None:
    w = parse_statement(f"SELECT x FROM t {clause} GROUP BY x").window
    assert w is not None
    assert (w.kind, w.size and w.size.ms, w.advance and w.advance.ms, w.gap and w.gap.ms, w.grace and w.grace.ms) == (
        kind,
        size,
        advance,
        gap,
        grace,
    )


def test_within_belongs_to_its_join_and_accepts_before_after() -> None:
    s = parse_statement("SELECT * FROM a x JOIN b y ON x.k = y.k JOIN c z WITHIN (5 MINUTES, 1 HOUR) ON x.k = z.k")
    (w,) = s.withins
    assert (w.join_index, w.before.ms, w.after.ms) == (1, 300_000, 3_600_000)
    assert len(s.select.args["joins"]) == 2
    (w,) = parse_statement("SELECT * FROM a x JOIN b y WITHIN 2 DAYS ON x.k = y.k").withins
    assert (w.join_index, w.before.ms, w.after.ms) == (0, 172_800_000, 172_800_000)


def test_partition_by_expressions_keep_their_positions() -> None:
    sql = "CREATE STREAM a.b AS SELECT x, y FROM t PARTITION BY x, UPPER(y) EMIT CHANGES"
    s = parse_statement(sql)
    assert [e.sql() for e in s.partition_by] == ["x", "UPPER(y)"]
    assert s.emit == "changes" and sql[s.partition_span.start : s.partition_span.end] == "PARTITION BY x, UPPER(y)"
    assert s.partition_by[0].this.meta["start"] == sql.index("BY x") + 3


def test_keywords_in_strings_comments_names_and_windows_over_are_left_alone() -> None:
    s = parse_statement(
        "SELECT note FROM catalog.window.t -- WINDOW TUMBLING (SIZE 1 HOUR)\n"
        "WHERE note = 'EMIT CHANGES' AND emit = 1 AND grace = 2"
    )
    assert (s.window, s.emit, s.grace) == (None, None, None)
    assert (
        s.select.sql(comments=False)
        == "SELECT note FROM catalog.window.t WHERE note = 'EMIT CHANGES' AND emit = 1 AND grace = 2"
    )
    over = parse_statement("SELECT ROW_NUMBER() OVER (PARTITION BY k) AS n FROM t")
    assert over.partition_by == ()


def test_names_can_be_quoted_or_dotted() -> None:
    assert (
        parse_statement('CREATE STREAM "sales.vip_orders" AS SELECT * FROM "sales.orders"').name == "sales.vip_orders"
    )
    s = parse_statement(
        "CREATE TABLE catalog.by_brand AS SELECT brand, COUNT(*) AS n FROM catalog.products GROUP BY brand"
    )
    assert s.name == "catalog.by_brand"


def test_split_statements_ignores_semicolons_in_strings_and_parentheses() -> None:
    script = "SELECT ';' FROM a;\n-- only a comment;\n\nSELECT b FROM c;  ;"
    spans = split_statements(script)
    assert [script[s.start : s.end].strip() for s in spans] == [
        "SELECT ';' FROM a",
        "-- only a comment;\n\nSELECT b FROM c",
    ]


def test_positions_after_blanked_clauses_point_into_the_original_text() -> None:
    sql = "CREATE TABLE a.b AS\nSELECT k FROM t WINDOW TUMBLING (SIZE 1 HOUR)\nWHERE (k > "
    with pytest.raises(SqlError) as info:
        parse_statement(sql)
    assert (info.value.line, info.value.column) == (3, 10)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT x FROM t WINDOW TUMBLING (SIZE 1 HOUR) WINDOW TUMBLING (SIZE 2 HOURS)", "WINDOW appears twice"),
        ("SELECT x FROM t WINDOW SLIDING (SIZE 1 HOUR)", "expected TUMBLING or HOPPING or SESSION"),
        ("SELECT x FROM t WINDOW TUMBLING (SIZE 0 HOURS)", "a duration needs a positive whole number"),
        (
            "SELECT x FROM t WINDOW TUMBLING (SIZE 1 HOUR, ADVANCE BY 1 MINUTE)",
            "a TUMBLING window does not take advance",
        ),
        (
            "SELECT x FROM t WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 1 HOUR)",
            "ADVANCE BY cannot be larger than its SIZE",
        ),
        ("SELECT x FROM t WINDOW SESSION (SIZE 1 HOUR)", "a SESSION window needs gap"),
        ("SELECT x FROM t PARTITION BY", "PARTITION BY needs at least one expression"),
        ("CREATE STREAM a.b (x INT) AS SELECT 1", "column definitions are not supported"),
        ("CREATE STREAM AS SELECT 1", "expected the new product's name"),
        ("CREATE STREAM a.b WITH (TIMESTAMP 'x') AS SELECT 1", "expected '='"),
        ("", "empty statement"),
    ],
)
def test_clause_syntax_errors(sql: str, message: str) -> None:
    with pytest.raises(SqlError) as info:
        parse_statement(sql)
    assert message in info.value.message
