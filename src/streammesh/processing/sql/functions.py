"""The functions of streaming SQL: their names, what they accept and return, and their DuckDB form.

sqlglot parses well-known functions into node classes (``UPPER`` → ``exp.Upper``) and the rest into
``exp.Anonymous``; :func:`function_name` folds both into one canonical upper-case name, so the analyser,
the lineage derivation and the renderer agree on what a call is whatever sqlglot version parsed it.
"""

from __future__ import annotations

from typing import cast

from sqlglot import exp

__all__ = [
    "AGGREGATES",
    "COUNTING",
    "DEIDENTIFYING",
    "SCALARS",
    "TIME_UNITS",
    "display_sql",
    "function_name",
    "input_column",
    "is_aggregate",
    "render_duckdb",
    "special_column",
    "supported_functions",
]

#: aggregate functions: they fold many rows into one value per group (and window).
AGGREGATES = frozenset(
    {"COUNT", "SUM", "AVG", "MIN", "MAX", "COUNT_DISTINCT", "LATEST_BY_OFFSET", "EARLIEST_BY_OFFSET", "TOPK"}
)
#: de-identifying functions: their result no longer carries the argument's classification.
DEIDENTIFYING = frozenset({"HASH", "MASK"})
#: aggregates whose result is a count, which reveals nothing about the values counted.
COUNTING = frozenset({"COUNT", "COUNT_DISTINCT"})
#: scalar functions (besides operators, CASE and CAST).
SCALARS = frozenset(
    {
        "UPPER",
        "LOWER",
        "CONCAT",
        "SUBSTRING",
        "LENGTH",
        "TRIM",
        "REPLACE",
        "DATE_TRUNC",
        "FLOOR",
        "CEIL",
        "EXTRACT",
        "COALESCE",
        "ABS",
        "ROUND",
        "HASH",
        "MASK",
        "PARSE_TIMESTAMP",
        "FROM_UNIXTIME",
        "CASE",
        "CAST",
    }
)
TIME_UNITS = ("MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR")

_CLASSES = {
    "Upper": "UPPER",
    "Lower": "LOWER",
    "Concat": "CONCAT",
    "ConcatWs": "CONCAT_WS",
    "Substring": "SUBSTRING",
    "Length": "LENGTH",
    "Trim": "TRIM",
    "Replace": "REPLACE",
    "DateTrunc": "DATE_TRUNC",
    "TimestampTrunc": "DATE_TRUNC",
    "Floor": "FLOOR",
    "Ceil": "CEIL",
    "Extract": "EXTRACT",
    "Case": "CASE",
    "Coalesce": "COALESCE",
    "Cast": "CAST",
    "TryCast": "CAST",
    "Abs": "ABS",
    "Round": "ROUND",
    "Count": "COUNT",
    "Sum": "SUM",
    "Avg": "AVG",
    "Min": "MIN",
    "Max": "MAX",
    "SHA2": "HASH",
    "MD5": "HASH",
}


def function_name(node: exp.Expr) -> str | None:
    """The canonical name of a function call (``COUNT(DISTINCT x)`` is ``COUNT_DISTINCT``), or ``None``
    when ``node`` is not a call. Unknown calls return the name as written (upper-cased)."""
    if not isinstance(node, exp.Func):
        return None
    if isinstance(node, exp.Anonymous):
        return str(node.name).upper()
    name = _CLASSES.get(type(node).__name__)
    if name == "COUNT" and isinstance(node.this, exp.Distinct):
        return "COUNT_DISTINCT"
    return name or node.sql_name().upper()


def is_aggregate(node: exp.Expr) -> bool:
    return function_name(node) in AGGREGATES


def supported_functions() -> list[str]:
    return sorted(SCALARS | AGGREGATES)


def call_args(node: exp.Expr) -> list[exp.Expression]:
    """The argument expressions of a call, in order (``COUNT(DISTINCT x)`` → ``[x]``, ``COUNT(*)`` → ``[]``)."""
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    if isinstance(node, exp.Count):
        if isinstance(node.this, exp.Distinct):
            return list(node.this.expressions)
        return [] if isinstance(node.this, exp.Star) or node.this is None else [node.this]
    # typed as the Expr base; every concrete node class of sqlglot derives from Expression
    return cast(list[exp.Expression], list(node.iter_expressions()))


# --- rendering -----------------------------------------------------------------------------------------


def input_column(alias: str, path: str) -> str:
    """The DuckDB column an executor gives input field ``path`` of source ``alias``: ``{alias}__{path}``
    (dots kept: ``c__address.city``; the event time is ``{alias}__$rowtime``)."""
    return f"{alias}__{path}"


def special_column(name: str) -> bool:
    """Whether ``name`` is a column the executor provides (``$key0``, ``$agg0``, ``$window_start``...)."""
    return name.startswith("$")


