"""Move a mesh to other backends without loss: ``streammesh migrate`` and :func:`migrate`.

What moves, and how it stays the same:

* **the catalog**, row for row in one transaction of the target store (:mod:`streammesh.store.copy`):
  teams, products with every version and lifecycle state, schemas with the **same global ids** and
  subjects (Kafka serializers embed the id in every event), compatibility settings, apps, lineage,
  activity and consumer registrations. Each product's ``cluster`` becomes the target log.
* **every topic** (products' streams, dead-letter streams, apps' internal topics) with its partitions,
  retention and compaction, and **every record** with its key, value, timestamp and headers, appended
  to the same partition in offset order. Kafka numbers a partition's records from 0, so the source
  partition must start at 0 without gaps; each acknowledged position is checked against the source
  offset and any difference stops the migration, naming the topic, partition and offset.
* **committed offsets** of every consumer group, set on the target after the records.

Re-running is **idempotent, resumable per topic**: a target catalog that already holds this mesh
(same teams, products and schema ids) is left as it is; a topic whose target partitions already hold
exactly the source's records (same end offsets, same last record) is skipped; an empty one is copied.
Anything else on the target (another mesh's catalog, records that are not this mesh's, a topic half
copied by an interrupted run) is refused before anything is written, with the reason.

Stop producers, consumers and apps before migrating: events appended to the source during the copy
would not move.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from streammesh.catalog.clusters import mask_cluster
from streammesh.config import CONFIG_FILE, MeshConfig, backend_name, write_config
from streammesh.exceptions import ConflictError, StreammeshError, ValidationError
from streammesh.log.base import BaseLog, OutgoingRecord, Record, TopicSpec
from streammesh.plugins import log_backends, metadata_stores
from streammesh.store.base import BaseMetadataStore
from streammesh.store.copy import catalog_counts, catalog_identity, copy_catalog, set_cluster

__all__ = ["BACKUP_FILE", "MigrationError", "MigrationReport", "ProgressCallback", "TopicMove", "migrate"]


class MeshSource(Protocol):
    """What a migration reads of the source mesh (a :class:`~streammesh.context.MeshContext` has it)."""

    @property
    def workspace(self) -> Path: ...

    @property
    def config(self) -> MeshConfig: ...

    @property
    def log(self) -> BaseLog: ...

    @property
    def store(self) -> BaseMetadataStore: ...


#: ``(topic, records copied so far, records to copy)``, called as a topic's copy advances.
ProgressCallback = Callable[[str, int, int], None]

#: The source configuration is kept under this name when ``mesh.yaml`` is rewritten in place.
BACKUP_FILE = "mesh.before-migration.yaml"
_BATCH = 5_000


class MigrationError(StreammeshError):
    """The migration was refused or stopped: the message names the topic, table or setting and why.
    Refusals happen before anything is written; a stop during the copy leaves the topics copied so
    far, which a re-run skips."""


@dataclass(slots=True)
class TopicMove:
    """One topic's part of the migration."""

    topic: str
    product: str | None  # None: a dead-letter stream or an app's internal topic
    partitions: int
    events: int = 0
    bytes: int = 0
    state: str = "copied"  # copied | already there | empty


@dataclass(slots=True)
class MigrationReport:
    """What :func:`migrate` moved (or found already moved) and where the mesh now lives."""

    source_log: str
    source_metadata: str
    log: str
    metadata: str
    catalog: dict[str, int] = field(default_factory=dict)
    catalog_state: str = "copied"  # copied | already there
    topics: list[TopicMove] = field(default_factory=list)
    groups: dict[str, int] = field(default_factory=dict)  # group -> partitions with committed offsets
    seconds: float = 0.0
    config_path: Path | None = None

    @property
    def events(self) -> int:
        return sum(m.events for m in self.topics)

    @property
    def bytes(self) -> int:
        return sum(m.bytes for m in self.topics)

    def per_product(self) -> dict[str, TopicMove]:
        """The moves of products' streams, by product name."""
        return {m.product: m for m in self.topics if m.product is not None}


