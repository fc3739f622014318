"""The embedded log: the default event log, kept in a folder on local disk.

Multi-process safe (flock per partition for appends, lock-free reads below a published durable
end), durable (an acknowledged append survives ``kill -9``; with ``fsync=True`` also a power cut),
and Kafka-shaped: partitions, murmur2 key placement, offsets, timestamps, headers, consumer groups.
"""

from streammesh.log.embedded.consumer import EmbeddedLogConsumer
from streammesh.log.embedded.log import EmbeddedLog
from streammesh.log.embedded.positions import AppendResult
from streammesh.log.embedded.recordbatch import RecordBatch

__all__ = ["AppendResult", "EmbeddedLog", "EmbeddedLogConsumer", "RecordBatch"]
