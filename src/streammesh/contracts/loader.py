"""Read and write contract YAML; every error names the file, the line and the field path.

YAML is composed into nodes (which carry line marks) and built into plain data by hand, so that
duplicate keys are caught and every field path can be traced back to its line. Pydantic's errors are
then rewritten into friendly, located :class:`ContractProblem` lines and raised all at once.

Example:
    >>> contract = parse_contract(open("examples/orders.contract.yaml").read(), base_dir="examples")
    >>> print(dump_contract(contract))  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import yaml

from streammesh.contracts.exceptions import ContractError, ContractProblem
from streammesh.contracts.located import Loc, YamlDocument, describe, read_yaml, validate_located
from streammesh.contracts.model import Contract

__all__ = [
    "contract_from_dict",
    "dump_contract",
    "dump_yaml",
    "load_contract",
    "parse_contract",
]

# What to write when a required field is missing (fields without a hint use their model description).
_MISSING_HINTS: dict[Loc, str] = {
    ("name",): "'name: <domain>.<product>', e.g. name: sales.orders",
    ("domain",): "'domain: <business domain>', e.g. domain: sales",
    ("owner",): "'owner: <team>', e.g. owner: @sales-team",
    ("schema",): "a 'schema:' section with 'format' and an inline 'definition' (or a 'file' beside the contract)",
}


# ----------------------------------------------------------------------------------------------------- contracts


def _require_mapping(doc: YamlDocument, what: str, example: str) -> None:
    if doc.data is None and not doc.problems:
        doc.problems.append(ContractProblem(doc.source, None, "", f"the {what} is empty; {example}"))
    elif doc.data is not None and not isinstance(doc.data, dict):
        doc.problems.append(
            ContractProblem(
                doc.source,
                doc.line_of(()),
                "",
                f"the {what} must be a mapping of fields (such as 'name: sales.orders'), got {describe(doc.data)}",
            )
        )
        doc.data = None


def _read_schema_file(doc: YamlDocument, base_dir: Path | None) -> None:
    """Read ``schema.file`` (relative to the contract's folder) into ``schema.definition``."""
    spec = doc.data.get("schema") if isinstance(doc.data, dict) else None
    if not isinstance(spec, dict):
        return
    if spec.get("definition") is None and spec.get("file") is None and "format" in spec:
        doc.problems.append(
            doc.problem(("schema",), "give the schema inline under 'definition' or as a path under 'file'")
        )
    rel = spec.get("file")
    if not isinstance(rel, str):
        return
    loc: Loc = ("schema", "file")
    if base_dir is None:
        if spec.get("definition") is None:
            doc.problems.append(
                doc.problem(
                    loc,
                    (
                        f"cannot read schema file '{rel}': this contract was not loaded from a file; "
                        "inline the schema under 'definition' instead"
                    ),
                )
            )
        return
    path = base_dir / rel
    if not path.is_file():
        near = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
        close = difflib.get_close_matches(path.name, near, n=1)
        doc.problems.append(
            doc.problem(
                loc,
                (
                    f"schema file '{rel}' does not exist (looked for {path.resolve()}); the path is relative to the "
                    "contract file" + (f"; did you mean '{close[0]}'?" if close else "")
                ),
            )
        )
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        doc.problems.append(doc.problem(loc, f"cannot read schema file '{rel}': {e}"))
        return
    definition: Any = text
    if path.suffix.lower() in (".avsc", ".json"):
        try:
            definition = json.loads(text)
        except json.JSONDecodeError as e:
            doc.problems.append(
                doc.problem(loc, f"schema file '{rel}' is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})")
            )
            return
    elif path.suffix.lower() in (".yaml", ".yml"):
        try:
            definition = yaml.safe_load(text)
        except yaml.YAMLError as e:
            doc.problems.append(doc.problem(loc, f"schema file '{rel}' is not valid YAML: {e}"))
            return
    inline = spec.get("definition")
    if inline is not None and inline != definition:
        doc.problems.append(
            doc.problem(
                ("schema", "definition"),
                (f"differs from the schema file '{rel}'; keep only one of 'definition' and 'file'"),
            )
        )
        return
    spec["definition"] = definition


def parse_contract(text: str, *, source: str = "<string>", base_dir: str | Path | None = None) -> Contract:
    """Parse contract YAML.

    Args:
        text: the YAML text.
        source: the name shown in error messages (usually the file name).
        base_dir: folder that ``schema.file`` is relative to; without it a ``schema.file`` cannot be read
            (so text received over the network cannot make the server read local files).

    Returns:
        The contract, with any schema file read into ``schema.definition``.

    Raises:
        ContractError: every problem found, each with file, line and field path.
    """
    doc = read_yaml(text, source=source)
    _require_mapping(doc, "contract", "start from examples/orders.contract.yaml")
    _read_schema_file(doc, Path(base_dir) if base_dir is not None else None)
    return validate_located(
        Contract, doc, error=lambda problems: ContractError(problems, source=source), hints=_MISSING_HINTS
    )


def load_contract(path: str | Path) -> Contract:
    """Read a contract file; ``schema.file`` is resolved relative to the contract's folder.

    Raises:
        ContractError: the file is missing or unreadable, or the contract has problems (all listed).
    """
    p = Path(path)
    source = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError([ContractProblem(source, None, "", "no such contract file")], source=source) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ContractError([ContractProblem(source, None, "", f"cannot read the file: {e}")], source=source) from None
    return parse_contract(text, source=source, base_dir=p.parent)


def contract_from_dict(data: Any, *, source: str = "<dict>") -> Contract:
    """Validate a contract given as plain data (e.g. JSON from the REST API), with the same friendly messages.

    ``schema.file`` is never read here; send the schema inline under ``schema.definition``.

    Raises:
        ContractError: every problem found, each with its field path.
    """
    doc = YamlDocument(source, data)
    _require_mapping(doc, "contract", "send at least name, domain, owner and schema")
    return validate_located(
        Contract, doc, error=lambda problems: ContractError(problems, source=source), hints=_MISSING_HINTS
    )


# ------------------------------------------------------------------------------------------------------- dumping

_ORDER = [
    "apiVersion",
    "name",
    "version",
    "title",
    "domain",
    "owner",
    "status",
    "description",
    "tags",
    "quality",
    "key",
    "timestamp_field",
    "partitions",
    "retention",
    "compacted",
    "sla",
    "support",
    "classifications",
    "rules",
    "on_invalid",
    "deprecation",
    "derived_from",
    "schema",
]
_SCHEMA_ORDER = ["format", "message", "file", "definition"]


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text; indented lists. A subclass, so PyYAML's globals stay untouched."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else (">" if len(value) > 90 else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    short = all(isinstance(v, (str, int, float, bool)) for v in value) and len(str(value)) <= 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=short and bool(value))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def dump_yaml(data: Any) -> str:
    """``data`` as readable YAML: keys in the given order, short lists inline, long text as blocks."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _ordered(data: dict[str, Any], order: list[str]) -> dict[str, Any]:
    return {k: data[k] for k in sorted(data, key=lambda k: order.index(k) if k in order else len(order))}


def dump_contract(contract: Contract, *, inline_schema: bool = True) -> str:
    """The contract as readable YAML: a stable key order, no nulls, no empty lists or sections.

    Args:
        contract: the contract to write.
        inline_schema: write the schema under ``definition`` (self-contained, the default; a ``file`` it came
            from is kept as a note, and the loader accepts both as long as they agree); when false and the
            contract came from a schema file, write only ``file`` and leave the definition in that file.
    """
    data = contract.to_dict()
    schema = data["schema"]
    if not inline_schema and schema.get("file"):
        schema.pop("definition", None)
    data["schema"] = _ordered(schema, _SCHEMA_ORDER)
    for section in ("sla", "support", "deprecation"):
        if isinstance(data.get(section), dict):
            data[section] = {k: v for k, v in data[section].items() if v not in ([], {}, None)}
    data = {k: v for k, v in data.items() if v not in ([], {}, None)}
    if data.get("on_invalid") == "reject":
        del data["on_invalid"]  # the default; keeps dumped contracts short
    return dump_yaml(_ordered(data, _ORDER))
