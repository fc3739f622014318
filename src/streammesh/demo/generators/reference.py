"""Fixed facts about the retailer: its markets, warehouses, carriers and merchandise categories.

Kept apart from the flows so that a believable world (real cities, plausible prices per category, VAT
per country) is easy to read and tune without touching the event logic.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CARRIER_CODES",
    "CATEGORIES",
    "EMAIL_DOMAINS",
    "HUBS",
    "MARKETS",
    "USER_AGENTS",
    "WAREHOUSES",
    "Category",
    "Market",
    "Warehouse",
]


@dataclass(frozen=True, slots=True)
class Market:
    """A country Larkspur sells to."""

    country: str
    region: str
    currency: str
    language: str
    locale: str  # Faker locale for names, streets, postcodes and phone numbers
    vat_percent: int
    weight: float  # share of customers and traffic
    warehouse: str
    carriers: tuple[str, ...]
    cities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Category:
    """A merchandising category: price level, weights and what its products are called."""

    code: str
    name: str
    weight: float  # share of traffic and of the catalogue
    median_eur: float
    sigma: float  # log-normal spread of prices
    grams: tuple[int, int]
    brands: tuple[str, ...]
    subcategories: dict[str, tuple[str, ...]]
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Warehouse:
    warehouse_id: str
    city: str
    country: str


WAREHOUSES: dict[str, Warehouse] = {
    w.warehouse_id: w
    for w in (
        Warehouse("WH-MAN", "Manchester", "GB"),
        Warehouse("WH-LEJ", "Leipzig", "DE"),
        Warehouse("WH-TIL", "Tilburg", "NL"),
        Warehouse("WH-LYS", "Lyon", "FR"),
    )
}

MARKETS: tuple[Market, ...] = (
    Market(
        "GB",
        "UK & Ireland",
        "GBP",
        "en",
        "en_GB",
        20,
        0.24,
        "WH-MAN",
        ("Royal Mail", "DPD", "Evri"),
        (
            "London",
            "Manchester",
            "Birmingham",
            "Leeds",
            "Glasgow",
            "Bristol",
            "Edinburgh",
            "Liverpool",
            "Cardiff",
            "Sheffield",
            "Nottingham",
            "Brighton",
        ),
    ),
    Market(
        "IE",
        "UK & Ireland",
        "EUR",
        "en",
        "en_IE",
        23,
        0.04,
        "WH-MAN",
        ("An Post", "DPD"),
        ("Dublin", "Cork", "Galway", "Limerick", "Waterford"),
    ),
    Market(
        "DE",
        "DACH",
        "EUR",
        "de",
        "de_DE",
        19,
        0.24,
        "WH-LEJ",
        ("DHL", "Hermes", "DPD"),
        (
            "Berlin",
            "Hamburg",
            "München",
            "Köln",
            "Frankfurt am Main",
            "Stuttgart",
            "Düsseldorf",
            "Leipzig",
            "Dresden",
            "Hannover",
            "Nürnberg",
            "Bremen",
        ),
    ),
    Market(
        "AT",
        "DACH",
        "EUR",
        "de",
        "de_AT",
        20,
        0.04,
        "WH-LEJ",
        ("Austrian Post", "DHL"),
        ("Wien", "Graz", "Linz", "Salzburg", "Innsbruck"),
    ),
    Market(
        "FR",
        "France",
        "EUR",
        "fr",
        "fr_FR",
        20,
        0.15,
        "WH-LYS",
        ("Colissimo", "Chronopost", "DPD"),
        ("Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Bordeaux", "Lille", "Strasbourg", "Rennes"),
    ),
    Market(
        "NL",
        "Benelux",
        "EUR",
        "nl",
        "nl_NL",
        21,
        0.10,
        "WH-TIL",
        ("PostNL", "DHL"),
        ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg"),
    ),
    Market(
        "BE",
        "Benelux",
        "EUR",
        "nl",
        "nl_BE",
        21,
        0.05,
        "WH-TIL",
        ("bpost", "PostNL"),
        ("Antwerpen", "Gent", "Brussel", "Brugge", "Leuven"),
    ),
    Market(
        "ES",
        "Southern Europe",
        "EUR",
        "es",
        "es_ES",
        21,
        0.08,
        "WH-LYS",
        ("Correos", "SEUR"),
        ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga"),
    ),
    Market(
        "IT",
        "Southern Europe",
        "EUR",
        "it",
        "it_IT",
        22,
        0.06,
        "WH-LYS",
        ("BRT", "Poste Italiane"),
        ("Milano", "Roma", "Torino", "Bologna", "Firenze", "Napoli"),
    ),
)

#: parcel-sorting hubs a parcel passes on its way into each country
HUBS: dict[str, tuple[str, ...]] = {
    "GB": ("Daventry", "Warrington", "Coventry"),
    "IE": ("Dublin", "Portlaoise"),
    "DE": ("Kassel", "Hannover", "Erfurt"),
    "AT": ("Wien-Inzersdorf", "Allhaming"),
    "FR": ("Chilly-Mazarin", "Saint-Priest", "Lesquin"),
    "NL": ("Nieuwegein", "Zwolle"),
    "BE": ("Mechelen", "Brussel X"),
    "ES": ("Zaragoza", "Coslada"),
    "IT": ("Bologna Interporto", "Milano Peschiera"),
}

CARRIER_CODES: dict[str, str] = {
    "Royal Mail": "RM",
    "DPD": "15",
    "Evri": "H0",
    "An Post": "CE",
    "DHL": "00340",
    "Hermes": "H1",
    "Austrian Post": "10",
    "Colissimo": "6A",
    "Chronopost": "XP",
    "PostNL": "3S",
    "bpost": "32",
    "Correos": "PQ",
    "SEUR": "SE",
    "BRT": "BR",
    "Poste Italiane": "RA",
}

CATEGORIES: tuple[Category, ...] = (
    Category(
        "ELE",
        "Electronics",
        0.18,
        69.0,
        0.75,
        (80, 2500),
        ("Voltaro", "Kestrel Audio", "Nimbus", "Lumen"),
        {
            "Headphones": ("Wireless Earbuds", "Over-Ear Headphones", "Noise-Cancelling Headphones"),
            "Audio": ("Bluetooth Speaker", "Smart Speaker", "Soundbar"),
            "Accessories": ("USB-C Charger 65W", "Power Bank 20000mAh", "Braided USB-C Cable", "Phone Case"),
            "Wearables": ("Fitness Tracker", "Smartwatch"),
        },
        ("Black", "White", "Graphite", "Blue"),
    ),
    Category(
        "HOM",
        "Home & Kitchen",
        0.17,
        34.0,
        0.7,
        (200, 6000),
        ("Hearthly", "Copperleaf", "Nordvik"),
        {
            "Cookware": ("Cast Iron Skillet 26 cm", "Non-Stick Frying Pan", "Stainless Saucepan Set"),
            "Appliances": ("Espresso Machine", "Electric Kettle", "Hand Blender", "2-Slice Toaster"),
            "Tableware": ("Stoneware Dinner Set", "Glass Tumblers, Set of 6", "Oak Serving Board"),
            "Bedding": ("Linen Duvet Cover", "Cotton Pillowcases, Pair", "Wool Throw"),
        },
        ("Sage", "Sand", "Charcoal"),
    ),
    Category(
        "FAS",
        "Fashion",
        0.20,
        39.0,
        0.6,
        (150, 1800),
        ("Marlowe & Finch", "Tidewear", "Alpen Loom"),
        {
            "Tops": ("Organic Cotton T-Shirt", "Merino Jumper", "Oxford Shirt"),
            "Outerwear": ("Rain Jacket", "Quilted Gilet", "Wool Coat"),
            "Footwear": ("Leather Trainers", "Chelsea Boots", "Running Shoes"),
            "Accessories": ("Canvas Tote", "Leather Belt", "Wool Scarf"),
        },
        ("Navy", "Black", "Olive", "Ecru", "Rust"),
    ),
    Category(
        "BEA",
        "Beauty",
        0.12,
        16.0,
        0.5,
        (50, 600),
        ("Rosemere", "Pure Fjord", "Lumière Lab"),
        {
            "Skincare": ("Hydrating Face Cream", "Vitamin C Serum", "Gentle Cleanser", "Mineral Sunscreen SPF50"),
            "Haircare": ("Repair Shampoo", "Argan Hair Oil", "Volume Conditioner"),
            "Fragrance": ("Eau de Parfum 50 ml", "Scented Candle"),
        },
    ),
    Category(
        "SPO",
        "Sports & Outdoors",
        0.10,
        45.0,
        0.8,
        (200, 9000),
        ("Summit Trail", "Aquilo", "Fjellsport"),
        {
            "Camping": ("2-Person Tent", "Down Sleeping Bag", "Camping Stove"),
            "Fitness": ("Yoga Mat", "Adjustable Dumbbells", "Resistance Bands"),
            "Cycling": ("Bike Helmet", "LED Bike Light Set", "Cycling Gloves"),
        },
    ),
    Category(
        "TOY",
        "Toys & Games",
        0.08,
        24.0,
        0.6,
        (150, 3000),
        ("Brickwell", "Little Otter", "Puzzlecraft"),
        {
            "Building": ("Building Bricks Set", "Marble Run"),
            "Games": ("Family Board Game", "1000-Piece Puzzle", "Card Game"),
            "Baby": ("Wooden Stacking Toy", "Plush Bear"),
        },
    ),
    Category(
        "BOO",
        "Books",
        0.08,
        14.0,
        0.35,
        (150, 1200),
        ("Harrow Press", "Bluebell Books", "Atlas & Ink"),
        {
            "Fiction": ("Novel, Paperback", "Crime Thriller, Hardback"),
            "Non-fiction": ("Cookbook", "Travel Guide", "Biography"),
            "Children": ("Picture Book", "Activity Book"),
        },
    ),
    Category(
        "GAR",
        "Garden",
        0.07,
        29.0,
        0.8,
        (200, 12000),
        ("Greenhaven", "Terra Verde"),
        {
            "Tools": ("Pruning Shears", "Garden Hose 25 m", "Cordless Hedge Trimmer"),
            "Outdoor Living": ("Solar Lantern", "Bistro Set", "Parasol 2.5 m"),
            "Plants": ("Herb Seed Kit", "Raised Bed"),
        },
    ),
)

USER_AGENTS: dict[str, tuple[str, ...]] = {
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
        "Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
        "Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
        "Safari/537.36 Edg/124.0.2478.51",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 "
        "Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
        "Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
        "Safari/537.36",
    ),
}

#: reserved example domains, so generated addresses can never reach a real mailbox
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org", "mail.example", "post.example")
