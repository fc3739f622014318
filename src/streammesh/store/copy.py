"""Copy a whole catalog from one SQL metadata store to another, row for row (``streammesh migrate``).

Both stores share one relational layout (:mod:`streammesh.store.tables`), so the copy moves rows, not
objects: every id (schema ids that serializers embed in events, activity ids, lineage ids), revision
and timestamp arrives unchanged, in one transaction of the target. The target's full-text index is
rebuilt from the copied products and, on PostgreSQL, id sequences continue after the copied ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text, update

from streammesh.exceptions import ValidationError
from streammesh.store import tables as t
from streammesh.store.base import BaseMetadataStore
from streammesh.store.sql import SqlCatalogStore, schema_fields
from streammesh.store.timestamps import aware

__all__ = ["CATALOG_TABLES", "catalog_counts", "catalog_identity", "copy_catalog", "set_cluster"]

#: Tables in copy order (referenced tables first); ``schema_version`` is the target's own.
CATALOG_TABLES: tuple[Table, ...] = (
    t.teams,
    t.products,
    t.product_tags,
    t.product_classifications,
    t.product_fields,
    t.product_versions,
    t.activity,
    t.consumers,
    t.schemas,
    t.subject_versions,
    t.compatibility_config,
    t.apps,
    t.lineage_edges,
    t.task_batches,
    t.task_snapshots,  # empty from an embedded mesh; copied whole between SQL stores
)
_SEQUENCES = ((t.activity, "id"), (t.schemas, "id"), (t.lineage_edges, "id"))
_CHUNK = 1_000


def _sql(store: BaseMetadataStore, role: str) -> SqlCatalogStore:
    if not isinstance(store, SqlCatalogStore):
        raise ValidationError(
            f"the {role} catalog ({type(store).__name__}) is not a SQL store; "
            "migrate copies catalogs between SQL stores (sqlite, postgresql)"
        )
    return store


def catalog_counts(store: BaseMetadataStore) -> dict[str, int]:
    """Rows per catalog table (``teams``, ``products``, ``schemas``...)."""
    sql = _sql(store, "source")
    with sql.engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one() for table in CATALOG_TABLES
        }


def catalog_identity(store: BaseMetadataStore) -> tuple[frozenset[str], frozenset[str], frozenset[tuple[int, str]]]:
    """What tells two catalogs apart: team names, product names and (schema id, fingerprint) pairs."""
    sql = _sql(store, "target")
    with sql.engine.connect() as conn:
        teams = frozenset(conn.execute(select(t.teams.c.name)).scalars())
        products = frozenset(conn.execute(select(t.products.c.name)).scalars())
        schemas = frozenset((i, f) for i, f in conn.execute(select(t.schemas.c.id, t.schemas.c.fingerprint)))
    return teams, products, schemas


def _rows(conn: Connection, table: Table, cluster: str | None) -> Iterable[list[dict[str, Any]]]:
    """The table's rows in chunks, datetimes made zone-aware (SQLite hands them back naive, in UTC)."""
    order = list(table.primary_key.columns)
    result = conn.execute(select(table).order_by(*order)).mappings()
    while chunk := result.fetchmany(_CHUNK):
        rows = [{k: aware(v) if isinstance(v, datetime) else v for k, v in row.items()} for row in chunk]
        if table is t.products and cluster is not None:
            for row in rows:
                row["cluster"] = cluster
        yield rows


def copy_catalog(source: BaseMetadataStore, target: BaseMetadataStore, *, cluster: str | None = None) -> dict[str, int]:
    """Copy every row of ``source``'s catalog into the empty catalog ``target``, in one transaction.

    Args:
        cluster: the value of every product's ``cluster`` in the target (where their streams now live);
            None keeps the source's.

    Returns:
        rows copied per table.

    Raises:
        ValidationError: either store is not a SQL store.
        sqlalchemy.exc.IntegrityError: the target was not empty (callers check first).
    """
    src, dst = _sql(source, "source"), _sql(target, "target")
    copied: dict[str, int] = {}
    with src.engine.connect() as read, dst.engine.begin() as write:
        for table in CATALOG_TABLES:
            copied[table.name] = 0
            for rows in _rows(read, table, cluster):
                write.execute(insert(table), rows)
                copied[table.name] += len(rows)
        for row in write.execute(select(t.products)).mappings().all():
            product = SqlCatalogStore._product(row)
            dst.index_product(write, product, schema_fields(product.contract))
        if write.dialect.name == "postgresql":  # serial ids continue after the copied ones
            for table, column in _SEQUENCES:
                write.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                        f"COALESCE((SELECT MAX({column}) FROM {table.name}), 0) + 1, false)"
                    ),
                    {"table": table.name, "column": column},
                )
    return copied


def set_cluster(store: BaseMetadataStore, cluster: str, products: Mapping[str, object] | None = None) -> int:
    """Record that the streams of ``products`` (default: all) live on ``cluster``; returns how many changed."""
    sql = _sql(store, "target")
    q = update(t.products).where(t.products.c.cluster != cluster).values(cluster=cluster)
    if products is not None:
        q = q.where(t.products.c.name.in_(list(products)))
    with sql.engine.begin() as conn:
        return conn.execute(q).rowcount
