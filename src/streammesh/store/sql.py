"""A catalog store over any SQL database through SQLAlchemy Core.

Backends subclass :class:`SqlCatalogStore` and supply only what differs: connection setup and the
full-text index (SQLite FTS5, PostgreSQL text search). Statements that portable SQL cannot spell the
same way everywhere (upserts, locks) go through :mod:`streammesh.store.dialects`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, Engine, RowMapping, Text, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from streammesh.contracts.model import Contract
from streammesh.exceptions import ConflictError, ValidationError
from streammesh.model.catalog import (
    FACETS,
    Activity,
    ConsumerInfo,
    Domain,
    Product,
    ProductVersion,
    SearchHit,
    SearchResult,
    Team,
)
from streammesh.schemas import SchemaError, SchemaField, load_schema
from streammesh.store import tables as t
from streammesh.store.base.store import BaseMetadataStore
from streammesh.store.dialects import serialize, upsert
from streammesh.store.facet_index import FacetIndex
from streammesh.store.migrations import migrate
from streammesh.store.processing_sql import SqlProcessingStore
from streammesh.store.schema_sql import SqlSchemaStore
from streammesh.store.search_state import BROAD_TERM, SearchState, TermKey, TermRanks, share_state, shared_state
from streammesh.store.timestamps import aware as _aware
from streammesh.store.timestamps import utcnow

__all__ = ["SqlCatalogStore", "utcnow"]


def schema_fields(contract: Contract) -> list[SchemaField]:
    """The contract's schema fields, or none when the schema cannot be parsed (policies report that)."""
    try:
        return load_schema(contract.schema_).fields
    except SchemaError:
        return []


# a page of search hits: the products' columns with the contract as its JSON text (parsed with orjson, several
# times faster than the JSON type's json.loads), named through one cached statement with an expanding IN
_PAGE = select(*(cast(c, Text).label(c.name) if c.name == "contract" else c for c in t.products.c)).where(
    t.products.c.name.in_(bindparam("names", expanding=True))
)
#: what tells a search whether its cached facet values are still current (see SqlCatalogStore._search_state)
_MARKER = select(func.count(), func.sum(t.products.c.revision), func.max(t.products.c.updated_at))


