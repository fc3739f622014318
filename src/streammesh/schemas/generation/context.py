"""The state one generator run shares: a seeded random stream, seeded Faker instances and a fixed "now".

Everything random flows from ``Context.rng`` (and Faker instances seeded from it), so one seed gives the
same values every time. Each top-level value gets a *persona* (a locale with a name and a country), so the
e-mail, name, phone, city and country fields of one record describe one plausible person.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

from streammesh.schemas.generation.rules import FieldRule

__all__ = ["EPOCH_DAY_MS", "Context", "Persona", "iso_date", "iso_timestamp"]

EPOCH_DAY_MS = 86_400_000

#: Faker locale -> (ISO 3166-1 alpha-2 country, ISO 639-1 language, IANA time zone, weight)
LOCALES: dict[str, tuple[str, str, str, int]] = {
    "en_GB": ("GB", "en", "Europe/London", 24),
    "de_DE": ("DE", "de", "Europe/Berlin", 22),
    "fr_FR": ("FR", "fr", "Europe/Paris", 14),
    "nl_NL": ("NL", "nl", "Europe/Amsterdam", 8),
    "es_ES": ("ES", "es", "Europe/Madrid", 8),
    "it_IT": ("IT", "it", "Europe/Rome", 8),
    "en_IE": ("IE", "en", "Europe/Dublin", 4),
    "de_AT": ("AT", "de", "Europe/Vienna", 4),
    "nl_BE": ("BE", "nl", "Europe/Brussels", 4),
    "en_US": ("US", "en", "America/New_York", 4),
}


def iso_timestamp(ms: int) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z``, the form every demo contract uses."""
    dt = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def iso_date(ms: int) -> str:
    """``YYYY-MM-DD`` of the UTC day containing ``ms``."""
    return f"{datetime.fromtimestamp(ms // 1000, UTC):%Y-%m-%d}"


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: names made safe for e-mail local parts and user names."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in folded if c.isalnum())


@dataclass(slots=True)
class Persona:
    """The imaginary person (or place) one record is about."""

    locale: str
    first_name: str
    last_name: str

    @property
    def country(self) -> str:
        return LOCALES[self.locale][0]

    @property
    def language(self) -> str:
        return LOCALES[self.locale][1]

    @property
    def timezone(self) -> str:
        return LOCALES[self.locale][2]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Context:
    """Randomness, time and rules for one :class:`~streammesh.schemas.generation.ValueGenerator`."""

    def __init__(
        self,
        *,
        seed: int | None,
        now: datetime | None,
        rules: dict[str, FieldRule],
        optional_rate: float,
        null_rate: float,
    ) -> None:
        self.rng = random.Random(seed)
        self._faker_seed = self.rng.getrandbits(64)
        self._fakers: dict[str, Faker] = {}
        if now is None:
            # the start of today (UTC): values stay "recent" and one seed repeats exactly all day
            now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        elif now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        self.now = now
        self.now_ms = int(now.timestamp() * 1000)
        self.rules = rules
        self.optional_rate = optional_rate
        self.null_rate = null_rate
        self._persona: Persona | None = None

    # -- records and personas -------------------------------------------------------------------------
    def new_record(self) -> None:
        """Forget the persona, so the next record describes someone else."""
        self._persona = None

    @property
    def persona(self) -> Persona:
        if self._persona is None:
            locales = list(LOCALES)
            locale = self.rng.choices(locales, [LOCALES[x][3] for x in locales])[0]
            fake = self.faker(locale)
            self._persona = Persona(locale, fake.first_name(), fake.last_name())
        return self._persona

    def faker(self, locale: str | None = None) -> Faker:
        """A Faker for ``locale`` (the persona's by default), seeded from this run's seed."""
        locale = locale or self.persona.locale
        fake = self._fakers.get(locale)
        if fake is None:
            fake = Faker(locale)
            # seeded per locale (not per creation order) so lazily created instances stay deterministic
            fake.seed_instance(self._faker_seed ^ zlib.crc32(locale.encode()))
            self._fakers[locale] = fake
        return fake

    # -- small random helpers -------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def letters(self, n: int, alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ") -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def rule(self, path: str) -> FieldRule | None:
        return self.rules.get(path)

    # -- time -----------------------------------------------------------------------------------------
    def recent_ms(self, *, days_back: float = 30, days_ahead: float = 0) -> int:
        """An epoch-millisecond instant between ``days_back`` before and ``days_ahead`` after now."""
        lo = self.now_ms - int(days_back * EPOCH_DAY_MS)
        hi = self.now_ms + int(days_ahead * EPOCH_DAY_MS)
        return self.rng.randint(lo, hi)

    def birth_ms(self) -> int:
        """Noon UTC on a birthday of someone aged 18 to 85."""
        days = self.rng.randint(18 * 365 + 5, 85 * 365)
        day = (self.now - timedelta(days=days)).date()
        return int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp() * 1000)

    def pick(self, options: Any) -> Any:
        return self.rng.choice(list(options))
