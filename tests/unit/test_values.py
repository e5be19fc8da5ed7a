"""`_values.valueclass` makes the class `dataclasses.dataclass(slots=True, ...)` makes.

Each shape is written once as a function of its decorator and made twice, by `valueclass` and by
`dataclasses.dataclass`; the two must agree on everything callers can see. A second test walks
every value class in the package and checks it against a dataclasses twin built from its fields.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import pkgutil
from collections.abc import Callable
from dataclasses import FrozenInstanceError, InitVar, field
from typing import Any, ClassVar

import pytest

import buildwright
from buildwright._frozen import replace
from buildwright._values import copier, valueclass

Decorator = Callable[[type], type]


def _ours(**options: Any) -> Decorator:
    return valueclass(**options)


def _theirs(**options: Any) -> Decorator:
    frozen = options.pop("frozen", True)
    return lambda cls: dataclasses.dataclass(cls, frozen=frozen, slots=True, **options)


# -- the shapes: (make the class, positional args, other args, options) --------------------------


def _empty(deco: Decorator) -> type:
    @deco
    class Empty:
        """No fields."""

    return Empty


def _one(deco: Decorator) -> type:
    @deco
    class One:
        """One field."""

        x: int

    return One


def _many(deco: Decorator) -> type:
    @deco
    class Many:
        a: int
        b: str
        c: tuple[int, ...]
        d: float
        e: bytes
        f: bool

    return Many


def _defaults(deco: Decorator) -> type:
    @deco
    class Defaults:
        """Defaults, factories, fields out of repr, comparison and hashing."""

        x: int
        y: str = "y"
        z: list[int] = field(default_factory=list)
        hidden: str = field(default="h", repr=False)
        ignored: int = field(default=0, compare=False)
        unhashed: str = field(default="u", hash=False)
        hashed_only: int = field(default=1, compare=False, hash=True)
        constant: ClassVar[int] = 3

    return Defaults


def _keywords(deco: Decorator) -> type:
    @deco
    class Keywords:
        x: int
        y: int = 2
        z: int = field(kw_only=True)
        w: dict[str, int] = field(default_factory=dict, kw_only=True)

    return Keywords


def _not_in_init(deco: Decorator) -> type:
    @deco
    class NotInInit:
        x: int
        cache: dict[str, int] = field(init=False, repr=False, compare=False, hash=False, default_factory=dict)
        fixed: str = field(init=False, default="f")

    return NotInInit


def _post_init(deco: Decorator) -> type:
    @deco
    class PostInit:
        x: int
        doubled: int = field(init=False, default=0)

        def __post_init__(self) -> None:
            object.__setattr__(self, "doubled", self.x * 2)

    return PostInit


def _base(deco: Decorator) -> type:
    @deco
    class Base:
        """A base."""

        x: int
        y: str = "y"

    return Base


def _derived(deco: Decorator) -> type:
    @deco
    class Derived(_base(deco)):  # type: ignore[misc]
        y: str = "overridden"
        z: tuple[str, ...] = ()

    return Derived


def _own_methods(deco: Decorator) -> type:
    @deco
    class OwnMethods:
        x: int
        y: int = 0

        def __eq__(self, other: object) -> bool:
            return isinstance(other, OwnMethods) and self.x == other.x

        def __repr__(self) -> str:
            return f"<{self.x}>"

    return OwnMethods


def _own_hash(deco: Decorator) -> type:
    @deco
    class OwnHash:
        x: int

        def __hash__(self) -> int:
            return 7

    return OwnHash


def _initvar(deco: Decorator) -> type:
    @deco
    class WithInitVar:  # dataclasses makes this one: the fast path does not take init-only fields
        x: int
        scale: InitVar[int] = 1

        def __post_init__(self, scale: int) -> None:
            object.__setattr__(self, "x", self.x * scale)

    return WithInitVar


def _initvar_derived(deco: Decorator) -> type:
    @deco
    class OverInitVar(_initvar(deco)):  # type: ignore[misc]  # its __init__ takes the base's init-only field
        y: int = 0

    return OverInitVar


def _named_self(deco: Decorator) -> type:
    @deco
    class NamedSelf:  # dataclasses names the instance otherwise in __init__; the fast path does not
        self: int

    return NamedSelf


SHAPES: list[tuple[Callable[[Decorator], type], tuple[Any, ...], tuple[Any, ...], dict[str, Any]]] = [
    (_empty, (), (), {}),
    (_one, (1,), (2,), {}),
    (_many, (1, "b", (1,), 1.5, b"e", True), (1, "b", (1,), 1.5, b"e", False), {}),
    (_defaults, (1,), (1, "other"), {}),
    (_defaults, (1, "y", [1], "h", 5), (2,), {}),
    (_keywords, (1,), (1, 3), {"kw_only": False}),
    (_not_in_init, (1,), (2,), {}),
    (_post_init, (3,), (4,), {}),
    (_base, (1,), (1, "z"), {}),
    (_derived, (1,), (1, "y"), {}),
    (_many, (1, "b", (), 0.0, b"", True), (2, "b", (), 0.0, b"", True), {"kw_only": True}),
    (_one, (1,), (2,), {"eq": False}),
    (_defaults, (1,), (2,), {"frozen": False}),
    (_derived, (1,), (2,), {"frozen": False}),
    (_own_methods, (1, 2), (2, 2), {}),
    (_own_hash, (1,), (2,), {}),
    (_initvar, (2,), (3,), {}),
    (_initvar_derived, (2, 3), (2, 3, 4), {}),
    (_named_self, (1,), (2,), {}),
]


def _construct(cls: type, args: tuple[Any, ...], kw_only: bool) -> Any:
    if kw_only:
        names = [p for p in inspect.signature(cls).parameters]
        return cls(**dict(zip(names, args, strict=False)))
    if cls.__name__ == "Keywords":
        return cls(*args, z=9)
    return cls(*args)


def _field_facts(cls: type) -> list[tuple[Any, ...]]:
    return [
        (f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.hash, f.compare, f.kw_only)
        for f in dataclasses.fields(cls)
    ]


def _params(cls: type) -> str:
    return repr(cls.__dataclass_params__)  # type: ignore[attr-defined]


def _all_slots(cls: type) -> list[str]:
    """The slots the dataclasses in the class's bases declare (other bases may add their own)."""
    return [s for c in cls.__mro__ if dataclasses.is_dataclass(c) for s in c.__dict__.get("__slots__", ())]


