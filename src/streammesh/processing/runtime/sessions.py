"""Session windows: per key, records less than the gap apart form one session ``[first, last + gap)``.

A record opens the interval ``[t, t + gap)``; intervals that overlap belong to one session (so two
records are in the same session exactly when they are less than the gap apart, directly or through
others). Per micro-batch, the new records' intervals and the open sessions of the same keys are merged
by a gaps-and-islands pass (a running maximum of interval ends), and each island's partials (the
sessions' state and the new records') are merged into one session (see :mod:`.aggregation` for the
partial / merge / final forms). A session that absorbed another under a different start replaces it:
with ``EMIT CHANGES`` the old row gets a tombstone.

A record is **late** when its event time is behind its partition's watermark (largest event time seen
minus grace). Sessions close once they end at or before the smallest partition watermark, so a record
that is not late can never overlap a closed session: merging never reopens what was already emitted.
"""

from __future__ import annotations

from typing import Any

from streammesh.processing.runtime.aggregation import (
    agg_specs,
    finalize_sql,
    group_columns,
)
from streammesh.processing.runtime.ingest import meta, quote
from streammesh.processing.sql.plan import Query, key_column

__all__ = ["SessionAggregation", "assign_sessions_sql"]

STATE = quote("sm_sessions")


def assign_sessions_sql(query: Query, rel: str) -> str:
    """``rel`` with ``$key{i}`` and ``$late`` (event time behind the row's partition watermark)."""
    ts = meta(query.sources[0].alias, "$ts")
    keys = ", ".join(f"{k.to_duckdb()} AS {quote(key_column(i))}" for i, k in enumerate(query.group_by))
    return f'SELECT *, {keys}, {ts} AS "$ws", {ts} AS "$we", {ts} < "$wmb" AS "$late" FROM ({rel})'


class SessionAggregation:
    """Session state (DuckDB table ``sm_sessions``): one row per open session with its partials."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self.specs = agg_specs(query)
        self.keys = group_columns(query)
        self.gap = int(query.window.gap_ms or 0)  # type: ignore[union-attr]

    def _on(self, a: str, b: str) -> str:
        return " AND ".join([f"{a}.{k} IS NOT DISTINCT FROM {b}.{k}" for k in self.keys] or ["true"])

    def update(self, con: Any, assigned: str) -> tuple[str, str]:
        """Merge the non-late rows of relation ``assigned`` (SQL) into sessions. Returns temp tables: the changed sessions
        (finalised, with ``$pass`` and ``$emitted``) and the replaced sessions (finalised, to tombstone)."""
        q, gap, keys = self.query, self.gap, ", ".join(self.keys)
        ts = meta(q.sources[0].alias, "$ts")
        partition = f"PARTITION BY {keys}" if keys else ""
        con.execute(f'CREATE OR REPLACE TEMP TABLE sm_r AS SELECT * FROM ({assigned}) WHERE NOT "$late"')
        partials = ", ".join(f"{e} AS {quote(n)}" for s in self.specs for n, e in s.partial)
        sep = ", " if partials else ""
        # per-row partials (a group of one row each), so rows and sessions merge the same way
        con.execute(
            f'CREATE OR REPLACE TEMP TABLE sm_rp AS SELECT {keys}{", " if keys else ""}"$seq" AS "$id", '
            f'min({ts}) AS "$ws", min({ts}) + {gap} AS "$we"{sep}{partials}, max({ts}) AS "$maxts", '
            f'false AS "$emitted", 1 AS "$kind" FROM sm_r GROUP BY ALL'
        )
        con.execute(f'CREATE TABLE IF NOT EXISTS {STATE} AS SELECT * EXCLUDE ("$id", "$kind") FROM sm_rp LIMIT 0')
        touched = f"SELECT DISTINCT {keys or '1 AS one'} FROM sm_rp"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE sm_iv AS SELECT * FROM sm_rp UNION ALL BY NAME "
            f'SELECT s.*, s."$ws" AS "$id", 0 AS "$kind" FROM {STATE} s SEMI JOIN ({touched}) t ON {self._on("s", "t")}'
        )
        order = 'ORDER BY "$ws", "$we", "$kind", "$id"'
        islands = (
            f'SELECT *, sum(CASE WHEN prev IS NULL OR "$ws" >= prev THEN 1 ELSE 0 END) OVER '
            f'({partition} {order} ROWS UNBOUNDED PRECEDING) AS "$isl" FROM (SELECT *, max("$we") OVER '
            f"({partition} {order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev FROM sm_iv)"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE sm_is AS {islands}")
        merges = ", ".join(f"{e} AS {quote(n)}" for s in self.specs for n, e in s.merge)
        group = f'{keys}{", " if keys else ""}"$isl"'
        con.execute(
            f'CREATE OR REPLACE TEMP TABLE sm_m AS SELECT {group}, min("$ws") AS "$ws", max("$we") AS "$we"'
            f'{", " if merges else ""}{merges}, max("$maxts") AS "$maxts" FROM sm_is GROUP BY {group}'
        )
        # old sessions of the touched islands: kept under the same start (still emitted) or replaced
        con.execute(
            f'CREATE OR REPLACE TEMP TABLE sm_old AS SELECT i.* EXCLUDE (prev, "$isl", "$id", "$kind"), '
            f'i."$ws" = m."$ws" AS "$same" FROM sm_is i JOIN sm_m m ON {self._on("i", "m")} '
            f'AND i."$isl" = m."$isl" WHERE i."$kind" = 0'
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE sm_f AS {finalize_sql(q, self.specs, self._with_emitted())}")
        replaced = 'SELECT * FROM sm_old WHERE NOT "$same" AND "$emitted"'
        con.execute(f"CREATE OR REPLACE TEMP TABLE sm_x AS {finalize_sql(q, self.specs, replaced)}")
        con.execute(f'DELETE FROM {STATE} s USING sm_old o WHERE {self._on("s", "o")} AND s."$ws" = o."$ws"')
        emitted = '"$pass"' if q.emit == "changes" else "false"
        columns = ", ".join(
            self.keys + ['"$ws"', '"$we"'] + [quote(n) for s in self.specs for n, _ in s.merge] + ['"$maxts"']
        )
        con.execute(f'INSERT INTO {STATE} BY NAME SELECT {columns}, {emitted} AS "$emitted" FROM sm_f')
        return "sm_f", "sm_x"

    def _with_emitted(self) -> str:
        """The merged sessions, ``$emitted`` when an old session under the same start had a row out."""
        keys = ", ".join(self.keys)
        kept = f'SELECT {keys}, "$ws", bool_or("$emitted") AS e FROM sm_old WHERE "$same" GROUP BY {keys}, "$ws"'
        return (
            f'SELECT m.* EXCLUDE ("$isl"), coalesce(k.e, false) AS "$emitted" FROM sm_m m LEFT JOIN '
            f'({kept}) k ON {self._on("k", "m")} AND k."$ws" = m."$ws"'
        )

    def order(self) -> str:
        return ", ".join(['"$ws"'] + [f"{k} NULLS FIRST" for k in self.keys])

    def closing(self, con: Any, watermark: int) -> str:
        closed = f'SELECT * FROM {STATE} WHERE "$we" <= {int(watermark)}'
        con.execute(f"CREATE OR REPLACE TEMP TABLE sm_c AS {finalize_sql(self.query, self.specs, closed)}")
        con.execute(f'DELETE FROM {STATE} WHERE "$we" <= {int(watermark)}')
        return "sm_c"
