"""The published Nexmark generation rules: the 1:3:46 mix, ids, references, hot entities, timestamps."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.nexmark import Batch, GeneratorConfig, NexmarkGenerator
from benchmarks.nexmark.config import (
    AUCTION_ID_LEAD,
    FIRST_AUCTION_ID,
    FIRST_PERSON_ID,
    PERSON_ID_LEAD,
    auction_count,
    kind_of,
    last_base0_auction_id,
    last_base0_person_id,
    person_count,
)

Row = tuple[int, str, dict[str, Any]]


@pytest.mark.parametrize("start", [0, 1, 3, 4, 17, 49, 50, 12_345])
def test_every_50_consecutive_events_are_1_person_3_auctions_46_bids(generator: NexmarkGenerator, start: int):
    for lo in range(start, start + 50 * 20, 50):
        b = generator.events(lo, 50)
        assert (len(b.persons), len(b.auctions), len(b.bids)) == (1, 3, 46)
    assert [kind_of(e) for e in range(50)] == ["person"] + ["auction"] * 3 + ["bid"] * 46


def test_proportions_over_the_whole_run(batch: Batch):
    assert (len(batch.persons), len(batch.auctions), len(batch.bids)) == (500, 1500, 23_000)
    assert batch.total == 25_000


def test_id_arithmetic_matches_counting(by_id: list[Row]):
    """lastBase0PersonId / lastBase0AuctionId name the newest entity existing at each event."""
    people = auctions = 0
    for eid, kind, _ in by_id:
        people += kind == "person"
        auctions += kind == "auction"
        assert last_base0_person_id(eid) == people - 1
        assert last_base0_auction_id(eid) == auctions - 1
        assert person_count(eid + 1) == people and auction_count(eid + 1) == auctions


def test_people_and_auctions_are_numbered_from_1000_in_event_order(batch: Batch):
    assert [p["id"] for p in batch.persons] == list(range(FIRST_PERSON_ID, FIRST_PERSON_ID + 500))
    assert [a["id"] for a in batch.auctions] == list(range(FIRST_AUCTION_ID, FIRST_AUCTION_ID + 1500))


def test_references_point_at_existing_or_just_announced_entities(by_id: list[Row], config: GeneratorConfig):
    """Sellers and bidders are among the active people (or up to PERSON_ID_LEAD ahead); bids go to
    auctions still in flight (or up to AUCTION_ID_LEAD ahead), as nextBase0PersonId/AuctionId allow."""
    last_person = last_auction = -1
    existing_auction = existing_bidder = bids = 0
    for _, kind, v in by_id:
        if kind == "person":
            last_person = v["id"]
        elif kind == "auction":
            last_auction = v["id"]
            assert last_person - config.num_active_people < v["seller"] <= last_person + PERSON_ID_LEAD
        else:
            bids += 1
            assert max(last_auction - config.num_in_flight_auctions, FIRST_AUCTION_ID) <= v["auction"]
            assert v["auction"] <= last_auction + AUCTION_ID_LEAD
            assert last_person - config.num_active_people < v["bidder"] <= last_person + PERSON_ID_LEAD
            existing_auction += v["auction"] <= last_auction
            existing_bidder += v["bidder"] <= last_person
    assert existing_auction / bids > 0.95 and existing_bidder / bids > 0.95


def test_hot_auctions_bidders_and_sellers(by_id: list[Row], config: GeneratorConfig):
    """P(hot) = 1 - 1/ratio: hot auction = first of the newest batch of 100 auctions, hot bidder =
    second of the newest batch of 100 people, hot seller = first of it."""
    hot_auction = hot_bidder = bids = hot_seller = auctions = 0
    for eid, kind, v in by_id:
        if kind == "bid":
            bids += 1
            hot_auction += v["auction"] == last_base0_auction_id(eid) // 100 * 100 + FIRST_AUCTION_ID
            hot_bidder += v["bidder"] == last_base0_person_id(eid) // 100 * 100 + 1 + FIRST_PERSON_ID
        elif kind == "auction":
            auctions += 1
            hot_seller += v["seller"] == last_base0_person_id(eid) // 100 * 100 + FIRST_PERSON_ID
    # a cold pick can land on the hot entity too, hence a little above 1 - 1/ratio
    assert 1 - 1 / config.hot_auction_ratio <= hot_auction / bids < 1 - 1 / config.hot_auction_ratio + 0.03
    assert 1 - 1 / config.hot_bidders_ratio - 0.01 <= hot_bidder / bids < 1 - 1 / config.hot_bidders_ratio + 0.02
    assert abs(hot_seller / auctions - (1 - 1 / config.hot_sellers_ratio)) < 0.04


def test_event_times_follow_the_rate_and_auctions_last_about_the_in_flight_horizon(
    by_id: list[Row], config: GeneratorConfig
):
    times = [v["date_time"] for _, _, v in by_id]
    assert times[0] == config.base_time_ms and times == sorted(times)
    assert times[-1] - times[0] == (len(times) - 1) * 1000 // config.first_event_rate  # 10,000 events/s
    horizon = config.timestamp_for_event(config.auction_horizon_events) - config.base_time_ms
    lengths = [v["expires"] - v["date_time"] for _, kind, v in by_id if kind == "auction"]
    assert min(lengths) >= 1 and max(lengths) <= 2 * horizon
    assert abs(sum(lengths) / len(lengths) - horizon) < 0.1 * horizon  # "a length with average horizonMs"


def test_the_rate_sets_event_times():
    gen = NexmarkGenerator(1, config=GeneratorConfig(first_event_rate=1_000, base_time_ms=0))
    assert [v["date_time"] for v in gen.events(4, 5).bids] == [4, 5, 6, 7, 8]
    with pytest.raises(ValueError, match="first_event_rate must be at least 1"):
        GeneratorConfig(first_event_rate=0)
