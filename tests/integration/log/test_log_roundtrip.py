"""Every log backend: topics, appends, reads, seeks and offsets (embedded on disk, Kafka on Tansu)."""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise

import pytest

from streammesh.exceptions import ConflictError, NotFoundError
from streammesh.log.base.exceptions import (
    GroupError,
    LogError,
    TopicExistsError,
    TopicNotFoundError,
)
from streammesh.log.base.log import BaseLog
from streammesh.log.base.records import (
    OutgoingRecord,
    Record,
    RecordPosition,
    TopicSpec,
)
from streammesh.log.embedded import AppendResult, EmbeddedLog
from streammesh.log.partitioner import partition_for_key
from streammesh.plugins import log_backends
from tests.integration.log.backends import (
    SESSION_MS,
    embedded_only,
    take,
    tansu_gap,
    unique,
)

ReadAll = Callable[[BaseLog, str], list[Record]]


def test_registered_backends() -> None:
    from streammesh.log.kafka import KafkaEventLog

    assert log_backends.get("embedded") is EmbeddedLog
    assert log_backends.get("kafka") is KafkaEventLog


def test_round_trip_keys_headers_timestamps_tombstones(log: BaseLog, topic_factory, read_all: ReadAll) -> None:
    topic = topic_factory()
    sent = [
        OutgoingRecord(b"v0", key=b"k0", headers=(("trace-id", b"abc"), ("n", b"")), timestamp=1_000),
        OutgoingRecord(None, key=b"k0", timestamp=2_000),  # tombstone
        OutgoingRecord(b"", key=None),  # empty value, keyless, append time
        OutgoingRecord(b"\x00\xff" * 500, key=b"", headers=(("bin", b"\x00\x01"),), timestamp=500),
    ]
    before = int(time.time() * 1000)
    positions = log.append(topic, sent)
    after = int(time.time() * 1000)
    assert [p.offset for p in positions] == [0, 1, 2, 3]
    assert positions[0] == RecordPosition(topic, 0, 0, 1_000)
    assert before <= positions[2].timestamp <= after
    got = read_all(log, topic)
    assert [(r.offset, r.key, r.value, r.headers) for r in got] == [
        (0, b"k0", b"v0", (("trace-id", b"abc"), ("n", b""))),
        (1, b"k0", None, ()),
        (2, None, b"", ()),
        (3, b"", b"\x00\xff" * 500, (("bin", b"\x00\x01"),)),
    ]
    assert [r.timestamp for r in got] == [1_000, 2_000, positions[2].timestamp, 500]
    assert all(isinstance(r, Record) and r.topic == topic and r.partition == 0 for r in got)


def test_positions_are_in_input_order_across_partitions(log: BaseLog, topic_factory, read_all: ReadAll) -> None:
    topic = topic_factory(partitions=5)
    keys = [b"customer-%d" % i for i in range(200)]
    positions = log.append(topic, [OutgoingRecord(b"v%d" % i, key=k) for i, k in enumerate(keys)])
    assert len(positions) == 200
    for k, pos in zip(keys, positions):
        assert pos.partition == partition_for_key(k, 5)  # Kafka's default partitioner, on every backend
    by_position = {(r.partition, r.offset): r for r in read_all(log, topic)}
    for i, pos in enumerate(positions):
        assert by_position[(pos.partition, pos.offset)].value == b"v%d" % i
    assert positions == list(positions)  # compares like the list it stands for
    if isinstance(positions, AppendResult):  # the embedded log's lazy result also groups by partition
        assert sorted(positions.offsets) == sorted({p.partition for p in positions})


