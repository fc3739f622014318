"""Each aggregate's partial → merge → final forms give the value of the plain aggregate, whatever the
chunks the rows arrive in (the property the incremental engine relies on)."""

from __future__ import annotations

import random

import pytest

from streammesh.processing.runtime.aggregation import agg_specs
from streammesh.processing.runtime.ingest import quote
from streammesh.processing.runtime.state import connect_duckdb

SQL = (
    "CREATE TABLE a.m AS SELECT category, COUNT(*) AS n, COUNT(channel) AS c, SUM(quantity) AS q, "
    "SUM(line_total) AS s, AVG(unit_price) AS a, MIN(sku) AS mn, MAX(line_total) AS mx, "
    "COUNT_DISTINCT(order_id) AS d, LATEST_BY_OFFSET(sku) AS l, EARLIEST_BY_OFFSET(sku) AS e, "
    "TOPK(line_total, 3) AS t FROM sales.order_lines GROUP BY category"
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merged_partials_equal_the_aggregate(compile_one, seed):
    q = compile_one(SQL)
    specs = agg_specs(q)
    rng = random.Random(seed)
    con = connect_duckdb()
    con.execute(
        'CREATE TABLE rows ("order_lines__category" VARCHAR, "order_lines__channel" VARCHAR, '
        '"order_lines__quantity" BIGINT, "order_lines__line_total" DOUBLE, "order_lines__unit_price" DOUBLE, '
        '"order_lines__sku" VARCHAR, "order_lines__order_id" VARCHAR, "$seq" BIGINT, chunk INTEGER)'
    )
    rows = [
        (
            rng.choice("ab"),
            rng.choice([None, "web"]),
            rng.randint(1, 5),
            rng.choice([None, rng.random() * 100]),
            rng.random() * 10,
            rng.choice([None, f"S{rng.randint(1, 9)}"]),
            f"O{rng.randint(1, 30)}",
            i,
            rng.randint(0, 6),
        )
        for i in range(400)
    ]
    con.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * 9)})", rows)
    key = '"order_lines__category"'
    partials = ", ".join(f"{e} AS {quote(n)}" for s in specs for n, e in s.partial)
    merges = ", ".join(f"{e} AS {quote(n)}" for s in specs for n, e in s.merge)
    finals = ", ".join(f"{s.final} AS f{j}" for j, s in enumerate(specs))
    merged = con.execute(
        f"SELECT k, {finals} FROM (SELECT k, {merges} FROM (SELECT {key} AS k, chunk, {partials} "
        f"FROM rows GROUP BY ALL) GROUP BY k) ORDER BY k"
    ).fetchall()
    direct = con.execute(
        f"SELECT {key} AS k, {', '.join(f'{a.call.to_duckdb()} AS f{j}' for j, a in enumerate(q.aggregates))} "
        f"FROM rows GROUP BY k ORDER BY k"
    ).fetchall()
    for m, d in zip(merged, direct, strict=True):
        for got, want in zip(m, d, strict=True):
            assert got == pytest.approx(want) if isinstance(want, float) else got == want
