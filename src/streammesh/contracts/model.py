"""The data contract: everything a stranger needs to trust and use a data product.

A contract is a YAML file (see ``examples/orders.contract.yaml``). The model here checks *shape*
(types, allowed values, formats); the mesh's federated policies (``streammesh.governance``) check
*rules* (owner registered, description helpful, PII classified...) and report all violations at once.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from streammesh.contracts.durations import format_duration, parse_duration

__all__ = [
    "NAME_PATTERN",
    "TEAM_PATTERN",
    "Contract",
    "Deprecation",
    "DerivedFrom",
    "FieldRule",
    "LifecycleStatus",
    "QualityLevel",
    "SchemaFormatName",
    "SchemaSpec",
    "Sla",
    "SlaTier",
    "Support",
]

QualityLevel = Literal["raw", "curated", "authoritative"]
SlaTier = Literal["tier-1", "tier-2", "tier-3"]
LifecycleStatus = Literal["draft", "published", "deprecated", "retired"]
SchemaFormatName = str  # checked against the schema-format registry by policy, so plug-ins can add formats

NAME_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
TEAM_PATTERN = r"^@[a-z][a-z0-9-]*$"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)


class SchemaSpec(_Strict):
    """The product's value schema: a format and its definition, inline or in a file beside the contract."""

    format: SchemaFormatName = Field(description="json-schema, avro or protobuf (or a plug-in format)")
    definition: dict[str, Any] | list[Any] | str | None = Field(
        default=None, description="the schema itself: a mapping (JSON Schema, Avro) or text (.proto)"
    )
    file: str | None = Field(default=None, description="path to the schema file, relative to the contract file")
    message: str | None = Field(default=None, description="protobuf only: the message type of the value")

    @model_validator(mode="after")
    def _one_source(self) -> SchemaSpec:
        if self.definition is None and self.file is None:
            raise ValueError("give the schema inline under 'definition' or as a path under 'file'")
        return self


