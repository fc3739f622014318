"""Parse one streaming-SQL statement into a :class:`~streammesh.processing.sql.dialect.ParsedStatement`.

The statement header (``CREATE STREAM|TABLE name [WITH (…)] AS``) and the streaming clauses are read from
sqlglot tokens and blanked out (see :mod:`streammesh.processing.sql.dialect` for why); the standard ``SELECT``
left over is parsed by :func:`sqlglot.parse_one`. Nothing here knows about products or types: that is the
analyser's job, so syntax errors and meaning errors stay separate and both carry positions.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Literal, TypedDict

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import Token, TokenType

from streammesh.processing.sql.dialect import (
    _CLAUSE_STOP,
    _CLAUSE_WORDS,
    _HINT_DOCS,
    PROPERTIES,
    Duration,
    ParsedStatement,
    Property,
    WindowClause,
    WithinClause,
    _Cursor,
    token_span,
    tokenize,
)
from streammesh.processing.sql.errors import Span, SqlError

__all__ = ["parse_statement"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WINDOW_HINT = (
    "write WINDOW TUMBLING (SIZE 1 HOUR), WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 10 MINUTES) "
    "or WINDOW SESSION (30 MINUTES)"
)
_STATEMENTS = "a statement starts with CREATE STREAM name AS SELECT …, CREATE TABLE name AS SELECT … or SELECT …"


def _blank(text: str, ranges: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in ranges:
        for i in range(max(0, start), min(end, len(chars))):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _offset(text: str, line: int, col: int) -> int:
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    return starts[min(max(line, 1), len(starts)) - 1] + max(col, 1) - 1


def _clean(description: str) -> str:
    description = re.sub(r"<Token token_type: [^,]+, text: ([^,]*), line[^>]*>", r"'\1'", description)
    description = description.replace("'SENTINEL'", "the end of the statement")
    missing = re.match(r"Required keyword: '\w+' missing for <class '[\w.]+\.(\w+)'>", description)
    if missing:
        what = {"Paren": "parenthesised expression", "If": "CASE WHEN … THEN … branch"}.get(
            missing.group(1), f"{missing.group(1).upper()} expression"
        )
        return f"incomplete {what}"
    if description.startswith("Invalid expression / Unexpected token"):
        return "unexpected text"
    return description[:1].lower() + description[1:]


def _parse_sql(sql: str, text: str) -> exp.Expression:
    """sqlglot's parse of ``text`` (same layout as ``sql``), with its errors located in ``sql``."""
    try:
        tree = sqlglot.parse_one(text)
    except ParseError as e:
        err = e.errors[0] if e.errors else {}
        highlight = str(err.get("highlight") or "")
        if err.get("line") is None:
            raise SqlError(f"syntax error: {_clean(str(e))}", sql=sql, hint=_HINT_DOCS) from None
        end = _offset(sql, int(err["line"]), int(err["col"]))
        start = max(0, end - len(highlight) + 1)
        message = _clean(str(err.get("description", "")))
        near = f" near {highlight!r}" if highlight and message == "unexpected text" else ""
        raise SqlError(
            f"syntax error: {message}{near}",
            sql=sql,
            span=Span(start, end + 1),
            hint="check the expression just before this point; " + _HINT_DOCS,
        ) from None
    if tree is None:
        raise SqlError("empty statement", sql=sql, hint=_STATEMENTS)
    assert isinstance(tree, exp.Expression)  # typed as the Expr base; every concrete node class is an Expression
    return tree


def _depths(tokens: list[Token]) -> list[int]:
    out, depth = [], 0
    for tok in tokens:
        if tok.token_type == TokenType.R_PAREN:
            depth = max(0, depth - 1)
        out.append(depth)
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
    return out


def _check_commas(sql: str, tokens: list[Token]) -> None:
    """sqlglot forgives ``a,, b`` and ``a, FROM``; a contract-producing query should not."""
    for prev, tok in pairwise(tokens):
        if prev.token_type == TokenType.COMMA and tok.token_type in (
            TokenType.COMMA,
            TokenType.FROM,
            TokenType.R_PAREN,
        ):
            raise SqlError(
                f"syntax error: unexpected ',' before {tok.text!r}",
                sql=sql,
                span=token_span(prev),
                hint="remove the extra comma or add the missing item",
            )


def _name_like(tok: Token | None) -> bool:
    if tok is None:
        return False
    if tok.token_type == TokenType.IDENTIFIER:
        return True
    return bool(_NAME.fullmatch(tok.text)) and tok.text.upper() not in {"AS", "WITH", "SELECT"}