@pytest.mark.parametrize(("shape", "args", "other", "options"), SHAPES)
def test_the_class_agrees_with_the_one_dataclasses_makes(
    shape: Callable[[Decorator], type], args: tuple[Any, ...], other: tuple[Any, ...], options: dict[str, Any]
) -> None:
    ours, theirs = shape(_ours(**options)), shape(_theirs(**options))
    assert dataclasses.is_dataclass(ours)
    assert inspect.signature(ours.__init__) == inspect.signature(theirs.__init__)
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    assert _field_facts(ours) == _field_facts(theirs)
    assert _params(ours) == _params(theirs)
    assert ours.__match_args__ == theirs.__match_args__  # type: ignore[attr-defined]
    assert ours.__slots__ == theirs.__slots__  # type: ignore[attr-defined]
    assert _all_slots(ours) == _all_slots(theirs)
    assert ours.__doc__ == theirs.__doc__
    assert (ours.__hash__ is None) == (theirs.__hash__ is None)

    kw_only = options.get("kw_only", False)
    mine, same, different = (_construct(ours, a, kw_only) for a in (args, args, other))
    yours, yours_same, yours_different = (_construct(theirs, a, kw_only) for a in (args, args, other))
    assert repr(mine) == repr(yours)
    assert repr(different) == repr(yours_different)
    assert (mine == same) == (yours == yours_same)
    assert (mine == different) == (yours == yours_different)
    assert (mine != different) == (yours != yours_different)
    assert (mine == mine) == (yours == yours)
    assert (mine == object()) == (yours == object())
    if ours.__hash__ is not None and options.get("eq", True) and options.get("frozen", True):
        assert _hash(mine) == _hash(same)
        assert _hash(mine) == _hash(yours)  # the same fields hashed the same way (or refused alike)
        assert (_hash(mine) == _hash(different)) == (_hash(yours) == _hash(yours_different))
    assert dataclasses.asdict(mine) == dataclasses.asdict(yours)
    assert dataclasses.astuple(mine) == dataclasses.astuple(yours)
    assert repr(copy.deepcopy(mine)) == repr(mine)
    assert repr(copy.copy(mine)) == repr(mine)

    changes = {f.name: getattr(different, f.name) for f in dataclasses.fields(ours) if f.init}
    assert repr(dataclasses.replace(mine, **changes)) == repr(dataclasses.replace(yours, **changes))
    _check_copies(ours, mine, changes)

    if options.get("frozen", True):
        for name in [f.name for f in dataclasses.fields(ours)]:
            with pytest.raises(FrozenInstanceError) as ours_raised:
                setattr(mine, name, 1)
            with pytest.raises(FrozenInstanceError) as theirs_raised:
                setattr(yours, name, 1)
            assert str(ours_raised.value) == str(theirs_raised.value)
            if hasattr(mine, name):
                with pytest.raises(FrozenInstanceError) as ours_raised:
                    delattr(mine, name)
                with pytest.raises(FrozenInstanceError) as theirs_raised:
                    delattr(yours, name)
                assert str(ours_raised.value) == str(theirs_raised.value)
    elif dataclasses.fields(ours):
        name = dataclasses.fields(ours)[0].name
        setattr(mine, name, "set")
        setattr(yours, name, "set")
        assert repr(mine) == repr(yours)


