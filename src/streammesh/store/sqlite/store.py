"""The default metadata store: one SQLite file in the workspace, full-text search with FTS5."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Self

import numpy as np
from sqlalchemy import Connection, create_engine, event, text

from streammesh.model.catalog import Product
from streammesh.schemas import SchemaField
from streammesh.store.facet_index import FacetIndex
from streammesh.store.fulltext import SEARCH_COLUMNS, SEARCH_WEIGHTS, query_terms, search_document
from streammesh.store.search_state import TermKey, TermRanks
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
        # commits made through this store's engine: PRAGMA data_version does not see a connection's own
        self._commits = 0
        commits_lock = threading.Lock()

        @event.listens_for(engine, "commit")
        def _committed(_conn: Any) -> None:
            with commits_lock:  # a lost increment could hide a write from a connection that last read before it
                self._commits += 1

        # (facet index, FTS rowid -> product number in it; -1: no product, -2: not looked up yet)
        self._fts_numbers: tuple[FacetIndex | None, np.ndarray] = (None, np.full(0, -2, dtype=np.intp))
        super().__init__(engine)

    @classmethod
    def from_config(cls, url: str, workspace: Path) -> Self:
        """``metadata: sqlite`` keeps the catalog in the workspace, next to the embedded log."""
        return cls(workspace / "catalog.db")

    @property
    def database(self) -> str:
        return str(self.path.resolve())  # the URL may hold a relative path

    def _catalog_marker(self, conn: Connection) -> tuple[Any, ...]:
        """The shared marker, read again only when the database may have changed since this connection last
        read it: ``PRAGMA data_version`` changes when another connection (of any process) commits, and the
        commit counter when one of this engine's connections does. Saves a scan of the products' index
        (about 2 ms on 10,000 products) on every search of an unchanged catalog."""
        commits = self._commits  # before the pragma: a commit in between makes the next search read again
        version = conn.exec_driver_sql("PRAGMA data_version").scalar()
        info = conn.connection.info
        seen = info.get("streammesh.catalog_marker")
        if seen is not None and seen[0] == version and seen[1] == commits:
            return seen[2]
        marker = super()._catalog_marker(conn)
        info["streammesh.catalog_marker"] = (version, commits, marker)
        return marker

    def create_search_index(self, conn: Connection) -> None:
        cols = ", ".join(SEARCH_COLUMNS)
        conn.execute(
            text(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5({cols}, "
                "tokenize='unicode61 remove_diacritics 2')"
            )
        )

    def index_product(self, conn: Connection, product: Product, fields: list[SchemaField]) -> None:
        document = search_document(product, fields)
        # the name column holds 'sales.orders sales orders'; matching only the bare name (as before)
        # left the old entry behind, so its old words kept matching: both forms are removed
        conn.execute(
            text(
                "DELETE FROM products_fts WHERE rowid IN "
                "(SELECT rowid FROM products_fts WHERE name = :key OR name = :indexed)"
            ),
            {"key": product.contract.name, "indexed": document["name"]},
        )
        conn.execute(
            text(
                f"INSERT INTO products_fts ({', '.join(SEARCH_COLUMNS)}) VALUES "
                f"({', '.join(':' + col for col in SEARCH_COLUMNS)})"
            ),
            document,
        )

    def _match_expression(self, query: str) -> str | None:
        keys = self.term_keys(query)
        return " ".join(self._phrase(key) for key in keys) if keys else None

    def term_keys(self, query: str) -> list[TermKey]:
        """The query's FTS5 phrases as (word, is_prefix): every term must match (AND); the last may be a prefix
        so search-as-you-type works."""
        terms = query_terms(query)
        return [(term, i == len(terms) - 1) for i, term in enumerate(terms)]

    @staticmethod
    def _phrase(key: TermKey) -> str:
        term, prefix = key
        return f'"{term}"*' if prefix else f'"{term}"'

    def match(self, conn: Connection, query: str) -> dict[str, float]:
        expr = self._match_expression(query)
        if expr is None:
            return {}
        weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
        rows = conn.exec_driver_sql(
            f"SELECT name, bm25(products_fts, {weights}) FROM products_fts WHERE products_fts MATCH ?", (expr,)
        ).all()
        # the name column holds 'sales.orders sales orders': the first word is the product name
        return {name.split(" ", 1)[0]: -rank for name, rank in rows}

    def match_numbers(self, conn: Connection, query: str, index: FacetIndex) -> tuple[np.ndarray, np.ndarray]:
        expr = self._match_expression(query)
        if expr is None:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64)
        return self._ranked_rows(conn, expr, index)

    def match_count(self, conn: Connection, query: str) -> int:
        expr = self._match_expression(query)
        return (
            conn.exec_driver_sql("SELECT count(*) FROM products_fts WHERE products_fts MATCH ?", (expr,)).scalar_one()
            if expr
            else 0
        )

    def rank_term(self, conn: Connection, key: TermKey, index: FacetIndex) -> TermRanks | None:
        """The phrase's bm25 part for every product it matches (what a query of the phrase alone scores)."""
        numbers, scores = self._ranked_rows(conn, self._phrase(key), index)
        if len(numbers) and int(numbers.min()) < 0:
            return None
        matched = np.zeros(index.size, dtype=bool)
        matched[numbers] = True
        values = np.zeros(index.size, dtype=np.float64)
        values[numbers] = scores
        return TermRanks(matched, values, len(numbers))

    def combine_terms(
        self, conn: Connection, query: str, keys: list[TermKey], ranks: list[TermRanks], index: FacetIndex
    ) -> tuple[np.ndarray, np.ndarray]:
        """FTS5's bm25 is a sum over the query's phrases, in phrase order from 0.0, of a part that depends only
        on the phrase and the row (its IDF over the whole table, its weighted frequency in the row, the row's
        length): adding the phrases' parts in the same order gives the same doubles, bit for bit."""
        matched = ranks[0].matched
        total = 0.0 + ranks[0].values
        for r in ranks[1:]:
            matched = matched & r.matched
            total = total + r.values
        numbers = np.flatnonzero(matched)
        return numbers, total[numbers]

    def _ranked_rows(self, conn: Connection, expr: str, index: FacetIndex) -> tuple[np.ndarray, np.ndarray]:
        """Index numbers (-1: not in ``index``) and ``-bm25`` of the rows matching the FTS5 expression."""
        weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
        # reading a column makes FTS5 load the whole indexed document (descriptions, field names), which
        # costs twice the ranking in a big catalog; so hits come back as rowids, numbered through a map
        # kept with the facet index (every write re-indexes a product under a new rowid and changes the
        # catalog's marker, which rebuilds the index)
        driver = conn.connection.driver_connection
        assert driver is not None  # an open connection has its DB-API connection
        cursor = driver.execute(
            f"SELECT rowid, -bm25(products_fts, {weights}) FROM products_fts WHERE products_fts MATCH ?", (expr,)
        )
        rows = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 2)
        rowids, scores = rows[:, 0].astype(np.int64), rows[:, 1]
        if self._fts_numbers[0] is not index:
            self._fts_numbers = (index, np.full(0, -2, dtype=np.intp))
        numbers = self._fts_numbers[1]
        if len(rowids) and int(rowids.max()) >= len(numbers):
            grown = np.full(int(rowids.max()) + 1, -2, dtype=np.intp)  # -2: not looked up yet
            grown[: len(numbers)] = numbers
            numbers = grown
        unknown = rowids[numbers[rowids] == -2].tolist()
        for i in range(0, len(unknown), 500):
            chunk = unknown[i : i + 500]
            numbers[chunk] = -1
            # the name column holds 'sales.orders sales orders': the first word is the product name
            for rowid, name in conn.exec_driver_sql(
                f"SELECT rowid, name FROM products_fts WHERE rowid IN ({', '.join('?' * len(chunk))})", tuple(chunk)
            ):
                numbers[rowid] = index.number.get(name.split(" ", 1)[0], -1)
        self._fts_numbers = (index, numbers)
        return numbers[rowids], scores
