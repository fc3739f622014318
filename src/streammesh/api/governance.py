"""``/api/v1/policies`` and ``/api/v1/activity``: the mesh's federated policies and its audit feed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from streammesh.api.deps import MAX_OFFSET, MeshDep, PagingDep, page_of
from streammesh.api.errors import PROBLEM_RESPONSES
from streammesh.api.models import ActivityOut, Page
from streammesh.governance.policies import POLICIES

__all__ = ["PoliciesOut", "PolicyOut", "router"]

router = APIRouter(prefix="/api/v1", tags=["governance"], responses=PROBLEM_RESPONSES)


class PolicyOut(BaseModel):
    """A policy: ``enabled`` unless the policy file disables it; ``configurable`` ones act only when configured."""

    id: str
    summary: str
    enabled: bool
    configurable: bool


class PoliciesOut(BaseModel):
    policies: list[PolicyOut]
    settings: dict[str, Any]


@router.get("/policies", response_model=PoliciesOut)
def policies(m: MeshDep) -> PoliciesOut:
    """Every policy checked on publish, whether it is on, and the mesh's policy settings."""
    disabled = set(m.policies.disabled)
    return PoliciesOut(
        policies=[
            PolicyOut(id=p.id, summary=p.summary, enabled=p.id not in disabled, configurable=p.configurable)
            for p in POLICIES
        ],
        settings=m.policies.model_dump(mode="json"),
    )


@router.get("/activity", response_model=Page[ActivityOut])
def activity(
    m: MeshDep,
    paging: PagingDep,
    subject: Annotated[str | None, Query(max_length=300, description="only about this product or team")] = None,
    after_id: Annotated[
        int | None, Query(ge=0, le=2**62, description="only entries newer than this id (poll for new ones)")
    ] = None,
) -> Page[ActivityOut]:
    """The persisted feed of publishes, deploys, evolutions and lifecycle changes, newest first."""
    wanted = min(paging.offset + paging.limit + 1, MAX_OFFSET + 501)
    entries = m.store.list_activity(limit=wanted, subject=subject, after_id=after_id)
    items = [ActivityOut.of(a) for a in entries[paging.offset : paging.offset + paging.limit]]
    # the store cannot count; one entry past the page tells whether there is a next one
    total = paging.offset + len(items) + (1 if len(entries) > paging.offset + paging.limit else 0)
    return page_of(items, paging, total=total)
