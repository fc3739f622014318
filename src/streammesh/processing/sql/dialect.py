"""The streaming-SQL dialect: split a script into statements and peel off the ksqlDB-only clauses.

Why a pre-tokenising step rather than a sqlglot dialect subclass: the streaming clauses (``CREATE STREAM|
TABLE … AS``, ``WITH (…)``, ``WINDOW TUMBLING (…)``, ``GRACE PERIOD``, ``EMIT``, ``WITHIN``, ``PARTITION BY``)
are few, keyword-led and never nest inside expressions, whereas teaching sqlglot's parser about them means
overriding private ``_parse_*`` hooks that change between sqlglot releases (``WINDOW`` and ``PARTITION BY``
already mean other things to it). So we run **sqlglot's own tokenizer** over the text (it knows strings,
quoted identifiers and comments), find each streaming clause at parenthesis depth 0, parse it here with a
tiny cursor, and replace its characters with spaces (newlines kept). What remains is a standard ``SELECT``
for :func:`sqlglot.parse_one`, and because blanking never moves a character, every position sqlglot
reports — and every node's ``meta`` offset — is already a position in the user's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, Tokenizer, TokenType

from streammesh.processing.sql.errors import Span, SqlError

__all__ = [
    "PROPERTIES",
    "Duration",
    "ParsedStatement",
    "Property",
    "WindowClause",
    "WithinClause",
    "split_statements",
    "token_span",
    "tokenize",
]

#: ``WITH (…)`` properties a CREATE statement accepts, and what each means.
PROPERTIES = {"TIMESTAMP": "the input field holding event time ('field' for the FROM source, 'alias.field' otherwise)"}

_UNITS = {
    "MILLISECOND": 1,
    "MS": 1,
    "SECOND": 1000,
    "MINUTE": 60_000,
    "HOUR": 3_600_000,
    "DAY": 86_400_000,
    "WEEK": 604_800_000,
}
_CLAUSE_STOP = {
    TokenType.WHERE,
    TokenType.GROUP_BY,
    TokenType.HAVING,
    TokenType.ORDER_BY,
    TokenType.LIMIT,
    TokenType.WINDOW,
    TokenType.SEMICOLON,
}
_CLAUSE_WORDS = {"EMIT", "GRACE"}
_HINT_DOCS = "see docs/sql.md for the statement forms"


@dataclass(frozen=True, slots=True)
class Duration:
    """A duration written as ``n unit`` (``1 HOUR``, ``30 SECONDS``), in milliseconds."""

    ms: int
    span: Span


@dataclass(frozen=True, slots=True)
class WindowClause:
    """``WINDOW TUMBLING|HOPPING|SESSION (…)`` as written; ``grace`` may come from ``GRACE PERIOD`` after it."""

    kind: Literal["tumbling", "hopping", "session"]
    span: Span
    size: Duration | None = None
    advance: Duration | None = None
    gap: Duration | None = None
    grace: Duration | None = None


@dataclass(frozen=True, slots=True)
class WithinClause:
    """``WITHIN n unit`` or ``WITHIN (before, after)`` of the ``join_index``-th JOIN (0-based)."""

    before: Duration
    after: Duration
    join_index: int
    span: Span


@dataclass(frozen=True, slots=True)
class Property:
    """One ``KEY = 'value'`` of a ``WITH (…)`` clause (key upper-cased)."""

    key: str
    value: str
    span: Span


@dataclass(frozen=True)
class ParsedStatement:
    """One statement with its streaming clauses parsed and its standard-SQL core parsed by sqlglot."""

    sql: str
    kind: Literal["stream", "table", "select"]
    select: exp.Expression
    span: Span
    name: str | None = None
    name_span: Span | None = None
    or_replace: bool = False
    properties: tuple[Property, ...] = ()
    window: WindowClause | None = None
    grace: Duration | None = None
    emit: Literal["changes", "final"] | None = None
    emit_span: Span | None = None
    withins: tuple[WithinClause, ...] = ()
    partition_by: tuple[exp.Expression, ...] = ()
    partition_span: Span | None = None
    tokens: tuple[Token, ...] = field(default=(), repr=False)


def token_span(tok: Token) -> Span:
    return Span(tok.start, tok.end + 1)


def _unterminated(text: str) -> int:
    """Offset of the quote that opens an unterminated string or identifier (the tokenizer does not say)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                return i
            i = j + 2
        elif c in "'\"`":
            j = i + 1
            while j < n and not (text[j] == c and not text.startswith(c * 2, j)):
                j += 2 if text.startswith(c * 2, j) else 1
            if j >= n:
                return i
            i = j + 1
        else:
            i += 1
    return max(0, n - 1)


