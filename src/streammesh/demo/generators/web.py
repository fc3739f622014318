"""Browsing sessions on the website: page views, and for some signed-in visitors, an order.

A session wanders between home, category, search and product pages, mostly within one category and
towards popular products; converting sessions go on to cart, checkout and an order carrying the
session id, so a funnel can be followed from ``web.page_views`` into ``sales.orders``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from streammesh.demo.generators import commerce
from streammesh.demo.generators.events import PAGE_VIEWS, iso
from streammesh.demo.generators.population import Customer, Product, slug
from streammesh.demo.generators.reference import USER_AGENTS, Category
from streammesh.demo.generators.simulation import Sim

__all__ = ["SITE", "Session", "start_session"]

SITE = "https://www.larkspur.example"
_REFERRERS = (
    None,
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://www.instagram.com/",
    "https://www.facebook.com/",
    "https://newsletter.larkspur.example/",
    "https://www.idealo.de/",
)
_REFERRER_WEIGHTS = (30, 38, 5, 8, 5, 9, 5)


@dataclass(slots=True)
class Session:
    session_id: str
    customer: Customer | None
    country: str
    device: str
    user_agent: str
    ip: str
    converts: bool
    views_left: int
    category: Category
    last_url: str | None
    viewed: list[Product] = field(default_factory=list)


def start_session(sim: Sim) -> None:
    """A visitor arrives: signed in (a known customer) or anonymous."""
    rng, pop = sim.rng, sim.pop
    customer = pop.pick_customer() if rng.random() < 0.42 else None
    market = customer.market if customer else pop.pick_market()
    device = rng.choices(("mobile", "desktop", "tablet"), (58, 35, 7))[0]
    converts = customer is not None and rng.random() < 0.2
    s = Session(
        session_id=sim.uuid(),
        customer=customer,
        country=market.country,
        device=device,
        user_agent=rng.choice(USER_AGENTS[device]),
        ip=pop.fakers[market.locale].ipv4_public(),
        converts=converts,
        views_left=min(40, 1 + int(rng.expovariate(1 / 4.5))) + (2 if converts else 0),
        category=pop.pick_category(),
        last_url=rng.choices(_REFERRERS, _REFERRER_WEIGHTS)[0],
    )
    _browse(sim, s, first=True)


def _emit(sim: Sim, s: Session, page_type: str, path: str, *, sku: str | None = None, query: str | None = None) -> None:
    url = SITE + path + (f"?q={quote_plus(query)}" if query else "")
    value: dict[str, Any] = {
        "view_id": sim.uuid(),
        "session_id": s.session_id,
        "customer_id": s.customer.customer_id if s.customer else None,
        "page_type": page_type,
        "url": url,
        "path": path,
        "sku": sku,
        "search_query": query,
        "referrer": s.last_url,
        "ip_address": s.ip,
        "user_agent": s.user_agent,
        "device_type": s.device,
        "country": s.country,
        "viewed_at": iso(sim.now),
    }
    s.last_url = url
    sim.emit(PAGE_VIEWS, s.session_id, value)


def _product_page(sim: Sim, s: Session) -> None:
    if sim.rng.random() < 0.3:
        s.category = sim.pop.pick_category()
    p = sim.pop.pick_product(s.category)
    s.viewed.append(p)
    _emit(sim, s, "product", f"/p/{p.sku.lower()}-{slug(p.name)}", sku=p.sku)


def _browse(sim: Sim, s: Session, first: bool = False) -> None:
    rng = sim.rng
    if first:
        kind = "home" if s.last_url is None else rng.choices(("home", "product", "category"), (30, 45, 25))[0]
    else:
        kind = rng.choices(
            ("product", "category", "search", "home", "account", "cart"), (50, 20, 14, 6, 4 if s.customer else 0, 6)
        )[0]
    if kind == "product" or (s.converts and s.views_left == 1 and not s.viewed):
        _product_page(sim, s)
    elif kind == "category":
        s.category = sim.pop.pick_category() if rng.random() < 0.4 else s.category
        _emit(sim, s, "category", f"/c/{slug(s.category.name)}")
    elif kind == "search":
        p = sim.pop.pick_product(s.category)
        _emit(sim, s, "search", "/search", query=p.name.removeprefix(p.brand).split(",")[0].strip().lower())
    elif kind == "account":
        _emit(sim, s, "account", "/account/orders")
    else:
        _emit(sim, s, kind, "/" if kind == "home" else "/cart")
    s.views_left -= 1
    if s.views_left > 0:
        sim.after(sim.delay(25, 0.8, low=2, high=900), _browse, s)
    elif s.converts:
        sim.after(sim.delay(30, 0.5, low=3), _checkout, s, "cart")


def _checkout(sim: Sim, s: Session, step: str) -> None:
    _emit(sim, s, step, "/cart" if step == "cart" else "/checkout")
    if step == "cart":
        sim.after(sim.delay(30, 0.5, low=3), _checkout, s, "checkout")
    else:
        sim.after(sim.delay(60, 0.5, low=10), _purchase, s)


def _purchase(sim: Sim, s: Session) -> None:
    assert s.customer is not None
    size = sim.rng.choice((1, 1, 2, 3))
    basket: list[Product] = []
    for p in reversed(s.viewed):  # the last products looked at are the ones in the cart
        if p not in basket and p.active and len(basket) < size:
            basket.append(p)
    order = commerce.place_order(sim, s.customer, "web", s.session_id, basket or None)
    sim.after(sim.delay(1.5, 0.3), _confirmation, s, order.order_id)


def _confirmation(sim: Sim, s: Session, order_id: str) -> None:
    _emit(sim, s, "confirmation", f"/checkout/confirmation/{order_id.lower()}")
