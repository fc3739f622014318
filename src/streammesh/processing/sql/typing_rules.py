"""Type rules: what each operator and function accepts and returns, with the errors users see.

Checking types at compile time matters more for streams than for batch SQL: a query that fails on the
first odd record at 3 a.m. stops a derived product, so ``SUM(category)`` or ``status = 5`` is refused when
the query is deployed, with the fix in the hint.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from streammesh.processing.sql.errors import Span, SqlError, did_you_mean, span_of
from streammesh.processing.sql.functions import (
    AGGREGATES,
    SCALARS,
    TIME_UNITS,
    call_args,
    display_sql,
    supported_functions,
)
from streammesh.processing.sql.types import (
    NUMERIC,
    SqlType,
    common_type,
    comparable,
    describe,
    from_sql_type_name,
)

__all__ = ["TypeRules"]

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
_EXTRACT_UNITS = set(TIME_UNITS) | {"DOW", "DAYOFWEEK", "DOY", "DAYOFYEAR", "EPOCH", "ISODOW"}
# name -> (min args, max args, argument kinds); kinds: s=string, n=number, t=timestamp/date, x=any scalar
_SIGNATURES: dict[str, tuple[int, int, str]] = {
    "UPPER": (1, 1, "s"),
    "LOWER": (1, 1, "s"),
    "TRIM": (1, 1, "s"),
    "LENGTH": (1, 1, "s"),
    "MASK": (1, 1, "s"),
    "SUBSTRING": (2, 3, "snn"),
    "REPLACE": (3, 3, "sss"),
    "CONCAT": (1, 99, "x" * 99),
    "ABS": (1, 1, "n"),
    "ROUND": (1, 2, "nn"),
    "CEIL": (1, 1, "n"),
    "HASH": (1, 1, "x"),
    "PARSE_TIMESTAMP": (1, 2, "ss"),
    "FROM_UNIXTIME": (1, 1, "n"),
    "COUNT": (0, 1, "x"),
    "COUNT_DISTINCT": (1, 1, "x"),
    "SUM": (1, 1, "n"),
    "AVG": (1, 1, "n"),
    "MIN": (1, 1, "x"),
    "MAX": (1, 1, "x"),
    "LATEST_BY_OFFSET": (1, 1, "x"),
    "EARLIEST_BY_OFFSET": (1, 1, "x"),
    "TOPK": (2, 2, "xn"),
    "COALESCE": (1, 99, "x" * 99),
}
_KIND_WORDS = {"s": "text", "n": "a number", "t": "a timestamp", "x": "a single value"}


def _t(node: exp.Expression) -> SqlType:
    return node.meta.get("type", "any")


def _n(node: exp.Expression) -> bool:
    return bool(node.meta.get("nullable", True))


class TypeRules:
    """Mixin of :class:`~streammesh.processing.sql.resolver.Resolver`: walks and types expression trees."""

    if TYPE_CHECKING:  # what Resolver, the one class mixing this in, provides
        sql: str
        clause: str
        aggregates_allowed: bool
        aggregate_hint: str

        def error(self, message: str, node: exp.Expr | None, hint: str | None = None) -> SqlError: ...
        def typed(
            self, node: exp.Expression, t: SqlType, nullable: bool, origin: exp.Expression | None = None
        ) -> exp.Expression: ...
        def is_special(self, node: exp.Expression) -> bool: ...
        def call_name(self, node: exp.Expr) -> str | None: ...
        def column(self, col: exp.Expression) -> exp.Expression: ...

    def walk(self, node: exp.Expression, *, in_aggregate: str | None) -> exp.Expression:
        """Resolve and type ``node`` in place; returns the node that replaces it (columns are replaced)."""
        if isinstance(node, exp.Paren):
            inner = self._child(node.this, in_aggregate)
            return self.typed(node, _t(inner), _n(inner))
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                raise self.error("'*' is only allowed in the SELECT list and COUNT(*)", node, "name the columns")
            if self.is_special(node):
                return node
            return self.column(node)
        if isinstance(node, exp.Literal):
            if node.is_string:
                return self.typed(node, "string", False)
            return self.typed(node, "int" if node.name.lstrip("-").isdigit() else "double", False)
        if isinstance(node, exp.Boolean):
            return self.typed(node, "boolean", False)
        if isinstance(node, exp.Null):
            return self.typed(node, "any", True)
        if isinstance(node, (exp.Subquery, exp.Select, exp.Exists, exp.SetOperation)):
            raise self.error(
                "subqueries are not supported",
                node,
                "create the inner result as its own STREAM or TABLE, then JOIN it on its key",
            )
        if isinstance(node, exp.Window):
            raise self.error(
                "window functions (OVER …) are not supported",
                node,
                "aggregate per key with GROUP BY and a WINDOW clause in a CREATE TABLE",
            )
        if isinstance(node, _ARITHMETIC):
            return self._arithmetic(node, in_aggregate)
        if isinstance(node, exp.DPipe):
            for side in (node.this, node.expression):
                self._expect(self._child(side, in_aggregate), "s", "||")
            return self.typed(node, "string", _n(node.this) or _n(node.expression))
        if isinstance(node, _COMPARISONS):
            left, right = self._child(node.this, in_aggregate), self._child(node.expression, in_aggregate)
            self._comparable(left, right, node)
            return self.typed(node, "boolean", _n(left) or _n(right))
        if isinstance(node, (exp.And, exp.Or, exp.Xor)):
            sides = [self._child(s, in_aggregate) for s in (node.this, node.expression)]
            for side in sides:
                self._boolean(side, node.key.upper())
            return self.typed(node, "boolean", any(_n(s) for s in sides))
        if isinstance(node, exp.Not):
            inner = self._boolean(self._child(node.this, in_aggregate), "NOT")
            return self.typed(node, "boolean", _n(inner))
        if isinstance(node, exp.Neg):
            inner = self._expect(self._child(node.this, in_aggregate), "n", "-")
            return self.typed(node, _t(inner), _n(inner))
        if isinstance(node, exp.Is):
            self._child(node.this, in_aggregate)
            return self.typed(node, "boolean", False)
        if isinstance(node, exp.In):
            if node.args.get("query") is not None or node.args.get("unnest") is not None:
                raise self.error("IN (SELECT …) is not supported", node, "JOIN the other product on its key instead")
            left = self._child(node.this, in_aggregate)
            for item in list(node.expressions):
                self._comparable(left, self._child(item, in_aggregate), node)
            return self.typed(node, "boolean", _n(left))
        if isinstance(node, exp.Between):
            left = self._child(node.this, in_aggregate)
            for bound in (node.args["low"], node.args["high"]):
                self._comparable(left, self._child(bound, in_aggregate), node)
            return self.typed(node, "boolean", _n(left))
        if isinstance(node, (exp.Like, exp.ILike)):
            left = self._expect(self._child(node.this, in_aggregate), "s", "LIKE")
            self._expect(self._child(node.expression, in_aggregate), "s", "LIKE")
            return self.typed(node, "boolean", _n(left))
        if isinstance(node, exp.Dot) and all(
            isinstance(p, (exp.Column, exp.Dot, exp.Identifier)) for p in (node.this, node.expression)
        ):
            return self.column(node)
        if isinstance(node, exp.Bracket):
            raise self.error(
                "indexing an array (x[i]) is not supported",
                node,
                "select the whole array; read per-item data from a product with one record per item "
                "(e.g. sales.order_lines)",
            )
        if isinstance(node, (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.Rand)):
            raise self.error(
                f"{node.sql_name()} is not supported: a result must not depend on when it is computed",
                node,
                "use ROWTIME, the record's event time (a replay then gives the same result)",
            )
        if isinstance(node, exp.Interval):
            raise self.error(
                "an INTERVAL can only be added to or subtracted from a timestamp",
                node,
                "write e.g. ROWTIME + INTERVAL '1' HOUR",
            )
        if isinstance(node, exp.Func):
            return self._call(node, in_aggregate)
        raise self.error(
            f"{node.key.upper()} is not supported in streaming SQL",
            node,
            "see docs/sql.md for the supported operators and functions",
        )

    # --- pieces -----------------------------------------------------------------------------------------

    def _child(self, child: exp.Expression, in_aggregate: str | None) -> exp.Expression:
        new = self.walk(child, in_aggregate=in_aggregate)
        if new is not child:
            child.replace(new)
        return new

    def _expect(self, node: exp.Expression, kind: str, what: str) -> exp.Expression:
        t = _t(node)
        ok = (
            t == "any"
            or (kind == "s" and t == "string")
            or (kind == "n" and t in NUMERIC)
            or (kind == "t" and t in ("timestamp", "date"))
            or (kind == "x" and t not in ("array", "record"))
        )
        if not ok:
            shown = display_sql(node)
            fix = {
                "s": f"CAST({shown} AS STRING)",
                "n": f"EXTRACT(EPOCH FROM {shown}) for seconds"
                if t in ("timestamp", "date")
                else f"CAST({shown} AS DOUBLE) if it holds numbers as text",
                "t": f"PARSE_TIMESTAMP({shown})",
                "x": f"select {shown} on its own",
            }[kind]
            raise self.error(
                f"{what} needs {_KIND_WORDS[kind]}, but {shown} is {describe(t)}",
                node,
                f"use {fix}" + (f"; COUNT({shown}) counts values" if what in ("SUM", "AVG") else ""),
            )
        return node

    def _boolean(self, node: exp.Expression, what: str) -> exp.Expression:
        if _t(node) not in ("boolean", "any"):
            raise self.error(
                f"{what} needs a true/false condition, but {display_sql(node)} is {describe(_t(node))}",
                node,
                "compare it, e.g. x = 'value' or x > 0",
            )
        return node

    def _comparable(self, left: exp.Expression, right: exp.Expression, node: exp.Expression) -> None:
        a, b = _t(left), _t(right)
        literal_time = any(
            isinstance(x, exp.Literal) and x.is_string and _t(y) in ("timestamp", "date")
            for x, y in ((left, right), (right, left))
        )
        if comparable(a, b) or literal_time:
            return
        ls, rs = display_sql(left), display_sql(right)
        fix = (
            f"{ls} = '{right.name}'"
            if isinstance(right, exp.Literal) and a == "string"
            else f"CAST({ls} AS {'DOUBLE' if b in NUMERIC else 'STRING'})"
        )
        raise self.error(
            f"type mismatch: cannot compare {ls} ({describe(a)}) with {rs} ({describe(b)})",
            node,
            f"compare values of the same type, e.g. {fix}",
        )

    def _arithmetic(self, node: exp.Expression, in_aggregate: str | None) -> exp.Expression:
        op = {"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%"}[node.key]
        if isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Interval):
            left = self._expect(self._child(node.this, in_aggregate), "t", op)
            return self.typed(node, "timestamp", _n(left))
        left, right = self._child(node.this, in_aggregate), self._child(node.expression, in_aggregate)
        for side in (left, right):
            if _t(side) == "string":
                raise self.error(
                    f"type mismatch: '{op}' needs numbers, but {display_sql(side)} is text",
                    side,
                    "join text with CONCAT(a, b) or a || b; or CAST(x AS DOUBLE) if it holds a number",
                )
            self._expect(side, "n", f"'{op}'")
        t: SqlType = (
            "double"
            if op == "/" or "double" in (_t(left), _t(right))
            else ("int" if _t(left) == _t(right) == "int" else "any")
        )
        return self.typed(node, t, _n(left) or _n(right) or op in ("/", "%"))

    def _bad_cast(self, node: exp.Expression, inner: exp.Expression) -> SqlError:
        """The type name as written after ``AS`` (sqlglot normalises it, e.g. BLOB to VARBINARY)."""
        written, span = node.args["to"].sql(), span_of(node)
        after = span_of(inner)
        if after is not None:
            m = re.compile(r"\s+AS\s+([A-Za-z_][\w ]*?)\s*(?:\(|\))", re.IGNORECASE).match(self.sql, after.end)
            if m:
                written, span = m.group(1), Span(m.start(1), m.end(1))
        return SqlError(
            f"cannot CAST to {written}",
            sql=self.sql,
            span=span,
            hint="cast to STRING, BIGINT, INT, DOUBLE, BOOLEAN, TIMESTAMP or DATE",
        )

    def _time_unit(self, unit: Any, node: exp.Expression, allowed: set[str] | tuple[str, ...]) -> None:
        name = str(getattr(unit, "name", unit) or "").upper().removesuffix("S")
        if name not in allowed:
            raise self.error(f"unknown time unit {name!r}", node, "use one of " + ", ".join(allowed))

    def _call(self, node: exp.Expression, in_aggregate: str | None) -> exp.Expression:
        name = self.call_name(node) or "?"
        if name not in SCALARS | AGGREGATES:
            raise self.error(
                f"unknown function {name}",
                node,
                did_you_mean(name, supported_functions(), listing="supported functions"),
            )
        if name in AGGREGATES:
            if in_aggregate:
                raise self.error(
                    f"aggregate {name} cannot be nested inside {in_aggregate}", node, "aggregate the column directly"
                )
            if not self.aggregates_allowed:
                raise self.error(f"aggregate {name} is not allowed in {self.clause}", node, self.aggregate_hint or None)
            in_aggregate = name
        if name == "CASE":
            branches = []
            for branch in node.args.get("ifs") or []:
                self._boolean(self._child(branch.this, in_aggregate), "WHEN")
                branches.append(self._child(branch.args["true"], in_aggregate))
            default = node.args.get("default")
            if default is not None:
                branches.append(self._child(default, in_aggregate))
            for other in branches[1:]:
                self._comparable(branches[0], other, node)
            nullable = default is None or any(_n(b) for b in branches)
            return self.typed(node, common_type([_t(b) for b in branches]), nullable)
        if name == "CAST":
            inner = self._expect(self._child(node.this, in_aggregate), "x", "CAST")
            target = from_sql_type_name(node.args["to"].this.name)
            if target is None:
                raise self._bad_cast(node, inner)
            node.meta["source_type"] = _t(inner)
            return self.typed(node, target, _n(inner) or (_t(inner) in ("string", "any") and target != "string"))
        if name == "EXTRACT":
            self._time_unit(node.this, node, _EXTRACT_UNITS)
            inner = self._expect(self._child(node.expression, in_aggregate), "t", "EXTRACT")
            return self.typed(node, "int", _n(inner))
        if name == "DATE_TRUNC" or (name == "FLOOR" and node.args.get("to") is not None):
            self._time_unit(node.args.get("unit") or node.args.get("to"), node, TIME_UNITS)
            inner = self._expect(self._child(node.this, in_aggregate), "t", name)
            return self.typed(node, "timestamp", _n(inner))
        args = call_args(node)
        if isinstance(node, exp.Count) and node.this is not None and isinstance(node.this, exp.Star):
            return self.typed(node, "int", False)
        lo, hi, kinds = _SIGNATURES.get(name, (1, 1, "n"))
        if not lo <= len(args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
            raise self.error(
                f"{name} takes {want} argument{'s' if hi != 1 else ''}, got {len(args)}",
                node,
                "see docs/sql.md#functions",
            )
        typed_args = [self._expect(self._child(a, in_aggregate), kinds[i], name) for i, a in enumerate(args)]
        types = [_t(a) for a in typed_args]
        any_null = any(_n(a) for a in typed_args)
        if name in ("COUNT", "COUNT_DISTINCT"):
            return self.typed(node, "int", False)
        if name == "TOPK":
            k = typed_args[1]
            if not (isinstance(k, exp.Literal) and k.name.isdigit() and int(k.name) > 0):
                raise self.error("TOPK's second argument must be a positive whole number", k, "write TOPK(x, 5)")
            return self.typed(node, "array", False)
        if name == "COALESCE":
            for other in typed_args[1:]:
                self._comparable(typed_args[0], other, node)
            return self.typed(node, common_type(types), all(_n(a) for a in typed_args))
        result: dict[str, SqlType] = {
            "UPPER": "string",
            "LOWER": "string",
            "TRIM": "string",
            "MASK": "string",
            "SUBSTRING": "string",
            "REPLACE": "string",
            "CONCAT": "string",
            "HASH": "string",
            "LENGTH": "int",
            "AVG": "double",
            "PARSE_TIMESTAMP": "timestamp",
            "FROM_UNIXTIME": "timestamp",
        }
        t = result.get(name, types[0] if types else "any")
        if name == "ROUND" and len(args) == 2:
            t = "double"
        return self.typed(node, t, any_null or name == "PARSE_TIMESTAMP")
