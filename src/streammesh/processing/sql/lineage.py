"""Lineage and governance of a derived product, derived from its analysed query.

* **Field lineage**: for every output field, the input fields feeding it and how (``identity``,
  ``transformation``, ``aggregation``); fields read only to filter rows (WHERE, HAVING) or to join
  (ON) are row-level edges (``filter``, ``join-key``) with no output field — they still decide which
  data reaches the product, so impact analysis must see them.
* **Classifications propagate**: an output computed from a classified field carries the strongest
  classification among its inputs — unless a de-identifying function (HASH, MASK) is applied, or the
  value is only counted (COUNT of PII is not PII).
* **SLA**: a derived product can promise no more than its weakest input (and, with ``EMIT FINAL``,
  its freshness also waits for the window to close). An owner may declare weaker, never stronger.
* **Quality** defaults to the weakest input's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sqlglot import exp

from streammesh.contracts.durations import format_duration
from streammesh.contracts.model import Sla
from streammesh.exceptions import ValidationError
from streammesh.processing.sql.catalog import ProductInfo, SqlCatalog
from streammesh.processing.sql.functions import (
    COUNTING,
    DEIDENTIFYING,
    call_args,
    function_name,
    is_aggregate,
)
from streammesh.processing.sql.plan import ROWTIME, WINDOW_END, WINDOW_START, Query

__all__ = [
    "CLASSIFICATION_RANK",
    "Derivation",
    "DerivedSla",
    "FieldClassification",
    "FieldEdge",
    "LineageKind",
    "SlaTooStrongError",
    "check_declared_sla",
    "derive",
    "derive_classifications",
    "derive_quality",
    "derive_sla",
    "field_lineage",
]

LineageKind = Literal["identity", "transformation", "aggregation", "filter", "join-key"]
#: strength of classifications; unknown (custom) ones rank with ``confidential``.
CLASSIFICATION_RANK = {"public": 0, "internal": 1, "confidential": 2, "pii": 3, "restricted": 4}
_TIER_RANK = {"tier-1": 1, "tier-2": 2, "tier-3": 3}
_QUALITY_RANK = {"raw": 0, "curated": 1, "authoritative": 2}


@dataclass(frozen=True, slots=True)
class FieldEdge:
    """Input field ``product.field`` feeds output field ``output`` (``None``: decides which rows) as ``kind``."""

    product: str
    field: str
    output: str | None
    kind: LineageKind


@dataclass(frozen=True, slots=True)
class FieldClassification:
    """How an output field's classification was derived: the classified inputs it is computed from
    (``(product, field, classification)``) and whether a de-identifying function removed it."""

    field: str
    classification: str | None
    sources: tuple[tuple[str, str, str], ...] = ()
    deidentified: bool = False


@dataclass(frozen=True)
class DerivedSla:
    """The strongest SLA a derived product can honestly promise; ``limited_by`` names, per attribute, the
    input products that set it (``None`` values mean some input promises nothing for that attribute)."""

    tier: str | None
    availability: float | None
    freshness: timedelta | None
    time_to_restore: timedelta | None
    limited_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    window_delay: timedelta = timedelta(0)

    def to_sla(self) -> Sla:
        """As a contract SLA (not yet acknowledged by the owner)."""
        return Sla(
            tier=self.tier,
            availability=self.availability,
            freshness=self.freshness,
            time_to_restore=self.time_to_restore,
        )


@dataclass(frozen=True)
class Derivation:
    """Everything derived for the query's output product."""

    inputs: tuple[str, ...]
    edges: tuple[FieldEdge, ...]
    classifications: Mapping[str, str]
    field_classes: tuple[FieldClassification, ...]
    sla: DerivedSla
    quality: str | None


class SlaTooStrongError(ValidationError):
    """A declared SLA promises more than the inputs allow. Weaken the named attributes, or leave the SLA
    empty to take the derived one; improving an input's SLA is the other way out."""


def _event_time_field(query: Query, alias: str) -> str | None:
    return query.source(alias).timestamp.field


