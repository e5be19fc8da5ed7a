"""The HCL (and HCL JSON) bake files read as buildx reads them: variables with their environment
overrides, global attributes, user functions, `target`/`group` blocks with `matrix` and `name`, and
references between blocks (`target.NAME.ATTR`), each evaluated once, when first needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from buildwright._csvfields import CSVFieldError, csv_fields
from buildwright._golang import suggest
from buildwright._values import valueclass
from buildwright.bakefile.decode import (
    GROUP_ATTRIBUTES,
    TARGET_ATTRIBUTES,
    decode_group,
    decode_target,
)
from buildwright.bakefile.entries import EntryError, parse_go_bool
from buildwright.bakefile.errors import BakeFileError, Where
from buildwright.bakefile.evaluate import Evaluator, Function, LazyObject, Scope, fail
from buildwright.bakefile.resolve import Config
from buildwright.bakefile.syntax import (
    Attribute,
    Block,
    Body,
    Expr,
    TupleExpr,
    calls_of,
)
from buildwright.bakefile.target import TargetSpec
from buildwright.bakefile.typeexpr import keyword as _keyword
from buildwright.bakefile.typeexpr import type_constraint
from buildwright.bakefile.values import (
    ANY,
    BOOL,
    NUMBER,
    STRING,
    ConversionError,
    HSet,
    Type,
    convert,
    format_number,
    from_json_value,
    is_number,
    parse_number,
    to_json_text,
)

_LABEL = re.compile(r"^[a-zA-Z0-9_-]+$")
_BLOCK_TYPES = ("group", "target")
_JSON_SUFFIX = "_JSON"


@valueclass
class VariableInfo:
    """A variable as `--list variables` shows it."""

    name: str
    description: str
    type: str
    value: str | None


@valueclass
class Program:
    """The result of reading the HCL files: the config and the variables."""

    config: Config
    variables: tuple[VariableInfo, ...]
    renamed: Mapping[str, Mapping[str, tuple[str, ...]]]


@dataclass
class _VariableDef:
    name: str
    body: Body
    where: Where
    type_expr: Expr | None
    default: Attribute | None
    description: str
    constraint: Type | None = None


@dataclass
class _FunctionDef:
    name: str
    block: Block


@dataclass
class _Instance:
    """One evaluation of a block: the block, its matrix scope, its resolved name and its values."""

    block: Block
    scope: Scope
    name: str
    values: dict[str, Any]


class _Reader:
    """Implements the evaluator's Globals over the merged bodies."""

    def __init__(
        self,
        bodies: Sequence[Body],
        env: Mapping[str, str],
        builtins: Mapping[str, str],
        stdlib: Mapping[str, Function],
    ) -> None:
        self.env = env
        self.builtins = dict(builtins)
        self.stdlib = stdlib
        self.evaluator = Evaluator(self)
        self.vars: dict[str, _VariableDef] = {}
        self.attrs: dict[str, Attribute] = {}
        self.funcs: dict[str, _FunctionDef] = {}
        self.blocks: list[Block] = []
        self.values: dict[str, Any] = {}
        self.functions: dict[str, Function] = {}
        self.in_progress: set[str] = set()
        self.instances: dict[int, list[_Instance]] = {}
        self.by_name: dict[str, dict[str, list[tuple[int, int]]]] = {t: {} for t in _BLOCK_TYPES}
        self.attr_progress: set[tuple[int, int, str]] = set()
        reserved = {*_BLOCK_TYPES, *builtins}
        for body in bodies:
            self._collect(body, reserved)

    def _collect(self, body: Body, reserved: set[str]) -> None:
        for block in body.blocks:
            if block.type == "variable":
                if len(block.labels) != 1:
                    raise BakeFileError(
                        "Missing name for variable; All variable blocks must have 1 label: name.", block.where
                    )
                if block.labels[0] not in reserved:
                    self.vars[block.labels[0]] = self._variable(block)
            elif block.type == "function":
                if len(block.labels) != 1:
                    raise BakeFileError(
                        "Missing name for function; All function blocks must have 1 label: name.", block.where
                    )
                if block.labels[0] not in reserved:
                    self.funcs[block.labels[0]] = _FunctionDef(block.labels[0], block)
            elif block.type in _BLOCK_TYPES:
                if len(block.labels) != 1:
                    where = block.label_where[0] if block.label_where else block.where
                    raise BakeFileError(f"Invalid block; invalid block label: [{' '.join(block.labels)}]", where)
                self.blocks.append(block)
            # Any other block goes to a remainder buildx never reads: it is ignored, not an error.
        for attr in body.attributes:
            if attr.name not in reserved and attr.name != "function":
                self.attrs[attr.name] = attr

    def _variable(self, block: Block) -> _VariableDef:
        # A variable's other attributes and blocks go to the remainder buildx keeps and never reads.
        description_attr = block.body.attribute("description")
        description = ""
        if description_attr is not None:
            description = str(self.evaluator.eval(description_attr.expr) or "")
        type_attr = block.body.attribute("type")
        return _VariableDef(
            block.labels[0],
            block.body,
            block.where,
            type_attr.expr if type_attr else None,
            block.body.attribute("default"),
            description,
        )

    # --- Globals ---------------------------------------------------------------------------------

    def value(self, name: str, where: Where) -> Any:
        if name in self.values:
            return self.values[name]
        if name in _BLOCK_TYPES:
            return _BlockRefs(self, name)
        if name not in self.builtins and name not in self.attrs and name not in self.vars:
            known = [*self.builtins, *self.attrs, *self.vars, *_BLOCK_TYPES]
            raise fail(where, "Unknown variable", f'There is no variable named "{name}".' + _did_you_mean(name, known))
        if name in self.in_progress:
            raise BakeFileError(f"Invalid expression; variable cycle not allowed for {name}", where)
        self.in_progress.add(name)
        try:
            value = self._resolve_value(name)
        finally:
            self.in_progress.discard(name)
        self.values[name] = value
        return value

    def function(self, name: str, where: Where) -> Function:
        if name in self.stdlib:
            return self.stdlib[name]
        if name in self.functions:
            return self.functions[name]
        if name not in self.funcs:
            known = [*self.stdlib, *self.funcs]
            raise fail(
                where, "Call to unknown function", f'There is no function named "{name}".' + _did_you_mean(name, known)
            )
        key = "function " + name
        if key in self.in_progress:
            raise BakeFileError(f"Invalid expression; function cycle not allowed for {name}", where)
        self.in_progress.add(key)
        try:
            function = self._user_function(self.funcs[name])
        finally:
            self.in_progress.discard(key)
        self.functions[name] = function
        return function

    # --- variables -------------------------------------------------------------------------------

    def _resolve_value(self, name: str) -> Any:
        if name in self.builtins:
            return self.builtins[name]
        var_type, type_specified = ANY, False
        definition = self.attrs.get(name)
        default_expr = definition.expr if definition else None
        var = self.vars.get(name) if definition is None else None
        if var is not None:
            default_expr = var.default.expr if var.default else None
            if var.type_expr is not None:
                var_type = type_constraint(var.type_expr)
                type_specified = True
                var.constraint = var_type
        is_var = name in self.vars
        env_value, has_env, from_json = self._override(name, type_specified)
        if default_expr is None and not has_env and not type_specified:
            return ""
        value: Any = None
        has_value = default_expr is not None
        if default_expr is not None:
            value = self.evaluator.eval(default_expr)
            try:
                value = convert(value, var_type)
            except ConversionError as exc:
                raise BakeFileError(
                    f"Invalid value; invalid type {var_type.friendly()} for variable {name} default value: {exc}",
                    default_expr.where,
                ) from None
        if not (has_env and is_var):
            return value
        where = var.where if var is not None else default_expr.where if default_expr else None
        try:
            return self._from_env(name, env_value, var_type, type_specified, from_json, has_value, value)
        except ConversionError as exc:
            raise BakeFileError(f"Invalid value; {exc}", where) from None

    def _override(self, name: str, favor_json: bool) -> tuple[str, bool, bool]:
        value = self.env.get(name)
        has, from_json = value is not None, False
        if value is None or favor_json:
            json_name = name + _JSON_SUFFIX
            if json_name not in self.vars and json_name not in self.builtins and json_name in self.env:
                value, has, from_json = self.env[json_name], True, True
        return value or "", has, from_json

    def _from_env(
        self, name: str, text: str, var_type: Type, typed: bool, from_json: bool, has_default: bool, default: Any
    ) -> Any:
        if typed and from_json:
            try:
                data = json.loads(text, parse_float=Decimal)
            except json.JSONDecodeError as exc:
                raise ConversionError(f"failed to convert variable {name} from JSON: {exc.msg}") from None
            try:
                return convert(from_json_value(data), var_type)
            except ConversionError as exc:
                raise ConversionError(f"failed to convert variable {name} from JSON: {exc}") from None
        if var_type.kind in ("list", "set", "tuple", "map"):
            return _from_csv(name, text, var_type)
        if typed and var_type.is_primitive:
            return _primitive(name, text, var_type)
        if typed:
            raise ConversionError(f"unsupported type {var_type.friendly()} for variable {name}")
        if not has_default or default is None:
            return text
        if isinstance(default, bool):
            return _primitive(name, text, BOOL)
        if is_number(default):
            return _primitive(name, text, NUMBER)
        if isinstance(default, str):
            return text
        kind = "tuple" if isinstance(default, tuple) else "object"
        raise ConversionError(f"unsupported type {kind} for variable {name}")

    def variables(self) -> tuple[VariableInfo, ...]:
        out = []
        for name in self.vars:
            value = self.value(name, self.vars[name].where)
            var = self.vars[name]
            shown: str | None = None
            if value is not None:
                if var.constraint is not None and var.constraint.kind == "string":
                    shown = str(value)
                elif var.constraint is not None and var.constraint.kind != "any":
                    shown = _json_text(value)
                elif isinstance(value, bool):
                    shown = "true" if value else "false"
                elif is_number(value):
                    shown = format_number(value)
                elif isinstance(value, str):
                    shown = value
                else:
                    shown = _json_text(value)
            out.append(VariableInfo(name, var.description, var.constraint.friendly() if var.constraint else "", shown))
        return tuple(out)

    def validate(self) -> None:
        for var in self.vars.values():
            for rule in (b for b in var.body.blocks if b.type == "validation"):
                cond_attr = rule.body.attribute("condition")
                message_attr = rule.body.attribute("error_message")
                if cond_attr is None or message_attr is None:
                    missing = "condition" if cond_attr is None else "error_message"
                    raise BakeFileError(f'Missing required argument; The argument "{missing}" is required.', rule.where)
                result = self.evaluator.eval(cond_attr.expr)
                if result is None:
                    raise BakeFileError(
                        "Invalid condition result; Condition expression must return either true or false, not null.",
                        cond_attr.expr.where,
                    )
                try:
                    ok = convert(result, BOOL)
                except ConversionError as exc:
                    raise BakeFileError(
                        f"Invalid condition result; Invalid condition result value: {exc}", cond_attr.expr.where
                    ) from None
                if not ok:
                    message = self.evaluator.eval(message_attr.expr)
                    text = "This check failed, but has an invalid error message." if message is None else str(message)
                    raise BakeFileError(f"Validation failed; {text}", cond_attr.expr.where)

    # --- user functions --------------------------------------------------------------------------

    def _user_function(self, definition: _FunctionDef) -> Function:
        body = definition.block.body
        params_attr, result_attr = body.attribute("params"), body.attribute("result")
        variadic_attr = body.attribute("variadic_params")
        name = definition.name
        if result_attr is None:
            raise BakeFileError(f"Invalid function; empty result not allowed for {name}", definition.block.where)
        if params_attr is None:
            raise BakeFileError(f"Invalid function; empty params not allowed for {name}", definition.block.where)
        if not isinstance(params_attr.expr, TupleExpr):
            raise BakeFileError("Invalid params; A static list expression is required.", params_attr.expr.where)
        params = []
        for item in params_attr.expr.items:
            keyword = _keyword(item)
            if keyword is None:
                raise BakeFileError("Invalid param element; Each parameter name must be an identifier.", item.where)
            params.append(keyword)
        variadic = None
        if variadic_attr is not None:
            variadic = _keyword(variadic_attr.expr)
            if variadic is None:
                raise BakeFileError(
                    "Invalid param element; Each parameter name must be an identifier.", variadic_attr.where
                )
        result = result_attr.expr
        # The functions the result calls are resolved now, so a function calling itself (directly or
        # through others) is the cycle buildx reports, not an endless recursion.
        for called in sorted(calls_of(result)):
            self.function(called, result.where)
        evaluator = self.evaluator

        def call(*args: Any) -> Any:
            names = dict(zip(params, args, strict=False))
            if variadic is not None:
                names[variadic] = tuple(args[len(params) :])
            return evaluator.eval(result, Scope(names))

        return Function(tuple(params), call, variadic)

    # --- blocks ----------------------------------------------------------------------------------

    def instances_of(self, index: int) -> list[_Instance]:
        """A block's evaluations (one per matrix combination), with their names."""
        if index in self.instances:
            return self.instances[index]
        block = self.blocks[index]
        label = block.labels[0]
        label_where = block.label_where[0] if block.label_where else block.where
        _check_label(label, label_where)
        matrix_attr = block.body.attribute("matrix")
        name_attr = block.body.attribute("name")
        if block.type == "group":
            if name_attr is not None:
                raise BakeFileError("Invalid name; name is not supported for groups", label_where)
            if matrix_attr is not None:
                raise BakeFileError("Invalid name; matrix is not supported for groups", label_where)
        if name_attr is not None and matrix_attr is None:
            raise BakeFileError("Invalid name; name requires matrix", label_where)
        scopes = (
            [Scope({})] if matrix_attr is None else _matrix_scopes(self.evaluator.eval(matrix_attr.expr), matrix_attr)
        )
        out = []
        for scope in scopes:
            name = label
            if name_attr is not None:
                raw = self.evaluator.eval(name_attr.expr, scope)
                try:
                    converted = convert(raw, STRING)
                except ConversionError as exc:
                    raise BakeFileError(f"Invalid name; {exc}", label_where) from None
                if converted is None:
                    raise BakeFileError("Invalid name; the name is null", label_where)
                name = converted
                _check_label(name, label_where)
            out.append(_Instance(block, scope, name, {}))
        seen: set[str] = set()
        for inst in out:
            if inst.name in seen:
                raise BakeFileError(f'Invalid name; duplicate name "{inst.name}"', label_where)
            seen.add(inst.name)
        self.instances[index] = out
        return out

    def attribute(self, index: int, which: int, attr: Attribute) -> Any:
        """The evaluated value of one attribute of one instance (evaluated once)."""
        inst = self.instances_of(index)[which]
        if attr.name in inst.values:
            return inst.values[attr.name]
        key = (index, which, attr.name)
        if key in self.attr_progress:
            raise BakeFileError(
                f"Invalid expression; reference cycle not allowed for {inst.block.type}.{inst.name}.{attr.name}",
                attr.where,
            )
        self.attr_progress.add(key)
        try:
            value = self.evaluator.eval(attr.expr, inst.scope)
        finally:
            self.attr_progress.discard(key)
        inst.values[attr.name] = value
        return value

    def index_names(self) -> None:
        for index, block in enumerate(self.blocks):
            for which, inst in enumerate(self.instances_of(index)):
                self.by_name[block.type].setdefault(inst.name, []).append((index, which))

    def build(self, config: Config) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
        renamed: dict[str, dict[str, list[str]]] = {t: {} for t in _BLOCK_TYPES}
        for index, block in enumerate(self.blocks):
            for inst in self.instances_of(index):
                renamed[block.type].setdefault(block.labels[0], []).append(inst.name)
        for index, block in enumerate(self.blocks):
            allowed = TARGET_ATTRIBUTES if block.type == "target" else GROUP_ATTRIBUTES
            for which, inst in enumerate(self.instances_of(index)):
                # buildx decodes only the attributes it knows; any other is neither evaluated nor an error.
                attrs = [a for a in block.body.attributes if a.name in allowed]
                values = {a.name: (self.attribute(index, which, a), a.where) for a in attrs}
                if block.type == "group":
                    config.add_group(decode_group(inst.name, values))
                else:
                    spec = TargetSpec(inst.name)
                    for key, (value, where) in values.items():
                        decode_target(spec, key, value, where)
                    config.add_target(spec)
        return {t: {k: tuple(v) for k, v in names.items()} for t, names in renamed.items()}