class _Header(TypedDict, total=False):
    """What ``CREATE [OR REPLACE] STREAM|TABLE name [WITH (…)] AS`` said (``kind`` only, for a SELECT)."""

    kind: Literal["stream", "table", "select"]
    name: str
    name_span: Span
    or_replace: bool
    properties: tuple[Property, ...]


class _Clauses(TypedDict, total=False):
    """The streaming clauses found after the header."""

    window: WindowClause
    grace: Duration
    emit: Literal["changes", "final"]
    emit_span: Span
    partition_by: tuple[exp.Expression, ...]
    partition_span: Span


def _header(sql: str, toks: list[Token]) -> tuple[_Header, int]:
    """Read ``CREATE [OR REPLACE] STREAM|TABLE name [WITH (…)] AS``; return its parts and the SELECT index."""
    first = toks[0].text.upper()
    if first == "SELECT":
        return {"kind": "select"}, 0
    if first == "WITH":
        raise SqlError(
            "common table expressions (WITH … AS) are not supported",
            sql=sql,
            span=token_span(toks[0]),
            hint="create the intermediate result as its own STREAM or TABLE and select from it",
        )
    if first != "CREATE":
        raise SqlError(
            f"{toks[0].text!r} statements are not supported", sql=sql, span=token_span(toks[0]), hint=_STATEMENTS
        )
    c = _Cursor(sql, toks, 1, len(toks))
    out: _Header = {"or_replace": False}
    if c.word() == "OR":
        c.take("OR", hint="write CREATE OR REPLACE STREAM …")
        c.take("REPLACE", hint="write CREATE OR REPLACE STREAM …")
        out["or_replace"] = True
    out["kind"] = "stream" if c.take("STREAM", "TABLE", hint=_STATEMENTS).text.upper() == "STREAM" else "table"
    parts: list[Token] = []
    while _name_like(c.peek()):
        parts.append(c.tokens[c.i])
        c.i += 1
        if c.at(TokenType.DOT):
            c.i += 1
        else:
            break
    if not parts:
        raise c.fail(
            "expected the new product's name", "write e.g. CREATE STREAM analytics.orders_enriched AS SELECT …"
        )
    out["name"] = ".".join(p.text for p in parts)
    out["name_span"] = Span(parts[0].start, parts[-1].end + 1)
    if c.at(TokenType.L_PAREN):
        raise c.fail(
            "column definitions are not supported",
            "source products are published from contracts; derived ones are CREATE STREAM|TABLE name AS SELECT …",
        )
    if c.word() == "WITH":
        c.i += 1
        out["properties"] = _properties(c)
    c.take("AS", hint="write CREATE STREAM name AS SELECT … (the query follows AS)")
    if c.word() != "SELECT":
        raise c.fail("expected SELECT after AS", "only CREATE … AS SELECT is supported")
    return out, c.i


def _properties(c: _Cursor) -> tuple[Property, ...]:
    hint = "write WITH (TIMESTAMP = 'field') before AS"
    c.take_type(TokenType.L_PAREN, "'(' after WITH", hint)
    props: list[Property] = []
    while True:
        key_tok = c.peek()
        if not _name_like(key_tok):
            raise c.fail("expected a property name", hint)
        assert key_tok is not None
        c.i += 1
        key = key_tok.text.upper()
        if key not in PROPERTIES:
            raise SqlError(
                f"unknown property {key_tok.text!r}",
                sql=c.sql,
                span=token_span(key_tok),
                hint="supported: " + "; ".join(f"{k}: {v}" for k, v in PROPERTIES.items()),
            )
        c.take_type(TokenType.EQ, "'='", hint)
        val = c.peek()
        if val is None or val.token_type not in (TokenType.STRING, TokenType.NUMBER, TokenType.VAR):
            raise c.fail("expected a value in quotes", hint)
        c.i += 1
        props.append(Property(key, val.text, Span(key_tok.start, val.end + 1)))
        if c.at(TokenType.COMMA):
            c.i += 1
            continue
        c.take_type(TokenType.R_PAREN, "')' or ','", hint)
        return tuple(props)


_WINDOW_KINDS: dict[str, Literal["tumbling", "hopping", "session"]] = {
    "TUMBLING": "tumbling",
    "HOPPING": "hopping",
    "SESSION": "session",
}


