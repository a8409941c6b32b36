"""The error an algorithm reports, and the codes the SDK itself uses.

An `AlgorithmError` raised (or any other exception) becomes the WIT's
`algo-error`: its `code` is Algorithmia's `error_type`, and the traceback
travels as `details` (the caller sees it as `stacktrace`).
"""

#: The code of an error the algorithm did not classify.
ALGORITHM_ERROR = "AlgorithmError"
#: The input does not fit what the algorithm takes.
INPUT_ERROR = "InputError"
#: The algorithm returned early because a stop was requested.
STOPPED = "Stopped"
#: A host service refused: data, pipeline or HTTP without the permission.
PERMISSION_DENIED = "PermissionDenied"


class AlgorithmError(Exception):
    """A failure the algorithm reports on purpose.

    `code` is Algorithmia's `error_type` (`AlgorithmError` unless given, for
    example `InputError`); `details` replaces the traceback when given.
    Errors the host returns (from `data`, `pipeline`, `http`) are raised as
    this class with the host's code.
    """

    def __init__(self, message: str, code: str = ALGORITHM_ERROR, details: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details

    def __repr__(self) -> str:
        return f"AlgorithmError(code={self.code!r}, message={self.message!r})"


def input_error(message: str) -> AlgorithmError:
    """An `InputError`: the caller sent something the algorithm cannot take."""
    return AlgorithmError(message, code=INPUT_ERROR)
