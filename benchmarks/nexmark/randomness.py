"""Per-event random numbers: a pure function of (seed, event id).

Why not ``java.util.Random`` like the published generators? Beam seeds a fresh ``Random`` with each
event id (``Generator.nextEvent``: ``new Random(getNextEventId())``) so that any range of events can
be generated independently, on any worker, in any order. We keep exactly that property but not the
PRNG: seeding a Mersenne Twister costs ~4 µs in CPython and a pure-Python 64-bit mixer ~0.2 µs per
word, while the whole per-event budget is ~3 µs (the generator must make ≥ 300,000 events/s on one
core). So randomness is made in C, in bulk: each 50-event cycle ("epoch", the 1:3:46 period) gets
one SHAKE-128 output keyed by (seed, epoch), unpacked into 32-bit words, and each event of the cycle
reads its own fixed window of those words (16 for a person or an auction, 8 for a bid). An event's
numbers therefore depend on its seed and id only, and generating any sub-range costs at most one
extra digest at each end. SHAKE-128 (FIPS 202) is overkill in quality and ~150 ns per bid here.

Strings are the other cost: Beam builds ``extra`` padding one character at a time. We cut random
text out of a pool made once per seed, at a random offset, which keeps the published lengths (so
average event sizes match the configuration) at the price of a slice.
"""

from __future__ import annotations

import random
import string
from hashlib import shake_128
from struct import Struct

__all__ = [
    "AUCTION_WORDS",
    "BID_WORDS",
    "EPOCH_WORDS",
    "PERSON_WORDS",
    "TO_UNIT",
    "Draws",
    "EventRandom",
    "TextPools",
    "window_start",
]

PERSON_WORDS = 16
AUCTION_WORDS = 16
BID_WORDS = 8
_HEAD = 4  # events per cycle that are not bids: 1 person + 3 auctions (config.PERSON/AUCTION_PROPORTION)
EPOCH_WORDS = _HEAD * 16 + 46 * BID_WORDS
TO_UNIT = 2.0**-32  # a 32-bit word -> [0, 1)
_EPOCH = Struct(f"<{EPOCH_WORDS}I")
_SMALL = Struct("<8I")


def window_start(offset: int) -> int:
    """Index of the first word of the event at ``offset`` (0..49) in its cycle's words."""
    return offset * 16 if offset < _HEAD else _HEAD * 16 + (offset - _HEAD) * BID_WORDS


class EventRandom:
    """The random words of a seed: per 50-event cycle, and per named extra use (channel URLs).

    Example:
        >>> r = EventRandom(1)
        >>> r.epoch(3) == EventRandom(1).epoch(3) != r.epoch(4)
        True
    """

    __slots__ = ("_last", "_prefix", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._prefix = shake_128(f"streammesh-nexmark/{seed}".encode()).digest(16)
        self._last: tuple[int, tuple[int, ...]] = (-1, ())

    def epoch(self, epoch: int) -> tuple[int, ...]:
        """The ``EPOCH_WORDS`` 32-bit words of cycle ``epoch`` (events ``50 * epoch`` to ``50 * epoch + 49``)."""
        last = self._last
        if last[0] == epoch:  # people and auctions of one cycle are made one by one
            return last[1]
        words = _EPOCH.unpack(shake_128(self._prefix + b"E" + epoch.to_bytes(8, "little")).digest(_EPOCH.size))
        self._last = (epoch, words)
        return words

    def draws(self, epoch: int, offset: int) -> Draws:
        """The draws of the event at ``offset`` of cycle ``epoch``."""
        return Draws(self.epoch(epoch), window_start(offset))

    def named(self, name: bytes, number: int) -> Draws:
        """Eight draws for an extra use, e.g. ``named(b"channel", 42)``; independent of all events."""
        digest = shake_128(self._prefix + b"N" + name + b"/" + number.to_bytes(8, "little")).digest(_SMALL.size)
        return Draws(_SMALL.unpack(digest), 0)


class Draws:
    """Sequential draws from a window of words: the per-event ``Random`` of Beam's generators.

    Example:
        >>> d = Draws((0, 2**31, 2**32 - 1), 0)
        >>> d.below(10), d.uniform(), d.below(4)
        (0, 0.5, 3)
    """

    __slots__ = ("_i", "_words")

    def __init__(self, words: tuple[int, ...], start: int) -> None:
        self._words = words
        self._i = start

    def bits32(self) -> int:
        """The next 32 random bits."""
        i = self._i
        self._i = i + 1
        return self._words[i]

    def below(self, n: int) -> int:
        """Uniform in ``[0, n)`` (Java's ``nextInt(n)`` / ``nextLong(n)``); bias < n / 2^32."""
        i = self._i
        self._i = i + 1
        return (self._words[i] * n) >> 32

    def uniform(self) -> float:
        """Uniform in ``[0, 1)`` with 32-bit resolution (Java's ``nextDouble()``)."""
        i = self._i
        self._i = i + 1
        return self._words[i] * TO_UNIT


class TextPools:
    """Random text made once per seed, cut into strings by (offset, length) draws.

    ``letters`` feeds ``nextExactString`` (lowercase only: ``extra`` padding); ``words`` feeds
    ``nextString`` (lowercase with a space one time in 13, trimmed by the caller, as in Beam:
    item names, descriptions, e-mail parts); ``underscored`` is ``words`` with '_' for ' ' (Flink's
    ``nextString(random, 5, '_')`` in channel URLs).
    """

    SIZE = 1 << 16

    def __init__(self, seed: int, *, max_piece: int = 4096) -> None:
        rnd = random.Random(f"streammesh-nexmark-text/{seed}")
        n = self.SIZE + max_piece
        self.max_piece = max_piece
        self.letters = "".join(rnd.choices(string.ascii_lowercase, k=n))
        # weights 12 per letter and 26 for the space: P(space) = 26 / (26 * 12 + 26) = 1/13
        self.words = "".join(rnd.choices(string.ascii_lowercase + " ", weights=[12] * 26 + [26], k=n))
        self.underscored = self.words.replace(" ", "_")
