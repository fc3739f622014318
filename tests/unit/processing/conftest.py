"""Streaming-SQL fixtures: the demo organisation's contracts as the catalog, compile helpers, and a tiny
batch evaluator that runs a plan's DuckDB expressions the way the incremental executor will."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streammesh.demo.organisation import load_demo_contracts
from streammesh.processing.sql import (
    Query,
    SqlCatalog,
    SqlError,
    compile_script,
    compile_sql,
)
from streammesh.processing.sql.types import duckdb_type


@pytest.fixture(scope="session")
def catalog() -> SqlCatalog:
    return SqlCatalog.from_contracts(load_demo_contracts())


@pytest.fixture
def compile_one(catalog: SqlCatalog) -> Callable[[str], Query]:
    return lambda sql: compile_sql(sql, catalog)


@pytest.fixture
def compile_all(catalog: SqlCatalog) -> Callable[[str], list[Query]]:
    return lambda sql: compile_script(sql, catalog)


@pytest.fixture
def error_of(catalog: SqlCatalog) -> Callable[[str], SqlError]:
    """The SqlError a script raises (the test fails if it compiles)."""

    def run(sql: str) -> SqlError:
        with pytest.raises(SqlError) as info:
            compile_script(sql, catalog)
        return info.value

    return run


def _value(row: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(row, dict):
            return None
        row = row.get(part)  # type: ignore[assignment]
    return row


def run_batch(query: Query, inputs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Evaluate ``query`` over all of ``inputs`` (alias → records, in arrival order) in DuckDB, using only
    the plan: input columns named ``{alias}__{path}``, ``$rowtime``/``$seq`` meta columns, filter,
    stream-table joins on the latest value per key, tumbling/hopping window assignment, ``$key``/``$agg``
    columns and the final projections. Rows come back sorted, as dicts keyed by output name."""
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed; pip install duckdb to run")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for s in query.sources:
        cols = [(c.column, duckdb_type(c.type)) for c in s.columns]
        cols += [(f"{s.alias}__$rowtime", "TIMESTAMP"), (f"{s.alias}__$seq", "BIGINT")]
        con.execute(f'CREATE TABLE "in_{s.alias}" ({", ".join(f"{chr(34)}{n}{chr(34)} {t}" for n, t in cols)})')
        rows = []
        for seq, rec in enumerate(inputs.get(s.alias, [])):
            ts = _value(rec, s.timestamp.field) if s.timestamp.field else rec.get("$rowtime")
            rows.append([_value(rec, c.path) for c in s.columns] + [ts, seq])
        if rows:
            con.executemany(f'INSERT INTO "in_{s.alias}" VALUES ({", ".join("?" * len(cols))})', rows)
    first = query.sources[0]
    rel = f'SELECT *, "{first.alias}__$seq" AS "$seq", "{first.alias}__$rowtime" AS "$rowtime" FROM "in_{first.alias}"'
    for j in query.joins:
        assert j.mode == "stream-table", "the test evaluator joins tables only"
        a = j.source.alias
        latest = (
            f'SELECT * FROM "in_{a}" QUALIFY row_number() OVER (PARTITION BY '
            f'{", ".join(k.to_duckdb() for k in j.right_keys)} ORDER BY "{a}__$seq" DESC) = 1'
        )
        on = " AND ".join(f"{lk.to_duckdb()} = {rk.to_duckdb()}" for lk, rk in zip(j.left_keys, j.right_keys))
        rel = f"SELECT * FROM ({rel}) {'LEFT ' if j.kind == 'left' else ''}JOIN ({latest}) ON {on}"
    where = f" WHERE {query.filter.to_duckdb()}" if query.filter else ""
    if not query.group_by:
        select = ", ".join(f'{p.expr.to_duckdb()} AS "{p.name}"' for p in query.projections)
        result = con.execute(f"SELECT {select} FROM ({rel}){where}")
    else:
        w, win_cols, group = query.window, "", [k.to_duckdb() for k in query.group_by]
        if w is not None:
            assert w.kind in ("tumbling", "hopping"), "the test evaluator assigns tumbling/hopping windows"
            size, adv = w.size_ms, w.advance_ms
            starts = (
                f"unnest(generate_series(time_bucket(INTERVAL '{adv} milliseconds', \"$rowtime\") - "
                f"INTERVAL '{size - adv} milliseconds', time_bucket(INTERVAL '{adv} milliseconds', \"$rowtime\"), "
                f"INTERVAL '{adv} milliseconds'))"
            )
            rel = f'SELECT *, {starts} AS "$window_start" FROM ({rel}){where}'
            rel = f'SELECT *, "$window_start" + INTERVAL \'{size} milliseconds\' AS "$window_end" FROM ({rel})'
            where, win_cols = "", ', "$window_start", "$window_end"'
            group += ['"$window_start"', '"$window_end"']
        keys = ", ".join(f'{k.to_duckdb()} AS "$key{i}"' for i, k in enumerate(query.group_by))
        aggs = ", ".join(f'{a.call.to_duckdb()} AS "{a.column}"' for a in query.aggregates)
        agg = f"SELECT {keys}{win_cols}, {aggs} FROM ({rel}){where} GROUP BY {', '.join(group)}"
        having = f" WHERE {query.having_final.to_duckdb()}" if query.having_final else ""
        select = ", ".join(f'{p.final.to_duckdb()} AS "{p.name}"' for p in query.projections)
        result = con.execute(f"SELECT {select} FROM ({agg}){having}")
    names = [d[0] for d in result.description]
    rows = [dict(zip(names, r)) for r in result.fetchall()]
    return sorted(rows, key=lambda r: [str(v) for v in r.values()])


@pytest.fixture
def batch() -> Callable[[Query, dict[str, list[dict[str, Any]]]], list[dict[str, Any]]]:
    return run_batch