def _size(r: Record) -> int:
    return len(r.key or b"") + len(r.value or b"") + sum(len(k) + len(v) for k, v in r.headers)


def open_targets(log: str, metadata: str, workspace: Path) -> tuple[BaseLog, BaseMetadataStore]:
    """Open (and probe) the target log and catalog; one clear error when either cannot be reached."""
    target_log = log_backends.get(backend_name(log)).from_config(log, workspace, fsync=False)
    try:
        target_log.topics()  # unreachable clusters fail here, after ~2 s, naming the brokers
        store = metadata_stores.get(backend_name(metadata)).from_config(metadata, workspace)
    except BaseException:
        target_log.close()
        raise
    return target_log, store


def _plan_catalog(source: BaseMetadataStore, target: BaseMetadataStore, metadata: str) -> str:
    """``copy`` for an empty target catalog, ``already there`` for this mesh's; else refuse."""
    theirs = catalog_identity(target)
    if not any(theirs):
        return "copy"
    if theirs == catalog_identity(source):
        return "already there"
    teams, products, schemas = theirs
    raise MigrationError(
        f"the target catalog {mask_cluster(metadata)} is not empty and is not this mesh's: it holds "
        f"{len(products)} product(s), {len(teams)} team(s) and {len(schemas)} schema(s)",
        hint="migrate into an empty database (or schema: ?options=-csearch_path%3DNAME)",
    )


def _last_record(log: BaseLog, topic: str, partition: int, offset: int) -> Record | None:
    with log.consumer([topic]) as c:
        c.seek(topic, partition, offset)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for r in c.poll(max_records=100, timeout=0.2):
                if r.partition == partition and r.offset == offset:
                    return r
    return None


def _plan_topic(
    source: BaseLog, target: BaseLog, target_topics: set[str], topic: str, spec: TopicSpec, where: str
) -> tuple[str, dict[int, int]]:
    """``copy``, ``already there`` or ``empty`` for one topic, with the source's end offsets; else refuse.
    ``target_topics``: the target's topics, listed once for the whole plan."""
    begins, ends = source.begin_offsets(topic), source.end_offsets(topic)
    for p, begin in sorted(begins.items()):
        if begin > 0:
            raise MigrationError(
                f"topic {topic!r} partition {p} starts at offset {begin} (older events were removed by retention) "
                f"and Kafka would number its records from 0: offsets would not line up",
                hint="consumers' committed offsets would point at other events; migrate before retention "
                "removes events, or re-create the topic",
            )
    if topic not in target_topics:
        return ("copy" if any(ends.values()) else "empty"), ends
    theirs = target.topic_spec(topic)
    if theirs.partitions != spec.partitions:
        raise MigrationError(
            f"topic {topic!r} exists on {where} with {theirs.partitions} partitions, the mesh's has {spec.partitions}",
            hint="delete that topic on the target (or use an empty cluster) and run migrate again",
        )
    target_ends = target.end_offsets(topic)
    if not any(target_ends.values()):
        return ("copy" if any(ends.values()) else "empty"), ends
    if target_ends == ends and all(
        _same(_last_record(source, topic, p, e - 1), _last_record(target, topic, p, e - 1))
        for p, e in ends.items()
        if e
    ):
        return "already there", ends
    held = sum(target_ends.values())
    raise MigrationError(
        f"topic {topic!r} on {where} already holds records (end offsets {dict(target_ends)}, the mesh's are "
        f"{dict(ends)}): they are not exactly this mesh's, so copying would not keep offsets",
        hint=f"delete topic {topic!r} on the target ({held} record(s), e.g. a copy interrupted midway) and run "
        "migrate again; topics already copied are skipped",
    )


def _same(a: Record | None, b: Record | None) -> bool:
    return (
        a is not None
        and b is not None
        and (a.key, a.value, a.timestamp, tuple(a.headers)) == (b.key, b.value, b.timestamp, tuple(b.headers))
    )


