"""Reference data and its slow changes: sign-ups, profile edits and price changes.

Profiles and products are compacted, table-like products: every event carries the whole record, so a
consumer replaying them ends with exactly the population the other flows draw from.
"""

from __future__ import annotations

import math

from streammesh.demo.generators.events import PRODUCTS, PROFILES
from streammesh.demo.generators.population import price_point, product_value, profile_value
from streammesh.demo.generators.simulation import Sim

__all__ = ["change_price", "edit_profile", "emit_reference", "sign_up"]


def emit_reference(sim: Sim) -> None:
    """Emit every customer profile, then every product, each at its last update time (in time order)."""
    end = sim.now
    for c in sorted(sim.pop.customers, key=lambda c: (c.updated_ms, c.customer_id)):
        sim.now = c.updated_ms
        sim.emit(PROFILES, c.customer_id, profile_value(c))
    for p in sorted(sim.pop.products, key=lambda p: (p.updated_ms, p.sku)):
        sim.now = p.updated_ms
        sim.emit(PRODUCTS, p.sku, product_value(p))
    sim.now = end


def sign_up(sim: Sim) -> None:
    """A new customer registers; from now on they can browse signed in and order."""
    c = sim.pop.new_customer(sim.now)
    sim.emit(PROFILES, c.customer_id, profile_value(c))


def edit_profile(sim: Sim) -> None:
    """A customer moves, changes phone number, consent or loyalty tier."""
    c = sim.pop.pick_customer()
    sim.pop.change_customer(c, sim.now)
    sim.emit(PROFILES, c.customer_id, profile_value(c))


def change_price(sim: Sim) -> None:
    """Merchandising reprices a product by 5-20 %, up or down (popular products more often)."""
    p = sim.pop.pick_product()
    factor = math.exp(sim.rng.choice((-1, 1)) * sim.rng.uniform(0.05, 0.2))
    p.price_eur_cents = price_point(p.price_eur_cents * factor)
    p.price_gbp_cents = price_point(p.price_eur_cents * 0.86)
    p.updated_ms = sim.now
    sim.emit(PRODUCTS, p.sku, product_value(p))
