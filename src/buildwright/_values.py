"""`valueclass`: the class `dataclasses.dataclass(frozen=True, slots=True)` makes, fast.

Every process start pays for its dataclasses: for each class, `dataclasses.dataclass` writes the
source of `__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__` and `__delattr__` and
compiles it with `exec`, about a millisecond a class, most of a quarter second for a build's
imports. `valueclass` lets `dataclasses.dataclass` do the field bookkeeping (fields, defaults,
`__match_args__`, slots, `__dataclass_fields__`) with its code generation switched off, then
attaches the methods without compiling anything per class:

- `__init__`, `__eq__`, `__hash__` and `__repr__` come from template code objects, one per shape (for
  `__init__`: how many positional and keyword-only parameters, which fields have a default
  factory or are left out of `__init__`, whether there is a `__post_init__`; for the others, how
  many fields), each compiled once per process and renamed for each class with
  `CodeType.replace`. Their bodies are the ones dataclasses writes, so signatures, defaults,
  comparisons and hashes agree; a frozen `__init__` also has a faster branch for instances of
  exactly its class, storing each field through its slot (see `_init_template`).
- `copier` makes, on request, the copy `_frozen.replace` makes, from a template per field count
  too: for a class whose `__init__` only stores its arguments, a function taking the changes as
  keyword-only arguments that stores each slot through its descriptor, which is what
  `dataclasses.replace` ends up doing, at a fraction of the cost.
- `__repr__` is wrapped, as dataclasses wraps it, to show a value that contains itself as `...`;
  `__setattr__` and `__delattr__` are closures over the class and its field names that raise
  `FrozenInstanceError` as the generated ones do.
- `__dataclass_params__` is then set to what the decorator was asked for, so `dataclasses`
  (fields, replace, asdict, is_dataclass, subclassing) sees the class it would have made.

A class the fast path would get wrong goes to `dataclasses.dataclass` itself: one with an
`InitVar`, a field named `self`, its own `__setattr__`/`__delattr__` on a frozen class, or a
frozen class over a mutable dataclass (which dataclasses refuses).
A frozen class with a frozen dataclass base has dataclasses write the two frozen methods (it
refuses a non-frozen class over a frozen base), and `valueclass` adds the rest.

Type checkers see a `dataclass_transform` decorator, so fields, defaults and frozenness are
checked as for `dataclasses.dataclass`.
"""

from __future__ import annotations

import _thread
import abc
import dataclasses
import functools
import inspect
import sys
import types
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

__all__ = ["copier", "valueclass"]

_T = TypeVar("_T")

# The default dataclasses gives a parameter whose field has a default factory: reusing it keeps
# `inspect.signature` (which shows it as `<factory>`) equal to the one dataclasses makes.
_HAS_DEFAULT_FACTORY: Any = dataclasses._HAS_DEFAULT_FACTORY  # type: ignore[attr-defined]

# What the method templates name: their file (in tracebacks) and the builtins they call.
_TEMPLATES = "<buildwright._values>"
_BUILTINS: dict[str, Any] = {"_bw_object": object, "hash": hash, "NotImplemented": NotImplemented}

# The default of a copy method's parameters: a field not passed keeps its value (no caller has
# this object to pass).
_UNCHANGED: Any = object()
_OBJECT_NEW: Any = object.__new__


@overload
@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def valueclass(cls: type[_T], /) -> type[_T]: ...


@overload
def valueclass(*, frozen: bool = True, kw_only: bool = False, eq: bool = True) -> Callable[[type[_T]], type[_T]]: ...


def valueclass(
    cls: type[_T] | None = None, /, *, frozen: bool = True, kw_only: bool = False, eq: bool = True
) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """`dataclasses.dataclass(frozen=frozen, slots=True, kw_only=kw_only, eq=eq)`, made faster."""

    def wrap(cls: type[_T]) -> type[_T]:
        return _make(cls, frozen=frozen, kw_only=kw_only, eq=eq)

    return wrap if cls is None else wrap(cls)


