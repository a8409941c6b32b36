"""Calling other algorithms, for algorithms with `pipeline_enabled`.

The input is encoded as a result is (str as text, bytes as binary, None as
void, anything else as JSON) and the callee's result decoded as it came
(JSON parsed). The callee's error is raised as `AlgorithmError` with the
callee's code; without the setting, the code is `PermissionDenied`.
"""

from . import _bindings, payload
from ._bindings import Err


def call(algorithm: str, input=None, timeout_ms: int | None = None):
    """Calls `algorithm` (`owner/name`, optionally `/version`) with `input`
    and returns its result."""
    kind, value = payload.encode(input)
    try:
        result = _bindings.pipeline.call(algorithm, to_wit(kind, value), timeout_ms)
    except Err as err:
        raise _bindings.host_error(err) from None
    return payload.natural(*from_wit(result))


def to_wit(kind, value):
    """A `(kind, value)` as the WIT's `payload`."""
    types = _bindings.types
    if kind == "text":
        return types.Payload_Text(value)
    if kind == "json":
        return types.Payload_Json(value)
    if kind == "binary":
        return types.Payload_Binary(value)
    return types.Payload_Void()


def from_wit(wit_payload):
    """The WIT's `payload` as `(kind, value)`."""
    types = _bindings.types
    if isinstance(wit_payload, types.Payload_Text):
        return ("text", wit_payload.value)
    if isinstance(wit_payload, types.Payload_Json):
        return ("json", wit_payload.value)
    if isinstance(wit_payload, types.Payload_Binary):
        return ("binary", bytes(wit_payload.value))
    return ("void", None)
