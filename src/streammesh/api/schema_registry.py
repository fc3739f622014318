"""Confluent Schema Registry REST routes (a subset), so standard Kafka serializers and
``SchemaRegistryClient`` work against streammesh unchanged. Point them at ``http://HOST:PORT``."""

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from streammesh.api.errors import REGISTRY_MEDIA_TYPE
from streammesh.context import MeshContext
from streammesh.model.registry import REGISTRY_TYPES
from streammesh.schemas.registry import (
    InvalidSchemaError,
    SchemaReference,
    SchemaRegistry,
    StoredSchema,
    SubjectVersion,
    format_for_type,
)

__all__ = ["registry_router"]


class _Reference(BaseModel):
    name: str
    subject: str
    version: int


class SchemaRequest(BaseModel):
    """Body of register, lookup and compatibility requests."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    schema_: str = Field(alias="schema", description="the schema text (Avro/JSON Schema JSON, or .proto)")
    schema_type: str | None = Field(default=None, alias="schemaType", description="AVRO (default), JSON or PROTOBUF")
    references: list[_Reference] = Field(default_factory=list)

    def parts(self) -> tuple[str, str, list[SchemaReference]]:
        return (
            self.schema_,
            format_for_type(self.schema_type),
            [SchemaReference(r.name, r.subject, r.version) for r in self.references],
        )


class ConfigRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    compatibility: str | None = Field(default=None, description="NONE, BACKWARD, FORWARD, FULL (+ _TRANSITIVE)")
    compatibilityLevel: str | None = None


def _reply(body: Any) -> JSONResponse:
    return JSONResponse(body, media_type=REGISTRY_MEDIA_TYPE)


def _schema_text(stored: StoredSchema, fmt: str | None) -> str:
    if stored.format == "protobuf" and fmt == "serialized":
        from streammesh.schemas.codecs.protobuf_descriptors import file_descriptor_from_text

        return base64.standard_b64encode(file_descriptor_from_text(stored.text).SerializeToString()).decode()
    return stored.text


def _schema_body(stored: StoredSchema, fmt: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": _schema_text(stored, fmt)}
    if stored.format != "avro":
        body["schemaType"] = stored.schema_type
    if stored.references:
        body["references"] = [r.to_dict() for r in stored.references]
    return body


def _version_body(sv: SubjectVersion, fmt: str | None = None) -> dict[str, Any]:
    return {"subject": sv.subject, "version": sv.version, "id": sv.schema.id, **_schema_body(sv.schema, fmt)}


#: Confluent schema ids are 32-bit; larger numbers are refused before they reach the store.
SchemaId = Annotated[int, Path(ge=0, le=2**31 - 1, description="global schema id")]


def registry_router(mesh: Any) -> APIRouter:
    """Routes over the registry of the mesh that the ``mesh`` dependency returns."""
    router = APIRouter(tags=["schema registry"])

    def registry(m: Annotated[MeshContext, Depends(mesh)]) -> SchemaRegistry:
        return m.registry

    Registry = Annotated[SchemaRegistry, Depends(registry)]

    @router.get("/schemas/types")
    def schema_types() -> JSONResponse:
        return _reply(list(REGISTRY_TYPES))

    @router.get("/schemas/ids/{schema_id}")
    def schema_by_id(
        schema_id: SchemaId, reg: Registry, format: str | None = None, subject: str | None = None
    ) -> JSONResponse:
        return _reply(_schema_body(reg.by_id(schema_id), format))

    @router.get("/schemas/ids/{schema_id}/schema")
    def raw_schema_by_id(schema_id: SchemaId, reg: Registry) -> JSONResponse:
        return _reply(reg.by_id(schema_id).text)

    @router.get("/schemas/ids/{schema_id}/subjects")
    def subjects_of_schema(schema_id: SchemaId, reg: Registry) -> JSONResponse:
        reg.by_id(schema_id)
        return _reply(sorted({s for s, _ in reg.store.versions_of_schema(schema_id)}))

    @router.get("/schemas/ids/{schema_id}/versions")
    def versions_of_schema(schema_id: SchemaId, reg: Registry) -> JSONResponse:
        reg.by_id(schema_id)
        return _reply([{"subject": s, "version": v} for s, v in reg.store.versions_of_schema(schema_id)])

    @router.get("/subjects")
    def subjects(reg: Registry, deleted: bool = False) -> JSONResponse:
        return _reply(reg.subjects(include_deleted=deleted))

    @router.get("/subjects/{subject}/versions")
    def versions(subject: str, reg: Registry, deleted: bool = False) -> JSONResponse:
        return _reply(reg.versions(subject, include_deleted=deleted))

    @router.get("/subjects/{subject}/versions/{version}")
    def version(
        subject: str, version: str, reg: Registry, format: str | None = None, deleted: bool = False
    ) -> JSONResponse:
        return _reply(_version_body(reg.version(subject, version, include_deleted=deleted), format))

    @router.get("/subjects/{subject}/versions/{version}/schema")
    def raw_version(subject: str, version: str, reg: Registry) -> JSONResponse:
        return _reply(reg.version(subject, version).schema.text)

    @router.post("/subjects/{subject}/versions")
    def register(subject: str, body: SchemaRequest, reg: Registry, normalize: bool = False) -> JSONResponse:
        text, fmt, refs = body.parts()
        sv = reg.register(subject, text, fmt=fmt, references=refs)
        return _reply({"id": sv.schema.id, "version": sv.version, "subject": subject, **_schema_body(sv.schema, None)})

    @router.post("/subjects/{subject}")
    def lookup(
        subject: str, body: SchemaRequest, reg: Registry, normalize: bool = False, deleted: bool = False
    ) -> JSONResponse:
        text, fmt, _ = body.parts()
        return _reply(_version_body(reg.lookup(subject, text, fmt=fmt)))

    @router.delete("/subjects/{subject}")
    def delete_subject(subject: str, reg: Registry, permanent: bool = False) -> JSONResponse:
        return _reply(reg.delete_subject(subject, permanent=permanent))

    @router.delete("/subjects/{subject}/versions/{version}")
    def delete_version(subject: str, version: str, reg: Registry, permanent: bool = False) -> JSONResponse:
        return _reply(reg.delete_version(subject, version, permanent=permanent))

    def _compatibility(
        subject: str, body: SchemaRequest, reg: SchemaRegistry, versions: list[SubjectVersion], verbose: bool
    ) -> JSONResponse:
        text, fmt, _ = body.parts()
        result = reg.check(subject, reg.parse(fmt, text), versions)
        reply: dict[str, Any] = {"is_compatible": result.compatible}
        if verbose or not result.compatible:
            reply["messages"] = [str(i) for i in result.issues]
        return _reply(reply)

    @router.post("/compatibility/subjects/{subject}/versions/{version}")
    def compatibility_with(
        subject: str, version: str, body: SchemaRequest, reg: Registry, verbose: bool = False, normalize: bool = False
    ) -> JSONResponse:
        return _compatibility(subject, body, reg, [reg.version(subject, version)], verbose)

    @router.post("/compatibility/subjects/{subject}/versions")
    def compatibility_with_all(
        subject: str, body: SchemaRequest, reg: Registry, verbose: bool = False, normalize: bool = False
    ) -> JSONResponse:
        return _compatibility(subject, body, reg, reg.store.subject_versions(subject), verbose)

    @router.get("/config")
    def get_global_config(reg: Registry) -> JSONResponse:
        return _reply({"compatibilityLevel": reg.compatibility()})

    @router.put("/config")
    def set_global_config(body: ConfigRequest, reg: Registry) -> JSONResponse:
        level = body.compatibility or body.compatibilityLevel
        if not level:
            raise InvalidSchemaError('give \'compatibility\', e.g. {"compatibility": "FULL"}')
        return _reply({"compatibility": reg.set_compatibility(level)})

    @router.get("/config/{subject}")
    def get_subject_config(
        subject: str, reg: Registry, defaultToGlobal: Annotated[bool, Query()] = True
    ) -> JSONResponse:
        own = reg.store.get_compatibility(subject)
        if own is None and not defaultToGlobal:
            from streammesh.schemas.registry import SubjectNotFoundError

            raise SubjectNotFoundError(f"subject '{subject}' has no compatibility level of its own")
        return _reply({"compatibilityLevel": own or reg.compatibility()})

    @router.put("/config/{subject}")
    def set_subject_config(subject: str, body: ConfigRequest, reg: Registry) -> JSONResponse:
        level = body.compatibility or body.compatibilityLevel
        if not level:
            raise InvalidSchemaError('give \'compatibility\', e.g. {"compatibility": "FULL"}')
        return _reply({"compatibility": reg.set_compatibility(level, subject)})

    @router.delete("/config/{subject}")
    def delete_subject_config(subject: str, reg: Registry) -> JSONResponse:
        previous = reg.compatibility(subject)
        reg.set_compatibility(None, subject)
        return _reply({"compatibilityLevel": previous})

    @router.get("/mode")
    def mode() -> JSONResponse:
        return _reply({"mode": "READWRITE"})

    return router
