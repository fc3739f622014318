"""The default metadata store: one SQLite file in the workspace, full-text search with FTS5."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import numpy as np
from sqlalchemy import Connection, create_engine, event, text

from streammesh.catalog.models import Product
from streammesh.schemas import SchemaField
from streammesh.store.facet_index import FacetIndex
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
        # (facet index, FTS rowid -> product number in it; -1: no product, -2: not looked up yet)
        self._fts_numbers: tuple[FacetIndex | None, np.ndarray] = (None, np.full(0, -2, dtype=np.intp))
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

    def _match_expression(self, query: str) -> str | None:
        terms = query_terms(query)
        if not terms:
            return None
        # every term must match (AND); the last may be a prefix so search-as-you-type works
        return (" ".join(f'"{term}"' for term in terms[:-1]) + f' "{terms[-1]}"*').strip()

    def match(self, conn: Connection, query: str) -> dict[str, float]:
        expr = self._match_expression(query)
        if expr is None:
            return {}
        weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
        rows = conn.exec_driver_sql(
            f"SELECT name, bm25(products_fts, {weights}) FROM products_fts WHERE products_fts MATCH ?",
            (expr,)).all()
        # the name column holds 'sales.orders sales orders': the first word is the product name
        return {name.split(" ", 1)[0]: -rank for name, rank in rows}

    def match_numbers(self, conn: Connection, query: str, index: FacetIndex) -> tuple[np.ndarray, np.ndarray]:
        expr = self._match_expression(query)
        if expr is None:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64)
        weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
        # reading a column makes FTS5 load the whole indexed document (descriptions, field names), which
        # costs twice the ranking in a big catalog; so hits come back as rowids, numbered through a map
        # kept with the facet index (every write re-indexes a product under a new rowid and changes the
        # catalog's marker, which rebuilds the index)
        cursor = conn.connection.driver_connection.execute(  # type: ignore[union-attr]
            f"SELECT rowid, -bm25(products_fts, {weights}) FROM products_fts WHERE products_fts MATCH ?", (expr,))
        rows = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 2)
        rowids, scores = rows[:, 0].astype(np.int64), rows[:, 1]
        if self._fts_numbers[0] is not index:
            self._fts_numbers = (index, np.full(0, -2, dtype=np.intp))
        numbers = self._fts_numbers[1]
        if len(rowids) and int(rowids.max()) >= len(numbers):
            grown = np.full(int(rowids.max()) + 1, -2, dtype=np.intp)  # -2: not looked up yet
            grown[:len(numbers)] = numbers
            numbers = grown
        unknown = rowids[numbers[rowids] == -2].tolist()
        for i in range(0, len(unknown), 500):
            chunk = unknown[i:i + 500]
            numbers[chunk] = -1
            # the name column holds 'sales.orders sales orders': the first word is the product name
            for rowid, name in conn.exec_driver_sql(
                    f"SELECT rowid, name FROM products_fts WHERE rowid IN ({', '.join('?' * len(chunk))})",
                    tuple(chunk)):
                numbers[rowid] = index.number.get(name.split(" ", 1)[0], -1)
        self._fts_numbers = (index, numbers)
        return numbers[rowids], scores
