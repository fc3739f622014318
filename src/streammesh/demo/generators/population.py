"""The retailer's customers, products and orders: built from a seed, then changed by the flows.

Every order, payment or page view picks from this population, which is what makes the products
join up: an order's customer is in ``customers.profiles``, its SKUs are in ``catalog.products``.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from faker import Faker

from streammesh.demo.generators.events import iso, iso_date
from streammesh.demo.generators.reference import CATEGORIES, EMAIL_DOMAINS, MARKETS, Category, Market

__all__ = [
    "Customer",
    "Line",
    "Order",
    "Population",
    "Product",
    "price_point",
    "product_value",
    "profile_value",
    "slug",
]

_DAY_MS = 86_400_000


@dataclass(slots=True)
class Customer:
    customer_id: str
    market: Market
    first_name: str
    last_name: str
    email: str
    phone: str | None
    birth_date: str | None
    line1: str
    city: str
    postcode: str
    loyalty_tier: str
    marketing_opt_in: bool
    created_ms: int
    updated_ms: int
    activity: float  # relative propensity to visit and order (log-normal: a few loyal, many occasional)
    card: tuple[str, str] | None = None  # (brand, last4) of the card the customer pays with, once known

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(slots=True)
class Product:
    sku: str
    name: str
    brand: str
    category: Category
    subcategory: str
    price_eur_cents: int
    price_gbp_cents: int
    grams: int
    active: bool
    popularity: float  # Zipf weight within its category
    listed_ms: int
    updated_ms: int

    def price_cents(self, currency: str) -> int:
        return self.price_gbp_cents if currency == "GBP" else self.price_eur_cents


@dataclass(frozen=True, slots=True)
class Line:
    product: Product
    quantity: int
    unit_cents: int  # in the order's currency

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass(slots=True)
class Order:
    """An order and what happened to it so far (the flows read this instead of re-reading events)."""

    order_id: str
    customer: Customer
    channel: str
    session_id: str | None
    currency: str
    lines: list[Line]
    discount_cents: int
    promo_code: str | None
    shipping_cents: int
    shipping_method: str
    placed_ms: int
    status: str = "placed"
    method: str = "CARD"
    invoice_id: str | None = None
    due_ms: int = 0
    captured_payment_id: str | None = None
    captured_attempt: int = 1
    psp_reference: str = ""

    @property
    def subtotal_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents + self.shipping_cents


def slug(text: str) -> str:
    """URL slug: ASCII, lower case, dashes (``Lumière Lab Serum`` becomes ``lumiere-lab-serum``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def price_point(cents: float) -> int:
    """Round to a retail price point ending in .99 (or .49 under 10)."""
    if cents < 1000:
        return max(199, int(cents // 50) * 50 + 49)
    return max(999, round(cents / 100) * 100 - 1)


def _phone(fake: Faker) -> str:
    """A phone number in the market's format, without the extensions some locales append (``x063``)."""
    return str(fake.phone_number()).split("x")[0].strip()


def _weight(cat: Category, eur_cents: int, rng: random.Random) -> int:
    """Shipping weight that grows with price within a category (a pricier trimmer is a bigger one)."""
    low, high = cat.grams
    typical = math.sqrt(low * high) * (eur_cents / (cat.median_eur * 100)) ** 0.7 * rng.uniform(0.7, 1.3)
    return int(min(high, max(low, typical)))


@dataclass(slots=True)
class Population:
    """Customers and products with weighted pickers (cumulative weights, so picks are O(log n))."""

    rng: random.Random
    fakers: dict[str, Faker]
    customers: list[Customer] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    _customer_cum: list[float] = field(default_factory=list)
    _by_category: dict[str, tuple[list[Product], list[float]]] = field(default_factory=dict)
    _market_cum: list[float] = field(default_factory=list)
    _category_cum: list[float] = field(default_factory=list)

    @classmethod
    def build(cls, *, seed: int, customers: int, products: int, now_ms: int) -> Population:
        """A population whose customers signed up and products were listed before ``now_ms``."""
        rng = random.Random(seed)
        fakers = {}
        for m in MARKETS:
            fakers[m.locale] = Faker(m.locale)
            fakers[m.locale].seed_instance(seed)
        pop = cls(rng, fakers)
        pop._market_cum = list(accumulate(m.weight for m in MARKETS))
        pop._category_cum = list(accumulate(c.weight for c in CATEGORIES))
        pop._build_products(products, now_ms)
        for _ in range(customers):
            created = now_ms - int(rng.uniform(1, 3 * 365) * _DAY_MS)
            c = pop.new_customer(created)
            c.updated_ms = rng.randint(created, now_ms - 3_600_000)
        return pop

    # -- products ---------------------------------------------------------------------------------------------

    def _build_products(self, n: int, now_ms: int) -> None:
        rng = self.rng
        seen: set[str] = set()
        for cat in CATEGORIES:
            count = max(3, round(n * cat.weight))
            items: list[Product] = []
            for _ in range(count):
                sub = rng.choice(sorted(cat.subcategories))
                for _ in range(20):  # a few tries for a name the catalogue does not have yet
                    brand = rng.choice(cat.brands)
                    name = f"{brand} {rng.choice(cat.subcategories[sub])}"
                    if cat.variants and rng.random() < 0.6:
                        name += f", {rng.choice(cat.variants)}"
                    if name not in seen:
                        break
                seen.add(name)
                eur = price_point(cat.median_eur * 100 * math.exp(rng.gauss(0, cat.sigma)))
                listed = now_ms - int(rng.uniform(1, 2 * 365) * _DAY_MS)
                items.append(
                    Product(
                        sku=f"{cat.code}-{len(items) + 1:05d}",
                        name=name,
                        brand=brand,
                        category=cat,
                        subcategory=sub,
                        price_eur_cents=eur,
                        price_gbp_cents=price_point(eur * 0.86),
                        grams=_weight(cat, eur, rng),
                        active=rng.random() > 0.03,
                        popularity=0.0,
                        listed_ms=listed,
                        updated_ms=rng.randint(listed, now_ms - 3_600_000),
                    )
                )
            ranks = list(range(1, len(items) + 1))
            rng.shuffle(ranks)
            for p, rank in zip(items, ranks, strict=True):
                p.popularity = (1.0 / rank) if p.active else 0.0  # Zipf, s = 1
            self.products.extend(items)
            self._by_category[cat.code] = (items, list(accumulate(p.popularity for p in items)))

    def pick_category(self) -> Category:
        return CATEGORIES[bisect_right(self._category_cum, self.rng.random() * self._category_cum[-1])]

    def pick_product(self, category: Category | None = None) -> Product:
        """An active product, popular ones far more often (Zipf within a category)."""
        items, cum = self._by_category[(category or self.pick_category()).code]
        return items[min(bisect_right(cum, self.rng.random() * cum[-1]), len(items) - 1)]

    # -- customers --------------------------------------------------------------------------------------------

    def pick_market(self) -> Market:
        return MARKETS[bisect_right(self._market_cum, self.rng.random() * self._market_cum[-1])]

    def pick_customer(self) -> Customer:
        """A customer, active ones more often."""
        i = bisect_right(self._customer_cum, self.rng.random() * self._customer_cum[-1])
        return self.customers[min(i, len(self.customers) - 1)]

    def new_customer(self, created_ms: int) -> Customer:
        """Sign a new customer up (appended to the population, so later orders may pick them)."""
        rng = self.rng
        market = self.pick_market()
        fake = self.fakers[market.locale]
        first, last = fake.first_name(), fake.last_name()
        handle = f"{slug(first)}.{slug(last)}".replace("-", "")
        if rng.random() < 0.4:
            handle += str(rng.randint(1, 99))
        age_days = int(rng.uniform(18, 85) * 365.25)
        c = Customer(
            customer_id=f"C{len(self.customers) + 1:06d}",
            market=market,
            first_name=first,
            last_name=last,
            email=f"{handle}@{rng.choice(EMAIL_DOMAINS)}",
            phone=_phone(fake) if rng.random() < 0.85 else None,
            birth_date=iso_date(created_ms - age_days * _DAY_MS) if rng.random() < 0.7 else None,
            line1=fake.street_address().replace("\n", ", "),
            city=rng.choice(market.cities),
            postcode=fake.postcode(),
            loyalty_tier=rng.choices(("none", "silver", "gold", "platinum"), (70, 18, 9, 3))[0],
            marketing_opt_in=rng.random() < 0.55,
            created_ms=created_ms,
            updated_ms=created_ms,
            activity=rng.lognormvariate(0, 1),
        )
        self.customers.append(c)
        self._customer_cum.append((self._customer_cum[-1] if self._customer_cum else 0.0) + c.activity)
        return c

    def change_customer(self, c: Customer, now_ms: int) -> None:
        """Apply one profile change a customer typically makes: a move, a new phone, consent, loyalty."""
        rng, fake = self.rng, self.fakers[c.market.locale]
        kind = rng.choices(("move", "phone", "consent", "loyalty"), (35, 20, 30, 15))[0]
        if kind == "move":
            c.line1, c.city, c.postcode = (
                fake.street_address().replace("\n", ", "),
                rng.choice(c.market.cities),
                fake.postcode(),
            )
        elif kind == "phone":
            c.phone = _phone(fake)
        elif kind == "consent":
            c.marketing_opt_in = not c.marketing_opt_in
        else:
            tiers = ("none", "silver", "gold", "platinum")
            c.loyalty_tier = tiers[min(tiers.index(c.loyalty_tier) + 1, 3)]
        c.updated_ms = now_ms


def profile_value(c: Customer) -> dict[str, Any]:
    """The ``customers.profiles`` value of a customer."""
    m = c.market
    return {
        "customer_id": c.customer_id,
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "phone": c.phone,
        "birth_date": c.birth_date,
        "address": {"line1": c.line1, "city": c.city, "postcode": c.postcode, "country": m.country},
        "country": m.country,
        "region": m.region,
        "preferred_language": m.language,
        "loyalty_tier": c.loyalty_tier,
        "marketing_opt_in": c.marketing_opt_in,
        "status": "active",
        "created_at": iso(c.created_ms),
        "updated_at": iso(c.updated_ms),
    }


def product_value(p: Product) -> dict[str, Any]:
    """The ``catalog.products`` value of a product."""
    return {
        "sku": p.sku,
        "name": p.name,
        "brand": p.brand,
        "category": p.category.name,
        "subcategory": p.subcategory,
        "price_eur": p.price_eur_cents / 100,
        "price_gbp": p.price_gbp_cents / 100,
        "weight_grams": p.grams,
        "active": p.active,
        "listed_at": iso(p.listed_ms),
        "updated_at": iso(p.updated_ms),
    }
