"""The context of one mesh: its configuration, its ports and its services, built once, plus *the caller*.

Interfaces (CLI, REST, web, SDK) build a context and hand it (or only the ports and services they need) to
the layers below; nothing below them builds backends itself. Backends are opened on first use, so a light
command never connects to a cluster it does not need.

A context's log and store handles belong to the thread that opened them: a server or a worker with several
threads gives each its own with :meth:`MeshContext.fork`.

Example:
    >>> ctx = open_context("my-mesh")                 # doctest: +SKIP
    >>> ctx.catalog.get("sales.orders").owner        # doctest: +SKIP
    '@sales-team'
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from streammesh.catalog import Catalog
from streammesh.catalog.clusters import mask_cluster
from streammesh.catalog.events import ProductEvents
from streammesh.config import MeshConfig, backend_name, find_workspace, load_config
from streammesh.governance import PolicyConfig, load_policy_config
from streammesh.governance.masking import Masking
from streammesh.governance.principals import Principal
from streammesh.log.base import BaseLog, LogCapabilities
from streammesh.plugins import log_backends, metadata_stores
from streammesh.quality.health import ProductHealthService
from streammesh.schemas.registry import SchemaRegistry
from streammesh.store.base import BaseMetadataStore

__all__ = ["MeshContext", "SupportsContext", "open_context"]


class SupportsContext(Protocol):
    """Anything that carries a mesh context: the context itself, or the SDK's ``Mesh`` facade over one."""

    @property
    def context(self) -> MeshContext: ...


class MeshContext:
    """One mesh's configuration, ports (log, metadata store), services (registry, catalog, events, health,
    masking) and the caller.

    Args:
        workspace: the mesh's folder (holding ``mesh.yaml``).
        config: its configuration, when already read (default: read from ``workspace``).
        caller: who is asking; None until identity is configured (every call is then the workspace's owner).
    """

    def __init__(self, workspace: Path | str, *, config: MeshConfig | None = None, caller: Principal | None = None):
        self.workspace = Path(workspace)
        self.config = config if config is not None else load_config(self.workspace)
        self.caller = caller
        self._policies: PolicyConfig | None = None
        self._log: BaseLog | None = None
        self._store: BaseMetadataStore | None = None
        self._registry: SchemaRegistry | None = None
        self._catalog: Catalog | None = None
        self._events: ProductEvents | None = None
        self._health: ProductHealthService | None = None
        self._masking: Masking | None = None

    @property
    def context(self) -> MeshContext:
        return self

    # -- configuration -----------------------------------------------------------------------------
    @property
    def policies(self) -> PolicyConfig:
        """The federated policy file (read once)."""
        if self._policies is None:
            self._policies = load_policy_config(self.workspace / self.config.policies)
        return self._policies

    # -- ports, opened on first use ------------------------------------------------------------------
    @property
    def log(self) -> BaseLog:
        if self._log is None:
            backend = log_backends.get(backend_name(self.config.log))
            self._log = backend.from_config(self.config.log, self.workspace, fsync=self.config.fsync)
        return self._log

    @property
    def store(self) -> BaseMetadataStore:
        if self._store is None:
            backend = metadata_stores.get(backend_name(self.config.metadata))
            self._store = backend.from_config(self.config.metadata, self.workspace)
        return self._store

    @property
    def log_capabilities(self) -> LogCapabilities:
        """What the configured log backend can do, known without opening it."""
        return log_backends.get(backend_name(self.config.log)).capabilities

    # -- services ------------------------------------------------------------------------------------
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

    @property
    def events(self) -> ProductEvents:
        """Products' events: producers, consumers, samples, counts, dead letters."""
        if self._events is None:
            self._events = ProductEvents(self.catalog)
        return self._events

    @property
    def health(self) -> ProductHealthService:
        """Products' live health (throughput, freshness against the SLA, invalid rate) for every interface."""
        if self._health is None:
            self._health = ProductHealthService(self.log, self.catalog, self.events)
        return self._health

    @property
    def masking(self) -> Masking:
        """What the caller may see of classified fields in the events shown to them."""
        if self._masking is None:
            self._masking = Masking()
        return self._masking

    # -- lifetime ------------------------------------------------------------------------------------
    def fork(self, *, caller: Principal | None = None) -> MeshContext:
        """A context on the same mesh and configuration with handles of its own (for another thread)."""
        return MeshContext(self.workspace, config=self.config, caller=caller if caller is not None else self.caller)

    def close(self) -> None:
        """Close the handles this context opened (the next use opens them again)."""
        log, store = self._log, self._store
        self._log = self._store = None
        self._registry = self._catalog = None
        self._events = self._health = None
        self._masking = None
        if log is not None:
            log.close()
        if store is not None:
            store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def open_context(workspace: Path | str | None = None, *, caller: Principal | None = None) -> MeshContext:
    """The context of the mesh in ``workspace``, or of the one found as git finds a repository.

    Raises:
        NotFoundError: no mesh there (or, without ``workspace``, none in the current folder or its parents).
    """
    return MeshContext(find_workspace(workspace), caller=caller)
