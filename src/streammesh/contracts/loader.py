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
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import pydantic
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from streammesh.contracts.exceptions import ContractError, ContractProblem
from streammesh.contracts.model import Contract
from streammesh.plugins import schema_formats

__all__ = [
    "load_contract", "parse_contract", "contract_from_dict", "dump_contract",
    "YamlDocument", "read_yaml", "validate_located", "dump_yaml",
]

M = TypeVar("M", bound=pydantic.BaseModel)
Loc = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_DEPTH = 64

# What to write when a required field is missing (fields without a hint use their model description).
_MISSING_HINTS: dict[Loc, str] = {
    ("name",): "'name: <domain>.<product>', e.g. name: sales.orders",
    ("domain",): "'domain: <business domain>', e.g. domain: sales",
    ("owner",): "'owner: <team>', e.g. owner: @sales-team",
    ("schema",): "a 'schema:' section with 'format' and an inline 'definition' (or a 'file' beside the contract)",
}

_EXPECTED = {
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list", "tuple_type": "a list",
    "set_type": "a list", "dict_type": "a mapping", "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields", "date_type": "a date such as 2030-12-31",
    "date_parsing": "a date such as 2030-12-31", "date_from_datetime_parsing": "a date such as 2030-12-31",
    "date_from_datetime_inexact": "a date such as 2030-12-31", "datetime_type": "a date and time",
    "datetime_parsing": "a date and time", "timedelta_type": "a duration such as 5m",
    "timedelta_parsing": "a duration such as 5m",
}


# ---------------------------------------------------------------------------------------------- YAML with marks


@dataclass
class YamlDocument:
    """Plain data built from YAML, with the line of every field path and the problems found so far.

    Attributes:
        source: file name shown in messages.
        data: the document as plain Python data (``None`` for an empty document).
        marks: field path -> (line, column), both 1-based; mapping entries point at their key.
        problems: syntax errors and duplicate keys found while reading.
    """

    source: str
    data: Any
    marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    problems: list[ContractProblem] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int | None:
        """Line of ``loc``, or of its nearest ancestor that has one (``None`` for data without lines)."""
        for i in range(len(loc), -1, -1):
            mark = self.marks.get(tuple(loc[:i]))
            if mark is not None:
                return mark[0]
        return None

    def problem(self, loc: Loc, message: str) -> ContractProblem:
        return ContractProblem(self.source, self.line_of(loc), format_path(loc), message)


def format_path(loc: Loc) -> str:
    """``("key", 1)`` -> ``key[1]``; ``("sla", "tier")`` -> ``sla.tier``."""
    out = ""
    for seg in loc:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else str(seg))
    return out