def _make(cls: type[_T], *, frozen: bool, kw_only: bool, eq: bool) -> type[_T]:
    own = dict(cls.__dict__)
    if not _fast_path_applies(cls, own, frozen):
        return dataclasses.dataclass(cls, frozen=frozen, slots=True, kw_only=kw_only, eq=eq)
    # Past the check above, any dataclass base is frozen exactly when this class is.
    frozen_base = frozen and any(hasattr(base, "__dataclass_params__") for base in cls.__mro__[1:])
    undocumented = not own.get("__doc__")
    if undocumented:
        # dataclasses would name the class by its signature before it has an __init__, reading
        # object's signature from its text (slow, and wrong); it is named below instead.
        cls.__doc__ = cls.__name__
    # dataclasses refuses a non-frozen class over a frozen base, so there it writes the frozen
    # methods itself (and the pickling support slots need); everything else is left to us.
    made: type[_T] = dataclasses.dataclass(
        cls,
        init=False,
        repr=False,
        eq=False,
        frozen=frozen and frozen_base,
        slots=True,
        kw_only=kw_only,
    )
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    target: Any = made  # methods are set on it, which type checkers refuse on a plain type
    if "__init__" not in own:
        target.__init__ = _init(target, fields, frozen=frozen)
    if "__repr__" not in own:
        target.__repr__ = _repr(target, [f.name for f in fields if f.repr])
    compared = [f.name for f in fields if f.compare]
    if eq and "__eq__" not in own:
        target.__eq__ = _eq(target, compared)
    if frozen and not frozen_base:
        names = frozenset(f.name for f in fields)
        target.__setattr__ = _frozen_setattr(target, names)
        target.__delattr__ = _frozen_delattr(target, names)
        if "__getstate__" not in own:
            target.__getstate__ = _getstate
        if "__setstate__" not in own:
            target.__setstate__ = _setstate
    _set_hash(target, own, fields, frozen=frozen, eq=eq)
    params: Any = target.__dataclass_params__
    params.init, params.repr, params.eq, params.frozen = True, True, eq, frozen
    if undocumented:
        target.__doc__ = made.__name__ + str(inspect.signature(made)).replace(" -> None", "")
    abc.update_abstractmethods(made)
    return made


def _fast_path_applies(cls: type, own: dict[str, Any], frozen: bool) -> bool:
    """Whether the methods `_make` attaches are the ones dataclasses would write for `cls`."""
    if frozen and ("__setattr__" in own or "__delattr__" in own):
        return False  # dataclasses raises for these; let it say so
    annotations: list[tuple[str, Any]] = list(own.get("__annotations__", {}).items())
    for base in cls.__mro__[1:]:
        params = getattr(base, "__dataclass_params__", None)
        if params is None:
            continue
        if params.frozen != frozen:
            return False  # dataclasses refuses frozen over mutable and the reverse; let it say so
        annotations.extend((f.name, f.type) for f in getattr(base, "__dataclass_fields__", {}).values())
    for name, annotation in annotations:
        text = annotation if isinstance(annotation, str) else repr(annotation)
        # Init-only fields are parameters that are not fields; a field named self is renamed.
        if name == "self" or "InitVar" in text or isinstance(annotation, dataclasses.InitVar):
            return False
    return True


# -- __init__ ------------------------------------------------------------------------------------

# What one field does in __init__, in field order: store its parameter, store its parameter or
# call its default factory, store its default (a field left out of __init__), or call its factory.
_PARAM, _PARAM_OR_FACTORY, _DEFAULT, _FACTORY = "p", "f", "d", "c"

