"""Aggregations over micro-batches of 50 out-of-order events (within grace) equal the batch reference:
every window kind with every aggregate, EMIT CHANGES (final state per key) and EMIT FINAL, HAVING."""

from __future__ import annotations

import pytest

from tests.integration.processing.helpers import (
    assert_matches_batch,
    deploy,
    output_rows,
    run,
)

AGGREGATES = (
    "COUNT(*) AS n, COUNT(channel) AS with_channel, SUM(quantity) AS units, SUM(line_total) AS revenue, "
    "AVG(unit_price) AS avg_price, MIN(sku) AS first_sku, MAX(placed_at) AS last_at, "
    "COUNT_DISTINCT(order_id) AS orders, LATEST_BY_OFFSET(sku) AS latest_sku, "
    "EARLIEST_BY_OFFSET(line_total) AS first_total, TOPK(line_total, 3) AS top3"
)

WINDOWS = {
    "tumbling": ("category, currency", "WINDOW TUMBLING (SIZE 5 MINUTES) GRACE PERIOD 3 MINUTES"),
    "hopping": ("category", "WINDOW HOPPING (SIZE 5 MINUTES, ADVANCE BY 1 MINUTE) GRACE PERIOD 3 MINUTES"),
    "session": ("customer_id", "WINDOW SESSION (2 MINUTES) GRACE PERIOD 3 MINUTES"),
    "none": ("category, channel", ""),
}


@pytest.mark.parametrize("emit", ["CHANGES", "FINAL"])
@pytest.mark.parametrize("window", sorted(WINDOWS))
def test_every_aggregate_in_every_window(demo_mesh, unique, state, window, emit):
    if window == "none" and emit == "FINAL":
        pytest.skip("EMIT FINAL needs a window")
    keys, clause = WINDOWS[window]
    starts = ", WINDOWSTART AS ws, WINDOWEND AS we" if clause else ""
    query = deploy(
        demo_mesh,
        f"CREATE TABLE {unique('analytics.agg_' + window)} AS SELECT {keys}{starts}, "
        f"{AGGREGATES} FROM sales.order_lines {clause} GROUP BY {keys} EMIT {emit}",
    )
    emitted = run(demo_mesh, query, state(), batch_size=50)
    expected = assert_matches_batch(demo_mesh, query)
    assert len(expected) > 5
    if emit == "FINAL":
        assert emitted == len(expected), "a window is written once, when it closes"
    else:
        assert emitted > len(expected), "EMIT CHANGES updates rows as records arrive"
    assert demo_mesh.dead_letters(query.name) == []


@pytest.mark.parametrize("window", ["tumbling", "session", "none"])
@pytest.mark.parametrize("having", ["COUNT(*) >= 3", "MIN(unit_price) > 15 AND SUM(quantity) < 12"])
def test_having_removes_groups_that_stop_matching(demo_mesh, unique, state, window, having):
    keys, clause = WINDOWS[window]
    query = deploy(
        demo_mesh,
        f"CREATE TABLE {unique('analytics.having')} AS SELECT {keys}, COUNT(*) AS n, "
        f"MIN(unit_price) AS cheapest, SUM(quantity) AS units FROM sales.order_lines {clause} "
        f"GROUP BY {keys} HAVING {having} EMIT CHANGES",
    )
    run(demo_mesh, query, state(), batch_size=50)
    expected = assert_matches_batch(demo_mesh, query)
    assert expected
    if "MIN" in having:  # not monotonic: some groups matched once, then stopped (a tombstone removed them)
        events = list(demo_mesh.consumer(query.name, from_beginning=True))
        assert any(e.value is None for e in events) or len({e.key for e in events}) == len(
            output_rows(demo_mesh, query)
        )


def test_windowed_join_aggregation(demo_mesh, unique, state):
    query = deploy(
        demo_mesh,
        f"CREATE TABLE {unique('analytics.revenue_by_region')} AS "
        "SELECT c.region, WINDOWSTART AS hour_start, SUM(l.line_total) AS revenue, "
        "COUNT_DISTINCT(l.customer_id) AS buyers FROM sales.order_lines l "
        "JOIN customers.profiles c ON l.customer_id = c.customer_id "
        "WINDOW TUMBLING (SIZE 10 MINUTES) GRACE PERIOD 3 MINUTES GROUP BY c.region EMIT FINAL",
    )
    run(demo_mesh, query, state(), batch_size=50)
    assert len(assert_matches_batch(demo_mesh, query)) > 3
