"""The analysed logical plan of a streaming-SQL statement: what the incremental executor runs.

A :class:`Query` is immutable and self-contained: sources with the fields they must decode and where their
event time comes from, joins with their key expressions and time bounds, filter, grouping, window,
aggregates, projections and the output schema. Expressions stay sqlglot ASTs whose column references are
resolved; each :class:`Expr` renders itself as DuckDB SQL with :meth:`Expr.to_duckdb`.

**DuckDB column convention** (what the executor materialises for every micro-batch):

==========================  ===================================================================================
column                      holds
==========================  ===================================================================================
``{alias}__{path}``         input field ``path`` of the source with alias ``alias`` (``o__total``,
                            ``c__address.city``), typed per :func:`~streammesh.processing.sql.types.duckdb_type`
``{alias}__$rowtime``       the record's event time (TIMESTAMP, UTC): ``Source.timestamp.field`` parsed, or
                            the log record's timestamp when that is ``None``
``$seq``                    BIGINT arrival order of the (joined) row, increasing across batches; orders
                            LATEST_BY_OFFSET / EARLIEST_BY_OFFSET
``$window_start/_end``      TIMESTAMP bounds of the window a row is assigned to (windowed queries)
``$key{i}``                 after aggregation: the value of ``group_by[i]``
``$agg{j}``                 after aggregation: the value of ``aggregates[j]``
==========================  ===================================================================================

Every name is double-quoted in the rendered SQL. The session must run with ``SET TimeZone = 'UTC'``.
Stateless queries evaluate ``filter`` then ``projections[*].expr`` over input columns. Aggregating queries
evaluate ``filter``, ``group_by`` into ``$key{i}``, ``aggregates[j].call`` (or merge their state) into
``$agg{j}``, then ``having_final`` and ``projections[*].final`` over those key/aggregate columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlglot import exp

from streammesh.processing.sql.functions import input_column, render_duckdb
from streammesh.processing.sql.types import SqlType, json_schema_of

__all__ = [
    "ROWTIME",
    "SEQ",
    "WINDOW_END",
    "WINDOW_START",
    "Aggregate",
    "ColumnRef",
    "Expr",
    "InputColumn",
    "Join",
    "JoinWindow",
    "OutputField",
    "Projection",
    "Query",
    "QueryKind",
    "Source",
    "TimestampSource",
    "Window",
    "agg_column",
    "key_column",
]

QueryKind = Literal["stream", "table", "select"]
ROWTIME = "$rowtime"
WINDOW_START = "$window_start"
WINDOW_END = "$window_end"
SEQ = "$seq"


def key_column(i: int) -> str:
    return f"$key{i}"


def agg_column(j: int) -> str:
    return f"$agg{j}"


@dataclass(frozen=True, slots=True, order=True)
class ColumnRef:
    """An input field a query reads: source alias, product and field path (``$rowtime`` = event time)."""

    alias: str
    product: str
    path: str

    @property
    def column(self) -> str:
        """The DuckDB column holding it (``o__total``)."""
        return input_column(self.alias, self.path)


@dataclass(frozen=True, eq=False)
class Expr:
    """A resolved, typed expression.

    Attributes:
        node: the sqlglot AST; input references are ``exp.Column(table=alias, this=path)`` and executor
            columns are bare ``exp.Column(this="$…")``. Each node's ``meta["type"]`` holds its SQL type.
        sql: the expression as a person writes it (``SUM(l.line_total)``), for messages and docs.
        type: the SQL type of the result.
        nullable: whether the result can be null.
        refs: the input fields read, in first-use order.
    """

    node: exp.Expression
    sql: str
    type: SqlType
    nullable: bool
    refs: tuple[ColumnRef, ...] = ()

    def to_duckdb(self) -> str:
        """DuckDB SQL over the columns of the module's naming convention."""
        return render_duckdb(self.node)

    @property
    def is_column(self) -> bool:
        """Whether the expression is a bare input field (an identity projection)."""
        return isinstance(self.node, exp.Column) and bool(self.node.table)

    def __repr__(self) -> str:
        return f"Expr({self.sql!r}: {self.type}{'?' if self.nullable else ''})"


@dataclass(frozen=True, slots=True)
class InputColumn:
    """A field the executor must decode from a source, with its DuckDB column name."""

    path: str
    column: str
    type: SqlType
    nullable: bool


@dataclass(frozen=True, slots=True)
class TimestampSource:
    """Where a source's event time comes from.

    ``field`` is the input field holding it (``None``: the log record's timestamp). ``origin`` says who chose
    it: the contract's ``timestamp_field``, a ``WITH (TIMESTAMP = …)`` property, or the record itself.
    """

    field: str | None
    origin: Literal["contract", "property", "record"]
    type: SqlType | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """An input product under an alias. ``role`` is ``table`` for the right side of a stream-table join
    (read as latest value per key) and ``stream`` otherwise (every record, in order)."""

    alias: str
    product: str
    role: Literal["stream", "table"]
    key: tuple[str, ...]
    timestamp: TimestampSource
    columns: tuple[InputColumn, ...] = ()


