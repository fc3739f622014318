"""A :class:`TopicSpec` as Kafka topic configs, and back.

The spec's fields map onto Kafka's own topic configs so that a topic created by streammesh looks
like any other on the cluster: ``retention.ms`` (``-1`` when the spec keeps events forever, the
mesh's default for replay) and ``cleanup.policy`` (``compact`` for table-like products). Other
entries of ``TopicSpec.config`` already use Kafka's names (``segment.bytes``...) and pass through.
"""

from __future__ import annotations

from collections.abc import Mapping

from confluent_kafka.admin import ConfigEntry, ConfigSource

from streammesh.log.base.exceptions import LogError
from streammesh.log.base.records import TopicSpec

__all__ = ["spec_from_configs", "topic_configs"]

_OWN = ("retention.ms", "cleanup.policy")
# Sources meaning "set for this topic" rather than inherited from the broker or Kafka's defaults.
_TOPIC_SOURCES = {ConfigSource.DYNAMIC_TOPIC_CONFIG.value}


def topic_configs(spec: TopicSpec) -> dict[str, str]:
    """Kafka topic configs for ``spec``; ``retention.ms`` and ``cleanup.policy`` are always explicit,
    so the topic keeps the mesh's defaults whatever the broker's defaults are.

    Raises:
        LogError: ``spec.config`` sets ``retention.ms`` or ``cleanup.policy`` (use the spec's fields).
    """
    clash = [k for k in _OWN if k in spec.config]
    if clash:
        raise LogError(
            f"topic {spec.name!r}: set {' and '.join(clash)} through TopicSpec.retention_ms / "
            f"TopicSpec.compacted, not TopicSpec.config"
        )
    if spec.retention_ms is not None and (not isinstance(spec.retention_ms, int) or spec.retention_ms <= 0):
        raise LogError(
            f"topic {spec.name!r}: retention_ms must be a positive integer or None (forever), got {spec.retention_ms!r}"
        )
    return {
        "retention.ms": "-1" if spec.retention_ms is None else str(spec.retention_ms),
        "cleanup.policy": "compact" if spec.compacted else "delete",
        **{k: str(v) for k, v in spec.config.items()},
    }


def spec_from_configs(name: str, partitions: int, configs: Mapping[str, ConfigEntry]) -> TopicSpec:
    """Rebuild the spec of a topic from its partition count and ``DescribeConfigs`` answer.

    ``config`` holds the entries set on the topic itself (source ``DYNAMIC_TOPIC_CONFIG``), which is
    what a spec's ``config`` was when streammesh created the topic.
    """
    retention = configs.get("retention.ms")
    retention_ms = int(retention.value) if retention is not None and retention.value is not None else -1
    policy = configs.get("cleanup.policy")
    compacted = policy is not None and "compact" in (policy.value or "").split(",")
    extra = {
        k: e.value for k, e in configs.items() if k not in _OWN and e.value is not None and e.source in _TOPIC_SOURCES
    }
    return TopicSpec(
        name,
        partitions=partitions,
        retention_ms=None if retention_ms < 0 else retention_ms,
        compacted=compacted,
        config=extra,
    )
