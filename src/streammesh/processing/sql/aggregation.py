"""Grouping: GROUP BY keys, the distinct aggregate calls, and projections rewritten over them.

An incremental executor never re-reads raw rows for a group: it keeps one state per aggregate and group
(and window). So the plan lists each distinct aggregate call once (``$agg{j}``), each grouping expression
once (``$key{i}``), and gives every projection and HAVING a *final* form over those columns only. Checking
that a projection needs nothing else is the same walk as SQL's "column must appear in GROUP BY" rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from streammesh.processing.sql.functions import call_args, function_name, is_aggregate
from streammesh.processing.sql.plan import Aggregate, Expr, agg_column, key_column
from streammesh.processing.sql.resolver import Resolver

__all__ = ["Grouping", "contains_aggregate"]


@dataclass
class Grouping:
    """Collects aggregates and rewrites expressions over ``$key{i}`` / ``$agg{j}``.

    Args:
        resolver: the statement's resolver (for errors and for wrapping sub-expressions).
        keys: the resolved GROUP BY expressions.
    """

    resolver: Resolver
    keys: list[Expr]
    aggregates: list[Aggregate] = field(default_factory=list)

    def _aggregate_column(self, node: exp.Expression) -> str:
        for agg in self.aggregates:
            if agg.call.node == node:
                return agg.column
        name = function_name(node) or "?"
        args = call_args(node)
        k = None
        if name == "TOPK":
            k = int(args[1].name)
            args = args[:1]
        column = agg_column(len(self.aggregates))
        self.aggregates.append(
            Aggregate(name, tuple(self.resolver.wrap(a) for a in args), column, self.resolver.wrap(node), k)
        )
        return column

    def final(self, expr: Expr, *, what: str) -> Expr:
        """``expr`` rewritten over the aggregated relation.

        Raises:
            SqlError: a column is used outside any aggregate and is not (part of) a GROUP BY key.
        """

        def rewrite(node: exp.Expression) -> exp.Expression:
            for i, key in enumerate(self.keys):
                if node == key.node:
                    return self._special(key_column(i), node)
            if is_aggregate(node):
                return self._special(self._aggregate_column(node), node)
            if isinstance(node, exp.Column) and node.table:
                shown = self.resolver.wrap(node).sql
                keys = ", ".join(k.sql for k in self.keys) or "none"
                raise self.resolver.error(
                    f"{shown} in {what} is neither in GROUP BY nor aggregated (GROUP BY: {keys})",
                    node,
                    f"add {shown} to GROUP BY, or aggregate it, e.g. LATEST_BY_OFFSET({shown})",
                )
            for key_name, value in list(node.args.items()):
                if isinstance(value, exp.Expression):
                    new = rewrite(value)
                    if new is not value:
                        node.set(key_name, new)
                elif isinstance(value, list):
                    node.set(key_name, [rewrite(v) if isinstance(v, exp.Expression) else v for v in value])
            return node

        node = rewrite(expr.node.copy())
        return Expr(node, expr.sql, expr.type, expr.nullable, ())

    @staticmethod
    def _special(name: str, origin: exp.Expression) -> exp.Expression:
        col = exp.Column(this=exp.Identifier(this=name, quoted=True))
        col.meta.update({k: v for k, v in origin.meta.items() if k in ("type", "nullable", "start", "end")})
        return col

    def key_index(self, expr: Expr) -> int | None:
        """Which GROUP BY key ``expr`` is, if it is one."""
        return next((i for i, k in enumerate(self.keys) if k.node == expr.node), None)


def contains_aggregate(expr: Expr) -> bool:
    return any(is_aggregate(n) for n in expr.node.walk())
