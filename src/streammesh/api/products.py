"""``/api/v1/products``: search, publish, check, update, evolve, deprecate and retire data products.

Writes go through the catalog service (the policy barrier and lifecycle rules hold as for the CLI);
every response carrying one product sends its revision as ``ETag``, and edits honour ``If-Match``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse

from streammesh.api.bodies import CONTRACT_BODY, read_contract
from streammesh.api.deps import IfMatch, MeshDep, PagingDep, check_if_match, page_of, set_etag, write_lock
from streammesh.api.errors import PROBLEM_RESPONSES
from streammesh.api.models import (
    CheckOut,
    CompatibilityOut,
    ConsumerOut,
    DeprecateIn,
    EvolveOut,
    Page,
    ProductOut,
    ProductSummary,
    PublishOut,
    RetireIn,
    SearchOut,
    VersionOut,
    ViolationOut,
)
from streammesh.catalog.search import facet_filters
from streammesh.contracts import Contract
from streammesh.contracts.loader import dump_contract
from streammesh.exceptions import ValidationError
from streammesh.model.catalog import Product

__all__ = ["ProductName", "router"]

router = APIRouter(prefix="/api/v1/products", tags=["products"], responses=PROBLEM_RESPONSES)

ProductName = Annotated[str, Path(min_length=1, max_length=300, description="product name, e.g. sales.orders")]
ContractBody = Annotated[Contract, Depends(read_contract)]
Facet = Annotated[list[str] | None, Query(max_length=50)]


def _product(p: Product, response: Response) -> ProductOut:
    set_etag(response, p)
    return ProductOut.of(p)


@router.get("", response_model=SearchOut)
def search(
    request: Request,
    m: MeshDep,
    paging: PagingDep,
    q: Annotated[str, Query(max_length=500, description="words to look for")] = "",
    domain: Facet = None,
    tag: Facet = None,
    tier: Facet = None,
    quality: Facet = None,
    status: Facet = None,
    classification: Facet = None,
) -> Response:
    """Ranked search over names, descriptions, tags and field names, with facet counts; no ``q`` lists all."""
    # the facet parameters are declared for the OpenAPI document (and validated); the filters themselves are
    # read from the query string, every facet in one pass, by facet_filters
    filters = facet_filters(request.query_params.multi_items())
    result = m.catalog.search(q, filters=filters, limit=paging.limit, offset=paging.offset)
    page = page_of([ProductSummary.of(h.product, h.score) for h in result.hits], paging, total=result.total)
    body = SearchOut.model_construct(
        items=page.items, total=page.total, limit=page.limit, offset=page.offset, next=page.next, facets=result.facets
    )
    # the JSON FastAPI would write for the model, without validating it again in another thread first
    return Response(body.model_dump_json(), media_type="application/json")


@router.post(
    "",
    response_model=PublishOut,
    status_code=201,
    openapi_extra=CONTRACT_BODY,
    responses={200: {"model": PublishOut, "description": "an existing product was updated (or unchanged)"}},
)
def publish(
    contract: ContractBody,
    m: MeshDep,
    response: Response,
    draft: Annotated[bool, Query(description="save as a draft: not live, policies only warn")] = False,
) -> PublishOut:
    """Publish a product (or a new version of one) behind the policy barrier; 201 when it is new."""
    with write_lock:
        outcome = m.catalog.publish(contract, draft=draft)
    if outcome.product.revision > 1:  # it existed already (as a draft, or an earlier version)
        response.status_code = 200
    set_etag(response, outcome.product)
    return PublishOut(
        action=outcome.action,
        product=ProductOut.of(outcome.product),
        warnings=[ViolationOut.of(v) for v in outcome.warnings],
    )


@router.post("/check", response_model=CheckOut, openapi_extra=CONTRACT_BODY)
def check(contract: ContractBody, m: MeshDep) -> CheckOut:
    """Check a contract against the mesh's policies without publishing it (``ok`` and every violation)."""
    violations = m.catalog.check(contract)
    return CheckOut(name=contract.name, ok=not violations, violations=[ViolationOut.of(v) for v in violations])


@router.get("/{name}", response_model=ProductOut, responses={304: {"description": "If-None-Match matched"}})
def get_product(
    name: ProductName,
    m: MeshDep,
    response: Response,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=200)] = None,
) -> ProductOut | Response:
    """The product, its contract and event counts; ``ETag`` is its revision (304 when If-None-Match has it)."""
    p = m.catalog.get(name)
    if if_none_match and f'"{p.revision}"' in if_none_match:
        return Response(status_code=304, headers={"ETag": f'"{p.revision}"'})
    return _product(p, response).model_copy(update={"stats": m.events.stats(name)})