class _Builder:
    """Turns composed YAML nodes into plain data, recording marks and duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader, doc: YamlDocument) -> None:
        self.loader = loader
        self.doc = doc

    def _mark(self, node: Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def _key(self, node: Node, loc: Loc) -> str | None:
        if isinstance(node, ScalarNode):
            return node.value  # the key as written: 'on' or 'yes' stay text, not YAML 1.1 booleans
        line = self._mark(node)[0]
        self.doc.problems.append(
            ContractProblem(self.doc.source, line, format_path(loc), "field names must be plain text")
        )
        return None

    def build(self, node: Node, loc: Loc, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            line = self._mark(node)[0]
            self.doc.problems.append(ContractProblem(self.doc.source, line, format_path(loc), "nested too deeply"))
            return None
        if isinstance(node, MappingNode):
            first_line: dict[str, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                    continue
                key, line = key_node.value, self._mark(key_node)[0]
                if key in first_line:
                    self.doc.problems.append(ContractProblem(
                        self.doc.source, line, format_path((*loc, key)),
                        f"duplicate field '{key}' (first given on line {first_line[key]}); keep only one",
                    ))
                else:
                    first_line[key] = line
            self.loader.flatten_mapping(node)  # resolves '<<: *anchor' merges; explicit keys win
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node, loc)
                if key is None:
                    continue
                self.doc.marks[(*loc, key)] = self._mark(key_node)
                out[key] = self.build(value_node, (*loc, key), depth + 1)
            return out
        if isinstance(node, SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.doc.marks[(*loc, i)] = self._mark(item)
                items.append(self.build(item, (*loc, i), depth + 1))
            return items
        return self.loader.construct_object(node, deep=True)


def read_yaml(text: str, *, source: str = "<string>") -> YamlDocument:
    """Parse one YAML document into plain data with line marks.

    Syntax errors and duplicate keys do not raise: they are collected in ``problems`` so the caller can
    report them together with everything else. ``data`` is ``None`` for an empty document.
    """
    doc = YamlDocument(source, None)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.marks[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
            doc.data = _Builder(loader, doc).build(node, ())
    except yaml.MarkedYAMLError as e:
        doc.data = None
        doc.problems.append(_syntax_problem(e, source))
    except yaml.YAMLError as e:  # pragma: no cover - PyYAML raises marked errors for documents
        doc.data = None
        doc.problems.append(ContractProblem(source, None, "", f"YAML error: {e}"))
    finally:
        loader.dispose()
    return doc


def _syntax_problem(e: yaml.MarkedYAMLError, source: str) -> ContractProblem:
    mark = e.problem_mark or e.context_mark
    problem = e.problem or "invalid YAML"
    message = f"YAML syntax error: {problem}"
    if e.context:
        ctx_line = f" (line {e.context_mark.line + 1})" if e.context_mark and e.context_mark is not mark else ""
        message += f", {e.context}{ctx_line}"
    if "'\\t'" in problem:
        message += "; indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        message += "; a value containing ': ' must be quoted, and nested fields must be indented"
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    return ContractProblem(source, line, "", message, column)


# ------------------------------------------------------------------------------------ pydantic errors, explained


def validate_located(
    model: type[M],
    doc: YamlDocument,
    *,
    error: Callable[[list[ContractProblem]], Exception],
) -> M:
    """Validate ``doc.data`` as ``model``; raise ``error(problems)`` with every problem, located and explained.

    Problems already in ``doc.problems`` (syntax errors, duplicate keys...) are reported too.
    """
    problems = list(doc.problems)
    result: M | None = None
    if doc.data is not None or not problems:
        try:
            result = model.model_validate(doc.data)
        except pydantic.ValidationError as e:
            problems += explain_errors(model, e.errors(), doc)
    if problems:
        raise error(_sorted_unique(problems))
    assert result is not None
    return result


def _sorted_unique(problems: list[ContractProblem]) -> list[ContractProblem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return sorted(out, key=lambda p: (p.line is None, p.line or 0))


def explain_errors(model: type[pydantic.BaseModel], errors: list[Any], doc: YamlDocument) -> list[ContractProblem]:
    """Turn pydantic error dicts into located problems, merging the branches of a union into one line."""
    grouped: dict[Loc, list[Any]] = {}
    for err in errors:
        grouped.setdefault(_real_loc(err, doc.data), []).append(err)
    problems = []
    for loc, errs in grouped.items():
        type_errs = [e for e in errs if e["type"] in _EXPECTED]
        if len(type_errs) > 1:  # one value failed every branch of a union
            wanted = list(dict.fromkeys(_EXPECTED[e["type"]] for e in type_errs))
            message = f"expected {_or(wanted)}, got {_describe(type_errs[0]['input'])}"
            problems.append(doc.problem(loc, message))
            errs = [e for e in errs if e not in type_errs]
        problems += [doc.problem(loc, _message(model, loc, e)) for e in errs]
    return problems


def _real_loc(err: Mapping[str, Any], data: Any) -> Loc:
    """The error's location as a field path of the input: union branch tags such as ``'dict[str,any]'`` dropped."""
    loc = tuple(err["loc"])
    out: list[str | int] = []
    cur = data
    for i, seg in enumerate(loc):
        if isinstance(cur, dict) and seg in cur:
            cur = cur[seg]
        elif isinstance(cur, list) and isinstance(seg, int) and 0 <= seg < len(cur):
            cur = cur[seg]
        elif err["type"] in ("missing", "extra_forbidden") and i == len(loc) - 1:
            pass
        else:
            break
        out.append(seg)
    return tuple(out)