def _window(c: _Cursor, start: Token) -> WindowClause:
    kind = _WINDOW_KINDS[c.take("TUMBLING", "HOPPING", "SESSION", hint=_WINDOW_HINT).text.upper()]
    c.take_type(TokenType.L_PAREN, "'('", _WINDOW_HINT)
    got: dict[str, Duration] = {}
    while True:
        w = c.word()
        tok = c.peek()
        if w == "SIZE":
            c.i += 1
            got["size"] = c.duration(_WINDOW_HINT)
        elif w == "ADVANCE":
            c.i += 1
            c.take("BY", hint=_WINDOW_HINT)
            got["advance"] = c.duration(_WINDOW_HINT)
        elif w == "GRACE":
            c.i += 1
            c.take("PERIOD", hint="write GRACE PERIOD 10 MINUTES")
            got["grace"] = c.duration("write GRACE PERIOD 10 MINUTES", zero=True)
        elif tok is not None and tok.token_type == TokenType.NUMBER:
            got["gap"] = c.duration(_WINDOW_HINT)
        else:
            raise c.fail("expected SIZE, ADVANCE BY, GRACE PERIOD or a duration", _WINDOW_HINT)
        if c.at(TokenType.COMMA):
            c.i += 1
            continue
        end = c.take_type(TokenType.R_PAREN, "')' or ','", _WINDOW_HINT)
        break
    span = Span(start.start, end.end + 1)
    need = {"tumbling": {"size"}, "hopping": {"size", "advance"}, "session": {"gap"}}[kind]
    allowed = need | {"grace"}
    missing, extra = need - set(got), set(got) - allowed
    if missing or extra:
        what = f"needs {', '.join(sorted(missing))}" if missing else f"does not take {', '.join(sorted(extra))}"
        raise SqlError(f"a {kind.upper()} window {what}", sql=c.sql, span=span, hint=_WINDOW_HINT)
    if kind == "hopping" and got["advance"].ms > got["size"].ms:
        raise SqlError(
            "a HOPPING window's ADVANCE BY cannot be larger than its SIZE",
            sql=c.sql,
            span=got["advance"].span,
            hint="use a TUMBLING window, or advance by at most the size",
        )
    return WindowClause(kind, span, got.get("size"), got.get("advance"), got.get("gap"), got.get("grace"))


def _expressions(sql: str, toks: list[Token], depth: list[int], lo: int, hi: int) -> tuple[exp.Expression, ...]:
    """Parse the comma-separated expressions in tokens ``lo:hi`` in place (positions kept)."""
    pieces, start = [], lo
    for k in range(lo, hi + 1):
        if k == hi or (toks[k].token_type == TokenType.COMMA and depth[k] == 0):
            if k == start:
                raise SqlError(
                    "expected an expression",
                    sql=sql,
                    span=token_span(toks[min(k, hi - 1)]),
                    hint="write PARTITION BY o.customer_id",
                )
            pieces.append((toks[start].start, toks[k - 1].end + 1))
            start = k + 1
    out = []
    for a, b in pieces:
        text = _blank(sql, [(0, a), (b, len(sql))])
        out.append(_parse_sql(sql, text))
    return tuple(out)


