"""Kafka error translation: librdkafka error codes become the log port's exceptions (no broker)."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from streammesh.log.base.exceptions import GroupError, LogError
from streammesh.log.kafka.errors import translate


def _translate(code: int) -> LogError:
    return translate(KafkaException(KafkaError(code, "boom")), servers="s:9092", doing="creating", topic="t")


def test_an_invalid_topic_name_is_named_with_the_allowed_characters() -> None:
    err = _translate(KafkaError.TOPIC_EXCEPTION)
    assert type(err) is LogError
    assert "refused the topic name 't'" in str(err)


@pytest.mark.parametrize(
    ("code", "kind"),
    [(KafkaError.INVALID_CONFIG, LogError), (KafkaError.POLICY_VIOLATION, LogError)],
)
def test_codes_checked_after_the_topic_name_are_translated(code: int, kind: type[LogError]) -> None:
    # these once failed with AttributeError on a constant confluent-kafka does not have
    err = _translate(code)
    assert type(err) is kind
    assert "check the topic settings" in str(err)


def test_a_group_error_is_a_group_error() -> None:
    assert isinstance(_translate(KafkaError.REBALANCE_IN_PROGRESS), GroupError)
