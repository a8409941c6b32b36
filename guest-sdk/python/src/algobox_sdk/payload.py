"""Decoding the input into the type an algorithm asks for, and encoding
what it returns, following the Rust SDK's rules.

A value crosses the contract as `(kind, value)`: `("text", str)`,
`("json", str)` (the JSON text), `("binary", bytes)` or `("void", None)`.

Input types (the annotation of the function's parameter, or of the
lifecycle class's `initialize`):

- `str`: text, or a JSON string;
- `bytes`: binary;
- a dataclass: a JSON object, its fields by name (nested dataclasses too);
- `dict`, `list`, `int`, `float`, `bool` and their `typing` forms: JSON;
- no annotation, `object` or `typing.Any`: the value as it came (text as
  `str`, JSON parsed, binary as `bytes`, void as `None`).

Outputs: `str` is text, `bytes` binary, `None` void, a dataclass or any
other value JSON.
"""

import dataclasses
import json
import typing

from .errors import AlgorithmError, input_error

_JSON_TYPES = (dict, list, int, float, bool)


def decoder(annotation):
    """A function `(kind, value) -> input` for the annotated type."""
    if annotation in (None, inspect_empty(), object, typing.Any):
        return _natural
    if annotation is str:
        return _text
    if annotation in (bytes, bytearray):
        return _binary
    if dataclasses.is_dataclass(annotation):
        return lambda kind, value: _build(annotation, _json(kind, value))
    origin = typing.get_origin(annotation) or annotation
    if origin in _JSON_TYPES or origin is typing.Union:
        def decode(kind, value):
            parsed = _json(kind, value)
            if origin in _JSON_TYPES and not _is_instance(parsed, origin):
                raise input_error(
                    f"expected JSON of type `{origin.__name__}`, but received "
                    f"`{type(parsed).__name__}`; send a JSON {origin.__name__}"
                )
            return parsed
        return decode
    raise TypeError(
        f"algobox_sdk cannot decode an input of type {annotation!r}: annotate "
        "it as str, bytes, a dataclass, dict, list, int, float, bool or Any"
    )


def inspect_empty():
    """`inspect.Parameter.empty`, the annotation of an unannotated parameter."""
    import inspect

    return inspect.Parameter.empty


def encode(result):
    """The `(kind, value)` of what an algorithm returned."""
    if result is None:
        return ("void", None)
    if isinstance(result, str):
        return ("text", result)
    if isinstance(result, (bytes, bytearray, memoryview)):
        return ("binary", bytes(result))
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    try:
        return ("json", json.dumps(result, separators=(",", ":")))
    except (TypeError, ValueError) as err:
        raise AlgorithmError(
            f"the result does not serialize as JSON ({err}); return str, bytes, "
            "None, a dataclass, or JSON values"
        ) from err


def natural(kind, value):
    """A value as it came: text as `str`, JSON parsed, binary as `bytes`,
    void as `None`."""
    return _natural(kind, value)


def _natural(kind, value):
    if kind == "json":
        return _json(kind, value)
    return value


def _text(kind, value):
    if kind == "text":
        return value
    if kind == "json":
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, str):
            return parsed
        raise input_error(
            "expected a `text` input (or a JSON string), but received `json` "
            "that is not a string; send plain text"
        )
    raise _mismatch("text", kind)


def _binary(kind, value):
    if kind == "binary":
        return value
    raise _mismatch("binary", kind)


def _json(kind, value):
    if kind == "json":
        try:
            return json.loads(value)
        except ValueError as err:
            raise input_error(
                f"the `json` input is not well-formed JSON ({err}); send one JSON document"
            ) from err
    if kind == "text":
        try:
            json.loads(value)
        except ValueError as err:
            raise input_error(
                "expected a `json` input, but received `text`; if you meant to "
                f"send JSON, it does not parse: {err}"
            ) from err
        raise input_error(
            "expected a `json` input, but received `text` that holds JSON; "
            "send it with content type `json`"
        )
    raise _mismatch("json", kind)


def _mismatch(expected, kind):
    received = "no value" if kind == "void" else f"`{kind}`"
    return input_error(
        f"expected a `{expected}` input, but received {received}; send the input as `{expected}`"
    )


def _is_instance(value, origin):
    # JSON has one number type: an int is a fine float, a bool is no int.
    if origin is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, origin)


def _build(cls, value):
    """A dataclass from a JSON object, nested dataclasses included."""
    if not isinstance(value, dict):
        raise input_error(
            f"expected a JSON object for `{cls.__name__}`, but received "
            f"`{type(value).__name__}`"
        )
    hints = typing.get_type_hints(cls)
    fields = {field.name: field for field in dataclasses.fields(cls)}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise input_error(
            f"unknown field(s) {', '.join(unknown)} for `{cls.__name__}`; "
            f"expected {', '.join(fields)}"
        )
    arguments = {}
    for name, field in fields.items():
        if name not in value:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise input_error(f"missing field `{name}` for `{cls.__name__}`")
            continue
        hint = hints.get(name)
        item = value[name]
        if dataclasses.is_dataclass(hint):
            item = _build(hint, item)
        arguments[name] = item
    return cls(**arguments)
