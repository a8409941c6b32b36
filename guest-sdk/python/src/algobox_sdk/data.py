"""`data://` files, read and written with the permissions of the caller of
the algorithm (`data://.my/...` is the caller's own). A refusal or a
missing file raises `AlgorithmError` with the host's code."""

from . import _bindings
from ._bindings import Err


def read(uri: str) -> bytes:
    """Reads a whole file: `data://owner/collection/file`."""
    try:
        return _bindings.data.read(uri)
    except Err as err:
        raise _bindings.host_error(err) from None


def read_text(uri: str) -> str:
    """Reads a whole file as UTF-8 text."""
    return read(uri).decode("utf-8")


def write(uri: str, contents: bytes | str) -> None:
    """Writes a whole file (text as UTF-8), replacing any before it."""
    if isinstance(contents, str):
        contents = contents.encode("utf-8")
    try:
        _bindings.data.write(uri, bytes(contents))
    except Err as err:
        raise _bindings.host_error(err) from None


def exists(uri: str) -> bool:
    """Whether a file exists (and the caller may see it)."""
    try:
        return _bindings.data.exists(uri)
    except Err as err:
        raise _bindings.host_error(err) from None


def delete(uri: str) -> None:
    """Deletes a file."""
    try:
        _bindings.data.delete(uri)
    except Err as err:
        raise _bindings.host_error(err) from None


def list_files(uri: str) -> list[str]:
    """The names of the files in a collection: `data://owner/collection`."""
    try:
        return _bindings.data.list_files(uri)
    except Err as err:
        raise _bindings.host_error(err) from None
