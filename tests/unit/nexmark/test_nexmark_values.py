"""Field values: ranges, fixed lists, string shapes, average event sizes, and determinism."""

from __future__ import annotations

import re

import pytest

from benchmarks.nexmark import Batch, GeneratorConfig, NexmarkGenerator
from benchmarks.nexmark.config import kind_of
from benchmarks.nexmark.strings import (
    CHANNELS_NUMBER,
    FIRST_NAMES,
    HOT_CHANNELS,
    LAST_NAMES,
    US_CITIES,
    US_STATES,
    java_abs_reverse,
)


def test_prices_categories_and_expiry(batch: Batch):
    prices = [b["price"] for b in batch.bids] + [a["initial_bid"] for a in batch.auctions]
    assert all(100 <= p <= 100_000_000 for p in prices)
    # log-uniform over 6 decades: about a sixth of the prices in each decade
    assert 0.14 < sum(p < 1_000 for p in prices) / len(prices) < 0.19
    for a in batch.auctions:
        assert a["reserve"] > a["initial_bid"] and a["expires"] > a["date_time"]
    assert {a["category"] for a in batch.auctions} == {10, 11, 12, 13, 14}


def test_people_come_from_the_published_lists(batch: Batch):
    card = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")
    for p in batch.persons:
        first, last = p["name"].split(" ")
        assert first in FIRST_NAMES and last in LAST_NAMES
        assert p["city"] in US_CITIES and p["state"] in US_STATES
        assert card.match(p["credit_card"]), p["credit_card"]
        local, domain = p["email_address"].split("@")
        assert domain.endswith(".com") and len(local) <= 6  # nextString(7): 3..6 characters, trimmed
    assert {p["state"] for p in batch.persons} == set(US_STATES)


def test_channels_and_urls(batch: Batch):
    url_of: dict[str, str] = {}
    hot = 0
    for b in batch.bids:
        ch = b["channel"]
        if ch in HOT_CHANNELS:
            hot += 1
        else:
            assert re.fullmatch(r"channel-\d+", ch) and int(ch[8:]) < CHANNELS_NUMBER
        assert b["url"].startswith("https://www.nexmark.com/") and "item.htm?query=1" in b["url"]
        assert url_of.setdefault(ch, b["url"]) == b["url"], "one URL per channel"
    assert 0.47 < hot / len(batch.bids) < 0.53  # HOT_CHANNELS_RATIO = 2
    with_id = [u for c, u in url_of.items() if c not in HOT_CHANNELS and "&channel_id=" in u]
    assert 0.85 < len(with_id) / (len(url_of) - 4) < 0.95  # 9 in 10 numbered channels
    assert java_abs_reverse(0) == 0 and java_abs_reverse(2) == 1 << 30 and java_abs_reverse(1) == -(1 << 31)


def test_strings_follow_next_string_lengths(batch: Batch):
    for a in batch.auctions:
        assert len(a["item_name"]) <= 19 and len(a["description"]) <= 99
        assert a["item_name"] == a["item_name"].strip()
    assert max(len(a["description"]) for a in batch.auctions) >= 95
    assert all(re.fullmatch(r"[a-z]*", e["extra"]) for e in batch.bids[:2000])


@pytest.mark.parametrize("rate", [10_000, 1_000_000])
def test_extra_brings_events_to_the_configured_average_size(rate: int):
    """Beam's size accounting: 8 bytes per number and time, the length of each string, plus extra."""
    b = NexmarkGenerator(5, config=GeneratorConfig(first_event_rate=rate)).events(0, 10_000)
    person = [
        8 + sum(len(p[f]) for f in ("name", "email_address", "credit_card", "city", "state", "extra"))
        for p in b.persons
    ]
    auction = [8 + len(a["item_name"]) + len(a["description"]) + 40 + len(a["extra"]) for a in b.auctions]
    bid = [32 + len(x["extra"]) for x in b.bids]
    for sizes, target in ((person, 200), (auction, 500), (bid, 100)):
        assert abs(sum(sizes) / len(sizes) - target) < 0.03 * target
    assert {len(x["extra"]) for x in b.bids} == set(range(54, 82))  # 68 +- 14


def test_same_seed_same_events_other_seed_other_events(batch: Batch):
    again = NexmarkGenerator(3).events(0, 2_000)
    assert again.bids == batch.bids[: len(again.bids)] and again.persons == batch.persons[:40]
    assert again.auctions == batch.auctions[:120]
    other = NexmarkGenerator(4).events(0, 2_000)
    assert other.bids != again.bids and other.persons != again.persons


@pytest.mark.parametrize(("start", "count"), [(0, 1), (3, 2), (4, 46), (49, 2), (777, 1234), (24_950, 50)])
def test_any_range_equals_the_slice_of_the_full_run(batch: Batch, start: int, count: int):
    """Each event is a pure function of (seed, id): ranges can be generated apart, in any order."""
    fresh = NexmarkGenerator(3)
    part = fresh.events(start, count)
    full = {"person": batch.persons, "auction": batch.auctions, "bid": batch.bids}
    expected: dict[str, list] = {"person": [], "auction": [], "bid": []}
    seen = dict.fromkeys(expected, 0)
    for eid in range(start + count):
        kind = kind_of(eid)
        if eid >= start:
            expected[kind].append(full[kind][seen[kind]])
        seen[kind] += 1
    assert part.persons == expected["person"] and part.auctions == expected["auction"]
    assert part.bids == expected["bid"]
    for eid in range(start, start + min(count, 3)):
        kind, value = fresh.event(eid)
        assert value in expected[kind]


def test_batches_cover_the_range_in_order(generator: NexmarkGenerator, batch: Batch):
    parts = list(generator.batches(5_000, batch_size=777))
    assert sum(p.total for p in parts) == 5_000
    assert [b for p in parts for b in p.bids] == batch.bids[:4_600]
    with pytest.raises(ValueError, match="start >= 0"):
        generator.events(-1, 5)