def parse_statement(sql: str, span: Span | None = None) -> ParsedStatement:
    """Parse the statement at ``span`` of ``sql`` (the whole text by default).

    Raises:
        SqlError: a syntax error, located in ``sql``, with a suggested fix.
    """
    span = span or Span(0, len(sql))
    toks = [t for t in tokenize(sql) if t.start >= span.start and t.end < span.end]
    if not toks:
        raise SqlError("empty statement", sql=sql, hint=_STATEMENTS)
    _check_commas(sql, toks)
    depth = _depths(toks)
    header, body = _header(sql, toks)
    blank: list[tuple[int, int]] = [(0, span.start), (span.end, len(sql)), (toks[0].start, toks[body].start)]
    parts: _Clauses = {}
    withins: list[WithinClause] = []
    seen: set[str] = set()
    joins, j, n = 0, body, len(toks)
    while j < n:
        tok, k = toks[j], j + 1
        word = tok.text.upper() if tok.token_type != TokenType.STRING else ""
        nxt = toks[j + 1] if j + 1 < n else None
        nxt_word = nxt.text.upper() if nxt is not None and nxt.token_type != TokenType.STRING else ""
        dotted = (j > 0 and toks[j - 1].token_type == TokenType.DOT) or (
            nxt is not None and nxt.token_type == TokenType.DOT
        )
        clause: str | None = None
        if depth[j] != 0 or dotted:
            pass
        elif tok.token_type == TokenType.JOIN:
            joins += 1
        elif tok.token_type == TokenType.WINDOW:
            c = _Cursor(sql, toks, j + 1, n)
            parts["window"], k, clause = _window(c, tok), c.i, "WINDOW"
        elif word == "GRACE" and nxt_word == "PERIOD":
            c = _Cursor(sql, toks, j + 2, n)
            parts["grace"], k, clause = c.duration("write GRACE PERIOD 10 MINUTES", zero=True), c.i, "GRACE PERIOD"
        elif word == "EMIT" and nxt is not None and nxt_word in ("CHANGES", "FINAL"):
            parts["emit"] = "changes" if nxt_word == "CHANGES" else "final"
            parts["emit_span"], k, clause = Span(tok.start, nxt.end + 1), j + 2, "EMIT"
        elif word == "EMIT" and (nxt is None or nxt.token_type == TokenType.SEMICOLON):
            raise SqlError(
                "EMIT needs CHANGES or FINAL",
                sql=sql,
                span=token_span(tok),
                hint="write EMIT CHANGES (every update) or EMIT FINAL (once per window)",
            )
        elif word == "WITHIN" and (nxt is None or nxt.token_type == TokenType.SEMICOLON):
            raise SqlError(
                "WITHIN needs a duration",
                sql=sql,
                span=token_span(tok),
                hint="write JOIN other_stream alias WITHIN 1 HOUR ON …",
            )
        elif word == "WITHIN" and nxt is not None and nxt.token_type in (TokenType.NUMBER, TokenType.L_PAREN):
            withins.append(_within(sql, toks, j, joins))
            k = j + 1
            while k < n and toks[k].end < withins[-1].span.end:
                k += 1
        elif tok.token_type == TokenType.PARTITION_BY:
            k = j + 1
            while k < n and not (
                depth[k] == 0
                and (
                    toks[k].token_type in _CLAUSE_STOP
                    or (toks[k].text.upper() in _CLAUSE_WORDS and toks[k].token_type != TokenType.STRING)
                )
            ):
                k += 1
            if k == j + 1:
                raise SqlError(
                    "PARTITION BY needs at least one expression",
                    sql=sql,
                    span=token_span(tok),
                    hint="write PARTITION BY o.customer_id",
                )
            parts["partition_by"] = _expressions(sql, toks, depth, j + 1, k)
            parts["partition_span"], clause = Span(tok.start, toks[k - 1].end + 1), "PARTITION BY"
        elif tok.token_type == TokenType.SEMICOLON:
            blank.append((tok.start, tok.end + 1))
        if clause is not None:
            if clause in seen:
                raise SqlError(
                    f"{clause} appears twice", sql=sql, span=token_span(tok), hint=f"keep one {clause} clause"
                )
            seen.add(clause)
            blank.append((tok.start, toks[k - 1].end + 1))
        j = k
    for w in withins:
        blank.append(w.span)
    select = _parse_sql(sql, _blank(sql, blank))
    return ParsedStatement(
        sql=sql,
        kind=header["kind"],
        select=select,
        span=span,
        name=header.get("name"),
        name_span=header.get("name_span"),
        or_replace=bool(header.get("or_replace")),
        properties=header.get("properties", ()),
        window=parts.get("window"),
        grace=parts.get("grace"),
        emit=parts.get("emit"),
        emit_span=parts.get("emit_span"),
        withins=tuple(withins),
        partition_by=parts.get("partition_by", ()),
        partition_span=parts.get("partition_span"),
        tokens=tuple(toks),
    )


def _within(sql: str, toks: list[Token], j: int, joins: int) -> WithinClause:
    hint = "write … JOIN other_stream alias WITHIN 1 HOUR ON … (or WITHIN (10 MINUTES, 1 HOUR) for before, after)"
    if joins == 0:
        raise SqlError("WITHIN belongs to a JOIN", sql=sql, span=token_span(toks[j]), hint=hint)
    c = _Cursor(sql, toks, j + 1, len(toks))
    if c.at(TokenType.L_PAREN):
        c.i += 1
        before = c.duration(hint, zero=True)
        c.take_type(TokenType.COMMA, "',' between the before and after durations", hint)
        after = c.duration(hint, zero=True)
        end = c.take_type(TokenType.R_PAREN, "')'", hint).end + 1
    else:
        before = after = c.duration(hint)
        end = after.span.end
    return WithinClause(before, after, joins - 1, Span(toks[j].start, end))
