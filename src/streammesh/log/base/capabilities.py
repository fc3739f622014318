"""What a log backend can do, declared by the adapter so that callers never probe it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LogCapabilities"]


@dataclass(frozen=True, slots=True)
class LogCapabilities:
    """A log backend's declared abilities (a class attribute of each adapter: known before it is opened).

    Attributes:
        remote: records live on servers: an empty poll does not mean the end of a partition (a fetch may be
            under way) and end offsets can be reported before the records are fetchable.
        native_columns: ``poll_batches`` is the adapter's own zero-copy path; otherwise it is built from
            ``poll()`` (correct, slower).
        transactions: :meth:`~streammesh.log.base.BaseLog.transactional` can return a writer whose appends
            become visible all together, fencing earlier writers with the same id.
        single_writer: one process appending to a stream is the whole exactly-once protocol (the embedded
            log): apps run as one instance rather than as partition tasks in a consumer group.
        group_admin: consumer groups' offsets can be listed and set from outside the group.
    """

    remote: bool = False
    native_columns: bool = False
    transactions: bool = False
    single_writer: bool = False
    group_admin: bool = False