def _check_copies(cls: type, value: Any, changes: dict[str, Any]) -> None:
    """The copy method, where there is one, gives what dataclasses.replace gives, for each change
    alone, all of them and none; `_frozen.replace` too, and both refuse what replace refuses."""
    copy = copier(cls)
    fields = dataclasses.fields(cls)
    # Only an __init__ valueclass made is known to store its arguments and do nothing else.
    simple = _made_fast(cls) and not hasattr(cls, "__post_init__") and all(f.init for f in fields)
    assert (copy is not None) == simple
    trials = [{}, changes, *({name: item} for name, item in changes.items())]
    for trial in trials:
        expected = dataclasses.replace(value, **trial)
        for made in (replace(value, **trial), *(() if copy is None else (copy(value, **trial),))):
            assert type(made) is cls
            assert made is not value
            assert [getattr(made, f.name, None) for f in fields] == [getattr(expected, f.name, None) for f in fields]
            # The same objects, as replace passes them on (a field out of __init__ gets a new default).
            assert all(getattr(made, f.name) is getattr(expected, f.name) for f in fields if f.init)
            assert repr(made) == repr(expected)
    with pytest.raises(TypeError) as theirs:
        dataclasses.replace(value, not_a_field=1)
    with pytest.raises(TypeError) as ours:
        replace(value, not_a_field=1)
    assert str(ours.value) == str(theirs.value)
    if copy is not None:
        with pytest.raises(TypeError, match="not_a_field"):
            copy(value, not_a_field=1)


def test_a_subclass_made_without_valueclass_has_no_copy_method_of_its_own() -> None:
    # It inherits the base's __init__, but a copy made for the base would be an instance of the base.
    base = _base(_ours())
    sub = type("Sub", (base,), {"__slots__": ()})
    value = sub(1, "z")
    assert copier(base) is not None
    assert copier(sub) is None
    assert type(replace(value, y="w")) is sub
    assert replace(value, y="w") == dataclasses.replace(value, y="w")


def test_a_subclass_putting_something_else_under_a_field_name_is_made_as_dataclasses_makes_it() -> None:
    # The base's __init__ stores straight into its slots only for instances of the base itself:
    # for a subclass, storing a field runs whatever the subclass has under that name.
    def sub(deco: Decorator) -> Any:
        base = _base(deco)

        class Sub(base):  # type: ignore[misc,valid-type]
            __slots__ = ("seen",)

            @property
            def y(self) -> str:
                return "from the subclass"

            @y.setter
            def y(self, value: str) -> None:
                object.__setattr__(self, "seen", value)

        return Sub(1, "given")

    ours, theirs = sub(_ours()), sub(_theirs())
    assert (ours.x, ours.y, ours.seen) == (theirs.x, theirs.y, theirs.seen) == (1, "from the subclass", "given")


