"""``/api/v1/teams`` and ``/api/v1/domains``: who owns products, and the business areas they belong to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from streammesh.api.deps import MeshDep, PagingDep, page_of
from streammesh.api.errors import PROBLEM_RESPONSES
from streammesh.api.models import DomainOut, Page, TeamIn, TeamOut
from streammesh.exceptions import NotFoundError

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["teams"], responses=PROBLEM_RESPONSES)


@router.get("/teams", response_model=Page[TeamOut])
def list_teams(m: MeshDep, paging: PagingDep) -> Page[TeamOut]:
    """Registered teams, by name."""
    return page_of([TeamOut.of(t) for t in m.store.list_teams()], paging)


@router.post("/teams", response_model=TeamOut, status_code=201)
def add_team(body: TeamIn, m: MeshDep) -> TeamOut:
    """Register a team so it can own products (409 if the name is taken)."""
    return TeamOut.of(
        m.catalog.add_team(
            body.name, display_name=body.display_name, domain=body.domain, on_call=body.on_call, channel=body.channel
        )
    )


@router.get("/teams/{name}", response_model=TeamOut)
def get_team(
    name: Annotated[str, Path(max_length=200, description="team handle, e.g. @sales-team")], m: MeshDep
) -> TeamOut:
    """One team and its contacts."""
    team = m.store.get_team(name)
    if team is None:
        raise NotFoundError(
            f"no team named {name!r}",
            hint="list teams with GET /api/v1/teams; handles start with '@' (URL-encoded as %40)",
        )
    return TeamOut.of(team)


@router.get("/domains", response_model=Page[DomainOut])
def list_domains(m: MeshDep, paging: PagingDep) -> Page[DomainOut]:
    """Business domains with how many teams and products each has."""
    return page_of([DomainOut.of(d) for d in m.store.list_domains()], paging)
