"""py-hello: `Hello <name>` in Python, the per-call cost benchmark's guest
(runtime/benches/invoke.rs), beside Rust's `hello`."""

from algobox_sdk import export_function


@export_function
def hello(name: str) -> str:
    return f"Hello {name}"
