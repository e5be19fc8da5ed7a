"""Protobuf messages as plain dicts, exactly as `json_format.MessageToDict(m, preserving_proto_field_name=True)`.

`buildwright llb` prints every op of a graph; `MessageToDict` looks each field's kind up through
descriptor reflection on every value, which made it the largest part of printing a large graph.
Here each field's conversion is worked out once per field descriptor and kept for the pass. Only
what the LLB protos hold is handled (no float fields, well-known types or extensions); a message
holding anything else is handed to `MessageToDict` itself, so the result never differs.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from google.protobuf import descriptor, descriptor_pool, json_format

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
