"""A small discrete-event simulation: handlers run in time order and schedule their consequences.

This is what keeps the products consistent: a payment is scheduled by its order, a shipment by its
captured payment, a scan by the previous scan, so no event can precede its cause and none is forgotten.
"""

from __future__ import annotations

import heapq
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from streammesh.demo.generators.events import DemoEvent
from streammesh.demo.generators.population import Population

__all__ = ["Handler", "Process", "Sim", "diurnal_factor"]

Handler = Callable[..., None]

# relative traffic by hour of day (Central European time): quiet nights, lunch and evening peaks
_HOURLY = (
    0.35,
    0.25,
    0.2,
    0.18,
    0.2,
    0.3,
    0.5,
    0.7,
    0.85,
    0.95,
    1.0,
    1.05,
    1.1,
    1.05,
    1.0,
    1.0,
    1.05,
    1.15,
    1.3,
    1.4,
    1.35,
    1.15,
    0.85,
    0.55,
)
_MEAN = sum(_HOURLY) / 24


def diurnal_factor(ms: int) -> float:
    """Traffic multiplier for the time of day, mild (0.7-1.3) so a demo is lively at any hour."""
    hour = datetime.fromtimestamp(ms / 1000, UTC).hour + 1  # CET
    return 0.6 + 0.4 * _HOURLY[hour % 24] / _MEAN


@dataclass(slots=True)
class Process:
    """A spontaneous arrival process (sessions, phone orders, profile edits...) at ``per_second`` on average."""

    name: str
    per_second: float
    action: Handler


class Sim:
    """The simulation clock, the agenda of scheduled handlers, the population and the emitted events."""

    def __init__(self, population: Population, *, seasonality: bool) -> None:
        self.pop = population
        self.rng: random.Random = population.rng
        self.now = 0
        self.seasonality = seasonality
        self.spontaneous = True  # False while skipping a gap: follow-ups still happen, new arrivals do not
        self.state: dict[str, Any] = {}  # per-flow state (orders, stock...), keyed by flow
        self._agenda: list[tuple[int, int, Handler, tuple[Any, ...]]] = []
        self._seq = 0
        self._ids: dict[str, int] = {}
        self._out: list[DemoEvent] = []

    # -- scheduling -------------------------------------------------------------------------------------------

    def at(self, t_ms: int, handler: Handler, *args: Any) -> None:
        """Run ``handler(sim, *args)`` at ``t_ms`` (never before now)."""
        self._seq += 1
        heapq.heappush(self._agenda, (max(int(t_ms), self.now), self._seq, handler, args))

    def after(self, seconds: float, handler: Handler, *args: Any) -> None:
        self.at(self.now + int(seconds * 1000), handler, *args)

    def start(self, processes: list[Process], at_ms: int) -> None:
        """Start the arrival processes at ``at_ms``."""
        self.now = at_ms
        for p in processes:
            self._next_arrival(p)

    def _next_arrival(self, p: Process) -> None:
        peak = 1.3 if self.seasonality else 1.0
        self.after(self.rng.expovariate(p.per_second * peak), self._arrive, p)

    @staticmethod
    def _arrive(sim: Sim, p: Process) -> None:
        # thinning: draw at the peak rate, keep arrivals in proportion to the time of day
        if sim.spontaneous and (not sim.seasonality or sim.rng.random() * 1.3 < diurnal_factor(sim.now)):
            p.action(sim)
        sim._next_arrival(p)

    def run_until(self, t_ms: int) -> list[DemoEvent]:
        """Run every handler due up to and including ``t_ms``; the events they emitted, in time order."""
        while self._agenda and self._agenda[0][0] <= t_ms:
            when, _, handler, args = heapq.heappop(self._agenda)
            self.now = when
            handler(self, *args)
        self.now = max(self.now, t_ms)
        out, self._out = self._out, []
        return out

    # -- emitting ---------------------------------------------------------------------------------------------

    def emit(self, product: str, key: str, value: dict[str, Any]) -> None:
        """Emit an event happening now (handlers schedule anything later)."""
        self._out.append(DemoEvent(product, key, value, self.now))

    def next_id(self, prefix: str, width: int = 8) -> str:
        """The next sequential id with ``prefix`` (``O00000001``, ``PAY00000001``...)."""
        n = self._ids.get(prefix, 0) + 1
        self._ids[prefix] = n
        return f"{prefix}{n:0{width}d}"

    def uuid(self) -> str:
        """A random (but seeded, hence reproducible) UUID4."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def delay(self, median_s: float, spread: float = 0.5, *, low: float = 0.0, high: float = math.inf) -> float:
        """A log-normal delay in seconds around ``median_s``, clipped to ``[low, high]``."""
        return min(high, max(low, self.rng.lognormvariate(math.log(median_s), spread)))
