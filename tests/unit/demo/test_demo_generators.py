"""Generated events fit their contracts, come out in time, and are reproducible."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from streammesh.contracts.model import Contract
from streammesh.demo.generators import DEMO_PRODUCTS, DemoEvent, DemoGenerator
from streammesh.schemas import load_schema

START = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)


def _parse_ms(text: str) -> int:
    assert text.endswith("Z"), text
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def test_every_event_fits_its_schema(demo_events: list[DemoEvent], contracts: dict[str, Contract]) -> None:
    schemas = {name: load_schema(c.schema_) for name, c in contracts.items()}
    failures = Counter()
    example = {}
    for e in demo_events:
        issues = schemas[e.product].validate(e.value)
        if issues:
            failures[e.product] += 1
            example.setdefault(e.product, (issues, e.value))
    assert not failures, example


def test_json_schema_formats_hold(by_product: dict[str, list[DemoEvent]], contracts: dict[str, Contract]) -> None:
    """Structural validation ignores formats; check e-mail, IPv4, UUID and date values too."""
    for name, c in contracts.items():
        if c.schema_.format != "json-schema":
            continue
        validator = Draft202012Validator(c.schema_.definition, format_checker=FormatChecker())
        for e in by_product[name][:3000]:
            errors = list(validator.iter_errors(e.value))
            assert not errors, (name, errors[0].message)


def test_values_are_json_and_keys_and_timestamps_match(
    demo_events: list[DemoEvent], contracts: dict[str, Contract]
) -> None:
    for e in demo_events:
        c = contracts[e.product]
        assert json.loads(json.dumps(e.value)) == e.value
        assert e.key == "|".join(str(e.value[k]) for k in c.key)
        assert _parse_ms(e.value[c.timestamp_field]) == e.timestamp_ms, e


def test_every_product_gets_events(demo_parts: tuple[list[DemoEvent], list[DemoEvent]]) -> None:
    initial, live_events = demo_parts
    assert set(Counter(e.product for e in initial)) == set(DEMO_PRODUCTS)
    live = Counter(e.product for e in live_events)
    assert {"web.page_views", "sales.orders", "payments.payments", "fulfilment.parcel_tracking"} <= set(live)


def test_initial_events_put_reference_data_first(demo_parts: tuple[list[DemoEvent], list[DemoEvent]]) -> None:
    initial = demo_parts[0]
    products = [e.product for e in initial]
    first_activity = min(products.index(p) for p in ("web.page_views", "sales.orders"))
    assert set(products[:first_activity]) == {"customers.profiles", "catalog.products", "warehouse.goods_received"}
    backlog = [e.timestamp_ms for e in initial[first_activity:]]
    assert backlog == sorted(backlog)
    assert backlog[-1] <= int(START.timestamp() * 1000)


def test_ticks_cover_their_interval_in_time_order() -> None:
    gen = DemoGenerator(seed=5, start=START, rate=10, backlog=timedelta(minutes=30))
    for _ in gen.initial_events():
        pass
    now = START
    for _ in range(5):
        now += timedelta(seconds=2)
        events = gen.tick(now, 2)
        stamps = [e.timestamp_ms for e in events]
        assert stamps == sorted(stamps)
        assert all(now.timestamp() * 1000 - 2000 < t <= now.timestamp() * 1000 for t in stamps)
    assert gen.clock == now


def test_rate_is_about_what_was_asked() -> None:
    gen = DemoGenerator(seed=5, start=START, rate=6, backlog=timedelta(hours=4), seasonality=False)
    start_ms = int(START.timestamp() * 1000)
    steady = [e for e in gen.initial_events() if e.timestamp_ms > start_ms - 3_600_000]
    assert 5 < len(steady) / 3600 < 7


def test_a_gap_starts_nothing_new_but_completes_what_was_under_way() -> None:
    gen = DemoGenerator(seed=5, start=START, rate=10, backlog=timedelta(minutes=30))
    for _ in gen.initial_events():
        pass
    later = START + timedelta(hours=2)
    later_ms, hour_after_start_ms = int(later.timestamp() * 1000), int(START.timestamp() * 1000) + 3_600_000
    gap = [e for e in gen.tick(later, 1) if e.timestamp_ms <= later_ms - 1000]
    assert any(e.product == "fulfilment.parcel_tracking" for e in gap)  # parcels kept travelling
    started_late = [
        e
        for e in gap
        if e.timestamp_ms > hour_after_start_ms
        and (e.product == "web.page_views" or (e.product == "sales.orders" and e.value["status"] == "placed"))
    ]
    assert not started_late


def test_same_seed_same_events_other_seed_other_events() -> None:
    def run(seed: int) -> list:
        gen = DemoGenerator(seed=seed, start=START, rate=10, customers=50, products=40, backlog=timedelta(minutes=20))
        events = list(gen.initial_events())
        return events + gen.tick(START + timedelta(seconds=30), 30)

    first = run(3)
    assert first == run(3)
    assert first != run(4)


def test_tick_without_initial_events_starts_silently() -> None:
    gen = DemoGenerator(seed=1, start=START, rate=10)
    events = gen.tick(START + timedelta(minutes=1), 60)
    kinds = Counter(e.product for e in events)
    assert kinds["web.page_views"] > 100
    assert kinds["customers.profiles"] < 10 and kinds["warehouse.goods_received"] < 10  # no reference dump


def test_initial_events_runs_once() -> None:
    gen = DemoGenerator(seed=1, start=START, backlog=timedelta(0))
    list(gen.initial_events())
    with pytest.raises(RuntimeError, match="once"):
        list(gen.initial_events())


def test_tick_refuses_a_half_consumed_backlog() -> None:
    gen = DemoGenerator(seed=1, start=START, backlog=timedelta(minutes=5))
    next(iter(gen.initial_events()))
    with pytest.raises(RuntimeError, match="to the end"):
        gen.tick(START, 1)


def test_bad_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        DemoGenerator(rate=0)


def test_start_defaults_to_now() -> None:
    gen = DemoGenerator(seed=1, backlog=timedelta(0), customers=10, products=20)
    assert abs(gen.start_ms / 1000 - datetime.now(UTC).timestamp()) < 60
