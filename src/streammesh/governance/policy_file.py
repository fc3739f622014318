"""The mesh's policy file (``policies.yaml`` in the workspace): the governance team's settings as code.

Every setting is optional; a missing or empty file means the defaults. ``docs/policies.md`` documents
each setting and policy id; ``examples/policies.yaml`` is a commented example.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from streammesh.contracts.exceptions import ContractProblem
from streammesh.contracts.loader import dump_yaml
from streammesh.contracts.located import read_yaml, validate_located
from streammesh.contracts.model import SlaTier
from streammesh.governance.exceptions import PolicyConfigError
from streammesh.governance.personal_data import (
    DEFAULT_PERSONAL_DATA_EXCLUSIONS,
    DEFAULT_PERSONAL_DATA_PATTERNS,
    pattern_tokens,
)
from streammesh.plugins import schema_formats

__all__ = [
    "DEFAULT_CLASSIFICATIONS",
    "DEFAULT_NAMING_PATTERN",
    "PolicyConfig",
    "load_policy_config",
    "write_default_policy_file",
]

DEFAULT_NAMING_PATTERN = r"^{domain}(\.[a-z][a-z0-9_]*)+$"
DEFAULT_CLASSIFICATIONS = ["pii", "confidential", "restricted", "internal", "public"]


def _known_policy(value: str) -> str:
    from streammesh.governance.policies import policy_ids  # the policies module imports this one

    ids = policy_ids()
    if value not in ids:
        close = difflib.get_close_matches(value, ids, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ValueError(f"unknown policy id {value!r}; {hint}valid ids: {', '.join(ids)}")
    return value


def _known_format(value: str) -> str:
    names = schema_formats.names()
    if value not in names:
        raise ValueError(f"unknown schema format {value!r}; registered formats: {', '.join(names)}")
    return value


def _pattern(value: str) -> str:
    if not pattern_tokens(value):
        raise ValueError(f"{value!r} has no letters or digits to match field names with")
    return value


PolicyId = Annotated[str, AfterValidator(_known_policy)]
FormatName = Annotated[str, AfterValidator(_known_format)]
NamePattern = Annotated[str, AfterValidator(_pattern)]


class PolicyConfig(BaseModel):
    """Settings of the federated policies. Every field has a default, so ``PolicyConfig()`` is the default mesh.

    Example:
        >>> PolicyConfig(allowed_schema_formats=["protobuf"], require_on_call_for_tiers=["tier-1"]).disabled
        []
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    disabled: list[PolicyId] = Field(default_factory=list, description="policy ids switched off in this mesh")
    description_min_chars: int = Field(default=40, ge=0, description="description-length: minimum characters")
    description_min_words: int = Field(default=6, ge=0, description="description-length: minimum words")
    allowed_schema_formats: list[FormatName] | None = Field(
        default=None, description="schema-format-allowed: accepted formats (default: every registered format)"
    )
    naming_pattern: str = Field(
        default=DEFAULT_NAMING_PATTERN,
        description="naming-convention: regular expression a product name must match; {domain} is the contract's domain",
    )
    naming_description: str = Field(
        default="<domain>.<name> in snake_case, e.g. sales.orders or sales.orders.v2",
        description="naming-convention: the convention in words, shown in messages",
    )
    personal_data_patterns: list[NamePattern] = Field(
        default_factory=lambda: list(DEFAULT_PERSONAL_DATA_PATTERNS),
        description="personal-data-classified: field-name patterns that look personal (replaces the defaults)",
    )
    extra_personal_data_patterns: list[NamePattern] = Field(
        default_factory=list, description="personal-data-classified: patterns added to personal_data_patterns"
    )
    personal_data_exclusions: list[NamePattern] = Field(
        default_factory=lambda: list(DEFAULT_PERSONAL_DATA_EXCLUSIONS),
        description="personal-data-classified: patterns of names that are not personal (replaces the defaults)",
    )
    extra_personal_data_exclusions: list[NamePattern] = Field(
        default_factory=list, description="personal-data-classified: exclusions added to personal_data_exclusions"
    )
    allowed_classifications: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CLASSIFICATIONS),
        min_length=1,
        description="classification-allowed: the classification values contracts may use",
    )
    require_on_call_for_tiers: list[SlaTier] = Field(
        default_factory=list, description="on-call-required: SLA tiers whose products need support.on_call"
    )
    require_support_channel: bool = Field(
        default=False, description="support-channel-required: every product lists at least one support channel"
    )
    required_tags: list[str] = Field(default_factory=list, description="required-tags: tags every product carries")
    min_partitions: int | None = Field(default=None, ge=1, description="min-partitions: fewest partitions allowed")

    @field_validator("naming_pattern")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            re.compile(v.replace("{domain}", "domain"))
        except re.error as e:
            raise ValueError(f"{v!r} is not a valid regular expression: {e}") from None
        return v

    def naming_regex(self, domain: str) -> re.Pattern[str]:
        """The naming pattern for products of ``domain``."""
        return re.compile(self.naming_pattern.replace("{domain}", re.escape(domain)))

    def personal_patterns(self) -> list[str]:
        return [*self.personal_data_patterns, *self.extra_personal_data_patterns]

    def personal_exclusions(self) -> list[str]:
        return [*self.personal_data_exclusions, *self.extra_personal_data_exclusions]

    def dump(self, *, only_changed: bool = False) -> str:
        """The settings as YAML (the policy file format); ``only_changed`` leaves out defaults."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_none=True, exclude_defaults=only_changed)
        return dump_yaml(data) if data else "{}\n"


def load_policy_config(path: str | Path) -> PolicyConfig:
    """Read a policy file; a missing or empty file gives the defaults.

    Raises:
        PolicyConfigError: every mistake in the file, with its line and setting.
    """
    p = Path(path)
    source = str(path)
    if not p.exists():
        return PolicyConfig()
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PolicyConfigError(
            [ContractProblem(source, None, "", f"cannot read the file: {e}")], source=source
        ) from None
    doc = read_yaml(text, source=source)
    if doc.data is None and not doc.problems:
        return PolicyConfig()
    if doc.data is not None and not isinstance(doc.data, dict):
        doc.problems.append(
            ContractProblem(
                source, doc.line_of(()), "", "a policy file must be a mapping of settings (such as 'disabled: [...]')"
            )
        )
        doc.data = None
    return validate_located(PolicyConfig, doc, error=lambda problems: PolicyConfigError(problems, source=source))


DEFAULT_POLICY_FILE = """\
# The federated policies of this mesh: checked on every publish and update of a data product.
# Every setting is optional; delete one to get its default. See docs/policies.md for each policy.

