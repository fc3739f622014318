"""The one place errors become HTTP responses.

API routes answer ``application/problem+json`` (RFC 9457): ``type``, ``title``, ``status``, ``detail``,
``hint`` and, for bad input, ``errors``: one item per problem with its location (query parameter,
contract field and line, SQL line and column, event index). Registry routes answer like Confluent's
Schema Registry (``{"error_code", "message"}``) so its clients understand them; HTML pages get an
error page. The status is chosen from the exception's class, never from its message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from streammesh.api.models import CompatibilityOut, Problem, ProblemItem
from streammesh.catalog.service import SchemaEvolutionError
from streammesh.contracts.exceptions import ContractError
from streammesh.exceptions import ConflictError, NotFoundError, StreammeshError
from streammesh.governance import PolicyViolationError
from streammesh.log.base.exceptions import CorruptLogError
from streammesh.processing.sql import SqlError
from streammesh.schemas import RecordInvalidError
from streammesh.schemas.registry import RegistryError

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_RESPONSES",
    "REGISTRY_MEDIA_TYPE",
    "REGISTRY_PREFIXES",
    "ErrorPage",
    "install_error_handlers",
    "problem",
    "problem_type",
]

logger = logging.getLogger("streammesh.api")

#: renders the HTML page for an error on a non-API route: (status, message, hint) -> document
ErrorPage = Callable[[int, str, str | None], str]


def _plain_page(status: int, message: str, hint: str | None) -> str:
    """The error page of an app without web pages (the server passes the web UI's own)."""
    more = f"<p>{escape(hint)}</p>" if hint else ""
    return f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(message)}</p>{more}"


REGISTRY_PREFIXES = ("/subjects", "/schemas", "/config", "/compatibility", "/mode")
REGISTRY_MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
PROBLEM_MEDIA_TYPE = "application/problem+json"

#: problem type slug -> title; the type URI is ``urn:streammesh:problem:<slug>`` (listed in docs/api.md).
TITLES = {
    "invalid-request": "The request is invalid",
    "invalid-contract": "The contract is invalid",
    "policy-violation": "The contract breaks the mesh's policies",
    "invalid-sql": "The SQL cannot be compiled",
    "invalid-event": "An event does not fit the product's schema",
    "incompatible-schema": "The schema change is not compatible",
    "not-found": "Not found",
    "conflict": "The request conflicts with the current state",
    "precondition-failed": "The resource changed since you read it",
    "unsupported-media-type": "Unsupported content type",
    "payload-too-large": "The request is too large",
    "bad-request": "The request body cannot be read",
    "invalid": "The request cannot be carried out",
    "internal-error": "Internal server error",
}

#: documented on every API route, so clients (and schemathesis) know errors are problem documents.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text, "content": {PROBLEM_MEDIA_TYPE: {}}}
    for code, text in ((400, "Unreadable body"), (404, "Not found"), (409, "Conflict"), (422, "Invalid input"))
}


def problem_type(slug: str) -> str:
    return f"urn:streammesh:problem:{slug}"


