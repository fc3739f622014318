"""Errors of the streaming-SQL front end, located by line and column in the statement text.

Every problem the parser or the analyser finds is a :class:`SqlError`: the CLI, the REST API and the web
editor show its ``line``/``column`` and ``hint``, so each message names the problem and the value seen, and
each hint says what to write instead. Positions are 1-based and count characters, as editors do.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Self

from sqlglot import exp

from streammesh.exceptions import ValidationError

__all__ = ["Span", "SqlError", "close_names", "did_you_mean", "line_col"]


class Span(tuple[int, int]):
    """A ``(start, end)`` character range of the statement text, ``end`` exclusive."""

    __slots__ = ()

    def __new__(cls, start: int, end: int) -> Self:
        return super().__new__(cls, (start, max(end, start)))

    @property
    def start(self) -> int:
        return self[0]

    @property
    def end(self) -> int:
        return self[1]


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of character ``offset`` in ``text`` (clamped to the text)."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def span_of(node: exp.Expr) -> Span | None:
    """The text range a node covers, from the offsets sqlglot stores on its tokens' nodes."""
    starts, ends = [], []
    for n in node.walk():
        meta = n.meta
        if "start" in meta:
            starts.append(meta["start"])
            ends.append(meta.get("end", meta["start"]) + 1)
    return Span(min(starts), max(ends)) if starts else None


class SqlError(ValidationError):
    """A SQL statement cannot be compiled: the message says what is wrong where, the hint how to fix it.

    Attributes:
        line: 1-based line of the offending text (``None`` when the problem has no position).
        column: 1-based column of its first character.
        length: how many characters the problem spans (at least 1), for underlining.
        sql: the statement text the position refers to.

    Example:
        >>> err = SqlError("unknown column 'totl'", sql="SELECT totl FROM t", span=Span(7, 11), hint="did you mean 'total'?")
        >>> (err.line, err.column, err.length)
        (1, 8, 4)
    """

    def __init__(
        self, message: str, *, sql: str = "", span: Span | tuple[int, int] | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.sql = sql
        if span is None:
            self.line: int | None = None
            self.column: int | None = None
            self.length = 0
            self.offset: int | None = None
        else:
            start, end = span
            self.offset = start
            self.line, self.column = line_col(sql, start)
            self.length = max(1, end - start)

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        out = [f"{where}{self.message}"]
        if self.line is not None and self.sql:
            lines = self.sql.splitlines()
            source_line = lines[self.line - 1] if self.line <= len(lines) else ""
            width = max(1, min(self.length, len(source_line) - (self.column or 1) + 1))
            out.append(f"  {source_line}")
            out.append("  " + " " * ((self.column or 1) - 1) + "^" * width)
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)


def close_names(name: str, candidates: Iterable[str], *, n: int = 3) -> list[str]:
    """Up to ``n`` candidates that look like ``name`` (case-insensitive), best first."""
    by_lower: dict[str, str] = {}
    for c in candidates:
        by_lower.setdefault(c.lower(), c)
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.6)
    return [by_lower[m] for m in matches]


def did_you_mean(name: str, candidates: Iterable[str], *, listing: str) -> str:
    """A hint: the close names of ``name`` if any (``did you mean 'total'?``), else the full listing."""
    pool = list(candidates)
    close = close_names(name, pool)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f"{listing}: {', '.join(pool)}" if pool else f"{listing}: none"
