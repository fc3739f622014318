"""The default metadata store: one SQLite file in the workspace, full-text search with FTS5."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, create_engine, event, text

from streammesh.catalog.models import Product
from streammesh.schemas import SchemaField
from streammesh.store.fulltext import SEARCH_COLUMNS, SEARCH_WEIGHTS, query_terms, search_document
from streammesh.store.sql import SqlCatalogStore

__all__ = ["SqliteCatalogStore"]


class SqliteCatalogStore(SqlCatalogStore):
    """Catalog in ``<workspace>/catalog.db`` (WAL mode, safe for several processes)."""

    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        self.path = path
        self._fts_names: tuple[Any, dict[int, str]] = (None, {})  # (facet-cache marker, FTS rowid -> product)
        super().__init__(engine)

    @classmethod
    def from_config(cls, url: str, workspace: Path) -> Self:
        """``metadata: sqlite`` keeps the catalog in the workspace, next to the embedded log."""
        return cls(workspace / "catalog.db")

    def create_search_index(self, conn: Connection) -> None:
        cols = ", ".join(SEARCH_COLUMNS)
        conn.execute(text(f"CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5({cols}, "
                          "tokenize='unicode61 remove_diacritics 2')"))

    def index_product(self, conn: Connection, product: Product, fields: list[SchemaField]) -> None:
        document = search_document(product, fields)
        # the name column holds 'sales.orders sales orders'; matching only the bare name (as before)
        # left the old entry behind, so its old words kept matching: both forms are removed
        conn.execute(text("DELETE FROM products_fts WHERE rowid IN "
                          "(SELECT rowid FROM products_fts WHERE name = :key OR name = :indexed)"),
                     {"key": product.contract.name, "indexed": document["name"]})
        conn.execute(text(f"INSERT INTO products_fts ({', '.join(SEARCH_COLUMNS)}) VALUES "
                          f"({', '.join(':' + col for col in SEARCH_COLUMNS)})"), document)

    def match(self, conn: Connection, query: str) -> dict[str, float]:
        terms = query_terms(query)
        if not terms:
            return {}
        # every term must match (AND); the last may be a prefix so search-as-you-type works
        expr = " ".join(f'"{term}"' for term in terms[:-1]) + f' "{terms[-1]}"*'
        weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
        # reading a column makes FTS5 load the whole indexed document (descriptions, field names), which
        # costs twice the ranking in a big catalog; so hits come back as rowids, named from a map that
        # is kept while the catalog is unchanged (every write re-indexes a product under a new rowid,
        # and changes the marker of the search's cached facet values)
        rows = conn.exec_driver_sql(
            f"SELECT rowid, bm25(products_fts, {weights}) FROM products_fts WHERE products_fts MATCH ?",
            (expr.strip(),)).all()
        marker = self._facet_cache[0] if self._facet_cache else None
        if self._fts_names[0] != marker or marker is None:
            self._fts_names = (marker, {})
        names = self._fts_names[1]
        unknown = [rowid for rowid, _ in rows if rowid not in names]
        for i in range(0, len(unknown), 500):
            chunk = unknown[i:i + 500]
            # the name column holds 'sales.orders sales orders': the first word is the product name
            names.update((rowid, name.split(" ", 1)[0]) for rowid, name in conn.exec_driver_sql(
                f"SELECT rowid, name FROM products_fts WHERE rowid IN ({', '.join('?' * len(chunk))})", tuple(chunk)))
        return {names[rowid]: -rank for rowid, rank in rows if rowid in names}
