"""Federated policies: the rules every contract must meet to be published or updated (a barrier to entry).

Each policy has a stable id (used in messages and in the policy file's ``disabled`` list) and reports
every problem it finds as a :class:`Violation` with the field path and the fix, so a producer sees
everything to change at once. ``docs/policies.md`` documents each policy and its settings.

Example:
    >>> violations = check_contract(contract, config=PolicyConfig(), teams=["@sales-team"])  # doctest: +SKIP
    >>> enforce(contract, config=PolicyConfig(), teams=["@sales-team"])  # raises PolicyViolationError  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from streammesh.contracts.model import Contract
from streammesh.governance.exceptions import PolicyViolationError
from streammesh.governance.personal_data import personal_data_match
from streammesh.governance.policy_file import PolicyConfig
from streammesh.plugins import schema_formats
from streammesh.schemas import Schema, load_schema

__all__ = ["POLICIES", "Policy", "Violation", "check_contract", "enforce", "policy_ids"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken policy.

    Attributes:
        policy: the policy id, e.g. ``owner-registered``.
        path: the contract field to change, e.g. ``sla.tier``, ``key[0]``, ``classifications.email``.
        message: what is wrong, with the value found.
        fix: what to do about it.
    """

    policy: str
    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"[{self.policy}] {self.path}: {self.message}; fix: {self.fix}"


@dataclass
class _Context:
    contract: Contract
    config: PolicyConfig
    teams: list[str]
    enabled: set[str] = field(default_factory=set)

    @cached_property
    def _parsed(self) -> tuple[Schema | None, str | None]:
        spec = self.contract.schema_
        if spec.definition is None:
            return None, "not read"
        try:
            return load_schema(spec), None
        except Exception as e:
            return None, str(e)

    @property
    def schema(self) -> Schema | None:
        return self._parsed[0]

    @property
    def schema_error(self) -> str | None:
        return self._parsed[1]

    @cached_property
    def field_paths(self) -> list[str]:
        return [f.path for f in self.schema.fields] if self.schema else []


Check = Callable[[_Context], Iterator[Violation]]


@dataclass(frozen=True, slots=True)
class Policy:
    """A federated policy: a stable id, a one-line summary and its check."""

    id: str
    summary: str
    check: Check
    configurable: bool = False  # does nothing until the policy file configures it


# ------------------------------------------------------------------------------------------------------ helpers


def _or(items: list[str]) -> str:
    items = list(items)
    if not items:
        return "(none)"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" or {items[-1]}"


def _close(value: str, options: list[str], cutoff: float = 0.6) -> str | None:
    hits = difflib.get_close_matches(value, options, n=1, cutoff=cutoff)
    return hits[0] if hits else None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _plain(path: str) -> str:
    return path.replace("[]", "")


def _field_list(paths: list[str], limit: int = 15) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "") if paths else "(none)"


