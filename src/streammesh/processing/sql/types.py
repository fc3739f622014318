"""The small type system of streaming SQL, and how schema types map into it and out to JSON Schema.

Products come in JSON Schema, Avro and Protobuf, each with its own type names (``integer``, ``int``,
``int32``, ``string(date-time)``...). Type checking, DuckDB rendering and the derived product's schema only
need nine types, so every format's names are folded into these once, here:

=========  =====================================  =================  ==============================
type       from schema types                      DuckDB column      JSON Schema of an output field
=========  =====================================  =================  ==============================
string     string, enum, bytes, uuid/email/...    VARCHAR            ``{"type": "string"}``
int        integer, int, long, int32, uint64...   BIGINT             ``{"type": "integer"}``
double     number, double, float, decimal         DOUBLE             ``{"type": "number"}``
boolean    boolean, bool                          BOOLEAN            ``{"type": "boolean"}``
timestamp  string(date-time), timestamp-millis    TIMESTAMP (UTC)    string, format date-time
date       string(date), int(date)                DATE               string, format date
array      array<...>, repeated X                 LIST               ``{"type": "array"}``
record     object, record X, map<...>             STRUCT / MAP       ``{"type": "object"}``
any        unknown or mixed                       (as decoded)       ``{}``
=========  =====================================  =================  ==============================
"""

from __future__ import annotations

import re
from typing import Any, Literal

__all__ = [
    "NUMERIC",
    "SQL_TYPES",
    "SqlType",
    "common_type",
    "comparable",
    "describe",
    "duckdb_type",
    "from_schema_type",
    "from_sql_type_name",
    "json_schema_of",
]

SqlType = Literal["string", "int", "double", "boolean", "timestamp", "date", "array", "record", "any"]
SQL_TYPES: tuple[SqlType, ...] = ("string", "int", "double", "boolean", "timestamp", "date", "array", "record", "any")
NUMERIC: frozenset[str] = frozenset({"int", "double"})

_INTS = {
    "integer",
    "int",
    "long",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint32",
    "uint64",
    "sint32",
    "sint64",
    "fixed32",
    "fixed64",
    "sfixed32",
    "sfixed64",
    "short",
    "byte",
}
_DOUBLES = {"number", "double", "float", "decimal"}
_STRINGS = {"string", "enum", "bytes", "fixed", "str", "text", "uuid"}
_TIMESTAMP_LOGICAL = {
    "date-time",
    "timestamp-millis",
    "timestamp-micros",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "google.protobuf.Timestamp",
    "Timestamp",
}
_ATOM = re.compile(r"^(?P<base>[A-Za-z_][\w.]*)(?:\((?P<fmt>[^)]*)\))?$")


def _atom(name: str, *, enums: frozenset[str] = frozenset()) -> SqlType | None:
    """One non-null alternative of a schema type name; ``None`` for ``null``."""
    name = name.strip()
    if name in ("null", ""):
        return None
    if name.startswith(("array", "repeated ")):
        return "array"
    if name.startswith(("map<", "record", "object")):
        return "record"
    if name.startswith("enum"):
        return "string"
    m = _ATOM.match(name)
    if not m:
        return "any"
    base, fmt = m.group("base"), m.group("fmt")
    if fmt in _TIMESTAMP_LOGICAL or base in _TIMESTAMP_LOGICAL:
        return "timestamp"
    if fmt == "date":
        return "date"
    if fmt == "decimal":
        return "double"
    if base in _INTS:
        return "int"
    if base in _DOUBLES:
        return "double"
    if base in ("boolean", "bool"):
        return "boolean"
    if base in _STRINGS or base.rsplit(".", 1)[-1] in enums:
        return "string"
    return "any"


def from_schema_type(type_name: str, *, enums: frozenset[str] = frozenset()) -> tuple[SqlType, bool]:
    """Map a :class:`~streammesh.schemas.SchemaField` type name to a SQL type and whether it admits null.

    Args:
        type_name: e.g. ``string``, ``string|null``, ``integer``, ``array<object>``, ``string(date-time)``.
        enums: names of enum types of the schema (Protobuf enums are bare names such as ``Method``),
            which are strings in events.

    Example:
        >>> from_schema_type("string(date-time)|null")
        ('timestamp', True)
    """
    if type_name.startswith(("array", "map<", "repeated ")):
        return _atom(type_name, enums=enums) or "any", False
    parts = list(type_name.split("|"))
    nullable = any(p.strip() == "null" for p in parts)
    kinds = {k for k in (_atom(p, enums=enums) for p in parts) if k is not None}
    if len(kinds) == 1:
        return kinds.pop(), nullable
    if kinds == {"int", "double"}:
        return "double", nullable
    return "any", nullable or not kinds


_SQL_NAMES: dict[str, SqlType] = {
    **dict.fromkeys(("INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "UBIGINT", "UINT", "HUGEINT", "INT128"), "int"),
    **dict.fromkeys(("DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC", "BIGDECIMAL"), "double"),
    **dict.fromkeys(("TEXT", "VARCHAR", "CHAR", "NVARCHAR", "NCHAR", "STRING"), "string"),
    "BOOLEAN": "boolean",
    **dict.fromkeys(("TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMPLTZ", "DATETIME", "TIMESTAMP_MS"), "timestamp"),
    "DATE": "date",
}


def from_sql_type_name(name: str) -> SqlType | None:
    """The SQL type a ``CAST(... AS name)`` produces (``name`` as sqlglot spells it), or ``None``."""
    return _SQL_NAMES.get(name.upper())


def comparable(a: SqlType, b: SqlType) -> bool:
    """Whether values of types ``a`` and ``b`` may be compared (``=``, ``<``...) or mixed in CASE/COALESCE."""
    if "any" in (a, b) or a == b:
        return True
    if a in NUMERIC and b in NUMERIC:
        return True
    return {a, b} == {"timestamp", "date"}


def common_type(types: list[SqlType]) -> SqlType:
    """The type of a CASE or COALESCE over branches of ``types`` (which must be comparable)."""
    known = [t for t in types if t != "any"]
    if not known:
        return "any"
    if all(t in NUMERIC for t in known):
        return "double" if "double" in known else "int"
    if set(known) == {"timestamp", "date"}:
        return "timestamp"
    return known[0] if len(set(known)) == 1 else "any"


_JSON: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "int": {"type": "integer"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "timestamp": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "array": {"type": "array"},
    "record": {"type": "object"},
    "any": {},
}


def json_schema_of(t: SqlType, *, nullable: bool) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) node of an output field of type ``t``."""
    node = dict(_JSON[t])
    if nullable and "type" in node:
        node["type"] = [node["type"], "null"]
    return node


_DUCKDB: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "array": "JSON",
    "record": "JSON",
    "any": "JSON",
}


def duckdb_type(t: SqlType) -> str:
    """The DuckDB type an executor gives a column of SQL type ``t`` (nested values may keep their decoded
    Arrow type instead of ``JSON``)."""
    return _DUCKDB[t]


def describe(t: SqlType) -> str:
    """``t`` in words, for error messages (``a number``, ``text``...)."""
    return {
        "string": "text",
        "int": "an integer",
        "double": "a number",
        "boolean": "true/false",
        "timestamp": "a timestamp",
        "date": "a date",
        "array": "an array",
        "record": "a record",
        "any": "a value of unknown type",
    }[t]
