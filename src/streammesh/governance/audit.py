"""The audit log's chain: each entry carries the hash of the one before it, so an edited, deleted or
reordered entry is detected by :func:`verify`.

Every state change, access decision and read of classified data becomes an :class:`AuditEntry` naming the
authenticated actor, the action, the target, the interface it came through, the time and the outcome.
An entry's hash covers all of that plus the previous entry's hash (SHA-256 over canonical JSON), so
changing one entry breaks its own hash and removing or moving one breaks the link of the next. Deleting
the newest entries leaves a shorter chain that is still consistent; the store keeps the chain's head
(sequence and hash) apart from the entries so :func:`verify` can be given it and catch that too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

__all__ = ["GENESIS", "AuditEntry", "ChainBreak", "Outcome", "entry_hash", "next_entry", "verify"]

Outcome = Literal["allowed", "denied"]

#: the ``prev_hash`` of the first entry
GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited event.

    Attributes:
        seq: position in the chain, 1 for the first entry, no gaps.
        at: when it happened (UTC).
        actor: the principal's name (``ada@example.com``, ``svc-enricher``).
        action: what was attempted, ``<object>.<verb>``: ``product.publish``, ``access.approve``, ``data.read``.
        target: what it was attempted on: a product, a team, a subject, a token id.
        interface: where it came from: ``cli``, ``rest``, ``web``, ``sdk``, ``sql``, ``app``.
        outcome: ``allowed`` or ``denied``.
        details: anything else worth keeping (fields read, the reason of a denial); JSON values only.
        prev_hash: the previous entry's ``hash`` (:data:`GENESIS` for the first).
        hash: SHA-256 of all the above, hex.
    """

    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    interface: str
    outcome: Outcome
    prev_hash: str
    hash: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where the chain does not hold, and why."""

    seq: int
    problem: str


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    interface: str,
    outcome: str,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """The hash an entry with these values must carry (canonical JSON: sorted keys, UTC microseconds)."""
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "interface": interface,
        "outcome": outcome,
        "details": dict(details),
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def next_entry(
    previous: AuditEntry | None,
    *,
    actor: str,
    action: str,
    target: str,
    interface: str,
    outcome: Outcome = "allowed",
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """The entry that follows ``previous`` (``None``: the first of a chain), hashed."""
    seq = previous.seq + 1 if previous else 1
    prev_hash = previous.hash if previous else GENESIS
    when = (at or datetime.now(UTC)).astimezone(UTC)
    kept = dict(details or {})
    orjson.dumps(kept)  # fails here, not at verification time, on a value JSON cannot hold
    values: dict[str, Any] = {
        "seq": seq,
        "at": when,
        "actor": actor,
        "action": action,
        "target": target,
        "interface": interface,
        "outcome": outcome,
        "details": kept,
        "prev_hash": prev_hash,
    }
    return AuditEntry(**values, hash=entry_hash(**values))


def verify(entries: Iterable[AuditEntry], *, head: tuple[int, str] | None = None) -> list[ChainBreak]:
    """Check a chain, oldest entry first; returns every break found (empty: intact).

    Args:
        entries: the whole chain, in sequence order as stored.
        head: the ``(seq, hash)`` of the newest entry as recorded apart from the entries; without it a
            chain cut short at its end cannot be told from a complete one.
    """
    breaks: list[ChainBreak] = []
    expected_seq, expected_prev = 1, GENESIS
    last: AuditEntry | None = None
    for e in entries:
        if e.seq != expected_seq:
            kind = "missing" if e.seq > expected_seq else "out of order or repeated"
            breaks.append(ChainBreak(e.seq, f"expected entry {expected_seq} here, found {e.seq} ({kind})"))
        if e.prev_hash != expected_prev:
            breaks.append(ChainBreak(e.seq, "does not link to the entry before it (one was removed or moved)"))
        actual = entry_hash(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            target=e.target,
            interface=e.interface,
            outcome=e.outcome,
            details=e.details,
            prev_hash=e.prev_hash,
        )
        if actual != e.hash:
            breaks.append(ChainBreak(e.seq, "its content does not match its hash (the entry was edited)"))
        expected_seq, expected_prev, last = e.seq + 1, e.hash, e
    if head is not None:
        seq, digest = head
        if last is None or (last.seq, last.hash) != (seq, digest):
            found = f"ends at entry {last.seq}" if last else "is empty"
            breaks.append(ChainBreak(seq, f"the chain {found} but its recorded head is entry {seq}"))
    return breaks