def _copy_topic(
    source: BaseLog, target: BaseLog, move: TopicMove, ends: dict[int, int], progress: ProgressCallback | None
) -> None:
    """Append every record of the topic to the target, checking each acknowledged position."""
    total = sum(ends.values())
    topic = move.topic
    if progress:
        progress(topic, 0, total)
    with source.consumer([topic]) as reader:
        while move.events < total:
            batch = reader.poll(max_records=_BATCH, timeout=1.0)
            if not batch:
                if all(reader.position().get((topic, p), 0) >= e for p, e in ends.items()):
                    break
                continue
            positions = target.append(
                topic, [OutgoingRecord(r.value, r.key, tuple(r.headers), r.timestamp, r.partition) for r in batch]
            )
            for r, pos in zip(batch, positions, strict=True):
                if (pos.partition, pos.offset) != (r.partition, r.offset):
                    raise MigrationError(
                        f"offsets do not line up in topic {topic!r}: the record at partition {r.partition} offset "
                        f"{r.offset} landed at partition {pos.partition} offset {pos.offset}",
                        hint="the source partition has a gap (compaction) or the target partition was written to "
                        "during the copy; delete the topic on the target and run migrate again",
                    )
            move.events += len(batch)
            move.bytes += sum(_size(r) for r in batch)
            if progress:
                progress(topic, move.events, total)
    if move.events != total:
        raise MigrationError(
            f"topic {topic!r}: read {move.events} of {total} records from the source",
            hint="was the source written to during the migration? stop producers and run it again",
        )


def _write_config(ctx: MeshSource, log: str, metadata: str, into: Path | None) -> Path:
    """Point a mesh at the new backends: a new workspace ``into`` or, by default, the source's own
    ``mesh.yaml`` (its previous content kept as ``mesh.before-migration.yaml``)."""
    config = MeshConfig(
        name=ctx.config.name, log=log, metadata=metadata, policies=ctx.config.policies, fsync=ctx.config.fsync
    )
    if into is None:
        shutil.copyfile(ctx.workspace / CONFIG_FILE, ctx.workspace / BACKUP_FILE)
        return write_config(ctx.workspace, config)
    policies = ctx.workspace / ctx.config.policies
    target_policies = into / ctx.config.policies
    if policies.is_file() and policies.resolve() != target_policies.resolve():
        target_policies.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(policies, target_policies)
    return write_config(into, config)


