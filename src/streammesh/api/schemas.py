"""``/api/v1/schemas``: the registry's subjects and versions, and compatibility checks, in the API's own shapes.

The Confluent-compatible routes (``/subjects``, ``/schemas``, ``/config``) stay for Kafka clients; these
routes serve people and the web UI, and answer errors as problem documents.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from streammesh.api.deps import MeshDep, PagingDep, page_of
from streammesh.api.errors import PROBLEM_RESPONSES
from streammesh.api.models import IssueOut, Page
from streammesh.schemas.registry import SubjectVersion

__all__ = ["CompatibilityCheckIn", "CompatibilityCheckOut", "SchemaVersionOut", "SubjectOut", "router"]

router = APIRouter(prefix="/api/v1/schemas", tags=["schemas"], responses=PROBLEM_RESPONSES)

Subject = Annotated[str, Path(min_length=1, max_length=300, description="e.g. sales.orders-value")]


class SubjectOut(BaseModel):
    subject: str
    versions: list[int]
    latest_id: int
    format: str
    compatibility: str


class SchemaVersionOut(BaseModel):
    subject: str
    version: int
    id: int
    format: str
    schema_: str = Field(alias="schema", description="the schema text as registered")
    references: list[dict[str, Any]]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    @classmethod
    def of(cls, sv: SubjectVersion) -> SchemaVersionOut:
        return cls(
            subject=sv.subject,
            version=sv.version,
            id=sv.schema.id,
            format=sv.schema.format,
            schema_=sv.schema.text,
            references=[r.to_dict() for r in sv.schema.references],
        )


class CompatibilityCheckIn(BaseModel):
    """A proposed schema: its text (or, for Avro and JSON Schema, the JSON document itself) and format."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: str | dict[str, Any] | list[Any] = Field(alias="schema")
    format: Literal["avro", "json-schema", "protobuf"] = "avro"
    version: Annotated[
        int | Literal["all", "latest"],
        Field(description="check against one version, the latest, or all (the level's transitive rule)"),
    ] = "all"


class CompatibilityCheckOut(BaseModel):
    subject: str
    level: str
    compatible: bool
    issues: list[IssueOut]


@router.get("/subjects", response_model=Page[SubjectOut])
def subjects(m: MeshDep, paging: PagingDep) -> Page[SubjectOut]:
    """Registered subjects (``<stream>-value``) with their versions, latest id, format and compatibility level."""
    reg = m.registry
    out = []
    for subject in reg.subjects():
        versions = reg.store.subject_versions(subject)
        if versions:
            out.append(
                SubjectOut(
                    subject=subject,
                    versions=[v.version for v in versions],
                    latest_id=versions[-1].schema.id,
                    format=versions[-1].schema.format,
                    compatibility=reg.compatibility(subject),
                )
            )
    return page_of(out, paging)


@router.get("/subjects/{subject}/versions", response_model=list[SchemaVersionOut])
def versions(subject: Subject, m: MeshDep) -> list[SchemaVersionOut]:
    """Every live version of a subject, oldest first, with its schema text."""
    reg = m.registry
    return [SchemaVersionOut.of(reg.version(subject, v)) for v in reg.versions(subject)]


@router.get("/subjects/{subject}/versions/{version}", response_model=SchemaVersionOut)
def version(
    subject: Subject, version: Annotated[str, Path(max_length=20, description="a number or 'latest'")], m: MeshDep
) -> SchemaVersionOut:
    """One version of a subject (``latest`` for the newest)."""
    return SchemaVersionOut.of(m.registry.version(subject, version))


@router.post("/subjects/{subject}/compatibility", response_model=CompatibilityCheckOut)
def check(subject: Subject, body: CompatibilityCheckIn, m: MeshDep) -> CompatibilityCheckOut:
    """Would this schema be accepted under the subject's compatibility level? Every break is listed."""
    reg = m.registry
    # stdlib json: a schema may hold integers past 64 bits (as defaults or bounds), which orjson refuses
    text = body.schema_ if isinstance(body.schema_, str) else json.dumps(body.schema_)
    if body.version == "all":
        reg.versions(subject)  # the registry's own 404, naming the subject
        history = reg.store.subject_versions(subject)
    else:
        history = [reg.version(subject, body.version)]
    schema = reg.parse(body.format, text)
    result = reg.check(subject, schema, history)
    return CompatibilityCheckOut(
        subject=subject,
        level=reg.compatibility(subject),
        compatible=result.compatible,
        issues=[IssueOut(path=i.path, message=i.message) for i in result.issues],
    )
