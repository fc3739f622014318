"""Metadata-store fixtures: store-level tests run on every registered store (SQLite and PostgreSQL).

PostgreSQL is the machine's server (``STREAMMESH_TEST_POSTGRESQL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``, used to create databases). Each test module gets a
fresh database, dropped afterwards, and each catalog a fresh schema in it, which is much cheaper than
a database per test. Without a server the PostgreSQL cases skip with the reason, except under
``CI=true`` where they fail: the suite must not go green by testing less.

Use it like QS's ``store_type``: ``pytestmark = every_store`` (or the mark on one test) runs the test
once per store; fixtures then build catalogs for the store under test, and ``mesh_factory`` meshes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url

from streammesh.plugins import metadata_stores
from streammesh.store.base import BaseCatalogStore

__all__ = [
    "ADMIN_URL",
    "every_store",
    "metadata_factory",
    "postgres_admin",
    "postgres_database",
    "store_backend",
    "store_factory",
]

ADMIN_URL = os.environ.get("STREAMMESH_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/postgres")

every_store = pytest.mark.parametrize("store_backend", metadata_stores.names(), indirect=True)


def _conninfo(url: str) -> str:
    """libpq takes ``postgresql://`` URLs; drop a SQLAlchemy driver suffix if someone set one."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """The admin URL of a reachable PostgreSQL server, or a loud skip (a failure under CI)."""
    try:
        with psycopg.connect(_conninfo(ADMIN_URL), connect_timeout=5):
            pass
    except psycopg.Error as e:
        reason = (
            f"PostgreSQL store tests need a server at {ADMIN_URL} ({str(e).strip().splitlines()[0]}); "
            "start one or set STREAMMESH_TEST_POSTGRESQL"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return ADMIN_URL


@pytest.fixture(scope="module")
def postgres_database(postgres_admin: str) -> Iterator[str]:
    """A fresh database for one test module (``sm_test_<hex>``); dropped afterwards, connections or not."""
    name = f"sm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(postgres_admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(postgres_admin).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_conninfo(postgres_admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def store_backend(request: pytest.FixtureRequest) -> str:
    """The metadata store under test: the one parametrised through :data:`every_store`, else ``sqlite``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def metadata_factory(store_backend: str, request: pytest.FixtureRequest) -> Callable[[], str]:
    """Return a builder of ``metadata`` settings, each naming a new, empty catalog of the store under test."""
    if store_backend == "sqlite":
        return lambda: "sqlite"  # a catalog.db in each new workspace
    if store_backend == "postgresql":
        database_url = request.getfixturevalue("postgres_database")

        def new_schema() -> str:
            schema = f"t_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(_conninfo(database_url), autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            return f"{database_url}?options=-csearch_path%3D{schema}"

        return new_schema
    pytest.fail(f"no test provisioning for metadata store {store_backend!r}: add it to tests/stores.py", pytrace=False)


@pytest.fixture
def store_factory(
    store_backend: str, metadata_factory: Callable[[], str], tmp_path: Path
) -> Iterator[Callable[..., BaseCatalogStore]]:
    """Return a builder of stores of the backend under test: a new, empty catalog on each call, or with
    ``like=store`` a second connection to that store's catalog (as another process would open it)."""
    backend = metadata_stores.get(store_backend)
    opened: list[BaseCatalogStore] = []
    where: dict[int, tuple[str, Path]] = {}

    def make(*, like: BaseCatalogStore | None = None) -> BaseCatalogStore:
        if like is None:
            url, workspace = metadata_factory(), tmp_path / f"catalog-{uuid.uuid4().hex[:8]}"
        else:
            url, workspace = where[id(like)]
        store = backend.from_config(url, workspace)
        where[id(store)] = (url, workspace)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
