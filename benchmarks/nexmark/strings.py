"""The Nexmark text fields: names, places, e-mails, card numbers, channels, URLs and ``extra`` padding.

Why these exact lists and lengths: the published queries filter on them (q3 keeps sellers in
OR/ID/CA, q2 and q20+ look at channels and URLs), and ``extra`` is what brings each event to the
configured average size, so a benchmark that changes them measures something else.

Sources (same rules, snake_case names):

* Beam ``sdks/java/testing/nexmark/src/main/java/org/apache/beam/sdk/nexmark/sources/generator/model/
  PersonGenerator.java``: ``US_STATES``, ``US_CITIES``, ``FIRST_NAMES``, ``LAST_NAMES``, ``nextEmail``,
  ``nextCreditCard``; ``StringsGenerator.java``: ``nextString`` (3..max-1 characters, a space one
  time in 13, trimmed), ``nextExactString`` and ``nextExtra`` (a length within ±20% of what is
  missing to reach the average size).
* nexmark/nexmark ``nexmark-flink/src/main/java/com/github/nexmark/flink/generator/model/
  BidGenerator.java`` (v0.2): ``HOT_CHANNELS``, ``HOT_CHANNELS_RATIO = 2``, ``CHANNELS_NUMBER =
  10_000``, ``getBaseUrl`` and ``&channel_id=`` + ``Math.abs(Integer.reverse(channel))`` on 9 URLs
  in 10. Flink draws the base URLs from an unseeded ``Random``; here they derive from the seed, so
  runs are reproducible.
"""

from __future__ import annotations

from benchmarks.nexmark.randomness import Draws, EventRandom, TextPools

__all__ = [
    "CHANNELS_NUMBER",
    "FIRST_NAMES",
    "HOT_CHANNELS",
    "HOT_CHANNELS_RATIO",
    "LAST_NAMES",
    "MIN_STRING_LENGTH",
    "US_CITIES",
    "US_STATES",
    "Channels",
    "extra_bounds",
    "java_abs_reverse",
    "next_credit_card",
    "next_email",
    "next_extra",
    "next_person_name",
    "next_string",
]

US_STATES = ["AZ", "CA", "ID", "OR", "WA", "WY"]
US_CITIES = [
    "Phoenix",
    "Los Angeles",
    "San Francisco",
    "Boise",
    "Portland",
    "Bend",
    "Redmond",
    "Seattle",
    "Kent",
    "Cheyenne",
]
FIRST_NAMES = ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"]
LAST_NAMES = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"]

HOT_CHANNELS = ["Google", "Facebook", "Baidu", "Apple"]
HOT_CHANNELS_RATIO = 2  # a bid comes through a hot channel with probability 1 - 1/2
CHANNELS_NUMBER = 10_000
MIN_STRING_LENGTH = 3
_URL_PREFIX = "https://www.nexmark.com/"
_URL_SUFFIX = "item.htm?query=1"


def extra_bounds(current_size: int, average_size: int) -> tuple[int, int]:
    """``nextExtra``'s length range as (minimum, span): the length is ``minimum + below(span)``.

    What is missing to reach ``average_size`` is ``m``; the length is uniform in ``[m - d, m + d)``
    with ``d = round(0.2 m)`` (Java's half-up rounding), or empty when already too big.
    """
    missing = average_size - current_size
    if missing < 0:
        return 0, 0
    delta = int(missing * 0.2 + 0.5)
    return missing - delta, 2 * delta


def next_extra(draws: Draws, pools: TextPools, current_size: int, average_size: int) -> str:
    """Lowercase padding so that ``current_size + len(extra)`` averages ``average_size``."""
    low, span = extra_bounds(current_size, average_size)
    n = low + (draws.below(span) if span else 0)
    o = draws.below(pools.SIZE)
    return pools.letters[o : o + n]


def next_string(draws: Draws, pools: TextPools, max_length: int, *, underscore: bool = False) -> str:
    """Beam's ``nextString``: 3 to ``max_length - 1`` characters, some spaces, trimmed."""
    n = MIN_STRING_LENGTH + draws.below(max_length - MIN_STRING_LENGTH)
    o = draws.below(pools.SIZE)
    if underscore:  # Flink's nextString(random, n, '_'): trim() leaves underscores alone
        return pools.underscored[o : o + n]
    return pools.words[o : o + n].strip()


def next_person_name(draws: Draws) -> str:
    return f"{FIRST_NAMES[draws.below(len(FIRST_NAMES))]} {LAST_NAMES[draws.below(len(LAST_NAMES))]}"


def next_email(draws: Draws, pools: TextPools) -> str:
    """``nextString(7) + "@" + nextString(5) + ".com"`` (so, as in Beam, sometimes with a space)."""
    return f"{next_string(draws, pools, 7)}@{next_string(draws, pools, 5)}.com"


def next_credit_card(draws: Draws) -> str:
    """Four space-separated groups of four digits (``String.format("%04d", nextInt(10000))``)."""
    a, b = draws.below(100_000_000), draws.below(100_000_000)
    return f"{a // 10000:04d} {a % 10000:04d} {b // 10000:04d} {b % 10000:04d}"


def java_abs_reverse(n: int) -> int:
    """Java's ``Math.abs(Integer.reverse(n))`` for ``0 <= n < 2^31``, overflow included:
    ``Integer.reverse(1)`` is ``Integer.MIN_VALUE``, whose ``abs`` stays negative."""
    r = int(f"{n & 0xFFFFFFFF:032b}"[::-1], 2)
    if r >= 1 << 31:
        r -= 1 << 32
    return r if r == -(1 << 31) else abs(r)


class Channels:
    """The channel and URL of a bid: four hot channels, and 10,000 numbered ones made on first use.

    A channel's URL is a function of (seed, channel number) only, so every bid through
    ``channel-42`` carries the same URL whatever range of events produced it.
    """

    def __init__(self, rand: EventRandom, pools: TextPools) -> None:
        self._rand = rand
        self._pools = pools
        self.hot = [(name, self._base_url(rand.named(b"hot-channel", i))) for i, name in enumerate(HOT_CHANNELS)]
        self.table: list[tuple[str, str] | None] = [None] * CHANNELS_NUMBER
        """Numbered channels made so far, by number (``None``: not yet; call ``cold``)."""

    def _base_url(self, draws: Draws) -> str:
        pools = self._pools
        parts = [next_string(draws, pools, 5, underscore=True) for _ in range(3)]
        return f"{_URL_PREFIX}{parts[0]}/{parts[1]}/{parts[2]}/{_URL_SUFFIX}"

    def cold(self, number: int) -> tuple[str, str]:
        """``("channel-<number>", url)``; nine URLs in ten carry a ``channel_id`` parameter."""
        found = self.table[number]
        if found is None:
            draws = self._rand.named(b"channel", number)
            url = self._base_url(draws)
            if draws.below(10) > 0:
                url = f"{url}&channel_id={java_abs_reverse(number)}"
            found = self.table[number] = (f"channel-{number}", url)
        return found