def _refs(query: Query, node: exp.Expr, in_aggregate: bool = False) -> Iterator[tuple[str, str, bool]]:
    """(product, field path, inside-aggregate) for every input reference under ``node``."""
    if isinstance(node, exp.Column):
        if node.table:
            path = node.name
            if path == ROWTIME:
                ts = _event_time_field(query, node.table)
                if ts is None:
                    return
                path = ts
            yield query.source(node.table).product, path, in_aggregate
        elif node.name in (WINDOW_START, WINDOW_END) and query.sources[0].timestamp.field:
            # windows are assigned by the FROM record's event time (a joined row keeps it)
            yield query.sources[0].product, query.sources[0].timestamp.field, False
        return
    inside = in_aggregate or is_aggregate(node)
    for child in node.iter_expressions():
        yield from _refs(query, child, inside)


def field_lineage(query: Query) -> tuple[FieldEdge, ...]:
    """Field-level lineage edges, projections first (in output order), then filter and join-key edges."""
    out: dict[FieldEdge, None] = {}
    for p in query.projections:
        identity = p.expr.is_column or (isinstance(p.expr.node, exp.Column) and p.expr.node.name == ROWTIME)
        for product, path, agg in _refs(query, p.expr.node):
            kind: LineageKind = "aggregation" if agg else "identity" if identity else "transformation"
            out.setdefault(FieldEdge(product, path, p.name, kind), None)
    for e in (query.filter, query.having):
        if e is not None:
            for product, path, _ in _refs(query, e.node):
                out.setdefault(FieldEdge(product, path, None, "filter"), None)
    for j in query.joins:
        for e in (*j.left_keys, *j.right_keys):
            for product, path, _ in _refs(query, e.node):
                out.setdefault(FieldEdge(product, path, None, "join-key"), None)
    return tuple(out)


def _strongest(classes: set[str]) -> str | None:
    return max(classes, key=lambda c: CLASSIFICATION_RANK.get(c, 2)) if classes else None


def _classes(query: Query, catalog: SqlCatalog, node: exp.Expression) -> tuple[list[tuple[str, str, str]], bool]:
    """Classified inputs carried by ``node`` and whether some were removed by de-identification."""
    name = function_name(node)
    if name in COUNTING:
        return [], False
    if name in DEIDENTIFYING:
        inner = [c for a in call_args(node) for c in _classes(query, catalog, a)[0]]
        return [], bool(inner)
    if isinstance(node, exp.Column):
        out = []
        for product, path, _ in _refs(query, node):
            info = catalog.get(product)
            for c in sorted(info.classes_of(path)) if info else []:
                out.append((product, path, c))
        return out, False
    carried: list[tuple[str, str, str]] = []
    removed = False
    for child in node.iter_expressions():
        found, r = _classes(query, catalog, child)
        carried += found
        removed = removed or r
    return carried, removed


def derive_classifications(
    query: Query, catalog: SqlCatalog, *, deidentified_class: str | None = None
) -> tuple[FieldClassification, ...]:
    """The classification of every output field.

    Args:
        deidentified_class: what to classify a field whose classified inputs all passed through HASH/MASK
            (``None``: unclassified; a policy may prefer e.g. ``internal``).
    """
    out = []
    for p in query.projections:
        sources, removed = _classes(query, catalog, p.expr.node)
        sources = list(dict.fromkeys(sources))
        strongest = _strongest({c for _, _, c in sources})
        deidentified = removed and strongest is None
        out.append(
            FieldClassification(p.name, deidentified_class if deidentified else strongest, tuple(sources), deidentified)
        )
    return tuple(out)


def _inputs(query: Query, catalog: SqlCatalog) -> list[ProductInfo]:
    return [p for p in (catalog.get(n) for n in query.inputs) if p is not None]


