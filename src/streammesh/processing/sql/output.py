"""What a query produces: the output's key, field descriptions, the inputs it must decode, pull lookups.

Descriptions matter because the output schema becomes the derived product's contract, and a consumer
reading the catalog should learn from each field where it comes from without reading the SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlglot import exp

from streammesh.processing.sql.aggregation import contains_aggregate
from streammesh.processing.sql.functions import input_column
from streammesh.processing.sql.plan import (
    ROWTIME,
    WINDOW_END,
    WINDOW_START,
    Expr,
    InputColumn,
    Projection,
    TimestampSource,
)
from streammesh.processing.sql.resolver import ScopeSource

__all__ = ["describe_projection", "input_columns", "key_fields", "pull_lookup"]


def _ref_name(product: str, path: str) -> str:
    return f"{product}.{'ROWTIME' if path == ROWTIME else path}"


def describe_projection(p: Projection, scope: list[ScopeSource], timestamps: dict[str, TimestampSource]) -> str:
    """A description of output field ``p`` saying where it comes from."""
    e = p.expr
    if e.is_column:
        ref = e.refs[0]
        src = next(s for s in scope if s.alias == ref.alias)
        if ref.path == ROWTIME:
            ts = timestamps[ref.alias].field
            return f"Event time of {ref.product} ({f'its {ts} field' if ts else 'the record timestamp'}), UTC."
        f = src.product.field(ref.path)
        doc = (f.doc or "").strip() if f else ""
        origin = f"From {ref.product}.{ref.path}."
        return f"{doc.rstrip('.')}. {origin}" if doc else origin
    if isinstance(e.node, exp.Column) and e.node.name in (WINDOW_START, WINDOW_END):
        return (
            "Start of the window (inclusive), UTC."
            if e.node.name == WINDOW_START
            else "End of the window (exclusive), UTC."
        )
    inputs = ", ".join(dict.fromkeys(_ref_name(r.product, r.path) for r in e.refs))
    if contains_aggregate(e):
        over = inputs or ", ".join(dict.fromkeys(s.product.name for s in scope))
        return f"Aggregated as {e.sql} over {over}."
    return f"Computed as {e.sql} from {inputs}." if inputs else f"Computed as {e.sql}."


def input_columns(src: ScopeSource, exprs: Iterable[Expr], ts: TimestampSource) -> tuple[InputColumn, ...]:
    """The fields of ``src`` the executor must decode: every one the query reads, plus its event-time field."""
    paths = list(dict.fromkeys(r.path for e in exprs for r in e.refs if r.alias == src.alias and r.path != ROWTIME))
    if ts.field and ts.field not in paths:
        paths.append(ts.field)
    out = []
    for path in paths:
        f = src.product.field(path)
        if f is not None:
            out.append(InputColumn(path, input_column(src.alias, path), f.type, f.nullable or src.nullable))
    return tuple(out)


def key_fields(
    kind: str,
    projections: list[Projection],
    keys: list[Expr],
    partition: tuple[Expr, ...],
    scope: list[ScopeSource],
    windowed: bool,
) -> tuple[str, ...]:
    """Output key: PARTITION BY columns, else GROUP BY columns (+ window start), else the FROM source's key
    when every key field is selected unchanged (``()`` when it is not)."""

    def name_of(e: Expr) -> str | None:
        return next((p.name for p in projections if p.expr.node == e.node), None)

    if partition:
        return tuple(n for n in (name_of(e) for e in partition) if n)
    if keys:
        names = [n for n in (name_of(k) for k in keys) if n]
        if windowed:
            names += [
                p.name for p in projections if isinstance(p.expr.node, exp.Column) and p.expr.node.name == WINDOW_START
            ][:1]
        return tuple(names)
    src = scope[0]
    out = []
    for k in src.product.key:
        match = next(
            (
                p.name
                for p in projections
                if p.expr.is_column and p.expr.refs[0].alias == src.alias and p.expr.refs[0].path == k
            ),
            None,
        )
        if match is None:
            return ()
        out.append(match)
    return tuple(out)


def _literal(node: exp.Expression) -> Any:
    if node.is_string:
        return node.name
    return int(node.name) if node.name.lstrip("-").isdigit() else float(node.name)


def pull_lookup(where: Expr | None, src: ScopeSource) -> tuple[tuple[str, Any], ...]:
    """Key equalities (``key = literal``) in a pull query's WHERE, for a point lookup instead of a scan."""
    if where is None:
        return ()
    out: dict[str, Any] = {}
    stack = [where.node]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Paren):
            stack.append(node.this)
        elif isinstance(node, exp.And):
            stack += [node.expression, node.this]
        elif isinstance(node, exp.EQ):
            for col, lit in ((node.this, node.expression), (node.expression, node.this)):
                if (
                    isinstance(col, exp.Column)
                    and col.table == src.alias
                    and col.name in src.product.key
                    and isinstance(lit, exp.Literal)
                ):
                    out[col.name] = _literal(lit)
    return tuple(out.items())
