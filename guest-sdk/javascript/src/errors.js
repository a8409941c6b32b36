// The error an algorithm reports, and the codes the SDK itself uses.

/** The code of an error the algorithm did not classify. */
export const ALGORITHM_ERROR = 'AlgorithmError';
/** The input does not fit what the algorithm takes. */
export const INPUT_ERROR = 'InputError';
/** The algorithm returned early because a stop was requested. */
export const STOPPED = 'Stopped';

/**
 * A failure the algorithm reports on purpose. `code` is Algorithmia's
 * `error_type` (`AlgorithmError` unless given); `details` replaces the
 * stack as the caller's `stacktrace` when given. Errors the host returns
 * (from `data`, `pipeline`) are thrown as this class with the host's code.
 */
export class AlgorithmError extends Error {
  constructor(message, { code = ALGORITHM_ERROR, details } = {}) {
    super(message);
    this.name = 'AlgorithmError';
    this.code = code;
    this.details = details;
  }
}

/** An `InputError`: the caller sent something the algorithm cannot take. */
export function inputError(message) {
  return new AlgorithmError(message, { code: INPUT_ERROR });
}

/** An error a host import threw (its `payload` is the WIT's `algo-error`). */
export function hostError(err) {
  const value = err && err.payload !== undefined ? err.payload : err;
  if (value && typeof value.code === 'string') {
    return new AlgorithmError(value.message, { code: value.code, details: value.details });
  }
  return err;
}
