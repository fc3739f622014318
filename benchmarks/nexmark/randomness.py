"""Per-event random numbers: a pure function of (seed, event id, draw number).

Why not ``java.util.Random`` like the published generators? Beam seeds a fresh ``Random`` with each
event id (``Generator.nextEvent``: ``new Random(getNextEventId())``) so that any range of events can
be generated independently, on any worker, in any order. We keep exactly that property but not the
PRNG: seeding a Mersenne Twister costs ~4 µs in CPython, more than our whole per-event budget (the
generator must make ≥ 300,000 events/s on one core). Instead each event owns a counter-based
stream: its ``k``-th 64-bit word is SplitMix64's output for counter ``event_id * 8 + k`` offset by a
key derived from the seed (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
OOPSLA 2014; the finaliser constants are Vigna's ``splitmix64.c``). A word costs ~0.2 µs and passes
BigCrush, far more than a benchmark needs.

Strings are the other cost: Beam builds ``extra`` padding one character at a time. We cut random
text out of a pool made once per seed, at a random offset, which keeps the published lengths (so
average event sizes match the configuration) at the price of a slice.
"""

from __future__ import annotations

import random
import string

__all__ = ["MASK64", "GOLDEN_GAMMA", "MIX1", "MIX2", "WORDS_PER_EVENT", "seed_key", "word", "Draws", "TextPools"]

MASK64 = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15  # SplitMix64's increment: 2^64 / golden ratio, odd
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
WORDS_PER_EVENT = 8  # counters per event id; a person needs 7 words (14 draws of 32 bits), a bid 2


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def seed_key(seed: int, stream: int = 0) -> int:
    """The 64-bit offset that makes seed ``seed``'s counters disjoint from other seeds'.

    ``stream`` separates unrelated uses of one seed (events, channel URLs, text pools).
    """
    return _mix((seed * 0x632BE59BD9B4E019 + stream * GOLDEN_GAMMA + 0x2545F4914F6CDD1D) & MASK64)


def word(key: int, event_id: int, k: int = 0) -> int:
    """The ``k``-th random 64-bit word of event ``event_id`` under ``key`` (``0 <= k < 8``)."""
    return _mix((key + (event_id * WORDS_PER_EVENT + k) * GOLDEN_GAMMA) & MASK64)


class Draws:
    """Sequential draws for one event, 32 bits each, two per word: Beam's per-event ``Random``.

    Used for people and auctions (8% of events); bids unpack their two words inline for speed.

    Example:
        >>> d = Draws(seed_key(1), 42)
        >>> 0 <= d.below(10) < 10 and 0.0 <= d.uniform() < 1.0
        True
    """

    __slots__ = ("_key", "_event_id", "_k", "_spare")

    def __init__(self, key: int, event_id: int) -> None:
        self._key = key
        self._event_id = event_id
        self._k = 0
        self._spare = -1

    def bits32(self) -> int:
        """The next 32 random bits."""
        if self._spare >= 0:
            out, self._spare = self._spare, -1
            return out
        if self._k >= WORDS_PER_EVENT:
            raise RuntimeError(f"event {self._event_id} drew more than {2 * WORDS_PER_EVENT} numbers")
        w = word(self._key, self._event_id, self._k)
        self._k += 1
        self._spare = w >> 32
        return w & 0xFFFFFFFF

    def below(self, n: int) -> int:
        """Uniform in ``[0, n)`` (Java's ``nextInt(n)``/``nextLong(n)``); bias < n / 2^32."""
        return (self.bits32() * n) >> 32

    def uniform(self) -> float:
        """Uniform in ``[0, 1)`` with 32-bit resolution (Java's ``nextDouble()``)."""
        return self.bits32() * 2.3283064365386963e-10


class TextPools:
    """Random text made once per seed, cut into strings by (offset, length) draws.

    ``letters`` feeds ``nextExactString`` (lowercase only: ``extra`` padding); ``words`` feeds
    ``nextString`` (lowercase with a space one time in 13, trimmed by the caller, as in Beam:
    item names, descriptions, e-mail parts); ``underscored`` is ``words`` with '_' for ' ' (Flink's
    ``nextString(random, 5, '_')`` in channel URLs).
    """

    SIZE = 1 << 16

    def __init__(self, seed: int, *, max_piece: int = 4096) -> None:
        rnd = random.Random(seed_key(seed, 3))
        n = self.SIZE + max_piece
        self.max_piece = max_piece
        self.letters = "".join(rnd.choices(string.ascii_lowercase, k=n))
        self.words = "".join(rnd.choices(string.ascii_lowercase + " ", weights=[12] * 26 + [26], k=n))
        self.underscored = self.words.replace(" ", "_")