class _BlockRefs(LazyObject):
    """`target` or `group` as a value: `target.NAME.ATTR` reads that block's attribute."""

    def __init__(self, reader: _Reader, kind: str) -> None:
        self.reader = reader
        self.kind = kind

    def attr(self, name: str, where: Where) -> Any:
        found = self.reader.by_name[self.kind].get(name)
        if not found:
            raise fail(where, "Unsupported attribute", f'This object does not have an attribute named "{name}".')
        return _BlockRef(self.reader, self.kind, found)


class _BlockRef(LazyObject):
    def __init__(self, reader: _Reader, kind: str, instances: list[tuple[int, int]]) -> None:
        self.reader = reader
        self.kind = kind
        self.instances = instances

    def attr(self, name: str, where: Where) -> Any:
        allowed = TARGET_ATTRIBUTES if self.kind == "target" else GROUP_ATTRIBUTES
        if name not in allowed:
            raise fail(where, "Unsupported attribute", f'This object does not have an attribute named "{name}".')
        value: Any = None
        for index, which in self.instances:
            attr = self.reader.blocks[index].body.attribute(name)
            if attr is not None:
                value = self.reader.attribute(index, which, attr)
        return _as_field_value(self.kind, name, value, where)


def _as_field_value(kind: str, name: str, value: Any, where: Where) -> Any:
    """A block attribute as a reference sees it: the value decoded into the field and back."""
    spec = TargetSpec("ref")
    if kind == "group":
        if value is None:
            return None
        return tuple(convert(value, Type("list", STRING))) if name == "targets" else convert(value, STRING)
    decode_target(spec, name, value, where)
    if value is None:
        return None
    return from_json_value(spec.to_json(escape=False).get(name))


