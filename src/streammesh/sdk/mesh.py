"""The Python SDK's entry point: ``mesh = streammesh.connect(path)``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import orjson

from streammesh.catalog import Catalog, Product, PublishOutcome, SearchResult, Team
from streammesh.catalog.clusters import mask_cluster
from streammesh.catalog.evolution import SchemaChange
from streammesh.catalog.service import EvolveOutcome
from streammesh.catalog.streams import StreamInfo
from streammesh.config import CONFIG_FILE, MeshConfig, backend_name, default_workspace, load_config, write_config
from streammesh.contracts import Contract
from streammesh.contracts.loader import contract_from_dict, load_contract
from streammesh.exceptions import ValidationError
from streammesh.governance import Violation, load_policy_config, write_default_policy_file
from streammesh.log.base import BaseLog, BaseLogConsumer, Record
from streammesh.plugins import log_backends, metadata_stores
from streammesh.schemas import load_schema
from streammesh.schemas.registry import SchemaRegistry, subject_for
from streammesh.schemas.serde import decode_key
from streammesh.sdk.consumer import Consumer, Event, value_decoder
from streammesh.sdk.producer import Producer, dead_letter_stream
from streammesh.store.base import BaseCatalogStore

if TYPE_CHECKING:
    from streammesh.catalog.migration import MigrationReport

__all__ = ["Mesh", "connect", "init"]


def init(path: Path | str | None = None, *, config: MeshConfig | None = None) -> Mesh:
    """Create a mesh in ``path`` (default ``.streammesh``) and open it; an existing one is opened as is."""
    workspace = Path(path) if path is not None else default_workspace()
    if not (workspace / CONFIG_FILE).exists():
        config = config or MeshConfig()
        write_config(workspace, config)
        write_default_policy_file(workspace / config.policies)
    return Mesh(workspace)


def connect(path: Path | str | None = None, *, create: bool = True) -> Mesh:
    """Open the mesh in ``path`` (default ``$STREAMMESH_WORKSPACE`` or ``.streammesh``).

    Args:
        create: make a new mesh there when none exists (otherwise raise NotFoundError).
    """
    workspace = Path(path) if path is not None else default_workspace()
    if create:
        return init(workspace)
    return Mesh(workspace)


def _batches_to_end(
    consumer: BaseLogConsumer, stream: str, end: dict[int, int], *, wait: float = 5.0
) -> Iterator[list[Record]]:
    """Batches until every partition of ``stream`` is read up to ``end`` (or nothing arrives for ``wait``
    seconds). A remote log's first fetch takes a moment, so an empty poll does not mean the end."""
    deadline = time.monotonic() + wait
    while any(consumer.position().get((stream, p), 0) < e for p, e in end.items() if e > 0):
        batch = consumer.poll(max_records=1000, timeout=0.2)
        if batch:
            deadline = time.monotonic() + wait
            yield batch
        elif time.monotonic() > deadline:
            return


