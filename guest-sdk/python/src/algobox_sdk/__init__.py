"""Write algobox algorithms in Python.

Two forms, as in the Rust SDK:

```python
from algobox_sdk import export_function

@export_function
def apply(name: str) -> str:
    return f"Hello {name}"
```

```python
from algobox_sdk import Context, export_algorithm

@export_algorithm
class Shout:
    def load(self):                   # once, at build time
        self.suffix = "!"
    def initialize(self, text: str):  # the input, decoded by annotation
        self.text = text
    def start(self, ctx: Context):
        ctx.progress(50, "half way")
        ctx.check_stop()
        return self.text.upper() + self.suffix
    def stop(self):
        pass
```

Build with componentize-py against `algobox wit`'s folder and the world
`algorithm-with-http`; see the package README.
"""

# Every module is imported here, at build time: componentize-py keeps only
# the modules imported while it pre-initializes the app, so an import first
# made during a call fails with ModuleNotFoundError. The standard modules
# below are imported lazily by others (`heapq` by `Counter.most_common`,
# `bisect` by `random.choices`, ...), so the SDK imports them up front;
# import anything else your calls need at the top of the app.
import bisect  # noqa: F401
import copy  # noqa: F401
import heapq  # noqa: F401
import string  # noqa: F401
import textwrap  # noqa: F401

from . import context, data, http, pipeline
from .context import Context
from .errors import AlgorithmError
from .export import export_algorithm, export_function

__all__ = [
    "AlgorithmError",
    "Context",
    "context",
    "data",
    "export_algorithm",
    "export_function",
    "http",
    "pipeline",
]
