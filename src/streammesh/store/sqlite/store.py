"""The default metadata store: one SQLite file in the workspace, full-text search with FTS5."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, text

from streammesh.catalog.models import Product
from streammesh.schemas import SchemaField
from streammesh.store.sql import SqlCatalogStore

__all__ = ["SqliteCatalogStore"]

# bm25 column weights: a hit in the name counts most, then title, tags, field names...
_FTS_COLUMNS = ("name", "title", "tags", "fields", "domain", "owner", "description")
_WEIGHTS = (10.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0)
_TOKEN = re.compile(r"[\w]+", re.UNICODE)


def _words(value: str) -> str:
    """Split names like ``sales.orders`` and ``customer_email`` into words FTS can match one by one."""
    return " ".join(_TOKEN.findall(value.replace("_", " ").replace("-", " ")))


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

    def create_search_index(self, conn: Connection) -> None:
        cols = ", ".join(_FTS_COLUMNS)
        conn.execute(text(f"CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5({cols}, "
                          "tokenize='unicode61 remove_diacritics 2')"))

    def index_product(self, conn: Connection, product: Product, fields: list[SchemaField]) -> None:
        c = product.contract
        conn.execute(text("DELETE FROM products_fts WHERE rowid IN "
                          "(SELECT rowid FROM products_fts WHERE name = :key)"), {"key": c.name})
        values = {
            "name": c.name + " " + _words(c.name), "title": c.title or "", "tags": _words(" ".join(c.tags)),
            "fields": _words(" ".join(f.path for f in fields)), "domain": c.domain,
            "owner": _words(c.owner), "description": c.description,
        }
        conn.execute(text(f"INSERT INTO products_fts ({', '.join(_FTS_COLUMNS)}) VALUES "
                          f"({', '.join(':' + col for col in _FTS_COLUMNS)})"), values)

    def match(self, conn: Connection, query: str) -> dict[str, float]:
        terms = _TOKEN.findall(query.replace("_", " ").lower())
        if not terms:
            return {}
        # every term must match (AND); the last may be a prefix so search-as-you-type works
        expr = " ".join(f'"{term}"' for term in terms[:-1]) + f' "{terms[-1]}"*'
        weights = ", ".join(str(w) for w in _WEIGHTS)
        rows = conn.execute(text(
            f"SELECT name, bm25(products_fts, {weights}) AS rank FROM products_fts "
            "WHERE products_fts MATCH :expr"), {"expr": expr.strip()}).all()
        # the name column holds 'sales.orders sales orders': the first word is the product name
        return {name.split(" ", 1)[0]: -rank for name, rank in rows}
