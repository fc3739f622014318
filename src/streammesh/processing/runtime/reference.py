"""``batch_result``: a query evaluated over *all* current input at once, the reference for the
incremental engine.

It shares decoding and output rendering with the engine but none of its state handling: aggregates are
the plan's own calls (``aggregates[j].call``) over every raw row of a group, not merged partials;
windows are assigned by enumerating window indexes; sessions are gaps-and-islands over all rows; table
joins look versions up in the table's whole history. The semantics are the documented ones, stated
without micro-batches:

* a stream row joins the table version valid at its event time (the newest at or before it);
* a stream-stream join pairs the rows of both sides that are not late (see :mod:`.streamjoin`);
* a row is late for a window ending at or before its partition's watermark just before it (largest
  earlier event time of the partition minus grace); for sessions, when its event time is behind it;
* ``EMIT FINAL`` shows windows that end at or before the smallest partition watermark;
* a ``TABLE`` result is one row per key: the latest state.
"""

from __future__ import annotations

from typing import Any

import orjson

from streammesh.context import SupportsContext
from streammesh.processing.runtime.decoding import SourceDecoder
from streammesh.processing.runtime.engine import check_supported
from streammesh.processing.runtime.ingest import ingest, meta, quote
from streammesh.processing.runtime.output import value_sql
from streammesh.processing.runtime.reading import SourceReader
from streammesh.processing.runtime.state import connect_duckdb
from streammesh.processing.runtime.streamjoin import pair_seq, within_sql
from streammesh.processing.sql.plan import Query, agg_column, key_column
from streammesh.schemas import load_schema

__all__ = ["batch_result", "evaluate"]


def _load(mesh: SupportsContext, query: Query, con: Any) -> None:
    ctx = mesh.context
    first = query.sources[0]
    for s in query.sources:
        product = ctx.catalog.get(s.product)
        reader = SourceReader(ctx.log, product.stream)
        try:
            views = reader.read_all(limit=1 << 62)
        finally:
            reader.close()
        keys = s.role == "table" or (s is first and query.kind == "table" and not query.aggregating)
        decoded = SourceDecoder(ctx.registry, load_schema(product.contract.schema_), s.columns, keys=keys).decode(views)
        ingest(con, f"in_{s.alias}", s, decoded)


def _versions(query: Query, alias: str) -> str:
    s = query.source(alias)
    by_path = {c.path: c for c in s.columns}
    fills = []
    for i, k in enumerate(s.key):
        if k in by_path:
            col = quote(by_path[k].column)
            raw = meta(alias, "$key") if len(s.key) == 1 else f"json_extract_string({meta(alias, '$key')}, '$[{i}]')"
            fills.append(f"coalesce({col}, TRY_CAST({raw} AS {_duck(by_path[k].type)})) AS {col}")
    keys = ", ".join(quote(by_path[k].column) for k in s.key if k in by_path) or "1"
    rel = (
        f"SELECT * REPLACE ({', '.join(fills)}) FROM {quote('in_' + alias)}"
        if fills
        else f"SELECT * FROM {quote('in_' + alias)}"
    )
    return f'SELECT * FROM ({rel}) QUALIFY row_number() OVER (PARTITION BY {keys}, {meta(alias, "$ts")} ORDER BY "$seq" DESC) = 1'


def _duck(t: str) -> str:
    from streammesh.processing.sql.types import duckdb_type

    return duckdb_type(t)  # type: ignore[arg-type]


def _relation(query: Query, grace: int) -> str:
    a = query.sources[0].alias
    ts, p, o = meta(a, "$ts"), meta(a, "$p"), meta(a, "$o")
    copy = query.kind == "table" and not query.aggregating
    wmb = f"coalesce(max({ts}) OVER (PARTITION BY {p} ORDER BY {o} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), -(2::BIGINT**62)) - {grace}"
    rel = f'SELECT *, {wmb} AS "$wmb" FROM {quote("in_" + a)}' + ("" if copy else f" WHERE NOT {meta(a, '$del')}")
    if query.joins and query.joins[0].mode == "stream-stream":
        return _stream_pairs(query, rel, grace)
    for j in query.joins:
        b = j.source.alias
        on = " AND ".join(f"({lk.to_duckdb()}) = r.{rk.to_duckdb()}" for lk, rk in zip(j.left_keys, j.right_keys))
        cols = [quote(c.column) for c in j.source.columns] + [meta(b, "$rowtime")]
        picked = ", ".join(f"CASE WHEN r.{meta(b, '$del')} THEN NULL ELSE r.{c} END AS {c}" for c in cols)
        rel = (
            f'SELECT l.*, {picked}, coalesce(NOT r.{meta(b, "$del")}, false) AS "{b}__$hit" FROM ({rel}) l '
            f"ASOF LEFT JOIN ({_versions(query, b)}) r ON {on} AND l.{meta(a, '$rowtime')} >= r.{meta(b, '$rowtime')}"
        )
        if j.kind == "inner":
            rel = f'SELECT * FROM ({rel}) WHERE "{b}__$hit"'
    return rel


