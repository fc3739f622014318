"""The log port: records, topics and the abstract log and consumer."""

from streammesh.log.base.capabilities import LogCapabilities
from streammesh.log.base.columns import RecordColumns, RecordRun, runs_of
from streammesh.log.base.exceptions import (
    CorruptLogError,
    FencedError,
    GroupError,
    LogError,
    TopicExistsError,
    TopicNotFoundError,
)
from streammesh.log.base.log import BaseLog, BaseLogConsumer, LogTransaction, TopicPartition
from streammesh.log.base.records import Headers, OffsetReset, OutgoingRecord, Record, RecordPosition, TopicSpec

__all__ = [
    "BaseLog",
    "BaseLogConsumer",
    "CorruptLogError",
    "FencedError",
    "GroupError",
    "Headers",
    "LogCapabilities",
    "LogError",
    "LogTransaction",
    "OffsetReset",
    "OutgoingRecord",
    "Record",
    "RecordColumns",
    "RecordPosition",
    "RecordRun",
    "TopicExistsError",
    "TopicNotFoundError",
    "TopicPartition",
    "TopicSpec",
    "runs_of",
]
