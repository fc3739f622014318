"""Nexmark generator parameters and the arithmetic that maps event ids to people, auctions and times.

Why this is its own module: every rule that ties an event id to *which* entity it creates or refers
to lives here as a pure function, so the generator, the tests and later the query benchmarks (which
need to know e.g. how many people exist after N events) agree on one definition.

Follows the published generator, with the same names in snake_case:

* Apache Beam, ``sdks/java/testing/nexmark/src/main/java/org/apache/beam/sdk/nexmark/sources/generator/
  GeneratorConfig.java`` (ids, 1:3:46 proportions, ``timestampAndInterEventDelayUsForEvent``) and
  ``model/PersonGenerator.java`` / ``model/AuctionGenerator.java`` (``lastBase0PersonId``,
  ``nextBase0PersonId``, ``lastBase0AuctionId``, ``nextBase0AuctionId``, ``nextAuctionLengthMs``);
* nexmark/nexmark (the Flink port), ``nexmark-flink/src/main/java/com/github/nexmark/flink/
  NexmarkConfiguration.java`` for the defaults and ``generator/GeneratorConfig.java`` for
  ``timestampForEvent`` (event rate -> inter-event delay).

Event numbers and event ids coincide here (Beam's ``firstEventId = 0``, ``outOfOrderGroupSize = 1``):
event ``n`` is the ``n``-th event of the whole, single timeline.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AUCTION_ID_LEAD",
    "AUCTION_PROPORTION",
    "BID_PROPORTION",
    "DEFAULT_BASE_TIME_MS",
    "FIRST_AUCTION_ID",
    "FIRST_CATEGORY_ID",
    "FIRST_PERSON_ID",
    "HOT_AUCTION_RATIO",
    "HOT_BIDDER_RATIO",
    "HOT_SELLER_RATIO",
    "NUM_CATEGORIES",
    "PERSON_ID_LEAD",
    "PERSON_PROPORTION",
    "PROPORTION_DENOMINATOR",
    "EventKind",
    "GeneratorConfig",
    "auction_count",
    "kind_of",
    "last_base0_auction_id",
    "last_base0_person_id",
    "person_count",
]

# Ids start above zero so that queries find matches even on tiny data sets (GeneratorConfig.java).
FIRST_PERSON_ID = 1000
FIRST_AUCTION_ID = 1000
FIRST_CATEGORY_ID = 10
NUM_CATEGORIES = 5  # AuctionGenerator.NUM_CATEGORIES: few, so that per-category queries have results

# Of every 50 consecutive event ids, the first is a person, the next 3 auctions, the last 46 bids.
PERSON_PROPORTION = 1
AUCTION_PROPORTION = 3
BID_PROPORTION = 46
PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION

# How far ahead of the newest person / auction a random reference may point ("yet to be created").
PERSON_ID_LEAD = 10
AUCTION_ID_LEAD = 10
# Hot sellers/auctions/bidders are the first (bidders: second) of each batch of this many ids.
HOT_SELLER_RATIO = 100
HOT_AUCTION_RATIO = 100
HOT_BIDDER_RATIO = 100

# Beam uses "a deterministic time in the past" so that reruns see the same events: 2024-01-01T00:00Z.
DEFAULT_BASE_TIME_MS = 1_704_067_200_000

EventKind = str  # "person" | "auction" | "bid"


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """The knobs of ``NexmarkConfiguration`` that shape generated events (defaults as published).

    Example:
        >>> GeneratorConfig(first_event_rate=1_000_000).timestamp_for_event(1_000_000) - DEFAULT_BASE_TIME_MS
        1000
    """

    first_event_rate: int = 10_000
    """Events per second of event time: sets the inter-event delay, hence every ``date_time``."""
    base_time_ms: int = DEFAULT_BASE_TIME_MS
    """Event time of event 0 (epoch milliseconds)."""
    avg_person_byte_size: int = 200
    avg_auction_byte_size: int = 500
    avg_bid_byte_size: int = 100
    hot_auction_ratio: int = 2
    """A bid goes to a hot auction with probability 1 - 1/ratio."""
    hot_sellers_ratio: int = 4
    """An auction is sold by a hot seller with probability 1 - 1/ratio."""
    hot_bidders_ratio: int = 4
    """A bid comes from a hot bidder with probability 1 - 1/ratio."""
    num_in_flight_auctions: int = 100
    """Average number of auctions open at any time; sets auction lengths and which auctions get bids."""
    num_active_people: int = 1000
    """Only the newest this many people sell or bid, so density per person stays constant over time."""

    def __post_init__(self) -> None:
        for name in (
            "first_event_rate",
            "hot_auction_ratio",
            "hot_sellers_ratio",
            "hot_bidders_ratio",
            "num_in_flight_auctions",
            "num_active_people",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"GeneratorConfig.{name} must be at least 1, got {getattr(self, name)}")

    @property
    def inter_event_delay_ns(self) -> int:
        """Nanoseconds of event time between consecutive events (Flink: 1e6 / rate microseconds)."""
        return round(1_000_000_000 / self.first_event_rate)

    def timestamp_for_event(self, event_number: int) -> int:
        """Event time (epoch ms) of event ``event_number``: base time plus ``n`` inter-event delays."""
        return self.base_time_ms + event_number * self.inter_event_delay_ns // 1_000_000

    @property
    def auction_horizon_events(self) -> int:
        """How many events it takes to create ``num_in_flight_auctions`` more auctions
        (``nextAuctionLengthMs``'s ``numEventsForAuctions``)."""
        return self.num_in_flight_auctions * PROPORTION_DENOMINATOR // AUCTION_PROPORTION


def kind_of(event_id: int) -> EventKind:
    """Which entity event ``event_id`` creates, by its position in its 50-event cycle."""
    offset = event_id % PROPORTION_DENOMINATOR
    if offset < PERSON_PROPORTION:
        return "person"
    return "auction" if offset < PERSON_PROPORTION + AUCTION_PROPORTION else "bid"


def last_base0_person_id(event_id: int) -> int:
    """The newest person id (from 0) existing at ``event_id``; the new one if it creates a person."""
    epoch, offset = divmod(event_id, PROPORTION_DENOMINATOR)
    return epoch * PERSON_PROPORTION + min(offset, PERSON_PROPORTION - 1)


def last_base0_auction_id(event_id: int) -> int:
    """The newest auction id (from 0) existing at ``event_id``; the new one if it creates an auction.

    Before the first auction this is -1 (Beam's arithmetic gives the same).
    """
    epoch, offset = divmod(event_id, PROPORTION_DENOMINATOR)
    if offset < PERSON_PROPORTION:
        epoch, offset = epoch - 1, AUCTION_PROPORTION - 1  # a person: the last auction of the previous cycle
    elif offset >= PERSON_PROPORTION + AUCTION_PROPORTION:
        offset = AUCTION_PROPORTION - 1  # a bid: the last auction of this cycle
    else:
        offset -= PERSON_PROPORTION
    return epoch * AUCTION_PROPORTION + offset


def person_count(events: int) -> int:
    """How many people the first ``events`` event ids create."""
    epoch, offset = divmod(events, PROPORTION_DENOMINATOR)
    return epoch * PERSON_PROPORTION + min(offset, PERSON_PROPORTION)


def auction_count(events: int) -> int:
    """How many auctions the first ``events`` event ids create."""
    epoch, offset = divmod(events, PROPORTION_DENOMINATOR)
    return epoch * AUCTION_PROPORTION + min(max(offset - PERSON_PROPORTION, 0), AUCTION_PROPORTION)