# Switch off any policy by its id, e.g. [sla-acknowledged, quality-level-set].
disabled: []

# description-length: a description a stranger can use.
description_min_chars: 40
description_min_words: 6

# schema-format-allowed: leave out to accept every registered format, or e.g. [protobuf] for protobuf only.
# allowed_schema_formats: [avro, json-schema, protobuf]

# naming-convention: {domain} stands for the contract's domain.
naming_pattern: '^{domain}(\\.[a-z][a-z0-9_]*)+$'

# personal-data-classified: add name patterns that look personal, or names that are not.
# extra_personal_data_patterns: [loyalty_card]
# extra_personal_data_exclusions: [course_name]

# classification-allowed: the values contracts may use under 'classifications'.
allowed_classifications: [pii, confidential, restricted, internal, public]

# Rules that are off until configured:
# require_on_call_for_tiers: [tier-1]     # on-call-required
# require_support_channel: true           # support-channel-required
# required_tags: [gdpr-reviewed]           # required-tags
# min_partitions: 3                        # min-partitions
"""


def write_default_policy_file(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a commented policy file holding the defaults (kept as is when it exists, unless ``overwrite``)."""
    p = Path(path)
    if p.exists() and not overwrite:
        return p
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(DEFAULT_POLICY_FILE, encoding="utf-8")
    return p
