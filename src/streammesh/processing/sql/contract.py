"""A derived product's contract and catalog entry, built from its query and derivation.

Deploying a ``CREATE STREAM|TABLE`` registers a data product like any other; what a producer team writes
by hand in a source-aligned contract is derived here: schema (JSON Schema), key, compaction (a TABLE keeps
the latest value per key), event-time field, classifications, SLA (weakest input, or a weaker declared
one) and quality. The owner, title and description still come from the deploying team.
"""

from __future__ import annotations

from streammesh.contracts.model import Contract, Sla
from streammesh.processing.sql.catalog import FieldInfo, ProductInfo
from streammesh.processing.sql.lineage import Derivation, check_declared_sla
from streammesh.processing.sql.plan import Query

__all__ = ["derived_contract", "derived_product"]


def derived_product(query: Query, derivation: Derivation) -> ProductInfo:
    """The catalog entry later statements of a script (and pull queries) see for ``query``'s output."""
    if query.name is None:
        raise ValueError("only CREATE STREAM|TABLE statements define a product")
    fields = tuple(FieldInfo(f.name, f.type, f.nullable, f.description, f.type) for f in query.output_schema)
    return ProductInfo(
        name=query.name,
        fields=fields,
        key=query.key_fields,
        table_like=query.kind == "table",
        timestamp_field=query.timestamp_field,
        classifications=dict(derivation.classifications),
        sla=derivation.sla.to_sla(),
        quality=derivation.quality,
        derived=True,
    )


def derived_contract(
    query: Query,
    derivation: Derivation,
    *,
    owner: str,
    description: str | None = None,
    title: str | None = None,
    declared_sla: Sla | None = None,
    tags: list[str] | None = None,
    acknowledge_sla: bool = False,
) -> Contract:
    """The contract of ``query``'s output product.

    Args:
        owner: the deploying team (``@analytics-team``).
        description: what the product means; defaults to a sentence naming the inputs.
        declared_sla: an SLA the owner declares; it must not be stronger than the derived one.
        acknowledge_sla: the owner team accepts the SLA (the ``sla-acknowledged`` policy requires it).

    Raises:
        SlaTooStrongError: ``declared_sla`` promises more than the inputs allow.
        ValueError: ``query`` is a plain SELECT (it defines no product).
    """
    if query.name is None:
        raise ValueError("only CREATE STREAM|TABLE statements define a product")
    if declared_sla is not None:
        check_declared_sla(declared_sla, derivation.sla)
    sla = (declared_sla or derivation.sla.to_sla()).model_copy(update={"acknowledged": acknowledge_sla})
    what = "Windowed aggregation" if query.window else "Aggregation" if query.group_by else "Derived stream"
    return Contract.model_validate(
        {
            "name": query.name,
            "domain": query.name.split(".", 1)[0],
            "owner": owner,
            "title": title,
            "description": description
            or f"{what} over {', '.join(query.inputs)}, defined by streaming SQL:\n{query.sql}",
            "key": list(query.key_fields),
            "schema": {"format": "json-schema", "definition": query.json_schema()},
            "classifications": dict(derivation.classifications),
            "quality": derivation.quality,
            "sla": sla.model_dump(),
            "compacted": query.kind == "table",
            "timestamp_field": query.timestamp_field,
            "tags": tags or ["derived"],
        }
    )