# One step: (what, which parameter or -1, which default or -1).
_Step = tuple[str, int, int]


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...], *, frozen: bool) -> Any:
    positional = [f for f in fields if f.init and not f.kw_only]
    keyword = [f for f in fields if f.init and f.kw_only]
    seen_default: dataclasses.Field[Any] | None = None
    for f in positional:
        if _has_default(f):
            seen_default = f
        elif seen_default is not None:
            # The message dataclasses gives (which names the earlier field from Python 3.13 on).
            earlier = f" {seen_default.name!r}" if sys.version_info >= (3, 13) else ""
            raise TypeError(f"non-default argument {f.name!r} follows default argument{earlier}")
    params = positional + keyword
    index = {f.name: i for i, f in enumerate(params)}
    steps: list[_Step] = []
    defaults: list[Any] = []  # the template's globals _bw_d0, _bw_d1, ...
    names = {f"_bw_p{i}": f.name for i, f in enumerate(params)}
    for f in fields:
        factory = f.default_factory
        if f.init:
            if factory is dataclasses.MISSING:
                steps.append((_PARAM, index[f.name], -1))
            else:
                steps.append((_PARAM_OR_FACTORY, index[f.name], len(defaults)))
                defaults.append(factory)
            continue
        if factory is not dataclasses.MISSING:
            steps.append((_FACTORY, -1, len(defaults)))
            defaults.append(factory)
        elif f.default is not dataclasses.MISSING:
            steps.append((_DEFAULT, -1, len(defaults)))
            defaults.append(f.default)
        else:
            continue  # left unset, as dataclasses leaves it
        names[f"_bw_a{len(steps) - 1}"] = f.name
    post_init = hasattr(cls, "__post_init__")
    scope: dict[str, Any] = {f"_bw_d{i}": d for i, d in enumerate(defaults)}
    scope["_bw_factory"] = _HAS_DEFAULT_FACTORY
    setters = _slot_setters(
        cls, [params[p].name if p >= 0 else names[f"_bw_a{k}"] for k, (_, p, _) in enumerate(steps)]
    )
    slotted = frozen and setters is not None
    if slotted:
        scope.update(setters or {})
        scope["_bw_cls"] = cls
    template = _init_template(frozen, len(positional), len(keyword), tuple(steps), post_init, slotted)
    fn = _specialise(template, cls, names, scope)
    fn.__defaults__ = tuple(_default(f) for f in positional if _has_default(f)) or None
    fn.__kwdefaults__ = {f.name: _default(f) for f in keyword if _has_default(f)} or None
    fn.__annotations__ = {f.name: f.type for f in params} | {"return": None}
    return fn


def _slot_setters(cls: type, stored: list[str]) -> dict[str, Any] | None:
    """The `__set__` of the slot of each attribute `__init__` stores, as the globals `_bw_s<step>`,
    or None when one is not a slot of `cls` (a field of a base without slots lives in a __dict__)."""
    setters: dict[str, Any] = {}
    for k, name in enumerate(stored):
        slot = getattr(cls, name, None)
        if not isinstance(slot, types.MemberDescriptorType):
            return None
        setters[f"_bw_s{k}"] = slot.__set__
    return setters


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _default(f: dataclasses.Field[Any]) -> Any:
    return _HAS_DEFAULT_FACTORY if f.default is dataclasses.MISSING else f.default


@functools.cache
def _init_template(
    frozen: bool, positional: int, keyword: int, steps: tuple[_Step, ...], post_init: bool, slotted: bool
) -> types.CodeType:
    """The code of an __init__ of one shape, with placeholder names `_init` renames per class.

    Parameters are `_bw_p<i>`, the attributes of fields left out of `__init__` `_bw_a<step>`,
    defaults and factories the globals `_bw_d<i>`; the body is the one dataclasses writes.

    A frozen class whose fields are all its slots (`slotted`) first has a branch for instances of
    exactly the class (`_bw_cls`), storing each attribute by its slot's `__set__` (`_bw_s<step>`):
    what `object.__setattr__` finds and calls, without looking it up each time, which halves
    the cost of making a value. An instance of a subclass goes the way dataclasses goes, as a
    subclass may put something else under a field's name.
    """
    params = [f"_bw_p{i}" for i in range(positional + keyword)]
    keyword_params = ["*", *params[positional:]] if keyword else []
    lines = [f"def __init__({', '.join(['self', *params[:positional], *keyword_params])}):"]
    if slotted and steps:
        lines.append("    if self.__class__ is _bw_cls:")
        for k, (kind, param, default) in enumerate(steps):
            attribute = f"_bw_p{param}" if param >= 0 else f"_bw_a{k}"
            lines.append(f"        _bw_s{k}(self, {_init_source(kind, attribute, default)})")
        if post_init:
            lines.append("        self.__post_init__()")
        lines.append("        return")
    for k, (kind, param, default) in enumerate(steps):
        attribute = f"_bw_p{param}" if param >= 0 else f"_bw_a{k}"
        source = _init_source(kind, attribute, default)
        if frozen:
            lines.append(f"    _bw_object.__setattr__(self, {attribute!r}, {source})")
        else:
            lines.append(f"    self.{attribute} = {source}")
    if post_init:
        lines.append("    self.__post_init__()")
    lines.append("    pass")
    return _compile(*lines)


