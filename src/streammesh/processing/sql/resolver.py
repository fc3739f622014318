"""Name resolution and type checking of expressions against the sources in scope.

Column references are rewritten to a canonical form, ``exp.Column(table=alias, this=path)`` with quoted
identifiers, so two spellings of the same reference (``category``, ``l.category``, ``L.CATEGORY``) become equal
ASTs. That is what lets GROUP BY matching, aggregate de-duplication and lineage compare expressions
structurally. Every node gets ``meta["type"]`` and ``meta["nullable"]``, which rendering and lineage read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from streammesh.processing.sql.catalog import FieldInfo, ProductInfo
from streammesh.processing.sql.errors import SqlError, did_you_mean, span_of
from streammesh.processing.sql.functions import (
    display_sql,
    function_name,
    special_column,
)
from streammesh.processing.sql.plan import (
    ROWTIME,
    WINDOW_END,
    WINDOW_START,
    ColumnRef,
    Expr,
)
from streammesh.processing.sql.types import SqlType
from streammesh.processing.sql.typing_rules import TypeRules

__all__ = ["Resolver", "ScopeSource"]


@dataclass(frozen=True, slots=True)
class ScopeSource:
    """A source visible to expressions; ``nullable`` for the right side of a LEFT JOIN."""

    alias: str
    product: ProductInfo
    nullable: bool = False


def _parts(node: exp.Expression) -> list[str]:
    if isinstance(node, exp.Dot):
        return [*_parts(node.this), node.expression.name]
    if isinstance(node, exp.Column):
        return [p.name for p in node.parts]
    return [node.name]


class Resolver(TypeRules):
    """Resolves and types expressions of one statement.

    Args:
        sql: the statement text (for error positions).
        sources: the aliases in scope, FROM first.
        windowed: WINDOWSTART / WINDOWEND may be used.
    """

    def __init__(self, sql: str, sources: list[ScopeSource], *, windowed: bool = False) -> None:
        self.sql = sql
        self.sources = sources
        self.windowed = windowed
        self.clause = "SELECT"
        self.aggregates_allowed = False
        self.aggregate_hint = ""

    # --- public -----------------------------------------------------------------------------------------

    def expr(self, node: exp.Expression, *, clause: str, aggregates: bool = False, aggregate_hint: str = "") -> Expr:
        """Resolve and type a copy of ``node`` as used in ``clause`` (``WHERE``, ``SELECT``…).

        Raises:
            SqlError: unknown or ambiguous column, type mismatch, unsupported construct, misplaced aggregate.
        """
        self.clause, self.aggregates_allowed, self.aggregate_hint = clause, aggregates, aggregate_hint
        resolved = self.walk(node.copy(), in_aggregate=None)
        return self.wrap(resolved)

    def wrap(self, node: exp.Expression) -> Expr:
        """An :class:`Expr` for an already resolved (sub)tree."""
        return Expr(
            node,
            display_sql(node),
            node.meta.get("type", "any"),
            bool(node.meta.get("nullable", True)),
            self.refs(node),
        )

    def refs(self, node: exp.Expression) -> tuple[ColumnRef, ...]:
        by_alias = {s.alias: s.product.name for s in self.sources}
        out: dict[ColumnRef, None] = {}
        for n in node.walk():
            if isinstance(n, exp.Column) and n.table in by_alias:
                out.setdefault(ColumnRef(n.table, by_alias[n.table], n.name), None)
        return tuple(out)

    def error(self, message: str, node: exp.Expr | None, hint: str | None = None) -> SqlError:
        return SqlError(message, sql=self.sql, span=span_of(node) if node is not None else None, hint=hint)

    def source(self, alias: str) -> ScopeSource | None:
        return next((s for s in self.sources if s.alias.lower() == alias.lower()), None)

    # --- columns ----------------------------------------------------------------------------------------

    def _qualifier(self, qualifier: str) -> ScopeSource | None:
        """The source a qualifier names: an alias, or the product's full or short name."""
        found = self.source(qualifier)
        if found:
            return found
        named = [s for s in self.sources if qualifier.lower() in (s.product.name.lower(), s.product.short_name.lower())]
        return named[0] if len(named) == 1 else None

    def column(self, col: exp.Expression) -> exp.Expression:
        """Resolve a column reference (an ``exp.Column``, or an ``exp.Dot`` chain for deeply nested paths)."""
        parts = _parts(col)
        for i in range(len(parts) - 1, 0, -1):
            src = self._qualifier(".".join(parts[:i]))
            if src is not None:
                return self._field(src, ".".join(parts[i:]), col)
        path = ".".join(parts)
        upper = path.upper()
        if upper in ("WINDOWSTART", "WINDOWEND"):
            if not self.windowed:
                raise self.error(
                    f"{upper} is only defined in a windowed TABLE",
                    col,
                    "add a WINDOW clause (e.g. WINDOW TUMBLING (SIZE 1 HOUR)) or remove it",
                )
            return self.typed(
                exp.Column(
                    this=exp.Identifier(this=WINDOW_START if upper == "WINDOWSTART" else WINDOW_END, quoted=True)
                ),
                "timestamp",
                False,
                col,
            )
        owners = [s for s in self.sources if s.product.field(path) is not None]
        if upper == "ROWTIME" and not owners:
            if len(self.sources) > 1:
                raise self.error(
                    "ROWTIME is ambiguous in a join",
                    col,
                    "qualify it with the source: " + " or ".join(f"{s.alias}.ROWTIME" for s in self.sources),
                )
            return self._field(self.sources[0], "ROWTIME", col)
        if len(owners) > 1:
            names = [f"{s.alias}.{f.path}" for s in owners if (f := s.product.field(path)) is not None]
            where = " and ".join(f"{s.alias} ({s.product.name})" for s in owners)
            raise self.error(
                f"column {path!r} is ambiguous: it is in {where}", col, "qualify it as " + " or ".join(names)
            )
        if owners:
            return self._field(owners[0], path, col)
        if len(parts) > 1 and not any(s.product.field(parts[0]) for s in self.sources):
            aliases = [s.alias for s in self.sources]
            raise self.error(
                f"unknown source {parts[0]!r} in {'.'.join(parts)!r}",
                col,
                did_you_mean(parts[0], aliases, listing="sources in scope"),
            )
        if len(self.sources) == 1:
            return self._field(self.sources[0], path, col)
        pool = [f"{s.alias}.{f.path}" for s in self.sources for f in s.product.selectable()]
        raise self.error(f"unknown column {path!r}", col, did_you_mean(path, pool, listing="columns in scope"))

    def _field(self, src: ScopeSource, path: str, col: exp.Expression) -> exp.Expression:
        if path == "*":
            raise self.error(f"{src.alias}.* is only allowed in the SELECT list", col, "name the columns you need")
        info: FieldInfo | None = src.product.field(path)
        if info is None and path.upper() == "ROWTIME":
            new = exp.Column(
                this=exp.Identifier(this=ROWTIME, quoted=True), table=exp.Identifier(this=src.alias, quoted=True)
            )
            return self.typed(new, "timestamp", src.nullable, col)
        if info is None or "[]" in info.path:
            arrays = [f.path for f in src.product.fields if f.path.endswith("[]") or f.type == "array"]
            inside = next((a for a in arrays if path.startswith(a.removesuffix("[]") + ".")), None)
            if inside:
                raise self.error(
                    f"{path!r} is inside the array {inside!r} of {src.product.name}",
                    col,
                    f"select the whole array {src.alias}.{inside}; per-item access is not supported",
                )
            names = [f.path for f in src.product.selectable()]
            raise self.error(
                f"unknown column {path!r} in {src.product.name} ({src.alias})",
                col,
                did_you_mean(path, names, listing=f"columns of {src.product.name}"),
            )
        new = exp.Column(
            this=exp.Identifier(this=info.path, quoted=True), table=exp.Identifier(this=src.alias, quoted=True)
        )
        return self.typed(new, info.type, info.nullable or src.nullable, col)

    # --- helpers used by TypeRules ----------------------------------------------------------------------

    def typed(
        self, node: exp.Expression, t: SqlType, nullable: bool, origin: exp.Expression | None = None
    ) -> exp.Expression:
        """Record ``t``/``nullable`` on ``node`` (and the source position of ``origin``)."""
        if origin is not None and origin is not node:
            span = span_of(origin)
            if span is not None:
                node.meta["start"], node.meta["end"] = span.start, span.end - 1
        node.meta["type"], node.meta["nullable"] = t, nullable
        return node

    def is_special(self, node: exp.Expression) -> bool:
        return isinstance(node, exp.Column) and not node.table and special_column(node.name)

    def call_name(self, node: exp.Expr) -> str | None:
        return function_name(node)
