"""The scale-out metadata store: the catalog in a PostgreSQL database, searched with its full-text search.

Everything but connection setup and search is the shared SQL of :class:`SqlCatalogStore`, so both
stores keep the same layout, migrations and answers. Search mirrors SQLite's FTS5 index: the same seven
columns with the same weights (one ``tsvector`` per column, ranked with ``ts_rank`` and summed with the
FTS5 column weights), every query term required, the last one a prefix. Broad queries are ranked from
each term's per-column ranks, kept between searches, to the same bits (see :mod:`.ranking`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Self

import numpy as np
from sqlalchemy import URL, Connection, create_engine, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError

from streammesh.exceptions import ValidationError
from streammesh.model.catalog import Product
from streammesh.schemas import SchemaField
from streammesh.store.exceptions import StoreUnavailableError
from streammesh.store.facet_index import FacetIndex
from streammesh.store.fulltext import (
    SEARCH_COLUMNS,
    SEARCH_WEIGHTS,
    normalise,
    query_terms,
    search_document,
)
from streammesh.store.postgresql.ranking import column_ranks, weighted_sum
from streammesh.store.search_state import TermKey, TermRanks
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
# the store's score: the column vectors' ts_rank for the OR of the terms, summed with the FTS5 column weights
_SCORE = " + ".join(f"{w} * ts_rank({v}, any_term)" for w, v in zip(SEARCH_WEIGHTS, _VECTORS, strict=True))
# one term's rank in each column vector, for all its matches in one row: the names, and the ranks as big-endian
# float4s (float4send), 7 per match in the same order; twice as fast to read as 10,000 rows of 8 values
_TERM_RANKS = (
    "SELECT array_agg(name), string_agg("
    + " || ".join(f"float4send(ts_rank({v}, term))" for v in _VECTORS)
    + ", ''::bytea) FROM products_search, CAST(:term AS tsquery) AS term WHERE document @@ term"
)


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

    shared = True

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
        conn.execute(
            text(
                'CREATE TABLE IF NOT EXISTS products_search (name text COLLATE "C" PRIMARY KEY '
                f"REFERENCES products (name) ON DELETE CASCADE, {vectors}, document tsvector NOT NULL)"
            )
        )
        conn.execute(
            text("CREATE INDEX IF NOT EXISTS ix_products_search_document ON products_search USING gin (document)")
        )

    def index_product(self, conn: Connection, product: Product, fields: list[SchemaField]) -> None:
        document = search_document(product, fields)
        casts = [f"CAST(:{column} AS tsvector)" for column in SEARCH_COLUMNS]
        conn.execute(
            text(
                f"INSERT INTO products_search (name, {', '.join(_VECTORS)}, document) "
                f"VALUES (:key, {', '.join(casts)}, {' || '.join(casts)}) ON CONFLICT (name) DO UPDATE SET "
                + ", ".join(f"{v} = EXCLUDED.{v}" for v in (*_VECTORS, "document"))
            ),
            {"key": product.contract.name, **{c: _tsvector(document[c]) for c in SEARCH_COLUMNS}},
        )

    def prepare_match(self, conn: Connection) -> None:
        """Match through the GIN index, also when most products match: the planner then prefers a sequential
        scan, which reads (detoasts) every product's whole ``document`` (20 ms on 10,000 products, against 2 ms
        for the index, whose answer needs no recheck for these queries). Lasts until the search's transaction
        ends (the connection goes back to the pool)."""
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")

    @staticmethod
    def _terms(query: str) -> list[str]:
        return [w for term in query_terms(query) for w in _lexemes(term)]

    def match(self, conn: Connection, query: str, *, among: list[str] | None = None) -> dict[str, float]:
        """Names and scores of the products matching ``query`` (of those named ``among``, when given)."""
        terms = self._terms(query)
        if not terms:
            return {}
        # a product matches when all terms occur somewhere (AND, as FTS5); each column then scores the
        # terms it holds (OR) and the column scores add up with the FTS5 column weights
        rows = conn.execute(
            text(
                f"SELECT name, {_SCORE} AS score FROM products_search, CAST(:all AS tsquery) AS all_terms, "
                "CAST(:any AS tsquery) AS any_term WHERE document @@ all_terms"
                + (" AND name = ANY(:among)" if among is not None else "")
            ),
            {"all": _tsquery(terms, "&"), "any": _tsquery(terms, "|"), "among": among},
        ).all()
        return {name: float(score) for name, score in rows}

    def term_keys(self, query: str) -> list[TermKey]:
        """The query's lexemes as (lexeme, is_prefix), the last one a prefix (see :meth:`match`)."""
        terms = self._terms(query)
        return [(term, i == len(terms) - 1) for i, term in enumerate(terms)]

    def match_count(self, conn: Connection, query: str) -> int:
        terms = self._terms(query)
        if not terms:
            return 0
        return conn.execute(
            text("SELECT count(*) FROM products_search WHERE document @@ CAST(:all AS tsquery)"),
            {"all": _tsquery(terms, "&")},
        ).scalar_one()

    def rank_term(self, conn: Connection, key: TermKey, index: FacetIndex) -> TermRanks | None:
        """Each column vector's ``ts_rank`` (float4) for a query of the lexeme alone, over its matches."""
        lexeme, prefix = key
        names, ranks = conn.execute(text(_TERM_RANKS), {"term": f"'{lexeme}'" + (":*" if prefix else "")}).one()
        numbers = index.numbers(names or ())
        if len(numbers) and int(numbers.min()) < 0:
            return None
        matched = np.zeros(index.size, dtype=bool)
        matched[numbers] = True
        values = np.zeros((len(_VECTORS), index.size), dtype=np.float32)
        if ranks:
            values[:, numbers] = np.frombuffer(ranks, dtype=">f4").reshape(-1, len(_VECTORS)).T
        return TermRanks(matched, values, len(numbers))

    def combine_terms(
        self, conn: Connection, query: str, keys: list[TermKey], ranks: list[TermRanks], index: FacetIndex
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The store's scores rebuilt from the terms' per-column ranks (see :mod:`.ranking`); PostgreSQL
        ranks the few products whose ranks cannot be rebuilt exactly."""
        matched = ranks[0].matched
        for r in ranks[1:]:
            matched = matched & r.matched
        numbers = np.flatnonzero(matched)
        rebuilt = column_ranks(keys, [r.values[:, numbers] for r in ranks])
        if rebuilt is None:
            return None
        columns, undecided = rebuilt
        scores = weighted_sum(columns, SEARCH_WEIGHTS)
        if undecided.any():
            exact = self.match(conn, query, among=[index.names[i] for i in numbers[undecided]])
            at = index.numbers(exact)
            scores[np.searchsorted(numbers, at)] = np.fromiter(exact.values(), dtype=np.float64, count=len(exact))
        return numbers, scores
