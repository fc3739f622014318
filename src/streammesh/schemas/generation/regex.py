"""Strings that match a regular expression, for ``pattern`` keywords and pattern rules.

The pattern is parsed with Python's own regex parser (``re._parser``) and a string is built by walking
the parse tree: literals, character classes and categories (``\\d \\w \\s``), ``.``, groups and
back-references, alternation and bounded or unbounded repeats (unbounded ones stop a few past their
minimum). Anchors and look-arounds are not generated; every candidate is checked with ``re.search``
(JSON Schema's semantics: a match anywhere) and retried, so look-arounds and anchors in the middle only
cost retries. Limits: patterns Python cannot compile (ECMA-262 ``\\p{L}`` classes) yield nothing, and a
negated class draws from printable ASCII only.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from random import Random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typeshed types the parser under its deprecated alias names only
    import sre_constants as sre_c
    import sre_parse as sre_p
else:  # Python 3.11+: the parser lives in re._parser; importing sre_parse warns
    from re import _constants as sre_c
    from re import _parser as sre_p

__all__ = ["matching_string", "string_from_pattern"]

_PRINTABLE = string.ascii_letters + string.digits + " -_.,:;/@#+"
_CATEGORIES: dict[Any, str] = {
    sre_c.CATEGORY_DIGIT: string.digits,
    sre_c.CATEGORY_NOT_DIGIT: string.ascii_letters + "-_ ",
    sre_c.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_c.CATEGORY_NOT_WORD: " -.,:;/@#+",
    sre_c.CATEGORY_SPACE: " ",
    sre_c.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits,
}


class _Builder:
    def __init__(self, rng: Random, max_repeat: int) -> None:
        self.rng = rng
        self.max_repeat = max_repeat
        self.groups: dict[int, str] = {}

    def seq(self, items: Any) -> str:
        return "".join(self.one(op, av) for op, av in items)

    def one(self, op: Any, av: Any) -> str:
        rng = self.rng
        if op is sre_c.LITERAL:
            return chr(av)
        if op is sre_c.NOT_LITERAL:
            return rng.choice([c for c in _PRINTABLE if ord(c) != av])
        if op is sre_c.ANY:
            return rng.choice(string.ascii_letters + string.digits)
        if op is sre_c.IN:
            return self.char_class(av)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            top = lo + self.max_repeat if hi >= sre_c.MAXREPEAT else min(hi, lo + max(self.max_repeat, 8))
            return "".join(self.seq(sub) for _ in range(rng.randint(lo, top)))
        if op is sre_c.SUBPATTERN:
            group, _, _, sub = av
            text = self.seq(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if op is getattr(sre_c, "ATOMIC_GROUP", None):
            return self.seq(av)
        if op is sre_c.BRANCH:
            return self.seq(rng.choice(av[1]))
        if op is sre_c.GROUPREF:
            return self.groups.get(av, "")
        if op is sre_c.CATEGORY:
            return rng.choice(_CATEGORIES.get(av, string.ascii_letters))
        # AT (anchors), ASSERT / ASSERT_NOT (look-arounds), GROUPREF_EXISTS: nothing to emit
        return ""

    def char_class(self, items: list[tuple[Any, Any]]) -> str:
        rng = self.rng
        if items and items[0][0] is sre_c.NEGATE:
            probe = re.compile("[^" + "".join(_class_source(op, av) for op, av in items[1:]) + "]")
            allowed = [c for c in _PRINTABLE if probe.fullmatch(c)]
            return rng.choice(allowed) if allowed else "~"
        pools: list[str] = []
        for op, av in items:
            if op is sre_c.LITERAL:
                pools.append(chr(av))
            elif op is sre_c.RANGE:
                lo, hi = av
                pools.append("".join(chr(c) for c in range(lo, min(hi, lo + 255) + 1)))
            elif op is sre_c.CATEGORY:
                pools.append(_CATEGORIES.get(av, string.ascii_letters))
        if not pools:
            return rng.choice(string.ascii_letters)
        pool = rng.choices(pools, [len(p) for p in pools])[0]  # weight by size: [A-Z0-9] is mostly letters
        return rng.choice(pool)


def _class_source(op: Any, av: Any) -> str:
    """Re-spell one character-class item, to test candidates against a negated class."""
    if op is sre_c.LITERAL:
        return re.escape(chr(av))
    if op is sre_c.RANGE:
        return f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}"
    if op is sre_c.CATEGORY:
        return {
            sre_c.CATEGORY_DIGIT: r"\d",
            sre_c.CATEGORY_NOT_DIGIT: r"\D",
            sre_c.CATEGORY_WORD: r"\w",
            sre_c.CATEGORY_NOT_WORD: r"\W",
            sre_c.CATEGORY_SPACE: r"\s",
            sre_c.CATEGORY_NOT_SPACE: r"\S",
        }.get(av, "")
    return ""


def string_from_pattern(pattern: str, rng: Random, *, max_repeat: int = 4) -> str | None:
    """One string built from ``pattern``'s parse tree (not yet checked), or None if it does not parse."""
    try:
        tree = sre_p.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    return _Builder(rng, max_repeat).seq(tree)


def matching_string(
    patterns: list[str],
    rng: Random,
    *,
    accept: Callable[[str], bool] | None = None,
    attempts: int = 30,
) -> str | None:
    """A string containing a match of every pattern (built from the first) and passing ``accept``.

    Returns None after ``attempts`` failed candidates, or when a pattern is not valid Python regex.
    """
    try:
        compiled = [re.compile(p) for p in patterns]
    except re.error:
        return None
    for i in range(attempts):
        # later attempts allow longer repeats, for patterns with a minimum length to reach
        candidate = string_from_pattern(patterns[0], rng, max_repeat=4 + i // 3)
        if candidate is None:
            return None
        if all(c.search(candidate) for c in compiled) and (accept is None or accept(candidate)):
            return candidate
    return None
