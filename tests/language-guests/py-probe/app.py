"""py-probe: the Python SDK's function form, driven by a JSON request
(decoded into a dataclass), for tests/languages.rs.

Actions: `progress` (three steps, then `"done"`), `wait-stop` (polls
`stop_requested` until a stop or `limit_s`), `fail` (a ValueError two
frames deep), `refuse` (an AlgorithmError with code InputError), `data`
(writes `text` to `uri`, reads it back), `fetch` (GET `url`), `log`
(through `logging`), `bytes` (returns binary), `void` (returns None),
`count` (how many calls this instance has served, counting this one).
"""

import logging
import time
from dataclasses import dataclass

from algobox_sdk import AlgorithmError, export_function
from algobox_sdk import context, data, http


@dataclass
class Request:
    action: str
    uri: str = ""
    text: str = ""
    url: str = ""
    limit_s: float = 30.0


def explode(value):
    return 1 / 0 if value == "zero" else int(value)


def deep_failure():
    explode("not a number")


# Module state: a fresh instance starts every call from the snapshot, so
# `count` always answers 1.
calls_served = 0


@export_function
def probe(request: Request):
    global calls_served
    calls_served += 1
    if request.action == "count":
        return calls_served
    if request.action == "progress":
        for step in (25, 50, 75):
            context.progress(step, f"step {step}")
        return "done"
    if request.action == "wait-stop":
        deadline = time.monotonic() + request.limit_s
        while time.monotonic() < deadline:
            if context.stop_requested():
                logging.info("py-probe: stop seen")
                context.check_stop()
            time.sleep(0.02)
        return {"stopped": False}
    if request.action == "fail":
        deep_failure()
    if request.action == "refuse":
        raise AlgorithmError("the probe refuses", code="InputError")
    if request.action == "data":
        data.write(request.uri, request.text)
        return {"read": data.read_text(request.uri), "exists": data.exists(request.uri)}
    if request.action == "fetch":
        response = http.get(request.url)
        return {"status": response.status, "body": response.text()}
    if request.action == "log":
        logging.warning("py-probe says %s", request.text)
        return "logged"
    if request.action == "bytes":
        return bytes([0, 1, 2, 255])
    if request.action == "void":
        return None
    raise AlgorithmError(f"unknown action {request.action!r}", code="InputError")


# Logged at build time, after the SDK installed its log handler: it goes to
# stderr, since there is no host yet (a host call here would fail the
# build), and calls still log to the host (action "log").
logging.info("py-probe: built")
