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
        rows = conn.execute(text(
            f"SELECT name, bm25(products_fts, {weights}) AS rank FROM products_fts "
            "WHERE products_fts MATCH :expr"), {"expr": expr.strip()}).all()
        # the name column holds 'sales.orders sales orders': the first word is the product name
        return {name.split(" ", 1)[0]: -rank for name, rank in rows}
