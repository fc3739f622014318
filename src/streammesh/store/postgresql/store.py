"""The scale-out metadata store: the catalog in a PostgreSQL database, searched with its full-text search.

Everything but connection setup and search is the shared SQL of :class:`SqlCatalogStore`, so both
stores keep the same layout, migrations and answers. Search mirrors SQLite's FTS5 index: the same seven
columns with the same weights (one ``tsvector`` per column, ranked with ``ts_rank`` and summed with the
FTS5 column weights), every query term required, the last one a prefix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Self

from sqlalchemy import URL, Connection, create_engine, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError

from streammesh.catalog.models import Product
from streammesh.exceptions import ValidationError
from streammesh.schemas import SchemaField
from streammesh.store.exceptions import StoreUnavailableError
from streammesh.store.fulltext import (
    SEARCH_COLUMNS,
    SEARCH_WEIGHTS,
    normalise,
    query_terms,
    search_document,
)
from streammesh.store.sql import SqlCatalogStore

__all__ = ["PostgresqlCatalogStore"]

_URL_FORM = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
_CONFIG = "the metadata URL (init --metadata, mesh.yaml or STREAMMESH_METADATA)"
# PostgreSQL's own parser keeps 'sales.orders' as one host-name token and lower-cases by the server's
# locale; words are therefore split and normalised here, like SQLite's unicode61 tokenizer does.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MAX_LEXEME_BYTES = 2047  # PostgreSQL refuses longer words (to_tsvector skips them too)
_MAX_POSITION = 16383
_VECTORS = tuple(f"{column}_v" for column in SEARCH_COLUMNS)


def _lexemes(value: str) -> list[str]:
    return [w for w in _WORD.findall(normalise(value)) if len(w.encode()) <= _MAX_LEXEME_BYTES]


def _tsvector(value: str) -> str:
    """``value`` as a ``tsvector`` literal: its words with their positions, no parser or dictionary."""
    return " ".join(f"'{w}':{min(i, _MAX_POSITION)}" for i, w in enumerate(_lexemes(value), 1))


def _tsquery(terms: list[str], operator: str) -> str:
    """A ``tsquery`` literal joining ``terms`` with ``&`` or ``|``; the last term matches as a prefix."""
    return f" {operator} ".join(f"'{term}'" + (":*" if i == len(terms) - 1 else "") for i, term in enumerate(terms))


def _parse(url: str) -> URL:
    """Check the setting is a usable PostgreSQL URL and point it at psycopg 3."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        shown = re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
        raise ValidationError(f"metadata {shown!r} is not a URL", hint=f"write {_URL_FORM}") from None
    if parsed.get_backend_name() != "postgresql":
        raise ValidationError(f"metadata {url!r} is not a PostgreSQL URL", hint=f"write {_URL_FORM}")
    if not parsed.database:
        shown = parsed.render_as_string(hide_password=True)
        raise ValidationError(f"metadata {shown!r} names no database", hint=f"add it: {_URL_FORM}")
    return parsed.set(drivername="postgresql+psycopg")


def _unavailable(url: URL, error: DBAPIError) -> StoreUnavailableError:
    """Turn a driver error met while opening the catalog into one line with the URL and the fix."""
    shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
    detail = str(error.orig).strip()
    reason = detail.rsplit("FATAL:", 1)[-1] if "FATAL:" in detail else detail.rsplit("failed: ", 1)[-1]
    reason = " ".join(reason.split("\n", 1)[0].split())
    host, port, user, db = url.host or "localhost", url.port or 5432, url.username or "postgres", url.database
    lowered = reason.lower()
    if "database" in lowered and "does not exist" in lowered:
        hint = f"create it (createdb -h {host} -p {port} -U {user} {db}) or set {_CONFIG} to an existing database"
    elif "password" in lowered or "role" in lowered or "authentication" in lowered:
        hint = f"check the user and password in {_CONFIG}; PGPASSWORD and ~/.pgpass work too"
    elif "no schema has been selected" in lowered:
        hint = "create the schema named in the URL's search_path (CREATE SCHEMA ...) or drop the option"
    elif "permission denied" in lowered:
        hint = f"grant {user} CREATE on the schema (GRANT CREATE ON SCHEMA public TO {user}) or use a database it owns"
    else:
        hint = f"start PostgreSQL on {host}:{port}, or fix the host and port in {_CONFIG}"
    return StoreUnavailableError(f"cannot open the PostgreSQL catalog {shown}: {reason}", hint=hint)