def _snake(text: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# ----------------------------------------------------------------------------------------------------- policies


def _naming(ctx: _Context) -> Iterator[Violation]:
    c, cfg = ctx.contract, ctx.config
    if not re.fullmatch(r"[a-z][a-z0-9_]*", c.domain):
        yield Violation(
            "naming-convention",
            "domain",
            f"domain {c.domain!r} is not snake_case",
            f"use lowercase letters, digits and underscores, e.g. domain: {_snake(c.domain) or 'sales'}",
        )
    if cfg.naming_regex(c.domain).fullmatch(c.name):
        return
    segments = [s for s in (_snake(p) for p in c.name.split(".")) if s]
    if segments and segments[0] != c.domain and len(segments) > 1:
        other = segments[0]
        suggestion = ".".join([c.domain, *segments[1:]])
        fix = f"rename it to '{suggestion}', or set domain: {other} if the product belongs to that domain"
    else:
        suggestion = ".".join([c.domain, *(segments[1:] if segments and segments[0] == c.domain else segments)])
        fix = f"rename it to '{suggestion}'"
    if not cfg.naming_regex(c.domain).fullmatch(suggestion):
        fix = f"rename it to match the pattern {cfg.naming_pattern.replace('{domain}', c.domain)}"
    yield Violation(
        "naming-convention",
        "name",
        f"name {c.name!r} does not follow the naming convention {cfg.naming_description}",
        fix,
    )


def _owner(ctx: _Context) -> Iterator[Violation]:
    owner, teams = ctx.contract.owner, sorted(ctx.teams)
    if owner in teams:
        return
    registered = f"registered teams: {', '.join(teams)}" if teams else "no teams are registered yet"
    handle = owner if owner.startswith("@") else f"@{owner}"
    close = handle if handle in teams else _close(handle, teams, 0.8)  # team names share '-team'; be strict
    if close:
        fix = f"did you mean '{close}'? Otherwise register the team with `streammesh teams add {handle}`"
    else:
        fix = f"register the team with `streammesh teams add {handle}` or set owner to a registered team"
    yield Violation("owner-registered", "owner", f"owner {owner!r} is not a registered team ({registered})", fix)


def _description(ctx: _Context) -> Iterator[Violation]:
    text, cfg = ctx.contract.description.strip(), ctx.config
    chars, words = len(text), len(re.findall(r"\w+", text))
    if chars >= cfg.description_min_chars and words >= cfg.description_min_words:
        return
    need = f"at least {cfg.description_min_chars} characters and {cfg.description_min_words} words"
    message = (
        "the description is empty"
        if not text
        else f"the description is too short to help a stranger ({_count(chars, 'character')}, {_count(words, 'word')})"
    )
    yield Violation(
        "description-length",
        "description",
        f"{message}; this mesh asks for {need}",
        "say what one event means, where the data comes from, and how to use it (keys, joins, caveats)",
    )


def _schema_format(ctx: _Context) -> Iterator[Violation]:
    fmt, registered = ctx.contract.schema_.format, schema_formats.names()
    allowed = ctx.config.allowed_schema_formats
    if fmt not in registered:
        hint = _close(fmt, registered)
        yield Violation(
            "schema-format-allowed",
            "schema.format",
            f"unknown schema format {fmt!r}; registered formats: {', '.join(registered)}",
            f"set schema.format to {repr(hint) if hint else _or(allowed or registered)}",
        )
    elif allowed is not None and fmt not in allowed:
        accepts = f"{allowed[0]} only" if len(allowed) == 1 else _or(allowed)
        yield Violation(
            "schema-format-allowed",
            "schema.format",
            f"schema format {fmt!r} is not allowed here: this mesh accepts {accepts}",
            f"write the schema in {_or(allowed)} and set schema.format accordingly",
        )


def _schema_valid(ctx: _Context) -> Iterator[Violation]:
    spec, error = ctx.contract.schema_, ctx.schema_error
    if error == "not read":
        yield Violation(
            "schema-valid",
            "schema.file",
            f"the schema file {spec.file!r} was not read",
            "load the contract with load_contract() or put the schema inline under schema.definition",
        )
    elif error is not None:
        if spec.format not in schema_formats.names() and "schema-format-allowed" in ctx.enabled:
            return  # already reported as an unknown format
        yield Violation(
            "schema-valid",
            "schema.definition",
            f"the schema does not parse: {error}",
            f"correct the {spec.format} definition as the message says",
        )
    elif not ctx.field_paths:
        yield Violation(
            "schema-valid",
            "schema.definition",
            "the schema declares no fields",
            "describe every field of an event: its name, type and meaning",
        )


def _path_problem(ctx: _Context, value: str, what: str) -> tuple[str, str] | None:
    """(message, fix) when ``value`` is not a usable field path of the schema."""
    paths = ctx.field_paths
    if value in paths:
        if "[]" in value:
            return f"{what} {value!r} is inside a list, so an event has many of them", "choose a field outside lists"
        return None
    close = _close(value, [p for p in paths if "[]" not in p])
    fix = f"did you mean '{close}'?" if close else "use a field of the schema (a nested field as a dotted path)"
    return f"{what} {value!r} is not in the schema; its fields are: {_field_list(paths)}", fix


def _key_fields(ctx: _Context) -> Iterator[Violation]:
    if ctx.schema is None:
        return
    for i, key in enumerate(ctx.contract.key):
        problem = _path_problem(ctx, key, "key field")
        if problem:
            yield Violation("key-fields-exist", f"key[{i}]", *problem)


def _timestamp_field(ctx: _Context) -> Iterator[Violation]:
    ts = ctx.contract.timestamp_field
    if ctx.schema is None or ts is None:
        return
    problem = _path_problem(ctx, ts, "timestamp field")
    if problem:
        yield Violation("timestamp-field-exists", "timestamp_field", *problem)


def _entity(contract: Contract) -> str:
    """What one event describes: the name's last segment that is neither the domain nor a version (v2)."""
    segments = [s for s in contract.name.split(".")[1:] if not re.fullmatch(r"v\d+", s)]
    return segments[-1] if segments else ""


def _covered(path: str, classified: set[str]) -> bool:
    parts = _plain(path).split(".")
    return any(".".join(parts[:i]) in classified for i in range(1, len(parts) + 1))


def _personal_data(ctx: _Context) -> Iterator[Violation]:
    if ctx.schema is None:
        return
    cfg = ctx.config
    classified = {_plain(k) for k in ctx.contract.classifications}
    patterns, exclusions = cfg.personal_patterns(), cfg.personal_exclusions()
    entity = _entity(ctx.contract)
    reported: list[str] = []
    for f in ctx.schema.fields:
        if _covered(f.path, classified) or any(_plain(f.path).startswith(_plain(r) + ".") for r in reported):
            continue  # classified, or its parent is already reported (classifying the parent covers it)
        match = personal_data_match(f.path, f.type, patterns=patterns, exclusions=exclusions, entity=entity)
        if match is None:
            continue
        reported.append(f.path)
        yield Violation(
            "personal-data-classified",
            f"classifications.{f.path}",
            f"field {f.path!r} looks like personal data (matches {match!r}) but has no classification",
            f"add '{f.path}: pii' under classifications (or another of {', '.join(cfg.allowed_classifications)}, "
            "e.g. public if it is not personal)",
        )


def _classification_values(ctx: _Context) -> Iterator[Violation]:
    allowed = ctx.config.allowed_classifications
    for path, value in ctx.contract.classifications.items():
        if value in allowed:
            continue
        close = value.lower() if value.lower() in allowed else _close(value, allowed)
        yield Violation(
            "classification-allowed",
            f"classifications.{path}",
            f"classification {value!r} is not one of {', '.join(allowed)}",
            f"use '{close}'" if close else f"use one of {', '.join(allowed)}",
        )


def _classified_fields(ctx: _Context) -> Iterator[Violation]:
    if ctx.schema is None:
        return
    plain = {_plain(p): p for p in ctx.field_paths}
    for path in ctx.contract.classifications:
        if _plain(path) in plain:
            continue
        close = _close(path, list(plain.values()))
        yield Violation(
            "classified-fields-exist",
            f"classifications.{path}",
            f"classified field {path!r} is not in the schema; its fields are: {_field_list(ctx.field_paths)}",
            f"did you mean '{close}'?" if close else "remove it or correct the field path",
        )


def _rule_fields(ctx: _Context) -> Iterator[Violation]:
    if ctx.schema is None:
        return
    plain = {_plain(p): p for p in ctx.field_paths}
    for path in ctx.contract.rules:
        if _plain(path) not in plain:
            close = _close(path, list(plain.values()))
            yield Violation(
                "rule-fields-exist",
                f"rules.{path}",
                f"field rule for {path!r}, which is not in the schema; its fields are: {_field_list(ctx.field_paths)}",
                f"did you mean '{close}'?" if close else "remove the rule or correct the field path",
            )


def _quality(ctx: _Context) -> Iterator[Violation]:
    if ctx.contract.quality is None:
        yield Violation(
            "quality-level-set",
            "quality",
            "no quality level is set",
            "set quality: raw (as captured), curated (cleaned, checked) or authoritative (the source of truth)",
        )


def _sla_tier(ctx: _Context) -> Iterator[Violation]:
    if ctx.contract.sla.tier is None:
        yield Violation(
            "sla-tier-set",
            "sla.tier",
            "no SLA tier is set",
            "set sla.tier: tier-1 (critical, 24x7), tier-2 (business hours) or tier-3 (best effort)",
        )


def _sla_acknowledged(ctx: _Context) -> Iterator[Violation]:
    if not ctx.contract.sla.acknowledged:
        yield Violation(
            "sla-acknowledged",
            "sla.acknowledged",
            f"the owner {ctx.contract.owner} has not acknowledged the SLA",
            "agree the SLA within the owner team, then set sla.acknowledged: true",
        )


def _on_call(ctx: _Context) -> Iterator[Violation]:
    tier = ctx.contract.sla.tier
    if tier in ctx.config.require_on_call_for_tiers and not (ctx.contract.support.on_call or "").strip():
        yield Violation(
            "on-call-required",
            "support.on_call",
            f"{tier} needs an on-call contact",
            "set support.on_call to a pager handle, e-mail address or rota URL",
        )


def _support_channel(ctx: _Context) -> Iterator[Violation]:
    if ctx.config.require_support_channel and not any(ch.strip() for ch in ctx.contract.support.channels):
        yield Violation(
            "support-channel-required",
            "support.channels",
            "no support channel is listed",
            "add where consumers ask questions under support.channels, e.g. ['#sales-data']",
        )


def _required_tags(ctx: _Context) -> Iterator[Violation]:
    missing = [t for t in ctx.config.required_tags if t not in ctx.contract.tags]
    if missing:
        yield Violation(
            "required-tags",
            "tags",
            f"missing required tag{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
            f"add {', '.join(missing)} to tags",
        )


def _min_partitions(ctx: _Context) -> Iterator[Violation]:
    need, has = ctx.config.min_partitions, ctx.contract.partitions
    if need is not None and has < need:
        yield Violation(
            "min-partitions",
            "partitions",
            f"{has} partitions are fewer than this mesh's minimum of {need}",
            f"set partitions: {need} or more",
        )


POLICIES: tuple[Policy, ...] = (
    Policy("naming-convention", "the name follows the naming convention and starts with the domain", _naming),
    Policy("owner-registered", "the owner is a registered team", _owner),
    Policy("description-length", "the description is long enough to help a stranger", _description),
    Policy("schema-format-allowed", "the schema's format is registered and allowed in this mesh", _schema_format),
    Policy("schema-valid", "the schema parses and declares fields", _schema_valid),
    Policy("key-fields-exist", "every key field is a field of the schema", _key_fields),
    Policy("timestamp-field-exists", "the timestamp field is a field of the schema", _timestamp_field),
    Policy("personal-data-classified", "fields that look personal carry a classification", _personal_data),
    Policy("classification-allowed", "classification values come from the allowed list", _classification_values),
    Policy("classified-fields-exist", "classifications refer to fields of the schema", _classified_fields),
    Policy("rule-fields-exist", "field rules refer to fields of the schema", _rule_fields),
    Policy("quality-level-set", "a quality level is set", _quality),
    Policy("sla-tier-set", "an SLA tier is set", _sla_tier),
    Policy("sla-acknowledged", "the owner acknowledged the SLA", _sla_acknowledged),
    Policy("on-call-required", "products of the configured SLA tiers name an on-call contact", _on_call, True),
    Policy("support-channel-required", "every product lists a support channel", _support_channel, True),
    Policy("required-tags", "every product carries the required tags", _required_tags, True),
    Policy("min-partitions", "every product has at least the minimum number of partitions", _min_partitions, True),
)


def policy_ids() -> list[str]:
    """Every policy id, in checking order."""
    return [p.id for p in POLICIES]


def check_contract(
    contract: Contract, *, config: PolicyConfig | None = None, teams: Collection[str]
) -> list[Violation]:
    """Every policy violation of ``contract`` (empty when it may be published), in a stable order.

    Args:
        contract: the contract to check.
        config: the mesh's policy settings (default: :class:`PolicyConfig` defaults).
        teams: the registered team handles, e.g. ``["@sales-team"]``.
    """
    config = config or PolicyConfig()
    enabled = {p.id for p in POLICIES} - set(config.disabled)
    ctx = _Context(contract, config, list(teams), enabled)
    return [v for p in POLICIES if p.id in enabled for v in p.check(ctx)]


def enforce(contract: Contract, *, config: PolicyConfig | None = None, teams: Collection[str]) -> None:
    """Check ``contract`` and refuse it when any policy fails.

    Raises:
        PolicyViolationError: lists every violation, one per line, each with its field path and fix.
    """
    violations = check_contract(contract, config=config, teams=teams)
    if violations:
        raise PolicyViolationError(contract.name, violations)
