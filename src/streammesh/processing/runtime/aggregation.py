"""GROUP BY with tumbling, hopping or no windows: mergeable per-group state, updated per micro-batch.

Why mergeable state rather than raw rows: a group's state has a fixed size (a count, a sum, a value
and its ``$seq``...), so an unwindowed GROUP BY can run forever. Each aggregate has three forms:

* ``partial``: aggregates over raw rows of a batch (``sum(x)``, ``arg_max(x, $seq)`` + ``max($seq)``...);
* ``merge``: aggregates over partial rows, associative (``sum(p)``, ``arg_max(p0, p1)``...);
* ``final``: the value ``$agg{j}`` from the merged partials (``p0 / p1`` for AVG).

Per batch: partials of the batch's non-late rows per (keys, window) → merged with those groups' state
rows (one ``GROUP BY`` over the union) → written back. COUNT_DISTINCT keeps the distinct values as a
list, TOPK the current top k. Windows are ``[k·advance, k·advance + size)`` in epoch milliseconds.

**Lateness and closing.** Each FROM partition has a watermark: the largest event time seen in it so far
minus the grace period. A row is late for a window when the window ends at or before its partition's
watermark just before the row (so lateness depends only on the log, never on batch boundaries). A
window closes (``EMIT FINAL`` writes it; its state is dropped) once it ends at or before the smallest
watermark of the partitions that have had records; a row for a closed window is always late.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from streammesh.processing.runtime.ingest import meta, quote
from streammesh.processing.sql.plan import Aggregate, Query, agg_column, key_column

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

__all__ = ["AggSpec", "agg_specs", "assign_windows_sql", "finalize_sql", "group_columns"]


@dataclass(frozen=True)
class AggSpec:
    """One aggregate's partial, merge and final SQL (partial columns are ``p{j}_{m}``)."""

    partial: tuple[tuple[str, str], ...]
    merge: tuple[tuple[str, str], ...]
    final: str


def _spec(j: int, agg: Aggregate) -> AggSpec:
    f = agg.function
    x = agg.args[0].to_duckdb() if agg.args else None
    p0, p1 = quote(f"p{j}_0"), quote(f"p{j}_1")
    n0, n1 = f"p{j}_0", f"p{j}_1"
    result = {"int": "BIGINT", "double": "DOUBLE"}.get(agg.call.type)
    if f == "COUNT":
        return AggSpec(
            ((n0, f"count({x})" if x else "count(*)"),), ((n0, f"CAST(sum({p0}) AS BIGINT)"),), f"coalesce({p0}, 0)"
        )
    if f == "SUM":
        cast = result or "DOUBLE"
        return AggSpec(((n0, f"CAST(sum({x}) AS {cast})"),), ((n0, f"CAST(sum({p0}) AS {cast})"),), p0)
    if f == "AVG":
        return AggSpec(
            ((n0, f"sum(CAST({x} AS DOUBLE))"), (n1, f"count({x})")),
            ((n0, f"sum({p0})"), (n1, f"CAST(sum({p1}) AS BIGINT)")),
            f"{p0} / nullif({p1}, 0)",
        )
    if f in ("MIN", "MAX"):
        fn = f.lower()
        return AggSpec(((n0, f"{fn}({x})"),), ((n0, f"{fn}({p0})"),), p0)
    if f in ("LATEST_BY_OFFSET", "EARLIEST_BY_OFFSET"):
        pick, edge = ("arg_max", "max") if f == "LATEST_BY_OFFSET" else ("arg_min", "min")
        keep = f"FILTER (WHERE {x} IS NOT NULL)"
        return AggSpec(
            ((n0, f'{pick}({x}, "$seq") {keep}'), (n1, f'{edge}("$seq") {keep}')),
            ((n0, f"{pick}({p0}, {p1}) FILTER (WHERE {p1} IS NOT NULL)"), (n1, f"{edge}({p1})")),
            p0,
        )
    if f == "COUNT_DISTINCT":
        return AggSpec(
            ((n0, f"list(DISTINCT {x}) FILTER (WHERE {x} IS NOT NULL)"),),
            ((n0, f"list_distinct(flatten(list({p0}) FILTER (WHERE {p0} IS NOT NULL)))"),),
            f"coalesce(len({p0}), 0)",
        )
    if f == "TOPK":
        k = int(agg.k or 1)
        return AggSpec(
            ((n0, f"max({x}, {k})"),),
            ((n0, f"list_slice(list_reverse_sort(flatten(list({p0}) FILTER (WHERE {p0} IS NOT NULL))), 1, {k})"),),
            p0,
        )
    raise ValueError(f"unknown aggregate {f}")


def agg_specs(query: Query) -> list[AggSpec]:
    return [_spec(j, a) for j, a in enumerate(query.aggregates)]


def group_columns(query: Query) -> list[str]:
    """The quoted key columns of the state tables (``"$key0"``…)."""
    return [quote(key_column(i)) for i in range(len(query.group_by))]