def test_a_class_with_its_own_init_or_new_has_no_copy_method() -> None:
    @valueclass
    class OwnInit:
        x: int

        def __init__(self, x: int) -> None:
            object.__setattr__(self, "x", x + 1)

    @valueclass
    class OwnNew:
        x: int

        def __new__(cls, *args: Any, **kwargs: Any) -> OwnNew:
            return object.__new__(cls)  # not super(): slots=True makes a new class, which its cell misses

    assert copier(OwnInit) is None and copier(OwnNew) is None
    assert replace(OwnInit(1), x=5).x == dataclasses.replace(OwnInit(1), x=5).x == 6
    assert replace(OwnNew(1), x=5) == OwnNew(5)


def _hash(obj: object) -> int | str:
    try:
        return hash(obj)
    except TypeError as exc:
        return str(exc)


@valueclass
class _Pickled:
    x: int
    y: tuple[str, ...] = ()


@valueclass(frozen=False)
class _Record:
    items: list[Any] = field(default_factory=list)


def test_values_pickle_and_copy_through_their_fields() -> None:
    value = _Pickled(1, ("a",))
    assert pickle.loads(pickle.dumps(value)) == value
    assert copy.deepcopy(value) == value


def test_a_record_that_contains_itself_is_shown_with_an_ellipsis() -> None:
    record = _Record()
    record.items.append(record)
    assert repr(record) == "_Record(items=[...])"


def test_a_field_without_a_default_after_one_with_a_default_is_refused_as_dataclasses_refuses_it() -> None:
    def shape(deco: Decorator) -> type:
        @deco
        class Bad:
            x: int = 0
            y: int  # type: ignore[misc]

        return Bad

    with pytest.raises(TypeError) as ours:
        shape(_ours())
    with pytest.raises(TypeError) as theirs:
        shape(_theirs())
    assert str(ours.value) == str(theirs.value)


def test_missing_and_unknown_arguments_are_type_errors_naming_the_class() -> None:
    one = _one(_ours())
    with pytest.raises(TypeError, match=r"One.__init__\(\) missing 1 required positional argument: 'x'"):
        one()
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        one(1, nope=2)


def test_a_field_left_out_of_init_without_a_default_stays_unset() -> None:
    def shape(deco: Decorator) -> type:
        @deco
        class Unset:
            x: int
            later: int = field(init=False, repr=False, compare=False)

        return Unset

    for deco in (_ours(), _theirs()):
        made = shape(deco)
        assert inspect.signature(made).parameters.keys() == {"x"}
        assert not hasattr(made(1), "later")
        assert (
            repr(made(1))
            == "test_a_field_left_out_of_init_without_a_default_stays_unset.<locals>.shape.<locals>.Unset(x=1)"
        )


def test_fields_equal_by_identity_only_compare_as_dataclasses_compares_them() -> None:
    # NaN is not equal to itself: whether two values holding the same NaN are equal depends on
    # how this Python's dataclasses compares (tuples of fields, or field by field).
    nan = float("nan")
    ours, theirs = _many(_ours()), _many(_theirs())
    args = (1, "b", (), nan, b"", True)
    assert (ours(*args) == ours(*args)) == (theirs(*args) == theirs(*args))
    mine, yours = ours(*args), theirs(*args)
    assert (mine == mine) == (yours == yours)


def test_the_default_factory_runs_per_instance() -> None:
    defaults = _defaults(_ours())
    first, second = defaults(1), defaults(1)
    assert first.z == [] and first.z is not second.z


def test_a_frozen_value_cannot_extend_a_mutable_one_nor_the_reverse() -> None:
    for base_options, options in (({"frozen": False}, {}), ({}, {"frozen": False})):
        base = _base(_ours(**base_options))
        with pytest.raises(TypeError, match="frozen"):
            valueclass(**options)(type("Sub", (base,), {"__annotations__": {"z": "int"}, "z": 0}))


