"""From a parsed statement to an analysed :class:`~streammesh.processing.sql.plan.Query`.

The analyser applies the rules that make a query a well-formed *streaming* query, each failure a located
:class:`SqlError` with a fix: what a STREAM, a TABLE and a plain SELECT may contain, GROUP BY and window
rules, the key of the output, where its event time comes from, and the derived product's name.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Literal

from sqlglot import exp

from streammesh.contracts.model import NAME_PATTERN
from streammesh.processing.sql.aggregation import Grouping
from streammesh.processing.sql.catalog import SqlCatalog
from streammesh.processing.sql.dialect import ParsedStatement
from streammesh.processing.sql.errors import Span, SqlError, span_of
from streammesh.processing.sql.functions import display_sql, is_aggregate
from streammesh.processing.sql.output import (
    describe_projection,
    input_columns,
    key_fields,
    pull_lookup,
)
from streammesh.processing.sql.plan import (
    WINDOW_END,
    WINDOW_START,
    Expr,
    OutputField,
    Projection,
    Query,
    Source,
    Window,
)
from streammesh.processing.sql.resolver import Resolver, ScopeSource
from streammesh.processing.sql.sources import (
    analyse_joins,
    keyword_before,
    resolve_sources,
    timestamp_sources,
)

__all__ = ["analyse"]

_ALLOWED_ARGS = {
    "kind",
    "hint",
    "distinct",
    "expressions",
    "limit",
    "from",
    "from_",
    "joins",
    "where",
    "group",
    "having",
    "order",
    "operation_modifiers",
    "exclude",
}
_TABLE_HINT = "aggregations make a TABLE: write CREATE TABLE name AS SELECT … GROUP BY …"


def analyse(stmt: ParsedStatement, catalog: SqlCatalog, *, default_domain: str | None = None) -> Query:
    """Analyse one parsed statement against ``catalog``.

    Args:
        stmt: from :func:`~streammesh.processing.sql.parser.parse_statement`.
        catalog: the products the statement may read.
        default_domain: domain prefixed to an unqualified CREATE name (the deploying team's domain).

    Raises:
        SqlError: the statement breaks a rule; message, position and hint say which and how to fix it.
    """
    return _Analyser(stmt, catalog, default_domain).run()


class _Analyser:
    def __init__(self, stmt: ParsedStatement, catalog: SqlCatalog, default_domain: str | None) -> None:
        self.stmt, self.catalog, self.default_domain = stmt, catalog, default_domain
        self.sql = stmt.sql
        self.originals: dict[str, exp.Expression] = {}  # output name (lower) -> its SELECT expression

    def fail(self, message: str, node_or_span: exp.Expr | Span | None, hint: str) -> SqlError:
        span = span_of(node_or_span) if isinstance(node_or_span, exp.Expr) else node_or_span
        return SqlError(message, sql=self.sql, span=span, hint=hint)

    def run(self) -> Query:
        stmt, kind = self.stmt, self.stmt.kind
        select = self._select()
        scope = resolve_sources(stmt, self.catalog, select)
        name = self._name(scope)
        window = self._window()
        r = Resolver(self.sql, scope, windowed=window is not None)
        timestamps = timestamp_sources(stmt, scope)
        joins = analyse_joins(stmt, select, scope, r, timestamps)
        where = None
        if select.args.get("where") is not None:
            where = r.expr(select.args["where"].this, clause="WHERE", aggregate_hint="filter aggregates with HAVING")
            r._boolean(where.node, "WHERE")
        hint = _TABLE_HINT if kind == "stream" else ""
        items = self._items(select, scope, r, aggregates=kind != "stream", hint=hint)
        group = select.args.get("group")
        keys = [self._group_key(g, items, r) for g in (group.expressions if group else [])]
        having = None
        if select.args.get("having") is not None:
            having = r.expr(select.args["having"].this, clause="HAVING", aggregates=True)
            r._boolean(having.node, "HAVING")
        self._check_shape(select, scope, items, keys, having, window)
        self._emit(kind, window)
        grouping = Grouping(r, keys)
        projections = [Projection(n, e, grouping.final(e, what="SELECT") if keys else e) for n, e in items]
        having_final = grouping.final(having, what="HAVING") if having is not None and keys else None
        if keys:
            self._keys_selected(keys, grouping, projections)
        if window is not None:
            projections = self._window_bounds(projections, r)
        partition = self._partition_by(kind, projections, r)
        outputs = tuple(
            OutputField(p.name, p.expr.type, p.expr.nullable, describe_projection(p, scope, timestamps))
            for p in projections
        )
        key = key_fields(kind, projections, keys, partition, scope, window is not None)
        if kind == "table" and not keys and not key:
            raise self.fail(
                f"a TABLE over {scope[0].product.name} is keyed by {', '.join(scope[0].product.key)}; select it",
                stmt.name_span,
                f"add {scope[0].alias}.{scope[0].product.key[0]} to SELECT"
                if scope[0].product.key
                else "declare a key in the source's contract",
            )
        exprs = (
            [e for e in (where, having) if e]
            + [p.expr for p in projections]
            + keys
            + [k for j in joins for k in (*j.left_keys, *j.right_keys)]
            + list(partition)
        )
        sources = tuple(
            Source(
                s.alias,
                s.product.name,
                "table" if i and s.product.table_like else "stream",
                s.product.key,
                timestamps[s.alias],
                input_columns(s, exprs, timestamps[s.alias]),
            )
            for i, s in enumerate(scope)
        )
        joins = [replace(j, source=sources[i + 1]) for i, j in enumerate(joins)]
        mode: Literal["persistent", "push", "pull"] = "persistent"
        lookup: tuple[tuple[str, Any], ...] = ()
        if kind == "select":
            pull = scope[0].product.table_like and not joins and not keys and stmt.emit != "changes"
            mode, lookup = ("pull", pull_lookup(where, scope[0])) if pull else ("push", ())
        ts = timestamps[scope[0].alias].field
        out_ts = next(
            (
                p.name
                for p in projections
                if not keys
                and p.expr.is_column
                and p.expr.refs[0].alias == scope[0].alias
                and p.expr.refs[0].path == ts
            ),
            None,
        )
        return Query(
            kind=kind,
            name=name,
            sql=self.sql[stmt.span.start : stmt.span.end].strip(),
            sources=sources,
            projections=tuple(projections),
            output_schema=outputs,
            joins=tuple(joins),
            filter=where,
            group_by=tuple(keys),
            aggregates=tuple(grouping.aggregates),
            window=window,
            having=having,
            having_final=having_final,
            emit=stmt.emit or "changes",
            partition_by=partition,
            key_fields=key,
            timestamp_field=out_ts,
            mode=mode,
            lookup=lookup,
            limit=self._limit(select),
            properties=tuple((p.key, p.value) for p in stmt.properties),
        )

    # --- statement shape ----------------------------------------------------------------------------------

    def _check_shape(
        self,
        select: exp.Select,
        scope: list[ScopeSource],
        items: list[tuple[str, Expr]],
        keys: list[Expr],
        having: Expr | None,
        window: Window | None,
    ) -> None:
        """What a STREAM, a TABLE and a SELECT may contain: grouping, aggregates and windows."""
        stmt, kind, group = self.stmt, self.stmt.kind, select.args.get("group")
        first_agg = next((n for _, e in items for n in e.node.walk() if is_aggregate(n)), None)
        if kind == "stream" and group is not None:
            raise self.fail(
                "a STREAM cannot GROUP BY",
                keyword_before(stmt.tokens, (span_of(group) or stmt.span).end, {"GROUP BY"}) or group,
                _TABLE_HINT,
            )
        if kind == "stream" and window is not None:
            raise self.fail(
                "a STREAM cannot have a WINDOW: windows aggregate rows, which makes a TABLE",
                stmt.window.span if stmt.window is not None else stmt.span,
                "write CREATE TABLE name AS SELECT … WINDOW … GROUP BY …",
            )
        if not keys and (first_agg is not None or having is not None):
            what = "HAVING" if first_agg is None else f"aggregate {display_sql(first_agg)}"
            raise self.fail(
                f"{what} without GROUP BY",
                first_agg if first_agg is not None else select.args["having"],
                "add GROUP BY the key of the result, e.g. GROUP BY " + self._example_key(items),
            )
        if window is not None and not keys:
            raise self.fail(
                "a WINDOW needs GROUP BY",
                stmt.window.span if stmt.window is not None else stmt.span,
                "add GROUP BY the key to aggregate per window, e.g. GROUP BY " + self._example_key(items),
            )
        if kind == "table" and not keys and not scope[0].product.table_like:
            raise self.fail(
                f"a TABLE needs GROUP BY: {scope[0].product.name} is a stream, so its rows have no key "
                "to keep the latest value of",
                stmt.name_span,
                "add GROUP BY and aggregates, or CREATE STREAM to keep every record",
            )

    def _select(self) -> exp.Select:
        tree = self.stmt.select
        if isinstance(tree, exp.SetOperation):
            word = type(tree).__name__.upper()
            span = keyword_before(
                self.stmt.tokens,
                expr_span.start if (expr_span := span_of(tree.expression)) else len(self.sql),
                {"UNION", "INTERSECT", "EXCEPT"},
            )
            raise self.fail(
                f"{word} is not supported",
                span or self.stmt.span,
                "create one STREAM per input with the same columns, or JOIN the products on a key",
            )
        if not isinstance(tree, exp.Select):
            raise self.fail(f"expected a SELECT query, got {tree.key.upper()}", tree, "see docs/sql.md")
        persistent = self.stmt.kind != "select"
        if tree.args.get("distinct"):
            raise self.fail(
                "SELECT DISTINCT is not supported",
                keyword_before(self.stmt.tokens, (span_of(tree.expressions[0]) or self.stmt.span).start, {"DISTINCT"})
                or tree,
                "use GROUP BY the columns in a CREATE TABLE",
            )
        if tree.args.get("order"):
            where = "a persistent query" if persistent else "a streaming query"
            raise self.fail(
                f"ORDER BY is not supported in {where}: streams are unbounded and ordered by arrival",
                self._keyword(tree.args["order"], "ORDER BY"),
                "remove ORDER BY; sort when you read the result",
            )
        if persistent and tree.args.get("limit"):
            raise self.fail(
                "LIMIT is not supported in a persistent query",
                self._keyword(tree.args["limit"], "LIMIT"),
                "remove LIMIT (use it with a plain SELECT to preview a few rows)",
            )
        for key, value in tree.args.items():
            if value and key not in _ALLOWED_ARGS:
                raise self.fail(
                    f"{key.upper()} is not supported in streaming SQL",
                    value if isinstance(value, exp.Expression) else tree,
                    "see docs/sql.md for the supported clauses",
                )
        for node in tree.walk():
            if node is not tree and isinstance(node, exp.Select):
                span = span_of(node)
                at = keyword_before(self.stmt.tokens, span.start, {"SELECT"}) if span else None
                raise self.fail(
                    "subqueries are not supported",
                    at or node,
                    "create the inner result as its own STREAM or TABLE, then JOIN or select from it",
                )
        return tree

    def _keyword(self, node: exp.Expression, word: str) -> Span | exp.Expression:
        """The span of the keyword that starts clause ``node`` (the node itself when not found)."""
        span = span_of(node)
        found = keyword_before(self.stmt.tokens, span.end if span else len(self.sql), {word})
        return found or node

    def _name(self, scope: list[ScopeSource]) -> str | None:
        stmt = self.stmt
        if stmt.kind == "select" or stmt.name is None:
            return None
        name = stmt.name
        if "." not in name:
            if not self.default_domain:
                raise self.fail(
                    f"the product name {name!r} needs a domain",
                    stmt.name_span,
                    f"write <domain>.{name}, e.g. analytics.{name.lower()}",
                )
            name = f"{self.default_domain}.{name}"
        if not re.match(NAME_PATTERN, name):
            raise self.fail(
                f"{name!r} is not a valid product name",
                stmt.name_span,
                "use lower-case snake_case <domain>.<name>, e.g. analytics.orders_enriched",
            )
        existing = self.catalog.get(name)
        if existing is not None and not existing.derived:
            raise self.fail(
                f"{name!r} already exists as a source-aligned product",
                stmt.name_span,
                "choose another name for the derived product",
            )
        if any(s.product.name == name for s in scope):
            raise self.fail(f"{name!r} cannot read from itself", stmt.name_span, "choose another name")
        return name

    def _window(self) -> Window | None:
        w, grace = self.stmt.window, self.stmt.grace
        if w is None:
            if grace is not None:
                start = keyword_before(self.stmt.tokens, grace.span.start, {"GRACE"})
                raise self.fail(
                    "GRACE PERIOD needs a WINDOW",
                    Span(start.start if start else grace.span.start, grace.span.end),
                    "add WINDOW TUMBLING (SIZE …) before it",
                )
            return None
        if w.grace is not None and grace is not None:
            raise self.fail("GRACE PERIOD is given twice", grace.span, "keep the one inside or after the WINDOW")
        g = grace or w.grace
        size = w.size.ms if w.size else None
        advance = w.advance.ms if w.advance else size if w.kind == "tumbling" else None
        return Window(w.kind, size, advance, w.gap.ms if w.gap else None, g.ms if g else 0)

    def _emit(self, kind: str, window: Window | None) -> None:
        if self.stmt.emit == "final" and window is None:
            what = "a STREAM" if kind == "stream" else "a query without WINDOW"
            raise self.fail(
                f"EMIT FINAL is not possible in {what}: only a window is ever final",
                self.stmt.emit_span,
                "remove EMIT FINAL, or add WINDOW … GROUP BY …",
            )

    def _limit(self, select: exp.Select) -> int | None:
        limit = select.args.get("limit")
        if limit is None:
            return None
        value = limit.expression if isinstance(limit.expression, exp.Literal) else limit.this
        if not (isinstance(value, exp.Literal) and value.name.isdigit()):
            raise self.fail("LIMIT needs a whole number", limit, "write LIMIT 10")
        return int(value.name)

    # --- SELECT list, GROUP BY, PARTITION BY ---------------------------------------------------------------

    def _items(
        self, select: exp.Select, scope: list[ScopeSource], r: Resolver, *, aggregates: bool, hint: str
    ) -> list[tuple[str, Expr]]:
        items: list[tuple[str, Expr]] = []
        seen: dict[str, exp.Expression] = {}
        for i, item in enumerate(select.expressions):
            node = item.this if isinstance(item, exp.Alias) else item
            star_of = None
            if isinstance(node, exp.Star):
                star_of = scope
            elif isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
                src = r._qualifier(node.table)
                if src is None:
                    raise self.fail(
                        f"unknown source {node.table!r} in {node.sql()}",
                        node,
                        "sources in scope: " + ", ".join(s.alias for s in scope),
                    )
                star_of = [src]
            expanded = (
                [
                    (f.name, exp.column(f.path, table=s.alias, quoted=True), node)
                    for s in star_of
                    for f in s.product.top_level()
                ]
                if star_of
                else [(None, node, item)]
            )
            for name, sub, origin in expanded:
                e = r.expr(sub, clause="SELECT", aggregates=aggregates, aggregate_hint=hint)
                if star_of:
                    at = span_of(origin) or self.stmt.span  # origin is a parsed node: it has a span
                    e.node.meta.update(start=at.start, end=at.end - 1)
                name = item.alias if isinstance(item, exp.Alias) else name or self._auto_name(e, i, item)
                if name.lower() in seen:
                    raise self.fail(
                        f"output column {name!r} appears twice",
                        origin,
                        "rename one with AS, or list the columns instead of *",
                    )
                seen[name.lower()] = origin
                self.originals[name.lower()] = sub
                items.append((name, e))
        return items

    def _auto_name(self, e: Expr, i: int, item: exp.Expression) -> str:
        if e.is_column:
            return "rowtime" if e.refs[0].path == "$rowtime" else e.refs[0].path.rsplit(".", 1)[-1]
        if isinstance(e.node, exp.Column) and e.node.name in (WINDOW_START, WINDOW_END):
            return e.node.name.lstrip("$")
        if self.stmt.kind == "select":
            return f"col{i + 1}"
        raise self.fail(f"name the computed column {e.sql}", item, f"write {e.sql} AS some_name")

    def _example_key(self, items: list[tuple[str, Expr]]) -> str:
        plain = next((e.sql for _, e in items if e.is_column), None)
        return plain or "<column>"

    def _alias_or_expr(self, node: exp.Expression, r: Resolver) -> exp.Expression:
        """GROUP BY / PARTITION BY may name an output column that is not an input field."""
        if (
            isinstance(node, exp.Column)
            and not node.table
            and node.name.lower() in self.originals
            and not any(s.product.field(node.name) for s in r.sources)
        ):
            return self.originals[node.name.lower()]
        return node

    def _group_key(self, g: exp.Expression, items: list[tuple[str, Expr]], r: Resolver) -> Expr:
        if isinstance(g, exp.Literal) and not g.is_string:
            raise self.fail("GROUP BY by position is not supported", g, "name the column or expression")
        if isinstance(g, exp.Column) and g.name.upper() in ("WINDOWSTART", "WINDOWEND"):
            raise self.fail(f"{g.name.upper()} is already part of a windowed table's key", g, "remove it from GROUP BY")
        return r.expr(self._alias_or_expr(g, r), clause="GROUP BY", aggregate_hint="group by columns, not aggregates")

    def _keys_selected(self, keys: list[Expr], grouping: Grouping, projections: list[Projection]) -> None:
        for i, k in enumerate(keys):
            if not any(grouping.key_index(p.expr) == i for p in projections):
                raise self.fail(
                    f"GROUP BY {k.sql} must also be selected: a table's key is its GROUP BY columns",
                    k.node,
                    f"add {k.sql} to the SELECT list",
                )

    def _window_bounds(self, projections: list[Projection], r: Resolver) -> list[Projection]:
        names = {p.name.lower() for p in projections}
        out = list(projections)
        for special, name in ((WINDOW_START, "window_start"), (WINDOW_END, "window_end")):
            if any(isinstance(p.expr.node, exp.Column) and p.expr.node.name == special for p in projections):
                continue
            if name in names:
                raise self.fail(
                    f"output column {name!r} clashes with the window bound added to a windowed table",
                    self.stmt.window.span if self.stmt.window is not None else self.stmt.span,
                    f"rename your {name} column",
                )
            col = r.typed(exp.Column(this=exp.Identifier(this=special, quoted=True)), "timestamp", False)
            e = r.wrap(col)
            out.append(Projection(name, e, e))
        return out

    def _partition_by(self, kind: str, projections: list[Projection], r: Resolver) -> tuple[Expr, ...]:
        if not self.stmt.partition_by:
            return ()
        if kind != "stream":
            raise self.fail(
                f"PARTITION BY is only for a STREAM; a {'TABLE' if kind == 'table' else 'SELECT'} is "
                "keyed by its GROUP BY",
                self.stmt.partition_span,
                "remove PARTITION BY",
            )
        out = []
        for node in self.stmt.partition_by:
            e = r.expr(self._alias_or_expr(node, r), clause="PARTITION BY")
            if not any(p.expr.node == e.node for p in projections):
                raise self.fail(
                    f"PARTITION BY {e.sql} must also be selected: the key is part of the value",
                    node,
                    f"add {e.sql} to the SELECT list",
                )
            out.append(e)
        return tuple(out)
