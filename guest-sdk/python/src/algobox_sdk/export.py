"""The two forms of an algorithm, and the `Lifecycle` export componentize-py
looks for in the app module.

componentize-py imports the app module at build time and snapshots the
result (pre-initialization), so what the decorators do at import time (for
`export_algorithm`: creating the instance and running `load`) happens once,
at build time, and every call starts from that state on a fresh instance.
"""

import gc
import inspect
import sys
import traceback
import typing

from . import _bindings, context, payload
from ._bindings import Err
from .pipeline import from_wit, to_wit
from .errors import ALGORITHM_ERROR, AlgorithmError

# What this instance keeps between `initialize` and `start`: one call per
# instance, so module state is the call's state.
_exported = None
_pending = None


class Lifecycle:
    """The WIT's `lifecycle` export, which the decorators place in the app
    module under the name componentize-py looks for."""

    def initialize(self, input) -> None:
        global _pending
        context.begin_call()
        inputs = [_from_wit(item) for item in input]
        _pending = _guard(lambda: _exported.initialize(inputs))

    def start(self):
        return _guard(lambda: _to_wit(payload.encode(_exported.start())))

    def stop(self) -> None:
        try:
            _exported.stop()
        except Exception:
            traceback.print_exc()


class _Function:
    """The simple form: decodes the input in `initialize`, calls in `start`."""

    def __init__(self, function):
        self.function = function
        self.decode = _input_decoder(function, skip_self=False)
        self.input = None

    def initialize(self, inputs):
        self.input = _first(inputs, self.decode)

    def start(self):
        if self.decode is None:
            return self.function()
        return self.function(self.input)

    def stop(self):
        pass


class _Algorithm:
    """The lifecycle form: an instance made and loaded at build time."""

    def __init__(self, cls):
        self.instance = cls()
        load = getattr(self.instance, "load", None)
        if load is not None:
            load()
        self.decode = _input_decoder(cls.initialize, skip_self=True)

    def initialize(self, inputs):
        if self.decode is None:
            self.instance.initialize()
        else:
            self.instance.initialize(_first(inputs, self.decode))

    def start(self):
        return self.instance.start(context.Context())

    def stop(self):
        stop = getattr(self.instance, "stop", None)
        if stop is not None:
            stop()


def export_function(function):
    """Exports `function` as the algorithm: its one parameter's annotation
    picks the input type (see `algobox_sdk.payload`), its return value is the
    result, and any exception is the error. Use it once per app module."""
    _export(function.__module__, _Function(function))
    return function


def export_algorithm(cls):
    """Exports a lifecycle class as the algorithm: `load(self)` (optional,
    run once at build time), `initialize(self, input)` (the annotation of
    `input` picks its type), `start(self, ctx)` returning the result, and
    `stop(self)` (optional, after a stop request). Use it once per app
    module."""
    _export(cls.__module__, _Algorithm(cls))
    return cls


def _export(module_name, exported):
    global _exported
    if _exported is not None:
        raise RuntimeError(
            "an algorithm is already exported in this component: use "
            "export_function or export_algorithm once per app"
        )
    _exported = exported
    # componentize-py finds the export as `Lifecycle` in the app module.
    setattr(sys.modules[module_name], "Lifecycle", Lifecycle)
    _settle()


def _settle():
    """Readies the state componentize-py snapshots at build time, so that
    calls start from it without work of their own: the log handler is
    installed once, here, and every object made so far is frozen out of
    the garbage collector (`gc.freeze`, made for processes that fork from a
    warm parent), so a collection during a call does not write to all of
    them. Each write to a page of the snapshot costs the call a page fault
    and a copy: the two took Python's `hello` from 195 faults per call to
    116, and its latency over HTTP down by a fifth (README, "Languages")."""
    context.install_log_handler()
    gc.collect()
    gc.freeze()


def _input_decoder(function, skip_self):
    parameters = list(inspect.signature(function).parameters.values())
    if skip_self:
        parameters = parameters[1:]
    if not parameters:
        return None
    try:
        hints = typing.get_type_hints(function)
    except Exception:
        hints = {}
    return payload.decoder(hints.get(parameters[0].name, parameters[0].annotation))


def _first(inputs, decode):
    if not inputs:
        raise AlgorithmError(
            "no input was given, but this algorithm needs one; call it with one input value",
            code="InputError",
        )
    return decode(*inputs[0])


def _guard(body):
    """Runs `body`; an exception becomes the WIT's error, traceback kept."""
    try:
        return body()
    except AlgorithmError as err:
        details = err.details if err.details is not None else traceback.format_exc()
        raise Err(_bindings.types.AlgoError(err.code, err.message, details)) from None
    except Exception as err:
        message = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        raise Err(
            _bindings.types.AlgoError(ALGORITHM_ERROR, message, traceback.format_exc())
        ) from None


def _warm_up():
    """Formats a traceback once at build time: `traceback` imports some of
    what it needs on first use, and a module first imported during a call
    is not in the component."""
    try:
        raise ValueError("warm-up")
    except ValueError:
        traceback.format_exc()


_warm_up()


def _from_wit(item):
    return from_wit(item)


def _to_wit(kind_value):
    return to_wit(*kind_value)