def migrate(
    ctx: MeshSource,
    *,
    log: str,
    metadata: str,
    into: Path | str | None = None,
    progress: ProgressCallback | None = None,
) -> MigrationReport:
    """Copy ``mesh`` (catalog, schemas, topics with every record, consumer offsets) to other backends
    and point a mesh configuration at them.

    Args:
        ctx: the source mesh's context (usually embedded log + SQLite).
        log: the target log setting, e.g. ``kafka://HOST:PORT``.
        metadata: the target metadata setting, e.g. ``postgresql://USER@HOST:5432/DATABASE``.
        into: a folder for the migrated mesh's ``mesh.yaml`` (and a copy of the policy file); default:
            rewrite the source workspace's ``mesh.yaml``, keeping the old one as ``mesh.before-migration.yaml``.
        progress: called with ``(topic, copied, total)`` as records are copied.

    Returns:
        what moved: catalog rows per table, events and bytes per topic, groups' offsets, time taken.

    Raises:
        MigrationError: the target holds another mesh's data, a topic cannot keep its offsets, or a
            copied position differs from the source's; nothing is written when refused up front.
        LogError, StoreUnavailableError: a target cannot be reached (one line naming it).

    Example:
        >>> mesh = streammesh.connect("my-mesh")                                          # doctest: +SKIP
        >>> report = migrate(ctx, log="kafka://broker:9092",
        ...                  metadata="postgresql://mesh@db:5432/mesh")                    # doctest: +SKIP
        >>> report.events, report.per_product()["sales.orders"].events                   # doctest: +SKIP
    """
    started = time.monotonic()
    if (log, metadata) == (ctx.config.log, ctx.config.metadata):
        raise ConflictError(
            f"the mesh in {ctx.workspace} already runs on {mask_cluster(log)} and "
            f"{mask_cluster(metadata)}: nothing to migrate",
            hint=f"its previous configuration, if migrated in place, is in {BACKUP_FILE}",
        )
    log_backend, store_backend = log_backends.get(backend_name(log)), metadata_stores.get(backend_name(metadata))
    if not log_backend.capabilities.remote or not store_backend.shared:
        raise ValidationError(
            f"migrate moves a mesh to shared backends; got --to {log!r} --metadata {metadata!r}",
            hint="write --to kafka://HOST:PORT --metadata postgresql://USER@HOST:5432/DATABASE",
        )
    into_path = Path(into) if into is not None else None
    if into_path is not None and (into_path / CONFIG_FILE).exists() and into_path.resolve() != ctx.workspace.resolve():
        existing = (into_path / CONFIG_FILE).read_text()
        if log not in existing or metadata not in existing:
            raise MigrationError(
                f"{into_path / CONFIG_FILE} already configures another mesh", hint="choose an empty folder for --into"
            )
    source_log, source_store = ctx.log, ctx.store
    target_log, target_store = open_targets(log, metadata, into_path or ctx.workspace)
    cluster = mask_cluster(log)
    where = f"the cluster {cluster}"
    report = MigrationReport(
        mask_cluster(ctx.config.log), mask_cluster(ctx.config.metadata), cluster, mask_cluster(metadata)
    )
    try:
        # -- plan everything before writing anything ------------------------------------------------
        catalog_plan = _plan_catalog(source_store, target_store, metadata)
        streams = {p.stream: p.name for p in source_store.list_products()}
        plans: list[tuple[TopicMove, TopicSpec, str, dict[int, int]]] = []
        target_topics = set(target_log.topics())  # one listing (a metadata request on Kafka), not one per topic
        for topic in source_log.topics():
            spec = source_log.topic_spec(topic)
            state, ends = _plan_topic(source_log, target_log, target_topics, topic, spec, where)
            plans.append((TopicMove(topic, streams.get(topic), spec.partitions), spec, state, ends))
        # -- catalog ---------------------------------------------------------------------------------
        if catalog_plan == "copy":
            report.catalog = copy_catalog(source_store, target_store, cluster=cluster)
        else:
            report.catalog_state = "already there"
            report.catalog = catalog_counts(target_store)
            set_cluster(target_store, cluster)
        # -- topics and records ----------------------------------------------------------------------
        for move, spec, state, ends in plans:
            target_log.create_topic(
                TopicSpec(
                    spec.name, partitions=spec.partitions, retention_ms=spec.retention_ms, compacted=spec.compacted
                )
            )
            if state == "copy":
                _copy_topic(source_log, target_log, move, ends, progress)
            else:
                move.state = state
                move.events = sum(ends.values()) if state == "already there" else 0
                if progress:
                    progress(move.topic, move.events, move.events)
            report.topics.append(move)
        # -- consumer groups' committed offsets ------------------------------------------------------
        copied = {m.topic for m in report.topics}
        for group, offsets in source_log.group_offsets().items():
            mine = {tp: o for tp, o in offsets.items() if tp[0] in copied}
            if mine:
                target_log.set_group_offsets(group, mine)
                report.groups[group] = len(mine)
        if catalog_plan == "copy":
            target_store.record_activity(
                "mesh.migrated",
                ctx.config.name,
                summary=f"mesh moved from {report.source_log} + {report.source_metadata} to {cluster}",
                details={"events": report.events, "bytes": report.bytes, "topics": len(report.topics)},
            )
    finally:
        target_log.close()
        target_store.close()
    report.config_path = _write_config(ctx, log, metadata, into_path)
    report.seconds = time.monotonic() - started
    return report
