"""Kafka's default partitioner, so keyed events land where a Java producer would put them.

Moving a mesh from the embedded log to Kafka must not reshuffle keys between partitions:
per-key ordering and co-partitioned joins depend on it. Kafka's Java client (and librdkafka's
``murmur2_random``) place a keyed record at ``toPositive(murmur2(key)) % partitions``; this module
is a bit-exact port of ``org.apache.kafka.common.utils.Utils.murmur2``.

Pure-Python murmur2 costs about a microsecond per short key, and keys repeat a lot (customer ids,
order ids), so results are memoised: :func:`murmur2` through ``functools.lru_cache`` and the hot
append path through :class:`KeyPartitioner`'s bounded dict. Whole columns of keys (the stream
processor's output, an Arrow array) are hashed with numpy by :func:`partitions_for_keys`: keys of one
length at a time, each 4-byte word of all of them in one vectorised step (≈ 30 ns per key).
"""

from __future__ import annotations

import struct
from functools import lru_cache
from itertools import islice

import numpy as np
import pyarrow as pa

__all__ = ["KeyPartitioner", "murmur2", "partition_for_key", "partitions_for_keys", "to_positive"]

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
_CACHE_SIZE = 65_536
_MEMO_SIZE = 131_072


_WORDS = [struct.Struct(f"<{n}I").unpack_from for n in range(65)]


def _murmur2_unsigned(data: bytes, _words=_WORDS, _m: int = _M, _mask: int = _MASK) -> int:
    """Murmur2 as an unsigned 32-bit int (Java ``int`` arithmetic emulated with masks)."""
    length = len(data)
    h = _SEED ^ length
    n4 = length >> 2
    if n4:
        # Little-endian 4-byte words, as Java's byte shuffling reads them.
        for k in _words[n4](data) if n4 <= 64 else struct.unpack_from(f"<{n4}I", data):
            k = (k * _m) & _mask
            k = ((k ^ (k >> 24)) * _m) & _mask
            h = ((h * _m) & _mask) ^ k
    rest = length & 3
    if rest:
        i = n4 << 2
        if rest == 3:
            h ^= data[i + 2] << 16
        if rest >= 2:
            h ^= data[i + 1] << 8
        h = ((h ^ data[i]) * _m) & _mask
    h ^= h >> 13
    h = (h * _m) & _mask
    return h ^ (h >> 15)


@lru_cache(maxsize=_CACHE_SIZE)
def _murmur2_signed(data: bytes) -> int:
    h = _murmur2_unsigned(data)
    return h - 0x1_0000_0000 if h & 0x8000_0000 else h


def murmur2(data: bytes | bytearray | memoryview) -> int:
    """Kafka's ``Utils.murmur2(data)``: the signed 32-bit hash the Java client computes.

    Args:
        data: the key bytes (the serialized key, exactly as it travels on the wire).

    Returns:
        The hash as a signed 32-bit integer, equal to the Java ``int``.
    """
    return _murmur2_signed(data if type(data) is bytes else bytes(data))


def to_positive(n: int) -> int:
    """Kafka's ``Utils.toPositive``: clear the sign bit (not ``abs``, which differs for MIN_VALUE)."""
    return n & 0x7FFFFFFF


def partition_for_key(key: bytes, partitions: int) -> int:
    """Partition Kafka's default partitioner picks for ``key`` among ``partitions``.

    Raises:
        ValueError: ``partitions`` is not positive.
    """
    if partitions <= 0:
        raise ValueError(f"partitions must be >= 1, got {partitions}")
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def _murmur2_columns(data: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Unsigned murmur2 of the ``length``-byte keys at ``starts`` in ``data`` (uint32 arithmetic wraps
    like Java's ``int``)."""
    m = np.uint32(_M)
    h = np.full(len(starts), (_SEED ^ length) & _MASK, dtype=np.uint32)
    n4 = length >> 2
    for i in range(n4):
        at = starts + 4 * i
        k = (
            data[at].astype(np.uint32)
            | (data[at + 1].astype(np.uint32) << 8)
            | (data[at + 2].astype(np.uint32) << 16)
            | (data[at + 3].astype(np.uint32) << 24)
        )
        k = k * m
        k = (k ^ (k >> np.uint32(24))) * m
        h = (h * m) ^ k
    rest = length & 3
    if rest:
        at = starts + (n4 << 2)
        if rest == 3:
            h ^= data[at + 2].astype(np.uint32) << 16
        if rest >= 2:
            h ^= data[at + 1].astype(np.uint32) << 8
        h = (h ^ data[at].astype(np.uint32)) * m
    h ^= h >> np.uint32(13)
    h = h * m
    return h ^ (h >> np.uint32(15))


def partitions_for_keys(keys: pa.Array, partitions: int) -> np.ndarray:
    """Kafka's default partition of every key of a binary Arrow array (``-1`` for null keys), as an
    int64 numpy array; equal to :func:`partition_for_key` key by key.

    Raises:
        ValueError: ``partitions`` is not positive.
    """
    if partitions <= 0:
        raise ValueError(f"partitions must be >= 1, got {partitions}")
    n = len(keys)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or keys.null_count == n:
        return out
    if not pa.types.is_binary(keys.type):
        keys = keys.cast(pa.binary())
    _validity, offsets_buf, data_buf = keys.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[keys.offset : keys.offset + n + 1].astype(np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    valid = np.ones(n, dtype=bool) if keys.null_count == 0 else np.asarray(keys.is_valid())
    for length in np.unique(lengths[valid]):
        idx = np.flatnonzero((lengths == length) & valid)
        h = _murmur2_columns(data, offsets[:-1][idx], int(length))
        out[idx] = (h & np.uint32(0x7FFFFFFF)).astype(np.int64) % partitions
    return out


class KeyPartitioner:
    """Memoised ``key -> partition`` for one partition count (the append hot path).

    A plain dict lookup costs a few tens of nanoseconds against ~1 µs for murmur2 in Python. When
    the memo reaches ``max_entries`` its oldest quarter is dropped, so memory stays bounded (about
    100 bytes per entry plus the key) however many distinct keys flow through.
    """

    __slots__ = ("_max", "_memo", "partitions")

    def __init__(self, partitions: int, *, max_entries: int = _MEMO_SIZE) -> None:
        if partitions <= 0:
            raise ValueError(f"partitions must be >= 1, got {partitions}")
        self.partitions = partitions
        # only bytes keys are stored; place() also looks None up in it (a miss), in one C-level map
        self._memo: dict[bytes | None, int] = {}
        self._max = max_entries

    def __call__(self, key: bytes) -> int:
        """Partition for ``key`` (bytes-like); identical to :func:`partition_for_key`."""
        if type(key) is not bytes:
            key = bytes(key)
        p = self._memo.get(key)
        if p is None:
            p = (_murmur2_unsigned(key) & 0x7FFFFFFF) % self.partitions
            memo = self._memo
            if len(memo) >= self._max:
                for old in list(islice(memo, max(1, self._max // 4))):
                    del memo[old]
            memo[key] = p
        return p

    def place(self, keys: list[bytes | None]) -> list[int | None]:
        """Partitions of many keys at once (``None`` for ``None`` keys): one C-level pass over the
        memo, Python only for the keys not seen before."""
        try:
            out = list(map(self._memo.get, keys))
        except TypeError:  # unhashable bytes-like keys (bytearray)
            out = [None] * len(keys)
        if None in out:
            out = [p if p is not None or k is None else self(k) for p, k in zip(out, keys)]
        return out
