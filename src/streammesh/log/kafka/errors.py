"""Turn librdkafka errors into the log port's exceptions, with messages that say what to do.

Services above the log catch :class:`~streammesh.log.base.exceptions.LogError` and its subclasses
only; a raw ``KafkaException`` leaking out would bypass the CLI's and REST API's error handling.
"""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException

from streammesh.log.base.exceptions import (
    FencedError,
    GroupError,
    LogError,
    TopicExistsError,
    TopicNotFoundError,
)

__all__ = ["UNREACHABLE_HINT", "kafka_error", "translate", "unreachable"]

UNREACHABLE_HINT = (
    "check that the brokers run and that this machine reaches them (e.g. 'nc -vz HOST PORT'), "
    "and that security.protocol / sasl.* / ssl.* in the log URL or STREAMMESH_KAFKA_* variables "
    "match the broker's listener"
)

_UNREACHABLE = {
    KafkaError._TRANSPORT,
    KafkaError._ALL_BROKERS_DOWN,
    KafkaError._TIMED_OUT,
    KafkaError._MSG_TIMED_OUT,
    KafkaError._RESOLVE,
    KafkaError._AUTHENTICATION,
    KafkaError._SSL,
}
_GROUP = {
    KafkaError.ILLEGAL_GENERATION,
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.FENCED_INSTANCE_ID,
    KafkaError._ASSIGNMENT_LOST,
}


def kafka_error(exc: BaseException | KafkaError) -> KafkaError | None:
    """The ``KafkaError`` inside a ``KafkaException`` (or the error itself), else ``None``."""
    if isinstance(exc, KafkaError):
        return exc
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


def unreachable(servers: str, doing: str, detail: str = "") -> LogError:
    """The error for a cluster that does not answer: names the bootstrap servers and how to check them."""
    more = f" ({detail})" if detail else ""
    return LogError(f"cannot reach the Kafka cluster at {servers} while {doing}{more}", hint=UNREACHABLE_HINT)


def translate(
    exc: BaseException | KafkaError, *, servers: str, doing: str, topic: str | None = None, group: str | None = None
) -> LogError:
    """The port exception for a librdkafka failure while ``doing`` something with ``topic``/``group``."""
    err = kafka_error(exc)
    if err is None:
        return LogError(f"Kafka cluster {servers}: {doing} failed: {exc}")
    code, text = err.code(), err.str()
    about = f"topic {topic!r}" if topic else f"group {group!r}" if group else f"cluster {servers}"
    if code in (KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED):
        return LogError(
            f"Kafka cluster {servers} refused this client's credentials while {doing}: {text}",
            hint="check security.protocol, sasl.mechanism and sasl.username in the log URL and the "
            "password (STREAMMESH_KAFKA_SASL_PASSWORD) against the cluster's listener",
        )
    if code == KafkaError._SSL:
        return LogError(
            f"TLS with Kafka cluster {servers} failed while {doing}: {text}",
            hint="check ssl.ca.location (the CA that signed the brokers' certificates) and, for "
            "mutual TLS, ssl.certificate.location / ssl.key.location",
        )
    if code in _UNREACHABLE:
        return unreachable(servers, doing, text)
    if code in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH):
        return FencedError(
            f"a newer writer with the same transactional id took over while {doing}: {text}",
            hint="another instance owns this work now; this one stops writing it",
        )
    if code in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC, KafkaError._UNKNOWN_PARTITION):
        return TopicNotFoundError(
            f"unknown topic {topic!r} on Kafka cluster {servers}",
            hint="publish the data product first (publishing creates its stream), or check the name",
        )
    if code == KafkaError.TOPIC_ALREADY_EXISTS:
        return TopicExistsError(
            f"topic {topic!r} already exists on Kafka cluster {servers}",
            hint="use another name or delete the old topic",
        )
    if code in (
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    ):
        return LogError(
            f"Kafka cluster {servers} refused {doing} on {about}: {text}",
            hint="ask the cluster's operators for an ACL granting it to this client's principal",
        )
    if code == KafkaError.TOPIC_EXCEPTION:  # librdkafka's name for Kafka's INVALID_TOPIC_EXCEPTION (17)
        return LogError(
            f"Kafka cluster {servers} refused the topic name {topic!r}: {text}",
            hint="use letters, digits, '.', '_' and '-' (at most 249 characters)",
        )
    if code in (
        KafkaError.INVALID_CONFIG,
        KafkaError.POLICY_VIOLATION,
        KafkaError.INVALID_PARTITIONS,
        KafkaError.INVALID_REPLICATION_FACTOR,
    ):
        return LogError(
            f"Kafka cluster {servers} refused {doing} for {about}: {text}",
            hint="check the topic settings (partitions, retention, config) against the cluster's limits",
        )
    if code in _GROUP:
        return GroupError(
            f"{doing} for {about} was refused by Kafka cluster {servers}: {text}",
            hint="poll again: the consumer rejoins and continues from the group's committed offsets",
        )
    return LogError(f"Kafka cluster {servers}: {doing} failed for {about}: {text} ({err.name()})")