def derive_sla(query: Query, catalog: SqlCatalog) -> DerivedSla:
    """The weakest of the inputs' SLAs: worst tier, lowest availability, longest freshness and time to
    restore; an ``EMIT FINAL`` window adds its size (or session gap) plus grace to freshness."""
    inputs = _inputs(query, catalog)
    limited: dict[str, tuple[str, ...]] = {}
    values: dict[str, Any] = {}  # tier: str, availability: float, freshness / time_to_restore: timedelta
    for attr, pick in (
        ("tier", lambda v: max(v, key=lambda t: _TIER_RANK.get(t, 3))),
        ("availability", min),
        ("freshness", max),
        ("time_to_restore", max),
    ):
        got = {p.name: getattr(p.sla, attr) for p in inputs}
        missing = tuple(n for n, v in got.items() if v is None)
        if missing or not got:
            values[attr], limited[attr] = None, missing
            continue
        values[attr] = pick(list(got.values()))
        limited[attr] = tuple(n for n, v in got.items() if v == values[attr])
    delay = timedelta(0)
    w = query.window
    if w is not None and query.emit == "final":
        delay = timedelta(milliseconds=((w.gap_ms or 0) if w.kind == "session" else w.size_ms or 0) + w.grace_ms)
        if values["freshness"] is not None:
            values["freshness"] = values["freshness"] + delay
    return DerivedSla(
        values["tier"],
        values["availability"],
        values["freshness"],
        values["time_to_restore"],
        limited,
        delay,
    )


def derive_quality(query: Query, catalog: SqlCatalog) -> str | None:
    """The weakest input quality level (``None`` when some input declares none)."""
    levels = [p.quality for p in _inputs(query, catalog)]
    known = [q for q in levels if q is not None]
    if not levels or len(known) != len(levels):
        return None
    return min(known, key=lambda q: _QUALITY_RANK.get(q, 0))


def derive(query: Query, catalog: SqlCatalog, *, deidentified_class: str | None = None) -> Derivation:
    """Lineage, classifications, SLA and quality of ``query``'s output, read from ``catalog``'s inputs."""
    classes = derive_classifications(query, catalog, deidentified_class=deidentified_class)
    return Derivation(
        inputs=query.inputs,
        edges=field_lineage(query),
        classifications={c.field: c.classification for c in classes if c.classification},
        field_classes=classes,
        sla=derive_sla(query, catalog),
        quality=derive_quality(query, catalog),
    )


def _fmt(value: object) -> str:
    if value is None:
        return "none"
    return format_duration(value) if isinstance(value, timedelta) else str(value)


def check_declared_sla(declared: Sla, derived: DerivedSla) -> None:
    """Refuse a declared SLA stronger than the derived one.

    Raises:
        SlaTooStrongError: lists every attribute promised beyond what the inputs allow and which input limits it.
    """
    problems = []

    def limit(attr: str, shown: str) -> str:
        who = ", ".join(derived.limited_by.get(attr, ())) or "the inputs"
        if getattr(derived, attr) is None:
            return f"{who} promise{'s' if ',' not in who else ''} no {shown}"
        extra = (
            f" plus the {_fmt(derived.window_delay)} window wait"
            if attr == "freshness" and derived.window_delay
            else ""
        )
        return f"limited by {who}{extra}"

    checks = (
        ("tier", "tier", lambda d, v: _TIER_RANK.get(d, 3) < _TIER_RANK.get(v, 3)),
        ("availability", "availability", lambda d, v: d > v),
        ("freshness", "freshness", lambda d, v: d < v),
        ("time_to_restore", "time to restore", lambda d, v: d < v),
    )
    for attr, shown, stronger in checks:
        d, v = getattr(declared, attr), getattr(derived, attr)
        if d is None:
            continue
        if v is None or stronger(d, v):
            problems.append(f"{shown} {_fmt(d)} is stronger than the derived {_fmt(v)} ({limit(attr, shown)})")
    if problems:
        raise SlaTooStrongError(
            "the declared SLA promises more than its inputs allow: " + "; ".join(problems),
            hint="declare an SLA no stronger than the derived one, or leave it out to use it",
        )
