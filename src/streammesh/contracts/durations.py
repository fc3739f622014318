"""Human durations in contracts: ``500ms``, ``30s``, ``5m``, ``1h30m``, ``7d``, ``2w``, or ISO 8601 ``PT5M``."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Parse a duration; a bare number means seconds.

    Raises:
        ValueError: the text is not a duration; the message shows accepted forms.
    """
    if isinstance(text, timedelta):
        return text
    if isinstance(text, bool):
        raise ValueError("expected a duration such as '5m', '4h' or '7d', got a boolean")
    if isinstance(text, (int, float)):
        return timedelta(seconds=text)
    parsed = _parse_text(str(text))
    if parsed is None:
        raise ValueError(f"{text!r} is not a duration; write e.g. '500ms', '30s', '5m', '1h30m', '7d' or 'PT5M'")
    return parsed


@lru_cache(maxsize=1024)
def _parse_text(text: str) -> timedelta | None:
    # contracts repeat a handful of durations ('5m', '4h'), and every contract read from the catalog parses
    # its SLA's again: remembered (timedeltas are immutable)
    s = text.strip().lower().replace(" ", "")
    if s.upper().startswith("P"):
        m = _ISO.match(s.upper())
        if m and any(m.groups()):
            d, h, mi, sec = (float(g) if g else 0.0 for g in m.groups())
            return timedelta(days=d, hours=h, minutes=mi, seconds=sec)
    elif s and _PART.sub("", s) == "":
        return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in _PART.findall(s)))
    return None


def format_duration(value: timedelta) -> str:
    """The shortest human form of ``value`` (``90s`` becomes ``1m30s``)."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        n, total_ms = divmod(total_ms, size)
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)
