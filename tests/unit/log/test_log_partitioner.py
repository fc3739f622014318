"""Kafka's default partitioner: murmur2 must be bit-exact with the Java client."""

from __future__ import annotations

import os
import random

import pytest

from streammesh.log.partitioner import (
    KeyPartitioner,
    murmur2,
    partition_for_key,
    to_positive,
)

# org.apache.kafka.common.utils.UtilsTest.testMurmur2 (Apache Kafka, clients module).
KAFKA_UTILS_TEST_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}

# Partitions the Java producer's default partitioner picks among 1000 partitions (kafka-python's
# test_murmur2_java_compatibility, checked against org.apache.kafka.clients.producer.Partitioner).
JAVA_PARTITIONS_OF_1000 = {b"": 681, b"a": 524, b"ab": 434, b"abc": 107, b"123456789": 566, b"\x00 ": 742}


@pytest.mark.parametrize(("key", "expected"), KAFKA_UTILS_TEST_VECTORS.items())
def test_murmur2_matches_kafka_utils_test(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


def test_murmur2_of_empty_key() -> None:
    assert murmur2(b"") == 275646681


@pytest.mark.parametrize(("key", "expected"), JAVA_PARTITIONS_OF_1000.items())
def test_partition_for_key_matches_java_client(key: bytes, expected: int) -> None:
    assert partition_for_key(key, 1000) == expected
    assert KeyPartitioner(1000)(key) == expected


def test_to_positive_clears_sign_bit_rather_than_abs() -> None:
    assert to_positive(-1) == 0x7FFFFFFF
    assert to_positive(-(2**31)) == 0  # abs() would overflow in Java; Kafka masks instead
    assert to_positive(5) == 5


def test_partition_uses_sign_masking() -> None:
    # murmur2(b"21") is negative: the partition must come from masking, not from abs().
    h = murmur2(b"21")
    assert h < 0
    assert partition_for_key(b"21", 7) == (h & 0x7FFFFFFF) % 7


def test_key_partitioner_agrees_with_reference_on_all_lengths() -> None:
    rnd = random.Random(3)
    keys = [os.urandom(n) for n in range(300)] + [b"cust-%05d" % rnd.randrange(10**5) for _ in range(500)]
    for partitions in (1, 3, 12, 1000):
        kp = KeyPartitioner(partitions)
        for key in keys:
            assert kp(key) == partition_for_key(key, partitions)
            assert kp(key) == partition_for_key(key, partitions)  # memoised answer is the same


def test_key_partitioner_accepts_bytes_like_keys() -> None:
    kp = KeyPartitioner(10)
    assert kp(bytearray(b"foobar")) == kp(b"foobar") == partition_for_key(b"foobar", 10)
    assert murmur2(memoryview(b"foobar")) == -790332482


def test_key_partitioner_memo_stays_bounded() -> None:
    kp = KeyPartitioner(5, max_entries=100)
    for i in range(1000):
        kp(b"key-%d" % i)
    assert len(kp._memo) <= 100
    assert kp(b"key-1") == partition_for_key(b"key-1", 5)


def test_partition_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="partitions must be >= 1"):
        partition_for_key(b"x", 0)
    with pytest.raises(ValueError):
        KeyPartitioner(0)


def test_keys_spread_over_partitions() -> None:
    counts = [0] * 8
    for i in range(8000):
        counts[partition_for_key(b"order-%d" % i, 8)] += 1
    assert min(counts) > 800  # roughly uniform: each partition gets ~1000