def test_kafka_placement_of_known_keys(log: BaseLog, topic_factory) -> None:
    topic = topic_factory(partitions=1000 // 10)  # 100 partitions
    pos = log.append(topic, [OutgoingRecord(b"x", key=k) for k in (b"", b"a", b"ab", b"abc", b"123456789")])
    # Java client with 1000 partitions gives 681, 524, 434, 107, 566; with 100 it is the same mod 100.
    assert [p.partition for p in pos] == [81, 24, 34, 7, 66]


def test_keyless_records_are_sticky_per_append_and_rotate(log: BaseLog, topic_factory) -> None:
    topic = topic_factory(partitions=3)
    seen = []
    for _ in range(6):
        pos = log.append(topic, [OutgoingRecord(b"x") for _ in range(10)])
        assert len({p.partition for p in pos}) == 1  # one batch, one partition
        seen.append(pos[0].partition)
    assert sorted(set(seen)) == [0, 1, 2]
    assert all(b == (a + 1) % 3 for a, b in pairwise(seen))
    assert sum(log.end_offsets(topic).values()) == 60


@tansu_gap("batched_high_watermark")
def test_end_offsets_after_a_batched_append(log_factory, backend: str) -> None:
    # the other Kafka tests produce one record per batch (conftest.KAFKA_TEST_SETTINGS); this one
    # uses librdkafka's default batching, where Tansu's high watermark falls behind
    log = log_factory(config={"producer.batch.num.messages": 10_000}) if backend == "kafka" else log_factory()
    topic = unique("batched")
    log.create_topic(TopicSpec(topic))
    positions = log.append(topic, [OutgoingRecord(b"x%d" % i) for i in range(20)])
    assert [p.offset for p in positions] == list(range(20))
    assert log.end_offsets(topic) == {0: 20}


def test_explicit_partitions_and_range_errors(log: BaseLog, topic_factory) -> None:
    topic = topic_factory(partitions=2)
    pos = log.append(topic, [OutgoingRecord(b"a", key=b"k", partition=1), OutgoingRecord(b"b", partition=0)])
    assert [(p.partition, p.offset) for p in pos] == [(1, 0), (0, 0)]
    with pytest.raises(LogError, match=r"partition 2 is out of range .* has 2 partitions \(0..1\)"):
        log.append(topic, [OutgoingRecord(b"c", partition=2)])
    assert log.end_offsets(topic) == {0: 1, 1: 1}  # the refused append wrote nothing


@embedded_only  # read_batches is the embedded log's columnar read
def test_read_batches_checks_the_partition_range(log: EmbeddedLog, topic_factory) -> None:
    topic = topic_factory(partitions=2)
    with pytest.raises(LogError, match="has 2 partitions"):
        log.read_batches(topic, 7)


def test_bad_values_are_refused_before_writing(log: BaseLog, topic_factory) -> None:
    topic = topic_factory()
    with pytest.raises(LogError, match="values must be bytes or None; got str"):
        log.append(topic, [OutgoingRecord(b"ok"), OutgoingRecord("not bytes")])  # type: ignore[arg-type]
    assert log.end_offsets(topic) == {0: 0}
    assert log.append(topic, []) == []


def test_unknown_topic_lists_topics_and_says_publish_first(log: BaseLog, topic_factory) -> None:
    missing = unique("nope")
    with pytest.raises(TopicNotFoundError) as err:
        log.append(missing, [OutgoingRecord(b"x")])
    assert "existing topics:" in str(err.value) and "publish the data product first" in str(err.value)
    with pytest.raises(NotFoundError, match=f"unknown topic '{missing}'"):
        log.end_offsets(missing)
    with pytest.raises(TopicNotFoundError):
        log.consumer([missing])


@embedded_only  # a fresh folder has no topics; a shared broker has the other tests' topics
def test_unknown_topic_in_an_empty_log_says_none_yet(log: BaseLog, topic_factory) -> None:
    with pytest.raises(TopicNotFoundError, match="existing topics: none yet"):
        log.append("nope", [OutgoingRecord(b"x")])
    topic = topic_factory()
    with pytest.raises(NotFoundError, match=f"existing topics: {topic}"):
        log.end_offsets("orders")


def test_create_topic_is_idempotent_and_conflicts_on_partitions(log: BaseLog) -> None:
    orders, first = unique("sales.orders"), unique("a-first")
    log.create_topic(TopicSpec(orders, partitions=3))
    log.create_topic(TopicSpec(orders, partitions=3))
    with pytest.raises(TopicExistsError, match="exists .*with 3 partitions, not 4") as err:
        log.create_topic(TopicSpec(orders, partitions=4))
    assert isinstance(err.value, ConflictError)
    log.create_topic(TopicSpec(first, retention_ms=60_000, compacted=True))
    assert {first, orders} <= set(log.topics()) and log.topics() == sorted(log.topics())
    spec = log.topic_spec(first)
    assert (spec.partitions, spec.retention_ms, spec.compacted) == (1, 60_000, True)
    forever = log.topic_spec(orders)
    assert (forever.partitions, forever.retention_ms, forever.compacted) == (3, None, False)
    with pytest.raises(LogError, match="partitions must be a positive integer"):
        log.create_topic(TopicSpec(unique("zero"), partitions=0))


@tansu_gap("topic_config_source")
def test_topic_config_is_kept(log: BaseLog) -> None:
    name = unique("configured")
    log.create_topic(TopicSpec(name, config={"segment.bytes": "4096"}))
    assert log.topic_spec(name).config == {"segment.bytes": "4096"}


def test_delete_topic_removes_records_and_offsets(log: BaseLog, topic_factory) -> None:
    topic, group = topic_factory(), unique("g")
    log.append(topic, [OutgoingRecord(b"x")])
    with log.consumer([topic], group=group, session_timeout_ms=SESSION_MS) as c:
        assert len(take(c, 1)) == 1
        c.commit()
        assert c.committed() == {(topic, 0): 1}
    log.delete_topic(topic)
    assert topic not in log.topics()
    with pytest.raises(TopicNotFoundError):
        log.delete_topic(topic)
    log.create_topic(TopicSpec(topic))
    assert log.end_offsets(topic) == {0: 0}
    with log.consumer([topic], group=group, session_timeout_ms=SESSION_MS) as c:
        assert c.committed() == {}


def _timestamped(log: BaseLog, topic: str) -> None:
    for p in (0, 1):  # timestamps 1000..10000: librdkafka cannot send 0, it means "now"
        log.append(topic, [OutgoingRecord(b"%d-%d" % (p, i), partition=p, timestamp=1000 * (i + 1)) for i in range(10)])


def test_offsets_and_seeks(log: BaseLog, topic_factory) -> None:
    topic = topic_factory(partitions=2)
    _timestamped(log, topic)
    assert log.begin_offsets(topic) == {0: 0, 1: 0}
    assert log.end_offsets(topic) == {0: 10, 1: 10}
    with log.consumer([topic]) as c:
        assert c.assignment() == [(topic, 0), (topic, 1)]
        assert c.position() == {(topic, 0): 0, (topic, 1): 0}
        assert c.lag() == {(topic, 0): 10, (topic, 1): 10}
        c.seek(topic, 1, 7)
        c.seek(topic, 0, 99)  # clamped to the end
        assert [(r.partition, r.offset) for r in take(c, 3)] == [(1, 7), (1, 8), (1, 9)]
        assert c.poll(timeout=0.3) == []
        c.seek_to_beginning()
        assert len(take(c, 20)) == 20
        assert c.lag() == {(topic, 0): 0, (topic, 1): 0}
        c.seek_to_end()
        log.append(topic, [OutgoingRecord(b"new", partition=1)])
        assert [(r.partition, r.offset, r.value) for r in take(c, 1)] == [(1, 10, b"new")]
        with pytest.raises(LogError, match="not assigned"):
            c.seek("other", 0, 0)
        with pytest.raises(GroupError, match="no group"):
            c.commit()
        assert c.committed() == {}


@tansu_gap("timestamp_lookup")
def test_offsets_for_timestamp_and_seek_to_timestamp(log: BaseLog, topic_factory) -> None:
    topic = topic_factory(partitions=2)
    _timestamped(log, topic)
    assert log.offsets_for_timestamp(topic, 3500) == {0: 3, 1: 3}
    assert log.offsets_for_timestamp(topic, 0) == {0: 0, 1: 0}
    assert log.offsets_for_timestamp(topic, 10**13) == {0: 10, 1: 10}
    with log.consumer([topic]) as c:
        c.seek_to_timestamp(8000)
        assert sorted((r.partition, r.offset) for r in take(c, 6)) == [(0, 7), (0, 8), (0, 9), (1, 7), (1, 8), (1, 9)]


def test_explicit_timestamps_must_be_sendable(log: BaseLog, topic_factory) -> None:
    topic = topic_factory()
    log.append(topic, [OutgoingRecord(b"x", timestamp=1)])
    with (
        pytest.raises(LogError, match="timestamp must be positive")
        if not isinstance(log, EmbeddedLog)
        else pytest.raises(AssertionError)
    ):
        log.append(topic, [OutgoingRecord(b"x", timestamp=0)])
        raise AssertionError("the embedded log stores timestamp 0 as it is")


def test_latest_reset_reads_only_new_records(log: BaseLog, topic_factory) -> None:
    topic = topic_factory()
    log.append(topic, [OutgoingRecord(b"old")])
    with log.consumer([topic], auto_offset_reset="latest") as c:
        assert c.poll(timeout=0.3) == []
        log.append(topic, [OutgoingRecord(b"new")])
        assert [r.value for r in take(c, 1)] == [b"new"]


@embedded_only  # librdkafka interleaves partitions by fetch response, not per poll
def test_poll_is_fair_across_partitions(log: EmbeddedLog, topic_factory) -> None:
    topic = topic_factory(partitions=3)
    for p in range(3):
        log.append(topic, [OutgoingRecord(b"x", partition=p) for _ in range(1000)])
    with log.consumer([topic]) as c:
        first = [{r.partition for r in c.poll(max_records=100)} for _ in range(3)]
    assert set().union(*first) == {0, 1, 2}  # three polls, three partitions: nobody starves


@embedded_only  # poll_batches / read_batches: the embedded log's columnar path
def test_poll_batches_is_the_columnar_path(log: EmbeddedLog, topic_factory) -> None:
    topic = topic_factory()
    log.append(topic, [OutgoingRecord(b"v%d" % i, key=b"k%d" % i, timestamp=i) for i in range(50)])
    log.append(topic, [OutgoingRecord(b"w%d" % i) for i in range(50)])
    with log.consumer([topic]) as c:
        c.seek(topic, 0, 45)
        views = c.poll_batches(max_records=8)
        assert [(v.base_offset, v.count) for v in views] == [(45, 5), (50, 3)]
        assert views[0].values == [b"v%d" % i for i in range(45, 50)]
        assert views[0].timestamps == list(range(45, 50))
        assert views[1].keys == [None] * 3
        assert list(views[1].offsets) == [50, 51, 52]
        rest = c.poll_batches()
        assert sum(v.count for v in rest) == 47 and c.position() == {(topic, 0): 100}
    direct = log.read_batches(topic, 0, 10)
    assert direct[0].base_offset == 10 and direct[0].values[0] == b"v10"


def test_many_appends_are_read_back_in_order(log: BaseLog, topic_factory, read_all: ReadAll) -> None:
    topic = topic_factory()
    for i in range(300):
        log.append(topic, [OutgoingRecord(b"%d" % i)])
    assert [int(r.value) for r in read_all(log, topic)] == list(range(300))
    with log.consumer([topic]) as c:  # reading one record at a time gives the same
        got = [r for _ in range(300) for r in c.poll(max_records=1, timeout=5)]
    assert [r.offset for r in got] == list(range(300))


def test_two_log_instances_see_each_other(log_factory) -> None:
    a, b = log_factory(), log_factory()
    shared = unique("shared")
    a.create_topic(TopicSpec(shared, partitions=2))
    b.append(shared, [OutgoingRecord(b"from-b", partition=1)])
    a.append(shared, [OutgoingRecord(b"from-a", partition=1)])
    assert a.end_offsets(shared) == b.end_offsets(shared) == {0: 0, 1: 2}
    with b.consumer([shared]) as c:
        assert [r.value for r in take(c, 2)] == [b"from-b", b"from-a"]


def test_closed_log_refuses_work(log_factory) -> None:
    log = log_factory()
    topic = unique("t")
    log.create_topic(TopicSpec(topic))
    log.close()
    with pytest.raises(LogError, match="closed"):
        log.append(topic, [OutgoingRecord(b"x")])


def test_one_record_appends_read_back_exactly(log: BaseLog, topic_factory, read_all: ReadAll) -> None:
    # one-record batches take a fast decoding path; mixes with nulls/headers take the general one
    topic = topic_factory()
    sent = []
    for i in range(120):
        key = None if i % 11 == 0 else b"k" * (i % 17)
        value = None if i % 13 == 0 else bytes([i % 256]) * (i % 23)
        headers = (("i", b"%d" % i),) if i % 7 == 0 else ()
        sent.append(OutgoingRecord(value, key=key, headers=headers, timestamp=10_000 + i))
        log.append(topic, [sent[-1]])
    log.append(topic, sent[:5])  # and one multi-record batch at the end
    got = read_all(log, topic)
    expected = sent + sent[:5]
    assert [(r.key, r.value, r.headers, r.timestamp) for r in got] == [
        (s.key, s.value, s.headers, s.timestamp) for s in expected
    ]
    with log.consumer([topic]) as c:
        c.seek(topic, 0, 30)
        assert [r.value for r in take(c, 4)] == [s.value for s in sent[30:34]]
        assert [r.offset for r in take(c, 3)] == [34, 35, 36]


@embedded_only  # poll_batches: the embedded log's columnar path
def test_one_record_batches_read_back_as_views(log: EmbeddedLog, topic_factory) -> None:
    topic = topic_factory()
    sent = [OutgoingRecord(None if i % 13 == 0 else b"%d" % i, timestamp=10_000 + i) for i in range(40)]
    for record in sent:
        log.append(topic, [record])
    with log.consumer([topic]) as c:
        c.seek(topic, 0, 30)
        views = c.poll_batches(max_records=4)
        assert sum(v.count for v in views) == 4 and views[0].base_offset == 30
        assert [v for view in views for v in view.values] == [s.value for s in sent[30:34]]
        assert [r.offset for r in c.poll(max_records=3)] == [34, 35, 36]