def tokenize(text: str) -> list[Token]:
    """sqlglot tokens of ``text``.

    Raises:
        SqlError: an unterminated string, identifier or comment, located at its opening quote.
    """
    try:
        return Tokenizer().tokenize(text)
    except TokenError:
        at = _unterminated(text)
        raise SqlError(
            "unterminated quoted text",
            sql=text,
            span=Span(at, at + 1),
            hint="close the quote: strings use single quotes ('toys'), names double quotes",
        ) from None


def split_statements(text: str) -> list[Span]:
    """Character ranges of the statements of a script, split at top-level semicolons (empty ones dropped)."""
    spans, start, depth = [], 0, 0
    for tok in tokenize(text):
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth = max(0, depth - 1)
        elif tok.token_type == TokenType.SEMICOLON and depth == 0:
            spans.append(Span(start, tok.start))
            start = tok.end + 1
    spans.append(Span(start, len(text)))
    return [s for s in spans if text[s.start : s.end].strip() and _has_tokens(text[s.start : s.end])]


def _has_tokens(text: str) -> bool:
    return bool(tokenize(text))


class _Cursor:
    """Walks a token list while parsing one streaming clause; every failure is a located SqlError."""

    def __init__(self, sql: str, tokens: list[Token], i: int, end: int) -> None:
        self.sql, self.tokens, self.i, self.end = sql, tokens, i, end

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < self.end else None

    def at(self, ttype: TokenType, ahead: int = 0) -> bool:
        """Whether the token ``ahead`` is of type ``ttype`` (False at the end)."""
        tok = self.peek(ahead)
        return tok is not None and tok.token_type == ttype

    def word(self, ahead: int = 0) -> str:
        tok = self.peek(ahead)
        return tok.text.upper() if tok is not None and tok.token_type != TokenType.STRING else ""

    def fail(self, message: str, hint: str) -> SqlError:
        tok = self.peek()
        if tok is None:
            last = self.tokens[self.end - 1] if self.end else None
            at = last.end + 1 if last else 0
            return SqlError(message + " (the statement ends here)", sql=self.sql, span=Span(at, at + 1), hint=hint)
        return SqlError(message + f", got {tok.text!r}", sql=self.sql, span=token_span(tok), hint=hint)

    def take(self, *words: str, hint: str) -> Token:
        if self.word() not in words:
            raise self.fail(f"expected {' or '.join(words)}", hint)
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def take_type(self, ttype: TokenType, what: str, hint: str) -> Token:
        tok = self.peek()
        if tok is None or tok.token_type != ttype:
            raise self.fail(f"expected {what}", hint)
        self.i += 1
        return tok

    def duration(self, hint: str, *, zero: bool = False) -> Duration:
        num = self.take_type(TokenType.NUMBER, "a number (as in 1 HOUR)", hint)
        unit_tok = self.peek()
        unit = self.word().removesuffix("S") if self.word() != "MS" else "MS"
        if unit not in _UNITS:
            raise self.fail("expected a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS or WEEKS)", hint)
        self.i += 1
        assert unit_tok is not None
        if not re.fullmatch(r"\d+", num.text) or int(num.text) < (0 if zero else 1):
            raise SqlError(
                f"a duration needs a {'whole' if zero else 'positive whole'} number, got {num.text!r}",
                sql=self.sql,
                span=token_span(num),
                hint=hint,
            )
        return Duration(int(num.text) * _UNITS[unit], Span(num.start, unit_tok.end + 1))
