"""Schema change management: is a new contract's schema compatible, what breaks, and who is hurt.

Owners see every incompatibility (field, old, new, rule) and the registered consumers that read the
affected fields before anything changes; an incompatible change ships only as a new major version
on a new stream (``name.v2``) beside the old one, which is deprecated with a sunset date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streammesh.contracts.model import Contract
from streammesh.model.catalog import ConsumerInfo, Product
from streammesh.schemas import load_schema
from streammesh.schemas.registry import SchemaRegistry, subject_for
from streammesh.store.base import BaseMetadataStore

__all__ = ["Impact", "SchemaChange", "assess_change", "major_stream_name"]


@dataclass(slots=True)
class Impact:
    """A consumer group that reads fields the change affects (``fields=['*']``: it reads all)."""

    group: str
    fields: list[str]


@dataclass(slots=True)
class SchemaChange:
    """The verdict on a proposed schema for an existing product."""

    product: str
    level: str
    compatible: bool
    issues: list[Any] = field(default_factory=list)
    impacted: list[Impact] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)  # derived products reading affected fields (lineage)

    @property
    def affected_fields(self) -> list[str]:
        return sorted({i.path for i in self.issues if i.path and i.path != "$"})


def major_stream_name(name: str, major: int) -> str:
    """``sales.orders`` at major 2 becomes ``sales.orders.v2`` (an existing ``.vN`` suffix is replaced)."""
    base = name.rsplit(".v", 1)[0] if name.rsplit(".v", 1)[-1].isdigit() else name
    return f"{base}.v{major}"


def _touches(path: str, used: str) -> bool:
    """Does a change at ``path`` affect a consumer that reads ``used`` (both dotted paths)?"""
    path, used = path.replace("[]", ""), used.replace("[]", "")
    return path == used or path.startswith(used + ".") or used.startswith(path + ".")


def _impacted(consumers: list[ConsumerInfo], affected: list[str], whole: bool) -> list[Impact]:
    out = []
    for c in consumers:
        if not c.fields:
            if affected or whole:
                out.append(Impact(c.group, ["*"]))
            continue
        hit = sorted({u for u in c.fields for p in affected if _touches(p, u)})
        if hit or whole:
            out.append(Impact(c.group, hit or list(c.fields)))
    return out


def assess_change(
    registry: SchemaRegistry, store: BaseMetadataStore, product: Product, contract: Contract
) -> SchemaChange:
    """Check ``contract``'s schema against the product's registered history at its level."""
    subject = subject_for(product.stream)
    level = registry.compatibility(subject)
    new = load_schema(contract.schema_)
    if registry.latest(subject) is None:
        registry.register_contract_schema(product)
    result = registry.check(subject, new)
    whole = any(i.path in ("", "$") for i in result.issues)
    affected = sorted({i.path for i in result.issues if i.path and i.path != "$"})
    impacted, derived = [], []
    if not result.compatible:
        impacted = _impacted(store.list_consumers(product.name), affected, whole)
        derived = sorted(
            {
                e.product
                for e in store.lineage_edges()
                if e.input_product == product.name
                and (whole or (e.input_field is not None and any(_touches(p, e.input_field) for p in affected)))
            }
        )
    return SchemaChange(product.name, level, result.compatible, list(result.issues), impacted, derived)