def problem(
    status: int,
    slug: str,
    detail: str,
    *,
    hint: str | None = None,
    errors: list[ProblemItem] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response; ``extra`` become extension members (e.g. ``impacted_consumers``)."""
    body = Problem(
        type=problem_type(slug),
        title=TITLES[slug],
        status=status,
        detail=detail,
        hint=hint,
        errors=errors or [],
        **extra,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status, media_type=PROBLEM_MEDIA_TYPE
    )


def _classify(exc: StreammeshError) -> tuple[int, str, list[ProblemItem], dict[str, Any]]:
    """Status, problem slug, located errors and extension members of a domain error."""
    status = getattr(exc, "status", None)
    if isinstance(exc, RegistryError):
        status = exc.http_status
    if isinstance(exc, ContractError):
        return (
            422,
            "invalid-contract",
            [
                ProblemItem(location=p.path or "contract", message=p.message, line=p.line, column=p.column)
                for p in exc.problems
            ],
            {},
        )
    if isinstance(exc, PolicyViolationError):
        return (
            422,
            "policy-violation",
            [ProblemItem(location=v.path, message=v.message, policy=v.policy, fix=v.fix) for v in exc.violations],
            {},
        )
    if isinstance(exc, SqlError):
        return (
            422,
            "invalid-sql",
            [
                ProblemItem(
                    location="sql", message=exc.message, line=exc.line, column=exc.column, length=exc.length or None
                )
            ],
            {},
        )
    if isinstance(exc, RecordInvalidError):
        return (
            422,
            "invalid-event",
            [ProblemItem(location=i.path, message=i.message, index=exc.index) for i in exc.issues],
            {},
        )
    if isinstance(exc, SchemaEvolutionError):
        change = CompatibilityOut.of(exc.change).model_dump(mode="json")
        return (
            409,
            "incompatible-schema",
            [ProblemItem(location=i.path, message=i.message) for i in exc.change.issues],
            {"change": change},
        )
    if status is None:
        if isinstance(exc, NotFoundError):
            status = 404
        elif isinstance(exc, ConflictError):
            status = 409
        elif isinstance(exc, CorruptLogError):
            status = 500
        else:
            status = 422
    slug = {
        404: "not-found",
        409: "conflict",
        412: "precondition-failed",
        413: "payload-too-large",
        415: "unsupported-media-type",
        400: "bad-request",
        500: "internal-error",
    }.get(status, "invalid")
    return status, slug, [], {}


def _is_registry(request: Request) -> bool:
    return request.url.path.startswith(REGISTRY_PREFIXES)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _registry(status: int, message: str, code: int) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status_code=status, media_type=REGISTRY_MEDIA_TYPE)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body" and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI, *, error_page: ErrorPage = _plain_page) -> None:
    """Register the handlers: domain errors, request validation, HTTP errors and unexpected ones.

    Args:
        app: the server.
        error_page: renders errors on HTML routes; the server passes the web UI's (the API knows no pages).
    """

    def _html(status: int, message: str, hint: str | None) -> HTMLResponse:
        return HTMLResponse(error_page(status, message, hint), status_code=status)

    @app.exception_handler(StreammeshError)
    async def _domain(request: Request, exc: StreammeshError) -> Any:
        status, slug, errors, extra = _classify(exc)
        if _is_registry(request):
            code = exc.error_code if isinstance(exc, RegistryError) else status * 100 + 1
            return _registry(status, exc.message, code)
        if _is_api(request):
            return problem(status, slug, exc.message, hint=exc.hint, errors=errors, **extra)
        return _html(status, exc.message, exc.hint)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Any:
        items = [
            ProblemItem(location=_location(tuple(e.get("loc", ()))), message=e.get("msg", "invalid"))
            for e in exc.errors()
        ]
        detail = "invalid request: " + "; ".join(f"{i.location}: {i.message}" for i in items)
        if _is_registry(request):
            return _registry(422, detail, 42201)
        if _is_api(request):
            return problem(
                422, "invalid-request", detail, errors=items, hint="see the route's parameters and body at /docs"
            )
        return _html(422, detail, None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.method} {request.url.path}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        if _is_registry(request):
            return _registry(exc.status_code, detail, exc.status_code * 100 + 1)
        if _is_api(request):
            response = JSONResponse(
                {
                    "type": "about:blank",
                    "title": detail,
                    "status": exc.status_code,
                    "detail": detail,
                    "hint": "every route is listed at /docs",
                },
                status_code=exc.status_code,
                media_type=PROBLEM_MEDIA_TYPE,
            )
            for key, value in (exc.headers or {}).items():
                response.headers[key] = value
            return response
        return _html(exc.status_code, detail, None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Any:
        # a bug, not the caller's fault: log the traceback for us, answer in the route's own error shape
        logger.exception("unexpected error serving %s %s", request.method, request.url.path)
        detail = f"internal error: {type(exc).__name__}: {exc}"
        if _is_registry(request):
            return _registry(500, detail, 50001)
        if _is_api(request):
            return problem(500, "internal-error", detail, hint="this is a bug in streammesh; please report it")
        return _html(500, detail, None)
