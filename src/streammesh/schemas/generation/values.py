"""Scalar values under constraints, shared by every schema format.

Strings: a realistic candidate from the field's name is kept when it satisfies the format, patterns and
length; otherwise a string is built from the pattern, then from the format, then from plain words.
Numbers: the name's usual range (prices, quantities, weights) is intersected with the declared bounds;
when they do not overlap, the declared bounds win.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from streammesh.schemas.generation.context import Context, iso_date, iso_timestamp
from streammesh.schemas.generation.regex import matching_string
from streammesh.schemas.generation.rules import FieldRule
from streammesh.schemas.generation.semantic import (
    email_address,
    instant_ms,
    normalise_name,
    numeric_hint,
    realistic_string,
    time_kind,
    web_url,
)

__all__ = [
    "NumberSpec",
    "StringSpec",
    "format_ok",
    "item_count",
    "make_bool",
    "make_bytes",
    "make_number",
    "make_string",
    "string_spec",
    "tighter",
]


def _ip(version: type) -> Callable[[str], bool]:
    def check(s: str) -> bool:
        try:
            version(s)
        except ValueError:
            return False
        return True

    return check


def _matches(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda s: compiled.match(s) is not None


_FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "date-time": _matches(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    "date": _matches(r"^\d{4}-\d{2}-\d{2}$"),
    "time": _matches(r"^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    "email": _matches(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "uri": _matches(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$"),
    "uuid": _matches(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"),
    "hostname": _matches(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9-]{1,63})*$"),
    "ipv4": _ip(ipaddress.IPv4Address),
    "ipv6": _ip(ipaddress.IPv6Address),
}
_FORMAT_CHECKS["idn-email"] = _FORMAT_CHECKS["email"]
_FORMAT_CHECKS["iri"] = _FORMAT_CHECKS["uri"]


def format_ok(fmt: str | None, value: str) -> bool:
    """Does ``value`` look like JSON Schema format ``fmt``? Unknown formats accept anything."""
    check = _FORMAT_CHECKS.get(fmt or "")
    return True if check is None else bool(check(value))


_FORMAT_MAKERS: dict[str, Callable[[Context, str], str]] = {
    "date-time": lambda c, n: iso_timestamp(instant_ms(c, n)),
    "date": lambda c, n: iso_date(instant_ms(c, n)),
    "time": lambda c, n: f"{c.rng.randint(0, 23):02d}:{c.rng.randint(0, 59):02d}:{c.rng.randint(0, 59):02d}Z",
    "email": lambda c, n: email_address(c),
    "idn-email": lambda c, n: email_address(c),
    "uri": lambda c, n: web_url(c),
    "iri": lambda c, n: web_url(c),
    "uri-reference": lambda c, n: "/" + c.faker().uri_path(),
    "iri-reference": lambda c, n: "/" + c.faker().uri_path(),
    "uuid": lambda c, n: c.uuid4(),
    "ipv4": lambda c, n: c.faker().ipv4_public(),
    "ipv6": lambda c, n: c.faker().ipv6(),
    "hostname": lambda c, n: c.faker().domain_name(),
    "idn-hostname": lambda c, n: c.faker().domain_name(),
    "duration": lambda c, n: f"PT{c.rng.randint(1, 90)}M",
    "json-pointer": lambda c, n: "/" + "/".join(c.faker("en_US").words(2)),
    "regex": lambda c, n: "^[a-z]+$",
}


@dataclass(frozen=True, slots=True)
class StringSpec:
    """Everything known about one string field."""

    name: str = ""
    doc: str = ""
    owner: str = ""
    format: str | None = None
    patterns: tuple[str, ...] = ()
    min_length: int = 0
    max_length: int | None = None


def make_string(ctx: Context, spec: StringSpec) -> str:
    """A string satisfying ``spec``; realistic when the name suggests what it holds.

    When no candidate satisfies every pattern (a pattern Python cannot parse, or a pattern contradicting
    the length limits), the last fallback returns plain words that may not match.
    """
    compiled = [re.compile(p) for p in spec.patterns if _compiles(p)]

    def accept(s: str) -> bool:
        return (
            spec.min_length <= len(s)
            and (spec.max_length is None or len(s) <= spec.max_length)
            and format_ok(spec.format, s)
            and all(c.search(s) for c in compiled)
        )

    candidate = realistic_string(ctx, spec.name, spec.doc, spec.owner)
    if candidate is not None:
        if accept(candidate):
            return candidate
        if spec.max_length is not None and accept(cut := candidate[: spec.max_length].rstrip()):
            return cut  # free text or a long address, shortened to fit
    if spec.patterns:
        found = matching_string(list(spec.patterns), ctx.rng, accept=accept)
        if found is not None:
            return found
    maker = _FORMAT_MAKERS.get(spec.format or "")
    if maker is not None:
        for _ in range(5):
            if accept(made := maker(ctx, spec.name)):
                return made
    for _ in range(5):
        if accept(filler := _filler(ctx, spec.min_length, spec.max_length)):
            return filler
    return filler


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _filler(ctx: Context, lo: int, hi: int | None) -> str:
    """Lower-case words cut to a length between ``lo`` and ``hi``."""
    top = hi if hi is not None else max(lo, 6) + 14
    length = ctx.rng.randint(min(max(lo, 4), top), max(min(max(lo, 4), top), min(top, max(lo, 4) + 14)))
    words: list[str] = []
    while len(" ".join(words)) < length:
        words.append(ctx.faker("en_US").word())
    text = " ".join(words)[:length]
    return text[:-1] + "x" if text.endswith(" ") else text


@dataclass(frozen=True, slots=True)
class NumberSpec:
    """Everything known about one numeric field (bounds as JSON Schema spells them)."""

    name: str = ""
    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None


def _bounds(spec: NumberSpec) -> tuple[float | None, bool, float | None, bool]:
    lo, lo_x, hi, hi_x = spec.minimum, False, spec.maximum, False
    if spec.exclusive_minimum is not None and (lo is None or spec.exclusive_minimum >= lo):
        lo, lo_x = spec.exclusive_minimum, True
    if spec.exclusive_maximum is not None and (hi is None or spec.exclusive_maximum <= hi):
        hi, hi_x = spec.exclusive_maximum, True
    return lo, lo_x, hi, hi_x


def _is_multiple(v: float, m: float) -> bool:
    """jsonschema's own test: float division must give a whole number."""
    if isinstance(m, float):
        try:
            q = v / m
            return int(q) == q
        except OverflowError:
            return (Fraction(v) / Fraction(m)).denominator == 1
    return v % m == 0


