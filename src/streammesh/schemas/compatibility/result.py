"""What a compatibility check returns: a verdict and every incompatibility, each one actionable.

A failed check is a result, not an exception, so that the CLI, the REST routes and the change-impact
report can all show *every* problem at once (field, old, new, rule, how to fix).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

__all__ = ["CompatibilityResult", "Direction", "Incompatibility", "PairContext", "join_path", "with_version"]

Direction = Literal["backward", "forward"]
"""``backward``: a consumer on the new schema reads old data; ``forward``: a consumer on an old schema reads new data."""


@dataclass(frozen=True, slots=True)
class Incompatibility:
    """One reason a consumer could not read the data, at a field path.

    Attributes:
        path: field path (``customer.email``, ``items[].sku``, ``prices{}`` for map values, ``$`` for the whole value).
        old: the type or constraint in the old schema (``None`` when it has none there).
        new: the type or constraint in the new schema (``None`` when it has none there).
        rule: a short stable id, e.g. ``avro.type-not-promotable``; tools and docs key on it.
        message: what changed and how to fix it, in one or two sentences.
        direction: which consumer breaks: ``backward`` (new reads old) or ``forward`` (old reads new).
        version: index (0 = oldest) of the previous schema the check failed against.

    Example:
        >>> Incompatibility("discount", None, "double", "avro.field-added-without-default", "add a default")
    """

    path: str
    old: str | None
    new: str | None
    rule: str
    message: str
    direction: Direction = "backward"
    version: int | None = None

    def __str__(self) -> str:
        against = f" v{self.version}" if self.version is not None else ""
        change = f" [{self.old or '-'} -> {self.new or '-'}]" if (self.old or self.new) else ""
        return f"{self.path}: {self.message}{change} ({self.rule}, {self.direction}{against})"


@dataclass(slots=True)
class CompatibilityResult:
    """The verdict of :func:`check_compatibility`: ``compatible`` and the ``issues`` that decide it."""

    compatible: bool
    issues: list[Incompatibility] = field(default_factory=list)

    @property
    def rules(self) -> set[str]:
        """The rule ids that failed (handy for tests and policy filters)."""
        return {i.rule for i in self.issues}

    @property
    def paths(self) -> set[str]:
        """The field paths that failed: what the change-impact report matches against consumers' fields."""
        return {i.path for i in self.issues}

    def __str__(self) -> str:
        if self.compatible:
            return "compatible"
        return "incompatible:\n" + "\n".join(f"  - {i}" for i in self.issues)


@dataclass(slots=True)
class PairContext:
    """State shared by one reader/writer walk: who is old and new, collected issues, recursion guard."""

    direction: Direction
    issues: list[Incompatibility] = field(default_factory=list)
    in_progress: set[tuple[object, object]] = field(default_factory=set)

    def old_new(self, reader: str | None, writer: str | None) -> tuple[str | None, str | None]:
        """Map reader/writer descriptions to old/new: backward reads old data with the new schema."""
        return (writer, reader) if self.direction == "backward" else (reader, writer)

    def add(self, path: str, rule: str, message: str, *, reader: str | None, writer: str | None) -> None:
        """Record an issue; ``reader``/``writer`` describe the two sides and become ``new``/``old``."""
        old, new = self.old_new(reader, writer)
        self.issues.append(Incompatibility(path, old, new, rule, message, self.direction))

    def fork(self) -> PairContext:
        """A scratch context to try a match (e.g. a union branch) without recording its issues."""
        return PairContext(self.direction, [], set(self.in_progress))

    @property
    def breaks(self) -> str:
        """Who cannot read what, in words, for messages."""
        if self.direction == "backward":
            return "consumers on the new schema cannot read data written with the old one"
        return "consumers still on the old schema cannot read data written with the new one"


def join_path(prefix: str, name: str) -> str:
    """``$`` + ``email`` -> ``email``; ``customer`` + ``email`` -> ``customer.email``."""
    return name if prefix == "$" else f"{prefix}.{name}"


def with_version(issues: list[Incompatibility], version: int) -> list[Incompatibility]:
    """Stamp the previous-schema index on issues found against it."""
    return [replace(i, version=version) for i in issues]
