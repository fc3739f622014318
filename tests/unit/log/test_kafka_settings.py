"""Kafka log settings: the ``kafka://`` URL, librdkafka pass-through, secrets and topic configs (no broker)."""

from __future__ import annotations

import logging

import pytest

from streammesh.exceptions import ValidationError
from streammesh.log.base.exceptions import LogError
from streammesh.log.base.records import TopicSpec
from streammesh.log.kafka import KafkaEventLog
from streammesh.log.kafka.settings import (
    KafkaSettings,
    parse_kafka_url,
    settings_from_env,
)
from streammesh.log.kafka.topics import topic_configs


def test_url_names_brokers_and_passes_settings_through() -> None:
    servers, extra = parse_kafka_url("kafka://b1:9092,b2:9093?security.protocol=SASL_SSL&sasl.mechanism=SCRAM-SHA-512")
    assert servers == "b1:9092,b2:9093"
    assert extra == {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://db:5432", "is not a Kafka URL"),
        ("kafka://localhost", "needs a host and a port"),
        ("kafka://user:secret@b1:9092", "carries credentials"),
    ],
)
def test_bad_urls_say_how_to_write_them(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        parse_kafka_url(url)
    assert "secret" not in str(err.value)
    assert err.value.hint


def test_secrets_come_from_the_environment_and_are_never_shown() -> None:
    env = {"STREAMMESH_KAFKA_SASL_PASSWORD": "s3cret", "STREAMMESH_KAFKA_SASL_USERNAME": "mesh", "OTHER": "x"}
    assert settings_from_env(env) == {"sasl.password": "s3cret", "sasl.username": "mesh"}
    log = KafkaEventLog(
        "kafka://b1:9092?security.protocol=SASL_SSL&ssl.ca.location=/ca.pem", config=settings_from_env(env)
    )
    shown = repr(log)
    assert "s3cret" not in shown and "sasl.password': '***'" in shown and "/ca.pem" in shown


def test_settings_per_kind_of_client() -> None:
    settings = KafkaSettings(
        "b1:9092", {"producer.linger.ms": 50, "consumer.fetch.min.bytes": 10, "security.protocol": "SSL"}
    )
    producer = settings.client("producer", **{"linger.ms": 5, "enable.idempotence": True})
    assert producer["linger.ms"] == 50 and producer["security.protocol"] == "SSL"
    assert "fetch.min.bytes" not in producer and "consumer.fetch.min.bytes" not in producer
    assert producer["allow.auto.create.topics"] is False  # topics exist only through create_topic
    assert isinstance(settings.client("admin")["logger"], logging.Logger)


@pytest.mark.parametrize("key", ["enable.idempotence", "producer.acks", "group.id"])
def test_settings_that_would_break_guarantees_are_refused(key: str) -> None:
    with pytest.raises(ValidationError, match=f"{key.split('.', 1)[-1] if key.startswith('producer.') else key}"):
        KafkaSettings("b1:9092", {key: "x"})


def test_topic_configs_make_the_mesh_defaults_explicit() -> None:
    assert topic_configs(TopicSpec("t")) == {"retention.ms": "-1", "cleanup.policy": "delete"}
    assert topic_configs(TopicSpec("t", retention_ms=60_000, compacted=True, config={"segment.bytes": "4096"})) == {
        "retention.ms": "60000",
        "cleanup.policy": "compact",
        "segment.bytes": "4096",
    }
    with pytest.raises(LogError, match="TopicSpec.retention_ms"):
        topic_configs(TopicSpec("t", config={"retention.ms": "5"}))


def test_a_bare_backend_name_asks_for_the_brokers() -> None:
    with pytest.raises(ValidationError, match="needs the cluster's brokers") as err:
        KafkaEventLog("kafka")
    assert "kafka://HOST:PORT" in str(err.value)
