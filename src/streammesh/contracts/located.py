"""YAML documents that remember where every value came from, and pydantic errors explained there.

YAML is composed into nodes (which carry line marks) and built into plain data by hand, so that
duplicate keys are caught and every field path can be traced back to its line. Pydantic's errors are
then rewritten into friendly, located :class:`ContractProblem` lines. Contracts and policy files
both load through here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import pydantic
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from streammesh.contracts.exceptions import ContractProblem
from streammesh.plugins import schema_formats

__all__ = ["Loc", "YamlDocument", "describe", "explain_errors", "format_path", "read_yaml", "validate_located"]

M = TypeVar("M", bound=pydantic.BaseModel)
Loc = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_DEPTH = 64

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "date_type": "a date such as 2030-12-31",
    "date_parsing": "a date such as 2030-12-31",
    "date_from_datetime_parsing": "a date such as 2030-12-31",
    "date_from_datetime_inexact": "a date such as 2030-12-31",
    "datetime_type": "a date and time",
    "datetime_parsing": "a date and time",
    "timedelta_type": "a duration such as 5m",
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
                    self.doc.problems.append(
                        ContractProblem(
                            self.doc.source,
                            line,
                            format_path((*loc, key)),
                            f"duplicate field '{key}' (first given on line {first_line[key]}); keep only one",
                        )
                    )
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
    hints: Mapping[Loc, str] | None = None,
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
            problems += explain_errors(model, e.errors(), doc, hints or {})
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


def explain_errors(
    model: type[pydantic.BaseModel], errors: list[Any], doc: YamlDocument, hints: Mapping[Loc, str]
) -> list[ContractProblem]:
    """Turn pydantic error dicts into located problems, merging the branches of a union into one line."""
    grouped: dict[Loc, list[Any]] = {}
    for err in errors:
        grouped.setdefault(_real_loc(err, doc.data), []).append(err)
    problems = []
    for loc, errs in grouped.items():
        type_errs = [e for e in errs if e["type"] in _EXPECTED]
        if len(type_errs) > 1:  # one value failed every branch of a union
            wanted = list(dict.fromkeys(_EXPECTED[e["type"]] for e in type_errs))
            message = f"expected {_or(wanted)}, got {describe(type_errs[0]['input'])}"
            problems.append(doc.problem(loc, message))
            errs = [e for e in errs if e not in type_errs]
        problems += [doc.problem(loc, _message(model, loc, e, hints)) for e in errs]
    return problems


def _real_loc(err: Mapping[str, Any], data: Any) -> Loc:
    """The error's location as a field path of the input: union branch tags such as ``'dict[str,any]'`` dropped."""
    loc = tuple(err["loc"])
    out: list[str | int] = []
    cur = data
    for i, seg in enumerate(loc):
        if (isinstance(cur, dict) and seg in cur) or (
            isinstance(cur, list) and isinstance(seg, int) and 0 <= seg < len(cur)
        ):
            cur = cur[seg]
        elif err["type"] in ("missing", "extra_forbidden") and i == len(loc) - 1:
            pass
        else:
            break
        out.append(seg)
    return tuple(out)


def _message(model: type[pydantic.BaseModel], loc: Loc, err: Mapping[str, Any], hints: Mapping[Loc, str]) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "missing":
        return _missing(model, loc, hints)
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
        message = f"expected {_EXPECTED[kind]}, got {describe(value)}"
        if kind == "string_type" and isinstance(value, (int, float, bool, date)):
            message += f"; put it in quotes: '{_yaml_text(value)}'"
        return message
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "less_than_equal": ("at most", "le"),
        "greater_than": ("more than", "gt"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {_num(ctx.get(key))}, got {_num(value)}"
    msg = str(err["msg"])
    return f"{msg[:1].lower()}{msg[1:]}, got {describe(value)}"


def _missing(model: type[pydantic.BaseModel], loc: Loc, hints: Mapping[Loc, str]) -> str:
    name = str(loc[-1])
    hint = hints.get(loc)
    if hint is None and name == "format" and loc[:-1] == ("schema",):
        hint = f"'format:' one of {', '.join(schema_formats.names())}"
    if hint is None:
        parent = _model_at(model, loc[:-1])
        found = _field(parent, name) if parent else None
        info = found[1] if found else None
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


def describe(value: Any) -> str:
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