class Sla(_Strict):
    """The service level the owner promises and has acknowledged."""

    tier: SlaTier | None = Field(default=None, description="tier-1 (critical) .. tier-3 (best effort)")
    availability: float | None = Field(default=None, ge=0, le=100, description="percent of time readable, e.g. 99.9")
    freshness: timedelta | None = Field(
        default=None, description="maximum lag between an event happening and it being readable, e.g. 5m"
    )
    time_to_restore: timedelta | None = Field(default=None, description="how soon an outage is fixed, e.g. 4h")
    support_hours: str | None = Field(default=None, description="e.g. 24x7 or 'Mon-Fri 08:00-18:00 CET'")
    acknowledged: bool = Field(default=False, description="the owner team accepts this SLA")

    @field_validator("freshness", "time_to_restore", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> Any:
        return None if v is None else parse_duration(v)

    @field_serializer("freshness", "time_to_restore")
    def _dump_duration(self, v: timedelta | None) -> str | None:
        return None if v is None else format_duration(v)


class Support(_Strict):
    """Where consumers ask questions and who is paged when the product breaks."""

    channels: list[str] = Field(default_factory=list, description="chat channels, mailing lists or URLs")
    on_call: str | None = Field(default=None, description="on-call contact (email, pager handle or rota URL)")
    docs: str | None = Field(default=None, description="link to further documentation")


class FieldRule(_Strict):
    """A check on one field's values, beyond its schema type; broken rules refuse the event (or
    send it to the dead-letter stream when ``on_invalid: dead-letter``)."""

    required: bool = Field(default=False, description="the field must be present")
    not_null: bool = Field(default=False, description="the field, when present, must not be null")
    enum: list[Any] | None = Field(default=None, description="the only values allowed")
    min: float | None = Field(default=None, description="smallest allowed number")
    max: float | None = Field(default=None, description="largest allowed number")
    pattern: str | None = Field(default=None, description="regular expression the text must match (search)")
    min_length: int | None = Field(default=None, ge=0, description="shortest allowed text or list")
    max_length: int | None = Field(default=None, ge=0, description="longest allowed text or list")

    def lengths(self, lo: int, hi: int | None) -> tuple[int, int | None]:
        """``lo``/``hi`` length limits narrowed by this rule's."""
        if self.min_length is not None:
            lo = max(lo, self.min_length)
        if self.max_length is not None:
            hi = self.max_length if hi is None else min(hi, self.max_length)
        return lo, hi

    @property
    def non_null_enum(self) -> list[Any] | None:
        return None if self.enum is None else [v for v in self.enum if v is not None]

    @field_validator("pattern")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as e:
                raise ValueError(f"{v!r} is not a valid regular expression: {e}") from None
        return v


class DerivedFrom(_Strict):
    """How a derived product is computed: its streaming SQL and the products it reads."""

    sql: str = Field(description="the CREATE STREAM|TABLE statement")
    inputs: list[str] = Field(default_factory=list, description="products the query reads")
    app: str | None = Field(default=None, description="the deployed app that runs it")


class Deprecation(_Strict):
    """Why and until when a deprecated product stays readable, and what replaces it."""

    sunset: date | None = None
    replacement: str | None = None
    reason: str | None = None


class Contract(_Strict):
    """A data product's contract.

    Example:
        >>> Contract.model_validate({"name": "sales.orders", "domain": "sales", "owner": "@sales-team",
        ...     "schema": {"format": "json-schema", "definition": {"type": "object"}}}).name
        'sales.orders'
    """

    api_version: Literal["streammesh/v1"] = Field(default="streammesh/v1", alias="apiVersion")
    name: str = Field(description="stream name, <domain>.<product> in snake_case, e.g. sales.orders")
    version: str = Field(default="1.0.0", description="semantic version of the contract")
    domain: str = Field(description="business domain, e.g. sales")
    owner: str = Field(description="owner team, e.g. @sales-team")
    title: str | None = Field(default=None, description="short human title")
    description: str = Field(default="", description="what the data means, where it comes from, how to use it")
    status: LifecycleStatus = Field(default="draft", description="lifecycle status (managed by the catalog)")
    key: list[str] = Field(default_factory=list, description="key field(s): partitioning and identity")
    schema_: SchemaSpec = Field(alias="schema")
    tags: list[str] = Field(default_factory=list)
    classifications: dict[str, str] = Field(
        default_factory=dict, description="field path -> classification (pii, confidential, ...)"
    )
    quality: QualityLevel | None = Field(default=None, description="raw | curated | authoritative")
    sla: Sla = Field(default_factory=Sla)
    support: Support = Field(default_factory=Support)
    partitions: int = Field(default=3, ge=1, le=1024)
    retention: timedelta | None = Field(default=None, description="'infinite' (default) or a duration such as 30d")
    compacted: bool = Field(default=False, description="keep the latest value per key (table-like products)")
    timestamp_field: str | None = Field(
        default=None, description="field holding the event time, if not the append time"
    )
    rules: dict[str, FieldRule] = Field(default_factory=dict, description="field path -> value rules")
    on_invalid: Literal["reject", "dead-letter"] = Field(
        default="reject", description="what happens to an event that breaks the schema or a rule"
    )
    deprecation: Deprecation | None = None
    derived_from: DerivedFrom | None = Field(default=None, description="set for derived products (streaming SQL)")

    @field_validator("key", "tags", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("version")
    @classmethod
    def _semver(cls, v: str) -> str:
        if not _SEMVER.match(v):
            raise ValueError(f"{v!r} is not a semantic version; write MAJOR.MINOR.PATCH such as 1.0.0")
        return v

    @field_validator("retention", mode="before")
    @classmethod
    def _retention(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and v.strip().lower() in {"infinite", "forever", "-1"}):
            return None
        return parse_duration(v)

    @field_serializer("retention")
    def _dump_retention(self, v: timedelta | None) -> str:
        return "infinite" if v is None else format_duration(v)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def retention_ms(self) -> int | None:
        return None if self.retention is None else int(self.retention.total_seconds() * 1000)

    def to_dict(self) -> dict[str, Any]:
        """The contract as plain data, with YAML field names (``schema``, ``apiVersion``)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