def _init_source(kind: str, attribute: str, default: int) -> str:
    """The expression of the value one step of `__init__` stores."""
    if kind == _PARAM:
        return attribute
    if kind == _PARAM_OR_FACTORY:
        return f"_bw_d{default}() if {attribute} is _bw_factory else {attribute}"
    if kind == _DEFAULT:
        return f"_bw_d{default}"
    return f"_bw_d{default}()"


def _compile(*lines: str) -> types.CodeType:
    """The code of the one function `lines` define."""
    module = compile("\n".join(lines), _TEMPLATES, "exec")
    return next(c for c in module.co_consts if isinstance(c, types.CodeType))


def _specialise(template: types.CodeType, cls: type, names: dict[str, str], scope: dict[str, Any] | None = None) -> Any:
    """A method of `cls` from `template`, its placeholder names (locals, attributes, attribute
    names held as constants) renamed by `names` and its globals `scope`."""
    qualname = f"{cls.__qualname__}.{template.co_name}"
    rename = names.get  # rename(x, x): x's new name, or x (constants that are not names included)
    code = template.replace(
        co_varnames=tuple(map(rename, template.co_varnames, template.co_varnames)),
        co_names=tuple(map(rename, template.co_names, template.co_names)),
        co_consts=tuple(map(rename, template.co_consts, template.co_consts)),
        co_qualname=qualname,
    )
    # The templates' globals: the builtins they name, and what `scope` adds (defaults, factories).
    method = types.FunctionType(code, {"__name__": cls.__module__, **_BUILTINS, **(scope or {})})
    method.__qualname__ = qualname
    return method


# -- the copy --------------------------------------------------------------------------------


def copier(cls: type) -> Callable[..., Any] | None:
    """A copy method for a value class whose `__init__` only stores its arguments, else None.

    It is called as `copy(obj, **changes)`, gives what `dataclasses.replace(obj, **changes)`
    gives, and raises TypeError for a name that is no field. It is made on request rather than
    with the class: a process copies values of a few dozen classes, and imports two hundred.
    """
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    # Only an __init__ made here is known to store its arguments and nothing else (a subclass
    # the fast path did not make, or a class writing its own __init__, may do more).
    if code is None or code.co_filename != _TEMPLATES or hasattr(cls, "__post_init__"):
        return None
    if getattr(cls, "__new__", None) is not _OBJECT_NEW:
        return None  # an instance made without calling the class skips its own __new__
    fields = dataclasses.fields(cls)
    setters: dict[str, Any] = {}
    for i, f in enumerate(fields):
        slot = getattr(cls, f.name, None)
        # Every field a parameter stored in a slot: a base without slots keeps fields in a __dict__,
        # and a field out of __init__ is one replace refuses to change (with its own error).
        if not f.init or f.name.startswith("_bw_") or not isinstance(slot, types.MemberDescriptorType):
            return None
        setters[f"_bw_s{i}"] = slot.__set__  # stores past the frozen __setattr__, as __init__ does
    names = {f"_bw_p{i}": f.name for i, f in enumerate(fields)}
    method = _specialise(
        _copy_template(len(fields)), cls, names, {"_bw_cls": cls, "_bw_unchanged": _UNCHANGED, **setters}
    )
    method.__kwdefaults__ = dict.fromkeys(names.values(), _UNCHANGED) or None
    copy: Callable[..., Any] = method
    return copy


