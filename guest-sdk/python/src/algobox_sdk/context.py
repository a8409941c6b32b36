"""What the host provides to a running algorithm: progress, logs and stop
requests.

A `Context` is handed to a lifecycle class's `start`; the same calls are
module functions here for code without one (a function exported with
`export_function`). Every call counts against the invocation's host-call
limits, so report progress per step of work, not per item.

These calls work only while the algorithm runs: not at import time, which
componentize-py runs at build time, where there is no host to answer.
"""

import logging
import sys

from . import _bindings
from .errors import STOPPED, AlgorithmError

# Whether a call is running: at build time, when componentize-py imports
# the app, there is no host to send log lines to.
_in_call = False

#: Log levels, as the WIT's `log-level` names them.
TRACE, DEBUG, INFO, WARN, ERROR = "trace", "debug", "info", "warn", "error"


def progress(percent: float, details: str | None = None) -> None:
    """Reports progress: `percent` from 0 to 100, with optional details."""
    _bindings.context.progress(float(percent), details)


def log(level: str, message: str) -> None:
    """Writes a line to the invocation's log at `level` (`"info"`, ...)."""
    levels = _bindings.types.LogLevel
    _bindings.context.log(getattr(levels, level.upper()), str(message))


def trace(message: str) -> None:
    """Writes a trace line."""
    log(TRACE, message)


def debug(message: str) -> None:
    """Writes a debug line."""
    log(DEBUG, message)


def info(message: str) -> None:
    """Writes an info line."""
    log(INFO, message)


def warn(message: str) -> None:
    """Writes a warning line."""
    log(WARN, message)


def error(message: str) -> None:
    """Writes an error line."""
    log(ERROR, message)


def stop_requested() -> bool:
    """Whether a stop was requested. Cheap: poll it in long loops, then
    finish or abandon the work and return."""
    return _bindings.context.stop_requested()


def check_stop() -> None:
    """Returns while the algorithm may go on; once a stop was requested,
    raises an `AlgorithmError` with code `Stopped`."""
    if stop_requested():
        raise AlgorithmError(
            "the algorithm stopped early because a stop was requested", code=STOPPED
        )


def extend_grace() -> None:
    """Asks for more time to finish after a stop was requested."""
    _bindings.context.extend_grace()


class Context:
    """The host's services during `start`; each method does what the module
    function of the same name does."""

    progress = staticmethod(progress)
    log = staticmethod(log)
    trace = staticmethod(trace)
    debug = staticmethod(debug)
    info = staticmethod(info)
    warn = staticmethod(warn)
    error = staticmethod(error)
    stop_requested = staticmethod(stop_requested)
    check_stop = staticmethod(check_stop)
    extend_grace = staticmethod(extend_grace)


def begin_call() -> None:
    """Marks the start of the instance's call: from here on, log records go
    to the host."""
    global _in_call
    _in_call = True


class HostLogHandler(logging.Handler):
    """Sends `logging` records to the invocation's log. The SDK installs one
    on the root logger at build time, so `logging.info(...)` works as usual;
    records logged at build time (in `load`, say) go to stderr, which
    componentize-py does not show."""

    _LEVELS = [
        (logging.ERROR, ERROR),
        (logging.WARNING, WARN),
        (logging.INFO, INFO),
        (logging.DEBUG, DEBUG),
    ]

    def emit(self, record: logging.LogRecord) -> None:
        if not _in_call:
            sys.stderr.write(self.format(record) + "\n")
            return
        level = next((name for floor, name in self._LEVELS if record.levelno >= floor), TRACE)
        try:
            log(level, self.format(record))
        except Exception:  # a log line must never fail the algorithm
            self.handleError(record)


def install_log_handler() -> None:
    """Routes the root logger to the host, once."""
    root = logging.getLogger()
    if not any(isinstance(handler, HostLogHandler) for handler in root.handlers):
        root.addHandler(HostLogHandler())
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