def _quoted(name: str) -> exp.Column:
    return exp.Column(this=exp.Identifier(this=name, quoted=True))


def _mask(arg: exp.Expression) -> exp.Expression:
    """ksqlDB's MASK: upper-case letters → X, lower-case → x, digits → n, anything else → -."""
    out: exp.Expression = exp.cast(arg, "VARCHAR")
    for pattern, repl in (("[^A-Za-z0-9]", "-"), ("[A-Z]", "X"), ("[a-z]", "x"), ("[0-9]", "n")):
        out = exp.Anonymous(
            this="regexp_replace",
            expressions=[out, exp.Literal.string(pattern), exp.Literal.string(repl), exp.Literal.string("g")],
        )
    return out


_CANONICAL_CAST = {
    "int": "BIGINT",
    "double": "DOUBLE",
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}


def _type(node: exp.Expression) -> str:
    """The SQL type the analyser stored in the node's ``meta`` (``any`` when unknown)."""
    return str(node.meta.get("type", "any")) if node.meta else "any"


def _rewrite(node: exp.Expression) -> exp.Expression:
    """One node's DuckDB form; its children are already rewritten."""
    if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
        if node.table:
            return _quoted(input_column(node.table, node.name))
        if special_column(node.name):
            return _quoted(node.name)
        return node
    name = function_name(node)
    if name is None:
        return node
    args = call_args(node)
    if name == "COUNT_DISTINCT":
        return exp.Count(this=exp.Distinct(expressions=args))
    if name in ("LATEST_BY_OFFSET", "EARLIEST_BY_OFFSET"):
        fn = "arg_max" if name == "LATEST_BY_OFFSET" else "arg_min"
        call = exp.Anonymous(this=fn, expressions=[args[0], _quoted("$seq")])
        not_null = exp.Not(this=exp.Is(this=args[0].copy(), expression=exp.Null()))
        return exp.Filter(this=call, expression=exp.Where(this=not_null))
    if name == "TOPK":
        return exp.Anonymous(this="max", expressions=args)
    if name == "HASH":
        return exp.Anonymous(this="sha256", expressions=[exp.cast(args[0], "VARCHAR")])
    if name == "MASK":
        return _mask(args[0])
    if name == "PARSE_TIMESTAMP":
        if len(args) == 2:
            return exp.Anonymous(this="strptime", expressions=args)
        return exp.cast(exp.TryCast(this=args[0], to=exp.DataType.build("TIMESTAMPTZ")), "TIMESTAMP")
    if name == "FROM_UNIXTIME":
        return exp.Anonymous(this="epoch_ms", expressions=[exp.cast(args[0], "BIGINT")])
    if name == "FLOOR" and isinstance(node, exp.Floor) and node.args.get("to") is not None:
        return exp.DateTrunc(unit=exp.Literal.string(node.args["to"].name.upper()), this=node.this)
    if name == "CAST":
        target, source = _type(node), str(node.meta.get("source_type", "any"))
        if target == "timestamp" and source in ("string", "any"):
            return exp.cast(exp.TryCast(this=node.this, to=exp.DataType.build("TIMESTAMPTZ")), "TIMESTAMP")
        return exp.TryCast(this=node.this, to=exp.DataType.build(_CANONICAL_CAST.get(target, "VARCHAR")))
    return node


def _post_order(node: exp.Expression) -> exp.Expression:
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            new = _post_order(value)
            if new is not value:
                node.set(key, new)
        elif isinstance(value, list):
            node.set(key, [_post_order(v) if isinstance(v, exp.Expression) else v for v in value])
    return _rewrite(node)


def render_duckdb(node: exp.Expression) -> str:
    """DuckDB SQL for a resolved expression (see :mod:`streammesh.processing.sql.plan` for the columns).

    Types the rendering depends on (CAST's target and source) come from the ``type`` / ``source_type``
    entries the analyser stored in the nodes' ``meta``.
    """
    return _post_order(node.copy()).sql(dialect="duckdb")


def display_sql(node: exp.Expr) -> str:
    """A resolved expression as a person would write it: ``l.line_total``, ``SUM(l.line_total)``."""

    def plain(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column) and n.table and not isinstance(n.this, exp.Star):
            path = "ROWTIME" if n.name == "$rowtime" else n.name
            return exp.Column(
                this=exp.Identifier(this=path, quoted=False), table=exp.Identifier(this=n.table, quoted=False)
            )
        if isinstance(n, exp.Column) and special_column(n.name):
            label = {"$window_start": "WINDOWSTART", "$window_end": "WINDOWEND"}.get(n.name, n.name)
            return exp.Column(this=exp.Identifier(this=label, quoted=False))
        return n

    return node.copy().transform(plain, copy=False).sql()