def _did_you_mean(name: str, known: Sequence[str]) -> str:
    # HCL's suggestion: the closest known name within two edits.
    match = suggest(name, known, case_sensitive=True)
    return f' Did you mean "{match}"?' if match else ""


def _check_label(name: str, where: Where) -> None:
    if not _LABEL.match(name):
        raise BakeFileError('Invalid name; only "[a-zA-Z0-9_-]+" are allowed', where)


def _matrix_scopes(value: Any, attr: Attribute) -> list[Scope]:
    if not isinstance(value, dict):
        raise BakeFileError("Invalid block; matrix must be a map", attr.where)
    combos: list[dict[str, Any]] = [{}]
    for key in sorted(value):
        items = value[key]
        if not isinstance(items, tuple):
            raise BakeFileError("Invalid block; matrix values must be a list", attr.where)
        combos = [{**combo, key: item} for item in items for combo in combos]
    return [Scope(combo) for combo in combos]


def _primitive(name: str, text: str, target: Type) -> Any:
    if target.kind == "string":
        return text
    if target.kind == "bool":
        try:
            return parse_go_bool(
                text, f'failed to parse {name} as bool: strconv.ParseBool: parsing "{text}": invalid syntax'
            )
        except EntryError as exc:
            raise ConversionError(str(exc)) from None
    number = parse_number(text)
    if number is None:
        raise ConversionError(f'failed to parse {name} as number: strconv.ParseFloat: parsing "{text}": invalid syntax')
    return number