@dataclass(frozen=True, slots=True)
class JoinWindow:
    """A stream-stream join's time bound: right.ROWTIME ∈ [left.ROWTIME − before_ms, left.ROWTIME + after_ms]."""

    before_ms: int
    after_ms: int


@dataclass(frozen=True)
class Join:
    """A join of ``source`` (the right side) to the rows built so far.

    ``mode`` is ``stream-table`` (look up the latest right value per key; ``right_keys`` are exactly the
    right product's key fields) or ``stream-stream`` (match records within ``within``). ``left_keys[i] =
    right_keys[i]`` for every i is the whole ON condition.
    """

    kind: Literal["inner", "left"]
    mode: Literal["stream-table", "stream-stream"]
    source: Source
    left_keys: tuple[Expr, ...]
    right_keys: tuple[Expr, ...]
    within: JoinWindow | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """A window of a TABLE: tumbling (``advance_ms == size_ms``), hopping or session (``gap_ms``)."""

    kind: Literal["tumbling", "hopping", "session"]
    size_ms: int | None = None
    advance_ms: int | None = None
    gap_ms: int | None = None
    grace_ms: int = 0


@dataclass(frozen=True)
class Aggregate:
    """One distinct aggregate call, computed into column ``column`` (``$agg{j}``).

    ``call`` renders the whole call over input columns (``sum("l__line_total")``); ``args`` are its
    arguments for executors that keep their own mergeable state; ``k`` is TOPK's count.
    """

    function: str
    args: tuple[Expr, ...]
    column: str
    call: Expr
    k: int | None = None


@dataclass(frozen=True)
class Projection:
    """An output field: ``expr`` over input columns (aggregates inline), ``final`` over the aggregated
    relation (``$key{i}``, ``$agg{j}``, window bounds); for non-aggregating queries both are the same."""

    name: str
    expr: Expr
    final: Expr


@dataclass(frozen=True, slots=True)
class OutputField:
    """A field of the derived product's schema."""

    name: str
    type: SqlType
    nullable: bool
    description: str = ""


@dataclass(frozen=True)
class Query:
    """The analysed plan of one statement (see the module docstring for how an executor runs it).

    Example:
        >>> from streammesh.demo.organisation import load_demo_contracts
        >>> from streammesh.processing.sql import SqlCatalog, compile_sql
        >>> q = compile_sql("CREATE STREAM sales.big AS SELECT o.order_id, o.total FROM sales.orders o "
        ...                 "WHERE o.total > 1000", SqlCatalog.from_contracts(load_demo_contracts()))
        >>> q.filter.to_duckdb()
        '"o__total" > 1000'
    """

    kind: QueryKind
    name: str | None
    sql: str
    sources: tuple[Source, ...]
    projections: tuple[Projection, ...]
    output_schema: tuple[OutputField, ...]
    joins: tuple[Join, ...] = ()
    filter: Expr | None = None
    group_by: tuple[Expr, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    window: Window | None = None
    having: Expr | None = None
    having_final: Expr | None = None
    emit: Literal["changes", "final"] = "changes"
    partition_by: tuple[Expr, ...] = ()
    key_fields: tuple[str, ...] = ()
    timestamp_field: str | None = None
    mode: Literal["persistent", "push", "pull"] = "persistent"
    lookup: tuple[tuple[str, Any], ...] = ()
    limit: int | None = None
    properties: tuple[tuple[str, str], ...] = field(default=())

    @property
    def join(self) -> Join | None:
        """The first join, if any (most queries have at most one)."""
        return self.joins[0] if self.joins else None

    @property
    def aggregating(self) -> bool:
        return bool(self.group_by)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Input product names, without duplicates, in FROM/JOIN order."""
        return tuple(dict.fromkeys(s.product for s in self.sources))

    def source(self, alias: str) -> Source:
        return next(s for s in self.sources if s.alias == alias)

    def output(self, name: str) -> OutputField:
        return next(f for f in self.output_schema if f.name == name)

    def json_schema(self, *, title: str | None = None) -> dict[str, Any]:
        """The output schema as a JSON Schema (draft 2020-12) definition for the derived contract."""
        props = {}
        for f in self.output_schema:
            node = json_schema_of(f.type, nullable=f.nullable)
            if f.description:
                node["description"] = f.description
            props[f.name] = node
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title or (self.name or "query").rsplit(".", 1)[-1],
            "description": f"Derived by streaming SQL from {', '.join(self.inputs)}.",
            "type": "object",
            "additionalProperties": False,
            "required": [f.name for f in self.output_schema],
            "properties": props,
        }
