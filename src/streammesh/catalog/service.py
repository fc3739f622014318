"""The catalog service: publishing behind the policy barrier, lifecycle, search, activity.

It is the only writer of products: the CLI, SDK and REST API all come through here, so the rules
hold whichever interface a team uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from streammesh.catalog.evolution import SchemaChange, assess_change, major_stream_name
from streammesh.catalog.lifecycle import check_transition
from streammesh.catalog.lineage import LineageView
from streammesh.catalog.streams import (
    DEFAULT_SAMPLE,
    StreamInfo,
    is_internal_stream,
    stream_events,
    stream_info,
    stream_names,
)
from streammesh.contracts.model import TEAM_PATTERN, Contract, Deprecation, DerivedFrom
from streammesh.exceptions import ConflictError, NotFoundError, ValidationError
from streammesh.governance import PolicyConfig, PolicyViolationError, Violation, check_contract
from streammesh.log.base import BaseLog, TopicSpec
from streammesh.model.catalog import ConsumerInfo, LineageEdge, Product, ProductVersion, SearchResult, Team
from streammesh.schemas.registry import SchemaRegistry
from streammesh.store.base import BaseMetadataStore

__all__ = ["Catalog", "EvolveOutcome", "PublishOutcome", "SchemaEvolutionError"]

_TEAM = re.compile(TEAM_PATTERN)


class SchemaEvolutionError(ConflictError):
    """A new schema breaks the product's compatibility level. ``change`` holds every break and the
    consumers it would hurt; ship it as a new major version with ``streammesh products evolve``."""

    def __init__(self, change: SchemaChange, *, hint: str) -> None:
        lines = "\n".join(f"- {i}" for i in change.issues)
        who = ", ".join(f"{x.group} ({', '.join(x.fields)})" for x in change.impacted) or "no registered consumer"
        derived = ", ".join(change.derived) or "none"
        super().__init__(
            f"{change.product}: the new schema is not {change.level} compatible:\n{lines}\n"
            f"consumers reading affected fields: {who}\nderived products reading them: {derived}",
            hint=hint,
        )
        self.change = change


@dataclass(slots=True)
class EvolveOutcome:
    """What ``evolve`` did: updated the product in place, or released a new major version."""

    action: Literal["updated", "unchanged", "new-major"]
    product: Product
    change: SchemaChange
    previous: Product | None = None


@dataclass(slots=True)
class PublishOutcome:
    """What a publish did: ``created``, ``updated``, ``unchanged`` or ``draft`` (saved, not live)."""

    product: Product
    action: Literal["created", "updated", "unchanged", "draft"]
    warnings: list[Violation]


class Catalog:
    """Products, teams and their lifecycle over a metadata store and a log."""

    def __init__(
        self,
        store: BaseMetadataStore,
        log: BaseLog,
        policies: PolicyConfig,
        registry: SchemaRegistry,
        *,
        cluster: str = "embedded",
    ):
        self.store = store
        self.log = log
        self.registry = registry
        self.policies = policies
        self.cluster = cluster
        #: lineage graphs, trees and neighbours over this catalog's edges
        self.lineage = LineageView(self)

    # -- teams ---------------------------------------------------------------------------------
    def add_team(
        self,
        name: str,
        *,
        display_name: str = "",
        domain: str | None = None,
        on_call: str | None = None,
        channel: str | None = None,
    ) -> Team:
        if not _TEAM.match(name):
            raise ValidationError(
                f"team name {name!r} must look like @team-name (lowercase, digits, hyphens)",
                hint=f"try @{re.sub(r'[^a-z0-9-]+', '-', name.lower().lstrip('@')).strip('-')}",
            )
        team = self.store.add_team(Team(name, display_name or name.lstrip("@"), domain, on_call, channel))
        self.store.record_activity("team.added", name, summary=f"team {name} joined the mesh")
        return team

    def team_names(self) -> list[str]:
        return [t.name for t in self.store.list_teams()]

    # -- products ------------------------------------------------------------------------------
    def get(self, name: str) -> Product:
        product = self.store.get_product(name)
        if product is None:
            raise NotFoundError(f"no data product named {name!r}", hint=self._suggest(name))
        return product

    def versions(self, name: str) -> list[ProductVersion]:
        """Every published version of ``name``'s contract, oldest first.

        Raises:
            NotFoundError: no product ``name`` (with suggestions).
        """
        self.get(name)
        return self.store.list_versions(name)

    def consumers(self, name: str) -> list[ConsumerInfo]:
        """The consumer groups seen reading ``name``, with the fields each asked for.

        Raises:
            NotFoundError: no product ``name`` (with suggestions).
        """
        self.get(name)
        return self.store.list_consumers(name)

    def _suggest(self, name: str) -> str:
        hits = self.store.search(name.replace(".", " "), limit=3).hits
        if hits:
            return "did you mean " + " or ".join(h.product.name for h in hits) + "?"
        return "list products with 'streammesh products list'"

    def check(self, contract: Contract) -> list[Violation]:
        """All policy violations of ``contract`` (empty when it may be published)."""
        return check_contract(contract, config=self.policies, teams=self.team_names())

    def publish(self, contract: Contract, *, draft: bool = False, actor: str | None = None) -> PublishOutcome:
        """Publish (or update) a product. Every policy must pass, unless saving a draft.

        Raises:
            PolicyViolationError: one or more policies fail; all are listed with their fixes.
            ConflictError: the change breaks a lifecycle or versioning rule.
        """
        violations = self.check(contract)
        if violations and not draft:
            raise PolicyViolationError(contract.name, violations)
        current = self.store.get_product(contract.name)
        if current is None:
            return self._create(contract, draft=draft, actor=actor, warnings=violations)
        return self._update(current, contract, draft=draft, actor=actor, warnings=violations)

    def _create(
        self, contract: Contract, *, draft: bool, actor: str | None, warnings: list[Violation]
    ) -> PublishOutcome:
        product = Product(
            contract=contract.model_copy(deep=True),
            status="draft" if draft else "published",
            stream=contract.name,
            cluster=self.cluster,
        )
        adopted = None
        if not draft:
            adopted = self._existing_stream(contract)
            self.registry.register_contract_schema(product)  # refused if a same-named subject disagrees
            self._create_stream(contract)
            product.published_at = datetime.now(UTC)
        product = self.store.save_product(product, expected_revision=None)
        if not draft:
            self.store.add_version(ProductVersion(contract.name, contract.version, product.contract))
        kind = "product.drafted" if draft else "product.published"
        self.store.record_activity(
            kind,
            contract.name,
            actor=actor or contract.owner,
            summary=f"{contract.owner} {'drafted' if draft else 'published'} {contract.name} {contract.version}",
            details={
                "version": contract.version,
                "domain": contract.domain,
                **({"adopted_events": adopted} if adopted is not None else {}),
            },
        )
        return PublishOutcome(product, "draft" if draft else "created", warnings)

    def _existing_stream(self, contract: Contract) -> int | None:
        """How many events the product's stream already holds when it exists (publishing adopts it, events
        kept), ``None`` when it does not; refuses a partition count that differs from the stream's."""
        if contract.name not in self.log.topics():
            return None
        spec = self.log.topic_spec(contract.name)
        if spec.partitions != contract.partitions:
            raise ConflictError(
                f"{contract.name}: the stream already exists on the log with {spec.partitions} partition(s), "
                f"not {contract.partitions}; publishing adopts the existing stream and its events",
                hint=f"set 'partitions: {spec.partitions}' in the contract",
            )
        return stream_events(self.log, contract.name)

    def _create_stream(self, contract: Contract) -> None:
        self.log.create_topic(
            TopicSpec(
                contract.name,
                partitions=contract.partitions,
                retention_ms=contract.retention_ms,
                compacted=contract.compacted,
            )
        )

    def _update(
        self, current: Product, contract: Contract, *, draft: bool, actor: str | None, warnings: list[Violation]
    ) -> PublishOutcome:
        name = contract.name
        target = "draft" if draft else ("published" if current.status == "draft" else current.status)
        check_transition(name, current.status, target)
        old = current.contract
        if current.status != "draft":
            if contract.partitions != old.partitions:
                raise ConflictError(
                    f"{name}: partitions cannot change from {old.partitions} to {contract.partitions} on a live "
                    "stream (keys would move to other partitions and lose their order)",
                    hint=f"keep 'partitions: {old.partitions}' or publish a new major version as a new product",
                )
            same = _comparable(contract) == _comparable(old)
            if contract.version == old.version:
                if same:
                    return PublishOutcome(current, "unchanged", warnings)
                raise ConflictError(
                    f"{name} {old.version} is already published with different content",
                    hint=f"bump 'version' (for example to {_bump_minor(old.version)})",
                )
            if _semver_key(contract.version) < _semver_key(old.version):
                raise ConflictError(
                    f"{name}: version {contract.version} is older than the published {old.version}",
                    hint=f"use a version above {old.version}",
                )
            if contract.major != old.major:
                raise ConflictError(
                    f"{name}: a new major version ({contract.version}) is a breaking change and needs its own stream",
                    hint=f"release it with 'streammesh products evolve {name} FILE': it becomes "
                    f"{major_stream_name(name, contract.major)} and {name} is deprecated with a sunset date",
                )
            if contract.schema_ != old.schema_:
                change = assess_change(self.registry, self.store, current, contract)
                if not change.compatible:
                    raise SchemaEvolutionError(
                        change,
                        hint=(
                            f"make the change {change.level} compatible, or set version: {contract.major + 1}.0.0 and "
                            f"run 'streammesh products evolve {name} FILE' to release it as a new stream"
                        ),
                    )
        updated = replace(current, contract=contract.model_copy(deep=True), status=target)
        if current.status == "draft" and target == "published":
            self._existing_stream(contract)
        if target != "draft":
            self.registry.register_contract_schema(updated)
        if current.status == "draft" and target == "published":
            self._create_stream(contract)
            updated.published_at = datetime.now(UTC)
        if current.status == "deprecated" and contract.deprecation is None:
            updated.contract.deprecation = old.deprecation
            updated.status = "deprecated"
        saved = self.store.save_product(updated, expected_revision=current.revision)
        if target != "draft":
            self.store.add_version(ProductVersion(name, contract.version, saved.contract))
        kind = "product.published" if current.status == "draft" and target == "published" else "product.updated"
        self.store.record_activity(
            kind,
            name,
            actor=actor or contract.owner,
            summary=f"{contract.owner} {'published' if kind.endswith('published') else 'updated'}"
            f" {name} {contract.version}",
            details={"version": contract.version, "previous": old.version},
        )
        return PublishOutcome(saved, "updated" if current.status != "draft" or draft else "created", warnings)

    def publish_derived(
        self,
        contract: Contract,
        *,
        sql: str,
        query: Any,
        derivation: Any,
        app: str | None = None,
        actor: str | None = None,
    ) -> PublishOutcome:
        """Publish a derived product (behind the same policies) and record its lineage: an edge to each
        input product and one per field edge (identity, transformation, aggregation, filter, join-key)."""
        contract = contract.model_copy(
            update={"derived_from": DerivedFrom(sql=sql.strip(), inputs=list(derivation.inputs), app=app)}
        )
        outcome = self.publish(contract, actor=actor)
        edges = [LineageEdge(contract.name, p) for p in derivation.inputs]
        edges += [LineageEdge(contract.name, e.product, e.output, e.field, e.kind) for e in derivation.edges]
        self.store.save_lineage(contract.name, edges)
        return outcome

    def assess(self, name: str, contract: Contract) -> SchemaChange:
        """Compatibility verdict and impact of ``contract``'s schema for the published product ``name``."""
        product = self.get(name)
        if product.status == "draft":
            raise ConflictError(f"{name} is a draft: its schema can change freely until it is published")
        return assess_change(self.registry, self.store, product, contract)

    def evolve(
        self, name: str, contract: Contract, *, sunset: date | None = None, actor: str | None = None
    ) -> EvolveOutcome:
        """Change a published product's contract: in place when compatible, else (only with a new
        major version) as a new stream ``name.vN`` beside the old one, which is deprecated.

        Raises:
            SchemaEvolutionError: incompatible and the major version was not raised.
        """
        current = self.get(name)
        change = self.assess(name, contract)
        if change.compatible:
            if contract.major != current.contract.major:
                raise ConflictError(
                    f"{name}: the schema change is compatible, so no new major version is needed",
                    hint=f"keep major version {current.contract.major} and bump the minor one",
                )
            outcome = self.publish(contract.model_copy(update={"name": name}), actor=actor)
            return EvolveOutcome("unchanged" if outcome.action == "unchanged" else "updated", outcome.product, change)
        if contract.major <= current.contract.major:
            raise SchemaEvolutionError(
                change,
                hint=(
                    f"set version: {current.contract.major + 1}.0.0 to release it as "
                    f"{major_stream_name(name, current.contract.major + 1)} beside {name}"
                ),
            )
        new_name = major_stream_name(name, contract.major)
        released = self.publish(contract.model_copy(update={"name": new_name}), actor=actor).product
        when = sunset or date.today() + timedelta(days=90)
        previous = self.deprecate(
            name,
            sunset=when,
            replacement=new_name,
            actor=actor,
            reason=f"replaced by major version {contract.major} ({new_name})",
        )
        return EvolveOutcome("new-major", released, change, previous)

    def deprecate(
        self,
        name: str,
        *,
        sunset: date,
        replacement: str | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> Product:
        """Mark a product deprecated: readers are warned; it stays writable until retired."""
        product = self.get(name)
        check_transition(name, product.status, "deprecated")
        if sunset < date.today():
            raise ValidationError(
                f"sunset date {sunset} is in the past; consumers need time to move",
                hint="give a future date, e.g. three months from today",
            )
        if replacement is not None:
            if replacement == name:
                raise ValidationError(f"{name} cannot replace itself")
            other = self.get(replacement)
            if other.status not in {"published"}:
                raise ValidationError(
                    f"replacement {replacement} is {other.status}; point consumers to a published product"
                )
        product.contract.deprecation = Deprecation(sunset=sunset, replacement=replacement, reason=reason)
        product.status = "deprecated"
        saved = self.store.save_product(product, expected_revision=product.revision)
        self.store.record_activity(
            "product.deprecated",
            name,
            actor=actor or product.owner,
            summary=f"{name} deprecated; sunset {sunset}" + (f", use {replacement}" if replacement else ""),
            details={"sunset": sunset.isoformat(), "replacement": replacement, "reason": reason},
        )
        return saved

    def retire(self, name: str, *, force: bool = False, actor: str | None = None) -> Product:
        """Retire a deprecated product: it accepts no more writes; its events stay readable."""
        product = self.get(name)
        check_transition(name, product.status, "retired")
        sunset = product.contract.deprecation.sunset if product.contract.deprecation else None
        if sunset and sunset > date.today() and not force:
            raise ConflictError(
                f"{name} was promised to consumers until its sunset date {sunset}",
                hint="wait for the sunset date, or pass --force to retire it now",
            )
        product.status = "retired"
        saved = self.store.save_product(product, expected_revision=product.revision)
        self.store.record_activity(
            "product.retired", name, actor=actor or product.owner, summary=f"{name} retired", details={"forced": force}
        )
        return saved

    def streams(
        self, *, unpublished: bool = False, domain: str | None = None, sample: int = DEFAULT_SAMPLE
    ) -> list[StreamInfo]:
        """The log's streams (internal ones left out) with partitions, event count, newest event time and
        their events' schema, registered or inferred from ``sample`` events; ``unpublished`` keeps only the
        streams no product claims yet, which ``publish`` adopts with their events."""
        claimed = self._claimed()
        return [
            stream_info(self.log, self.registry, t, product=claimed.get(t), sample=sample)
            for t in stream_names(self.log, claimed, unpublished=unpublished, domain=domain)
        ]

    def stream_names(self, *, unpublished: bool = False, domain: str | None = None) -> list[str]:
        """The names :meth:`streams` would describe, without reading any event (for paging)."""
        return stream_names(self.log, self._claimed(), unpublished=unpublished, domain=domain)

    def stream(self, name: str, *, sample: int = DEFAULT_SAMPLE) -> StreamInfo:
        """One stream as :meth:`streams` describes it.

        Raises:
            NotFoundError: no such stream on the log, or an internal one.
        """
        if is_internal_stream(name) or name not in self.log.topics():
            raise NotFoundError(
                f"no stream named {name!r} on this mesh's log",
                hint="list them with 'streammesh streams' or GET /api/v1/streams (internal streams are not shown)",
            )
        return stream_info(self.log, self.registry, name, product=self._claimed().get(name), sample=sample)

    def _claimed(self) -> dict[str, str]:
        """Stream → product, for every product (a retired one still owns its stream)."""
        return {p.stream: p.name for p in self.store.list_products()}

    def search(
        self, query: str = "", *, filters: Mapping[str, Sequence[str]] | None = None, limit: int = 20, offset: int = 0
    ) -> SearchResult:
        return self.store.search(query, filters=filters, limit=limit, offset=offset)


def _comparable(contract: Contract) -> dict:
    data = contract.to_dict()
    data.pop("status", None)
    data.pop("deprecation", None)
    return data


def _semver_key(version: str) -> tuple[int, int, int]:
    major, minor, patch = version.split("-")[0].split(".")
    return int(major), int(minor), int(patch)


def _bump_minor(version: str) -> str:
    major, minor, _ = _semver_key(version)
    return f"{major}.{minor + 1}.0"