def _from_csv(name: str, text: str, target: Type) -> Any:
    try:
        fields = csv_fields(text)
    except CSVFieldError as exc:
        raise ConversionError(
            f"failed to convert variable {name} from CSV: failed to parse {text} as CSV: {exc}"
        ) from None
    wrap = f"failed to convert variable {name} from CSV: "
    if target.kind in ("list", "set"):
        assert target.element is not None
        if not target.element.is_primitive:
            raise ConversionError(wrap + f"unsupported type {target.friendly()} for CSV specification")
        items = tuple(_primitive(name, f, target.element) for f in fields)
        return HSet.of(items) if target.kind == "set" else items
    if target.kind == "tuple":
        if len(target.elements) != len(fields):
            raise ConversionError(
                wrap + f"tuple expects {len(target.elements)} elements but only {len(fields)} provided"
            )
        return tuple(_primitive(name, f, t) for f, t in zip(fields, target.elements, strict=True))
    assert target.element is not None
    out: dict[str, Any] = {}
    for item in fields:
        key, sep, value = item.partition(":")
        if not sep or ":" in value:
            raise ConversionError(wrap + f"expected one k/v pair but got {len(item.split(':'))} pieces from {item}")
        out[key] = _primitive(name, value, target.element)
    return out


def _json_text(value: Any) -> str:
    return to_json_text(value)


def read_program(
    bodies: Sequence[Body],
    config: Config,
    *,
    env: Mapping[str, str],
    builtins: Mapping[str, str],
    stdlib: Mapping[str, Function],
) -> Program:
    """Evaluate the merged bodies into `config` (targets merged into any already there)."""
    reader = _Reader(bodies, env, builtins, stdlib)
    for name in reader.builtins:
        reader.value(name, bodies[0].where if bodies else _nowhere())
    variables = reader.variables()
    reader.validate()
    for name, definition in reader.funcs.items():
        reader.function(name, definition.block.where)
    reader.index_names()
    renamed = reader.build(config)
    for name, attr in reader.attrs.items():
        reader.value(name, attr.where)
    return Program(config, variables, renamed)


def _nowhere() -> Where:
    return Where("", 0, 0)