def _message(model: type[pydantic.BaseModel], loc: Loc, err: Mapping[str, Any]) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "missing":
        return _missing(model, loc)
    if kind == "extra_forbidden":
        return _unknown(model, loc)
    if kind == "literal_error":
        allowed = _literal_values(model, loc) or re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        message = f"{value!r} is not one of {', '.join(allowed)}"
        norm = {re.sub(r"[^a-z0-9]", "", a.lower()): a for a in allowed}
        match = norm.get(re.sub(r"[^a-z0-9]", "", str(value).lower()))
        return message + (f"; did you mean {match!r}?" if match else "")
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error") or err["msg"]).removeprefix("Value error, ")
    if kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {_describe(value)}"
        if kind == "string_type" and isinstance(value, (int, float, bool, date)):
            message += f"; put it in quotes: '{_yaml_text(value)}'"
        return message
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {_num(ctx.get(key))}, got {_num(value)}"
    msg = str(err["msg"])
    return f"{msg[:1].lower()}{msg[1:]}, got {_describe(value)}"


def _missing(model: type[pydantic.BaseModel], loc: Loc) -> str:
    name = str(loc[-1])
    hint = _MISSING_HINTS.get(loc)
    if hint is None and name == "format" and loc[:-1] == ("schema",):
        hint = f"'format:' one of {', '.join(schema_formats.names())}"
    if hint is None:
        parent = _model_at(model, loc[:-1])
        info = _field(parent, name)[1] if parent and _field(parent, name) else None
        hint = f"'{name}: ...'" + (f" ({info.description})" if info and info.description else "")
    return f"missing required field '{name}'; add {hint}"


def _unknown(model: type[pydantic.BaseModel], loc: Loc) -> str:
    key = str(loc[-1])
    parent = _model_at(model, loc[:-1])
    if parent is None:
        return f"unknown field '{key}'"
    valid = _keys(parent)
    norm = {_normal(k): k for k in valid}
    if _normal(key) in norm:
        return f"unknown field '{key}'; did you mean '{norm[_normal(key)]}'?"
    for section_key, section in _sections(parent):  # a field written one level too high, e.g. 'tier' for 'sla.tier'
        inner = {_normal(k): k for k in _keys(section)}
        if _normal(key) in inner:
            return f"unknown field '{key}' here; did you mean '{section_key}.{inner[_normal(key)]}' (under '{section_key}:')?"
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if close:
        return f"unknown field '{key}'; did you mean '{close[0]}'?"
    return f"unknown field '{key}'; valid fields here: {', '.join(valid)}"


# -------------------------------------------------------------------------------------------- model introspection


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, pydantic.BaseModel)


def _field(model: type[pydantic.BaseModel] | None, key: str | int) -> tuple[str, Any] | None:
    if model is None:
        return None
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return name, info
    return None