@functools.cache
def _copy_template(count: int) -> types.CodeType:
    """A copy over `count` fields: parameters `_bw_p<i>` (each also the attribute it replaces),
    each field stored by the setter `_bw_s<i>` into an instance made without `__init__`."""
    params = "".join(f", _bw_p{i}=_bw_unchanged" for i in range(count))
    lines = [f"def _bw_copy(self, /{', *' if count else ''}{params}):", "    _bw_new = _bw_object.__new__(_bw_cls)"]
    lines += [f"    _bw_s{i}(_bw_new, self._bw_p{i} if _bw_p{i} is _bw_unchanged else _bw_p{i})" for i in range(count)]
    lines.append("    return _bw_new")
    return _compile(*lines)


# -- the other methods: closures, nothing compiled ----------------------------------------------


def _repr(cls: type, names: list[str]) -> Callable[[Any], str]:
    renames = {f"_bw_p{i}": n for i, n in enumerate(names)}
    # The template's text between the fields, "(_bw_p0=", ", _bw_p1=", ..., names each field.
    renames.update({f"{', ' if i else '('}_bw_p{i}=": f"{', ' if i else '('}{n}=" for i, n in enumerate(names)})
    fields = _specialise(_repr_template(len(names)), cls, renames)
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = id(self), _thread.get_ident()
        if key in running:
            return "..."  # a value that contains itself, as dataclasses shows it
        running.add(key)
        try:
            result: str = fields(self)
        finally:
            running.discard(key)
        return result

    __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
    return __repr__


def _eq(cls: type, names: list[str]) -> Any:
    return _specialise(_eq_template(len(names)), cls, {f"_bw_p{i}": n for i, n in enumerate(names)})


def _hash(cls: type, names: list[str]) -> Any:
    return _specialise(_hash_template(len(names)), cls, {f"_bw_p{i}": n for i, n in enumerate(names)})


@functools.cache
def _eq_template(count: int) -> types.CodeType:
    """`__eq__` over `count` fields, as this Python's dataclasses writes it: their tuples compared
    (to 3.12), or the same object, else the fields compared one by one (from 3.13)."""
    if sys.version_info >= (3, 13):
        terms = " and ".join(f"self._bw_p{i} == other._bw_p{i}" for i in range(count)) or "True"
        return _compile(
            "def __eq__(self, other):",
            "    if self is other:",
            "        return True",
            "    if other.__class__ is self.__class__:",
            f"        return {terms}",
            "    return NotImplemented",
        )
    mine = "".join(f"self._bw_p{i}," for i in range(count))
    theirs = "".join(f"other._bw_p{i}," for i in range(count))
    return _compile(
        "def __eq__(self, other):",
        "    if other.__class__ is self.__class__:",
        f"        return ({mine}) == ({theirs})",
        "    return NotImplemented",
    )


@functools.cache
def _repr_template(count: int) -> types.CodeType:
    """`__repr__` over `count` fields: `Name(field=repr, ...)`, as dataclasses writes it."""
    fields = ", ".join(f"_bw_p{i}={{self._bw_p{i}!r}}" for i in range(count))
    return _compile("def __repr__(self):", f'    return self.__class__.__qualname__ + f"({fields})"')


@functools.cache
def _hash_template(count: int) -> types.CodeType:
    """`__hash__` over `count` fields: the hash of their tuple, as dataclasses writes it."""
    return _compile("def __hash__(self):", f"    return hash(({''.join(f'self._bw_p{i},' for i in range(count))}))")


def _set_hash(
    cls: Any, own: dict[str, Any], fields: tuple[dataclasses.Field[Any], ...], *, frozen: bool, eq: bool
) -> None:
    """`__hash__` as dataclasses decides it (without unsafe_hash)."""
    explicit = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not eq or explicit:
        return
    if not frozen:
        cls.__hash__ = None
        return
    hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
    cls.__hash__ = _hash(cls, hashed)


def _frozen_setattr(cls: Any, names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _frozen_delattr(cls: Any, names: frozenset[str]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, item in zip(dataclasses.fields(self), state, strict=False):
        object.__setattr__(self, f.name, item)  # the class may be frozen
