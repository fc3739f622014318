"""What routes depend on: the mesh's context (one per server thread), pagination and optimistic concurrency.

FastAPI runs sync routes in a thread pool, and a context's log and store handles are not shared between
threads, so each thread forks its own :class:`~streammesh.context.MeshContext` from the server's.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Query, Request, Response

from streammesh.api.exceptions import PreconditionFailedError
from streammesh.api.models import Page
from streammesh.context import MeshContext
from streammesh.exceptions import ValidationError
from streammesh.model.catalog import Product

__all__ = [
    "MAX_OFFSET",
    "IfMatch",
    "MeshDep",
    "MeshProvider",
    "Paging",
    "PagingDep",
    "check_if_match",
    "page_of",
    "set_etag",
    "write_lock",
]

T = TypeVar("T")

#: offsets beyond this are refused: no catalog is this big, and huge numbers overflow database integers.
MAX_OFFSET = 1_000_000


class MeshProvider:
    """Gives each thread its own context, forked from the server's on first use; ``close()`` closes them all."""

    def __init__(self, workspace: Path | MeshContext) -> None:
        self.root = workspace if isinstance(workspace, MeshContext) else MeshContext(workspace)
        self.workspace = self.root.workspace
        self._local = threading.local()
        self._opened: list[MeshContext] = []
        self._lock = threading.Lock()

    def __call__(self) -> MeshContext:
        ctx: MeshContext | None = getattr(self._local, "ctx", None)
        if ctx is None:
            ctx = self.root.fork()
            self._local.ctx = ctx
            with self._lock:
                self._opened.append(ctx)
        return ctx

    def close(self) -> None:
        with self._lock:
            for ctx in self._opened:
                ctx.close()
            self._opened.clear()
        self.root.close()


def _mesh(request: Request) -> MeshContext:
    provider: MeshProvider = request.app.state.mesh
    return provider()


MeshDep = Annotated[MeshContext, Depends(_mesh)]

#: serialises check-then-write requests of this server (If-Match, then the catalog's own revision check),
#: so two requests carrying the same ETag cannot both pass; writers in other processes still meet the
#: store's optimistic revision check.
write_lock = threading.Lock()


# --------------------------------------------------------------------------------------------------- pagination


@dataclass(frozen=True, slots=True)
class Paging:
    """``limit`` and ``offset`` of a list request, and the URL to build ``next`` from."""

    limit: int
    offset: int
    request: Request


def _paging(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")] = 0,
) -> Paging:
    return Paging(limit, offset, request)


PagingDep = Annotated[Paging, Depends(_paging)]


def page_of(items: Sequence[T], paging: Paging, *, total: int | None = None) -> Page[T]:
    """A page: ``items`` is the whole list (sliced here) unless ``total`` says it is already one page."""
    if total is None:
        total = len(items)
        items = items[paging.offset : paging.offset + paging.limit]
    following = paging.offset + paging.limit
    next_url = None
    if following < total:
        next_url = str(paging.request.url.include_query_params(offset=following, limit=paging.limit))
    return Page(items=list(items), total=total, limit=paging.limit, offset=paging.offset, next=next_url)


# ----------------------------------------------------------------------------------------- optimistic concurrency

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match", max_length=200, description="the ETag (revision) you read; 412 if the product changed since"
    ),
]


def set_etag(response: Response, product: Product) -> None:
    """The product's revision as a strong ETag: send it back in ``If-Match`` to update safely."""
    response.headers["ETag"] = f'"{product.revision}"'


def check_if_match(if_match: str | None, product: Product) -> None:
    """Honour ``If-Match`` (absent: last write wins, as for the CLI).

    Raises:
        ValidationError: the header is not an ETag.
        PreconditionFailedError: the product's revision is not one of the listed ETags.
    """
    if if_match is None or if_match.strip() == "*":
        return
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",") if t.strip()]
    if not tags or not all(t.isdigit() for t in tags):
        raise ValidationError(
            f"If-Match {if_match!r} is not an ETag of this API",
            hint='send the ETag header of the last GET unchanged, e.g. If-Match: "3"',
        )
    if str(product.revision) not in tags:
        raise PreconditionFailedError(
            f"{product.name} is at revision {product.revision}, not {', '.join(tags)}: someone changed it since "
            "you read it",
            hint=f"GET /api/v1/products/{product.name} again, re-apply your change and retry",
        )
