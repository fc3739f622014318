"""Streaming SQL front end: parse a ksqlDB/Flink-like statement, analyse it against the catalog into a
logical :class:`Query`, and derive the output product's lineage, classifications, SLA and contract.

Example:
    >>> from streammesh.demo.organisation import load_demo_contracts
    >>> catalog = SqlCatalog.from_contracts(load_demo_contracts())
    >>> q = compile_sql(
    ...     "CREATE STREAM analytics.orders_with_region AS "
    ...     "SELECT o.order_id, o.total, c.region FROM sales.orders o "
    ...     "JOIN customers.profiles c ON o.customer_id = c.customer_id", catalog)
    >>> q.join.mode, q.key_fields
    ('stream-table', ('order_id',))
"""

from __future__ import annotations

from streammesh.processing.sql.analyzer import analyse
from streammesh.processing.sql.catalog import FieldInfo, ProductInfo, SqlCatalog
from streammesh.processing.sql.contract import derived_contract, derived_product
from streammesh.processing.sql.dialect import ParsedStatement, split_statements
from streammesh.processing.sql.errors import SqlError
from streammesh.processing.sql.lineage import (
    Derivation,
    DerivedSla,
    FieldClassification,
    FieldEdge,
    SlaTooStrongError,
    check_declared_sla,
    derive,
    derive_classifications,
    derive_quality,
    derive_sla,
    field_lineage,
)
from streammesh.processing.sql.parser import parse_statement
from streammesh.processing.sql.plan import (
    Aggregate,
    ColumnRef,
    Expr,
    InputColumn,
    Join,
    JoinWindow,
    OutputField,
    Projection,
    Query,
    Source,
    TimestampSource,
    Window,
)
from streammesh.processing.sql.types import SqlType

__all__ = [
    "Aggregate",
    "ColumnRef",
    "Derivation",
    "DerivedSla",
    "Expr",
    "FieldClassification",
    "FieldEdge",
    "FieldInfo",
    "InputColumn",
    "Join",
    "JoinWindow",
    "OutputField",
    "ParsedStatement",
    "ProductInfo",
    "Projection",
    "Query",
    "SlaTooStrongError",
    "Source",
    "SqlCatalog",
    "SqlError",
    "SqlType",
    "TimestampSource",
    "Window",
    "analyse",
    "check_declared_sla",
    "compile_script",
    "compile_sql",
    "derive",
    "derive_classifications",
    "derive_quality",
    "derive_sla",
    "derived_contract",
    "derived_product",
    "field_lineage",
    "parse_statement",
    "split_statements",
]


def compile_sql(sql: str, catalog: SqlCatalog, *, default_domain: str | None = None) -> Query:
    """Parse and analyse one statement (a trailing ``;`` is fine).

    Raises:
        SqlError: a syntax or meaning error, with line, column and a hint.
    """
    spans = split_statements(sql)
    if len(spans) > 1:
        second = spans[1]
        raise SqlError(
            "expected one statement, got several",
            sql=sql,
            span=second,
            hint="use compile_script() (or 'streammesh apps deploy') for a script",
        )
    return analyse(parse_statement(sql, spans[0] if spans else None), catalog, default_domain=default_domain)


def compile_script(sql: str, catalog: SqlCatalog, *, default_domain: str | None = None) -> list[Query]:
    """Compile every statement of a script in order; each CREATE's output is visible to later statements
    (so a TABLE defined first can be joined or queried by key below it). Positions refer to the script.

    Raises:
        SqlError: the first statement that does not compile.
    """
    out = []
    for span in split_statements(sql):
        query = analyse(parse_statement(sql, span), catalog, default_domain=default_domain)
        if query.name is not None:
            catalog = catalog.with_product(derived_product(query, derive(query, catalog)))
        out.append(query)
    return out
