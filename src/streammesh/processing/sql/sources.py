"""FROM and JOIN: which products a statement reads, how they are joined and where event time comes from.

The rules a streaming engine needs, checked here so the executor can trust the plan:

* the FROM source is always read as a stream of records (a compacted product as its change stream);
* a joined product that is table-like (compacted contract, derived TABLE) is a *table*: each left record
  looks up the latest right value, so the ON condition must cover exactly the right product's key;
* a joined product that is a plain stream needs ``WITHIN`` (otherwise join state grows forever);
* only inner and LEFT joins on equalities are supported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from sqlglot import exp

from streammesh.processing.sql.catalog import ProductInfo, SqlCatalog
from streammesh.processing.sql.dialect import ParsedStatement, WithinClause
from streammesh.processing.sql.errors import (
    Span,
    SqlError,
    close_names,
    did_you_mean,
    span_of,
)
from streammesh.processing.sql.plan import (
    Expr,
    Join,
    JoinWindow,
    Source,
    TimestampSource,
)
from streammesh.processing.sql.resolver import Resolver, ScopeSource

if TYPE_CHECKING:
    from sqlglot.tokens import Token

__all__ = ["analyse_joins", "keyword_before", "resolve_sources", "table_span", "timestamp_sources"]


def keyword_before(tokens: tuple[Token, ...], offset: int, words: set[str]) -> Span | None:
    """The span of the last token before ``offset`` whose text is one of ``words``."""
    found = None
    for tok in tokens:
        if tok.start >= offset:
            break
        if tok.text.upper() in words:
            found = Span(tok.start, tok.end + 1)
    return found


def table_span(table: exp.Table) -> Span | None:
    parts = [p for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p is not None]
    spans = [s for s in (span_of(p) for p in parts) if s is not None]
    return Span(min(s.start for s in spans), max(s.end for s in spans)) if spans else None


def _product(stmt: ParsedStatement, catalog: SqlCatalog, table: exp.Table) -> ProductInfo:
    name = ".".join(p.name for p in table.parts)
    found = catalog.lookup(name)
    span = table_span(table)
    if len(found) == 1:
        return found[0]
    if found:
        raise SqlError(
            f"product name {name!r} is ambiguous: it could be {', '.join(p.name for p in found)}",
            sql=stmt.sql,
            span=span,
            hint="write the full <domain>.<name>",
        )
    pool = catalog.names() + sorted({p.short_name for p in catalog})
    close = list(dict.fromkeys(close_names(name, pool) + close_names(name.rsplit(".", 1)[-1], pool)))
    full = [c for c in close if c in catalog] or [p.name for c in close for p in catalog.lookup(c)]
    hint = (
        ("did you mean " + " or ".join(repr(c) for c in dict.fromkeys(full)) + "?")
        if full
        else ("products in the catalog: " + ", ".join(catalog.names()))
    )
    raise SqlError(f"unknown product {name!r}", sql=stmt.sql, span=span, hint=hint)


def resolve_sources(stmt: ParsedStatement, catalog: SqlCatalog, select: exp.Select) -> list[ScopeSource]:
    """The FROM source and each joined source, with unsupported join forms refused."""
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None:
        raise SqlError(
            "a query needs FROM <product>", sql=stmt.sql, span=stmt.span, hint="write SELECT … FROM sales.orders o …"
        )
    out: list[ScopeSource] = []
    for item, join in [(from_.this, None), *((j.this, j) for j in select.args.get("joins") or [])]:
        if isinstance(item, exp.Unnest):
            raise SqlError(
                "UNNEST is not supported",
                sql=stmt.sql,
                span=span_of(item),
                hint="read per-item data from a product with one record per item (e.g. sales.order_lines)",
            )
        if not isinstance(item, exp.Table):
            raise SqlError(
                "subqueries are not supported",
                sql=stmt.sql,
                span=span_of(item),
                hint="create the inner result as its own STREAM or TABLE, then read from it",
            )
        extra = [k for k, v in item.args.items() if v and k not in ("this", "db", "catalog", "alias")]
        if extra:
            raise SqlError(
                f"{extra[0].upper()} is not supported on a product",
                sql=stmt.sql,
                span=table_span(item),
                hint="read the product as it is; filter rows with WHERE",
            )
        nullable = False
        if join is not None:
            side, kind = (join.side or "").upper(), (join.kind or "").upper()
            start = item_span.start if (item_span := table_span(item)) else 0
            if side in ("RIGHT", "FULL") or kind in ("CROSS", "SEMI", "ANTI") or (kind == "OUTER" and not side):
                word = side or kind
                raise SqlError(
                    f"{word} joins are not supported",
                    sql=stmt.sql,
                    span=keyword_before(stmt.tokens, start, {word}) or table_span(item),
                    hint="use JOIN or LEFT JOIN, with the stream you read from in FROM",
                )
            if join.args.get("using"):
                using = span_of(join)
                raise SqlError(
                    "JOIN … USING is not supported",
                    sql=stmt.sql,
                    span=keyword_before(stmt.tokens, using.end if using else len(stmt.sql), {"USING"}) or using,
                    hint="write ON a.key = b.key",
                )
            if join.args.get("on") is None:
                raise SqlError(
                    "a JOIN needs an ON condition (comma joins are not supported)",
                    sql=stmt.sql,
                    span=table_span(item),
                    hint="write JOIN other alias ON a.key = alias.key",
                )
            nullable = side == "LEFT"
        product = _product(stmt, catalog, item)
        alias = item.alias or product.short_name
        if any(s.alias.lower() == alias.lower() for s in out):
            raise SqlError(
                f"alias {alias!r} is used twice",
                sql=stmt.sql,
                span=span_of(item.args["alias"]) if item.args.get("alias") else table_span(item),
                hint="give each source its own alias",
            )
        out.append(ScopeSource(alias, product, nullable))
    return out


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def analyse_joins(
    stmt: ParsedStatement,
    select: exp.Select,
    scope: list[ScopeSource],
    r: Resolver,
    timestamps: dict[str, TimestampSource],
) -> list[Join]:
    """Check and plan every JOIN (ON keys, table vs stream, WITHIN)."""
    withins: dict[int, WithinClause] = {w.join_index: w for w in stmt.withins}
    joins: list[Join] = []
    for i, join in enumerate(select.args.get("joins") or []):
        right = scope[i + 1]
        earlier = {s.alias for s in scope[: i + 1]}
        lefts: list[Expr] = []
        rights: list[Expr] = []
        for cond in _conjuncts(join.args["on"]):
            if not isinstance(cond, exp.EQ):
                raise r.error(
                    "ON supports only equalities joined by AND (a.k = b.k AND …)",
                    cond,
                    "move other conditions to WHERE",
                )
            a = r.expr(cond.this, clause="ON", aggregate_hint="join on columns, not aggregates")
            b = r.expr(cond.expression, clause="ON", aggregate_hint="join on columns, not aggregates")
            sides = ({ref.alias for ref in a.refs}, {ref.alias for ref in b.refs})
            if sides[0] == {right.alias} and sides[1] and sides[1] <= earlier:
                a, b = b, a
            elif not (sides[1] == {right.alias} and sides[0] and sides[0] <= earlier):
                raise r.error(
                    f"each ON condition must compare {right.alias} ({right.product.name}) with a source "
                    "joined before it",
                    cond,
                    f"write e.g. {scope[0].alias}.key = {right.alias}.key",
                )
            r._comparable(a.node, b.node, cond)
            lefts.append(a)
            rights.append(b)
        within = withins.get(i)
        mode: Literal["stream-table", "stream-stream"]
        role: Literal["stream", "table"]
        span = table_span(join.this)
        if right.product.table_like:
            if within is not None:
                raise SqlError(
                    f"WITHIN applies to stream-stream joins, but {right.product.name} is a table "
                    "(latest value per key)",
                    sql=stmt.sql,
                    span=within.span,
                    hint="remove WITHIN: each record is joined with the current value for its key",
                )
            _check_table_key(r, right, rights, join)
            mode, role = "stream-table", "table"
        else:
            if within is None:
                raise SqlError(
                    f"joining two streams needs WITHIN: {right.product.name} is a stream, not a table",
                    sql=stmt.sql,
                    span=span,
                    hint=f"write JOIN {right.product.name} {right.alias} WITHIN 1 HOUR ON …, "
                    "or join a table-like (compacted) product on its key",
                )
            mode, role = "stream-stream", "stream"
        source = Source(right.alias, right.product.name, role, right.product.key, timestamps[right.alias])
        joins.append(
            Join(
                "left" if right.nullable else "inner",
                mode,
                source,
                tuple(lefts),
                tuple(rights),
                JoinWindow(within.before.ms, within.after.ms) if within else None,
            )
        )
    return joins


def _check_table_key(r: Resolver, right: ScopeSource, rights: list[Expr], join: exp.Join) -> None:
    key = right.product.key
    if not key:
        raise r.error(
            f"{right.product.name} has no key, so it cannot be joined as a table",
            join.args["on"],
            "declare a key in its contract",
        )
    for expr in rights:
        if not expr.is_column:
            raise r.error(
                f"join not on a key: the {right.product.name} side must be a column of its key "
                f"({', '.join(key)}), not {expr.sql}",
                expr.node,
                f"write … = {right.alias}.{key[0]} and compute the value on the other side",
            )
    used = [e.refs[0].path for e in rights]
    if set(used) != set(key):
        wrong = [p for p in used if p not in key]
        what = (
            f"it uses {', '.join(right.alias + '.' + p for p in wrong)}"
            if wrong
            else f"it does not cover {', '.join(right.alias + '.' + k for k in key if k not in used)}"
        )
        bad = next((e.node for e in rights if e.refs[0].path in wrong), join.args["on"])
        raise r.error(
            f"join not on a key: {right.product.name} is a table keyed by {', '.join(key)}, but {what}",
            bad,
            "join on "
            + " AND ".join(f"<left column> = {right.alias}.{k}" for k in key)
            + ", or use a stream-stream join (WITHIN) on a non-compacted product",
        )


def timestamp_sources(stmt: ParsedStatement, scope: list[ScopeSource]) -> dict[str, TimestampSource]:
    """Event time per alias: the ``WITH (TIMESTAMP = …)`` property, else the contract's timestamp_field,
    else the log record's timestamp."""
    out: dict[str, TimestampSource] = {}
    for s in scope:
        f = s.product.field(s.product.timestamp_field) if s.product.timestamp_field else None
        out[s.alias] = TimestampSource(f.path, "contract", f.type) if f else TimestampSource(None, "record")
    for prop in stmt.properties:
        if prop.key != "TIMESTAMP":
            continue
        head, _, rest = prop.value.partition(".")
        target = next((s for s in scope if rest and s.alias.lower() == head.lower()), scope[0])
        path = rest if rest and target.alias.lower() == head.lower() else prop.value
        f = target.product.field(path)
        if f is None:
            names = [x.path for x in target.product.selectable()]
            raise SqlError(
                f"TIMESTAMP field {path!r} is not in {target.product.name}",
                sql=stmt.sql,
                span=prop.span,
                hint=did_you_mean(path, names, listing=f"fields of {target.product.name}"),
            )
        if f.type not in ("timestamp", "string", "int", "date", "any"):
            raise SqlError(
                f"TIMESTAMP field {path!r} is {f.type}; event time must be a timestamp, an ISO-8601 string "
                "or epoch milliseconds",
                sql=stmt.sql,
                span=prop.span,
                hint="choose another field",
            )
        out[target.alias] = TimestampSource(f.path, "property", f.type)
    return out
