"""The batch codec: round trips, Arrow-shaped layout, CRC protection."""

from __future__ import annotations

import struct
from itertools import pairwise

import pytest

from streammesh.log.base.exceptions import CorruptLogError, LogError
from streammesh.log.base.records import Record
from streammesh.log.embedded.batch import (
    FLAG_HEADERS,
    FLAG_NULL_KEYS,
    FLAG_NULL_VALUES,
    HEADER_SIZE,
    decode_headers,
    encode_batch,
    encode_headers,
    layout,
    pack_bitmap,
    unpack_bitmap,
)
from streammesh.log.embedded.recordbatch import (
    RecordBatch,
    check_batch,
    iter_batches,
    read_header,
)


def frame(keys, values, stamps, headers=None, base=0) -> bytes:
    enc = encode_batch(keys, values, stamps, headers)
    raw = enc.frame(base)
    assert len(raw) == enc.length
    return raw


def view(raw: bytes, lo: int = 0, hi: int | None = None) -> RecordBatch:
    h = check_batch(raw, 0, len(raw))
    assert h is not None
    return RecordBatch("t", 3, raw, 0, h, lo, hi)


def test_round_trip_plain() -> None:
    keys = [b"k%d" % i for i in range(7)]
    values = [b"value-%d" % i * i for i in range(7)]  # includes an empty value
    stamps = [1000 + i for i in range(7)]
    b = view(frame(keys, values, stamps, base=40))
    assert b.keys == keys
    assert b.values == values
    assert values[0] == b"" and b.values[0] == b""
    assert b.timestamps == stamps
    assert list(b.offsets) == list(range(40, 47))
    assert b.headers == [()] * 7
    assert not b.has_nulls


def test_round_trip_nulls_headers_and_empty_values() -> None:
    keys = [None, b"a", None, b"", b"b"]
    values = [b"x", None, b"", None, b"\x00" * 300]
    headers = [(), (("trace", b"1"), ("empty", b"")), (), (("naïve-ünicode", b"\xff"), ("null", None)), ()]
    raw = frame(keys, values, [5, 4, 3, 2, 1], headers)
    h = read_header(raw, 0)
    assert h.flags & FLAG_HEADERS and h.flags & FLAG_NULL_KEYS and h.flags & FLAG_NULL_VALUES
    assert (h.first_timestamp, h.max_timestamp) == (5, 5)
    b = view(raw)
    assert b.keys == keys
    assert b.values == values
    assert b.headers == [tuple(x) for x in headers]
    assert b.timestamps == [5, 4, 3, 2, 1]
    assert b.has_nulls


def test_records_and_slices() -> None:
    raw = frame([b"k1", None, b"k3"], [b"v1", b"v2", None], [10, 20, 30], [(), (("h", b"1"),), ()], base=100)
    b = view(raw)
    assert b.records() == [
        Record("t", 3, 100, 10, b"k1", b"v1", ()),
        Record("t", 3, 101, 20, None, b"v2", (("h", b"1"),)),
        Record("t", 3, 102, 30, b"k3", None, ()),
    ]
    tail = b.slice(1, 3)
    assert (tail.base_offset, tail.count, tail.next_offset) == (101, 2, 103)
    assert tail.keys == [None, b"k3"] and tail.values == [b"v2", None] and tail.timestamps == [20, 30]
    assert [r.offset for r in tail.records()] == [101, 102]
    middle = view(raw, 1, 2)
    assert middle.records() == [Record("t", 3, 101, 20, None, b"v2", (("h", b"1"),))]