class PostgresqlCatalogStore(SqlCatalogStore):
    """Catalog in a PostgreSQL database shared by every process and machine of the mesh.

    The tables live in the connection's current schema (``public`` unless the URL sets a search path,
    e.g. ``?options=-csearch_path%3Dmesh``), so several meshes can share one database.

    Example:
        >>> store = PostgresqlCatalogStore("postgresql://postgres@127.0.0.1:5432/mesh")  # doctest: +SKIP
        >>> store.search("orders").hits[0].product.name                                  # doctest: +SKIP
        'sales.orders'

    Raises:
        ValidationError: ``url`` is not a PostgreSQL URL naming a database.
        StoreUnavailableError: the server is unreachable, the database is missing or the user may not
            create the catalog's tables; the message names the URL, the hint the fix.
    """

    def __init__(self, url: str, *, connect_timeout: int = 10) -> None:
        parsed = _parse(url)
        connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": connect_timeout}
        # pre-ping: a catalog outlives server restarts and idle-connection reaping by proxies
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
        self.url = parsed.set(drivername="postgresql").render_as_string(hide_password=True)
        try:
            super().__init__(engine)
        except DBAPIError as e:
            engine.dispose()
            raise _unavailable(parsed, e) from None

    @classmethod
    def from_config(cls, url: str, workspace: Path) -> Self:
        """``metadata: postgresql://…``; the workspace holds nothing of the catalog."""
        return cls(url)

    def create_search_index(self, conn: Connection) -> None:
        vectors = ", ".join(f"{v} tsvector NOT NULL" for v in _VECTORS)
        conn.execute(text(
            'CREATE TABLE IF NOT EXISTS products_search (name text COLLATE "C" PRIMARY KEY '
            f"REFERENCES products (name) ON DELETE CASCADE, {vectors}, document tsvector NOT NULL)"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_products_search_document "
                          "ON products_search USING gin (document)"))

    def index_product(self, conn: Connection, product: Product, fields: list[SchemaField]) -> None:
        document = search_document(product, fields)
        casts = [f"CAST(:{column} AS tsvector)" for column in SEARCH_COLUMNS]
        conn.execute(text(
            f"INSERT INTO products_search (name, {', '.join(_VECTORS)}, document) "
            f"VALUES (:key, {', '.join(casts)}, {' || '.join(casts)}) ON CONFLICT (name) DO UPDATE SET "
            + ", ".join(f"{v} = EXCLUDED.{v}" for v in (*_VECTORS, "document"))),
            {"key": product.contract.name, **{c: _tsvector(document[c]) for c in SEARCH_COLUMNS}})

    def match(self, conn: Connection, query: str) -> dict[str, float]:
        terms = [w for term in query_terms(query) for w in _lexemes(term)]
        if not terms:
            return {}
        # a product matches when all terms occur somewhere (AND, as FTS5); each column then scores the
        # terms it holds (OR) and the column scores add up with the FTS5 column weights
        score = " + ".join(f"{w} * ts_rank({v}, any_term)" for w, v in zip(SEARCH_WEIGHTS, _VECTORS, strict=True))
        rows = conn.execute(text(
            f"SELECT name, {score} AS score FROM products_search, CAST(:all AS tsquery) AS all_terms, "
            "CAST(:any AS tsquery) AS any_term WHERE document @@ all_terms"),
            {"all": _tsquery(terms, "&"), "any": _tsquery(terms, "|")}).all()
        return {name: float(score) for name, score in rows}
