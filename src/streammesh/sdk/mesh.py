"""The Python SDK's entry point: ``mesh = streammesh.connect(path)``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from streammesh.catalog import Catalog, Product, PublishOutcome, SearchResult, Team
from streammesh.catalog.consumer import Consumer, Event
from streammesh.catalog.evolution import SchemaChange
from streammesh.catalog.producer import Producer
from streammesh.catalog.service import EvolveOutcome
from streammesh.catalog.streams import StreamInfo
from streammesh.config import CONFIG_FILE, MeshConfig, default_workspace, write_config
from streammesh.context import MeshContext
from streammesh.contracts import Contract
from streammesh.contracts.loader import contract_from_dict, load_contract
from streammesh.governance import PolicyConfig, Violation, write_default_policy_file
from streammesh.log.base import BaseLog
from streammesh.schemas.registry import SchemaRegistry
from streammesh.store.base import BaseMetadataStore

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


class Mesh:
    """One organisation's mesh: its catalog of products and the log their events live on.

    Example:
        >>> mesh = streammesh.connect("my-mesh")                         # doctest: +SKIP
        >>> mesh.add_team("@sales-team", domain="sales")                 # doctest: +SKIP
        >>> mesh.publish("orders.contract.yaml")                         # doctest: +SKIP
        >>> with mesh.producer("sales.orders") as p: p.send("O-1", {...})  # doctest: +SKIP
    """

    def __init__(self, workspace: Path | str | MeshContext) -> None:
        self.context = workspace if isinstance(workspace, MeshContext) else MeshContext(workspace)

    @classmethod
    def from_context(cls, context: MeshContext) -> Self:
        """The SDK over an existing context (e.g. one an interface built with its caller)."""
        return cls(context)

    # -- the context's parts ---------------------------------------------------------------------
    @property
    def workspace(self) -> Path:
        return self.context.workspace

    @property
    def config(self) -> MeshConfig:
        return self.context.config

    @property
    def policies(self) -> PolicyConfig:
        return self.context.policies

    @property
    def log(self) -> BaseLog:
        return self.context.log

    @property
    def store(self) -> BaseMetadataStore:
        return self.context.store

    @property
    def registry(self) -> SchemaRegistry:
        """The schema registry (subjects ``<stream>-value``), also served over REST by ``serve``."""
        return self.context.registry

    @property
    def catalog(self) -> Catalog:
        return self.context.catalog

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
        return self.context.events.producer(name, linger=linger)

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
        return self.context.events.consumer(
            name,
            group=group,
            from_beginning=from_beginning,
            fields=fields,
            follow=follow,
            auto_commit=auto_commit,
            session_timeout_ms=session_timeout_ms,
        )

    def schema_summary(self, name: str) -> str:
        """One line on the product's registered schema: subject, versions, latest id, compatibility."""
        return self.context.events.schema_summary(name)

    def stats(self, name: str) -> dict[str, Any]:
        """Event count per partition and overall, and the time of the newest event."""
        return self.context.events.stats(name)

    def latest(self, name: str, n: int = 10) -> list[Event]:
        """The newest ``n`` events across partitions, newest first (for samples and freshness)."""
        return self.context.events.latest(name, n)

    def dead_letters(self, name: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Events refused by ``name``'s contract and kept in its dead-letter stream, oldest first,
        with the reason, the position in the producer's input and the schema id they were checked against."""
        return self.context.events.dead_letters(name, limit=limit)

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

        return migrate(self.context, log=log, metadata=metadata, into=into, progress=progress)

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
