"""Kafka transactions for writers that must be exactly-once: a stream task's micro-batch.

One :class:`KafkaTransaction` per writer identity (``transactional.id``). Creating it calls
``init_transactions``, which makes the broker abort whatever the previous holder of that id left open and
*fences* it: from then on every call of the old producer fails with ``FENCED``. A batch's outputs are
appended between :meth:`~KafkaTransaction.begin` and :meth:`~KafkaTransaction.commit`; consumers with
``isolation.level=read_committed`` (librdkafka's default) see all of them or none.

The Tansu broker the tests use fences and commits like Kafka but keeps aborted records visible
(``TANSU_GAPS["aborted_visible"]`` in ``tests/brokers.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, KafkaException, Producer

from streammesh.log.base.exceptions import LogError
from streammesh.log.base.log import LogTransaction
from streammesh.log.base.records import OutgoingRecord
from streammesh.log.kafka.errors import kafka_error, translate

if TYPE_CHECKING:
    from streammesh.log.kafka.log import KafkaEventLog

__all__ = ["KafkaTransaction", "TransactionsUnsupported"]

_UNSUPPORTED = {
    KafkaError._UNSUPPORTED_FEATURE,
    KafkaError.UNSUPPORTED_VERSION,
    KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED,
}


def _ignore(report: object) -> None:
    """Delivery reports of a transaction: :meth:`KafkaTransaction.commit` fails if any record is missing."""


class TransactionsUnsupported(LogError):
    """The cluster (or this client's principal) cannot use transactions."""


class KafkaTransaction(LogTransaction):
    """A transactional producer of ``log``'s cluster (module docstring)."""

    def __init__(self, log: KafkaEventLog, transactional_id: str, *, transaction_timeout_ms: int = 60_000) -> None:
        self.log, self.id = log, transactional_id
        self.producer = Producer(
            log.settings.client(
                "producer",
                **{
                    "transactional.id": transactional_id,
                    "enable.idempotence": True,
                    "acks": "all",
                    "linger.ms": 5,
                    "partitioner": "murmur2_random",
                    "transaction.timeout.ms": transaction_timeout_ms,
                    "message.timeout.ms": min(int(log.delivery_timeout * 1000), transaction_timeout_ms),
                },
            )
        )
        try:
            self._call(lambda: self.producer.init_transactions(log.timeout), "starting transactions")
        except LogError as e:
            cause = kafka_error(e.__cause__) if isinstance(e.__cause__, KafkaException) else None
            if cause is not None and cause.code() in _UNSUPPORTED:
                raise TransactionsUnsupported(str(e)) from None
            raise

    def _call(self, fn: Callable[[], Any], doing: str) -> Any:
        """``fn()`` with librdkafka's failures as the port's (:class:`FencedError` when fenced); a failure
        that leaves the transaction unusable aborts it first."""
        try:
            return fn()
        except KafkaException as e:
            err = kafka_error(e)
            if err is not None and err.txn_requires_abort():
                self.abort()
            raise translate(e, servers=self.log.servers, doing=doing) from e

    def begin(self) -> None:
        self._call(self.producer.begin_transaction, "beginning a transaction")

    def append(self, topic: str, records: Sequence[OutgoingRecord]) -> None:
        """Queue the records in the open transaction; :meth:`commit` waits for every acknowledgement (and
        fails if any is missing), so nothing here waits for the brokers."""
        if not records:
            return
        self._call(
            lambda: self.log._produce(topic, records, _ignore, self.producer),
            f"appending to topic {topic!r} in a transaction",
        )

    def commit(self) -> None:
        self._call(
            lambda: self.producer.commit_transaction(self.log.timeout + self.log.delivery_timeout),
            "committing a transaction",
        )

    def abort(self) -> None:
        try:
            self.producer.abort_transaction(self.log.timeout)
        except KafkaException:
            pass  # fenced or not in a transaction: the broker aborts it when the next holder starts

    def close(self) -> None:
        self.producer.flush(0)
