"""The Nexmark event generator: people, auctions and bids in the 1:3:46 mix, seeded and reproducible.

Why a generator of our own: the issue's benchmarks (q0, q1, q2, q3, q5/q7) must run over the
embedded log on the published workload, so that events/s compare with Flink's figures; Nexmark's
generators are Java (Beam, Flink) or Rust (feldera). This is a port of their rules to Python:

* Beam ``sdks/java/testing/nexmark/src/main/java/org/apache/beam/sdk/nexmark/sources/generator/``
  ``Generator.java`` (event id -> kind, per-event seeding, timestamps), ``model/PersonGenerator.java``
  ``model/AuctionGenerator.java``, ``model/BidGenerator.java``, ``model/PriceGenerator.java``
  (``round(10^(random * 6) * 100)``) and ``model/LongGenerator.java``;
* nexmark/nexmark ``nexmark-flink/src/main/java/com/github/nexmark/flink/generator/model/
  BidGenerator.java`` (v0.2) for the bid's ``channel`` and ``url`` (Beam's Bid has neither). That
  version adds ``FIRST_PERSON_ID`` to the bidder twice; we follow Beam (and feldera's Rust port), once.

What is kept: which event id makes which entity and with which id, which people and auctions an
event may refer to (hot sellers, hot bidders, hot auctions, in-flight auctions, active people, id
leads), every value's distribution and range, string lengths (hence event sizes) and event times.
What differs is the random number generator (see ``randomness``), so the events are not
bit-for-bit Beam's; every event is still a pure function of (seed, config, event id), so any range
can be generated on its own, in parallel, and equals the same slice of a longer run.

Example:
    >>> gen = NexmarkGenerator(seed=7)
    >>> batch = gen.events(0, 100)
    >>> len(batch.persons), len(batch.auctions), len(batch.bids)
    (2, 6, 92)
    >>> batch.bids[0]["auction"] >= FIRST_AUCTION_ID
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from benchmarks.nexmark.config import (
    AUCTION_ID_LEAD,
    AUCTION_PROPORTION,
    FIRST_AUCTION_ID,
    FIRST_CATEGORY_ID,
    FIRST_PERSON_ID,
    HOT_AUCTION_RATIO,
    HOT_BIDDER_RATIO,
    HOT_SELLER_RATIO,
    NUM_CATEGORIES,
    PERSON_ID_LEAD,
    PERSON_PROPORTION,
    PROPORTION_DENOMINATOR,
    EventKind,
    GeneratorConfig,
    kind_of,
    last_base0_auction_id,
    last_base0_person_id,
)
from benchmarks.nexmark.randomness import BID_WORDS, TO_UNIT, Draws, EventRandom, TextPools, window_start
from benchmarks.nexmark.strings import (
    CHANNELS_NUMBER,
    HOT_CHANNELS_RATIO,
    US_CITIES,
    US_STATES,
    Channels,
    extra_bounds,
    next_credit_card,
    next_email,
    next_extra,
    next_person_name,
    next_string,
)

__all__ = ["Batch", "NexmarkGenerator", "next_price"]

assert HOT_CHANNELS_RATIO == 2, "the bid loop tests one bit for a hot channel"

Event = dict[str, Any]
_FIRST_BID_OFFSET = PERSON_PROPORTION + AUCTION_PROPORTION  # bids fill the rest of each 50-event cycle
_BID_FIXED_SIZE = 8 + 8 + 8 + 8  # BidGenerator's currentSize: auction, bidder, price, date_time


class Batch(NamedTuple):
    """The events of one id range, by kind, each list in event-id order."""

    persons: list[Event]
    auctions: list[Event]
    bids: list[Event]

    @property
    def total(self) -> int:
        """How many events of all kinds."""
        return len(self.persons) + len(self.auctions) + len(self.bids)


def next_price(u: float) -> int:
    """``PriceGenerator.nextPrice`` for a uniform ``u`` in [0, 1): cents, log-uniform in [100, 10^8]."""
    return int(10.0 ** (u * 6.0) * 100.0 + 0.5)  # Java's Math.round: half up


class NexmarkGenerator:
    """Generates any range of Nexmark events; the same seed and config give the same events.

    Args:
        seed: selects one of 2^64 event sequences; the published generators have no seed (Beam
            seeds each event with its id alone), so seed 0 is as good a default as any.
        config: rates, sizes and ratios; the published defaults when omitted.

    Example:
        >>> gen = NexmarkGenerator(seed=1)
        >>> gen.events(0, 50).persons[0]["id"], gen.event(1)[0]
        (1000, 'auction')
    """

    def __init__(self, seed: int = 0, *, config: GeneratorConfig | None = None) -> None:
        self.seed = seed
        self.config = config or GeneratorConfig()
        self._rand = EventRandom(seed)
        self._pools = TextPools(
            seed,
            max_piece=max(
                self.config.avg_person_byte_size, self.config.avg_auction_byte_size, self.config.avg_bid_byte_size
            )
            * 2
            + 128,
        )
        self._channels = Channels(self._rand, self._pools)

    # -- the public API ------------------------------------------------------------------------------------
    def events(self, start: int, count: int) -> Batch:
        """Events ``start .. start + count - 1``, split by kind."""
        if start < 0 or count < 0:
            raise ValueError(f"events(start, count) needs start >= 0 and count >= 0, got ({start}, {count})")
        persons: list[Event] = []
        auctions: list[Event] = []
        bids: list[Event] = []
        if count:
            self._generate(start, start + count, persons.append, auctions.append, bids.append)
        return Batch(persons, auctions, bids)

    def batches(self, count: int, *, start: int = 0, batch_size: int = 50_000) -> Iterator[Batch]:
        """Events ``start .. start + count - 1`` in consecutive batches of ``batch_size`` events."""
        for lo in range(start, start + count, batch_size):
            yield self.events(lo, min(batch_size, start + count - lo))

    def event(self, event_id: int) -> tuple[EventKind, Event]:
        """One event and its kind ("person", "auction" or "bid")."""
        kind = kind_of(event_id)
        if kind == "person":
            return kind, self.person(event_id)
        if kind == "auction":
            return kind, self.auction(event_id)
        return kind, self.events(event_id, 1).bids[0]

    # -- people and auctions (8% of events: clear code over speed) -----------------------------------------
    def _draws(self, event_id: int) -> Draws:
        return self._rand.draws(*divmod(event_id, PROPORTION_DENOMINATOR))

    def _next_base0_person_id(self, event_id: int, draws: Draws) -> int:
        """``nextBase0PersonId``: one of the newest ``num_active_people`` people, or up to 10 ahead."""
        people = last_base0_person_id(event_id) + 1
        active = min(people, self.config.num_active_people)
        return people - active + draws.below(active + PERSON_ID_LEAD)

    def person(self, event_id: int) -> Event:
        """``PersonGenerator.nextPerson`` for a person event id."""
        draws = self._draws(event_id)
        pools = self._pools
        name = next_person_name(draws)
        email = next_email(draws, pools)
        card = next_credit_card(draws)
        city = US_CITIES[draws.below(len(US_CITIES))]
        state = US_STATES[draws.below(len(US_STATES))]
        size = 8 + len(name) + len(email) + len(card) + len(city) + len(state)
        return {
            "id": last_base0_person_id(event_id) + FIRST_PERSON_ID,
            "name": name,
            "email_address": email,
            "credit_card": card,
            "city": city,
            "state": state,
            "date_time": self.config.timestamp_for_event(event_id),
            "extra": next_extra(draws, pools, size, self.config.avg_person_byte_size),
        }

    def auction(self, event_id: int) -> Event:
        """``AuctionGenerator.nextAuction`` for an auction event id."""
        config, pools = self.config, self._pools
        draws = self._draws(event_id)
        if draws.below(config.hot_sellers_ratio) > 0:  # a hot seller: first of the newest 100 people
            seller = (last_base0_person_id(event_id) // HOT_SELLER_RATIO) * HOT_SELLER_RATIO
        else:
            seller = self._next_base0_person_id(event_id, draws)
        category = FIRST_CATEGORY_ID + draws.below(NUM_CATEGORIES)
        initial_bid = next_price(draws.uniform())
        now = config.timestamp_for_event(event_id)
        # nextAuctionLengthMs: on average as long as it takes to create num_in_flight_auctions more auctions
        horizon = config.timestamp_for_event(event_id + config.auction_horizon_events) - now
        expires = now + 1 + draws.below(max(horizon * 2, 1))
        item_name = next_string(draws, pools, 20)
        description = next_string(draws, pools, 100)
        reserve = initial_bid + next_price(draws.uniform())
        size = 8 + len(item_name) + len(description) + 8 + 8 + 8 + 8 + 8
        return {
            "id": last_base0_auction_id(event_id) + FIRST_AUCTION_ID,
            "item_name": item_name,
            "description": description,
            "initial_bid": initial_bid,
            "reserve": reserve,
            "date_time": now,
            "expires": expires,
            "seller": seller + FIRST_PERSON_ID,
            "category": category,
            "extra": next_extra(draws, pools, size, config.avg_auction_byte_size),
        }

    # -- every kind, bids (92% of events) in one tight loop -----------------------------------------------
    def _generate(
        self,
        start: int,
        end: int,
        on_person: Callable[[Event], None],
        on_auction: Callable[[Event], None],
        on_bid: Callable[[Event], None],
    ) -> None:
        """Every event of ``[start, end)``, one 50-event cycle at a time (so each cycle's random words
        are made once); people and auctions by their methods, bids (``BidGenerator.nextBid``) inline.

        A bid's eight 32-bit words, in order: hot-auction test, cold auction, hot-bidder test, cold
        bidder, price, channel (bit 0 set: a hot channel, as HOT_CHANNELS_RATIO is 2; bits 1-2: which
        one; bits 16-31: where the padding starts in the text pool), numbered channel, padding
        length. A draw below ``n`` is ``(word * n) >> 32``, so Beam's "``nextInt(ratio) > 0``" (hot)
        is ``word * ratio >= 2^32``.
        """
        config = self.config
        epoch_words = self._rand.epoch
        ha_ratio, hb_ratio = config.hot_auction_ratio, config.hot_bidders_ratio
        in_flight, active_max = config.num_in_flight_auctions, config.num_active_people
        base_time, delay_ns = config.base_time_ms, config.inter_event_delay_ns
        hot_channels, cold_channels, make_channel = self._channels.hot, self._channels.table, self._channels.cold
        letters = self._pools.letters
        extra_low, extra_span = extra_bounds(_BID_FIXED_SIZE, config.avg_bid_byte_size)
        price_scale = 6.0 * TO_UNIT
        two32 = 1 << 32
        for epoch in range(start // PROPORTION_DENOMINATOR, (end - 1) // PROPORTION_DENOMINATOR + 1):
            base = epoch * PROPORTION_DENOMINATOR
            for eid in range(max(start, base), min(end, base + PERSON_PROPORTION)):
                on_person(self.person(eid))
            for eid in range(max(start, base + PERSON_PROPORTION), min(end, base + _FIRST_BID_OFFSET)):
                on_auction(self.auction(eid))
            lo, hi = max(start, base + _FIRST_BID_OFFSET), min(end, base + PROPORTION_DENOMINATOR)
            if lo >= hi:
                continue
            # What every bid of this cycle may refer to (lastBase0AuctionId / lastBase0PersonId are constant).
            last_auction = last_base0_auction_id(lo)
            hot_auction = (last_auction // HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO + FIRST_AUCTION_ID
            min_auction = max(last_auction - in_flight, 0)
            auction_span = last_auction - min_auction + 1 + AUCTION_ID_LEAD
            min_auction += FIRST_AUCTION_ID
            people = last_base0_person_id(lo) + 1
            active = min(people, active_max)
            # hot bidders are the *second* of each batch of 100 people, so they are not the hot sellers
            hot_bidder = ((people - 1) // HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1 + FIRST_PERSON_ID
            min_bidder, bidder_span = people - active + FIRST_PERSON_ID, active + PERSON_ID_LEAD
            first = window_start(lo - base)
            words = iter(epoch_words(epoch)[first : first + (hi - lo) * BID_WORDS])
            groups = zip(*[words] * BID_WORDS, strict=True)  # consecutive 8-tuples of the iterator's words
            for eid, (w_ha, w_a, w_hb, w_b, w_price, w_ch, w_cold, w_len) in zip(range(lo, hi), groups, strict=True):
                auction = hot_auction if w_ha * ha_ratio >= two32 else min_auction + ((w_a * auction_span) >> 32)
                bidder = hot_bidder if w_hb * hb_ratio >= two32 else min_bidder + ((w_b * bidder_span) >> 32)
                if w_ch & 1:  # P = 1 - 1/HOT_CHANNELS_RATIO
                    channel, url = hot_channels[(w_ch >> 1) & 3]
                else:
                    number = (w_cold * CHANNELS_NUMBER) >> 32
                    channel, url = cold_channels[number] or make_channel(number)
                o = w_ch >> 16
                on_bid(
                    {
                        "auction": auction,
                        "bidder": bidder,
                        "price": int(10.0 ** (w_price * price_scale) * 100.0 + 0.5),  # next_price, inlined
                        "channel": channel,
                        "url": url,
                        "date_time": base_time + eid * delay_ns // 1_000_000,
                        "extra": letters[o : o + extra_low + ((w_len * extra_span) >> 32)],
                    }
                )