def test_sections_are_eight_byte_aligned_and_arrow_shaped() -> None:
    for n in (1, 2, 3, 8, 9):
        keys = [b"k" * i for i in range(n)]
        values = [None if i == 1 else b"v" * (3 * i) for i in range(n)]
        raw = frame(keys, values, list(range(n)), [(("a", b"b"),)] * n)
        h = read_header(raw, 0)
        lay = layout(h.count, h.flags, h.key_bytes, h.value_bytes, h.header_bytes)
        assert lay.end == h.length == len(raw)
        for start in lay[:-1]:
            assert start == -1 or start % 8 == 0
        buffers = view(raw).arrow_buffers()
        offsets = list(struct.unpack(f"<{n + 1}i", buffers["value_offsets"]))
        data = bytes(buffers["value_data"])
        assert offsets[0] == 0 and offsets[-1] == len(data)
        assert [data[a:b] for a, b in pairwise(offsets)] == [v or b"" for v in values]
        assert buffers["key_validity"] is None  # no null keys: no bitmap
        if None in values:
            assert unpack_bitmap(buffers["value_validity"], 0, 0, n) == [v is not None for v in values]
        else:
            assert buffers["value_validity"] is None


def test_base_offset_is_outside_the_crc() -> None:
    raw = bytearray(frame([b"k"], [b"v"], [1]))
    struct.pack_into("<q", raw, 8, 123456)
    h = check_batch(bytes(raw), 0, len(raw))
    assert h is not None and h.base_offset == 123456


def test_crc_detects_corruption() -> None:
    raw = bytearray(frame([b"k", b"l"], [b"value", b"other"], [1, 2]))
    raw[HEADER_SIZE + 20] ^= 0x01
    assert check_batch(bytes(raw), 0, len(raw)) is None
    with pytest.raises(CorruptLogError, match="CRC mismatch"):
        list(iter_batches(bytes(raw), 0, len(raw), where="seg.log"))


def test_torn_and_garbage_batches_are_rejected() -> None:
    raw = frame([b"k"], [b"v" * 50], [1], base=9)
    assert check_batch(raw[:-8], 0, len(raw) - 8) is None  # torn
    assert check_batch(raw, 0, len(raw), expected_offset=10) is None  # does not continue the partition
    assert check_batch(b"\xff" * 200, 0, 200) is None
    assert check_batch(bytes(200), 0, 200) is None
    assert list(iter_batches(raw + raw[:30], 0, len(raw) + 30)) == [(0, read_header(raw, 0))]


def test_many_batches_back_to_back() -> None:
    raws = [frame([b"k%d" % i], [b"v" * i], [i], base=i) for i in range(20)]
    buf = b"".join(raws)
    got = [(pos, h.base_offset) for pos, h in iter_batches(buf, 0, len(buf))]
    assert [o for _, o in got] == list(range(20))
    assert got[5][0] == sum(len(r) for r in raws[:5])


def test_headers_codec() -> None:
    h = (("a", b"1"), ("é", b""), ("n", None))
    assert decode_headers(encode_headers(h)) == h
    assert decode_headers(b"") == ()


def test_bitmap_is_lsb_first() -> None:
    assert pack_bitmap([True, False, False, False, False, False, False, False, True]) == b"\x01\x01"
    assert unpack_bitmap(b"\x05", 0, 0, 3) == [True, False, True]


def test_rejects_non_bytes_and_empty() -> None:
    with pytest.raises(LogError, match="values must be bytes or None; got str"):
        encode_batch([None], ["text"], [1])
    with pytest.raises(LogError, match="keys must be bytes or None; got int"):
        encode_batch([5], [b"v"], [1])
    with pytest.raises(LogError, match="empty batch"):
        encode_batch([], [], [])
    with pytest.raises(LogError, match="timestamps must be integer milliseconds; got 1.5|got 1.5"):
        encode_batch([None, None], [b"a", b"b"], [1, 1.5])  # type: ignore[list-item]
    with pytest.raises(LogError, match="got 18446744073709551616"):
        encode_batch([None], [b"a"], [2**64])
    with pytest.raises(LogError, match=r"headers must be a tuple of \(str, bytes\) pairs"):
        encode_batch([None], [b"a"], [1], [(("name", "not bytes"),)])  # type: ignore[list-item]


def test_bytearray_and_memoryview_values() -> None:
    b = view(frame([bytearray(b"k")], [memoryview(b"value")], [1]))
    assert b.keys == [b"k"] and b.values == [b"value"]