class SqlCatalogStore(SqlSchemaStore, SqlProcessingStore, BaseMetadataStore):
    """Everything but connection setup and full-text matching, in portable SQL."""

    #: queries matching at least this many products are ranked term by term, each term's ranking kept until
    #: the catalog changes (see :meth:`_ranked_matches`); None ranks every query as a whole in the database
    broad_term: int | None = BROAD_TERM

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._search: SearchState | None = None  # the last one used (keeps it shared with the process's stores)
        with self.engine.begin() as conn:
            migrate(conn, self)

    # -- backend hooks -------------------------------------------------------------------------
    @abstractmethod
    def create_search_index(self, conn: Connection) -> None:
        """Create the full-text index (called by the first migration)."""

    @abstractmethod
    def index_product(self, conn: Connection, product: Product, fields: list[SchemaField]) -> None:
        """Add or replace the product's full-text entry."""

    @abstractmethod
    def match(self, conn: Connection, query: str) -> dict[str, float]:
        """Names of products matching ``query`` with a score (higher is better)."""

    @property
    def database(self) -> str:
        """Names the database (its URL, with the search path when it sets one): the stores of a process
        opened on the same database share their search state."""
        return self.engine.url.render_as_string(hide_password=True)

    def prepare_match(self, conn: Connection) -> None:
        """Called once before a search's full-text statements (session settings for them)."""

    def term_keys(self, query: str) -> list[TermKey] | None:
        """The terms of ``query`` as the store ranks them one by one (see :meth:`rank_term`), in query order;
        None when the store ranks whole queries only (every search then runs :meth:`match_numbers`)."""
        return None

    def match_count(self, conn: Connection, query: str) -> int:
        """How many products match ``query``, without ranking them."""
        raise NotImplementedError

    def rank_term(self, conn: Connection, key: TermKey, index: FacetIndex) -> TermRanks | None:
        """The ranking of a query of this one term over the catalog; None when it hits a product ``index``
        does not hold (saved since it was built)."""
        raise NotImplementedError

    def combine_terms(
        self, conn: Connection, query: str, keys: list[TermKey], ranks: list[TermRanks], index: FacetIndex
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """What :meth:`match_numbers` gives for ``query``, computed from its terms' rankings; None when the
        store cannot tell it exactly for this query."""
        raise NotImplementedError

    # -- teams and domains ---------------------------------------------------------------------
    def add_team(self, team: Team) -> Team:
        team.created_at = team.created_at or utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(t.teams).values(
                        name=team.name,
                        display_name=team.display_name,
                        domain=team.domain,
                        on_call=team.on_call,
                        channel=team.channel,
                        created_at=team.created_at,
                    )
                )
        except IntegrityError:
            raise ConflictError(f"team {team.name!r} is already registered") from None
        return team

    def get_team(self, name: str) -> Team | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.teams).where(t.teams.c.name == name)).mappings().first()
        return self._team(row) if row else None

    def list_teams(self) -> list[Team]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.teams).order_by(t.teams.c.name)).mappings().all()
        return [self._team(r) for r in rows]

    @staticmethod
    def _team(row: RowMapping) -> Team:
        return Team(
            name=row["name"],
            display_name=row["display_name"],
            domain=row["domain"],
            on_call=row["on_call"],
            channel=row["channel"],
            created_at=_aware(row["created_at"]),
        )

    def list_domains(self) -> list[Domain]:
        with self.engine.connect() as conn:
            team_counts: dict[str, int] = dict(
                conn.execute(
                    select(t.teams.c.domain, func.count())
                    .where(t.teams.c.domain.is_not(None))
                    .group_by(t.teams.c.domain)
                ).all()
            )
            product_counts: dict[str, int] = dict(
                conn.execute(select(t.products.c.domain, func.count()).group_by(t.products.c.domain)).all()
            )
        names = sorted({*team_counts, *product_counts})
        return [Domain(n, team_counts.get(n, 0), product_counts.get(n, 0)) for n in names]

    # -- products ------------------------------------------------------------------------------
    @staticmethod
    def _product(row: RowMapping) -> Product:
        contract = row["contract"]
        if isinstance(contract, str):  # read as text (search pages)
            contract = orjson.loads(contract)
        return Product(
            contract=Contract.model_validate(contract),
            status=row["status"],
            revision=row["revision"],
            stream=row["stream"],
            cluster=row["cluster"],
            created_at=_aware(row["created_at"]),
            updated_at=_aware(row["updated_at"]),
            published_at=_aware(row["published_at"]),
        )

    def get_product(self, name: str) -> Product | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.products).where(t.products.c.name == name)).mappings().first()
        return self._product(row) if row else None

    def list_products(
        self, *, domain: str | None = None, status: str | None = None, owner: str | None = None
    ) -> list[Product]:
        q = select(t.products).order_by(t.products.c.name)
        for column, value in (("domain", domain), ("status", status), ("owner", owner)):
            if value is not None:
                q = q.where(t.products.c[column] == value)
        with self.engine.connect() as conn:
            return [self._product(r) for r in conn.execute(q).mappings().all()]

    def save_product(self, product: Product, *, expected_revision: int | None) -> Product:
        now = utcnow()
        c = product.contract
        c.status = product.status
        values: dict[str, Any] = {
            "domain": c.domain,
            "owner": c.owner,
            "title": c.title,
            "description": c.description,
            "status": product.status,
            "version": c.version,
            "tier": c.sla.tier,
            "quality": c.quality,
            "stream": product.stream or c.name,
            "cluster": product.cluster,
            "contract": c.to_dict(),
            "updated_at": now,
            "published_at": product.published_at,
        }
        fields = schema_fields(c)
        with self.engine.begin() as conn:
            if expected_revision is None:
                try:
                    conn.execute(insert(t.products).values(name=c.name, revision=1, created_at=now, **values))
                except IntegrityError:
                    raise ConflictError(f"product {c.name!r} already exists") from None
                product.created_at, product.revision = now, 1
            else:
                done = conn.execute(
                    update(t.products)
                    .where(t.products.c.name == c.name, t.products.c.revision == expected_revision)
                    .values(revision=expected_revision + 1, **values)
                ).rowcount
                if not done:
                    raise ConflictError(
                        f"product {c.name!r} was changed by someone else (expected revision {expected_revision})",
                        hint="reload it and apply your change again",
                    )
                product.revision = expected_revision + 1
            product.updated_at, product.stream = now, values["stream"]
            for table in (t.product_tags, t.product_classifications, t.product_fields):
                conn.execute(delete(table).where(table.c.product == c.name))
            if c.tags:
                conn.execute(insert(t.product_tags), [{"product": c.name, "tag": tag} for tag in set(c.tags)])
            if c.classifications:
                conn.execute(
                    insert(t.product_classifications),
                    [{"product": c.name, "field": f, "classification": cls} for f, cls in c.classifications.items()],
                )
            if fields:
                conn.execute(
                    insert(t.product_fields),
                    [
                        {"product": c.name, "path": f.path, "type": f.type, "doc": f.doc}
                        for f in {f.path: f for f in fields}.values()
                    ],
                )
            self.index_product(conn, product, fields)
        return product

    def add_version(self, version: ProductVersion) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(t.product_versions).values(
                        product=version.name,
                        version=version.version,
                        contract=version.contract.to_dict(),
                        created_at=version.created_at or utcnow(),
                    )
                )
        except IntegrityError:
            raise ConflictError(
                f"{version.name} version {version.version} is already recorded", hint="bump 'version' in the contract"
            ) from None

    def list_versions(self, name: str) -> list[ProductVersion]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(t.product_versions)
                    .where(t.product_versions.c.product == name)
                    .order_by(t.product_versions.c.created_at)
                )
                .mappings()
                .all()
            )
        return [
            ProductVersion(r["product"], r["version"], Contract.model_validate(r["contract"]), _aware(r["created_at"]))
            for r in rows
        ]

    # -- search --------------------------------------------------------------------------------
    def search(
        self, query: str, *, filters: Mapping[str, Sequence[str]] | None = None, limit: int = 20, offset: int = 0
    ) -> SearchResult:
        filters = {k: list(v) for k, v in (filters or {}).items() if v}
        unknown = set(filters) - set(FACETS)
        if unknown:
            raise ValidationError(f"unknown facet(s) {', '.join(sorted(unknown))}; valid: {', '.join(FACETS)}")
        if limit < 1 or offset < 0:
            raise ValidationError(f"limit must be >= 1 and offset >= 0 (got limit={limit}, offset={offset})")
        with self.engine.connect() as conn:
            state = self._search_state(conn)  # read before the match, as the rows were
            index = state.index
            scores: np.ndarray | None = None
            matches: np.ndarray | None = None
            if query.strip():
                numbers, found = self._ranked_matches(conn, query, state)
                if len(found):  # relative to the best hit (1.0), so scores read the same whatever the corpus size
                    found = found / (found.max() or 1.0)
                known = numbers >= 0
                numbers, found = numbers[known], found[known]
                matches = np.zeros(index.size, dtype=bool)
                matches[numbers] = True
                scores = np.zeros(index.size, dtype=np.float64)
                scores[numbers] = found
            facets, selected = index.select(matches, filters)
            # by name (the index's order), then best score first (a stable sort)
            ordered = index.ranked(selected, scores) if scores is not None else selected
            page = ordered[offset : offset + limit]
            names = [index.names[i] for i in page]
            found_products = (
                {r["name"]: self._product(r) for r in conn.execute(_PAGE, {"names": names}).mappings()} if names else {}
            )
        hits = [
            SearchHit(found_products[n], float(scores[i]) if scores is not None else 0.0)
            for n, i in zip(names, page, strict=True)
            if n in found_products
        ]
        return SearchResult(hits=hits, total=len(selected), facets=facets)

    def match_numbers(self, conn: Connection, query: str, index: FacetIndex) -> tuple[np.ndarray, np.ndarray]:
        """The products matching ``query`` as ``index`` numbers (-1: not in the index) and their scores
        (higher is better). Stores that can name hits without building names override this."""
        scores = self.match(conn, query)
        return index.numbers(scores), np.fromiter(scores.values(), dtype=np.float64, count=len(scores))

    def _ranked_matches(self, conn: Connection, query: str, state: SearchState) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`match_numbers` for ``query``, from the cached rankings of its terms when the store has them.

        Ranking every match is what a broad search spends its time on (bm25 or ts_rank over 10,000 rows:
        10-25 ms), and the same terms come back in query after query (search as you type repeats all but
        the last word). So each broad term is ranked once over the whole catalog, kept until the catalog
        changes, and queries are combined from their terms, exactly as the database would rank them. A
        narrow query (fewer than :attr:`broad_term` matches) is ranked by one query, as before.
        """
        broad = self.broad_term
        keys = self.term_keys(query) if broad is not None else None
        if not keys or broad is None:
            return self.match_numbers(conn, query, state.index)
        cached = [state.term(key) for key in keys]
        if any(r is None for r in cached):
            self.prepare_match(conn)
            if len(keys) > 1 and self.match_count(conn, query) < broad:
                return self.match_numbers(conn, query, state.index)
        ranks: list[TermRanks] = []
        for key, ranked in zip(keys, cached):
            if ranked is None:
                ranked = self.rank_term(conn, key, state.index)
                if ranked is None:  # a product saved since the index was built
                    return self.match_numbers(conn, query, state.index)
                if ranked.count >= broad:
                    state.keep(key, ranked)
            ranks.append(ranked)
        if len(keys) > 1 and any(r.count == 0 for r in ranks):
            return self.match_numbers(conn, query, state.index)  # a term the database may read as no words
        combined = self.combine_terms(conn, query, keys, ranks, state.index)
        return combined if combined is not None else self.match_numbers(conn, query, state.index)

    def _search_state(self, conn: Connection) -> SearchState:
        """Every product's facet values (see :class:`FacetIndex`) and the cached term rankings, read once and
        kept until the catalog changes (shared with this process's other stores on the database).

        Reading them is most of a search's time in a large catalog, and they change only when a product
        is saved. Every save adds a row or raises a revision, so the products' count, revision sum and
        newest update time (read from an index) change with any write, from this process or another.
        """
        marker = self._catalog_marker(conn)
        state = self._search
        if state is not None and state.marker == marker:
            return state
        state = shared_state(self.database, marker)
        if state is None:
            state = share_state(self.database, SearchState(marker, self._facet_index(conn)))
        self._search = state
        return state

    def _facet_index(self, conn: Connection) -> FacetIndex:
        """Every product's facet values, read from the database."""
        tags: dict[str, set[str]] = {}
        for name, tag in conn.execute(select(t.product_tags.c.product, t.product_tags.c.tag)):
            tags.setdefault(name, set()).add(tag)
        classes: dict[str, set[str]] = {}
        for name, cls in conn.execute(
            select(t.product_classifications.c.product, t.product_classifications.c.classification)
        ):
            classes.setdefault(name, set()).add(cls)
        values = {
            name: {
                "domain": {domain},
                "tier": {tier} if tier else set(),
                "quality": {quality} if quality else set(),
                "status": {status},
                "tag": tags.get(name, set()),
                "classification": classes.get(name, set()),
            }
            for name, domain, tier, quality, status in conn.execute(
                select(
                    t.products.c.name, t.products.c.domain, t.products.c.tier, t.products.c.quality, t.products.c.status
                )
            )
        }
        return FacetIndex(values)

    def _catalog_marker(self, conn: Connection) -> tuple[Any, ...]:
        """Something that changes whenever a product is saved: the products' count, revision sum and newest
        update time. Stores with a cheaper way to tell that nothing changed override this."""
        return tuple(conn.execute(_MARKER).one())

    # -- activity and consumers ----------------------------------------------------------------
    def record_activity(
        self,
        kind: str,
        subject: str,
        *,
        actor: str | None = None,
        summary: str = "",
        details: dict[str, Any] | None = None,
    ) -> Activity:
        at = utcnow()
        with self.engine.begin() as conn:
            # ids must become visible in order, or a reader polling with after_id could skip one
            serialize(conn, "activity")
            key = conn.execute(
                insert(t.activity).values(
                    at=at,
                    kind=kind,
                    subject=subject,
                    actor=actor,
                    summary=summary,
                    details=details or {},
                )
            ).inserted_primary_key
            assert key is not None  # a one-row INSERT reports the key it made
            new_id = key[0]
        return Activity(new_id, at, kind, subject, actor, summary, details or {})

    def list_activity(
        self, *, limit: int = 50, subject: str | None = None, after_id: int | None = None
    ) -> list[Activity]:
        q = select(t.activity).order_by(t.activity.c.id.desc()).limit(limit)
        if subject is not None:
            q = q.where(t.activity.c.subject == subject)
        if after_id is not None:
            q = q.where(t.activity.c.id > after_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [
            Activity(
                r["id"],
                _aware(r["at"]),
                r["kind"],
                r["subject"],
                r["actor"],
                r["summary"],
                r["details"],
            )
            for r in rows
        ]

    def register_consumer(self, group: str, product: str, fields: Sequence[str]) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            upsert(
                conn,
                t.consumers,
                {"group_id": group, "product": product, "fields": list(fields), "first_seen": now, "last_seen": now},
                key=("group_id", "product"),
                keep=("first_seen",),
            )

    def list_consumers(self, product: str | None = None) -> list[ConsumerInfo]:
        q = select(t.consumers).order_by(t.consumers.c.product, t.consumers.c.group_id)
        if product is not None:
            q = q.where(t.consumers.c.product == product)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [
            ConsumerInfo(r["group_id"], r["product"], r["fields"], _aware(r["first_seen"]), _aware(r["last_seen"]))
            for r in rows
        ]

    def close(self) -> None:
        self.engine.dispose()