@router.put("/{name}", response_model=PublishOut, openapi_extra=CONTRACT_BODY)
def update(
    name: ProductName,
    contract: ContractBody,
    m: MeshDep,
    response: Response,
    if_match: IfMatch = None,
    draft: Annotated[bool, Query(description="keep it a draft")] = False,
) -> PublishOut:
    """Publish a new version of ``name``'s contract (compatible changes only; see ``evolve``)."""
    if contract.name != name:
        raise ValidationError(
            f"the contract is named {contract.name!r} but the URL names {name!r}",
            hint=f"PUT it to /api/v1/products/{contract.name}, or fix 'name' in the contract",
        )
    with write_lock:
        check_if_match(if_match, m.catalog.get(name))
        outcome = m.catalog.publish(contract, draft=draft)
    set_etag(response, outcome.product)
    return PublishOut(
        action=outcome.action,
        product=ProductOut.of(outcome.product),
        warnings=[ViolationOut.of(v) for v in outcome.warnings],
    )


@router.get(
    "/{name}/contract",
    response_class=PlainTextResponse,
    responses={200: {"content": {"application/yaml": {}, "application/json": {}}}},
)
def contract(
    name: ProductName,
    m: MeshDep,
    format: Annotated[str, Query(pattern="^(yaml|json)$", description="yaml or json")] = "yaml",
) -> Response:
    """The product's current contract as YAML (default) or JSON, ready to edit and PUT back."""
    p = m.catalog.get(name)
    if format == "json":
        return JSONResponse(jsonable_encoder(p.contract.to_dict()), headers={"ETag": f'"{p.revision}"'})
    return Response(dump_contract(p.contract), media_type="application/yaml", headers={"ETag": f'"{p.revision}"'})


@router.get("/{name}/versions", response_model=Page[VersionOut])
def versions(name: ProductName, m: MeshDep, paging: PagingDep) -> Page[VersionOut]:
    """Every published version of the contract, oldest first."""
    return page_of([VersionOut.of(v) for v in m.catalog.versions(name)], paging)


@router.get("/{name}/consumers", response_model=Page[ConsumerOut])
def consumers(name: ProductName, m: MeshDep, paging: PagingDep) -> Page[ConsumerOut]:
    """Consumer groups that read the product, and which fields each uses."""
    return page_of([ConsumerOut.of(c) for c in m.catalog.consumers(name)], paging)


@router.post("/{name}/deprecate", response_model=ProductOut)
def deprecate(
    name: ProductName, body: DeprecateIn, m: MeshDep, response: Response, if_match: IfMatch = None
) -> ProductOut:
    """Deprecate: readers are warned of the sunset date and the replacement."""
    with write_lock:
        check_if_match(if_match, m.catalog.get(name))
        p = m.catalog.deprecate(name, sunset=body.sunset, replacement=body.replacement, reason=body.reason)
    return _product(p, response)


@router.post("/{name}/retire", response_model=ProductOut)
def retire(
    name: ProductName, m: MeshDep, response: Response, body: RetireIn | None = None, if_match: IfMatch = None
) -> ProductOut:
    """Retire a deprecated product: no more writes; its events stay readable."""
    with write_lock:
        check_if_match(if_match, m.catalog.get(name))
        p = m.catalog.retire(name, force=body.force if body else False)
    return _product(p, response)


@router.post("/{name}/compatibility", response_model=CompatibilityOut, openapi_extra=CONTRACT_BODY)
def compatibility(name: ProductName, contract: ContractBody, m: MeshDep) -> CompatibilityOut:
    """Would this contract's schema be compatible, what breaks, and which consumers and derived products read it?"""
    return CompatibilityOut.of(m.catalog.assess(name, contract))


@router.post("/{name}/evolve", response_model=EvolveOut, openapi_extra=CONTRACT_BODY)
def evolve(
    name: ProductName,
    contract: ContractBody,
    m: MeshDep,
    response: Response,
    if_match: IfMatch = None,
    sunset: Annotated[date | None, Query(description="sunset of the old major version (default: in 90 days)")] = None,
) -> EvolveOut:
    """Apply a new contract: in place when compatible, else as a new major version's product (409 if neither)."""
    with write_lock:
        check_if_match(if_match, m.catalog.get(name))
        outcome = m.catalog.evolve(name, contract, sunset=sunset)
    set_etag(response, outcome.product)
    return EvolveOut(
        action=outcome.action,
        product=ProductOut.of(outcome.product),
        change=CompatibilityOut.of(outcome.change),
        previous=ProductOut.of(outcome.previous) if outcome.previous else None,
    )
