"""The columnar paths: Arrow columns appended and read back, murmur2 over a whole key column."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from streammesh.log.base import LogError, OutgoingRecord, TopicSpec
from streammesh.log.embedded import EmbeddedLog
from streammesh.log.embedded.batch import encode_arrow_batch, encode_batch
from streammesh.log.partitioner import partition_for_key, partitions_for_keys


def test_partitions_for_keys_equal_the_scalar_partitioner():
    rng = random.Random(3)
    keys = [
        None if rng.random() < 0.05 else bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        for _ in range(5000)
    ]
    array = pa.array(keys, pa.binary())
    for partitions in (1, 3, 7, 100):
        expected = [-1 if k is None else partition_for_key(k, partitions) for k in keys]
        assert partitions_for_keys(array, partitions).tolist() == expected
    sliced = array.slice(100, 500)
    assert partitions_for_keys(sliced, 5).tolist() == [
        -1 if k is None else partition_for_key(k, 5) for k in keys[100:600]
    ]
    with pytest.raises(ValueError, match="partitions must be >= 1"):
        partitions_for_keys(array, 0)


def test_an_arrow_batch_is_byte_identical_to_the_list_batch():
    keys = [b"a", None, b"ccc", b""]
    values = [b"x", b"yy", None, b"zzzz"]
    stamps = [5, 9, 7, 7]
    arrow = encode_arrow_batch(pa.array(keys, pa.binary()), pa.array(values, pa.binary()), pa.array(stamps, pa.int64()))
    assert arrow.frame(10) == encode_batch(keys, values, stamps).frame(10)
    sliced = encode_arrow_batch(
        pa.array(keys, pa.binary()).slice(1),
        pa.array(values, pa.binary()).slice(1),
        pa.array(stamps, pa.int64()).slice(1),
    )
    assert sliced.frame(0) == encode_batch(keys[1:], values[1:], stamps[1:]).frame(0)


def test_bad_arrow_columns_are_refused():
    with pytest.raises(LogError, match="differ in length"):
        encode_arrow_batch(pa.array([b"a"]), pa.array([b"x", b"y"]), pa.array([1, 2]))
    with pytest.raises(LogError, match="timestamps must be non-null"):
        encode_arrow_batch(pa.array([b"a"]), pa.array([b"x"]), pa.array([None], pa.int64()))
    with pytest.raises(LogError, match="binary Arrow array"):
        encode_arrow_batch(pa.array([1]), pa.array([b"x"]), pa.array([1]))


def test_append_columns_round_trips_and_checks_the_partition(tmp_path):
    log = EmbeddedLog(tmp_path / "log")
    log.create_topic(TopicSpec("t", partitions=2))
    log.append("t", [OutgoingRecord(b"first", b"k", (), 1, 1)])
    n = log.append_columns(
        "t",
        1,
        keys=pa.array([b"a", None], pa.binary()),
        values=pa.array([b"x", None], pa.binary()),
        timestamps=pa.array([5, 6], pa.int64()),
    )
    assert n == 2
    with log.consumer(["t"]) as consumer:
        got = [(r.partition, r.offset, r.key, r.value, r.timestamp) for r in consumer.poll(timeout=1)]
    assert got == [(1, 0, b"k", b"first", 1), (1, 1, b"a", b"x", 5), (1, 2, None, None, 6)]
    with pytest.raises(LogError, match="out of range"):
        log.append_columns("t", 2, keys=pa.array([b"a"]), values=pa.array([b"x"]), timestamps=pa.array([1]))
    log.close()
