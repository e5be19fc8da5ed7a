"""Protobuf messages as plain dicts, exactly as `json_format.MessageToDict(m, preserving_proto_field_name=True)`,
and as the text `json.dumps(that, indent=2, sort_keys=True)` writes.

`buildwright llb` prints every op of a graph; `MessageToDict` looks each field's kind up through
descriptor reflection on every value, which made it the largest part of printing a large graph.
Here each field's conversion is worked out once per field descriptor and kept for the pass. Only
what the LLB protos hold is handled (no float fields, well-known types or extensions); a message
holding anything else is handed to `MessageToDict` itself, so the result never differs.

`IndentedJson` writes a document whose leaves may be messages straight to that indented text,
without the dicts in between: building them, then walking them again to write them, was most
of the cost of the dump.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

from google.protobuf import descriptor, descriptor_pool, json_format
from google.protobuf.message import Message

_Convert = Callable[[Any], Any]

_FD = descriptor.FieldDescriptor
_INT64 = frozenset({_FD.CPPTYPE_INT64, _FD.CPPTYPE_UINT64})
_PLAIN = frozenset({_FD.CPPTYPE_INT32, _FD.CPPTYPE_UINT32})


class _Unsupported(Exception):
    """A field kind this module leaves to json_format."""


class MessageDicts:
    """Converts messages to dicts; the conversions of the fields seen are kept, so use one per pass."""

    def __init__(self) -> None:
        self._fields: dict[Any, _Convert] = {}
        self._messages: dict[Any, bool] = {}  # message descriptor -> handled here
        # json_format names enum values after a `pb.enumvalue.json` option when that extension is
        # registered; with it, every enum goes through json_format.
        try:
            descriptor_pool.Default().FindExtensionByName("pb.enumvalue.json")
        except KeyError:
            self._enum_options = False
        else:  # pragma: no cover - no proto this package loads defines it
            self._enum_options = True

    def to_dict(self, message: Any) -> Any:
        """`MessageToDict(message, preserving_proto_field_name=True)` (a dict, but for well-known types)."""
        if self._supported(message.DESCRIPTOR):
            try:
                return self._message(message)
            except _Unsupported:
                pass  # a message type nested in itself through one this module leaves alone
        return json_format.MessageToDict(message, preserving_proto_field_name=True)

    def _message(self, message: Any) -> dict[str, Any]:
        fields = self._fields
        out: dict[str, Any] = {}
        for field, value in message.ListFields():
            convert = fields.get(field)
            if convert is None:
                convert = fields[field] = self._field(field)
            out[field.name] = convert(value)
        return out

    def _supported(self, message_type: Any) -> bool:
        known = self._messages.get(message_type)
        if known is None and message_type.full_name.startswith("google.protobuf."):
            known = self._messages[message_type] = False  # well-known types have JSON forms of their own
        if known is None:
            # Provisionally handled while its fields are looked at (messages may nest themselves).
            self._messages[message_type] = True
            try:
                for field in message_type.fields:
                    self._field(field)
                known = True
            except _Unsupported:
                known = False
            self._messages[message_type] = known
        return known

    def _field(self, field: Any) -> _Convert:
        if field.is_extension:
            raise _Unsupported(field.full_name)
        message_type = field.message_type
        if message_type is not None and message_type.GetOptions().map_entry:
            key = self._value(message_type.fields_by_name["key"])
            value = self._value(message_type.fields_by_name["value"])
            key_text: _Convert = _bool_key if key is bool else str
            return lambda entries: {key_text(k): value(entries[k]) for k in entries}
        item = self._value(field)
        if field.is_repeated:
            return lambda values: [item(v) for v in values]
        return item

    def _value(self, field: Any) -> _Convert:
        cpp_type = field.cpp_type
        if cpp_type == _FD.CPPTYPE_MESSAGE:
            message_type = field.message_type
            if not self._supported(message_type):
                raise _Unsupported(message_type.full_name)
            return self._message
        if cpp_type == _FD.CPPTYPE_ENUM:
            if self._enum_options:  # pragma: no cover - see __init__
                raise _Unsupported(field.full_name)
            return _enum(field.enum_type)
        if cpp_type == _FD.CPPTYPE_STRING:
            return _base64 if field.type == _FD.TYPE_BYTES else str
        if cpp_type == _FD.CPPTYPE_BOOL:
            return bool
        if cpp_type in _INT64:
            return str  # ProtoJSON writes 64-bit integers as strings
        if cpp_type in _PLAIN:
            return _same
        raise _Unsupported(field.full_name)  # floats: json_format's shortest-float rules


def _same(value: Any) -> Any:
    return value


def _bool_key(value: Any) -> str:
    return "true" if value else "false"


def _base64(value: bytes) -> str:
    return base64.b64encode(value).decode("utf-8")


def _enum(enum_type: Any) -> _Convert:
    names = {number: value.name for number, value in enum_type.values_by_number.items()}
    closed = enum_type.is_closed

    def convert(value: int) -> Any:
        name = names.get(value)
        if name is not None:
            return name
        if closed:
            raise json_format.SerializeToJsonError(
                "Enum field contains an integer value which can not mapped to an enum value."
            )
        return value  # an open enum keeps a number it has no name for

    return convert


# -- indented JSON text --------------------------------------------------------------------------

# How IndentedJson writes one field's value: the kinds worth a branch of their own, then a
# conversion to a plain value (`_W_CONVERTED`) or a repeated field or map written item by item.
_W_STR, _W_INT, _W_INT64, _W_BOOL, _W_MESSAGE, _W_CONVERTED, _W_REPEATED, _W_MAP = range(8)

# One field: its `"name": ` text, how its value is written, and the conversion of its items
# (a repeated field's or a map's values; a map's keys go through their own, as the third part).
_Plan = tuple[str, int, Any, Any]


class IndentedJson:
    """`json.dumps(doc, indent=2, sort_keys=True)` of a document whose messages stand for their
    `MessageToDict`, byte for byte; the plans of the fields seen are kept, so use one per pass."""

    def __init__(self) -> None:
        self._dicts = MessageDicts()
        self._plans: dict[Any, _Plan] = {}
        # Per message type, whether its fields in number order (as ListFields gives them) are in
        # name order too (as sort_keys writes them), or None when MessageDicts leaves it alone.
        self._ordered: dict[Any, bool | None] = {}

    def dumps(self, doc: Any) -> str:
        out: list[str] = []
        try:
            self._write(doc, out, "\n")
        except TypeError:
            # Something json writes its own way (a key that is no string, a leaf of another type).
            return json.dumps(self._plain(doc), indent=2, sort_keys=True)
        return "".join(out)

    def _plain(self, value: Any) -> Any:
        if isinstance(value, Message):
            return self._dicts.to_dict(value)
        if isinstance(value, dict):
            return {k: self._plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._plain(v) for v in value]
        return value

    def _write(self, value: Any, out: list[str], newline: str) -> None:
        kind = type(value)
        if kind is str:
            out.append(encode_basestring_ascii(value))
        elif kind is dict:
            if not value:
                out.append("{}")
                return
            inner = newline + "  "
            separator = "{" + inner
            for key in sorted(value):
                if type(key) is not str:
                    raise TypeError(key)
                out.append(separator)
                out.append(encode_basestring_ascii(key))
                out.append(": ")
                self._write(value[key], out, inner)
                separator = "," + inner
            out.append(newline + "}")
        elif kind is list:
            if not value:
                out.append("[]")
                return
            inner = newline + "  "
            separator = "[" + inner
            for item in value:
                out.append(separator)
                self._write(item, out, inner)
                separator = "," + inner
            out.append(newline + "]")
        elif value is None:
            out.append("null")
        elif kind is bool:
            out.append("true" if value else "false")
        elif kind is int:
            out.append(int.__repr__(value))
        elif kind is float:
            out.append(json.dumps(value))
        elif isinstance(value, Message):
            self._message(value, out, newline)
        else:
            raise TypeError(value)

    def _message(self, message: Any, out: list[str], newline: str) -> None:
        message_type = message.DESCRIPTOR
        ordered = self._ordered.get(message_type, False)
        if ordered is False and message_type not in self._ordered:
            ordered = self._ordered[message_type] = self._order(message_type)
        if ordered is None:
            self._write(self._dicts.to_dict(message), out, newline)  # what MessageToDict makes of it
            return
        fields = message.ListFields()
        if not fields:
            out.append("{}")
            return
        if not ordered and len(fields) > 1:
            fields.sort(key=_field_name)
        plans = self._plans
        inner = newline + "  "
        separator = "{" + inner
        for field, value in fields:
            plan = plans.get(field)
            if plan is None:
                plan = plans[field] = self._plan(field)
            key, kind, convert, convert_key = plan
            out.append(separator)
            out.append(key)
            separator = "," + inner
            if kind == _W_STR:
                out.append(encode_basestring_ascii(value))
            elif kind == _W_INT:
                out.append(int.__repr__(value))
            elif kind == _W_INT64:
                out.append(f'"{value}"')
            elif kind == _W_BOOL:
                out.append("true" if value else "false")
            elif kind == _W_MESSAGE:
                self._message(value, out, inner)
            elif kind == _W_CONVERTED:
                self._write(convert(value), out, inner)
            elif kind == _W_REPEATED:
                self._items(value, convert, out, inner)
            else:
                self._map(value, convert, convert_key, out, inner)
        out.append(newline + "}")

    def _items(self, values: Any, convert: Any, out: list[str], newline: str) -> None:
        if not values:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in values:
            out.append(separator)
            separator = "," + inner
            if convert is None:
                self._message(item, out, inner)
            else:
                self._write(convert(item), out, inner)
        out.append(newline + "]")

    def _map(self, entries: Any, convert: Any, convert_key: Any, out: list[str], newline: str) -> None:
        if not entries:
            out.append("{}")
            return
        # sort_keys orders the keys as text; a string key (convert_key None) is its own text.
        keyed = (
            [(k, k) for k in sorted(entries)] if convert_key is None else sorted((convert_key(k), k) for k in entries)
        )
        inner = newline + "  "
        separator = "{" + inner
        for text, k in keyed:
            out.append(separator)
            separator = "," + inner
            out.append(encode_basestring_ascii(text))
            out.append(": ")
            if convert is None:
                self._message(entries[k], out, inner)
            else:
                self._write(convert(entries[k]), out, inner)
        out.append(newline + "}")

    def _order(self, message_type: Any) -> bool | None:
        if not self._dicts._supported(message_type):
            return None
        names = [f.name for f in sorted(message_type.fields, key=_field_number)]
        return names == sorted(names)

    def _plan(self, field: Any) -> _Plan:
        """How one field is written; only fields of message types MessageDicts handles get here,
        so every conversion it makes for them exists."""
        key = encode_basestring_ascii(field.name) + ": "
        message_type = field.message_type
        if message_type is not None and message_type.GetOptions().map_entry:
            key_field = message_type.fields_by_name["key"]
            value_field = message_type.fields_by_name["value"]
            key_type = key_field.cpp_type
            convert_key: _Convert | None = (
                None if key_type == _FD.CPPTYPE_STRING else _bool_key if key_type == _FD.CPPTYPE_BOOL else str
            )
            return key, _W_MAP, self._item(value_field), convert_key
        if field.is_repeated:
            return key, _W_REPEATED, self._item(field), None
        cpp_type = field.cpp_type
        if cpp_type == _FD.CPPTYPE_MESSAGE:
            return key, _W_MESSAGE, None, None
        if cpp_type == _FD.CPPTYPE_STRING and field.type != _FD.TYPE_BYTES:
            return key, _W_STR, None, None
        if cpp_type == _FD.CPPTYPE_BOOL:
            return key, _W_BOOL, None, None
        if cpp_type in _INT64:
            return key, _W_INT64, None, None
        if cpp_type in _PLAIN:
            return key, _W_INT, None, None
        return key, _W_CONVERTED, self._dicts._value(field), None

    def _item(self, field: Any) -> _Convert | None:
        """The conversion of one item of a repeated field or map value; None for messages,
        which are written as they are."""
        if field.cpp_type == _FD.CPPTYPE_MESSAGE:
            return None
        return self._dicts._value(field)


def _field_name(item: tuple[Any, Any]) -> str:
    name: str = item[0].name
    return name


def _field_number(field: Any) -> int:
    number: int = field.number
    return number