def _stream_pairs(query: Query, left: str, grace: int) -> str:
    """Pairs of a stream-stream join over all rows not late on either side; for LEFT JOIN, the left rows
    without a pair whose interval is behind every right partition's final watermark."""
    a, j = query.sources[0].alias, query.joins[0]
    b = j.source.alias
    ts, p, o = meta(b, "$ts"), meta(b, "$p"), meta(b, "$o")
    wmb = (
        f"coalesce(max({ts}) OVER (PARTITION BY {p} ORDER BY {o} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), "
        f"-(2::BIGINT**62)) - {grace}"
    )
    rights = (
        f'SELECT * FROM (SELECT * EXCLUDE ("$seq"), "$seq" AS {meta(b, "$seq")}, {wmb} AS {meta(b, "$wmb")} '
        f"FROM {quote('in_' + b)} WHERE NOT {meta(b, '$del')}) WHERE {ts} >= {meta(b, '$wmb')}"
    )
    lefts = f'SELECT * FROM ({left}) WHERE {meta(a, "$ts")} >= "$wmb"'
    pairs = (
        f'SELECT l.* REPLACE ({pair_seq("l", "r", b)} AS "$seq"), r.* FROM ({lefts}) l JOIN ({rights}) r '
        f"ON {within_sql(query, j, 'l', 'r')}"
    )
    if j.kind != "left":
        return pairs
    final = (
        f"(SELECT min(m) - {grace} FROM (SELECT max({ts}) AS m FROM {quote('in_' + b)} WHERE NOT "
        f"{meta(b, '$del')} GROUP BY {p}))"
    )
    after = int(j.within.after_ms) if j.within else 0
    nulls = (
        f'SELECT l.* REPLACE (CAST(l."$seq" AS HUGEINT) * 17592186044416 AS "$seq"), r.* FROM ({lefts}) l '
        f'LEFT JOIN ({rights} LIMIT 0) r ON false WHERE l."$seq" NOT IN (SELECT CAST("$seq" // '
        f"17592186044416 AS BIGINT) FROM ({pairs})) AND l.{meta(a, '$ts')} + {after} < {final}"
    )
    return f"{pairs} UNION ALL BY NAME {nulls}"