def _keys(model: type[pydantic.BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _sections(model: type[pydantic.BaseModel]) -> list[tuple[str, type[pydantic.BaseModel]]]:
    out = []
    for name, info in model.model_fields.items():
        t = _unwrap(info.annotation)
        if _is_model(t):
            out.append((info.alias or name, t))
    return out


def _annotation_at(model: type[pydantic.BaseModel], loc: Loc) -> Any:
    cur: Any = model
    for seg in loc:
        if _is_model(cur):
            found = _field(cur, seg)
            if found is None:
                return None
            cur = found[1].annotation
        elif get_origin(cur) in (list, tuple, set) and isinstance(seg, int):
            cur = (get_args(cur) or (None,))[0]
        elif get_origin(cur) is dict:
            cur = (get_args(cur) or (None, None))[1]
        else:
            return None
        cur = _unwrap(cur)
    return cur


def _model_at(model: type[pydantic.BaseModel], loc: Loc) -> type[pydantic.BaseModel] | None:
    t = _annotation_at(model, loc)
    return t if _is_model(t) else None


def _literal_values(model: type[pydantic.BaseModel], loc: Loc) -> list[str]:
    t = _annotation_at(model, loc)
    return [str(a) for a in get_args(t)] if get_origin(t) is Literal else []


# ------------------------------------------------------------------------------------------------ small helpers


def _normal(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower().replace("-", "_").replace(" ", "_")


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" or {items[-1]}"


def _num(x: Any) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _yaml_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/true/false/on/off as true or false)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, (date, datetime)):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# ----------------------------------------------------------------------------------------------------- contracts


def _require_mapping(doc: YamlDocument, what: str, example: str) -> None:
    if doc.data is None and not doc.problems:
        doc.problems.append(ContractProblem(doc.source, None, "", f"the {what} is empty; {example}"))
    elif doc.data is not None and not isinstance(doc.data, dict):
        doc.problems.append(ContractProblem(
            doc.source, doc.line_of(()), "",
            f"the {what} must be a mapping of fields (such as 'name: sales.orders'), got {_describe(doc.data)}",
        ))
        doc.data = None


def _read_schema_file(doc: YamlDocument, base_dir: Path | None) -> None:
    """Read ``schema.file`` (relative to the contract's folder) into ``schema.definition``."""
    spec = doc.data.get("schema") if isinstance(doc.data, dict) else None
    if not isinstance(spec, dict):
        return
    if spec.get("definition") is None and spec.get("file") is None and "format" in spec:
        doc.problems.append(doc.problem(("schema",), "give the schema inline under 'definition' or as a path under 'file'"))
    rel = spec.get("file")
    if not isinstance(rel, str):
        return
    loc: Loc = ("schema", "file")
    if base_dir is None:
        if spec.get("definition") is None:
            doc.problems.append(doc.problem(loc, (
                f"cannot read schema file '{rel}': this contract was not loaded from a file; "
                "inline the schema under 'definition' instead"
            )))
        return
    path = base_dir / rel
    if not path.is_file():
        near = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
        close = difflib.get_close_matches(path.name, near, n=1)
        doc.problems.append(doc.problem(loc, (
            f"schema file '{rel}' does not exist (looked for {path.resolve()}); the path is relative to the "
            "contract file" + (f"; did you mean '{close[0]}'?" if close else "")
        )))
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
            doc.problems.append(doc.problem(
                loc, f"schema file '{rel}' is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
            ))
            return
    elif path.suffix.lower() in (".yaml", ".yml"):
        try:
            definition = yaml.safe_load(text)
        except yaml.YAMLError as e:
            doc.problems.append(doc.problem(loc, f"schema file '{rel}' is not valid YAML: {e}"))
            return
    inline = spec.get("definition")
    if inline is not None and inline != definition:
        doc.problems.append(doc.problem(("schema", "definition"), (
            f"differs from the schema file '{rel}'; keep only one of 'definition' and 'file'"
        )))
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
    return validate_located(Contract, doc, error=lambda problems: ContractError(problems, source=source))


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
    return validate_located(Contract, doc, error=lambda problems: ContractError(problems, source=source))


# ------------------------------------------------------------------------------------------------------- dumping

_ORDER = [
    "apiVersion", "name", "version", "title", "domain", "owner", "status", "description", "tags", "quality",
    "key", "timestamp_field", "partitions", "retention", "compacted", "sla", "support", "classifications",
    "deprecation", "schema",
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
    return dump_yaml(_ordered(data, _ORDER))