def assign_windows_sql(query: Query, rel: str) -> str:
    """``rel`` with ``$key{i}``, ``$ws`` / ``$we`` (window bounds, epoch ms; 0 without a window; one row per
    window for hopping) and ``$late`` (true when the window ends at or before the row's watermark)."""
    first = query.sources[0].alias
    ts = meta(first, "$ts")
    keys = ", ".join(f"{k.to_duckdb()} AS {quote(key_column(i))}" for i, k in enumerate(query.group_by))
    w = query.window
    if w is None:
        return f'SELECT *, {keys}, 0::BIGINT AS "$ws", 0::BIGINT AS "$we", false AS "$late" FROM ({rel})'
    if w.kind == "session":
        raise ValueError("session windows are assigned by the sessions module")
    size, adv = int(w.size_ms or 0), int(w.advance_ms or w.size_ms or 0)
    last = f"({ts} - ((({ts} % {adv}) + {adv}) % {adv}))"
    if adv == size:
        starts = f'{last} AS "$ws"'
        rows = f"SELECT *, {keys}, {starts} FROM ({rel})"
    else:
        span = -(-size // adv) * adv
        rows = (
            f'SELECT * FROM (SELECT *, {keys}, unnest(generate_series({last} - {span}, {last}, {adv})) AS "$ws" '
            f'FROM ({rel})) WHERE "$ws" > {ts} - {size}'
        )
    return f'SELECT *, "$ws" + {size} AS "$we", ("$ws" + {size}) <= "$wmb" AS "$late" FROM ({rows})'


def finalize_sql(query: Query, specs: list[AggSpec], rel: str) -> str:
    """``rel`` (keys, ``$ws``/``$we``, partials) with ``$agg{j}``, window bounds as TIMESTAMPs and ``$pass``
    (the HAVING result), ready for the projections' final forms."""
    aggs = ", ".join(f"{s.final} AS {quote(agg_column(j))}" for j, s in enumerate(specs))
    having = f"coalesce(({query.having_final.to_duckdb()}), false)" if query.having_final is not None else "true"
    inner = (
        f'SELECT *, {aggs}{", " if aggs else ""}epoch_ms("$ws") AS "$window_start", '
        f'epoch_ms("$we") AS "$window_end" FROM ({rel})'
    )
    return f'SELECT *, {having} AS "$pass" FROM ({inner})'


STATE = quote("sm_agg")


class WindowAggregation:
    """The state of a GROUP BY with a tumbling, hopping or no window (DuckDB table ``sm_agg``): one row
    per (keys, window) with the partials, the newest event time and whether a row is out for it."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self.specs = agg_specs(query)
        self.keys = group_columns(query)

    def _match(self, a: str, b: str) -> str:
        conds = [f"{a}.{k} IS NOT DISTINCT FROM {b}.{k}" for k in self.keys] + [f'{a}."$ws" = {b}."$ws"']
        return " AND ".join(conds)

    def update(self, con: DuckDBPyConnection, assigned: str) -> str:
        """Merge the non-late rows of relation ``assigned`` (SQL) into the state; return the name of a temp
        table holding the changed groups (finalised, with ``$pass`` and the previous ``$emitted``)."""
        q = self.query
        ts = meta(q.sources[0].alias, "$ts")
        group = ", ".join([*self.keys, '"$ws"', '"$we"'])
        partials = ", ".join(f"{e} AS {quote(n)}" for s in self.specs for n, e in s.partial)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE sm_p AS SELECT {group}, {partials}{', ' if partials else ''}"
            f'max({ts}) AS "$maxts" FROM ({assigned}) WHERE NOT "$late" GROUP BY {group}'
        )
        con.execute(f'CREATE TABLE IF NOT EXISTS {STATE} AS SELECT *, false AS "$emitted" FROM sm_p LIMIT 0')
        merges = ", ".join(f"{e} AS {quote(n)}" for s in self.specs for n, e in s.merge)
        union = (
            f"SELECT s.* FROM {STATE} s SEMI JOIN sm_p p ON {self._match('s', 'p')} "
            f'UNION ALL BY NAME SELECT *, false AS "$emitted" FROM sm_p'
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE sm_m AS SELECT {group}, {merges}{', ' if merges else ''}"
            f'max("$maxts") AS "$maxts", bool_or("$emitted") AS "$emitted" FROM ({union}) GROUP BY {group}'
        )
        con.execute(f"DELETE FROM {STATE} s USING sm_p p WHERE {self._match('s', 'p')}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE sm_f AS {finalize_sql(q, self.specs, 'SELECT * FROM sm_m')}")
        emitted = '"$pass"' if q.emit == "changes" else '"$emitted"'
        columns = ", ".join(
            self.keys + ['"$ws"', '"$we"'] + [quote(n) for s in self.specs for n, _ in s.merge] + ['"$maxts"']
        )
        con.execute(f'INSERT INTO {STATE} BY NAME SELECT {columns}, {emitted} AS "$emitted" FROM sm_f')
        return "sm_f"

    def order(self) -> str:
        return ", ".join(['"$ws"'] + [f"{k} NULLS FIRST" for k in self.keys])

    def closing(self, con: DuckDBPyConnection, watermark: int) -> str | None:
        """Finalise the windows ending at or before ``watermark`` into temp table ``sm_c`` (returned) and
        drop them from the state; ``None`` when there is nothing to close or no window."""
        if self.query.window is None:
            return None
        con.execute(f"CREATE TABLE IF NOT EXISTS {STATE} AS SELECT * FROM sm_p LIMIT 0")
        closed = f'SELECT * FROM {STATE} WHERE "$we" <= {int(watermark)}'
        con.execute(f"CREATE OR REPLACE TEMP TABLE sm_c AS {finalize_sql(self.query, self.specs, closed)}")
        con.execute(f'DELETE FROM {STATE} WHERE "$we" <= {int(watermark)}')
        return "sm_c"
