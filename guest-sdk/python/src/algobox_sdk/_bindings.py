"""The generated side of the WIT world, imported here once, at build time.

componentize-py generates the `wit_world` package while it builds, and only
modules imported while it pre-initializes the app are in the component: an
import first made during a call fails. So everything the SDK will use is
imported here, eagerly, and the SDK's modules are imported by its
`__init__`. Outside a component (the SDK's unit tests) the names are None.

The types module is `types` in the world `algorithm` and
`algobox_algorithm_types` in `algorithm-with-http` (where `wasi:http/types`
takes the short name); both are accepted. The wasi:http modules exist only
in `algorithm-with-http`.
"""

from .errors import AlgorithmError

try:
    from componentize_py_types import Err
    from wit_world.imports import context, data, pipeline

    try:
        from wit_world.imports import algobox_algorithm_types as types
    except ImportError:
        from wit_world.imports import types
except ImportError:  # not inside componentize-py: the unit tests

    class Err(Exception):
        """Stands in for componentize-py's `Err` outside a component."""

        def __init__(self, value):
            super().__init__(value)
            self.value = value

    context = data = pipeline = types = None

try:
    from wit_world.imports import outgoing_handler, streams
    from wit_world.imports import wasi_http_types as http_types
except ImportError:  # the world `algorithm`, or the unit tests
    outgoing_handler = streams = http_types = None


def host_error(err) -> Exception:
    """An `algo-error` the host returned (inside `Err`) as an
    `AlgorithmError` with the host's code."""
    value = getattr(err, "value", err)
    return AlgorithmError(value.message, code=value.code, details=value.details)
