"""One generic plug-in registry, used for log backends, metadata stores and schema formats.

Built-ins register lazily as ``"module:Class"`` strings so that optional dependencies are imported
only when the plug-in is used. Third parties can register objects directly or ship an entry point
in the group ``streammesh.<kind>`` (for example ``streammesh.log_backends``).
"""

from __future__ import annotations

import importlib
import importlib.util
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Generic, TypeVar

from streammesh.exceptions import StreammeshError

if TYPE_CHECKING:  # for the registries' types only: this module is imported everywhere, and must stay light
    from streammesh.log.base.log import BaseLog
    from streammesh.schemas.base import BaseSchemaFormat
    from streammesh.store.base.store import BaseMetadataStore

__all__ = [
    "MissingExtraError",
    "PluginNotFoundError",
    "Registry",
    "log_backends",
    "metadata_stores",
    "schema_formats",
]

T = TypeVar("T")


class PluginNotFoundError(StreammeshError):
    """No plug-in of that name is registered; the message lists the valid names."""


class MissingExtraError(StreammeshError, ImportError):
    """A built-in plug-in needs an optional dependency that is not installed; the hint names the extra.

    Also an :class:`ImportError`, so code that guards an optional import keeps working.
    """


class Registry(Generic[T]):
    """Maps a short name (``embedded``, ``sqlite``, ``avro``) to a plug-in, loaded on first use."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._lazy: dict[str, str] = {}
        self._extras: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._loaded: dict[str, T] = {}
        self._entry_points_read = False

    def register(self, name: str, plugin: T) -> None:
        """Register an already imported plug-in under ``name`` (replaces any previous one)."""
        self._loaded[name] = plugin
        self._lazy.pop(name, None)

    def register_lazy(
        self, name: str, target: str, *, extra: str | None = None, requires: tuple[str, ...] = ()
    ) -> None:
        """Register ``"package.module:Attribute"``, imported only when ``get(name)`` is first called.

        Args:
            extra: the ``streammesh[...]`` extra that installs the plug-in's dependencies.
            requires: modules of that extra, checked before the import (some load only on first connect).
        """
        self._lazy[name] = target
        self._loaded.pop(name, None)
        if extra is not None:
            self._extras[name] = (extra, requires)

    def _read_entry_points(self) -> None:
        if self._entry_points_read:
            return
        self._entry_points_read = True
        for ep in entry_points(group=f"streammesh.{self.kind}"):
            if ep.name not in self._loaded and ep.name not in self._lazy:
                self._lazy[ep.name] = ep.value

    def names(self) -> list[str]:
        """All registered names, sorted; use these for CLI choices and error messages."""
        self._read_entry_points()
        return sorted({*self._lazy, *self._loaded})

    def get(self, name: str) -> T:
        """Return the plug-in called ``name``, importing it if needed.

        Raises:
            PluginNotFoundError: ``name`` is unknown; the message lists the valid names.
            ImportError: the plug-in's module needs an optional dependency that is missing.
        """
        if name in self._loaded:
            return self._loaded[name]
        self._read_entry_points()
        target = self._lazy.get(name)
        if target is None:
            valid = ", ".join(self.names()) or "(none)"
            raise PluginNotFoundError(f"unknown {self.kind.rstrip('s').replace('_', ' ')} {name!r}; valid: {valid}")
        module_name, _, attr = target.partition(":")
        extra, requires = self._extras.get(name, (None, ()))
        missing = next((m for m in requires if importlib.util.find_spec(m) is None), None)
        try:
            if missing is not None:
                raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if extra is None or (e.name or "").startswith("streammesh"):
                raise
            kind = self.kind.rstrip("s").replace("_", " ")
            raise MissingExtraError(
                f"the {name} {kind} needs the optional package {e.name!r}, which is not installed",
                hint=f"pip install 'streammesh[{extra}]'",
            ) from e
        plugin: T = getattr(module, attr)  # trusted to be what the kind holds
        self._loaded[name] = plugin
        return plugin


log_backends: Registry[type[BaseLog]] = Registry("log_backends")
log_backends.register_lazy("embedded", "streammesh.log.embedded.log:EmbeddedLog")
log_backends.register_lazy(
    "kafka", "streammesh.log.kafka.log:KafkaEventLog", extra="kafka", requires=("confluent_kafka",)
)

metadata_stores: Registry[type[BaseMetadataStore]] = Registry("metadata_stores")
metadata_stores.register_lazy("sqlite", "streammesh.store.sqlite.store:SqliteCatalogStore")
metadata_stores.register_lazy(
    "postgresql",
    "streammesh.store.postgresql.store:PostgresqlCatalogStore",
    extra="postgresql",
    requires=("psycopg",),
)

schema_formats: Registry[type[BaseSchemaFormat]] = Registry("schema_formats")
schema_formats.register_lazy("json-schema", "streammesh.schemas.jsonschema_format:JsonSchemaFormat")
schema_formats.register_lazy("avro", "streammesh.schemas.avro_format:AvroFormat")
schema_formats.register_lazy("protobuf", "streammesh.schemas.protobuf_format:ProtobufFormat")
