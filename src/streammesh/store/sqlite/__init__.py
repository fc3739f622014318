"""The SQLite metadata store, the embedded default."""

from streammesh.store.sqlite.store import SqliteCatalogStore

__all__ = ["SqliteCatalogStore"]
