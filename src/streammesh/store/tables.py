"""Relational layout of the catalog, shared by every SQL metadata store (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text

__all__ = ["metadata", "teams", "products", "product_tags", "product_classifications", "product_fields",
           "product_versions", "activity", "consumers", "schema_version", "schemas", "subject_versions",
           "compatibility_config", "apps", "lineage_edges"]

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

teams = Table(
    "teams", metadata,
    Column("name", String(100), primary_key=True),
    Column("display_name", String(200), nullable=False, default=""),
    Column("domain", String(100)),
    Column("on_call", String(300)),
    Column("channel", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

products = Table(
    "products", metadata,
    Column("name", String(249), primary_key=True),
    Column("domain", String(100), nullable=False, index=True),
    Column("owner", String(100), nullable=False, index=True),
    Column("title", String(300)),
    Column("description", Text, nullable=False, default=""),
    Column("status", String(20), nullable=False, index=True),
    Column("version", String(50), nullable=False),
    Column("tier", String(20)),
    Column("quality", String(20)),
    Column("stream", String(249), nullable=False),
    Column("cluster", String(200), nullable=False),
    Column("contract", JSON, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
)

_product_fk = {"ondelete": "CASCADE"}
product_tags = Table(
    "product_tags", metadata,
    Column("product", String(249), ForeignKey("products.name", **_product_fk), primary_key=True),
    Column("tag", String(100), primary_key=True),
)
product_classifications = Table(
    "product_classifications", metadata,
    Column("product", String(249), ForeignKey("products.name", **_product_fk), primary_key=True),
    Column("field", String(300), primary_key=True),
    Column("classification", String(50), nullable=False),
)
product_fields = Table(
    "product_fields", metadata,
    Column("product", String(249), ForeignKey("products.name", **_product_fk), primary_key=True),
    Column("path", String(300), primary_key=True),
    Column("type", String(200), nullable=False),
    Column("doc", Text),
)
product_versions = Table(
    "product_versions", metadata,
    Column("product", String(249), primary_key=True),
    Column("version", String(50), primary_key=True),
    Column("contract", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
activity = Table(
    "activity", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("subject", String(249), nullable=False),
    Column("actor", String(100)),
    Column("summary", Text, nullable=False, default=""),
    Column("details", JSON, nullable=False),
    Index("ix_activity_subject", "subject"),
)
consumers = Table(
    "consumers", metadata,
    Column("group_id", String(249), primary_key=True),
    Column("product", String(249), primary_key=True),
    Column("fields", JSON, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)

# -- schema registry (layout version 2) ---------------------------------------------------------
schemas = Table(
    "schemas", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("format", String(30), nullable=False),
    Column("text", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("references", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
subject_versions = Table(
    "subject_versions", metadata,
    Column("subject", String(300), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("schema_id", Integer, ForeignKey("schemas.id"), nullable=False, index=True),
    Column("deleted", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
compatibility_config = Table(
    "compatibility_config", metadata,
    Column("subject", String(300), primary_key=True),  # '' is the global default
    Column("level", String(30), nullable=False),
)

# -- derived products: apps and lineage (layout version 3) ---------------------------------------
apps = Table(
    "apps", metadata,
    Column("name", String(200), primary_key=True),
    Column("sql", Text, nullable=False),
    Column("owner", String(100), nullable=False),
    Column("products", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("pid", Integer),
    Column("started_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("metrics", JSON, nullable=False),
    Column("error", Text),
)
lineage_edges = Table(
    "lineage_edges", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("product", String(249), nullable=False, index=True),
    Column("input_product", String(249), nullable=False, index=True),
    Column("output_field", String(300)),
    Column("input_field", String(300)),
    Column("kind", String(30), nullable=False),
)
