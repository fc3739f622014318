"""Compile an app script against the mesh as it is now: what each CREATE would publish, before anything runs.

``apps validate`` shows this plan, ``apps deploy`` publishes it and the worker recompiles it at start, so all
three agree on the derived products' contracts. Compilation only reads the catalog; it never writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from streammesh.context import SupportsContext
from streammesh.contracts.model import Contract
from streammesh.exceptions import ConflictError, ValidationError
from streammesh.processing.sql import (
    Derivation,
    Query,
    SqlCatalog,
    SqlError,
    compile_script,
    derive,
    derived_contract,
    derived_product,
)

__all__ = ["APP_NAME", "PlannedProduct", "check_app_name", "mesh_sql_catalog", "plan_app", "plan_app_owned"]

#: app names become folder and file names under ``<workspace>/apps``: keep them plain.
APP_NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")

#: lifecycle states whose products can be read by SQL (a draft has no stream, a retired one no future).
READABLE = ("published", "deprecated")


@dataclass(frozen=True, slots=True)
class PlannedProduct:
    """One CREATE statement of an app: its plan, what is derived from it and the contract it publishes."""

    query: Query
    derivation: Derivation
    contract: Contract

    @property
    def name(self) -> str:
        return self.contract.name

    def __iter__(self) -> Iterator[Any]:
        return iter((self.query, self.derivation, self.contract))


def check_app_name(name: str) -> str:
    """Refuse names that would not make a safe folder name.

    Raises:
        ValidationError: the name and a valid suggestion.
    """
    if not APP_NAME.fullmatch(name):
        suggestion = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_") or "my-app"
        if not suggestion[0].isalpha():
            suggestion = f"app-{suggestion}"
        raise ValidationError(
            f"app name {name!r} must be lowercase letters, digits, '-' or '_', starting with a "
            "letter (at most 63 characters)",
            hint=f"try --name {suggestion[:63]}",
        )
    return name


def mesh_sql_catalog(mesh: SupportsContext) -> SqlCatalog:
    """The products SQL may read: every published or deprecated product (derived ones marked as such
    by their contract, so an app can be redeployed over the products it created earlier)."""
    store = mesh.context.store
    return SqlCatalog.from_contracts(p.contract for status in READABLE for p in store.list_products(status=status))


def plan_app(mesh: SupportsContext, sql: str, *, owner: str, app: str | None = None) -> list[PlannedProduct]:
    """Compile every statement of ``sql`` and derive the contract of each product it creates.

    Args:
        owner: the team that will own the derived products (``@analytics-team``).
        app: the app's name, to allow redeploying over products this app defined before.

    Raises:
        SqlError: a statement does not compile (with its line, column and hint).
        ValidationError: the script is empty or holds a plain SELECT (which defines no product).
        ConflictError: a product is already defined by another app.
    """
    if not sql.strip():
        raise ValidationError("the script is empty", hint="write one or more CREATE STREAM|TABLE … AS SELECT …;")
    catalog = mesh_sql_catalog(mesh)
    queries = compile_script(sql, catalog)
    planned: list[PlannedProduct] = []
    seen: set[str] = set()
    for query in queries:
        if query.name is None:
            raise SqlError(
                "a plain SELECT defines no product, so it cannot be part of an app",
                sql=sql,
                span=_span_of(sql, query.sql),
                hint="preview it with 'streammesh sql \"SELECT …\"', or write CREATE STREAM|TABLE "
                "<domain>.<name> AS SELECT …",
            )
        if query.name in seen:
            raise SqlError(
                f"{query.name!r} is created twice in this script",
                sql=sql,
                span=_span_of(sql, query.sql),
                hint="give each CREATE its own product name",
            )
        seen.add(query.name)
        _check_ownership(mesh, query.name, app)
        _check_runnable(sql, query)
        # derive against the catalog as this statement saw it: with the script's earlier CREATEs
        derivation = derive(query, catalog)
        catalog = catalog.with_product(derived_product(query, derivation))
        contract = derived_contract(query, derivation, owner=owner, acknowledge_sla=True)
        planned.append(PlannedProduct(query, derivation, contract))
    return planned


def plan_app_owned(
    mesh: SupportsContext, sql: str, *, owner: str | None, app: str | None, owner_hint: str
) -> tuple[list[PlannedProduct], str]:
    """:func:`plan_app`, with the owner defaulting to the team of the first product's domain when exactly one
    team has that domain; returns the plan and the owner.

    Raises:
        ValidationError: no owner given and no single team owns that domain (``owner_hint`` says how to name one).
    """
    if owner is not None:
        return plan_app(mesh, sql, owner=owner, app=app), owner
    planned = plan_app(mesh, sql, owner="@unknown", app=app)
    domain = planned[0].name.split(".", 1)[0] if planned else None
    teams = [t.name for t in mesh.context.store.list_teams() if domain and t.domain == domain]
    if len(teams) != 1:
        raise ValidationError(
            f"which team owns the derived products? no single team has the domain {domain!r}", hint=owner_hint
        )
    # the owner only enters the contracts: re-derive those, not the compiled plan
    return [
        PlannedProduct(
            p.query, p.derivation, derived_contract(p.query, p.derivation, owner=teams[0], acknowledge_sla=True)
        )
        for p in planned
    ], teams[0]


def _check_ownership(mesh: SupportsContext, product: str, app: str | None) -> None:
    existing = mesh.context.store.get_product(product)
    if existing is None or existing.contract.derived_from is None:
        return  # new, or source-aligned (the SQL analyser refuses that with a position)
    owner_app = existing.contract.derived_from.app
    if owner_app is not None and owner_app != app:
        raise ConflictError(
            f"{product} is already defined by app {owner_app!r}",
            hint=f"pick another product name, or redeploy it with --name {owner_app}",
        )


def _check_runnable(script: str, query: Query) -> None:
    """Refuse at deploy time what the executor cannot run, rather than publish a product no worker feeds."""
    from streammesh.processing.runtime.engine import check_supported
    from streammesh.processing.runtime.errors import UnsupportedQueryError

    try:
        check_supported(query)
    except UnsupportedQueryError as e:
        raise SqlError(e.message, sql=script, span=_span_of(script, query.sql), hint=e.hint) from None


def _span_of(script: str, statement: str) -> tuple[int, int] | None:
    start = script.find(statement.strip())
    return None if start < 0 else (start, start + len(statement.strip()))
