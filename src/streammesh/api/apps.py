"""``/api/v1/apps`` and ``/api/v1/sql``: deploy streaming-SQL apps, validate them, run, watch and stop them,
and ask live data a question (bounded push preview, pull lookup) without deploying anything.

SQL errors come back as ``invalid-sql`` problems whose ``errors`` carry the line, column and length of
the offending text, so an editor can underline it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from streammesh.api.deps import MeshDep, PagingDep, page_of, write_lock
from streammesh.api.errors import PROBLEM_RESPONSES
from streammesh.api.models import AppOut, LineageEdgeOut, Page, ViolationOut
from streammesh.context import MeshContext
from streammesh.exceptions import ValidationError
from streammesh.schemas.serde import dump_json

__all__ = ["DeployIn", "PlannedOut", "QueryIn", "QueryOut", "ValidateIn", "ValidateOut", "router"]

router = APIRouter(prefix="/api/v1", tags=["apps"], responses=PROBLEM_RESPONSES)

AppName = Annotated[str, Path(min_length=1, max_length=100, description="the app's name")]
Sql = Annotated[
    str,
    Field(min_length=1, max_length=200_000, description="one or more CREATE STREAM|TABLE … AS SELECT …; statements"),
]


class ValidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: Sql
    owner: str | None = Field(
        default=None, max_length=200, description="team owning the derived products (default: the team of their domain)"
    )
    name: str | None = Field(default=None, max_length=100, description="app name (to check a redeploy)")


class DeployIn(ValidateIn):
    name: str = Field(min_length=1, max_length=100, description="app name: lowercase letters, digits, - or _")
    start: bool = Field(default=True, description="start the app now (and its worker, if it is not running)")
    worker: str | None = Field(
        default=None,
        max_length=63,
        description="the worker process hosting the app (default: where it ran before, else main)",
    )


class PlannedOut(BaseModel):
    """A product the script would publish: its derived contract, field lineage and policy verdict."""

    name: str
    kind: str
    inputs: list[str]
    contract: dict[str, Any]
    field_lineage: list[LineageEdgeOut]
    violations: list[ViolationOut]


class ValidateOut(BaseModel):
    ok: bool = Field(description="the script compiles and every derived contract passes every policy")
    owner: str
    products: list[PlannedOut]


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: Annotated[str, Field(min_length=1, max_length=100_000, description="a SELECT statement")]
    seconds: float = Field(default=5.0, gt=0, le=30, description="push queries: read live events this long")
    limit: int | None = Field(
        default=None, ge=1, le=10_000, description="at most this many rows (default: the query's LIMIT, else 100)"
    )


class QueryOut(BaseModel):
    mode: Literal["push", "pull"]
    columns: list[str]
    rows: list[dict[str, Any]]


def _plan(m: MeshContext, body: ValidateIn) -> tuple[list[Any], str]:
    from streammesh.processing.apps import plan_app_owned

    return plan_app_owned(
        m, body.sql, owner=body.owner, app=body.name, owner_hint='send \'owner\', e.g. "owner": "@analytics-team"'
    )


@router.post("/apps/validate", response_model=ValidateOut)
def validate(body: ValidateIn, m: MeshDep) -> ValidateOut:
    """Compile a script and show the contracts it would publish, with every policy they break; deploys nothing."""
    from streammesh.model.catalog import LineageEdge

    planned, owner = _plan(m, body)
    products = []
    for p in planned:
        violations = m.catalog.check(p.contract)
        products.append(
            PlannedOut(
                name=p.name,
                kind=p.query.kind,
                inputs=list(p.derivation.inputs),
                contract=p.contract.to_dict(),
                field_lineage=[
                    LineageEdgeOut.of(LineageEdge(p.name, e.product, e.output, e.field, e.kind))
                    for e in p.derivation.edges
                ],
                violations=[ViolationOut.of(v) for v in violations],
            )
        )
    return ValidateOut(ok=not any(p.violations for p in products), owner=owner, products=products)


@router.post("/apps", response_model=AppOut, status_code=201)
def deploy(body: DeployIn, m: MeshDep) -> AppOut:
    """Publish the products a script creates (behind the policies) and place the app on a worker (``main`` by
    default, started if need be) that keeps them current."""
    from streammesh.processing.apps import deploy as deploy_app

    owner = body.owner or _plan(m, body)[1]  # deploy checks the name and plans the script itself
    with write_lock:
        return AppOut.of(deploy_app(m, body.sql, name=body.name, owner=owner, start=body.start, worker=body.worker))


@router.get("/apps", response_model=Page[AppOut])
def list_apps(m: MeshDep, paging: PagingDep) -> Page[AppOut]:
    """Deployed apps with their status, the worker hosting each (name and pid), products and metrics."""
    from streammesh.processing.apps import status

    return page_of([AppOut.of(status(m, a.name)) for a in m.store.list_apps()], paging)


@router.get("/apps/{name}", response_model=AppOut)
def app_status(name: AppName, m: MeshDep) -> AppOut:
    """One app: the worker hosting it, metrics per product (restarts and next retry after a failure) and last
    error (an app whose worker died shows as failed)."""
    from streammesh.processing.apps import status

    return AppOut.of(status(m, name))


@router.post("/apps/{name}/stop", response_model=AppOut)
def stop(name: AppName, m: MeshDep) -> AppOut:
    """Stop the app after its current batch and a checkpoint; its products stay published, its worker's other
    apps go on."""
    from streammesh.processing.apps import stop as stop_app

    return AppOut.of(stop_app(m, name))


@router.post("/apps/{name}/restart", response_model=AppOut)
def restart(name: AppName, m: MeshDep) -> AppOut:
    """Stop the app if it runs and start it again; it resumes from its last checkpoint."""
    from streammesh.processing.apps import restart as restart_app

    return AppOut.of(restart_app(m, name))


@router.delete("/apps/{name}", response_model=AppOut)
def delete(name: AppName, m: MeshDep) -> AppOut:
    """Stop the app and forget it with its checkpoints; its products stay published. Returns it as it was."""
    from streammesh.processing.apps import delete as delete_app

    with write_lock:
        return AppOut.of(delete_app(m, name))


@router.post("/sql", response_model=QueryOut)
def query(body: QueryIn, m: MeshDep) -> QueryOut:
    """Run a transient SELECT: a pull query returns a table's current rows; a push query returns the rows
    live events produce within ``seconds`` (or ``limit`` rows). Nothing is deployed or remembered."""
    from streammesh.processing.apps import mesh_sql_catalog
    from streammesh.processing.runtime import preview, pull
    from streammesh.processing.sql import compile_sql

    compiled = compile_sql(body.sql, mesh_sql_catalog(m))
    if compiled.name is not None:
        raise ValidationError(
            f"CREATE {compiled.kind.upper()} {compiled.name} defines a derived product; this "
            "route only runs transient SELECT queries",
            hint="deploy it with POST /api/v1/apps, or check it with POST /api/v1/apps/validate",
        )
    max_rows = body.limit or compiled.limit or 100
    mode: Literal["push", "pull"] = "pull" if compiled.mode == "pull" else "push"  # no name: not persistent
    if mode == "pull":
        rows = pull(m, compiled)[:max_rows]
    else:
        rows = list(preview(m, compiled, seconds=body.seconds, max_rows=max_rows))
    columns = [f.name for f in compiled.output_schema] or (list(rows[0]) if rows else [])
    return QueryOut(mode=mode, columns=columns, rows=[orjson.loads(dump_json(r)) for r in rows])
