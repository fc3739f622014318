"""``KafkaRecord``: the port's :class:`~streammesh.log.base.records.Record` read from Kafka, headers on demand.

A poll returns thousands of messages, and per message the Python work is what separates the adapter from
a raw confluent-kafka loop. Of that work, a message's headers cost the most: confluent-kafka builds their
Python list (a tuple, a ``str`` and a ``bytes`` per header) on the first ``Message.headers()`` call, and the
port promises a tuple of tuples on top; that is about as much as all the other fields together, while most
readers (the SQL engine's source reads, stream samples) never look at headers. So a record keeps its message
and converts the headers when they are first read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from confluent_kafka import Message

from streammesh.log.base.records import Headers, Record

__all__ = ["KafkaRecord"]


if TYPE_CHECKING:

    class FetchedMessage(Message[bytes, bytes]):
        """A message librdkafka fetched or reported delivered: where it sits is always known (the stubs
        type these getters optional because a message built in Python may have none)."""

        def topic(self) -> str: ...
        def partition(self) -> int: ...
        def offset(self) -> int: ...

else:
    FetchedMessage = Message


def _nulls_as_empty(headers: list[tuple[str, bytes | None]]) -> Headers:
    """Headers with a null value read as b"", as on the embedded log."""
    return tuple((k, b"" if v is None else v) for k, v in headers)


class KafkaRecord(Record):
    """A :class:`Record` read from Kafka whose headers are converted on first access.

    Converting headers costs about as much as everything else a record holds, and most readers never look
    at them, so the record keeps its ``Message`` until then. It compares equal to a plain ``Record`` with
    the same fields, and copies and pickles as one.
    """

    __slots__ = ("_headers",)

    def __init__(
        self,
        topic: str,
        partition: int,
        offset: int,
        timestamp: int,
        key: bytes | None,
        value: bytes | None,
        headers: Headers | Message = (),
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self._headers: Headers | Message = headers

    @property
    def headers(self) -> Headers:
        found = self._headers
        if found.__class__ is Message:  # first access (the SDK reads every record's: kept short)
            # consumed messages carry their headers as a list of (name, bytes or None), or None
            raw = cast("list[tuple[str, bytes | None]] | None", found.headers())
            if not raw:
                found = ()
            else:
                for _k, v in raw:
                    if v is None:
                        found = _nulls_as_empty(raw)
                        break
                else:
                    found = cast(Headers, tuple(raw))  # the loop found no None value
            self._headers = found
        return cast(Headers, found)  # converted above when it was the Message

    @headers.setter
    def headers(self, value: Headers) -> None:
        self._headers = value

    def _fields(self) -> tuple[Any, ...]:
        return self.topic, self.partition, self.offset, self.timestamp, self.key, self.value, self.headers

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return self._fields() == (
            other.topic,
            other.partition,
            other.offset,
            other.timestamp,
            other.key,
            other.value,
            other.headers,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like Record

    def __repr__(self) -> str:
        return Record.__repr__(Record(*self._fields()))

    def __reduce__(self) -> tuple[type[Record], tuple[Any, ...]]:
        return Record, self._fields()
