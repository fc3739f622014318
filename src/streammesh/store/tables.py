"""Relational layout of the catalog, shared by every SQL metadata store (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

__all__ = [
    "APP_PLACEMENT_COLUMNS",
    "activity",
    "apps",
    "compatibility_config",
    "consumers",
    "lineage_edges",
    "metadata",
    "product_classifications",
    "product_fields",
    "product_tags",
    "product_versions",
    "products",
    "schema_version",
    "schemas",
    "subject_versions",
    "task_batches",
    "task_snapshots",
    "teams",
]

metadata = MetaData()


def _str(length: int) -> TypeEngine[str]:
    """A name or label. SQLite neither enforces the length nor orders by locale, so on PostgreSQL it is
    unbounded text in the "C" (code point) collation: both stores accept and order the same values."""
    return String(length).with_variant(Text(collation="C"), "postgresql")


schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

teams = Table(
    "teams",
    metadata,
    Column("name", _str(100), primary_key=True),
    Column("display_name", _str(200), nullable=False, default=""),
    Column("domain", _str(100)),
    Column("on_call", _str(300)),
    Column("channel", _str(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("name", _str(249), primary_key=True),
    Column("domain", _str(100), nullable=False, index=True),
    Column("owner", _str(100), nullable=False, index=True),
    Column("title", _str(300)),
    Column("description", Text, nullable=False, default=""),
    Column("status", _str(20), nullable=False, index=True),
    Column("version", _str(50), nullable=False),
    Column("tier", _str(20)),
    Column("quality", _str(20)),
    Column("stream", _str(249), nullable=False),
    Column("cluster", _str(200), nullable=False),
    Column("contract", JSON, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    # layout version 4: searches read count, sum(revision) and max(updated_at) from it to tell whether
    # their cached facet values are still current (see SqlCatalogStore._catalog_marker)
    Index("ix_products_revision", "revision", "updated_at"),
)

product_tags = Table(
    "product_tags",
    metadata,
    Column("product", _str(249), ForeignKey("products.name", ondelete="CASCADE"), primary_key=True),
    Column("tag", _str(100), primary_key=True),
)
product_classifications = Table(
    "product_classifications",
    metadata,
    Column("product", _str(249), ForeignKey("products.name", ondelete="CASCADE"), primary_key=True),
    Column("field", _str(300), primary_key=True),
    Column("classification", _str(50), nullable=False),
)
product_fields = Table(
    "product_fields",
    metadata,
    Column("product", _str(249), ForeignKey("products.name", ondelete="CASCADE"), primary_key=True),
    Column("path", _str(300), primary_key=True),
    Column("type", _str(200), nullable=False),
    Column("doc", Text),
)
product_versions = Table(
    "product_versions",
    metadata,
    Column("product", _str(249), primary_key=True),
    Column("version", _str(50), primary_key=True),
    Column("contract", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
activity = Table(
    "activity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", _str(50), nullable=False),
    Column("subject", _str(249), nullable=False),
    Column("actor", _str(100)),
    Column("summary", Text, nullable=False, default=""),
    Column("details", JSON, nullable=False),
    Index("ix_activity_subject", "subject"),
)
consumers = Table(
    "consumers",
    metadata,
    Column("group_id", _str(249), primary_key=True),
    Column("product", _str(249), primary_key=True),
    Column("fields", JSON, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)

# -- schema registry (layout version 2) ---------------------------------------------------------
schemas = Table(
    "schemas",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("format", _str(30), nullable=False),
    Column("text", Text, nullable=False),
    Column("fingerprint", _str(64), nullable=False, unique=True),
    Column("references", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
subject_versions = Table(
    "subject_versions",
    metadata,
    Column("subject", _str(300), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("schema_id", Integer, ForeignKey("schemas.id"), nullable=False, index=True),
    Column("deleted", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
compatibility_config = Table(
    "compatibility_config",
    metadata,
    Column("subject", _str(300), primary_key=True),  # '' is the global default
    Column("level", _str(30), nullable=False),
)

# -- derived products: apps and lineage (layout version 3) ---------------------------------------
apps = Table(
    "apps",
    metadata,
    Column("name", _str(200), primary_key=True),
    Column("sql", Text, nullable=False),
    Column("owner", _str(100), nullable=False),
    Column("products", JSON, nullable=False),
    Column("status", _str(20), nullable=False),
    Column("pid", Integer),
    Column("started_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("metrics", JSON, nullable=False),
    Column("error", Text),
    # placement (layout version 6): the worker hosting the app, its instance count, the state asked for
    Column("worker", _str(100)),
    Column("instances", Integer),
    Column("desired", _str(20)),
)
#: the columns layout version 6 added to ``apps`` (older catalogs get them by ALTER TABLE)
APP_PLACEMENT_COLUMNS = ("worker", "instances", "desired")
lineage_edges = Table(
    "lineage_edges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("product", _str(249), nullable=False, index=True),
    Column("input_product", _str(249), nullable=False, index=True),
    Column("output_field", _str(300)),
    Column("input_field", _str(300)),
    Column("kind", _str(30), nullable=False),
)

# -- partition tasks' state, shared by an app's instances on any machine (layout version 5) -----------
#: each micro-batch's intent (input ranges, output bases, idle partitions), written before its outputs:
#: a new owner replays these from the last snapshot; the primary key lets one owner write batch n
task_batches = Table(
    "task_batches",
    metadata,
    Column("app", _str(200), primary_key=True),
    Column("product", _str(249), primary_key=True),
    Column("task", _str(20), primary_key=True),
    Column("batch", BigInteger, primary_key=True, autoincrement=False),
    Column("fingerprint", _str(32), nullable=False),
    Column("intent", JSON, nullable=False),
)
#: the latest snapshot of a task's state tables (a DuckDB export), taken every so often after a commit
task_snapshots = Table(
    "task_snapshots",
    metadata,
    Column("app", _str(200), primary_key=True),
    Column("product", _str(249), primary_key=True),
    Column("task", _str(20), primary_key=True),
    Column("fingerprint", _str(32), nullable=False),
    Column("batch", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)
