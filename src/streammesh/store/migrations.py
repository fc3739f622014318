"""Versioned schema migrations for SQL catalog stores.

Each migration runs once, in order, inside the caller's transaction; ``schema_version`` records the
last one applied. Add a function to :data:`MIGRATIONS` to change the layout; never edit an old one.
Stores opened by several processes at once migrate one at a time (see :func:`migrate`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, inspect, select, text, update

from streammesh.exceptions import StreammeshError
from streammesh.store import tables as t
from streammesh.store.dialects import serialize

if TYPE_CHECKING:
    from streammesh.store.sql import SqlCatalogStore

__all__ = ["MIGRATIONS", "current_version", "migrate"]


_V1_TABLES = (
    "schema_version",
    "teams",
    "products",
    "product_tags",
    "product_classifications",
    "product_fields",
    "product_versions",
    "activity",
    "consumers",
)
_V2_TABLES = ("schemas", "subject_versions", "compatibility_config")
_V3_TABLES = ("apps", "lineage_edges")
_V5_TABLES = ("task_batches", "task_snapshots")


def _create(conn: Connection, names: tuple[str, ...]) -> None:
    t.metadata.create_all(conn, tables=[t.metadata.tables[n] for n in names])


def _v1_initial(conn: Connection, store: SqlCatalogStore) -> None:
    _create(conn, _V1_TABLES)
    store.create_search_index(conn)


def _v2_schema_registry(conn: Connection, store: SqlCatalogStore) -> None:
    _create(conn, _V2_TABLES)


def _v3_apps_and_lineage(conn: Connection, store: SqlCatalogStore) -> None:
    _create(conn, _V3_TABLES)


def _v4_products_revision_index(conn: Connection, store: SqlCatalogStore) -> None:
    # a catalog created at version 4 or later got the index with its table in _v1_initial
    next(i for i in t.products.indexes if i.name == "ix_products_revision").create(conn, checkfirst=True)


def _v5_task_state(conn: Connection, store: SqlCatalogStore) -> None:
    _create(conn, _V5_TABLES)


def _v6_app_placement(conn: Connection, store: SqlCatalogStore) -> None:
    # a catalog created at version 6 or later got the columns with its table in _v3_apps_and_lineage
    present = {c["name"] for c in inspect(conn).get_columns("apps")}
    for column in t.APP_PLACEMENT_COLUMNS:
        if column not in present:
            kind = t.apps.c[column].type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE apps ADD COLUMN {column} {kind}"))
    # apps deployed before placement ran one worker process each: they all move to the default worker,
    # and the ones that were running should run again there
    conn.execute(update(t.apps).where(t.apps.c.worker.is_(None)).values(worker="main"))
    conn.execute(update(t.apps).where(t.apps.c.instances.is_(None)).values(instances=1))
    active = t.apps.c.status.in_(("starting", "running", "stopping"))
    conn.execute(update(t.apps).where(t.apps.c.desired.is_(None) & active).values(desired="running"))
    conn.execute(update(t.apps).where(t.apps.c.desired.is_(None)).values(desired="stopped"))


MIGRATIONS: list[Callable[[Connection, SqlCatalogStore], None]] = [
    _v1_initial,
    _v2_schema_registry,
    _v3_apps_and_lineage,
    _v4_products_revision_index,
    _v5_task_state,
    _v6_app_placement,
]


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(select(t.schema_version.c.version)).scalar() or 0


def migrate(conn: Connection, store: SqlCatalogStore) -> int:
    """Bring the database up to the newest layout; returns the version it is at.

    Takes the ``migrations`` lock first, so a second process opening a new catalog waits for the
    first one's layout instead of creating the same tables again.
    """
    serialize(conn, "migrations")
    version = current_version(conn)
    if version > len(MIGRATIONS):
        raise StreammeshError(
            f"the catalog database is at layout version {version}, newer than this streammesh knows "
            f"({len(MIGRATIONS)})",
            hint="upgrade streammesh: pip install -U streammesh",
        )
    for step in MIGRATIONS[version:]:
        step(conn, store)
    if version == 0:
        conn.execute(insert(t.schema_version).values(version=len(MIGRATIONS)))
    elif version < len(MIGRATIONS):
        conn.execute(update(t.schema_version).values(version=len(MIGRATIONS)))
    return len(MIGRATIONS)
