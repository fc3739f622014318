"""The two statements portable SQL lacks, spelled for each database the catalog runs on.

SQLite serialises writers with its file lock, so a read-then-write in one transaction is safe there.
PostgreSQL lets writers interleave, so the shared code (1) writes "insert or replace" as one upsert
statement and (2) takes a transaction-scoped advisory lock where a read decides what to write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["serialize", "upsert"]

_INSERTS: dict[str, Callable[[Table], Any]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def upsert(
    conn: Connection, table: Table, values: Mapping[str, Any], *, key: Sequence[str], keep: Sequence[str] = ()
) -> None:
    """Insert ``values`` or, when a row with the same ``key`` exists, overwrite its other columns
    except those in ``keep`` (for example a first-seen time).

    Raises:
        NotImplementedError: the database has no upsert spelling here yet; add one to ``_INSERTS``.
    """
    dialect = conn.dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"no upsert for SQL dialect {dialect!r}; known: {', '.join(_INSERTS)}")
    stmt = _INSERTS[dialect](table).values(**values)
    changed = {c: stmt.excluded[c] for c in values if c not in key and c not in keep}
    if changed:
        conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=changed))
    else:
        conn.execute(stmt.on_conflict_do_nothing(index_elements=list(key)))


def serialize(conn: Connection, name: str) -> None:
    """Make transactions that call this with the same ``name`` run one after the other, until commit.

    On PostgreSQL it takes an advisory lock scoped to the transaction and to the current schema (two
    catalogs in one database don't wait for each other). On SQLite it does nothing, as before: the
    database's single write lock already lets one writer at a time commit.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/' || :name))"), {"name": name})
