"""The PostgreSQL metadata store, for meshes that outgrow one machine."""

from streammesh.store.postgresql.store import PostgresqlCatalogStore

__all__ = ["PostgresqlCatalogStore"]
