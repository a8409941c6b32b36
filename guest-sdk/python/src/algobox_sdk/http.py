"""Outbound HTTP, for algorithms whose `network_access` is `full`.

With `isolated`, every request raises `AlgorithmError` with code
`PermissionDenied`; with `full`, so does a request to an address outside
the operator's egress policy. Needs the component built against the world
`algorithm-with-http` (the SDK's build does that).
"""

from dataclasses import dataclass

from . import _bindings
from ._bindings import Err
from .errors import PERMISSION_DENIED, AlgorithmError, input_error

_CHUNK = 4096


@dataclass
class Response:
    """A response: its status and whole body."""

    status: int
    body: bytes

    def text(self) -> str:
        """The body as UTF-8 text."""
        return self.body.decode("utf-8")


def get(url: str) -> Response:
    """Sends a GET request to `url` (`http://` or `https://`)."""
    return _send("GET", url, None)


def post(url: str, body: bytes | str) -> Response:
    """Sends a POST request with `body` (text as UTF-8) to `url`."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return _send("POST", url, bytes(body))


def _send(method: str, url: str, body: bytes | None) -> Response:
    outgoing_handler, streams, http = (
        _bindings.outgoing_handler,
        _bindings.streams,
        _bindings.http_types,
    )
    if http is None:
        raise AlgorithmError(
            "outbound HTTP is not bound: build the component against the world "
            "`algorithm-with-http`"
        )
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("http", "https"):
        raise input_error(f"`{url}` is not an http:// or https:// URL")
    slash = rest.find("/")
    authority, path = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])

    request = http.OutgoingRequest(http.Fields())
    try:
        request.set_method(http.Method_Get() if method == "GET" else http.Method_Post())
        request.set_scheme(http.Scheme_Http() if scheme == "http" else http.Scheme_Https())
        request.set_authority(authority)
        request.set_path_with_query(path)
    except Err:
        raise input_error(f"`{url}` is not a valid URL") from None
    outgoing = request.body()
    if body:
        stream = outgoing.write()
        for start in range(0, len(body), _CHUNK):
            stream.blocking_write_and_flush(body[start : start + _CHUNK])
        stream.__exit__(None, None, None)
    try:
        http.OutgoingBody.finish(outgoing, None)
        pending = outgoing_handler.handle(request, None)
    except Err as err:
        raise _http_error(err.value) from None
    while True:
        result = pending.get()
        if result is not None:
            break
        pending.subscribe().block()
    if isinstance(result, Err):
        raise AlgorithmError("the HTTP response was already taken", code="NetworkError")
    inner = result.value
    if isinstance(inner, Err):
        raise _http_error(inner.value)
    response = inner.value
    status = response.status()
    incoming = response.consume()
    stream = incoming.stream()
    chunks = []
    while True:
        try:
            chunks.append(stream.blocking_read(64 * 1024))
        except Err as err:
            if isinstance(err.value, streams.StreamError_Closed):
                break
            raise AlgorithmError(f"reading the response failed: {err.value}", code="NetworkError") from None
    stream.__exit__(None, None, None)
    return Response(status=status, body=b"".join(chunks))


def _http_error(code) -> AlgorithmError:
    name = type(code).__name__
    if name == "ErrorCode_HttpRequestDenied":
        return AlgorithmError(
            "the host denied the HTTP request: this algorithm's `network_access` is `isolated`",
            code=PERMISSION_DENIED,
        )
    if name == "ErrorCode_DestinationIpProhibited":
        return AlgorithmError(
            "the host denied the HTTP request: its address is outside the operator's egress policy",
            code=PERMISSION_DENIED,
        )
    return AlgorithmError(f"the HTTP request failed: {name.removeprefix('ErrorCode_')}", code="NetworkError")
