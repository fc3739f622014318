"""``KafkaEventLog``: the log port on Apache Kafka or any Kafka-compatible cluster, via confluent-kafka.

Why it looks like this:

* **Same placement as the embedded log.** Keyed records are placed by librdkafka's ``murmur2_random``
  partitioner (the Java client's murmur2, which :mod:`streammesh.log.partitioner` ports for the embedded
  log); keyless records follow the embedded log's per-append sticky rotation. Moving a mesh between backends, or mixing
  streammesh with Java producers, never reshuffles keys.
* **Acknowledged means durable.** The producer is idempotent (``enable.idempotence``, which implies
  ``acks=all``), and :meth:`KafkaEventLog.append` flushes and returns positions only from delivery
  reports; a record that was not acknowledged raises instead of returning a position.
* **Topics carry the mesh's defaults explicitly**: ``retention.ms=-1`` (forever) unless the spec
  says otherwise, and ``cleanup.policy=compact`` for table-like products (see ``topics.py``).

librdkafka cannot send a record timestamp of 0 (it means "now"), so explicit timestamps must be
positive; ``None`` asks for the append time as on the embedded log.
"""

from __future__ import annotations

import gc
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, cast

from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, OffsetSpec

from streammesh.exceptions import ValidationError
from streammesh.log.base.capabilities import LogCapabilities
from streammesh.log.base.exceptions import (
    GroupError,
    LogError,
    TopicExistsError,
    TopicNotFoundError,
)
from streammesh.log.base.log import BaseLog
from streammesh.log.base.log import TopicPartition as LogTopicPartition
from streammesh.log.base.records import (
    OffsetReset,
    OutgoingRecord,
    RecordPosition,
    TopicSpec,
)
from streammesh.log.embedded.topics import validate_topic_name
from streammesh.log.kafka.consumer import PRIVATE_GROUP, KafkaEventLogConsumer
from streammesh.log.kafka.errors import translate, unreachable
from streammesh.log.kafka.records import FetchedMessage
from streammesh.log.kafka.settings import (
    KafkaSettings,
    SettingValue,
    parse_kafka_url,
    settings_from_env,
)
from streammesh.log.kafka.topics import spec_from_configs, topic_configs

if TYPE_CHECKING:
    from streammesh.log.kafka.transactions import KafkaTransaction

_log = logging.getLogger(__name__)

__all__ = ["KafkaEventLog"]

_BYTES = (bytes, bytearray, memoryview)
_SLICE = 0.5  # seconds per metadata attempt

_FAIL_FAST = 2.0  # seconds after which "all brokers down" ends the wait
_BY_KEY = -1  # librdkafka's RD_KAFKA_PARTITION_UA: its murmur2_random partitioner places the record


def _deliver(
    report: Callable[[tuple[int, FetchedMessage]], object], i: int, err: KafkaError | None, msg: FetchedMessage
) -> None:
    """A delivery callback's body: hand record ``i``'s report on (its message carries any error)."""
    report((i, msg))


class _Topic:
    """What the log remembers of a topic between calls: partition count, sticky partition."""

    __slots__ = ("count", "sticky")

    def __init__(self, count: int) -> None:
        self.count = count
        self.sticky = random.randrange(count)

    def next_sticky(self) -> int:
        """Partition for the keyless records of one append (the embedded log's rotation)."""
        self.sticky = (self.sticky + 1) % self.count
        return self.sticky