def _grouped(query: Query, rel: str, con: Any) -> str:
    a = query.sources[0].alias
    ts = meta(a, "$ts")
    w = query.window
    keys = [f"{k.to_duckdb()} AS {quote(key_column(i))}" for i, k in enumerate(query.group_by)]
    knames = [quote(key_column(i)) for i in range(len(query.group_by))]
    aggs = ", ".join(f"{ag.call.to_duckdb()} AS {quote(agg_column(j))}" for j, ag in enumerate(query.aggregates))
    if w is None:
        rows = f'SELECT *, {", ".join(keys)}, 0::BIGINT AS "$ws", 0::BIGINT AS "$we" FROM ({rel})'
    elif w.kind == "session":
        gap = int(w.gap_ms or 0)
        part = ", ".join(knames)
        marked = (
            f'SELECT *, CASE WHEN lag({ts}) OVER (PARTITION BY {part} ORDER BY {ts}, "$seq") IS NULL OR '
            f'{ts} - lag({ts}) OVER (PARTITION BY {part} ORDER BY {ts}, "$seq") >= {gap} THEN 1 ELSE 0 END AS new '
            f'FROM (SELECT *, {", ".join(keys)} FROM ({rel}) WHERE {ts} >= "$wmb")'
        )
        isl = f'SELECT *, sum(new) OVER (PARTITION BY {part} ORDER BY {ts}, "$seq") AS isl FROM ({marked})'
        rows = (
            f'SELECT *, min({ts}) OVER (PARTITION BY {part}, isl) AS "$ws", '
            f'max({ts}) OVER (PARTITION BY {part}, isl) + {gap} AS "$we" FROM ({isl})'
        )
    else:
        size, adv = int(w.size_ms or 0), int(w.advance_ms or w.size_ms or 0)
        n = -(-size // adv)
        k = f"CAST(floor({ts} / {adv}) AS BIGINT)"
        rows = (
            f'SELECT * FROM (SELECT *, {", ".join(keys)}, ({k} - i) * {adv} AS "$ws", ({k} - i) * {adv} + {size} '
            f'AS "$we" FROM ({rel}), range(0, {n}) AS t(i)) WHERE "$ws" <= {ts} AND {ts} < "$we" '
            f'AND "$we" > "$wmb"'
        )
    group = ", ".join([*knames, '"$ws"', '"$we"'])
    sel = (
        f'SELECT {group}, {aggs}, epoch_ms("$ws") AS "$window_start", epoch_ms("$we") AS "$window_end" '
        f"FROM ({rows}) GROUP BY {group}"
    )
    having = f" WHERE coalesce(({query.having_final.to_duckdb()}), false)" if query.having_final is not None else ""
    out = f"SELECT * FROM ({sel}){having}"
    if w is not None and query.emit == "final":
        # partitions without any record are idle: they hold nothing back
        row = con.execute(
            f"SELECT min(m) FROM (SELECT max({ts}) AS m FROM {quote('in_' + a)} WHERE NOT "
            f"{meta(a, '$del')} GROUP BY {meta(a, '$p')})"
        ).fetchone()
        wm = (row[0] if row and row[0] is not None else -(2**62)) - int(w.grace_ms)
        ss = next((j for j in query.joins if j.mode == "stream-stream"), None)
        if ss is not None:  # a buffered left row may still be paired until the right side passes it
            b = ss.source.alias
            right = con.execute(
                f"SELECT min(m) FROM (SELECT max({meta(b, '$ts')}) AS m FROM {quote('in_' + b)} "
                f"WHERE NOT {meta(b, '$del')} GROUP BY {meta(b, '$p')})"
            ).fetchone()
            after = int(ss.within.after_ms) if ss.within else 0
            wm = min(wm, (right[0] if right and right[0] is not None else -(2**62)) - int(w.grace_ms) - after)
        out += (" AND " if having else " WHERE ") + f'"$we" <= {int(wm)}'
    return out


def evaluate(con: Any, query: Query) -> list[dict[str, Any]]:
    """The result rows of ``query`` over the ``in_{alias}`` tables loaded in ``con``, as JSON values."""
    w = query.window
    ss = next((j for j in query.joins if j.mode == "stream-stream"), None)
    within = max(ss.within.before_ms, ss.within.after_ms) if ss is not None and ss.within else 0
    rel = _relation(query, int(w.grace_ms) if w is not None else int(within))
    copy = query.kind == "table" and not query.aggregating
    if query.aggregating:
        sql = f"SELECT {value_sql(query, final=True)} FROM ({_grouped(query, rel, con)})"
    elif copy:
        a = query.sources[0].alias
        cond = f"coalesce(({query.filter.to_duckdb()}), false)" if query.filter is not None else "true"
        latest = (
            f'SELECT * FROM ({rel}) QUALIFY row_number() OVER (PARTITION BY {meta(a, "$key")} ORDER BY "$seq" DESC) = 1'
        )
        sql = f"SELECT {value_sql(query, final=False)} FROM ({latest}) WHERE NOT {meta(a, '$del')} AND {cond}"
    else:
        where = f" WHERE coalesce(({query.filter.to_duckdb()}), false)" if query.filter is not None else ""
        sql = f'SELECT {value_sql(query, final=False)} FROM ({rel}){where} ORDER BY "$seq"'
    return [orjson.loads(v) for (v,) in con.execute(sql).fetchall()]


def batch_result(mesh: SupportsContext, query: Query) -> list[dict[str, Any]]:
    """``query`` over all records currently in its inputs, as the rows a consumer of the output reads
    (JSON values): every row of a STREAM in arrival order, the final row per key of a TABLE."""
    ctx = mesh.context
    check_supported(query)
    con = connect_duckdb(None)
    try:
        _load(ctx, query, con)
        return evaluate(con, query)
    finally:
        con.close()