def make_number(ctx: Context, spec: NumberSpec) -> int | float:
    """A number within ``spec``'s bounds, in the usual range of a field with that name when possible."""
    lo, lo_x, hi, hi_x = _bounds(spec)
    v: int | float | None  # the candidate drawn last

    def ok(v: float) -> bool:
        return (
            (lo is None or (v > lo if lo_x else v >= lo))
            and (hi is None or (v < hi if hi_x else v <= hi))
            and (spec.multiple_of is None or _is_multiple(v, spec.multiple_of))
        )

    if spec.integer and time_kind(spec.name) == "timestamp":
        ms = instant_ms(ctx, spec.name)
        n = normalise_name(spec.name)
        unit = 1000 if n.endswith(("_us", "micros", "_usec")) else 1 if n.endswith(("_s", "_sec", "seconds")) else 0
        for v in (ms * 1000, ms // 1000) if unit == 1000 else (ms // 1000,) if unit == 1 else (ms, ms // 1000):
            if ok(v):
                return v
    hint = numeric_hint(spec.name)
    h_lo, h_hi, decimals = hint if hint else ((0, 1000, 0) if spec.integer else (0.0, 1000.0, 2))
    a: float = h_lo if lo is None else max(h_lo, lo)
    b: float = h_hi if hi is None else min(h_hi, hi)
    if a > b:  # the name's usual range misses the declared bounds (so one is set): keep the bounds
        span = (h_hi - h_lo) or 1
        if lo is not None and hi is not None:
            a, b = lo, hi
        elif lo is not None:
            a, b = lo, lo + span
        elif hi is not None:
            a, b = hi - span, hi
    for attempt in range(40):
        if attempt == 20 and lo is not None and hi is not None:
            a, b = lo, hi  # stubborn constraints: search the whole declared range
        v = _draw(ctx, a, b, spec.integer, decimals if attempt < 30 else None, spec.multiple_of)
        if v is not None and ok(v):
            return v
    for v in _fallbacks(lo, hi, spec):
        if ok(v):
            return v
    return v if v is not None else a  # contradictory bounds: nothing fits


def _draw(ctx: Context, a: float, b: float, integer: bool, decimals: int | None, m: float | None) -> int | float | None:
    rng = ctx.rng
    if m is not None:
        k_lo, k_hi = math.ceil(a / m), math.floor(b / m)
        if k_lo > k_hi:
            return None
        v = rng.randint(k_lo, k_hi) * m
        if integer or float(m).is_integer():
            return round(v) if integer else float(round(v))
        return round(v, max(0, -int(Decimal(repr(m)).normalize().as_tuple().exponent)))
    if integer:
        lo_i, hi_i = math.ceil(a), math.floor(b)
        return rng.randint(lo_i, hi_i) if lo_i <= hi_i else None
    v = rng.uniform(a, b)
    return round(v, decimals) if decimals is not None else v


def _fallbacks(lo: float | None, hi: float | None, spec: NumberSpec) -> list[int | float]:
    out: list[float] = []
    if lo is not None and hi is not None:
        out.append((lo + hi) / 2)
    if lo is not None:
        out += [math.floor(lo) + 1, lo]
    if hi is not None:
        out += [math.ceil(hi) - 1, hi]
    if spec.multiple_of is not None:
        out += [k * spec.multiple_of for k in (0, 1, -1)]
    out.append(0)
    return [int(v) if spec.integer and float(v).is_integer() else v for v in out]


_MOSTLY_TRUE = re.compile(r"(^|_)(active|enabled|available|verified|valid|visible|in_stock|success|ok)$")
_MOSTLY_FALSE = re.compile(r"(^|_)(deleted|disabled|blocked|suspended|fraud|test|archived|cancelled|failed)$")


def make_bool(ctx: Context, name: str = "") -> bool:
    """A boolean; flags like ``active`` are mostly true and ``deleted`` mostly false."""
    n = normalise_name(name)
    p = 0.85 if _MOSTLY_TRUE.search(n) else 0.1 if _MOSTLY_FALSE.search(n) else 0.5
    return ctx.chance(p)


def make_bytes(ctx: Context, size: int | None = None) -> bytes:
    """Random bytes: exactly ``size`` of them, or 4 to 16."""
    return ctx.rng.randbytes(size if size is not None else ctx.rng.randint(4, 16))


def tighter(a: float | None, b: float | None, pick: Callable[[float, float], float]) -> float | None:
    """Combine two optional bounds with ``max`` (lower bounds) or ``min`` (upper bounds)."""
    return b if a is None else a if b is None else pick(a, b)


def item_count(ctx: Context, lo: int = 0, hi: int | None = None) -> int:
    """How many items an array or map gets: 1 to 4, within ``lo`` and ``hi``."""
    low = max(lo, 1) if hi is None or hi >= 1 else 0
    top = max(4 if hi is None else min(hi, 4), low)
    n = ctx.rng.randint(low, top)
    return n if hi is None else min(n, hi)


def string_spec(rule: FieldRule | None, *, name: str, doc: str, owner: str) -> StringSpec:
    """The spec of a string field whose only constraints come from a contract rule (Avro, Protobuf)."""
    if rule is None:
        return StringSpec(name=name, doc=doc, owner=owner)
    lo, hi = rule.lengths(0, None)
    return StringSpec(
        name=name, doc=doc, owner=owner, patterns=(rule.pattern,) if rule.pattern else (), min_length=lo, max_length=hi
    )