class KafkaEventLog(BaseLog):
    """The event log on a Kafka cluster.

    Args:
        url: ``kafka://host:port[,host:port][?librdkafka.setting=value...]`` or bare ``host:port,...``.
        config: extra librdkafka settings for every client (security: ``security.protocol``,
            ``sasl.mechanism``, ``sasl.username``, ``sasl.password``, ``ssl.ca.location``...); they
            win over the URL's query parameters.
        timeout: seconds to wait for metadata, admin and offset requests before reporting the
            cluster unreachable.
        delivery_timeout: seconds an append may wait for the brokers' acknowledgement
            (librdkafka's ``message.timeout.ms``, which ``config`` may override).

    Example:
        >>> log = KafkaEventLog("kafka://localhost:9092")                      # doctest: +SKIP
        >>> log.create_topic(TopicSpec("sales.orders", partitions=6))         # doctest: +SKIP
    """

    capabilities = LogCapabilities(remote=True, transactions=True, group_admin=True)

    def __init__(
        self,
        url: str,
        *,
        config: Mapping[str, SettingValue] | None = None,
        timeout: float = 10.0,
        delivery_timeout: float = 30.0,
    ) -> None:
        if url.strip() in ("", "kafka"):
            raise ValidationError(
                f"the Kafka log needs the cluster's brokers, got {url!r}",
                hint="write it as kafka://HOST:PORT (several brokers: kafka://h1:9092,h2:9092)",
            )
        servers, from_url = parse_kafka_url(url if "://" in url else f"kafka://{url}")
        self.settings = KafkaSettings(servers, {**from_url, **(config or {})})
        self.timeout = timeout
        self.delivery_timeout = delivery_timeout
        self._admin: AdminClient | None = None
        self._producer: Producer | None = None
        self._topics: dict[str, _Topic] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._all_down = False
        self._cause: KafkaError | None = None

    @classmethod
    def from_config(cls, url: str, workspace: Path, *, fsync: bool = False) -> Self:
        """Open the cluster a mesh's ``log`` URL names; ``STREAMMESH_KAFKA_*`` variables add settings
        (secrets such as ``sasl.password``). ``workspace`` and ``fsync`` are the embedded log's concerns:
        on Kafka, durability is the idempotent producer's ``acks=all``."""
        return cls(url, config=settings_from_env())

    @property
    def servers(self) -> str:
        """The bootstrap servers, as named in messages."""
        return self.settings.bootstrap_servers

    def __repr__(self) -> str:
        extra = f", config={self.settings.redacted()!r}" if self.settings.extra else ""
        return f"KafkaEventLog({self.servers!r}{extra})"

    # -- clients -----------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise LogError(f"{self!r} is closed")

    @property
    def admin(self) -> AdminClient:
        """The shared admin client (topics, offsets, configs)."""
        self._check_open()
        if self._admin is None:
            with self._lock:
                if self._admin is None:
                    self._admin = AdminClient(self.settings.client("admin", error_cb=self._on_error))
        return self._admin

    @property
    def producer(self) -> Producer:
        """The shared idempotent producer (thread-safe)."""
        self._check_open()
        if self._producer is None:
            with self._lock:
                if self._producer is None:
                    # murmur2_random: librdkafka places keyed records with the Java client's murmur2, as
                    # streammesh.log.partitioner does (test_placement_matches_other_kafka_clients)
                    self._producer = Producer(
                        self.settings.client(
                            "producer",
                            **{
                                "enable.idempotence": True,
                                "acks": "all",
                                "linger.ms": 5,
                                "partitioner": "murmur2_random",
                                "message.timeout.ms": int(self.delivery_timeout * 1000),
                            },
                        )
                    )
        return self._producer

    def consumer_config(self, **own: SettingValue) -> dict[str, Any]:
        """Settings for a new consumer of this cluster: ``own``, then the user's settings."""
        return self.settings.client("consumer", **own)

    def _wait(self, future: Any, doing: str, *, topic: str | None = None) -> Any:
        """Result of an admin future, librdkafka failures turned into the port's errors."""
        try:
            return future.result(timeout=self.timeout)
        except KafkaException as e:
            raise translate(e, servers=self.servers, doing=doing, topic=topic) from None
        except TimeoutError:
            raise unreachable(self.servers, doing, f"no answer within {self.timeout:g} s") from None

    def _on_error(self, err: KafkaError) -> None:
        """librdkafka's client-level errors: keep what explains a failed request better than its own error."""
        code = err.code()
        if code == KafkaError._ALL_BROKERS_DOWN:
            self._all_down = True
        elif code in (KafkaError._AUTHENTICATION, KafkaError._SSL, KafkaError._RESOLVE):
            self._cause = err

    def _metadata(self, topic: str | None, doing: str) -> Any:
        """Cluster metadata, asked in short slices so that a cluster whose every broker refuses
        connections (or credentials) is reported after about two seconds rather than the whole
        ``timeout``, with the cause librdkafka reported on the side (authentication, TLS, DNS)."""
        admin = self.admin
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            try:
                md = admin.list_topics(topic, timeout=max(0.05, min(_SLICE, self.timeout - elapsed)))
            except KafkaException as e:
                admin.poll(0)  # serves error_cb: did every broker refuse us, and why?
                elapsed = time.monotonic() - started
                if elapsed >= self.timeout or ((self._all_down or self._cause) and elapsed >= _FAIL_FAST):
                    raise translate(self._cause or e, servers=self.servers, doing=doing, topic=topic) from None
                continue
            self._all_down, self._cause = False, None
            return md

    # -- topics ------------------------------------------------------------------------------------
    def _topic(self, name: str, doing: str = "looking up the topic") -> _Topic:
        t = self._topics.get(name)
        if t is None:
            count = self.partitions_for(name, doing=doing)
            if not count:
                raise self._unknown(name)
            t = self._topics.setdefault(name, _Topic(count))
        return t

    def partitions_for(self, name: str, *, doing: str = "looking up the topic") -> int:
        """Partition count of ``name`` from the cluster's metadata; 0 when it does not exist."""
        validate_topic_name(name)
        md = self._metadata(name, doing).topics.get(name)
        if md is None or (
            md.error is not None and md.error.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC)
        ):
            return 0
        if md.error is not None:
            raise translate(KafkaException(md.error), servers=self.servers, doing=doing, topic=name)
        return len(md.partitions)

    def _unknown(self, name: str) -> TopicNotFoundError:
        existing = self.topics()
        known = ", ".join(existing[:20]) + (", ..." if len(existing) > 20 else "") if existing else "none yet"
        return TopicNotFoundError(
            f"unknown topic {name!r} on Kafka cluster {self.servers}; existing topics: {known}",
            hint="publish the data product first (publishing creates its stream), or check the name",
        )

    def create_topic(self, spec: TopicSpec) -> None:
        """Create a topic with the spec's partitions, retention and cleanup policy (broker-default
        replication); a no-op if it exists with the same partition count.

        Raises:
            InvalidTopicError: the name breaks Kafka's naming rules.
            TopicExistsError: it exists with a different number of partitions.
            LogError: the cluster refused the settings or cannot be reached.
        """
        validate_topic_name(spec.name)
        if not isinstance(spec.partitions, int) or spec.partitions < 1:
            raise LogError(f"topic {spec.name!r}: partitions must be a positive integer, got {spec.partitions!r}")
        new = NewTopic(spec.name, num_partitions=spec.partitions, config=topic_configs(spec))
        future = self.admin.create_topics([new], operation_timeout=self.timeout)[spec.name]
        try:
            self._wait(future, "creating a topic", topic=spec.name)
        except TopicExistsError:
            existing = self.partitions_for(spec.name)
            if existing and existing != spec.partitions:
                raise TopicExistsError(
                    f"topic {spec.name!r} exists on Kafka cluster {self.servers} with {existing} partitions, "
                    f"not {spec.partitions}",
                    hint="partition counts are fixed at creation; use another name or delete the old topic",
                ) from None
            if not existing:  # still being deleted: Kafka deletes asynchronously
                raise LogError(
                    f"topic {spec.name!r} is being deleted on Kafka cluster {self.servers}",
                    hint="wait a few seconds and create it again",
                ) from None

    def delete_topic(self, name: str) -> None:
        """Delete a topic and its records (dead drafts and tests only; never published products)."""
        validate_topic_name(name)
        future = self.admin.delete_topics([name], operation_timeout=self.timeout)[name]
        try:
            self._wait(future, "deleting a topic", topic=name)
        except TopicNotFoundError:
            raise self._unknown(name) from None
        self._topics.pop(name, None)
        deadline = time.monotonic() + self.timeout  # Kafka deletes asynchronously: wait until it is gone
        while self.partitions_for(name, doing="deleting a topic") and time.monotonic() < deadline:
            time.sleep(0.05)

    def topics(self) -> list[str]:
        """Names of all topics except Kafka's internal ones (``__consumer_offsets``...), sorted."""
        md = self._metadata(None, "listing topics")
        return sorted(n for n in md.topics if not n.startswith("__"))

    def topic_spec(self, name: str) -> TopicSpec:
        """The topic's layout, read back from the cluster. Raises TopicNotFoundError."""
        count = self._topic(name, "describing the topic").count
        resource = ConfigResource(ConfigResource.Type.TOPIC, name)
        future = self.admin.describe_configs([resource], request_timeout=self.timeout)[resource]
        return spec_from_configs(name, count, self._wait(future, "reading topic configs", topic=name))

    # -- appending ---------------------------------------------------------------------------------
    def _place(self, t: _Topic, name: str, records: Sequence[OutgoingRecord]) -> list[int]:
        """Partition of every record, or ``_BY_KEY`` for keyed records without one: librdkafka then
        hashes the key with murmur2 in C, as the embedded log does in Python (same placement)."""
        parts: list[int] = []
        sticky = -1
        count = t.count
        for r in records:
            p, key = r.partition, r.key
            if key is not None and not isinstance(key, _BYTES):
                raise LogError(f"record keys must be bytes or None; got {type(key).__name__}")
            if r.value is not None and not isinstance(r.value, _BYTES):
                raise LogError(f"record values must be bytes or None; got {type(r.value).__name__}")
            if r.timestamp is not None and (not isinstance(r.timestamp, int) or r.timestamp <= 0):
                raise LogError(
                    f"record timestamp must be positive epoch milliseconds or None (append time), got {r.timestamp!r}",
                    hint="librdkafka reads 0 as 'now', so it cannot be sent",
                )
            if p is None:
                if key is not None:
                    p = _BY_KEY
                else:
                    if sticky < 0:
                        sticky = t.next_sticky() if count > 1 else 0
                    p = sticky
            elif not isinstance(p, int) or not 0 <= p < count:
                raise LogError(
                    f"partition {p!r} is out of range for topic {name!r}, which has {count} "
                    f"partition{'s' if count != 1 else ''} (0..{count - 1})"
                )
            parts.append(p)
        return parts

    def _produce(
        self,
        topic: str,
        records: Sequence[OutgoingRecord],
        report: Callable[[tuple[int, FetchedMessage]], object],
        producer: Producer | None = None,
    ) -> None:
        """Place ``records`` (nothing is queued if one is malformed) and queue them on ``producer`` (default:
        the shared one), waiting while librdkafka's queue is full; record ``i``'s delivery report calls
        ``report((i, message))``. Shared by :meth:`append` and transactional appends (:mod:`.transactions`)."""
        parts = self._place(self._topic(topic, "appending"), topic, records)
        if producer is None:
            producer = self.producer
        produce = producer.produce
        for i, r in enumerate(records):
            headers = r.headers
            while True:
                try:
                    produce(
                        topic,
                        r.value,
                        r.key,
                        parts[i],
                        on_delivery=partial(_deliver, report, i),
                        timestamp=r.timestamp or 0,
                        headers=list(headers) if headers else None,
                    )
                    break
                except BufferError:  # librdkafka's queue is full: let deliveries drain
                    producer.poll(0.05)

    def append(self, topic: str, records: Sequence[OutgoingRecord]) -> list[RecordPosition]:
        """Produce records and return once the brokers acknowledged every one, positions in input order.

        Keyed records go where Kafka's default partitioner puts them; the keyless records of one call
        share one partition and the next call's go to the next partition, as on the embedded log.

        Raises:
            TopicNotFoundError: unknown topic.
            LogError: a record is malformed (nothing is sent then), or some records were not
                acknowledged; the message says how many and why.
        """
        if not records:
            self._check_open()
            return []
        n = len(records)
        out: list[RecordPosition | None] = [None] * n
        failed: list[tuple[int, KafkaError]] = []
        # delivery reports are only collected here (record index, message); positions are built once
        # every report is in
        reports: list[tuple[int, FetchedMessage]] = []
        paused = gc.isenabled()
        gc.disable()  # a record's objects form no cycles; collections mid-loop only rescan the batch
        try:
            self._produce(topic, records, reports.append)
            left = self.producer.flush(self.delivery_timeout + self.timeout)
            for i, msg in reports:
                err = msg.error()
                if err is not None:
                    failed.append((i, err))
                else:
                    out[i] = RecordPosition(topic, msg.partition(), msg.offset(), msg.timestamp()[1])
        finally:
            if paused:
                gc.enable()
        if failed or left:
            raise self._append_failed(topic, n, failed, left)
        return cast("list[RecordPosition]", out)  # every record was reported delivered (no failure, none left)

    def _append_failed(self, topic: str, n: int, failed: list[tuple[int, KafkaError]], left: int) -> LogError:
        if not failed:
            return unreachable(
                self.servers, f"appending to topic {topic!r}", f"{left} record(s) not acknowledged in time"
            )
        i, err = min(failed, key=lambda f: f[0])
        cause = translate(KafkaException(err), servers=self.servers, doing=f"appending to topic {topic!r}", topic=topic)
        if isinstance(cause, TopicNotFoundError):
            self._topics.pop(topic, None)
            return cause
        written = n - len(failed) - left
        cause.message = (
            f"{len(failed) + left} of {n} records were not acknowledged (first: record {i}); {cause.message}"
        )
        if written:
            cause.hint = (
                f"{written} record(s) of this append were written; appending all again would repeat "
                f"them. {cause.hint or ''}"
            ).strip()
        return cause

    # -- offsets -----------------------------------------------------------------------------------
    def _list_offsets(self, topic: str, spec: OffsetSpec, doing: str) -> dict[int, int]:
        t = self._topic(topic, doing)
        futures = self.admin.list_offsets(
            {TopicPartition(topic, p): spec for p in range(t.count)}, request_timeout=self.timeout
        )
        return {tp.partition: self._wait(f, doing, topic=topic).offset for tp, f in futures.items()}

    def begin_offsets(self, topic: str) -> dict[int, int]:
        """Earliest retained offset per partition."""
        return dict(sorted(self._list_offsets(topic, OffsetSpec.earliest(), "reading begin offsets").items()))

    def end_offsets(self, topic: str) -> dict[int, int]:
        """Offset the next appended record will get, per partition (Kafka's high watermark)."""
        return dict(sorted(self._list_offsets(topic, OffsetSpec.latest(), "reading end offsets").items()))

    def offsets_for_timestamp(self, topic: str, timestamp_ms: int) -> dict[int, int]:
        """Per partition, the first offset whose timestamp >= ``timestamp_ms`` (end offset if none)."""
        found = self._list_offsets(topic, OffsetSpec.for_timestamp(timestamp_ms), "looking up offsets by timestamp")
        if any(o < 0 for o in found.values()):
            ends = self.end_offsets(topic)
            found = {p: ends[p] if o < 0 else o for p, o in found.items()}
        return dict(sorted(found.items()))

    # -- group offsets -----------------------------------------------------------------------------
    def group_offsets(self) -> dict[str, dict[LogTopicPartition, int]]:
        """Committed offsets of every consumer group on the cluster that committed any, per group
        (the private groups of group-less readers never commit, so they do not show)."""
        listed = self._wait(self.admin.list_consumer_groups(request_timeout=self.timeout), "listing consumer groups")
        found: dict[str, dict[LogTopicPartition, int]] = {}
        for group in sorted(g.group_id for g in listed.valid):
            if group.startswith(PRIVATE_GROUP):
                continue
            request = [ConsumerGroupTopicPartitions(group)]
            futures = self.admin.list_consumer_group_offsets(request, request_timeout=self.timeout)
            answer = self._wait(futures[group], "reading committed offsets")
            offsets = {
                (tp.topic, tp.partition): tp.offset
                for tp in answer.topic_partitions or []
                if tp.offset >= 0 and not tp.topic.startswith("__")
            }
            if offsets:
                found[group] = dict(sorted(offsets.items()))
        return found

    def set_group_offsets(self, group: str, offsets: Mapping[LogTopicPartition, int]) -> None:
        """Commit ``offsets`` for ``group`` through the admin API (Kafka refuses while the group has
        live members: stop its consumers first)."""
        if not offsets:
            return
        for topic, _ in offsets:
            self._topic(topic, "setting committed offsets")
        request = [ConsumerGroupTopicPartitions(group, [TopicPartition(t, p, o) for (t, p), o in offsets.items()])]
        future = self.admin.alter_consumer_group_offsets(request, request_timeout=self.timeout)[group]
        answer = self._wait(future, "setting committed offsets")
        refused = [tp for tp in answer.topic_partitions or [] if tp.error is not None]
        if refused:
            raise GroupError(
                f"Kafka cluster {self.servers} refused offsets for group {group!r}: "
                + ", ".join(f"{tp.topic}[{tp.partition}]: {tp.error}" for tp in refused),
                hint="stop the group's consumers and try again",
            )

    # -- consumers ---------------------------------------------------------------------------------
    def consumer(
        self,
        topics: Sequence[str],
        *,
        group: str | None = None,
        auto_offset_reset: OffsetReset = "earliest",
        auto_commit: bool = True,
        session_timeout_ms: int = 10_000,
    ) -> KafkaEventLogConsumer:
        """Open a consumer; with ``group`` it joins that Kafka consumer group (partitions shared with
        the group's other members, committed offsets kept by the cluster)."""
        names = [topics] if isinstance(topics, str) else list(topics)
        if not names:
            raise LogError("a consumer needs at least one topic")
        for name in names:
            self._topic(name, "opening a consumer")
        return KafkaEventLogConsumer(
            self,
            names,
            group=group,
            auto_offset_reset=auto_offset_reset,
            auto_commit=auto_commit,
            session_timeout_ms=session_timeout_ms,
        )

    def transactional(self, transactional_id: str) -> KafkaTransaction | None:
        """A transactional producer with this id (see :mod:`.transactions`); None when the cluster refuses
        transactions (the caller falls back to idempotent output and says so)."""
        from streammesh.log.kafka.transactions import KafkaTransaction, TransactionsUnsupported

        try:
            return KafkaTransaction(self, transactional_id)
        except TransactionsUnsupported as e:
            _log.warning("%s: no transactions (%s); writers fall back to idempotent appends", self.servers, e)
            return None

    def close(self) -> None:
        """Flush pending deliveries and drop the clients; the log cannot be used afterwards."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            producer, self._producer, self._admin = self._producer, None, None
        if producer is not None:
            producer.flush(self.timeout)
