"""The functions a bake file can call: the go-cty standard library functions buildx registers, and
buildx's own (`sanitize`, `homedir`, `basename`, `dirname`, `indexof`, ...).

Each takes and returns the evaluator's values; a refusal raises `FunctionError` with the reason.
`try` and `can` are not here: they take unevaluated expressions, so the evaluator runs them.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import os
import posixpath
import re
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from buildwright._csvfields import CSVFieldError, csv_fields
from buildwright._gopath import clean
from buildwright.bakefile.evaluate import Function, FunctionError, modulo
from buildwright.bakefile.values import (
    NUMBER,
    ConversionError,
    HSet,
    Number,
    convert,
    from_json_value,
    is_number,
    normalize_number,
    same,
    to_json_text,
    to_string,
    type_name,
    unify,
)


def _str(value: Any, what: str = "argument") -> str:
    if value is None:
        raise FunctionError(f"{what} must not be null")
    try:
        text = to_string(value)
    except ConversionError as exc:
        raise FunctionError(f"{what}: {exc}") from None
    assert text is not None
    return text


def _num(value: Any, what: str = "argument") -> Number:
    if value is None:
        raise FunctionError(f"{what} must not be null")
    try:
        number = convert(value, NUMBER)
    except ConversionError:
        raise FunctionError(f"{what}: a number is required") from None
    return number  # type: ignore[no-any-return]


def _int(value: Any, what: str = "argument") -> int:
    number = _num(value, what)
    if not isinstance(number, int):
        raise FunctionError(f"{what}: value must be a whole number")
    return number


def _list(value: Any, what: str = "argument") -> tuple[Any, ...]:
    if not isinstance(value, tuple):
        raise FunctionError(f"{what}: list, tuple or set required, but have {type_name(value)}")
    return value


def _map(value: Any, what: str = "argument") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FunctionError(f"{what}: map or object required, but have {type_name(value)}")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise FunctionError(f"bool required, but have {type_name(value)}")


# --- strings ---------------------------------------------------------------------------------------


def _sanitize(name: Any) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "_", _str(name), flags=re.ASCII)


def _substr(text: Any, offset: Any, length: Any) -> str:
    s, off, n = _str(text), _int(offset), _int(length)
    if off < 0:
        off = max(len(s) + off, 0)
    if off > len(s):
        return ""
    if n < 0:
        return s[off:]
    return s[off : off + n]


def _title(text: Any) -> str:
    return re.sub(r"(^|[^\w])(\w)", lambda m: m.group(1) + m.group(2).upper(), _str(text))


def _indent(spaces: Any, text: Any) -> str:
    pad = " " * _int(spaces)
    lines = _str(text).split("\n")
    return "\n".join([lines[0], *(pad + line for line in lines[1:])])


def _chomp(text: Any) -> str:
    return re.sub(r"(?:\r\n|\r|\n)+$", "", _str(text))


def _split(sep: Any, text: Any) -> tuple[str, ...]:
    s, separator = _str(text), _str(sep)
    if separator == "":
        return tuple(s)
    return tuple(s.split(separator))


def _join(sep: Any, *lists: Any) -> str:
    if not lists:
        raise FunctionError("at least one list is required")
    items: list[str] = []
    for value in lists:
        for item in _list(value):
            if item is None:
                raise FunctionError("element is null: cannot include a null value in a joined string")
            items.append(_str(item))
    return _str(sep).join(items)


def _trim(text: Any, cutset: Any) -> str:
    return _str(text).strip(_str(cutset))


# --- format ----------------------------------------------------------------------------------------

_VERB = re.compile(r"%(?P<flags>[-+# 0]*)(?P<width>\d+)?(?:\.(?P<prec>\d+))?(?P<verb>[a-zA-Z%])")


def _format(fmt: Any, *args: Any) -> str:
    spec = _str(fmt, "format")
    out: list[str] = []
    index = 0
    pos = 0
    for match in _VERB.finditer(spec):
        out.append(spec[pos : match.start()])
        pos = match.end()
        verb = match.group("verb")
        if verb == "%":
            out.append("%")
            continue
        if index >= len(args):
            raise FunctionError(f"not enough arguments for {match.group(0)!r} at {match.start()}")
        out.append(_format_one(match, args[index]))
        index += 1
    out.append(spec[pos:])
    if index < len(args):
        raise FunctionError(f"too many arguments; only {index} used by format string")
    return "".join(out)


def _format_one(match: re.Match[str], value: Any) -> str:
    verb, flags = match.group("verb"), match.group("flags")
    width = int(match.group("width") or 0)
    prec = match.group("prec")
    if verb in ("v", "s"):
        text = to_json_text(value) if verb == "v" and isinstance(value, tuple | dict) else _str(value)
        if prec is not None:
            text = text[: int(prec)]
    elif verb == "q":
        text = json.dumps(_str(value), ensure_ascii=False)
    elif verb == "t":
        text = "true" if _bool(value) else "false"
    elif verb in "dbox":
        number = _int(value)
        base = {"d": "d", "b": "b", "o": "o", "x": "x"}[verb]
        text = format(number, base)
        if "+" in flags and number >= 0:
            text = "+" + text
    elif verb == "X":
        text = format(_int(value), "X")
    elif verb in "feEgG":
        real = float(_num(value))
        text = format(real, f".{prec if prec is not None else 6}{verb}")
        if "+" in flags and real >= 0:
            text = "+" + text
    else:
        raise FunctionError(f"unsupported format verb %{verb}")
    if width > len(text):
        if "-" in flags:
            text = text.ljust(width)
        elif "0" in flags and verb not in "sqv":
            sign = text[0] if text[:1] in "+-" else ""
            text = sign + text[len(sign) :].rjust(width - len(sign), "0")
        else:
            text = text.rjust(width)
    return text


def _formatlist(fmt: Any, *args: Any) -> tuple[str, ...]:
    lengths = {len(a) for a in args if isinstance(a, tuple)}
    if len(lengths) > 1:
        raise FunctionError("all list arguments must have the same length")
    count = lengths.pop() if lengths else 1
    return tuple(_format(fmt, *(a[i] if isinstance(a, tuple) else a for a in args)) for i in range(count))


# --- regular expressions ---------------------------------------------------------------------------


def _compile(pattern: Any) -> re.Pattern[str]:
    text = _str(pattern, "pattern")
    # Go's RE2 syntax, where Python's differs: named groups (?P<n>...) are the same; \z is \Z.
    try:
        return re.compile(text.replace(r"\z", r"\Z"))
    except re.error as exc:
        raise FunctionError(f"invalid regular expression pattern: {exc}") from None


def _match_value(regex: re.Pattern[str], match: re.Match[str]) -> Any:
    # A group that took no part in the match is null.
    if regex.groupindex:
        return {name: match.group(name) for name in sorted(regex.groupindex)}
    if regex.groups:
        return tuple(match.groups())
    return match.group(0)


def _regex(pattern: Any, text: Any) -> Any:
    regex = _compile(pattern)
    match = regex.search(_str(text))
    if match is None:
        raise FunctionError("pattern did not match any part of the given string")
    return _match_value(regex, match)


def _regexall(pattern: Any, text: Any) -> tuple[Any, ...]:
    regex = _compile(pattern)
    return tuple(_match_value(regex, m) for m in regex.finditer(_str(text)))


def _regex_replace(text: Any, pattern: Any, replacement: Any) -> str:
    regex = _compile(pattern)
    template = _str(replacement)

    def expand(match: re.Match[str]) -> str:
        # Go's Expand: $1, ${1}, $name, ${name}; $$ is a dollar.
        def group(m: re.Match[str]) -> str:
            if m.group(0) == "$$":
                return "$"
            name = m.group(1) or m.group(2)
            try:
                value = match.group(int(name) if name.isdigit() else name)
            except (IndexError, re.error):
                return ""
            return value or ""

        return re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)", group, template)

    return regex.sub(expand, _str(text))


# --- collections -----------------------------------------------------------------------------------


def _length(value: Any) -> int:
    if isinstance(value, tuple | dict):
        return len(value)
    raise FunctionError(f"collection must be a list, a map or a tuple, not {type_name(value)}")


def _concat(*lists: Any) -> tuple[Any, ...]:
    out: list[Any] = []
    for value in lists:
        out.extend(_list(value))
    return tuple(out)


def _contains(collection: Any, value: Any) -> bool:
    return any(same(item, value) for item in _list(collection))


def _distinct(collection: Any) -> tuple[Any, ...]:
    out: list[Any] = []
    # The argument is a list: its elements are unified first (so 1 and "1" are the same).
    for item in unify(_list(collection)):
        if not any(same(item, seen) for seen in out):
            out.append(item)
    return tuple(out)


def _flatten(collection: Any) -> tuple[Any, ...]:
    out: list[Any] = []
    for item in _list(collection):
        if isinstance(item, tuple):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return tuple(out)


def _element(collection: Any, index: Any) -> Any:
    items = _list(collection)
    if not items:
        raise FunctionError("cannot use element function with an empty list")
    position = _int(index)
    if position < 0:
        raise FunctionError("cannot use element function with a negative index")
    return items[position % len(items)]


def _indexof(collection: Any, value: Any) -> int:
    items = _list(collection)
    if not items:
        raise FunctionError("cannot search an empty list")
    for i, item in enumerate(items):
        if same(item, value):
            return i
    raise FunctionError("item not found")


def _index(collection: Any, key: Any) -> Any:
    if isinstance(collection, tuple) and not isinstance(collection, HSet):
        if not is_number(key):
            raise FunctionError("key for tuple must be number")
        position = _int(key)
        if not 0 <= position < len(collection):
            raise FunctionError("the given index is out of range")
        return collection[position]
    if isinstance(collection, dict):
        name = _str(key)
        if name not in collection:
            raise FunctionError("the given key does not identify an element in this collection")
        return collection[name]
    raise FunctionError("the given value is not indexable")


def _keys(value: Any) -> tuple[str, ...]:
    return tuple(sorted(_map(value)))


def _values(value: Any) -> tuple[Any, ...]:
    mapping = _map(value)
    return tuple(mapping[k] for k in sorted(mapping))


def _lookup(mapping: Any, key: Any, default: Any) -> Any:
    values = _map(mapping)
    name = _str(key)
    return values.get(name, default)


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for value in maps:
        if value is None:
            continue
        out.update(_map(value))
    return {k: out[k] for k in sorted(out)}


def _coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    raise FunctionError("no non-null arguments")


def _coalescelist(*lists: Any) -> Any:
    for value in lists:
        if _list(value):
            return value
    raise FunctionError("no non-null arguments")


def _compact(collection: Any) -> tuple[str, ...]:
    return tuple(_str(i) for i in _list(collection) if i is not None and i != "")


def _range(*args: Any) -> tuple[Number, ...]:
    numbers = [_num(a) for a in args]
    start: Number
    stop: Number
    step: Number
    if len(numbers) == 1:
        start, stop, step = 0, numbers[0], 1
    elif len(numbers) == 2:
        start, stop = numbers
        step = 1 if stop >= start else -1
    elif len(numbers) == 3:
        start, stop, step = numbers
    else:
        raise FunctionError("must have one, two, or three arguments")
    if step == 0:
        raise FunctionError("step must not be zero")
    if (step > 0 and start > stop) or (step < 0 and start < stop):
        raise FunctionError("step and range direction do not match")
    out: list[Number] = []
    value = start
    while (step > 0 and value < stop) or (step < 0 and value > stop):
        out.append(normalize_number(value))
        if len(out) > 1024:
            raise FunctionError(
                "more than 1024 values were generated; either decrease the "
                "difference between start and end or use a smaller step"
            )
        value += step
    return tuple(out)


def _sort(collection: Any) -> tuple[str, ...]:
    return tuple(sorted(_str(i) for i in _list(collection)))


def _reverse(text: Any) -> str:
    return _str(text)[::-1]


def _reverselist(collection: Any) -> tuple[Any, ...]:
    return tuple(reversed(_list(collection)))


def _slice(collection: Any, start: Any, end: Any) -> tuple[Any, ...]:
    items = _list(collection)
    first, last = _int(start), _int(end)
    if first < 0 or last > len(items) or first > last:
        raise FunctionError("the start and end indexes must be within the list and start must not be greater than end")
    return items[first:last]


def _chunklist(collection: Any, size: Any) -> tuple[tuple[Any, ...], ...]:
    items, n = _list(collection), _int(size)
    if n < 0:
        raise FunctionError("the size argument must be positive")
    if n == 0:
        return (items,)
    return tuple(items[i : i + n] for i in range(0, len(items), n))


def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    names, items = _list(keys), _list(values)
    if len(names) != len(items):
        raise FunctionError("number of keys and values must be equal")
    return {_str(k): v for k, v in sorted(zip(names, items, strict=True), key=lambda kv: _str(kv[0]))}


def _hasindex(collection: Any, key: Any) -> bool:
    if isinstance(collection, dict):
        return _str(key) in collection
    if isinstance(collection, tuple):
        try:
            position = _int(key)
        except FunctionError:
            return False
        return 0 <= position < len(collection)
    return False


def _setop(op: Callable[[list[Any], list[Any]], list[Any]]) -> Callable[..., HSet]:
    def run(first: Any, *others: Any) -> HSet:
        result = list(HSet.of(_list(first)))
        for other in others:
            result = op(result, list(HSet.of(_list(other))))
        return HSet.of(result)

    return run


def _union(a: list[Any], b: list[Any]) -> list[Any]:
    return [*a, *b]


def _intersection(a: list[Any], b: list[Any]) -> list[Any]:
    return [x for x in a if any(same(x, y) for y in b)]


def _subtract(a: list[Any], b: list[Any]) -> list[Any]:
    return [x for x in a if not any(same(x, y) for y in b)]


def _symmetric(a: list[Any], b: list[Any]) -> list[Any]:
    return _subtract(a, b) + _subtract(b, a)


def _sethaselement(collection: Any, value: Any) -> bool:
    return any(same(x, value) for x in _list(collection))


def _setproduct(*sets: Any) -> tuple[tuple[Any, ...], ...]:
    combos: list[tuple[Any, ...]] = [()]
    for value in sets:
        combos = [(*c, item) for c in combos for item in _list(value)]
    return tuple(combos)


# --- numbers ---------------------------------------------------------------------------------------


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Number]:
    def run(a: Any, b: Any) -> Number:
        return normalize_number(op(_num(a), _num(b)))

    return run


def _divide(a: Any, b: Any) -> Number:
    x, y = _num(a), _num(b)
    if y == 0:
        raise FunctionError("can't divide by zero")
    return normalize_number(Fraction(x) / y)


def _modulo(a: Any, b: Any) -> Number:
    x, y = _num(a), _num(b)
    if y == 0:
        raise FunctionError("can't divide by zero")
    return modulo(x, y)


def _min(*values: Any) -> Number:
    if not values:
        raise FunctionError("must pass at least one number")
    return min(_num(v) for v in values)


def _max(*values: Any) -> Number:
    if not values:
        raise FunctionError("must pass at least one number")
    return max(_num(v) for v in values)


def _parseint(text: Any, base: Any) -> int:
    radix = _int(base)
    if radix < 2 or radix > 62:
        raise FunctionError("base must be a whole number between 2 and 62 inclusive")
    try:
        return int(_str(text), radix)
    except ValueError:
        raise FunctionError(f"cannot parse {json.dumps(_str(text))} as a base {radix} integer") from None


def _signum(value: Any) -> int:
    number = _num(value)
    return (number > 0) - (number < 0)


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def run(a: Any, b: Any) -> bool:
        return op(_num(a), _num(b))

    return run


def _to_int(value: Any) -> int:
    return math.trunc(_num(value))


def _pow(base: Any, power: Any) -> Number:
    x, y = _num(base), _num(power)
    if isinstance(y, int) and y >= 0:
        return normalize_number(Fraction(x) ** y)
    return normalize_number(math.pow(float(x), float(y)))


# --- encodings, hashes, paths, time ----------------------------------------------------------------


def _jsonencode(value: Any) -> str:
    return to_json_text(value)


def _jsondecode(text: Any) -> Any:
    try:
        return from_json_value(json.loads(_str(text), parse_float=Decimal))
    except json.JSONDecodeError as exc:
        raise FunctionError(str(exc)) from None


def _csvdecode(text: Any) -> tuple[dict[str, str], ...]:
    lines = [line for line in _str(text).splitlines() if line]
    if not lines:
        raise FunctionError("missing header line")
    try:
        header = csv_fields(lines[0])
        rows = [csv_fields(line) for line in lines[1:]]
    except CSVFieldError as exc:
        raise FunctionError(str(exc)) from None
    out = []
    for row in rows:
        if len(row) != len(header):
            raise FunctionError("wrong number of fields in record")
        out.append({k: row[i] for i, k in sorted(enumerate(header), key=lambda kv: kv[1])})
    return tuple(out)


def _hash(algorithm: str) -> Callable[[Any], str]:
    def run(text: Any) -> str:
        return hashlib.new(algorithm, _str(text).encode()).hexdigest()

    return run


def _base64decode(text: Any) -> str:
    try:
        return base64.b64decode(_str(text), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FunctionError(f"failed to decode base64 data: {exc}") from None


def _homedir() -> str:
    return os.path.expanduser("~")


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _uuidv5(namespace: Any, name: Any) -> str:
    spaces = {
        "dns": uuid.NAMESPACE_DNS,
        "url": uuid.NAMESPACE_URL,
        "oid": uuid.NAMESPACE_OID,
        "x500": uuid.NAMESPACE_X500,
    }
    key = _str(namespace)
    try:
        space = spaces[key] if key in spaces else uuid.UUID(key)
    except ValueError:
        raise FunctionError(f"uuidv5() doesn't support namespace {key}") from None
    return str(uuid.uuid5(space, _str(name)))


def _basename(path: Any) -> str:
    text = _str(path)
    if text == "":
        return "."
    text = text.rstrip("/")
    return posixpath.basename(text) if text else "/"


def _dirname(path: Any) -> str:
    text = _str(path)
    slash = text.rfind("/")
    return clean(text[: slash + 1]) if slash >= 0 else "."


def _parse_rfc3339(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FunctionError(f'not a valid RFC3339 timestamp: cannot use "{text}" as year') from None


_DATE_TOKENS = re.compile(
    r"YYYY|YY|MMMM|MMM|MM|M|DD|D|EEEE|EEE|hh|h|HH|H|mm|m|ss|s|AA|aa|ZZZZZ|ZZZZ|ZZZ|Z|'(?:[^']|'')*'"
)


def _formatdate(fmt: Any, stamp: Any) -> str:
    when = _parse_rfc3339(_str(stamp))

    def token(match: re.Match[str]) -> str:
        t = match.group(0)
        if t.startswith("'"):
            return t[1:-1].replace("''", "'")
        offset = when.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        sign = "+" if minutes >= 0 else "-"
        hours, mins = divmod(abs(minutes), 60)
        table = {
            "YYYY": f"{when.year:04d}",
            "YY": f"{when.year % 100:02d}",
            "MMMM": when.strftime("%B"),
            "MMM": when.strftime("%b"),
            "MM": f"{when.month:02d}",
            "M": str(when.month),
            "DD": f"{when.day:02d}",
            "D": str(when.day),
            "EEEE": when.strftime("%A"),
            "EEE": when.strftime("%a"),
            "hh": f"{when.hour:02d}",
            "h": str(when.hour),
            "HH": f"{(when.hour % 12) or 12:02d}",
            "H": str((when.hour % 12) or 12),
            "mm": f"{when.minute:02d}",
            "m": str(when.minute),
            "ss": f"{when.second:02d}",
            "s": str(when.second),
            "AA": "AM" if when.hour < 12 else "PM",
            "aa": "am" if when.hour < 12 else "pm",
            "ZZZZZ": f"{sign}{hours:02d}:{mins:02d}",
            "ZZZZ": f"{sign}{hours:02d}{mins:02d}",
            "ZZZ": "UTC" if minutes == 0 else f"{sign}{hours:02d}{mins:02d}",
            "Z": "Z" if minutes == 0 else f"{sign}{hours:02d}:{mins:02d}",
        }
        return table[t]

    return _DATE_TOKENS.sub(token, _str(fmt))


def _network(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(_str(prefix), strict=False)
    except ValueError as exc:
        raise FunctionError(f"invalid CIDR expression: {exc}") from None


def _cidrhost(prefix: Any, hostnum: Any) -> str:
    network = _network(prefix)
    number = _int(hostnum)
    if number < 0:
        number += network.num_addresses
    if not 0 <= number < network.num_addresses:
        raise FunctionError(f"prefix of {network.prefixlen} does not accommodate a host numbered {_int(hostnum)}")
    return str(network.network_address + number)


def _cidrnetmask(prefix: Any) -> str:
    network = _network(prefix)
    if network.version != 4:
        raise FunctionError("only IPv4 networks have a netmask")
    return str(network.netmask)


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    network = _network(prefix)
    bits, number = _int(newbits), _int(netnum)
    length = network.prefixlen + bits
    if length > network.max_prefixlen:
        raise FunctionError(f"insufficient address space to extend prefix of {network.prefixlen} by {bits}")
    if not 0 <= number < 2**bits:
        raise FunctionError(f"prefix extension of {bits} does not accommodate a subnet numbered {number}")
    base = int(network.network_address) + (number << (network.max_prefixlen - length))
    return f"{ipaddress.ip_address(base)}/{length}"


def _cidrsubnets(prefix: Any, *newbits: Any) -> tuple[str, ...]:
    network = _network(prefix)
    out: list[str] = []
    current = int(network.network_address)
    end = current + network.num_addresses
    for value in newbits:
        length = network.prefixlen + _int(value)
        if length > network.max_prefixlen:
            raise FunctionError(
                f"would extend prefix to {length} bits, which is too long for an IPv{network.version} address"
            )
        size = 1 << (network.max_prefixlen - length)
        current = -(-current // size) * size
        if current + size > end:
            raise FunctionError("not enough remaining address space for a subnet with a prefix of " + str(length))
        out.append(f"{ipaddress.ip_address(current)}/{length}")
        current += size
    return tuple(out)


def _f(impl: Callable[..., Any], *params: str, variadic: str | None = None) -> Function:
    return Function(params, impl, variadic)


def stdlib() -> Mapping[str, Function]:
    """The functions by name."""
    return {
        "absolute": _f(lambda v: abs(_num(v)), "num"),
        "add": _f(_arith(lambda a, b: a + b), "a", "b"),
        "and": _f(lambda a, b: _bool(a) and _bool(b), "a", "b"),
        "base64decode": _f(_base64decode, "str"),
        "base64encode": _f(lambda s: base64.b64encode(_str(s).encode()).decode(), "str"),
        "basename": _f(_basename, "path"),
        "byteslen": _f(lambda s: len(_str(s).encode()), "buf"),
        "ceil": _f(lambda v: math.ceil(_num(v)), "num"),
        "chomp": _f(_chomp, "str"),
        "chunklist": _f(_chunklist, "list", "size"),
        "cidrhost": _f(_cidrhost, "prefix", "hostnum"),
        "cidrnetmask": _f(_cidrnetmask, "prefix"),
        "cidrsubnet": _f(_cidrsubnet, "prefix", "newbits", "netnum"),
        "cidrsubnets": _f(_cidrsubnets, "prefix", variadic="newbits"),
        "coalesce": _f(_coalesce, variadic="vals"),
        "coalescelist": _f(_coalescelist, variadic="vals"),
        "compact": _f(_compact, "list"),
        "concat": _f(_concat, variadic="seqs"),
        "contains": _f(_contains, "list", "value"),
        "csvdecode": _f(_csvdecode, "str"),
        "dirname": _f(_dirname, "path"),
        "distinct": _f(_distinct, "list"),
        "divide": _f(_divide, "a", "b"),
        "element": _f(_element, "list", "index"),
        "equal": _f(same, "a", "b"),
        "flatten": _f(_flatten, "list"),
        "floor": _f(lambda v: math.floor(_num(v)), "num"),
        "format": _f(_format, "format", variadic="args"),
        "formatdate": _f(_formatdate, "format", "time"),
        "formatlist": _f(_formatlist, "format", variadic="args"),
        "greaterthan": _f(_compare(lambda a, b: a > b), "a", "b"),
        "greaterthanorequalto": _f(_compare(lambda a, b: a >= b), "a", "b"),
        "hasindex": _f(_hasindex, "collection", "key"),
        "homedir": _f(_homedir),
        "indent": _f(_indent, "spaces", "str"),
        "index": _f(_index, "collection", "key"),
        "indexof": _f(_indexof, "list", "value"),
        "int": _f(_to_int, "num"),
        "join": _f(_join, "separator", variadic="lists"),
        "jsondecode": _f(_jsondecode, "str"),
        "jsonencode": _f(_jsonencode, "val"),
        "keys": _f(_keys, "inputMap"),
        "length": _f(_length, "collection"),
        "lessthan": _f(_compare(lambda a, b: a < b), "a", "b"),
        "lessthanorequalto": _f(_compare(lambda a, b: a <= b), "a", "b"),
        "log": _f(lambda n, b: normalize_number(math.log(float(_num(n)), float(_num(b)))), "num", "base"),
        "lookup": _f(_lookup, "inputMap", "key", "default"),
        "lower": _f(lambda s: _str(s).lower(), "str"),
        "max": _f(_max, variadic="numbers"),
        "md5": _f(_hash("md5"), "str"),
        "merge": _f(_merge, variadic="maps"),
        "min": _f(_min, variadic="numbers"),
        "modulo": _f(_modulo, "a", "b"),
        "multiply": _f(_arith(lambda a, b: a * b), "a", "b"),
        "negate": _f(lambda v: normalize_number(-_num(v)), "num"),
        "not": _f(lambda v: not _bool(v), "val"),
        "notequal": _f(lambda a, b: not same(a, b), "a", "b"),
        "or": _f(lambda a, b: _bool(a) or _bool(b), "a", "b"),
        "parseint": _f(_parseint, "number", "base"),
        "pow": _f(_pow, "num", "power"),
        "range": _f(_range, variadic="params"),
        "regex": _f(_regex, "pattern", "string"),
        "regex_replace": _f(_regex_replace, "str", "substr", "replace"),
        "regexall": _f(_regexall, "pattern", "string"),
        "replace": _f(lambda s, a, b: _str(s).replace(_str(a), _str(b)), "str", "substr", "replace"),
        "reverse": _f(_reverse, "str"),
        "reverselist": _f(_reverselist, "list"),
        "sanitize": _f(_sanitize, "name"),
        "sethaselement": _f(_sethaselement, "set", "elem"),
        "setintersection": _f(_setop(_intersection), "first_set", variadic="other_sets"),
        "setproduct": _f(_setproduct, variadic="sets"),
        "setsubtract": _f(_setop(_subtract), "a", "b"),
        "setsymmetricdifference": _f(_setop(_symmetric), "first_set", variadic="other_sets"),
        "setunion": _f(_setop(_union), "first_set", variadic="other_sets"),
        "sha1": _f(_hash("sha1"), "str"),
        "sha256": _f(_hash("sha256"), "str"),
        "sha512": _f(_hash("sha512"), "str"),
        "signum": _f(_signum, "num"),
        "slice": _f(_slice, "list", "start_index", "end_index"),
        "sort": _f(_sort, "list"),
        "split": _f(_split, "separator", "str"),
        "strlen": _f(lambda s: len(_str(s)), "str"),
        "substr": _f(_substr, "str", "offset", "length"),
        "subtract": _f(_arith(lambda a, b: a - b), "a", "b"),
        "timestamp": _f(_timestamp),
        "title": _f(_title, "str"),
        "trim": _f(_trim, "str", "cutset"),
        "trimprefix": _f(lambda s, p: _str(s).removeprefix(_str(p)), "str", "prefix"),
        "trimspace": _f(lambda s: _str(s).strip(), "str"),
        "trimsuffix": _f(lambda s, p: _str(s).removesuffix(_str(p)), "str", "suffix"),
        "upper": _f(lambda s: _str(s).upper(), "str"),
        "urlencode": _f(lambda s: urllib.parse.quote_plus(_str(s), safe=""), "str"),
        "uuidv4": _f(lambda: str(uuid.uuid4())),
        "uuidv5": _f(_uuidv5, "namespace", "name"),
        "values": _f(_values, "mapping"),
        "zipmap": _f(_zipmap, "keys", "values"),
    }
