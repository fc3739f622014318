"""The demo's event source: a seeded, deterministic simulation of a day at Larkspur Retail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from streammesh.demo.generators import commerce, logistics, masterdata, web
from streammesh.demo.generators.events import DEMO_PRODUCTS, DemoEvent, to_ms
from streammesh.demo.generators.population import Population
from streammesh.demo.generators.simulation import Process, Sim

__all__ = ["DemoGenerator"]

_BASE_RATE = 30.0
# arrivals per second at scale 1, measured to give _EVENTS_AT_SCALE_1 events/s in the steady state
_EVENTS_AT_SCALE_1 = 24.1
_SESSIONS = 3.0
_OTHER_ORDERS = 0.3
_WEB_CONVERSION = 0.42 * 0.2  # signed in x converting, as in web.start_session


class DemoGenerator:
    """Events for every demo product, consistent across products and identical for the same seed.

    Call :meth:`initial_events` once (reference data, opening stock, then ``backlog`` of activity ending
    at ``start``), then :meth:`tick` repeatedly with the live clock.

    Example:
        >>> gen = DemoGenerator(seed=1, start=datetime(2024, 5, 1, 12, tzinfo=UTC), backlog=timedelta(0))
        >>> events = list(gen.initial_events())
        >>> live = gen.tick(datetime(2024, 5, 1, 12, 0, 10, tzinfo=UTC), 10)

    Args:
        seed: the same seed (and arguments) gives the same events.
        start: end of the backlog and start of live ticking; defaults to now.
        rate: average events per second across all products (time of day varies it by about +-30 %).
        customers: registered customers at the start (more sign up as time goes by).
        products: approximate size of the catalogue.
        backlog: how much history :meth:`initial_events` simulates before ``start``.
        seasonality: vary traffic by hour of day.
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        start: datetime | None = None,
        rate: float = _BASE_RATE,
        customers: int = 500,
        products: int = 160,
        backlog: timedelta = timedelta(hours=1),
        seasonality: bool = True,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive (events per second), got {rate!r}")
        self.start_ms = to_ms(start or datetime.now(UTC))
        self.backlog_start_ms = self.start_ms - int(backlog.total_seconds() * 1000)
        population = Population.build(seed=seed, customers=customers, products=products, now_ms=self.backlog_start_ms)
        self._sim = Sim(population, seasonality=seasonality)
        scale = rate / _EVENTS_AT_SCALE_1
        self._orders_per_hour = (_SESSIONS * _WEB_CONVERSION + _OTHER_ORDERS) * scale * 3600
        self._processes = [
            Process("sessions", _SESSIONS * scale, web.start_session),
            Process("other-channel orders", _OTHER_ORDERS * scale, commerce.other_channel_order),
            Process("sign-ups", 0.01 * scale, masterdata.sign_up),
            Process("profile edits", 0.03 * scale, masterdata.edit_profile),
            Process("price changes", 0.01 * scale, masterdata.change_price),
            Process("stock counts", 0.05 * scale, logistics.stock_count),
        ]
        self._phase = "new"

    @property
    def products(self) -> tuple[str, ...]:
        """Names of the products this generator feeds."""
        return DEMO_PRODUCTS

    @property
    def clock(self) -> datetime:
        """The simulation time reached so far."""
        return datetime.fromtimestamp(self._sim.now / 1000, UTC)

    def _open(self, at_ms: int) -> list[DemoEvent]:
        """Reference data and opening stock up to ``at_ms``, then start the arrival processes there."""
        sim = self._sim
        sim.now = at_ms
        masterdata.emit_reference(sim)
        logistics.stock_up(sim, orders_per_hour=self._orders_per_hour, since_ms=at_ms - 2 * 86_400_000)
        opening = sim.run_until(at_ms)
        sim.start(self._processes, at_ms)
        return opening

    def initial_events(self) -> Iterator[DemoEvent]:
        """Customers, products and opening stock first, then the backlog in time order (minute by minute).

        Raises:
            RuntimeError: called twice, or after :meth:`tick`.
        """
        if self._phase != "new":
            raise RuntimeError("initial_events() runs once, before the first tick()")
        self._phase = "backlog"
        yield from self._open(self.backlog_start_ms)
        t = self.backlog_start_ms
        while t < self.start_ms:
            t = min(self.start_ms, t + 60_000)
            yield from self._sim.run_until(t)
        self._phase = "live"

    def tick(self, now: datetime, seconds: float) -> list[DemoEvent]:
        """The events of the interval ``(now - seconds, now]``, in time order.

        Intervals may follow each other or leave gaps (a paused demo): nothing new starts during a gap,
        but what was already under way (parcels, pending payments) completes, so its events arrive late.
        Without :meth:`initial_events` first, the simulation starts silently at ``now - seconds``.

        Raises:
            RuntimeError: :meth:`initial_events` was started but not consumed to the end.
        """
        if self._phase == "backlog":
            raise RuntimeError("consume initial_events() to the end before calling tick()")
        now_ms, window_ms = to_ms(now), int(seconds * 1000)
        sim = self._sim
        if self._phase == "new":
            self._open(now_ms - window_ms)
            self._phase = "live"
        out: list[DemoEvent] = []
        if sim.now < now_ms - window_ms:
            sim.spontaneous = False
            out = sim.run_until(now_ms - window_ms)
            sim.spontaneous = True
        out += sim.run_until(now_ms)
        return out