class Mesh:
    """One organisation's mesh: its catalog of products and the log their events live on.

    Example:
        >>> mesh = streammesh.connect("my-mesh")                         # doctest: +SKIP
        >>> mesh.add_team("@sales-team", domain="sales")                 # doctest: +SKIP
        >>> mesh.publish("orders.contract.yaml")                         # doctest: +SKIP
        >>> with mesh.producer("sales.orders") as p: p.send("O-1", {...})  # doctest: +SKIP
    """

    def __init__(self, workspace: Path | str) -> None:
        self.workspace = Path(workspace)
        self.config = load_config(self.workspace)
        self.policies = load_policy_config(self.workspace / self.config.policies)
        self._log: BaseLog | None = None
        self._store: BaseCatalogStore | None = None
        self._catalog: Catalog | None = None
        self._registry: SchemaRegistry | None = None

    # -- backends, opened on first use so light commands stay fast ----------------------------
    @property
    def log(self) -> BaseLog:
        if self._log is None:
            backend = log_backends.get(backend_name(self.config.log))
            self._log = backend.from_config(self.config.log, self.workspace, fsync=self.config.fsync)
        return self._log

    @property
    def store(self) -> BaseCatalogStore:
        if self._store is None:
            backend = metadata_stores.get(backend_name(self.config.metadata))
            self._store = backend.from_config(self.config.metadata, self.workspace)
        return self._store

    @property
    def registry(self) -> SchemaRegistry:
        """The schema registry (subjects ``<stream>-value``), also served over REST by ``serve``."""
        if self._registry is None:
            self._registry = SchemaRegistry(self.store)
        return self._registry

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(
                self.store, self.log, self.policies, self.registry, cluster=mask_cluster(self.config.log)
            )
        return self._catalog

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
        return self.catalog.add_team(name, display_name=display_name, domain=domain, on_call=on_call, channel=channel)

    def teams(self) -> list[Team]:
        return self.store.list_teams()

    # -- products ------------------------------------------------------------------------------
    @staticmethod
    def _contract(contract: Contract | dict[str, Any] | str | Path) -> Contract:
        if isinstance(contract, Contract):
            return contract
        if isinstance(contract, dict):
            return contract_from_dict(contract)
        return load_contract(contract)

    def check(self, contract: Contract | dict[str, Any] | str | Path) -> list[Violation]:
        """Every policy violation of a contract, without publishing it."""
        return self.catalog.check(self._contract(contract))

    def publish(self, contract: Contract | dict[str, Any] | str | Path, *, draft: bool = False) -> PublishOutcome:
        """Publish a contract (a model, a dict or a YAML file path) behind the policy barrier."""
        return self.catalog.publish(self._contract(contract), draft=draft)

    def product(self, name: str) -> Product:
        return self.catalog.get(name)

    def products(self, *, domain: str | None = None, status: str | None = None) -> list[Product]:
        return self.store.list_products(domain=domain, status=status)

    def streams(self, *, unpublished: bool = False, domain: str | None = None, sample: int = 100) -> list[StreamInfo]:
        """The log's streams with their registered or inferred schema; ``unpublished``: only those no product
        publishes yet (publishing a contract of the same name adopts one, events kept)."""
        return self.catalog.streams(unpublished=unpublished, domain=domain, sample=sample)

    def search(
        self, query: str = "", *, limit: int = 20, offset: int = 0, **facets: str | Sequence[str]
    ) -> SearchResult:
        """Ranked full-text search; facets as keywords, e.g. ``search("orders", domain="sales", tier="tier-1")``."""
        filters = {k: [v] if isinstance(v, str) else list(v) for k, v in facets.items() if v}
        return self.catalog.search(query, filters=filters, limit=limit, offset=offset)

    def assess(self, name: str, contract: Contract | dict[str, Any] | str | Path) -> SchemaChange:
        """Is a new contract's schema compatible with ``name``'s, what breaks, and who reads it?"""
        return self.catalog.assess(name, self._contract(contract))

    def evolve(
        self, name: str, contract: Contract | dict[str, Any] | str | Path, *, sunset: date | None = None
    ) -> EvolveOutcome:
        """Apply a new contract: in place when compatible, else as a new major version's stream."""
        return self.catalog.evolve(name, self._contract(contract), sunset=sunset)

    def deprecate(
        self, name: str, *, sunset: date, replacement: str | None = None, reason: str | None = None
    ) -> Product:
        return self.catalog.deprecate(name, sunset=sunset, replacement=replacement, reason=reason)

    def retire(self, name: str, *, force: bool = False) -> Product:
        return self.catalog.retire(name, force=force)

    # -- events --------------------------------------------------------------------------------
    def producer(self, name: str, *, linger: int = 1000) -> Producer:
        """A producer for product ``name`` (published or deprecated, not retired)."""
        return Producer(self.log, self.product(name), self.registry, linger=linger)

    def consumer(
        self,
        name: str,
        *,
        group: str | None = None,
        from_beginning: bool = False,
        fields: Sequence[str] | None = None,
        follow: bool = False,
        auto_commit: bool = True,
        session_timeout_ms: int = 10_000,
    ) -> Consumer:
        """A consumer of product ``name``; see :class:`Consumer`. A group is remembered in the
        catalog with the fields it reads, so owners know who depends on what."""
        product = self.product(name)
        if product.status == "draft":
            raise ValidationError(f"{name} is a draft and has no events yet", hint="its owner must publish it first")
        consumer = Consumer(
            self.log,
            product,
            self.registry,
            group=group,
            from_beginning=from_beginning,
            fields=fields,
            follow=follow,
            auto_commit=auto_commit,
            session_timeout_ms=session_timeout_ms,
        )
        if group:
            self.store.register_consumer(group, name, consumer.fields)
        return consumer

    def schema_summary(self, name: str) -> str:
        """One line on the product's registered schema: subject, versions, latest id, compatibility."""
        subject = subject_for(self.product(name).stream)
        versions = self.store.subject_versions(subject)
        if not versions:
            return f"{subject}: not registered yet (it is when the product is published)"
        return (
            f"{subject}: version{'s' if len(versions) > 1 else ''} {', '.join(str(v.version) for v in versions)}"
            f" (latest id {versions[-1].schema.id}), compatibility {self.registry.compatibility(subject)}"
        )

    def stats(self, name: str) -> dict[str, Any]:
        """Event count per partition and overall, and the time of the newest event."""
        product = self.product(name)
        if product.status == "draft":
            return {"events": 0, "partitions": {}, "last_event_ms": None}
        begin, end = self.log.begin_offsets(product.stream), self.log.end_offsets(product.stream)
        per_partition = {p: end[p] - begin.get(p, 0) for p in end}
        latest = self.latest(name, 1)
        return {
            "events": sum(per_partition.values()),
            "partitions": per_partition,
            "last_event_ms": latest[0].timestamp if latest else None,
        }

    def latest(self, name: str, n: int = 10) -> list[Event]:
        """The newest ``n`` events across partitions, newest first (for samples and freshness)."""
        product = self.product(name)
        if product.status == "draft" or n <= 0:
            return []
        end = self.log.end_offsets(product.stream)
        begin = self.log.begin_offsets(product.stream)
        events: list[Event] = []
        decode = value_decoder(self.registry, load_schema(product.contract.schema_))
        with self.log.consumer([product.stream], auto_offset_reset="latest") as inner:
            for p, last in end.items():
                if last > begin.get(p, 0):
                    inner.seek(product.stream, p, max(begin.get(p, 0), last - n))
            for batch in _batches_to_end(inner, product.stream, end):
                events.extend(
                    Event(decode_key(r.key), decode(r.value), r.partition, r.offset, r.timestamp, dict(r.headers))
                    for r in batch
                )
        events.sort(key=lambda e: (e.timestamp, e.partition, e.offset), reverse=True)
        return events[:n]

    def dead_letters(self, name: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Events refused by ``name``'s contract and kept in its dead-letter stream, oldest first,
        with the reason, the position in the producer's input and the schema id they were checked against."""
        stream = dead_letter_stream(self.product(name).stream)
        if stream not in self.log.topics():
            return []
        out: list[dict[str, Any]] = []
        end = self.log.end_offsets(stream)
        with self.log.consumer([stream], auto_offset_reset="earliest") as inner:
            for batch in _batches_to_end(inner, stream, end):
                if limit is not None and len(out) >= limit:
                    break
                for r in batch:
                    headers = {k: v.decode("utf-8", "replace") for k, v in r.headers}
                    try:
                        value: Any = orjson.loads(r.value) if r.value is not None else None
                    except orjson.JSONDecodeError:
                        value = (r.value or b"").decode("utf-8", "replace")
                    out.append(
                        {
                            "offset": r.offset,
                            "key": decode_key(r.key),
                            "value": value,
                            "reason": headers.get("dlq.reason"),
                            "source_offset": headers.get("dlq.source.offset"),
                            "schema_id": headers.get("dlq.schema.id"),
                            "timestamp": r.timestamp,
                        }
                    )
        return out[:limit] if limit is not None else out

    # -- scale-out -----------------------------------------------------------------------------
    def migrate(
        self,
        *,
        log: str,
        metadata: str,
        into: Path | str | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> MigrationReport:
        """Copy this mesh to other backends (catalog, schemas with their ids, every event at the same
        partition and offset, consumer offsets) and write the configuration that opens it there.

        Args:
            log: target log, e.g. ``kafka://HOST:PORT``.
            metadata: target catalog, e.g. ``postgresql://USER@HOST:5432/DATABASE``.
            into: folder for the migrated mesh's ``mesh.yaml``; default: this workspace's, rewritten (the
                old one kept as ``mesh.before-migration.yaml``).
            progress: called with ``(topic, copied, total)`` during the copy.

        Re-running is idempotent; see :func:`streammesh.catalog.migration.migrate` for what is refused.
        """
        from streammesh.catalog.migration import migrate

        return migrate(self, log=log, metadata=metadata, into=into, progress=progress)

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