# -- every value class in the package ------------------------------------------------------------


def _package_value_classes() -> list[type]:
    found: dict[str, type] = {}
    for module in pkgutil.walk_packages(buildwright.__path__, "buildwright."):
        if module.name.endswith("__main__") or "._pb." in module.name:
            continue
        for item in vars(importlib.import_module(module.name)).values():
            if (
                isinstance(item, type)
                and "__dataclass_fields__" in item.__dict__
                and item.__module__.startswith("buildwright.")
            ):
                found[f"{item.__module__}.{item.__qualname__}"] = item
    return [found[name] for name in sorted(found)]


def _made_fast(cls: type) -> bool:
    init = cls.__dict__.get("__init__")
    return (
        init is not None
        and getattr(init, "__code__", None) is not None
        and (init.__code__.co_filename == "<buildwright._values>")
    )


def _twin(cls: type) -> type:
    """The class dataclasses makes from `cls`'s fields, flattened into one class."""
    namespace: dict[str, Any] = {"__annotations__": {}, "__qualname__": cls.__qualname__, "__module__": cls.__module__}
    namespace["__doc__"] = cls.__doc__
    for f in dataclasses.fields(cls):
        namespace["__annotations__"][f.name] = f.type
        namespace[f.name] = field(
            default=f.default,
            default_factory=f.default_factory,
            init=f.init,
            repr=f.repr,
            hash=f.hash,
            compare=f.compare,
            metadata=f.metadata,
            kw_only=f.kw_only,
        )
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    made = dataclasses.dataclass(type(cls.__name__, (), namespace), frozen=params.frozen, eq=params.eq, slots=True)
    return made


VALUE_CLASSES = [cls for cls in _package_value_classes() if _made_fast(cls)]


def test_the_walk_finds_the_package_value_classes() -> None:
    # Nearly every dataclass in the package is a value class; a walk that found few would prove nothing.
    assert len(VALUE_CLASSES) > 250


@pytest.mark.parametrize("cls", VALUE_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_each_package_value_class_agrees_with_its_dataclasses_twin(cls: type) -> None:
    twin = _twin(cls)
    assert inspect.signature(cls.__init__) == inspect.signature(twin.__init__)
    assert _field_facts(cls) == _field_facts(twin)
    assert _params(cls) == _params(twin)
    assert cls.__match_args__ == twin.__match_args__  # type: ignore[attr-defined]
    assert sorted(_all_slots(cls)) == sorted(_all_slots(twin))
    explicit = _explicit(cls)
    if "__hash__" not in explicit:
        assert (cls.__hash__ is None) == (twin.__hash__ is None)
    if hasattr(cls, "__post_init__") or not all(_has_default(f) for f in dataclasses.fields(cls) if f.init):
        return
    # Cheap to make: every parameter has a default. Give the twin the same values.
    mine = cls()
    arguments = {f.name: getattr(mine, f.name) for f in dataclasses.fields(cls) if f.init}
    yours = twin(**arguments)
    _check_copies(cls, mine, arguments)
    if "__repr__" not in explicit:
        assert repr(mine) == repr(yours)
    assert (mine == cls(**arguments)) == (yours == twin(**arguments))
    hashed_by_value = cls.__dataclass_params__.eq  # type: ignore[attr-defined]
    if hashed_by_value and cls.__hash__ is not None and "__hash__" not in explicit:
        try:
            expected = hash(yours)
        except TypeError:  # a field holds a dict or list: unhashable in both
            with pytest.raises(TypeError):
                hash(mine)
        else:
            assert hash(mine) == expected


def _explicit(cls: type) -> set[str]:
    """The methods the class body wrote itself (not made by dataclasses or valueclass)."""
    return {
        name
        for name in ("__eq__", "__repr__", "__hash__")
        if (code := getattr(vars(cls).get(name), "__code__", None)) is not None
        and code.co_filename.endswith(".py")
        and "_values" not in code.co_filename
    }


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
