"""What only the Kafka log has: a cluster that may be unreachable, topic configs on the broker, placement
shared with other Kafka clients, and meshes configured with ``kafka://`` (CLI ``init`` and the SDK)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource
from typer.testing import CliRunner

import streammesh
from streammesh.cli.main import app
from streammesh.config import CONFIG_FILE
from streammesh.log.base.exceptions import LogError
from streammesh.log.base.records import OutgoingRecord, Record, TopicSpec
from streammesh.log.kafka import KafkaEventLog
from streammesh.log.partitioner import partition_for_key
from tests.brokers import TANSU_GAPS, tansu_binary, tansu_broker
from tests.factories import contract_dict, order
from tests.integration.log.backends import take, unique
from tests.integration.log.conftest import KAFKA_TEST_SETTINGS
from tests.servers import free_port

pytestmark = pytest.mark.parametrize("backend", ["kafka"])
# the broker's own workaround for TANSU_GAPS["batched_high_watermark"], passed as the URL's query
TEST_QUERY = "&".join(f"{k}={v}" for k, v in KAFKA_TEST_SETTINGS.items())
SCRAM = "security.protocol=SASL_PLAINTEXT&sasl.mechanism=SCRAM-SHA-512&sasl.username=mesh"


@pytest.fixture(scope="module")
def secured_bootstrap(kafka_bootstrap: str) -> Iterator[str]:
    """A second Tansu broker that requires SASL authentication (the shared one proves the binary exists)."""
    binary = tansu_binary()
    assert binary is not None
    with tansu_broker(binary, authentication=True) as bootstrap:
        yield bootstrap


def test_unreachable_cluster_names_the_servers_and_how_to_check(backend: str) -> None:
    port = free_port()  # nothing listens there
    log = KafkaEventLog(f"kafka://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(LogError) as err:
        log.topics()
    assert time.monotonic() - started < 5  # refused connections end the wait early (timeout is 10 s)
    assert f"cannot reach the Kafka cluster at 127.0.0.1:{port}" in str(err.value)
    assert "nc -vz" in str(err.value) and "security.protocol" in str(err.value)
    log.close()


def test_topics_carry_retention_and_compaction_as_kafka_configs(log: KafkaEventLog, kafka_bootstrap: str) -> None:
    table, stream = unique("table"), unique("stream")
    log.create_topic(TopicSpec(table, partitions=2, compacted=True))
    log.create_topic(TopicSpec(stream, partitions=3, retention_ms=86_400_000))
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    resources = [ConfigResource(ConfigResource.Type.TOPIC, t) for t in (table, stream)]
    found = {
        r.name: {k: e.value for k, e in f.result(timeout=10).items()}
        for r, f in admin.describe_configs(resources).items()
    }
    assert found[table]["retention.ms"] == "-1" and found[table]["cleanup.policy"] == "compact"
    assert found[stream]["retention.ms"] == "86400000" and found[stream]["cleanup.policy"] == "delete"
    partitions = admin.list_topics(timeout=10).topics
    assert (len(partitions[table].partitions), len(partitions[stream].partitions)) == (2, 3)


def test_placement_matches_other_kafka_clients(log: KafkaEventLog, kafka_bootstrap: str) -> None:
    # a librdkafka producer with the Java client's partitioner puts keys where the log does, and a
    # plain consumer reads the log's records with their keys, headers and timestamps
    topic = unique("interop")
    log.create_topic(TopicSpec(topic, partitions=6))
    keys = [b"customer-%d" % i for i in range(60)]
    ours = log.append(topic, [OutgoingRecord(b"ours", key=k, headers=(("h", b"1"),), timestamp=1_000) for k in keys])
    theirs: list[tuple[bytes, int]] = []
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "partitioner": "murmur2_random"})
    for k in keys:
        producer.produce(topic, b"theirs", k, on_delivery=lambda err, msg: theirs.append((msg.key(), msg.partition())))
    producer.flush(10)
    assert dict(theirs) == {k: p.partition for k, p in zip(keys, ours)} == {k: partition_for_key(k, 6) for k in keys}
    reader = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": unique("plain")})
    reader.assign([KafkaTopicPartition(topic, p, 0) for p in range(6)])
    seen = []
    deadline = time.monotonic() + 10
    while len(seen) < 60 and time.monotonic() < deadline:
        seen += [m for m in reader.consume(100, 0.2) if m.error() is None and m.value() == b"ours"]
    reader.close()
    assert sorted((m.partition(), m.key()) for m in seen) == sorted((p.partition, k) for k, p in zip(keys, ours))
    assert {(m.timestamp()[1], tuple(m.headers())) for m in seen} == {(1_000, (("h", b"1"),))}


def test_records_read_headers_on_first_access_and_behave_as_plain_records(
    log: KafkaEventLog, kafka_bootstrap: str
) -> None:
    # another client's records: a null header value (the port reads it as b""), no headers at all
    topic = unique("headers")
    log.create_topic(TopicSpec(topic, partitions=2))
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(topic, b"a", b"k1", partition=0, timestamp=1_000, headers=[("trace", None), ("n", b"1")])
    producer.produce(topic, b"b", None, partition=1, timestamp=2_000)
    producer.produce(topic, None, b"k1", partition=0, timestamp=3_000, headers=[("n", b"2")])
    assert producer.flush(10) == 0
    with log.consumer([topic]) as consumer:
        got = sorted(take(consumer, 3), key=lambda r: (r.partition, r.offset))
        assert consumer.position() == {(topic, 0): 2, (topic, 1): 1}
    # read after the consumer closed: a record keeps what it needs
    expected = [
        Record(topic, 0, 0, 1_000, b"k1", b"a", (("trace", b""), ("n", b"1"))),
        Record(topic, 0, 1, 3_000, b"k1", None, (("n", b"2"),)),
        Record(topic, 1, 0, 2_000, None, b"b", ()),
    ]
    assert got == expected and expected == got
    assert [type(r.headers) for r in got] == [tuple] * 3
    first = got[0]
    assert isinstance(first, Record) and repr(first) == repr(expected[0])
    assert copy.copy(first) == pickle.loads(pickle.dumps(first)) == expected[0]
    assert type(pickle.loads(pickle.dumps(first))) is Record
    assert dataclasses.replace(first, value=b"z").value == b"z"
    assert dataclasses.asdict(first)["headers"] == (("trace", b""), ("n", b"1"))
    first.headers = (("new", b"h"),)
    assert first.headers == (("new", b"h"),) and first != expected[0]
    with pytest.raises(TypeError):
        hash(first)


def test_a_poll_reads_a_batch_across_partitions_and_topics(log: KafkaEventLog) -> None:
    # one poll mixes partitions and topics: each record keeps its own fields, positions reach each one's last
    a, b = unique("cols-a"), unique("cols-b")
    log.create_topic(TopicSpec(a, partitions=3))
    log.create_topic(TopicSpec(b, partitions=1))
    sent = {
        a: [
            OutgoingRecord(
                b"a%d" % i, key=b"k%d" % i, headers=(("i", b"%d" % i),), timestamp=10_000 + i, partition=i % 3
            )
            for i in range(300)
        ],
        b: [OutgoingRecord(b"b%d" % i, timestamp=20_000 + i) for i in range(50)],
    }
    for topic, records in sent.items():
        log.append(topic, records)
    with log.consumer([a, b]) as consumer:
        got = take(consumer, 350)
        assert consumer.position() == {(a, 0): 100, (a, 1): 100, (a, 2): 100, (b, 0): 50}
    assert len(got) == 350
    for r in got:
        i = int(r.value[1:])
        s = sent[r.topic][i]
        assert (r.partition, r.key, r.timestamp, r.headers) == (
            s.partition if r.topic == a else 0,
            s.key,
            s.timestamp,
            s.headers,
        )
        assert r.offset == (i // 3 if r.topic == a else i)


def test_init_refuses_an_unreachable_cluster_and_writes_nothing(tmp_path: Path, backend: str) -> None:
    port = free_port()
    result = CliRunner().invoke(app, ["-w", str(tmp_path / "ws"), "init", "--log", f"kafka://127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert f"cannot reach the Kafka cluster at 127.0.0.1:{port}" in result.output + result.stderr
    assert not (tmp_path / "ws" / CONFIG_FILE).exists()


def test_a_mesh_on_kafka_publishes_produces_and_consumes(tmp_path: Path, kafka_bootstrap: str, backend: str) -> None:
    workspace = tmp_path / "ws"
    url = f"kafka://{kafka_bootstrap}?{TEST_QUERY}"
    result = CliRunner().invoke(app, ["-w", str(workspace), "init", "--log", url])
    assert result.exit_code == 0, result.output
    name = unique("sales.orders").replace("-", "_")
    with streammesh.connect(workspace) as mesh:
        assert isinstance(mesh.log, KafkaEventLog)
        mesh.add_team("@sales-team", domain="sales")
        mesh.publish(contract_dict(name))
        stream = mesh.product(name).stream
        assert stream in mesh.log.topics()
        with mesh.producer(name) as p:
            for i in range(20):
                p.send(None, order(i))
        events = list(mesh.consumer(name, from_beginning=True, fields=["order_id"]))
        assert sorted(e.value["order_id"] for e in events) == [f"O{i:06d}" for i in range(20)]
        assert all(e.partition == partition_for_key(e.key.encode(), 3) for e in events)
        with mesh.consumer(name, group=unique("app"), from_beginning=True, session_timeout_ms=2_000) as c:
            assert len(take(c, 20)) == 20


def test_sasl_settings_reach_the_client_and_refusals_say_so(secured_bootstrap: str, backend: str) -> None:
    # the refusal names SCRAM authentication, which only happens when the URL's sasl.* settings and
    # the password from the environment-style mapping reached librdkafka
    log = KafkaEventLog(f"kafka://{secured_bootstrap}?{SCRAM}", config={"sasl.password": "wrong"})
    with pytest.raises(LogError) as err:
        log.topics()
    message = str(err.value)
    assert f"Kafka cluster {secured_bootstrap} refused this client's credentials" in message
    assert "SCRAM" in message and "STREAMMESH_KAFKA_SASL_PASSWORD" in message and "wrong" not in message
    log.close()


@pytest.mark.xfail(strict=True, reason=TANSU_GAPS["scram_users"])
def test_a_scram_user_can_use_a_secured_cluster(secured_bootstrap: str, backend: str) -> None:
    binary = tansu_binary()
    assert binary is not None
    subprocess.run(
        [
            str(binary),
            "user",
            "create",
            "--broker",
            f"tcp://{secured_bootstrap}",
            "--mechanism",
            "scram512",
            "mesh",
            "s3cret",
        ],
        capture_output=True,
        timeout=20,
        check=False,
    )
    log = KafkaEventLog(f"kafka://{secured_bootstrap}?{SCRAM}", config={"sasl.password": "s3cret"}, timeout=3)
    try:
        topic = unique("secured")
        log.create_topic(TopicSpec(topic))
        assert [p.offset for p in log.append(topic, [OutgoingRecord(b"x")])] == [0]
    finally:
        log.close()


def test_an_append_the_cluster_did_not_acknowledge_raises(kafka_bootstrap: str, backend: str) -> None:
    # positions come only from delivery reports: when the broker dies, the append says what was lost
    binary = tansu_binary()
    assert binary is not None
    with tansu_broker(binary) as doomed:
        log = KafkaEventLog(f"kafka://{doomed}", delivery_timeout=1.5, timeout=2.0)
        topic = unique("doomed")
        log.create_topic(TopicSpec(topic, partitions=2))
        assert [p.offset for p in log.append(topic, [OutgoingRecord(b"kept", partition=1)])] == [0]
    started = time.monotonic()
    with pytest.raises(LogError) as err:
        log.append(topic, [OutgoingRecord(b"lost-%d" % i, key=b"k%d" % i) for i in range(3)])
    assert time.monotonic() - started < 10
    assert "3 of 3 records were not acknowledged" in str(err.value)
    assert f"cannot reach the Kafka cluster at {doomed}" in str(err.value)
    log.close()
